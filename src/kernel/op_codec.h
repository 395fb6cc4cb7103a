// The binary form of ops (op.h): versioned, deterministic, and safe to decode from any bytes.
//
//     format version u8 = 1 | kind u8 | tenant u64 | principal u64 | body (by kind)
//
// docs/FORMATS.md ("Ops") has every body's layout. Equal ops encode to equal bytes, and decode
// refuses anything encode would not write, so decode(bytes) re-encodes to exactly `bytes`
// (the fuzz target op_fuzz.cc checks it).
#pragma once

#include "base/bytes.h"
#include "kernel/op.h"
#include "kimberlite/status.h"
#include "types/limits.h"

namespace kb::kernel {

inline constexpr u8 kOpFormatVersion = 1;

// Bytes encode_op would produce, computed without building them (so COPY can cut batches
// below the cap, and an oversized op is refused before anything is allocated).
u64 encoded_op_size(const Op& op);

// The op's bytes. out_of_range when they would exceed `size_cap_bytes` (the configured op size
// cap; the edge reports Outcome::op_too_large / SQLSTATE 54000). The message gives both sizes.
Result<Bytes> encode_op(const Op& op, u64 size_cap_bytes = limits::kOpSizeBytesDefault);

// Decodes untrusted bytes (a log payload after unsealing). Never crashes. unsupported for a
// format version other than kOpFormatVersion; corruption, naming the field and byte offset,
// for anything malformed: truncation, an unknown kind or enum value, a bool that is not 0/1,
// bytes after the end, or more than limits::kOpSizeBytesMax bytes.
Result<Op> decode_op(ByteSpan bytes);

}  // namespace kb::kernel
