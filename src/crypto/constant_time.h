// Comparison whose running time does not depend on where two buffers differ.
//
// Use it for anything an attacker could probe byte by byte: MAC tags, password hashes,
// key-check values. Equal-length inputs take the same time whatever their contents; the
// lengths themselves are treated as public.
#pragma once

#include "base/bytes.h"

namespace kb::crypto {

// True when a and b hold the same bytes (CRYPTO_memcmp); false, immediately, if their sizes
// differ. Two empty buffers are equal.
bool constant_time_equal(ByteSpan a, ByteSpan b);

}  // namespace kb::crypto
