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

namespace {

// Small draws (nonces, keys) come from a per-thread block of RAND_bytes output: one RAND_bytes
// call costs about as much as sealing a small record (OpenSSL's DRBG locks and dispatches per
// call), and every logged record draws a nonce. Served bytes are wiped from the block.
constexpr usize kBlockBytes = 512;
constexpr usize kSmallDrawMax = 64;

struct RandomBlock {
    u8 bytes[kBlockBytes];
    usize used = kBlockBytes;  // bytes[used..] not yet served

    ~RandomBlock() { secure_zero(bytes, sizeof(bytes)); }
};

void fill_from_openssl(MutableByteSpan out) {
    // RAND_bytes takes an int length; a single key or nonce is tiny, but honour any size.
    while (!out.empty()) {
        usize chunk = std::min<usize>(out.size(), INT_MAX);
        int rc = RAND_bytes(out.data(), static_cast<int>(chunk));
        KB_ASSERT_MSG(rc == 1, "RAND_bytes failed: no system randomness, cannot make keys");
        out = out.subspan(chunk);
    }
}

}  // namespace

void SystemRandom::fill(MutableByteSpan out) {
    if (out.size() > kSmallDrawMax) {
        fill_from_openssl(out);
        return;
    }
    thread_local RandomBlock block;
    if (kBlockBytes - block.used < out.size()) {
        fill_from_openssl(MutableByteSpan(block.bytes, kBlockBytes));
        block.used = 0;
    }
    u8* served = block.bytes + block.used;
    std::copy(served, served + out.size(), out.begin());
    secure_zero(served, out.size());
    block.used += out.size();
}

void SeededRandom::fill(MutableByteSpan out) { prng_.fill(out); }

RandomSource& system_random() {
    static SystemRandom random;
    return random;
}

}  // namespace kb::crypto
