#include "base/prng.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace kb {
namespace {

TEST(Prng, SameSeedSameSequence) {
    Prng a(42), b(42), c(43);
    bool differs = false;
    for (int i = 0; i < 1000; ++i) {
        u64 x = a.next_u64();
        EXPECT_EQ(x, b.next_u64());
        differs |= x != c.next_u64();
    }
    EXPECT_TRUE(differs);
}

// Pins the sequence: a seed printed by a failing simulator run must replay identically in
// every later build. If this changes, every recorded seed becomes meaningless.
TEST(Prng, SequenceIsPinned) {
    Prng prng(0);
    // SplitMix64(0) seeds, then xoshiro256**; values computed from the published algorithms.
    std::array<u64, 3> first = {prng.next_u64(), prng.next_u64(), prng.next_u64()};
    Prng again(0);
    for (u64 value : first) EXPECT_EQ(value, again.next_u64());
    EXPECT_EQ(first[0], 0x99ec5f36cb75f2b4ull);
}

TEST(Prng, UniformStaysInBoundsAndCoversThem) {
    Prng prng(7);
    std::vector<int> counts(10, 0);
    for (int i = 0; i < 100000; ++i) {
        u64 x = prng.uniform(10);
        ASSERT_LT(x, 10u);
        counts[x]++;
    }
    for (int count : counts) {
        EXPECT_GT(count, 9000);
        EXPECT_LT(count, 11000);
    }
    for (int i = 0; i < 1000; ++i) {
        u64 x = prng.range_inclusive(5, 7);
        EXPECT_GE(x, 5u);
        EXPECT_LE(x, 7u);
    }
}

TEST(Prng, FillIsDeterministic) {
    Prng a(9), b(9);
    std::array<u8, 13> x{}, y{};
    a.fill(x);
    b.fill(y);
    EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace kb
