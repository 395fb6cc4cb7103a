// Internals shared by the BLAKE3 hasher (blake3.cc) and its compression back ends
// (blake3_portable.cc, blake3_sse41.cc, blake3_avx2.cc, blake3_avx512.cc). Not for use
// outside src/crypto: callers use crypto/blake3.h.
//
// Everything here is constants and plain declarations, so it is safe to include from the
// files compiled with SIMD flags (no inline code that the linker could pick from a SIMD
// translation unit and run on a CPU without that instruction set).
#pragma once

#include <array>

#include "base/ints.h"

namespace kb::crypto::blake3_detail {

inline constexpr usize kBlockSize = 64;
inline constexpr usize kChunkSize = 1024;
inline constexpr usize kBlocksPerChunk = kChunkSize / kBlockSize;
inline constexpr usize kCvSize = 32;

// Domain flags of the specification (section 2.1), ORed into state word 15.
inline constexpr u8 kChunkStart = 1 << 0;
inline constexpr u8 kChunkEnd = 1 << 1;
inline constexpr u8 kParent = 1 << 2;
inline constexpr u8 kRoot = 1 << 3;
inline constexpr u8 kKeyedHash = 1 << 4;
inline constexpr u8 kDeriveKeyContext = 1 << 5;
inline constexpr u8 kDeriveKeyMaterial = 1 << 6;

// The initialisation vector (the SHA-256 IV); also the key of the unkeyed modes.
inline constexpr u32 kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                               0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

// The message word permutation applied between rounds.
inline constexpr u8 kPermutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

inline constexpr usize kRounds = 7;

// kSchedule[r][i] is the index of the original message word that round r uses as word i:
// the permutation applied r times. Back ends index the unpermuted message with it instead
// of shuffling words between rounds.
inline constexpr std::array<std::array<u8, 16>, kRounds> kSchedule = [] {
    std::array<std::array<u8, 16>, kRounds> schedule{};
    for (u8 i = 0; i < 16; ++i) schedule[0][i] = i;
    for (usize round = 1; round < kRounds; ++round) {
        for (usize i = 0; i < 16; ++i) {
            schedule[round][i] = schedule[round - 1][kPermutation[i]];
        }
    }
    return schedule;
}();

// portable_compress_in_place compresses one block into the chaining value `cv` (8 words,
// updated in place): the first half of the output, which is all that chunk chaining and
// parent nodes need. portable_compress_xof writes the full 64-byte output (both halves,
// little-endian), as the root node does for extendable output.
//
// Hashes `count` independent inputs of `blocks` full 64-byte blocks each, all starting from
// chaining value `key`, and writes each input's 32-byte chaining value to out + 32 * i.
// Input i uses counter `counter + i` when `increment_counter` (chunks) and `counter`
// otherwise (parents). Every block gets `flags`; the first also `flags_start` and the last
// also `flags_end`. A chunk is 16 blocks with CHUNK_START/CHUNK_END; a parent node is one
// block (two child chaining values) with PARENT in `flags`. `out` must not overlap inputs.
using HashManyFn = void (*)(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                            u64 counter, bool increment_counter, u8 flags, u8 flags_start,
                            u8 flags_end, u8* out);

// Writes the first `size` bytes of the extendable output that starts at output block
// `counter`: output block i is the full 64-byte output (both halves, as
// portable_compress_xof writes it) of compressing `block` into chaining value `cv` with
// counter `counter + i` and `flags` (which carry ROOT: these are the root node's output
// blocks, specification section 2.6). Every output block is an independent compression of
// the same node, so the SIMD back ends put one counter in each lane. `size` need not be a
// multiple of the block size; nothing past out + size is written.
using XofManyFn = void (*)(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                           u8 flags, u8* out, usize size);

// Portable C++ (blake3_portable.cc): runs everywhere and is the reference for the others.
// Every back end uses these single-block functions for sequential work (a chunk being
// filled, parent merges on the stack, the root, and output of a single block).
void portable_compress_in_place(u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                                u8 flags);
void portable_compress_xof(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                           u8 flags, u8 out[kBlockSize]);
void portable_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                        u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                        u8* out);
void portable_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                       u8 flags, u8* out, usize size);

// SIMD hash_many back ends, each for any count: whole groups of inputs go through the
// vector kernel (blake3_x86.h), the rest through a narrower one. Only call one when the CPU
// has its instruction set.
//   SSE4.1 (blake3_sse41.cc): 4 inputs per vector, 8 at a time.
//   AVX2 (blake3_avx2.cc): 8 inputs per vector, 16 at a time; then SSE4.1.
//   AVX-512F + VL (blake3_avx512.cc): 16 inputs per zmm vector, 32 at a time; then 8 and 4
//   in ymm/xmm, all with the native rotate instruction.
void sse41_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                     u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                     u8* out);
void avx2_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                    u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                    u8* out);
void avx512_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                      u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                      u8* out);

// SIMD xof_many back ends, each for any size, with the same lane widths as the hash_many
// ones: whole groups of output blocks are written straight to `out`, widest kernel first;
// a remainder of more than one block runs through a 4-lane kernel into a scratch buffer
// (so a partial last block costs nothing extra), and a single remaining block runs the
// portable code.
void sse41_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                    u8 flags, u8* out, usize size);
void avx2_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter, u8 flags,
                   u8* out, usize size);
void avx512_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                     u8 flags, u8* out, usize size);

}  // namespace kb::crypto::blake3_detail
