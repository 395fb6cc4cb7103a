// x86 SIMD building blocks for BLAKE3, included only by blake3_sse41.cc, blake3_avx2.cc and
// blake3_avx512.cc. Each of those files is compiled with its own instruction-set flags, and
// what this header provides depends on them (__SSE4_1__, __AVX2__, __AVX512F__,
// __AVX512VL__).
//
// Everything is in an anonymous namespace on purpose: each SIMD file must get a private
// copy of this code compiled with its own flags. Shared inline functions would be merged by
// the linker, which could then run an AVX-512 copy on a CPU that only has SSE4.1.
//
// hash_lanes<Ops, kGroups> hashes N independent inputs side by side, vector register i
// holding state word i of all N inputs (N = 4, 8 or 16 per group). Message words are
// transposed on load. This is how many chunks (or many parent nodes) are hashed at once.
// xof_lanes<Ops, kGroups> computes N output blocks of the root node the same way: every
// lane has the same chaining value and message (broadcast, nothing to transpose) and its
// own counter, and the 16 output words are transposed back into one 64-byte block per lane.
//
// There is deliberately no single-block SIMD compression (the state as four row vectors):
// its dependency chain is one vector op after another, and on cores where a vector add
// takes two cycles (AMD Zen 5) it ran at half the speed of the portable scalar code, which
// has four independent G chains to overlap.
#pragma once

#include <immintrin.h>

#include <bit>
#include <cstring>

#include "base/ints.h"
#include "crypto/blake3_impl.h"

static_assert(std::endian::native == std::endian::little, "x86 is little-endian");

// GCC 12 reports its own _mm512_undefined_epi32() inside the rotate and unpack intrinsics
// as (maybe) uninitialized once they are inlined here; the lanes it leaves undefined are all
// replaced.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace kb::crypto::blake3_detail {
namespace {

#define KB_B3_INLINE [[gnu::always_inline]] inline

// How far ahead of the block being hashed each lane prefetches its input: two blocks.
// Measured on 256 MiB inputs: further ahead evicts blocks still in use from L1 (16 or 32
// lanes times the distance must stay well inside it), nearer comes too late.
constexpr usize kPrefetchAhead = 128;

// ---------------------------------------------------------------------------------------
// Lane-parallel kernel, generic over the vector operations.

// The state of kGroups independent groups of Ops::kLanes inputs: word w of group k is
// v[16 * k + w]. Hashing two groups at once gives the core two independent dependency
// chains to interleave; one group alone is bound by the latency of the G chain (vector adds
// take two cycles on some cores) rather than by the vector units. (Interleaving the four G
// functions of a half-round statement by statement as well did not help with 32 AVX-512
// registers and made the 16-register AVX2 and SSE4.1 kernels spill and slow down.)
//
// g<Ops, kGroups, kMessageStride, a, b, c, d, x, y> mixes message words x and y into state
// words a, b, c, d of every group, one step at a time across the groups. Group k's message
// is m + kMessageStride * k: 16 when each group hashes its own inputs, 0 when all groups
// share one message (extendable output).
template <class Ops, usize kGroups, usize kMessageStride, usize a, usize b, usize c, usize d,
          usize x, usize y>
KB_B3_INLINE void g(typename Ops::Vec* v, const typename Ops::Vec* m) {
#define KB_B3_EACH_GROUP(statement)                                            \
    _Pragma("GCC unroll 4") for (usize k = 0; k < kGroups; ++k) {              \
        typename Ops::Vec* s = v + 16 * k;                                     \
        [[maybe_unused]] const typename Ops::Vec* mk = m + kMessageStride * k; \
        statement;                                                             \
    }
    // a + mx first: it does not wait for b, which keeps one add off the critical path.
    KB_B3_EACH_GROUP(s[a] = Ops::add(Ops::add(s[a], mk[x]), s[b]))
    KB_B3_EACH_GROUP(s[d] = Ops::rot16(Ops::xor_(s[d], s[a])))
    KB_B3_EACH_GROUP(s[c] = Ops::add(s[c], s[d]))
    KB_B3_EACH_GROUP(s[b] = Ops::rot12(Ops::xor_(s[b], s[c])))
    KB_B3_EACH_GROUP(s[a] = Ops::add(Ops::add(s[a], mk[y]), s[b]))
    KB_B3_EACH_GROUP(s[d] = Ops::rot8(Ops::xor_(s[d], s[a])))
    KB_B3_EACH_GROUP(s[c] = Ops::add(s[c], s[d]))
    KB_B3_EACH_GROUP(s[b] = Ops::rot7(Ops::xor_(s[b], s[c])))
#undef KB_B3_EACH_GROUP
}

template <class Ops, usize kGroups, usize kMessageStride, usize R>
KB_B3_INLINE void lanes_round(typename Ops::Vec* v, const typename Ops::Vec* m) {
    constexpr auto& s = kSchedule[R];
    constexpr usize kStride = kMessageStride;
    g<Ops, kGroups, kStride, 0, 4, 8, 12, s[0], s[1]>(v, m);
    g<Ops, kGroups, kStride, 1, 5, 9, 13, s[2], s[3]>(v, m);
    g<Ops, kGroups, kStride, 2, 6, 10, 14, s[4], s[5]>(v, m);
    g<Ops, kGroups, kStride, 3, 7, 11, 15, s[6], s[7]>(v, m);
    g<Ops, kGroups, kStride, 0, 5, 10, 15, s[8], s[9]>(v, m);
    g<Ops, kGroups, kStride, 1, 6, 11, 12, s[10], s[11]>(v, m);
    g<Ops, kGroups, kStride, 2, 7, 8, 13, s[12], s[13]>(v, m);
    g<Ops, kGroups, kStride, 3, 4, 9, 14, s[14], s[15]>(v, m);
}

// The seven rounds over kGroups groups of state.
template <class Ops, usize kGroups, usize kMessageStride>
KB_B3_INLINE void lanes_rounds(typename Ops::Vec* v, const typename Ops::Vec* m) {
    lanes_round<Ops, kGroups, kMessageStride, 0>(v, m);
    lanes_round<Ops, kGroups, kMessageStride, 1>(v, m);
    lanes_round<Ops, kGroups, kMessageStride, 2>(v, m);
    lanes_round<Ops, kGroups, kMessageStride, 3>(v, m);
    lanes_round<Ops, kGroups, kMessageStride, 4>(v, m);
    lanes_round<Ops, kGroups, kMessageStride, 5>(v, m);
    lanes_round<Ops, kGroups, kMessageStride, 6>(v, m);
}

// Hashes exactly kGroups * Ops::kLanes inputs (see HashManyFn in blake3_impl.h for the
// contract).
template <class Ops, usize kGroups>
void hash_lanes(const u8* const* inputs, usize blocks, const u32 key[8], u64 counter,
                bool increment_counter, u8 flags, u8 flags_start, u8 flags_end, u8* out) {
    using Vec = typename Ops::Vec;
    constexpr usize kLanes = Ops::kLanes;
    constexpr usize kInputs = kGroups * kLanes;

    alignas(64) u32 counter_low[kInputs];
    alignas(64) u32 counter_high[kInputs];
    for (usize lane = 0; lane < kInputs; ++lane) {
        const u64 lane_counter = counter + (increment_counter ? lane : 0);
        counter_low[lane] = static_cast<u32>(lane_counter);
        counter_high[lane] = static_cast<u32>(lane_counter >> 32);
    }

    Vec h[kGroups * 8];
    for (usize i = 0; i < kGroups * 8; ++i) h[i] = Ops::set1(key[i % 8]);

    for (usize block = 0; block < blocks; ++block) {
        u32 block_flags = flags;
        if (block == 0) block_flags |= flags_start;
        if (block + 1 == blocks) block_flags |= flags_end;

        Vec m[kGroups * 16];
        Vec v[kGroups * 16];
        for (usize k = 0; k < kGroups; ++k) {
            Ops::load_message(inputs + k * kLanes, block * kBlockSize, m + 16 * k);
            for (usize i = 0; i < 8; ++i) v[16 * k + i] = h[8 * k + i];
            for (usize i = 0; i < 4; ++i) v[16 * k + 8 + i] = Ops::set1(kIv[i]);
            v[16 * k + 12] = Ops::load(counter_low + k * kLanes);
            v[16 * k + 13] = Ops::load(counter_high + k * kLanes);
            v[16 * k + 14] = Ops::set1(static_cast<u32>(kBlockSize));
            v[16 * k + 15] = Ops::set1(block_flags);
        }
        lanes_rounds<Ops, kGroups, 16>(v, m);
        for (usize k = 0; k < kGroups; ++k) {
            for (usize i = 0; i < 8; ++i) {
                h[8 * k + i] = Ops::xor_(v[16 * k + i], v[16 * k + i + 8]);
            }
        }
    }

    for (usize k = 0; k < kGroups; ++k) Ops::store_cvs(h + 8 * k, out + k * kLanes * kCvSize);
}

// Hashes as many whole runs of kGroups * Ops::kLanes inputs as there are, advancing the cursor
// arguments past them; the rest are left for a narrower kernel (and the last few for
// portable_hash_many).
template <class Ops, usize kGroups = 1>
void hash_groups(const u8* const*& inputs, usize& count, usize blocks, const u32 key[8],
                 u64& counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                 u8*& out) {
    constexpr usize kInputs = kGroups * Ops::kLanes;
    while (count >= kInputs) {
        hash_lanes<Ops, kGroups>(inputs, blocks, key, counter, increment_counter, flags,
                                 flags_start, flags_end, out);
        inputs += kInputs;
        count -= kInputs;
        if (increment_counter) counter += kInputs;
        out += kInputs * kCvSize;
    }
}

// Writes kGroups * Ops::kLanes whole output blocks, for counters counter, counter + 1, ...,
// to out (see XofManyFn in blake3_impl.h for the contract).
template <class Ops, usize kGroups>
void xof_lanes(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter, u8 flags,
               u8* out) {
    using Vec = typename Ops::Vec;
    constexpr usize kLanes = Ops::kLanes;
    constexpr usize kBlocks = kGroups * kLanes;

    alignas(64) u32 counter_low[kBlocks];
    alignas(64) u32 counter_high[kBlocks];
    for (usize lane = 0; lane < kBlocks; ++lane) {
        counter_low[lane] = static_cast<u32>(counter + lane);
        counter_high[lane] = static_cast<u32>((counter + lane) >> 32);
    }

    // One message for all lanes and groups.
    Vec m[16];
    for (usize i = 0; i < 16; ++i) {
        u32 word;
        std::memcpy(&word, block + 4 * i, sizeof(word));
        m[i] = Ops::set1(word);
    }
    Vec v[kGroups * 16];
    for (usize k = 0; k < kGroups; ++k) {
        for (usize i = 0; i < 8; ++i) v[16 * k + i] = Ops::set1(cv[i]);
        for (usize i = 0; i < 4; ++i) v[16 * k + 8 + i] = Ops::set1(kIv[i]);
        v[16 * k + 12] = Ops::load(counter_low + k * kLanes);
        v[16 * k + 13] = Ops::load(counter_high + k * kLanes);
        v[16 * k + 14] = Ops::set1(block_len);
        v[16 * k + 15] = Ops::set1(flags);
    }
    lanes_rounds<Ops, kGroups, 0>(v, m);
    for (usize k = 0; k < kGroups; ++k) {
        // The full output (specification section 2.2): the first half is the chaining value,
        // the second half feeds the input chaining value forward.
        Vec* s = v + 16 * k;
        for (usize i = 0; i < 8; ++i) {
            const Vec high = s[i + 8];
            s[i] = Ops::xor_(s[i], high);
            s[i + 8] = Ops::xor_(high, Ops::set1(cv[i]));
        }
        Ops::store_blocks(s, out + k * kLanes * kBlockSize);
    }
}

// Writes as many whole runs of kGroups * Ops::kLanes output blocks as `size` holds, advancing
// the cursor arguments past them; the rest is left for a narrower kernel.
template <class Ops, usize kGroups = 1>
void xof_groups(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64& counter, u8 flags,
                u8*& out, usize& size) {
    constexpr usize kBlocks = kGroups * Ops::kLanes;
    while (size >= kBlocks * kBlockSize) {
        xof_lanes<Ops, kGroups>(cv, block, block_len, counter, flags, out);
        counter += kBlocks;
        out += kBlocks * kBlockSize;
        size -= kBlocks * kBlockSize;
    }
}

// Writes the rest of the output: more than one block's worth (at most Ops::kLanes blocks)
// through one Ops kernel into a scratch buffer, one block or less with the portable code.
template <class Ops>
void xof_rest(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter, u8 flags,
              u8* out, usize size) {
    if (size > kBlockSize) {
        alignas(64) u8 scratch[Ops::kLanes * kBlockSize];
        xof_lanes<Ops, 1>(cv, block, block_len, counter, flags, scratch);
        std::memcpy(out, scratch, size);
    } else if (size > 0) {
        portable_xof_many(cv, block, block_len, counter, flags, out, size);
    }
}

// ---------------------------------------------------------------------------------------
// 128-bit vectors: 4 lanes.

#if defined(__SSE4_1__)

KB_B3_INLINE __m128i load_128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
KB_B3_INLINE void store_128(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }

struct Lanes4 {
    using Vec = __m128i;
    static constexpr usize kLanes = 4;
    static Vec set1(u32 x) { return _mm_set1_epi32(static_cast<int>(x)); }
    static Vec add(Vec a, Vec b) { return _mm_add_epi32(a, b); }
    static Vec xor_(Vec a, Vec b) { return _mm_xor_si128(a, b); }
#if defined(__AVX512VL__)
    static Vec rot16(Vec x) { return _mm_ror_epi32(x, 16); }
    static Vec rot12(Vec x) { return _mm_ror_epi32(x, 12); }
    static Vec rot8(Vec x) { return _mm_ror_epi32(x, 8); }
    static Vec rot7(Vec x) { return _mm_ror_epi32(x, 7); }
#else
    // Byte shuffles for the rotations by whole bytes, shifts for the others.
    static Vec rot16(Vec x) {
        return _mm_shuffle_epi8(x,
                                _mm_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2));
    }
    static Vec rot12(Vec x) { return _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20)); }
    static Vec rot8(Vec x) {
        return _mm_shuffle_epi8(x,
                                _mm_set_epi8(12, 15, 14, 13, 8, 11, 10, 9, 4, 7, 6, 5, 0, 3, 2, 1));
    }
    static Vec rot7(Vec x) { return _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25)); }
#endif
    static Vec load(const u32* p) { return load_128(p); }

    // 4x4 transpose of 32-bit words: out[j] holds word j of rows r[0..3].
    KB_B3_INLINE static void transpose(const Vec r[4], Vec out[4]) {
        const Vec a = _mm_unpacklo_epi32(r[0], r[1]);
        const Vec b = _mm_unpacklo_epi32(r[2], r[3]);
        const Vec c = _mm_unpackhi_epi32(r[0], r[1]);
        const Vec d = _mm_unpackhi_epi32(r[2], r[3]);
        out[0] = _mm_unpacklo_epi64(a, b);
        out[1] = _mm_unpackhi_epi64(a, b);
        out[2] = _mm_unpacklo_epi64(c, d);
        out[3] = _mm_unpackhi_epi64(c, d);
    }

    // The 16 output words w[0..15] of each lane as its 64-byte block at out + 64 * lane:
    // the inverse of load_message.
    KB_B3_INLINE static void store_blocks(const Vec* w, u8* out) {
        for (usize quarter = 0; quarter < 4; ++quarter) {
            Vec t[4];
            transpose(w + 4 * quarter, t);
            for (usize lane = 0; lane < 4; ++lane) {
                store_128(out + lane * kBlockSize + 16 * quarter, t[lane]);
            }
        }
    }

    // The inverse of load_message for the 8 chaining-value words: lane i's 32 bytes go to
    // out + 32 * i.
    KB_B3_INLINE static void store_cvs(const Vec* h, u8* out) {
        for (usize half = 0; half < 2; ++half) {
            const Vec* w = h + 4 * half;
            const Vec a = _mm_unpacklo_epi32(w[0], w[1]);
            const Vec b = _mm_unpacklo_epi32(w[2], w[3]);
            const Vec c = _mm_unpackhi_epi32(w[0], w[1]);
            const Vec d = _mm_unpackhi_epi32(w[2], w[3]);
            u8* at = out + 16 * half;
            store_128(at + 0 * kCvSize, _mm_unpacklo_epi64(a, b));
            store_128(at + 1 * kCvSize, _mm_unpackhi_epi64(a, b));
            store_128(at + 2 * kCvSize, _mm_unpacklo_epi64(c, d));
            store_128(at + 3 * kCvSize, _mm_unpackhi_epi64(c, d));
        }
    }

    // m[w] = word w of the block at inputs[lane] + offset, for each of the 4 lanes: four
    // 4x4 transposes.
    KB_B3_INLINE static void load_message(const u8* const* inputs, usize offset, Vec* m) {
        for (usize quarter = 0; quarter < 4; ++quarter) {
            const usize at = offset + 16 * quarter;
            Vec r[4];
            for (usize lane = 0; lane < 4; ++lane) r[lane] = load_128(inputs[lane] + at);
            transpose(r, m + 4 * quarter);
        }
    }
};

#endif  // __SSE4_1__

// ---------------------------------------------------------------------------------------
// 256-bit vectors: 8 lanes.

#if defined(__AVX2__)

KB_B3_INLINE __m256i load_256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
KB_B3_INLINE void store_256(void* p, __m256i v) {
    _mm256_storeu_si256(static_cast<__m256i*>(p), v);
}

struct Lanes8 {
    using Vec = __m256i;
    static constexpr usize kLanes = 8;
    static Vec set1(u32 x) { return _mm256_set1_epi32(static_cast<int>(x)); }
    static Vec add(Vec a, Vec b) { return _mm256_add_epi32(a, b); }
    static Vec xor_(Vec a, Vec b) { return _mm256_xor_si256(a, b); }
#if defined(__AVX512VL__)
    static Vec rot16(Vec x) { return _mm256_ror_epi32(x, 16); }
    static Vec rot12(Vec x) { return _mm256_ror_epi32(x, 12); }
    static Vec rot8(Vec x) { return _mm256_ror_epi32(x, 8); }
    static Vec rot7(Vec x) { return _mm256_ror_epi32(x, 7); }
#else
    static Vec rot16(Vec x) {
        return _mm256_shuffle_epi8(
            x, _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13, 12, 15, 14,
                               9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2));
    }
    static Vec rot12(Vec x) {
        return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
    }
    static Vec rot8(Vec x) {
        return _mm256_shuffle_epi8(
            x, _mm256_set_epi8(12, 15, 14, 13, 8, 11, 10, 9, 4, 7, 6, 5, 0, 3, 2, 1, 12, 15, 14, 13,
                               8, 11, 10, 9, 4, 7, 6, 5, 0, 3, 2, 1));
    }
    static Vec rot7(Vec x) {
        return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
    }
#endif
    static Vec load(const u32* p) { return load_256(p); }

    // 8x8 transpose of 32-bit words: out[j] holds word j of rows r[0..7]. 4x4 transposes
    // inside each 128-bit half of rows 0-3 and of rows 4-7, then the halves are paired up.
    KB_B3_INLINE static void transpose(const Vec r[8], Vec out[8]) {
        Vec u[2][4];
        for (usize group = 0; group < 2; ++group) {
            const Vec* g4 = r + 4 * group;
            const Vec a = _mm256_unpacklo_epi32(g4[0], g4[1]);
            const Vec b = _mm256_unpacklo_epi32(g4[2], g4[3]);
            const Vec c = _mm256_unpackhi_epi32(g4[0], g4[1]);
            const Vec d = _mm256_unpackhi_epi32(g4[2], g4[3]);
            u[group][0] = _mm256_unpacklo_epi64(a, b);
            u[group][1] = _mm256_unpackhi_epi64(a, b);
            u[group][2] = _mm256_unpacklo_epi64(c, d);
            u[group][3] = _mm256_unpackhi_epi64(c, d);
        }
        for (usize j = 0; j < 4; ++j) {
            out[j] = _mm256_permute2x128_si256(u[0][j], u[1][j], 0x20);
            out[4 + j] = _mm256_permute2x128_si256(u[0][j], u[1][j], 0x31);
        }
    }

    // The 16 output words w[0..15] of each lane as its 64-byte block at out + 64 * lane:
    // the inverse of load_message.
    KB_B3_INLINE static void store_blocks(const Vec* w, u8* out) {
        for (usize half = 0; half < 2; ++half) {
            Vec t[8];
            transpose(w + 8 * half, t);
            for (usize lane = 0; lane < 8; ++lane) {
                store_256(out + lane * kBlockSize + 32 * half, t[lane]);
            }
        }
    }

    // The inverse of load_message for the 8 chaining-value words: lane i's 32 bytes go to
    // out + 32 * i. 4x4 transposes inside each 128-bit half give words 0-3 (t) and 4-7 (u)
    // of lane 4 * half + j; pairing the halves gives whole chaining values.
    KB_B3_INLINE static void store_cvs(const Vec* h, u8* out) {
        Vec t[2][4];
        for (usize part = 0; part < 2; ++part) {
            const Vec* w = h + 4 * part;
            const Vec a = _mm256_unpacklo_epi32(w[0], w[1]);
            const Vec b = _mm256_unpacklo_epi32(w[2], w[3]);
            const Vec c = _mm256_unpackhi_epi32(w[0], w[1]);
            const Vec d = _mm256_unpackhi_epi32(w[2], w[3]);
            t[part][0] = _mm256_unpacklo_epi64(a, b);
            t[part][1] = _mm256_unpackhi_epi64(a, b);
            t[part][2] = _mm256_unpacklo_epi64(c, d);
            t[part][3] = _mm256_unpackhi_epi64(c, d);
        }
        for (usize j = 0; j < 4; ++j) {
            store_256(out + j * kCvSize, _mm256_permute2x128_si256(t[0][j], t[1][j], 0x20));
            store_256(out + (4 + j) * kCvSize, _mm256_permute2x128_si256(t[0][j], t[1][j], 0x31));
        }
    }

    // Two 8x8 transposes: words 0-7, then 8-15.
    KB_B3_INLINE static void load_message(const u8* const* inputs, usize offset, Vec* m) {
        for (usize lane = 0; lane < 8; ++lane) {
            _mm_prefetch(reinterpret_cast<const char*>(inputs[lane] + offset + kPrefetchAhead),
                         _MM_HINT_T0);
        }
        for (usize half = 0; half < 2; ++half) {
            const usize at = offset + 32 * half;
            Vec r[8];
            for (usize lane = 0; lane < 8; ++lane) r[lane] = load_256(inputs[lane] + at);
            transpose(r, m + 8 * half);
        }
    }
};

#endif  // __AVX2__

// ---------------------------------------------------------------------------------------
// 512-bit vectors: 16 lanes.

#if defined(__AVX512F__)

struct Lanes16 {
    using Vec = __m512i;
    static constexpr usize kLanes = 16;
    static Vec set1(u32 x) { return _mm512_set1_epi32(static_cast<int>(x)); }
    static Vec add(Vec a, Vec b) { return _mm512_add_epi32(a, b); }
    static Vec xor_(Vec a, Vec b) { return _mm512_xor_si512(a, b); }
    static Vec rot16(Vec x) { return _mm512_ror_epi32(x, 16); }
    static Vec rot8(Vec x) { return _mm512_ror_epi32(x, 8); }
    static Vec rot12(Vec x) { return _mm512_ror_epi32(x, 12); }
    static Vec rot7(Vec x) { return _mm512_ror_epi32(x, 7); }
    static Vec load(const u32* p) { return _mm512_loadu_si512(p); }

    // 16x16 transpose of 32-bit words: out[j] holds word j of rows r[0..15]. 4x4 transposes
    // inside each 128-bit quarter of four groups of four rows, then a 4x4 transpose of the
    // 128-bit quarters.
    KB_B3_INLINE static void transpose(const Vec r[16], Vec out[16]) {
        Vec u[4][4];
        for (usize group = 0; group < 4; ++group) {
            const Vec* g4 = r + 4 * group;
            const Vec a = _mm512_unpacklo_epi32(g4[0], g4[1]);
            const Vec b = _mm512_unpacklo_epi32(g4[2], g4[3]);
            const Vec c = _mm512_unpackhi_epi32(g4[0], g4[1]);
            const Vec d = _mm512_unpackhi_epi32(g4[2], g4[3]);
            // Quarter k of u[group][j] holds word 4k+j of rows 4*group .. 4*group+3.
            u[group][0] = _mm512_unpacklo_epi64(a, b);
            u[group][1] = _mm512_unpackhi_epi64(a, b);
            u[group][2] = _mm512_unpacklo_epi64(c, d);
            u[group][3] = _mm512_unpackhi_epi64(c, d);
        }
        for (usize j = 0; j < 4; ++j) {
            const Vec low01 = _mm512_shuffle_i32x4(u[0][j], u[1][j], _MM_SHUFFLE(1, 0, 1, 0));
            const Vec low23 = _mm512_shuffle_i32x4(u[2][j], u[3][j], _MM_SHUFFLE(1, 0, 1, 0));
            const Vec high01 = _mm512_shuffle_i32x4(u[0][j], u[1][j], _MM_SHUFFLE(3, 2, 3, 2));
            const Vec high23 = _mm512_shuffle_i32x4(u[2][j], u[3][j], _MM_SHUFFLE(3, 2, 3, 2));
            out[j] = _mm512_shuffle_i32x4(low01, low23, _MM_SHUFFLE(2, 0, 2, 0));
            out[4 + j] = _mm512_shuffle_i32x4(low01, low23, _MM_SHUFFLE(3, 1, 3, 1));
            out[8 + j] = _mm512_shuffle_i32x4(high01, high23, _MM_SHUFFLE(2, 0, 2, 0));
            out[12 + j] = _mm512_shuffle_i32x4(high01, high23, _MM_SHUFFLE(3, 1, 3, 1));
        }
    }

    // The 16 output words w[0..15] of each lane as its 64-byte block at out + 64 * lane:
    // the inverse of load_message (a transpose is its own inverse).
    KB_B3_INLINE static void store_blocks(const Vec* w, u8* out) {
        Vec t[16];
        transpose(w, t);
        for (usize lane = 0; lane < 16; ++lane) {
            _mm512_storeu_si512(out + lane * kBlockSize, t[lane]);
        }
    }

    // The inverse of load_message for the 8 chaining-value words: lane i's 32 bytes go to
    // out + 32 * i. 4x4 transposes inside each 128-bit quarter give words 0-3 (t) and 4-7
    // (u) of lane 4 * quarter + j; interleaving their quarters gives whole chaining values,
    // two per 512-bit vector.
    KB_B3_INLINE static void store_cvs(const Vec* h, u8* out) {
        Vec t[2][4];
        for (usize part = 0; part < 2; ++part) {
            const Vec* w = h + 4 * part;
            const Vec a = _mm512_unpacklo_epi32(w[0], w[1]);
            const Vec b = _mm512_unpacklo_epi32(w[2], w[3]);
            const Vec c = _mm512_unpackhi_epi32(w[0], w[1]);
            const Vec d = _mm512_unpackhi_epi32(w[2], w[3]);
            t[part][0] = _mm512_unpacklo_epi64(a, b);
            t[part][1] = _mm512_unpackhi_epi64(a, b);
            t[part][2] = _mm512_unpacklo_epi64(c, d);
            t[part][3] = _mm512_unpackhi_epi64(c, d);
        }
        // 64-bit element indexes into (t, u): quarters 0 and 1 of each, interleaved, and
        // quarters 2 and 3.
        const Vec low = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
        const Vec high = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
        for (usize j = 0; j < 4; ++j) {
            const Vec lanes_0_1 = _mm512_permutex2var_epi64(t[0][j], low, t[1][j]);
            const Vec lanes_2_3 = _mm512_permutex2var_epi64(t[0][j], high, t[1][j]);
            store_256(out + j * kCvSize, _mm512_castsi512_si256(lanes_0_1));
            store_256(out + (4 + j) * kCvSize, _mm512_extracti64x4_epi64(lanes_0_1, 1));
            store_256(out + (8 + j) * kCvSize, _mm512_castsi512_si256(lanes_2_3));
            store_256(out + (12 + j) * kCvSize, _mm512_extracti64x4_epi64(lanes_2_3, 1));
        }
    }

    // A 16x16 transpose of the lanes' blocks.
    KB_B3_INLINE static void load_message(const u8* const* inputs, usize offset, Vec* m) {
        // Sixteen interleaved streams 1 KiB apart defeat the hardware prefetcher when the
        // input comes from memory; ask for the blocks a few steps ahead explicitly.
        for (usize lane = 0; lane < 16; ++lane) {
            _mm_prefetch(reinterpret_cast<const char*>(inputs[lane] + offset + kPrefetchAhead),
                         _MM_HINT_T0);
        }
        Vec r[16];
        for (usize lane = 0; lane < 16; ++lane) r[lane] = _mm512_loadu_si512(inputs[lane] + offset);
        transpose(r, m);
    }
};

#endif  // __AVX512F__

#undef KB_B3_INLINE

}  // namespace
}  // namespace kb::crypto::blake3_detail

#pragma GCC diagnostic pop
