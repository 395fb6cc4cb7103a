// Clock tests: LinuxClock tracks the kernel clocks; ManualClock moves only when told.
#include "io/clock.h"

#include <gtest/gtest.h>

#include <chrono>

#include "base/time_units.h"

namespace kb::io {
namespace {

TEST(LinuxClock, MonotonicNeverGoesBackwards) {
    LinuxClock clock;
    u64 previous = clock.monotonic_ns();
    for (int i = 0; i < 10'000; ++i) {
        u64 now = clock.monotonic_ns();
        ASSERT_GE(now, previous);
        previous = now;
    }
}

TEST(LinuxClock, RealtimeMatchesTheSystemClock) {
    LinuxClock clock;
    auto system_ns = static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    u64 ours = clock.realtime().value();
    u64 difference = ours > system_ns ? ours - system_ns : system_ns - ours;
    EXPECT_LT(difference, kNanosPerSecond);
}

TEST(ManualClock, StartsWhereToldAndMovesOnlyWhenTold) {
    ManualClock clock(500, Timestamp(1'000'000));
    EXPECT_EQ(clock.monotonic_ns(), 500u);
    EXPECT_EQ(clock.realtime(), Timestamp(1'000'000));
    clock.advance(250);
    EXPECT_EQ(clock.monotonic_ns(), 750u);
    EXPECT_EQ(clock.realtime(), Timestamp(1'000'250));
    clock.set_monotonic_ns(1'000);
    EXPECT_EQ(clock.monotonic_ns(), 1'000u);
    EXPECT_EQ(clock.realtime(), Timestamp(1'000'500));
}

TEST(ManualClock, RealtimeCanJumpWithoutMovingMonotonicTime) {
    ManualClock clock;
    EXPECT_EQ(clock.realtime(), ManualClock::kDefaultRealtimeStart);
    clock.set_realtime(Timestamp::from_seconds(5));
    EXPECT_EQ(clock.realtime(), Timestamp::from_seconds(5));
    EXPECT_EQ(clock.monotonic_ns(), 0u);
}

TEST(ManualClockDeathTest, MonotonicTimeCannotGoBackwards) {
    ManualClock clock(100);
    EXPECT_DEATH(clock.set_monotonic_ns(99), "backwards");
}

}  // namespace
}  // namespace kb::io
