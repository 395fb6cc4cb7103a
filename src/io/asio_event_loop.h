// AsioEventLoop: the production EventLoop, a thin layer over asio::io_context.
//
// Wrapping io_context (rather than writing our own epoll loop) lets the TCP Network of a later
// issue put its sockets on the same loop via context(). post() is thread-safe: LinuxStorage's IO
// threads and store reader threads hand completions back through it. Timers, cancel() and the
// run_* calls belong to the loop thread. A work guard keeps the loop alive while it is idle, so
// run_once() waits for work posted from other threads instead of returning.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <map>
#include <memory>

#include "io/clock.h"
#include "io/event_loop.h"

namespace kb::io {

class AsioEventLoop final : public EventLoop {
public:
    AsioEventLoop();
    ~AsioEventLoop() override;
    AsioEventLoop(const AsioEventLoop&) = delete;
    AsioEventLoop& operator=(const AsioEventLoop&) = delete;

    // For sockets and other asio objects that must share this loop's thread.
    asio::io_context& context() { return context_; }

    const Clock& clock() const override { return clock_; }
    void post(Task task) override;
    bool post_is_thread_safe() const override { return true; }
    TimerId schedule_after(u64 delay_ns, Task task) override;
    bool cancel(TimerId timer) override;

    bool run_once() override;
    usize poll() override;
    bool run_until(const std::function<bool()>& predicate, u64 timeout_ns = kNoTimeout) override;
    void run_for(u64 duration_ns) override;
    void stop() override;
    // Forgets any stop request and readies the loop to run again. For a caller that stopped
    // the thread running the loop and now runs it itself: stop() sets its request and stops
    // the context in two steps, so the exiting thread may consume one and leave the other.
    // Loop thread (or no thread running the loop) only.
    void clear_stop();

private:
    // True if a stop was requested; clears the request and readies the context to run again.
    bool finish_stop();

    LinuxClock clock_;  // CLOCK_MONOTONIC, the clock asio's steady_timer uses on Linux
    // Declaration order matters: timers are destroyed before the context they belong to.
    asio::io_context context_;
    asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
    std::map<u64, std::unique_ptr<asio::steady_timer>> timers_;
    u64 next_timer_id_ = 1;
    std::atomic<bool> stop_requested_{false};
};

}  // namespace kb::io
