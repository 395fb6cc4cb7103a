// A seeded, deterministic pseudo-random number generator (xoshiro256**, seeded through
// SplitMix64 as its authors recommend).
//
// Used wherever behaviour must replay from a seed: the simulator, fault injection, property
// tests, and workload generators. Not for keys or nonces (crypto/random.h is the CSPRNG).
// The output sequence for a seed is part of the contract: a seed printed by a failing
// simulator run must replay identically on any machine and any later build.
#pragma once

#include <span>
#include <utility>

#include "base/assert.h"
#include "base/ints.h"

namespace kb {

class Prng {
public:
    explicit Prng(u64 seed);

    u64 next_u64();
    u32 next_u32() { return static_cast<u32>(next_u64() >> 32); }

    // Uniform in [0, bound); bound > 0. Unbiased (Lemire's multiply-and-reject).
    u64 uniform(u64 bound);
    // Uniform in [low, high], inclusive.
    u64 range_inclusive(u64 low, u64 high) {
        KB_ASSERT(low <= high);
        if (high - low == ~u64{0}) return next_u64();
        return low + uniform(high - low + 1);
    }
    // True with probability numerator / denominator.
    bool chance(u64 numerator, u64 denominator) {
        KB_ASSERT(denominator > 0 && numerator <= denominator);
        return uniform(denominator) < numerator;
    }
    bool coin() { return (next_u64() >> 63) != 0; }
    void fill(std::span<u8> out);

    // Shuffles in place (Fisher-Yates), deterministic for the seed.
    template <class T>
    void shuffle(std::span<T> items) {
        for (usize i = items.size(); i > 1; --i) {
            usize j = static_cast<usize>(uniform(i));
            std::swap(items[i - 1], items[j]);
        }
    }

private:
    u64 state_[4];
};

}  // namespace kb
