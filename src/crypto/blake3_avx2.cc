// BLAKE3 with AVX2 (compiled with -mavx2; called only after a CPU check): hash_many with 8
// inputs per vector, two vectors' worth at a time. Fewer than 8 inputs go to the SSE4.1
// kernel (every AVX2 CPU has SSE4.1). Extendable output likewise, 8 blocks per vector.
#include "crypto/blake3_x86.h"

namespace kb::crypto::blake3_detail {

void avx2_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                    u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                    u8* out) {
    hash_groups<Lanes8, 2>(inputs, count, blocks, key, counter, increment_counter, flags,
                           flags_start, flags_end, out);
    hash_groups<Lanes8>(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                        flags_end, out);
    if (count > 0) {
        sse41_hash_many(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                        flags_end, out);
    }
}

void avx2_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter, u8 flags,
                   u8* out, usize size) {
    xof_groups<Lanes8, 2>(cv, block, block_len, counter, flags, out, size);
    xof_groups<Lanes8>(cv, block, block_len, counter, flags, out, size);
    if (size > 0) sse41_xof_many(cv, block, block_len, counter, flags, out, size);
}

}  // namespace kb::crypto::blake3_detail
