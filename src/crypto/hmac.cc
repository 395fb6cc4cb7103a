// HMAC-SHA256 written out from RFC 2104 over our Sha256:
//   HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)),  K' = K zero-padded to the block
// (or H(K), padded, when K is longer than a block).
#include "crypto/hmac.h"

#include <cstring>

namespace kb::crypto {
namespace {

constexpr u8 kInnerPad = 0x36;
constexpr u8 kOuterPad = 0x5c;

// Feeds key_block ^ pad to the hasher; the padded copy is wiped before returning.
void absorb_padded_key(Sha256& hasher, std::span<const u8, kSha256BlockSize> key_block, u8 pad) {
    SecretKey<kSha256BlockSize> padded;
    auto bytes = padded.mutable_bytes();
    for (usize i = 0; i < kSha256BlockSize; ++i) bytes[i] = static_cast<u8>(key_block[i] ^ pad);
    hasher.update(padded.bytes());
}

}  // namespace

HmacSha256::HmacSha256(ByteSpan key) {
    auto block = key_block_.mutable_bytes();
    if (key.size() > kSha256BlockSize) {
        ComplianceHash hashed = sha256(key);
        std::memcpy(block.data(), hashed.bytes().data(), kSha256Size);
        secure_zero(hashed.mutable_bytes().data(), kSha256Size);
    } else if (!key.empty()) {
        std::memcpy(block.data(), key.data(), key.size());
    }
    start_inner();
}

void HmacSha256::start_inner() { absorb_padded_key(inner_, key_block_.bytes(), kInnerPad); }

void HmacSha256::update(ByteSpan data) { inner_.update(data); }

std::array<u8, kHmacSha256Size> HmacSha256::finalize() {
    ComplianceHash inner_digest = inner_.finalize();
    absorb_padded_key(outer_, key_block_.bytes(), kOuterPad);
    outer_.update(inner_digest.bytes());
    ComplianceHash tag = outer_.finalize();
    start_inner();

    std::array<u8, kHmacSha256Size> out;
    std::memcpy(out.data(), tag.bytes().data(), kHmacSha256Size);
    secure_zero(inner_digest.mutable_bytes().data(), kSha256Size);
    secure_zero(tag.mutable_bytes().data(), kSha256Size);
    return out;
}

std::array<u8, kHmacSha256Size> hmac_sha256(ByteSpan key, ByteSpan data) {
    HmacSha256 mac(key);
    mac.update(data);
    return mac.finalize();
}

}  // namespace kb::crypto
