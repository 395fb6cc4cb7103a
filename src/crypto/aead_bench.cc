// AES-256-GCM seal throughput at record sizes (64 B), page sizes (4 KiB) and bulk (1 MiB).
// bench/suites/crypto.py sets these beside `openssl speed -evp aes-256-gcm`.
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace kb::crypto {
namespace {

void size_arguments(benchmark::internal::Benchmark* bench) {
    bench->Arg(64)->Arg(4096)->Arg(1 << 20);
}

// A hot path: one key made ready once, a fresh nonce per seal.
void BM_Aes256GcmSeal(benchmark::State& state) {
    SeededRandom random(1);
    Key256 key = random_secret_key<32>(random);
    Aes256Gcm gcm(key);
    std::vector<u8> plaintext(static_cast<usize>(state.range(0)), 0x5a);
    std::vector<u8> sealed(plaintext.size() + kAeadTagSize);
    AeadNonce nonce{};
    u64 counter = 0;
    for (auto _ : state) {
        ++counter;
        for (usize i = 0; i < 8; ++i) nonce[i] = static_cast<u8>(counter >> (8 * i));
        gcm.seal(nonce, {}, plaintext, sealed);
        benchmark::DoNotOptimize(sealed.data());
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmSeal)->Apply(size_arguments);

// The free function under one key: the per-thread context keeps the key ready.
void BM_Aes256GcmSealFreeFunction(benchmark::State& state) {
    SeededRandom random(2);
    Key256 key = random_secret_key<32>(random);
    std::vector<u8> plaintext(static_cast<usize>(state.range(0)), 0x5a);
    std::vector<u8> sealed(plaintext.size() + kAeadTagSize);
    AeadNonce nonce{};
    u64 counter = 0;
    for (auto _ : state) {
        ++counter;
        for (usize i = 0; i < 8; ++i) nonce[i] = static_cast<u8>(counter >> (8 * i));
        aes256gcm_seal(key, nonce, {}, plaintext, sealed);
        benchmark::DoNotOptimize(sealed.data());
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmSealFreeFunction)->Apply(size_arguments);

// The free function alternating two keys: every call pays the key setup.
void BM_Aes256GcmSealFreeFunctionNewKey(benchmark::State& state) {
    SeededRandom random(4);
    Key256 keys[2] = {random_secret_key<32>(random), random_secret_key<32>(random)};
    std::vector<u8> plaintext(static_cast<usize>(state.range(0)), 0x5a);
    std::vector<u8> sealed(plaintext.size() + kAeadTagSize);
    AeadNonce nonce{};
    u64 counter = 0;
    for (auto _ : state) {
        ++counter;
        for (usize i = 0; i < 8; ++i) nonce[i] = static_cast<u8>(counter >> (8 * i));
        aes256gcm_seal(keys[counter & 1], nonce, {}, plaintext, sealed);
        benchmark::DoNotOptimize(sealed.data());
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmSealFreeFunctionNewKey)->Arg(64)->Arg(4096);

void BM_Aes256GcmOpen(benchmark::State& state) {
    SeededRandom random(3);
    Key256 key = random_secret_key<32>(random);
    Aes256Gcm gcm(key);
    std::vector<u8> plaintext(static_cast<usize>(state.range(0)), 0x5a);
    std::vector<u8> sealed(plaintext.size() + kAeadTagSize);
    AeadNonce nonce = random_nonce(random);
    gcm.seal(nonce, {}, plaintext, sealed);
    for (auto _ : state) {
        Status status = gcm.open(nonce, {}, sealed, plaintext);
        benchmark::DoNotOptimize(status);
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmOpen)->Apply(size_arguments);

}  // namespace
}  // namespace kb::crypto
