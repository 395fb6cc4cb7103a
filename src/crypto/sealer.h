// SealingKey: AES-256-GCM under one data key, with a nonce that cannot repeat by construction.
//
// Every seal draws a fresh random 96-bit nonce and returns it; the caller stores it beside the
// ciphertext (the record or page header). Nothing about the nonce depends on what is sealed or
// where, so re-sealing the same log position after a crash, or sealing again after restoring a
// backup, uses a new nonce — unlike a counter or a position-derived nonce, which would repeat.
//
// Random nonces collide with probability about n^2 / 2^97 after n seals under one key. NIST SP
// 800-38D allows at most 2^-32, i.e. n <= 2^32; a SealingKey refuses to seal once it has sealed
// `seals_max` times (limits::kSealsPerKeyMax = 2^30 by default). The count lives in memory:
// the durable bound comes from what a key covers — a segment key seals only the records of
// limits::kSegmentPositions positions, a page key at most limits::kPagesPerPageKeyMax pages —
// see docs/SECURITY.md, "Nonces".
//
// A SealingKey is not thread-safe: use one from one thread at a time.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"
#include "types/limits.h"

namespace kb::crypto {

class SealingKey {
public:
    // `name` says which key this is in error messages ("tenant 7 segment 3 key"): ids only.
    SealingKey(Key256 key, std::string name, u64 seals_max = limits::kSealsPerKeyMax);
    ~SealingKey();

    SealingKey(const SealingKey&) = delete;
    SealingKey& operator=(const SealingKey&) = delete;
    SealingKey(SealingKey&&) noexcept;
    SealingKey& operator=(SealingKey&&) noexcept;

    // Seals `plaintext` into `out` (exactly plaintext.size() + kAeadTagSize bytes: ciphertext
    // then tag) under a fresh nonce from `random`, authenticating `aad` too, and returns the
    // nonce. Status::crypto once seals_max() seals have been made (then `out` is untouched).
    Result<AeadNonce> seal(ByteSpan aad, ByteSpan plaintext, MutableByteSpan out,
                           RandomSource& random);

    // The same, for formats whose associated data contains the nonce (a log record header
    // authenticates its own nonce field): the fresh nonce is written into
    // aad[nonce_offset, nonce_offset + kAeadNonceSize) before sealing, then returned.
    Result<AeadNonce> seal_with_nonce_in_aad(MutableByteSpan aad, usize nonce_offset,
                                             ByteSpan plaintext, MutableByteSpan out,
                                             RandomSource& random);

    // Opens what seal() made: `sealed` is ciphertext then tag, `out` exactly
    // sealed.size() - kAeadTagSize bytes. corruption when `sealed` is shorter than a tag;
    // Status::crypto when authentication fails (wrong key, nonce or aad, or damaged bytes).
    // On failure `out` is zeroized, so unauthenticated plaintext never escapes.
    Status open(const AeadNonce& nonce, ByteSpan aad, ByteSpan sealed, MutableByteSpan out);

    u64 seal_count() const { return seal_count_; }
    u64 seals_max() const { return seals_max_; }
    const std::string& name() const { return name_; }

private:
    Result<AeadNonce> draw_nonce(RandomSource& random);

    Key256 key_;
    Aes256Gcm aead_;  // initialised once for key_: seals skip the key schedule
    std::string name_;
    u64 seal_count_ = 0;
    u64 seals_max_;
};

}  // namespace kb::crypto
