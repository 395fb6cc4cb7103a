// BLAKE3 with AVX-512F + AVX-512VL (compiled with -mavx512f -mavx512vl; called only after a
// CPU check): hash_many with 16 inputs per zmm vector, two vectors' worth at a time, then
// 8- and 4-wide in ymm/xmm for the remainder, all using the native rotate (vprord).
// Extendable output likewise, 16 blocks per zmm vector.
#include "crypto/blake3_x86.h"

namespace kb::crypto::blake3_detail {

void avx512_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                      u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                      u8* out) {
    hash_groups<Lanes16, 2>(inputs, count, blocks, key, counter, increment_counter, flags,
                            flags_start, flags_end, out);
    hash_groups<Lanes16>(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                         flags_end, out);
    hash_groups<Lanes8>(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                        flags_end, out);
    hash_groups<Lanes4>(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                        flags_end, out);
    portable_hash_many(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                       flags_end, out);
}

void avx512_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                     u8 flags, u8* out, usize size) {
    xof_groups<Lanes16, 2>(cv, block, block_len, counter, flags, out, size);
    xof_groups<Lanes16>(cv, block, block_len, counter, flags, out, size);
    xof_groups<Lanes8>(cv, block, block_len, counter, flags, out, size);
    xof_groups<Lanes4>(cv, block, block_len, counter, flags, out, size);
    xof_rest<Lanes4>(cv, block, block_len, counter, flags, out, size);
}

}  // namespace kb::crypto::blake3_detail
