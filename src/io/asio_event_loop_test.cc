// AsioEventLoop tests: thread-safe post (the path IO completions take), timers, stop.
#include "io/asio_event_loop.h"

#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <atomic>
#include <thread>
#include <vector>

#include "base/time_units.h"

namespace kb::io {
namespace {

constexpr u64 kTimeout = 10 * kNanosPerSecond;

TEST(AsioEventLoop, PostFromAnotherThreadWakesTheLoop) {
    AsioEventLoop loop;
    std::thread::id ran_on;
    bool done = false;
    std::thread poster([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        loop.post([&] {
            ran_on = std::this_thread::get_id();
            done = true;
        });
    });
    EXPECT_TRUE(loop.run_until([&] { return done; }, kTimeout));
    poster.join();
    EXPECT_EQ(ran_on, std::this_thread::get_id());  // tasks run on the loop thread
}

TEST(AsioEventLoop, PostsFromManyThreadsAllRunInPerThreadOrder) {
    AsioEventLoop loop;
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2'000;
    std::vector<std::vector<int>> seen(kThreads);
    int total = 0;
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                loop.post([&, t, i] {
                    seen[static_cast<usize>(t)].push_back(i);
                    ++total;
                });
            }
        });
    }
    EXPECT_TRUE(loop.run_until([&] { return total == kThreads * kPerThread; }, kTimeout));
    for (std::thread& poster : posters) poster.join();
    for (const auto& sequence : seen) {
        ASSERT_EQ(sequence.size(), static_cast<usize>(kPerThread));
        EXPECT_TRUE(std::is_sorted(sequence.begin(), sequence.end()));
    }
}

TEST(AsioEventLoop, TimersFireInDueOrderAndCancelledOnesDoNot) {
    AsioEventLoop loop;
    std::vector<int> order;
    u64 start = loop.clock().monotonic_ns();
    loop.schedule_after(30 * kNanosPerMilli, [&] { order.push_back(30); });
    loop.schedule_after(10 * kNanosPerMilli, [&] { order.push_back(10); });
    TimerId cancelled = loop.schedule_after(20 * kNanosPerMilli, [&] { order.push_back(20); });
    EXPECT_TRUE(loop.cancel(cancelled));
    EXPECT_FALSE(loop.cancel(cancelled));
    EXPECT_TRUE(loop.run_until([&] { return order.size() == 2; }, kTimeout));
    EXPECT_EQ(order, (std::vector<int>{10, 30}));
    EXPECT_GE(loop.clock().monotonic_ns() - start, 30 * kNanosPerMilli);
    loop.run_for(40 * kNanosPerMilli);  // the cancelled timer must not fire late
    EXPECT_EQ(order.size(), 2u);
}

TEST(AsioEventLoop, RunUntilTimesOut) {
    AsioEventLoop loop;
    u64 start = loop.clock().monotonic_ns();
    EXPECT_FALSE(loop.run_until([] { return false; }, 20 * kNanosPerMilli));
    EXPECT_GE(loop.clock().monotonic_ns() - start, 20 * kNanosPerMilli);
}

TEST(AsioEventLoop, StopFromAnotherThreadEndsABlockedRun) {
    AsioEventLoop loop;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        loop.stop();
    });
    EXPECT_FALSE(loop.run_once());  // blocks until stopped
    stopper.join();
    // The loop runs again afterwards.
    bool ran = false;
    loop.post([&] { ran = true; });
    EXPECT_TRUE(loop.run_once());
    EXPECT_TRUE(ran);
}

TEST(AsioEventLoop, HandlersPostedDirectlyOnTheContextShareTheLoop) {
    AsioEventLoop loop;
    bool ran = false;
    asio::post(loop.context(), [&] { ran = true; });
    EXPECT_EQ(loop.poll(), 1u);
    EXPECT_TRUE(ran);
}

TEST(AsioEventLoop, MoveOnlyTasksAreAccepted) {
    AsioEventLoop loop;
    auto owned = std::make_unique<int>(7);
    int seen = 0;
    loop.post([owned = std::move(owned), &seen] { seen = *owned; });
    EXPECT_TRUE(loop.run_until([&] { return seen == 7; }, kTimeout));
}

}  // namespace
}  // namespace kb::io
