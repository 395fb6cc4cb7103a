// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, initial value and final XOR
// 0xFFFFFFFF): the checksum on every log record and store page header, which catches torn
// and corrupted writes before anything is decoded (DESIGN.md §2, "never return corrupt data").
//
// It detects accidents, not attacks: anything an adversary could rewrite is covered by a hash
// chain or an AEAD tag as well. crc32c() uses the SSE4.2 crc32 instruction when the CPU has it
// (checked once at run time; builds carry no -march) and slicing-by-8 tables otherwise. Both
// give identical results.
//
// Every function here takes and returns finished CRC values (already XORed with 0xFFFFFFFF),
// so results chain: crc32c(a || b) == crc32c_extend(crc32c(a), b), and crc32c(x) ==
// crc32c_extend(0, x).
#pragma once

#include "base/bytes.h"
#include "base/ints.h"

namespace kb::crypto {

u32 crc32c(ByteSpan data);

// The CRC of (whatever `crc` is the CRC of) followed by `data`.
u32 crc32c_extend(u32 crc, ByteSpan data);

// The table implementation (slicing-by-8): any x86-64 or other CPU. Same contract as
// crc32c_extend.
u32 crc32c_portable(u32 crc, ByteSpan data);

// The SSE4.2 implementation: three interleaved crc32 streams over large buffers, combined with
// precomputed shift tables. Same contract as crc32c_extend. Only call it when
// crc32c_sse42_supported() (KB_ASSERT).
u32 crc32c_sse42(u32 crc, ByteSpan data);

bool crc32c_sse42_supported();

namespace detail {
// The SSE4.2 kernel over the raw register (no pre/post inversion), in crc32c_sse42.cc. It takes
// plain pointers so that translation unit, compiled with -msse4.2, emits no inline functions
// from shared headers (the linker could otherwise keep its SSE4.2 copy for everyone).
u32 crc32c_sse42_raw(u32 raw, const u8* data, usize size);
}  // namespace detail

}  // namespace kb::crypto
