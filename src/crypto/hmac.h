// HMAC-SHA256 (RFC 2104, FIPS 198-1): keyed message authentication, and the building block
// of HKDF (crypto/hkdf.h).
//
// Keys of any length are accepted; a key longer than the 64-byte SHA-256 block is first
// hashed, as the RFC specifies. The padded key is held as a secret and wiped on destruction.
#pragma once

#include <array>

#include "base/bytes.h"
#include "crypto/secret.h"
#include "crypto/sha256.h"

namespace kb::crypto {

inline constexpr usize kHmacSha256Size = 32;

// An incremental HMAC under one key. Not thread-safe; movable, not copyable.
class HmacSha256 {
public:
    explicit HmacSha256(ByteSpan key);

    void update(ByteSpan data);

    // The tag over everything given since construction or the previous finalize(); the MAC
    // then starts over under the same key.
    std::array<u8, kHmacSha256Size> finalize();

private:
    void start_inner();

    SecretKey<kSha256BlockSize> key_block_;  // the key, zero-padded (or its hash, padded)
    Sha256 inner_;
    Sha256 outer_;
};

std::array<u8, kHmacSha256Size> hmac_sha256(ByteSpan key, ByteSpan data);

}  // namespace kb::crypto
