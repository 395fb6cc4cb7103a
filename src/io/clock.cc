// LinuxClock reads the kernel clocks; ManualClock is plain arithmetic.
#include "io/clock.h"

#include <time.h>

#include "base/assert.h"
#include "base/time_units.h"

namespace kb::io {
namespace {

u64 read_clock(clockid_t clock) {
    timespec now{};
    // clock_gettime on these two clocks cannot fail on Linux: a failure means a broken libc.
    KB_ASSERT(clock_gettime(clock, &now) == 0);
    return static_cast<u64>(now.tv_sec) * kNanosPerSecond + static_cast<u64>(now.tv_nsec);
}

}  // namespace

u64 LinuxClock::monotonic_ns() const { return read_clock(CLOCK_MONOTONIC); }

Timestamp LinuxClock::realtime() const { return Timestamp(read_clock(CLOCK_REALTIME)); }

ManualClock::ManualClock(u64 monotonic_ns_start, Timestamp realtime_start)
    : monotonic_ns_(monotonic_ns_start), realtime_(realtime_start) {}

void ManualClock::advance(u64 duration_ns) {
    monotonic_ns_ += duration_ns;
    realtime_ = Timestamp(realtime_.value() + duration_ns);
}

void ManualClock::set_monotonic_ns(u64 monotonic_ns) {
    KB_ASSERT_MSG(monotonic_ns >= monotonic_ns_, "monotonic time must not go backwards");
    advance(monotonic_ns - monotonic_ns_);
}

}  // namespace kb::io
