// BLAKE3 with SSE4.1 (compiled with -msse4.1; called only after a CPU check): hash_many
// with 4 inputs per vector, two vectors' worth at a time, and extendable output 4 blocks per
// vector the same way.
#include "crypto/blake3_x86.h"

namespace kb::crypto::blake3_detail {

void sse41_hash_many(const u8* const* inputs, usize count, usize blocks, const u32 key[8],
                     u64 counter, bool increment_counter, u8 flags, u8 flags_start, u8 flags_end,
                     u8* out) {
    hash_groups<Lanes4, 2>(inputs, count, blocks, key, counter, increment_counter, flags,
                           flags_start, flags_end, out);
    hash_groups<Lanes4>(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                        flags_end, out);
    portable_hash_many(inputs, count, blocks, key, counter, increment_counter, flags, flags_start,
                       flags_end, out);
}

void sse41_xof_many(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter,
                    u8 flags, u8* out, usize size) {
    xof_groups<Lanes4, 2>(cv, block, block_len, counter, flags, out, size);
    xof_groups<Lanes4>(cv, block, block_len, counter, flags, out, size);
    xof_rest<Lanes4>(cv, block, block_len, counter, flags, out, size);
}

}  // namespace kb::crypto::blake3_detail
