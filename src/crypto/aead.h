// AES-256-GCM authenticated encryption (NIST SP 800-38D): how payloads and pages are sealed
// at rest (DESIGN.md §3, "Encryption at rest").
//
// Layout of a sealed buffer: ciphertext (same length as the plaintext) followed by the
// 16-byte tag. The 12-byte nonce is not part of it; callers store it in their own header.
// The associated data is authenticated but not encrypted (a record header, say).
//
// A nonce must never repeat under one key: a repeat reveals the XOR of two plaintexts and
// lets an attacker forge tags. Callers take nonces from a RandomSource (random_nonce) or from
// a persisted counter, and bound the number of seals per key (DESIGN.md §3).
//
// Backed by OpenSSL EVP (AES-NI/VAES and carry-less multiply where the CPU has them).
// Aes256Gcm keeps an initialised context per key for hot paths. The free functions use one
// context per thread and direction, allocated once and re-keyed only when the key differs from
// the previous call's, so runs of small seals under one key cost neither allocation nor key
// setup. That context keeps the thread's most recent key (as its key schedule) until the
// thread's next call with another key, or its exit.
#pragma once

#include <array>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX, kept out of this header

namespace kb::crypto {

inline constexpr usize kAeadNonceSize = 12, kAeadTagSize = 16, kAeadKeySize = 32;
using AeadNonce = std::array<u8, kAeadNonceSize>;

// A fresh random nonce. With random nonces, keep each key below 2^32 seals (SP 800-38D §8.3).
AeadNonce random_nonce(RandomSource& random);

// Seals `plaintext` into `out` (ciphertext then tag).
// out.size() must equal plaintext.size() + kAeadTagSize (KB_ASSERT). `out` may start at
// plaintext.data() (in-place) but must not otherwise overlap it.
void aes256gcm_seal(const Key256& key, const AeadNonce& nonce, ByteSpan associated_data,
                    ByteSpan plaintext, MutableByteSpan out);

// Opens `sealed` (ciphertext then tag) into `out`.
// out.size() must equal sealed.size() - kAeadTagSize (KB_ASSERT). Returns
// Status::crypto("authentication failed") if the tag does not verify: wrong key, or a changed
// nonce, associated data, ciphertext or tag. `out` is then zeroed, so unauthenticated
// plaintext is never left behind. invalid_argument if `sealed` is shorter than a tag.
// `out` may start at sealed.data() (in-place) but must not otherwise overlap it.
Status aes256gcm_open(const Key256& key, const AeadNonce& nonce, ByteSpan associated_data,
                      ByteSpan sealed, MutableByteSpan out);

// An AES-256-GCM key made ready once: the key schedule and GHASH tables are computed at
// construction (and on set_key), so each seal/open only sets the nonce. Same semantics and
// contracts as the free functions. Not thread-safe: one object per thread, or a lock.
// Wipes its key schedule on destruction.
class Aes256Gcm {
public:
    explicit Aes256Gcm(const Key256& key);
    ~Aes256Gcm();
    Aes256Gcm(Aes256Gcm&& other) noexcept;
    Aes256Gcm& operator=(Aes256Gcm&& other) noexcept;
    Aes256Gcm(const Aes256Gcm&) = delete;
    Aes256Gcm& operator=(const Aes256Gcm&) = delete;

    // Replaces the key, reusing the contexts (no allocation).
    void set_key(const Key256& key);

    void seal(const AeadNonce& nonce, ByteSpan associated_data, ByteSpan plaintext,
              MutableByteSpan out);
    Status open(const AeadNonce& nonce, ByteSpan associated_data, ByteSpan sealed,
                MutableByteSpan out);

private:
    evp_cipher_ctx_st* encrypt_;
    evp_cipher_ctx_st* decrypt_;
};

}  // namespace kb::crypto
