// The randomness seam: every key and nonce comes from a RandomSource.
//
// Production code uses SystemRandom (the OS CSPRNG through OpenSSL). The simulator and tests
// pass a SeededRandom so a seed replays the same keys and nonces; it is not secure and must
// never be used for real data. Nothing below the seam reads /dev/urandom or calls
// RAND_bytes itself.
#pragma once

#include "base/bytes.h"
#include "base/ints.h"
#include "base/prng.h"
#include "crypto/secret.h"

namespace kb::crypto {

class RandomSource {
public:
    virtual ~RandomSource();

    // Fills `out` entirely. Never fails: a source that cannot produce randomness stops the
    // process (writing data under a predictable key would be worse).
    virtual void fill(MutableByteSpan out) = 0;

    u64 next_u64();
};

// OpenSSL RAND_bytes: the OS entropy pool behind a DRBG. Thread-safe. Draws of up to 64 bytes
// are served from a per-thread block of its output (wiped as it is served), one call per 512
// bytes instead of one per nonce.
class SystemRandom final : public RandomSource {
public:
    void fill(MutableByteSpan out) override;
};

// Deterministic bytes from base/prng.h for the simulator and tests. Not thread-safe.
class SeededRandom final : public RandomSource {
public:
    explicit SeededRandom(u64 seed) : prng_(seed) {}
    void fill(MutableByteSpan out) override;

private:
    Prng prng_;
};

// The process-wide SystemRandom.
RandomSource& system_random();

// A fresh secret key of N random bytes.
template <usize N>
SecretKey<N> random_secret_key(RandomSource& random) {
    SecretKey<N> key;
    random.fill(key.mutable_bytes());
    return key;
}

}  // namespace kb::crypto
