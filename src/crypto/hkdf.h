// HKDF-SHA256 (RFC 5869): derives keys from keys. Segment keys from a tenant's root key, page
// keys per epoch, the system key from the master key (DESIGN.md §3, "Encryption at rest").
//
// `info` names what a key is for; two derivations with different info give independent keys,
// so every use must have its own info string. The salt may be empty (RFC 5869 then uses 32
// zero bytes, which is what HMAC's zero padding gives anyway).
#pragma once

#include <array>
#include <span>

#include "base/bytes.h"
#include "base/ints.h"

namespace kb::crypto {

// The longest output HKDF-SHA256 can produce: 255 blocks of 32 bytes.
inline constexpr usize kHkdfSha256OutputMax = 255 * 32;

// Extract then expand, filling `out`. out.size() <= kHkdfSha256OutputMax, else KB_ASSERT.
// The intermediate pseudorandom key is wiped before returning.
void hkdf_sha256(ByteSpan input_key_material, ByteSpan salt, ByteSpan info, MutableByteSpan out);

// PRK = HMAC-SHA256(salt, ikm). The result is key material: the caller wipes it.
std::array<u8, 32> hkdf_extract_sha256(ByteSpan salt, ByteSpan ikm);

// OKM = T(1) || T(2) || ... truncated to out.size(), T(i) = HMAC(prk, T(i-1) || info || i).
// out.size() <= kHkdfSha256OutputMax, else KB_ASSERT.
void hkdf_expand_sha256(std::span<const u8, 32> prk, ByteSpan info, MutableByteSpan out);

}  // namespace kb::crypto
