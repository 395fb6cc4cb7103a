// SealingKey: random-nonce AES-256-GCM with a per-key seal bound (see sealer.h).
#include "crypto/sealer.h"

#include <algorithm>

#include "base/assert.h"

namespace kb::crypto {

SealingKey::SealingKey(Key256 key, std::string name, u64 seals_max)
    : key_(std::move(key)), aead_(key_), name_(std::move(name)), seals_max_(seals_max) {
    KB_ASSERT(seals_max_ > 0 && seals_max_ <= limits::kSealsPerKeyMax);
}

SealingKey::~SealingKey() = default;
SealingKey::SealingKey(SealingKey&&) noexcept = default;
SealingKey& SealingKey::operator=(SealingKey&&) noexcept = default;

Result<AeadNonce> SealingKey::draw_nonce(RandomSource& random) {
    if (seal_count_ >= seals_max_) {
        return Status::crypto(name_ + " has made " + std::to_string(seal_count_) +
                              " seals, its limit under random nonces; refusing to seal more "
                              "(a new key is needed)");
    }
    // Counted before use: a nonce drawn is a nonce spent, whatever happens next.
    ++seal_count_;
    AeadNonce nonce;
    random.fill(nonce);
    return nonce;
}

Result<AeadNonce> SealingKey::seal(ByteSpan aad, ByteSpan plaintext, MutableByteSpan out,
                                   RandomSource& random) {
    KB_ASSERT(out.size() == plaintext.size() + kAeadTagSize);
    AeadNonce nonce = KB_TRY(draw_nonce(random));
    aead_.seal(nonce, aad, plaintext, out);
    return nonce;
}

Result<AeadNonce> SealingKey::seal_with_nonce_in_aad(MutableByteSpan aad, usize nonce_offset,
                                                     ByteSpan plaintext, MutableByteSpan out,
                                                     RandomSource& random) {
    KB_ASSERT(out.size() == plaintext.size() + kAeadTagSize);
    KB_ASSERT(nonce_offset + kAeadNonceSize <= aad.size());
    AeadNonce nonce = KB_TRY(draw_nonce(random));
    std::copy(nonce.begin(), nonce.end(), aad.begin() + static_cast<std::ptrdiff_t>(nonce_offset));
    aead_.seal(nonce, aad, plaintext, out);
    return nonce;
}

Status SealingKey::open(const AeadNonce& nonce, ByteSpan aad, ByteSpan sealed,
                        MutableByteSpan out) {
    if (sealed.size() < kAeadTagSize) {
        return Status::corruption("sealed bytes under " + name_ + " are " +
                                  std::to_string(sealed.size()) +
                                  " long, shorter than an authentication tag");
    }
    KB_ASSERT(out.size() == sealed.size() - kAeadTagSize);
    Status status = aead_.open(nonce, aad, sealed, out);
    if (!status.is_ok()) {
        secure_zero(out.data(), out.size());
        return Status::crypto("opening bytes sealed under " + name_ +
                              " failed authentication: wrong key, nonce or associated data, or "
                              "damaged bytes");
    }
    return Status::ok();
}

}  // namespace kb::crypto
