// xoshiro256** by Blackman and Vigna (public domain algorithm), written from the paper.
#include "base/prng.h"

#include <cstring>

namespace kb {

namespace {
constexpr u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }

u64 splitmix64(u64* state) {
    u64 z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
}  // namespace

Prng::Prng(u64 seed) {
    u64 sm = seed;
    for (u64& word : state_) {
        word = splitmix64(&sm);
    }
}

u64 Prng::next_u64() {
    const u64 result = rotl(state_[1] * 5, 7) * 9;
    const u64 t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
}

u64 Prng::uniform(u64 bound) {
    KB_ASSERT(bound > 0);
    // Lemire: the high half of a 128-bit product is uniform once the low half is outside the
    // short biased zone.
    unsigned __int128 product = static_cast<unsigned __int128>(next_u64()) * bound;
    u64 low = static_cast<u64>(product);
    if (low < bound) {
        const u64 threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = static_cast<unsigned __int128>(next_u64()) * bound;
            low = static_cast<u64>(product);
        }
    }
    return static_cast<u64>(product >> 64);
}

void Prng::fill(std::span<u8> out) {
    usize i = 0;
    while (i + 8 <= out.size()) {
        u64 word = next_u64();
        std::memcpy(out.data() + i, &word, 8);
        i += 8;
    }
    if (i < out.size()) {
        u64 word = next_u64();
        std::memcpy(out.data() + i, &word, out.size() - i);
    }
}

}  // namespace kb
