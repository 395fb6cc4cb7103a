// SimEventLoop: a deterministic EventLoop for tests and the simulator.
//
// Every task has a due time on a ManualClock; posted tasks are due now. Tasks run in order of
// (due time, submission order), so equal due times run FIFO and a seed replays the same order.
// When nothing is due, running moves the clock straight to the next due task: a simulated
// second costs nothing. Not thread-safe: in the simulator everything, including readers, runs on
// the loop thread.
#pragma once

#include <map>
#include <utility>

#include "io/clock.h"
#include "io/event_loop.h"

namespace kb::io {

class SimEventLoop final : public EventLoop {
public:
    // `clock` must outlive the loop; the loop is the only thing that should advance it while
    // tasks are queued (moving it by hand is allowed: overdue tasks then run at once).
    explicit SimEventLoop(ManualClock& clock) : clock_(clock) {}

    const Clock& clock() const override { return clock_; }
    ManualClock& manual_clock() { return clock_; }

    void post(Task task) override;
    bool post_is_thread_safe() const override { return false; }
    TimerId schedule_after(u64 delay_ns, Task task) override;
    bool cancel(TimerId timer) override;

    bool run_once() override;
    usize poll() override;
    bool run_until(const std::function<bool()>& predicate, u64 timeout_ns = kNoTimeout) override;
    void run_for(u64 duration_ns) override;
    void stop() override { stop_requested_ = true; }

    // Runs until nothing is queued (or stopped); returns how many tasks ran.
    usize run_until_idle();

    // Tasks and timers queued, cancelled ones excluded.
    usize queued() const { return queue_.size(); }
    // Tasks that have run since construction: a cheap progress counter for traces.
    u64 tasks_run() const { return tasks_run_; }

private:
    using Key = std::pair<u64, u64>;  // (due time ns, sequence)

    Key insert(u64 due_ns, Task task);
    // Runs the first queued task if it is due by `deadline_ns`, moving the clock to its due time.
    bool run_first_due_by(u64 deadline_ns);
    bool take_stop_request();

    ManualClock& clock_;
    std::map<Key, Task> queue_;
    std::map<u64, u64> timer_due_ns_;  // pending timer id (= its sequence) -> due time
    u64 next_sequence_ = 1;
    u64 tasks_run_ = 0;
    bool stop_requested_ = false;
};

}  // namespace kb::io
