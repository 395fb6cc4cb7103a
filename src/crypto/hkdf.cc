// HKDF-SHA256 written out from RFC 5869 §2.2 (extract) and §2.3 (expand).
#include "crypto/hkdf.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "crypto/hmac.h"
#include "crypto/secret.h"

namespace kb::crypto {

std::array<u8, 32> hkdf_extract_sha256(ByteSpan salt, ByteSpan ikm) {
    // An empty salt is HMAC's zero-padded empty key: the RFC's "HashLen zeros".
    return hmac_sha256(salt, ikm);
}

void hkdf_expand_sha256(std::span<const u8, 32> prk, ByteSpan info, MutableByteSpan out) {
    KB_ASSERT_MSG(out.size() <= kHkdfSha256OutputMax, "HKDF-SHA256 output over 255 blocks");
    HmacSha256 mac(prk);
    std::array<u8, kHmacSha256Size> block{};
    usize written = 0;
    for (u8 counter = 1; written < out.size(); ++counter) {
        if (counter > 1) mac.update(block);  // T(i-1); T(0) is empty
        mac.update(info);
        mac.update(ByteSpan(&counter, 1));
        block = mac.finalize();
        usize take = std::min(block.size(), out.size() - written);
        std::memcpy(out.data() + written, block.data(), take);
        written += take;
    }
    secure_zero(block.data(), block.size());
}

void hkdf_sha256(ByteSpan input_key_material, ByteSpan salt, ByteSpan info, MutableByteSpan out) {
    KB_ASSERT_MSG(out.size() <= kHkdfSha256OutputMax, "HKDF-SHA256 output over 255 blocks");
    std::array<u8, 32> prk = hkdf_extract_sha256(salt, input_key_material);
    hkdf_expand_sha256(prk, info, out);
    secure_zero(prk.data(), prk.size());
}

}  // namespace kb::crypto
