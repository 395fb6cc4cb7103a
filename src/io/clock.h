// Clock: the only way code above io/ learns the time (DESIGN.md §2.3).
//
// Two readings, kept apart on purpose: monotonic_ns() for timeouts and durations (never goes
// backwards, meaningless across processes) and realtime() for the wall-clock timestamps the
// primary assigns to ops (may jump when NTP or an operator sets the clock). LinuxClock reads
// the kernel; ManualClock is set by tests and the simulator, so a seed replays identically.
#pragma once

#include "base/ints.h"
#include "types/ids.h"

namespace kb::io {

class Clock {
public:
    virtual ~Clock() = default;

    // Nanoseconds since an unspecified fixed point; non-decreasing between calls.
    virtual u64 monotonic_ns() const = 0;
    // Nanoseconds since the Unix epoch (UTC). May move backwards or jump.
    virtual Timestamp realtime() const = 0;
};

// CLOCK_MONOTONIC and CLOCK_REALTIME. Thread-safe; costs a vDSO call (~20 ns) per reading.
class LinuxClock final : public Clock {
public:
    u64 monotonic_ns() const override;
    Timestamp realtime() const override;
};

// A clock that moves only when told to. Not thread-safe: the simulator drives it from the loop
// thread (SimEventLoop advances it to the next timer when nothing else is ready).
class ManualClock final : public Clock {
public:
    // 2023-11-14T22:13:20Z: an arbitrary but fixed default so traces replay byte for byte.
    static constexpr Timestamp kDefaultRealtimeStart = Timestamp::from_seconds(1'700'000'000);

    explicit ManualClock(u64 monotonic_ns_start = 0,
                         Timestamp realtime_start = kDefaultRealtimeStart);

    u64 monotonic_ns() const override { return monotonic_ns_; }
    Timestamp realtime() const override { return realtime_; }

    // Moves both readings forward by `duration_ns`.
    void advance(u64 duration_ns);
    // Moves monotonic time to `monotonic_ns` (>= the current reading: going back is a programmer
    // error) and realtime forward by the same amount.
    void set_monotonic_ns(u64 monotonic_ns);
    // Jumps the wall clock (forwards or backwards); monotonic time is unaffected. Models an
    // operator or NTP stepping the clock.
    void set_realtime(Timestamp realtime) { realtime_ = realtime; }

private:
    u64 monotonic_ns_;
    Timestamp realtime_;
};

}  // namespace kb::io
