// Ed25519 signatures (RFC 8032) for attestations and digests: a replica signs
// (position, chain hash, timestamp) and anyone holding its public key can check it.
//
// Backed by libsodium (crypto_sign_detached / crypto_sign_verify_detached), which also rejects
// non-canonical encodings and small-order public keys. Public keys and signatures are public
// values: plain structs, printable as hex. A signing key is a secret: it holds the 32-byte
// seed (what a key file persists) and the expanded secret key, both wiped on destruction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"

namespace kb::crypto {

inline constexpr usize kEd25519PublicKeySize = 32;
inline constexpr usize kEd25519SignatureSize = 64;
inline constexpr usize kEd25519SeedSize = 32;

struct Ed25519PublicKey {
    std::array<u8, kEd25519PublicKeySize> bytes{};

    friend bool operator==(const Ed25519PublicKey&, const Ed25519PublicKey&) = default;
    std::string to_hex() const;
    // Parses 64 hex characters; false on anything else (`out` is then unchanged).
    static bool from_hex(std::string_view hex, Ed25519PublicKey* out);
};

struct Ed25519Signature {
    std::array<u8, kEd25519SignatureSize> bytes{};

    friend bool operator==(const Ed25519Signature&, const Ed25519Signature&) = default;
    std::string to_hex() const;
    // Parses 128 hex characters; false on anything else (`out` is then unchanged).
    static bool from_hex(std::string_view hex, Ed25519Signature* out);
};

// A secret signing key. Movable, not copyable; wiped on destruction.
class Ed25519SigningKey {
public:
    // The key pair RFC 8032 derives from this 32-byte seed (deterministic).
    static Ed25519SigningKey from_seed(const SecretKey<kEd25519SeedSize>& seed);
    // A new key pair from a random seed.
    static Ed25519SigningKey generate(RandomSource& random);

    const Ed25519PublicKey& public_key() const { return public_key_; }
    // Deterministic: the same key and message always give the same signature.
    Ed25519Signature sign(ByteSpan message) const;
    // The seed, for persisting to a 0600 key file; from_seed() restores the key.
    const SecretKey<kEd25519SeedSize>& seed() const { return seed_; }

private:
    Ed25519SigningKey() = default;

    SecretKey<kEd25519SeedSize> seed_;
    SecretKey<64> secret_key_;  // libsodium's form: seed || public key
    Ed25519PublicKey public_key_;
};

// Ok if `signature` is `key`'s signature of `message`; Status::crypto("signature verification
// failed") otherwise (a different message, key or signature, or a malformed key).
Status ed25519_verify(const Ed25519PublicKey& key, ByteSpan message,
                      const Ed25519Signature& signature);

}  // namespace kb::crypto
