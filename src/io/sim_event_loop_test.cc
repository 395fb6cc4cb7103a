// SimEventLoop tests: FIFO posts, timers in due order, the clock jumping to the next timer, and
// replay: the same schedule always runs in the same order.
#include "io/sim_event_loop.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "base/prng.h"

namespace kb::io {
namespace {

TEST(SimEventLoop, PostsRunInFifoOrderAndNeverInline) {
    ManualClock clock;
    SimEventLoop loop(clock);
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) loop.post([&order, i] { order.push_back(i); });
    EXPECT_TRUE(order.empty());
    EXPECT_EQ(loop.poll(), 5u);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SimEventLoop, TasksPostedByTasksRunAfterThoseAlreadyQueued) {
    ManualClock clock;
    SimEventLoop loop(clock);
    std::vector<int> order;
    loop.post([&] {
        order.push_back(1);
        loop.post([&] { order.push_back(3); });
    });
    loop.post([&] { order.push_back(2); });
    loop.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(SimEventLoop, IdleLoopJumpsTheClockToTheNextTimer) {
    ManualClock clock(1'000);
    SimEventLoop loop(clock);
    std::vector<u64> fired_at;
    loop.schedule_after(500, [&] { fired_at.push_back(clock.monotonic_ns()); });
    loop.schedule_after(100, [&] { fired_at.push_back(clock.monotonic_ns()); });
    EXPECT_EQ(loop.poll(), 0u);  // nothing due yet
    EXPECT_TRUE(loop.run_once());
    EXPECT_EQ(clock.monotonic_ns(), 1'100u);
    EXPECT_TRUE(loop.run_once());
    EXPECT_EQ(fired_at, (std::vector<u64>{1'100, 1'500}));
    EXPECT_FALSE(loop.run_once());  // nothing left
}

TEST(SimEventLoop, EqualDueTimesRunInSubmissionOrder) {
    ManualClock clock;
    SimEventLoop loop(clock);
    std::vector<int> order;
    loop.schedule_after(10, [&] { order.push_back(1); });
    loop.schedule_after(10, [&] { order.push_back(2); });
    loop.schedule_after(5, [&] {
        order.push_back(0);
        loop.schedule_after(5, [&] { order.push_back(3); });  // due at 10 too, submitted last
    });
    loop.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(SimEventLoop, CancelledTimersNeverRun) {
    ManualClock clock;
    SimEventLoop loop(clock);
    int runs = 0;
    TimerId cancelled = loop.schedule_after(10, [&] { runs += 100; });
    TimerId kept = loop.schedule_after(20, [&] { runs += 1; });
    EXPECT_TRUE(loop.cancel(cancelled));
    EXPECT_FALSE(loop.cancel(cancelled));
    EXPECT_EQ(loop.queued(), 1u);
    loop.run_until_idle();
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(loop.cancel(kept));  // already ran
}

TEST(SimEventLoop, RunForRunsOnlyWhatIsDueAndEndsAtTheDeadline) {
    ManualClock clock;
    SimEventLoop loop(clock);
    std::vector<int> order;
    loop.schedule_after(50, [&] { order.push_back(50); });
    loop.schedule_after(150, [&] { order.push_back(150); });
    loop.run_for(100);
    EXPECT_EQ(order, (std::vector<int>{50}));
    EXPECT_EQ(clock.monotonic_ns(), 100u);
    loop.run_for(100);
    EXPECT_EQ(order, (std::vector<int>{50, 150}));
    EXPECT_EQ(clock.monotonic_ns(), 200u);
}

TEST(SimEventLoop, RunUntilStopsWhenThePredicateHoldsOrTimeRunsOut) {
    ManualClock clock;
    SimEventLoop loop(clock);
    int count = 0;
    for (u64 i = 1; i <= 10; ++i) loop.schedule_after(i * 10, [&] { ++count; });
    EXPECT_TRUE(loop.run_until([&] { return count == 3; }));
    EXPECT_EQ(clock.monotonic_ns(), 30u);
    EXPECT_FALSE(loop.run_until([&] { return count == 10; }, 25));
    EXPECT_EQ(count, 5);
    EXPECT_EQ(clock.monotonic_ns(), 55u);
    EXPECT_FALSE(loop.run_until([] { return false; }));  // drains, then gives up
    EXPECT_EQ(count, 10);
}

TEST(SimEventLoop, StopEndsTheRunInProgress) {
    ManualClock clock;
    SimEventLoop loop(clock);
    int count = 0;
    for (int i = 0; i < 5; ++i) {
        loop.post([&] {
            if (++count == 2) loop.stop();
        });
    }
    EXPECT_EQ(loop.run_until_idle(), 2u);
    EXPECT_EQ(loop.run_until_idle(), 3u);  // the stop was consumed; the next run continues
}

// Any schedule runs in (due time, submission order): the property replay relies on.
RC_GTEST_PROP(SimEventLoopProperty, RunsInDueThenSubmissionOrder, (u64 seed)) {
    Prng prng(seed);
    ManualClock clock;
    SimEventLoop loop(clock);
    struct Ran {
        u64 due;
        u64 submitted;
        u64 at;
    };
    std::vector<Ran> ran;
    std::vector<TimerId> timers;
    const u64 count = 1 + prng.uniform(200);
    for (u64 i = 0; i < count; ++i) {
        u64 delay = prng.uniform(5) * 10;  // few distinct times: many ties
        timers.push_back(loop.schedule_after(delay, [&ran, &clock, due = delay, i] {
            ran.push_back({due, i, clock.monotonic_ns()});
        }));
    }
    usize cancelled = 0;
    for (TimerId timer : timers) {
        if (prng.chance(1, 4) && loop.cancel(timer)) ++cancelled;
    }
    loop.run_until_idle();
    RC_ASSERT(ran.size() == count - cancelled);
    for (usize i = 0; i < ran.size(); ++i) {
        RC_ASSERT(ran[i].at == ran[i].due);
        if (i > 0) {
            RC_ASSERT(std::tie(ran[i - 1].due, ran[i - 1].submitted) <
                      std::tie(ran[i].due, ran[i].submitted));
        }
    }
}

}  // namespace
}  // namespace kb::io
