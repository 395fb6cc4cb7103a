// AsioEventLoop: tasks are asio handlers; timers are steady_timers kept by id for cancel().
#include "io/asio_event_loop.h"

#include <asio/post.hpp>
#include <chrono>

namespace kb::io {

AsioEventLoop::AsioEventLoop() : context_(1), work_guard_(asio::make_work_guard(context_)) {}

AsioEventLoop::~AsioEventLoop() {
    // Pending timers and handlers are destroyed unrun, like a cancelled timer.
    timers_.clear();
    work_guard_.reset();
}

void AsioEventLoop::post(Task task) {
    KB_ASSERT(task);
    asio::post(context_, std::move(task));
}

TimerId AsioEventLoop::schedule_after(u64 delay_ns, Task task) {
    KB_ASSERT(task);
    u64 id = next_timer_id_++;
    auto timer = std::make_unique<asio::steady_timer>(context_);
    // Clamp so the chrono conversion cannot overflow: ~292 years is "never" enough.
    u64 clamped = delay_ns > u64{1} << 62 ? u64{1} << 62 : delay_ns;
    timer->expires_after(std::chrono::nanoseconds(static_cast<i64>(clamped)));
    timer->async_wait([this, id, task = std::move(task)](const asio::error_code& error) mutable {
        if (error) return;  // cancelled: the entry is already gone
        timers_.erase(id);
        task();
    });
    timers_.emplace(id, std::move(timer));
    return TimerId(id);
}

bool AsioEventLoop::cancel(TimerId timer) {
    auto found = timers_.find(timer.value());
    if (found == timers_.end()) return false;
    // Cancelling completes the wait with operation_aborted; the handler then does nothing.
    found->second->cancel();
    timers_.erase(found);
    return true;
}

bool AsioEventLoop::finish_stop() {
    if (!stop_requested_.exchange(false)) return false;
    if (context_.stopped()) context_.restart();
    return true;
}

bool AsioEventLoop::run_once() {
    if (finish_stop()) return false;
    usize count = context_.run_one();
    if (finish_stop() || count == 0) {
        if (context_.stopped()) context_.restart();
        return false;
    }
    return true;
}

usize AsioEventLoop::poll() {
    if (finish_stop()) return 0;
    usize count = context_.poll();
    finish_stop();
    if (context_.stopped()) context_.restart();
    return count;
}

bool AsioEventLoop::run_until(const std::function<bool()>& predicate, u64 timeout_ns) {
    if (predicate()) return true;
    const bool bounded = timeout_ns != kNoTimeout;
    const u64 start = clock_.monotonic_ns();
    while (true) {
        if (finish_stop()) return false;
        if (bounded) {
            u64 elapsed = clock_.monotonic_ns() - start;
            if (elapsed >= timeout_ns) return false;
            u64 remaining = timeout_ns - elapsed;
            u64 clamped = remaining > u64{1} << 62 ? u64{1} << 62 : remaining;
            context_.run_one_for(std::chrono::nanoseconds(static_cast<i64>(clamped)));
        } else {
            context_.run_one();
        }
        if (predicate()) return true;
        if (context_.stopped()) {
            finish_stop();
            context_.restart();
            return false;
        }
    }
}

void AsioEventLoop::run_for(u64 duration_ns) {
    if (finish_stop()) return;
    u64 clamped = duration_ns > u64{1} << 62 ? u64{1} << 62 : duration_ns;
    context_.run_for(std::chrono::nanoseconds(static_cast<i64>(clamped)));
    finish_stop();
    if (context_.stopped()) context_.restart();
}

void AsioEventLoop::clear_stop() {
    stop_requested_.store(false);
    if (context_.stopped()) context_.restart();
}

void AsioEventLoop::stop() {
    stop_requested_.store(true);
    context_.stop();
}

}  // namespace kb::io
