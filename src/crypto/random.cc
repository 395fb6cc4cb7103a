// SystemRandom over OpenSSL RAND_bytes; SeededRandom over the project PRNG.
#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "base/assert.h"

namespace kb::crypto {

RandomSource::~RandomSource() = default;

u64 RandomSource::next_u64() {
    u8 raw[8];
    fill(raw);
    u64 value = 0;
    for (u8 byte : raw) value = (value << 8) | byte;
    secure_zero(raw, sizeof(raw));
    return value;
}

void SystemRandom::fill(MutableByteSpan out) {
    // RAND_bytes takes an int length; a single key or nonce is tiny, but honour any size.
    while (!out.empty()) {
        usize chunk = std::min<usize>(out.size(), INT_MAX);
        int rc = RAND_bytes(out.data(), static_cast<int>(chunk));
        KB_ASSERT_MSG(rc == 1, "RAND_bytes failed: no system randomness, cannot make keys");
        out = out.subspan(chunk);
    }
}

void SeededRandom::fill(MutableByteSpan out) { prng_.fill(out); }

RandomSource& system_random() {
    static SystemRandom random;
    return random;
}

}  // namespace kb::crypto
