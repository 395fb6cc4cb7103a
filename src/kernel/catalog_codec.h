// Deterministic bytes for the whole catalog (catalog.h): every tenant with its streams and
// every version of its tables, indexes and sequences. Layout in docs/FORMATS.md ("Catalog").
//
// Equal catalogs encode to equal bytes on every replica: containers are written in id order,
// and decode refuses anything encode would not have written (ids out of order, an unknown
// enum, trailing bytes), so decode(bytes) re-encodes to exactly `bytes`. Decode reads bytes
// from the store, so it is untrusted: never crashes, returns corruption saying what is wrong,
// unsupported for a format version other than kCatalogFormatVersion.
#pragma once

#include "base/bytes.h"
#include "kernel/catalog.h"
#include "kimberlite/status.h"

namespace kb::kernel {

inline constexpr u8 kCatalogFormatVersion = 1;

Bytes encode_catalog(const Catalog& catalog);
Result<Catalog> decode_catalog(ByteSpan bytes);

}  // namespace kb::kernel
