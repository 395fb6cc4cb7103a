// SimEventLoop: one ordered map of (due time, sequence) -> task.
#include "io/sim_event_loop.h"

#include <limits>

namespace kb::io {

SimEventLoop::Key SimEventLoop::insert(u64 due_ns, Task task) {
    KB_ASSERT(task);
    Key key{due_ns, next_sequence_++};
    queue_.emplace(key, std::move(task));
    return key;
}

void SimEventLoop::post(Task task) { insert(clock_.monotonic_ns(), std::move(task)); }

TimerId SimEventLoop::schedule_after(u64 delay_ns, Task task) {
    u64 now = clock_.monotonic_ns();
    u64 due = delay_ns > std::numeric_limits<u64>::max() - now ? std::numeric_limits<u64>::max()
                                                               : now + delay_ns;
    Key key = insert(due, std::move(task));
    timer_due_ns_.emplace(key.second, due);
    return TimerId(key.second);
}

bool SimEventLoop::cancel(TimerId timer) {
    auto found = timer_due_ns_.find(timer.value());
    if (found == timer_due_ns_.end()) return false;
    queue_.erase(Key{found->second, found->first});
    timer_due_ns_.erase(found);
    return true;
}

bool SimEventLoop::take_stop_request() {
    bool requested = stop_requested_;
    stop_requested_ = false;
    return requested;
}

bool SimEventLoop::run_first_due_by(u64 deadline_ns) {
    if (queue_.empty()) return false;
    auto first = queue_.begin();
    auto [due_ns, sequence] = first->first;
    if (due_ns > deadline_ns) return false;
    // Take the task out before running it: it may post, schedule or cancel.
    Task task = std::move(first->second);
    queue_.erase(first);
    timer_due_ns_.erase(sequence);
    if (due_ns > clock_.monotonic_ns()) clock_.set_monotonic_ns(due_ns);
    ++tasks_run_;
    task();
    return true;
}

bool SimEventLoop::run_once() {
    if (take_stop_request()) return false;
    return run_first_due_by(std::numeric_limits<u64>::max());
}

usize SimEventLoop::poll() {
    usize count = 0;
    while (!stop_requested_ && run_first_due_by(clock_.monotonic_ns())) ++count;
    take_stop_request();
    return count;
}

bool SimEventLoop::run_until(const std::function<bool()>& predicate, u64 timeout_ns) {
    u64 now = clock_.monotonic_ns();
    u64 deadline = timeout_ns > std::numeric_limits<u64>::max() - now
                       ? std::numeric_limits<u64>::max()
                       : now + timeout_ns;
    while (!predicate()) {
        if (take_stop_request()) return false;
        if (!run_first_due_by(deadline)) {
            // Nothing left before the deadline: time passes up to it (if it is finite).
            if (deadline != std::numeric_limits<u64>::max() && !queue_.empty()) {
                clock_.set_monotonic_ns(deadline);
            }
            return predicate();
        }
    }
    return true;
}

void SimEventLoop::run_for(u64 duration_ns) {
    u64 now = clock_.monotonic_ns();
    u64 deadline = duration_ns > std::numeric_limits<u64>::max() - now
                       ? std::numeric_limits<u64>::max()
                       : now + duration_ns;
    while (!stop_requested_ && run_first_due_by(deadline)) {
    }
    if (take_stop_request()) return;
    if (deadline != std::numeric_limits<u64>::max() && deadline > clock_.monotonic_ns()) {
        clock_.set_monotonic_ns(deadline);
    }
}

usize SimEventLoop::run_until_idle() {
    usize count = 0;
    while (!stop_requested_ && run_first_due_by(std::numeric_limits<u64>::max())) ++count;
    take_stop_request();
    return count;
}

}  // namespace kb::io
