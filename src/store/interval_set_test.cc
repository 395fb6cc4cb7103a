// Tests of IntervalSet against a std::set model.
#include "store/interval_set.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "base/prng.h"

namespace kb::store {
namespace {

void expect_equals(const IntervalSet& set, const std::set<u64>& model) {
    ASSERT_EQ(set.size(), model.size());
    std::set<u64> listed;
    u64 previous_end = 0;
    bool first = true;
    for (const PageRun& run : set.runs()) {
        ASSERT_GT(run.count, 0u);
        if (!first) {
            ASSERT_GT(run.start, previous_end);  // disjoint and not touching
        }
        first = false;
        previous_end = run.end();
        for (u64 a = run.start; a < run.end(); ++a) listed.insert(a);
    }
    ASSERT_EQ(listed, model);
}

RC_GTEST_PROP(IntervalSet, MatchesASetModel, (u64 seed)) {
    Prng prng(seed);
    IntervalSet set;
    std::set<u64> model;
    for (int op = 0; op < 200; ++op) {
        const u64 start = 1 + prng.uniform(200);
        const u64 count = 1 + prng.uniform(prng.coin() ? 3 : 20);
        switch (prng.uniform(4)) {
            case 0:
            case 1:
                set.add(start, count);
                for (u64 a = start; a < start + count; ++a) model.insert(a);
                break;
            case 2: {
                auto taken = set.take(count);
                // First fit: the start of the lowest maximal run at least `count` long.
                std::optional<u64> expected;
                for (auto it = model.begin(); it != model.end();) {
                    const u64 run_start = *it;
                    u64 run_end = run_start;
                    while (it != model.end() && *it == run_end) {
                        ++run_end;
                        ++it;
                    }
                    if (run_end - run_start >= count) {
                        expected = run_start;
                        break;
                    }
                }
                RC_ASSERT(taken == expected);
                if (taken) {
                    for (u64 a = *taken; a < *taken + count; ++a) model.erase(a);
                }
                break;
            }
            default:
                set.subtract(start, count);
                for (u64 a = start; a < start + count; ++a) model.erase(a);
                break;
        }
        RC_ASSERT(set.contains(start) == (model.count(start) > 0));
    }
    expect_equals(set, model);
    RC_ASSERT(!::testing::Test::HasFailure());
}

TEST(IntervalSet, RemoveSplitsARun) {
    IntervalSet set;
    set.add(10, 10);
    set.remove(13, 2);
    EXPECT_EQ(set.runs(), (std::vector<PageRun>{{10, 3}, {15, 5}}));
    EXPECT_TRUE(set.intersects(12, 5));
    EXPECT_FALSE(set.intersects(13, 2));
    set.truncate(17);
    EXPECT_EQ(set.runs(), (std::vector<PageRun>{{10, 3}, {15, 2}}));
    EXPECT_EQ(set.size(), 5u);
}

}  // namespace
}  // namespace kb::store
