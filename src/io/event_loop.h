// EventLoop: the single-threaded executor the core runs on (DESIGN.md §2.3).
//
// Everything in storage/, store/, kernel/, vsr/ and db/ runs as tasks on one loop thread, so it
// needs no locks. IO completions (from Storage) and, later, network events arrive as tasks on
// the same loop. Two implementations:
//   * AsioEventLoop (asio_event_loop.h): the production loop; post() is thread-safe so IO worker
//     threads and reader threads can hand completions back.
//   * SimEventLoop (sim_event_loop.h): deterministic; time is a ManualClock that jumps to the
//     next timer when nothing is ready, so a seed replays the same task order.
//
// Ordering contract (both implementations): posted tasks run in FIFO order; a timer runs no
// earlier than its delay after schedule_after(); tasks never run inline inside post() or
// schedule_after(), only inside a run_* or poll() call on the loop thread.
#pragma once

#include <functional>
#include <limits>

#include "base/ints.h"
#include "io/clock.h"
#include "io/unique_function.h"
#include "types/strong_int.h"

namespace kb::io {

using Task = UniqueFunction<void()>;

// Names a pending timer; never reused by the loop that issued it. Zero is never issued.
using TimerId = StrongInt<struct TimerIdTag, u64>;

inline constexpr u64 kNoTimeout = std::numeric_limits<u64>::max();

class EventLoop {
public:
    virtual ~EventLoop() = default;

    // The clock timers are measured against.
    virtual const Clock& clock() const = 0;

    // Queues `task` to run on the loop thread after tasks posted before it. Thread-safe only
    // when post_is_thread_safe() says so; otherwise call from the loop thread.
    virtual void post(Task task) = 0;
    virtual bool post_is_thread_safe() const = 0;

    // Runs `task` once, `delay_ns` or later from now. Loop thread only.
    virtual TimerId schedule_after(u64 delay_ns, Task task) = 0;
    // Cancels a pending timer: true if it had not run yet (its task is destroyed unrun), false if
    // it already ran or was cancelled. Loop thread only.
    virtual bool cancel(TimerId timer) = 0;

    // Runs one task, first waiting until one is ready (AsioEventLoop blocks; SimEventLoop moves
    // its clock to the next timer). False when stopped, or (SimEventLoop) when nothing is queued
    // at all.
    virtual bool run_once() = 0;
    // Runs every task that is ready now without waiting; returns how many ran.
    virtual usize poll() = 0;
    // Runs tasks until `predicate()` holds (checked before the first task and after each one).
    // False if the loop was stopped, `timeout_ns` of clock time passed, or (SimEventLoop)
    // nothing is left that could make the predicate true.
    virtual bool run_until(const std::function<bool()>& predicate, u64 timeout_ns = kNoTimeout) = 0;
    // Runs tasks for `duration_ns` of clock time (SimEventLoop: the clock ends exactly there).
    virtual void run_for(u64 duration_ns) = 0;

    // Makes the run_* call in progress return after its current task (or the next run_* call
    // return at once, if none is running). Thread-safe when post_is_thread_safe().
    virtual void stop() = 0;
};

}  // namespace kb::io
