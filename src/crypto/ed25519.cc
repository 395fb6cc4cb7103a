// Ed25519 over libsodium.
#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstring>

#include "base/assert.h"

namespace kb::crypto {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);
static_assert(crypto_sign_SEEDBYTES == kEd25519SeedSize);
static_assert(crypto_sign_SECRETKEYBYTES == 64);

// sodium_init picks implementations once per process; it is safe to call repeatedly.
void ensure_sodium() {
    static const int rc = sodium_init();
    KB_ASSERT_MSG(rc >= 0, "sodium_init failed");
}

template <usize N>
bool parse_hex(std::string_view hex, std::array<u8, N>* out) {
    Bytes raw;
    if (hex.size() != 2 * N || !kb::from_hex(hex, &raw)) return false;
    std::memcpy(out->data(), raw.data(), N);
    return true;
}

}  // namespace

std::string Ed25519PublicKey::to_hex() const { return kb::to_hex(bytes); }

bool Ed25519PublicKey::from_hex(std::string_view hex, Ed25519PublicKey* out) {
    return parse_hex(hex, &out->bytes);
}

std::string Ed25519Signature::to_hex() const { return kb::to_hex(bytes); }

bool Ed25519Signature::from_hex(std::string_view hex, Ed25519Signature* out) {
    return parse_hex(hex, &out->bytes);
}

Ed25519SigningKey Ed25519SigningKey::from_seed(const SecretKey<kEd25519SeedSize>& seed) {
    ensure_sodium();
    Ed25519SigningKey key;
    key.seed_ = seed.clone();
    KB_ASSERT(crypto_sign_seed_keypair(key.public_key_.bytes.data(),
                                       key.secret_key_.mutable_bytes().data(),
                                       key.seed_.bytes().data()) == 0);
    return key;
}

Ed25519SigningKey Ed25519SigningKey::generate(RandomSource& random) {
    SecretKey<kEd25519SeedSize> seed = random_secret_key<kEd25519SeedSize>(random);
    return from_seed(seed);
}

Ed25519Signature Ed25519SigningKey::sign(ByteSpan message) const {
    Ed25519Signature signature;
    unsigned long long size = 0;
    KB_ASSERT(crypto_sign_detached(signature.bytes.data(), &size, message.data(), message.size(),
                                   secret_key_.bytes().data()) == 0);
    KB_ASSERT(size == kEd25519SignatureSize);
    return signature;
}

Status ed25519_verify(const Ed25519PublicKey& key, ByteSpan message,
                      const Ed25519Signature& signature) {
    ensure_sodium();
    if (crypto_sign_verify_detached(signature.bytes.data(), message.data(), message.size(),
                                    key.bytes.data()) != 0) {
        return Status::crypto("signature verification failed");
    }
    return Status::ok();
}

}  // namespace kb::crypto
