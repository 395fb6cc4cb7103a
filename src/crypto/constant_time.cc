// constant_time_equal over OpenSSL's CRYPTO_memcmp.
#include "crypto/constant_time.h"

#include "crypto/secret.h"

namespace kb::crypto {

bool constant_time_equal(ByteSpan a, ByteSpan b) {
    if (a.size() != b.size()) return false;
    return secure_equal(a.data(), b.data(), a.size());
}

}  // namespace kb::crypto
