// The randomness seam: the system source produces fresh bytes, the seeded one replays.
#include "crypto/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <thread>
#include <vector>

namespace kb::crypto {
namespace {

TEST(SystemRandom, FillsWithFreshBytes) {
    std::array<u8, 32> a{}, b{};
    system_random().fill(a);
    system_random().fill(b);
    EXPECT_NE(a, b);  // 2^-256 chance of a false failure
    EXPECT_NE(a, (std::array<u8, 32>{}));
}

TEST(SystemRandom, FillsLargeBuffersCompletely) {
    std::vector<u8> buffer(1 << 20, 0);
    SystemRandom random;
    random.fill(buffer);
    // Every 4 KiB stretch of a real random fill contains a non-zero byte.
    for (usize start = 0; start < buffer.size(); start += 4096) {
        bool nonzero = false;
        for (usize i = start; i < start + 4096; ++i) nonzero |= buffer[i] != 0;
        EXPECT_TRUE(nonzero) << "zero stretch at " << start;
    }
}

// Small draws are served from a per-thread block of RAND_bytes output: no draw may repeat
// another (within a block, across refills, or across threads), as nonces must not.
TEST(SystemRandom, SmallDrawsNeverRepeat) {
    constexpr usize kDraws = 3000;  // 12-byte nonces: many 512-byte blocks, refills mid-draw
    auto draw_many = [](std::vector<std::array<u8, 12>>& out) {
        for (usize i = 0; i < kDraws; ++i) {
            std::array<u8, 12> nonce{};
            system_random().fill(nonce);
            out.push_back(nonce);
        }
    };
    std::vector<std::array<u8, 12>> here, there;
    std::thread other([&] { draw_many(there); });
    draw_many(here);
    other.join();
    std::set<std::array<u8, 12>> distinct(here.begin(), here.end());
    distinct.insert(there.begin(), there.end());
    EXPECT_EQ(distinct.size(), 2 * kDraws);
    // Odd sizes that do not divide the block still come out whole and fresh.
    std::set<std::vector<u8>> odd;
    for (usize i = 0; i < 200; ++i) {
        std::vector<u8> bytes(37, 0);
        system_random().fill(bytes);
        odd.insert(bytes);
    }
    EXPECT_EQ(odd.size(), 200u);
}

TEST(SystemRandom, IsOneProcessWideInstance) { EXPECT_EQ(&system_random(), &system_random()); }

TEST(SeededRandom, SameSeedSameBytes) {
    SeededRandom a(42), b(42), c(43);
    std::array<u8, 64> from_a{}, from_b{}, from_c{};
    a.fill(from_a);
    b.fill(from_b);
    c.fill(from_c);
    EXPECT_EQ(from_a, from_b);
    EXPECT_NE(from_a, from_c);
}

TEST(RandomSecretKey, DrawsFromTheSource) {
    SeededRandom a(7), b(7);
    Key256 first = random_secret_key<32>(a);
    Key256 second = random_secret_key<32>(b);
    EXPECT_FALSE(first.is_zero());
    EXPECT_TRUE(first == second);
    EXPECT_FALSE(random_secret_key<32>(a) == first);
}

TEST(RandomSource, NextU64UsesTheSource) {
    SeededRandom a(9), b(9);
    EXPECT_EQ(a.next_u64(), b.next_u64());
    EXPECT_NE(a.next_u64(), a.next_u64());
}

}  // namespace
}  // namespace kb::crypto
