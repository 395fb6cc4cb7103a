// Portable BLAKE3 compression (specification section 2.2): the back end every CPU can run
// and the reference the SIMD back ends must match bit for bit.
#include <bit>
#include <cstring>

#include "base/endian.h"
#include "crypto/blake3_impl.h"

namespace kb::crypto::blake3_detail {
namespace {

// The quarter-round G mixing two message words into one column or diagonal.
inline void g(u32* v, usize a, usize b, usize c, usize d, u32 mx, u32 my) {
    v[a] = v[a] + v[b] + mx;
    v[d] = std::rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = std::rotr(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + my;
    v[d] = std::rotr(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d];
    v[b] = std::rotr(v[b] ^ v[c], 7);
}

template <usize R>
inline void round(u32* v, const u32* m) {
    constexpr auto& s = kSchedule[R];
    g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
}

// Runs the seven rounds; leaves the 16-word state in v (before the output feed-forward).
inline void compress_state(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                           u8 flags, u32 v[16]) {
    u32 m[16];
    for (usize i = 0; i < 16; ++i) m[i] = load_le_u32(block + 4 * i);
    for (usize i = 0; i < 8; ++i) v[i] = cv[i];
    for (usize i = 0; i < 4; ++i) v[8 + i] = kIv[i];
    v[12] = static_cast<u32>(counter);
    v[13] = static_cast<u32>(counter >> 32);
    v[14] = block_len;
    v[15] = flags;
    round<0>(v, m);
    round<1>(v, m);
    round<2>(v, m);
    round<3>(v, m);
    round<4>(v, m);
    round<5>(v, m);
    round<6>(v, m);
}

}  // namespace

void portable_compress_in_place(u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                                u8 flags) {
    u32 v[16];
    compress_state(cv, block, block_len, counter, flags, v);
    for (usize i = 0; i < 8; ++i) cv[i] = v[i] ^ v[i + 8];
}

void portable_compress_xof(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                           u8 flags, u8 out[kBlockSize]) {
    u32 v[16];
    compress_state(cv, block, block_len, counter, flags, v);
    for (usize i = 0; i < 8; ++i) {
        store_le_u32(out + 4 * i, v[i] ^ v[i + 8]);
        store_le_u32(out + 32 + 4 * i, v[i + 8] ^ cv[i]);
    }
}

void portable_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                        u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                        u8* out) {
    for (usize input = 0; input < count; ++input) {
        u32 cv[8];
        std::memcpy(cv, key, sizeof(cv));
        const u64 input_counter = counter + (increment_counter ? input : 0);
        for (usize block = 0; block < blocks; ++block) {
            u8 block_flags = flags;
            if (block == 0) block_flags |= flags_start;
            if (block + 1 == blocks) block_flags |= flags_end;
            portable_compress_in_place(cv, inputs[input] + block * kBlockSize,
                                       static_cast<u8>(kBlockSize), input_counter, block_flags);
        }
        for (usize i = 0; i < 8; ++i) store_le_u32(out + kCvSize * input + 4 * i, cv[i]);
    }
}

void portable_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                       u8 flags, u8* out, usize size) {
    for (; size >= kBlockSize; size -= kBlockSize, out += kBlockSize, ++counter) {
        portable_compress_xof(cv, block, block_len, counter, flags, out);
    }
    if (size > 0) {
        u8 last[kBlockSize];
        portable_compress_xof(cv, block, block_len, counter, flags, last);
        std::memcpy(out, last, size);
    }
}

}  // namespace kb::crypto::blake3_detail
