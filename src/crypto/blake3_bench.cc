// BLAKE3 throughput: one-shot hashing of small to medium buffers on every back end the CPU
// supports (Blake3/<backend>/<bytes>), and one large buffer on the automatically chosen
// back end (Blake3Large), which bench/suites/blake3.py compares with `b3sum`; and the
// extendable output: BM_Blake3Xof/<output bytes> on the automatically chosen back end (the
// 2048-byte case is the state hash's per-entry expansion) and BM_Blake3Xof/<backend>/<bytes>
// on each one.
//
// Blake3Large hashes KB_BLAKE3_BENCH_BYTES bytes (default 1 GiB), so the peer suite can ask
// for a small size in quick mode.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/bytes.h"
#include "crypto/blake3.h"

namespace kb::crypto {
namespace {

Bytes patterned(usize size) {
    Bytes data(size);
    for (usize i = 0; i < size; ++i) data[i] = static_cast<u8>((i * 131 + (i >> 12)) & 0xff);
    return data;
}

void hash_buffer(benchmark::State& state, Blake3Backend backend, usize size) {
    const Blake3Backend saved = blake3_backend();
    blake3_set_backend_for_testing(backend);
    const Bytes data = patterned(size);
    for (auto _ : state) {
        InternalHash hash = blake3(data);
        benchmark::DoNotOptimize(hash);
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * static_cast<i64>(size));
    blake3_set_backend_for_testing(saved);
}

usize large_size() {
    const char* env = std::getenv("KB_BLAKE3_BENCH_BYTES");
    if (env != nullptr && *env != '\0') return static_cast<usize>(std::strtoull(env, nullptr, 10));
    return usize{1} << 30;
}

void BM_Blake3Large(benchmark::State& state) {
    const usize size = large_size();
    // Page-aligned, like the file b3sum maps (a 64-byte block that straddles two cache
    // lines costs about 6%), and touched before timing so no page faults are measured.
    constexpr usize kPage = 4096;
    Bytes storage(size + kPage);
    const usize misalignment = reinterpret_cast<std::uintptr_t>(storage.data()) % kPage;
    const MutableByteSpan data(storage.data() + (kPage - misalignment) % kPage, size);
    const Bytes pattern = patterned(std::min(size, kPage));
    for (usize at = 0; at < size; at += pattern.size()) {
        std::memcpy(data.data() + at, pattern.data(), std::min(pattern.size(), size - at));
    }
    for (auto _ : state) {
        InternalHash hash = blake3(data);
        benchmark::DoNotOptimize(hash);
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * static_cast<i64>(size));
    state.SetLabel(std::string(blake3_backend_name(blake3_backend())));
    state.counters["input_bytes"] = static_cast<double>(size);
}
// Wall-clock rate, like the b3sum process it is compared with.
BENCHMARK(BM_Blake3Large)->Unit(benchmark::kMillisecond)->UseRealTime();

// Only the output is timed: a short input is absorbed once, then every iteration squeezes
// `size` bytes from it (finalize leaves the hasher unchanged).
void squeeze(benchmark::State& state, usize size) {
    const Bytes input = patterned(100);
    Blake3 hasher = Blake3::derive_key("kimberlite 2025 blake3 xof benchmark");
    hasher.update(input);
    Bytes out(size);
    for (auto _ : state) {
        hasher.finalize(out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * static_cast<i64>(size));
}

void BM_Blake3Xof(benchmark::State& state) {
    squeeze(state, static_cast<usize>(state.range(0)));
    state.SetLabel(std::string(blake3_backend_name(blake3_backend())));
}
BENCHMARK(BM_Blake3Xof)->Arg(32)->Arg(256)->Arg(2048)->Arg(65536);

const bool kRegistered = [] {
    for (Blake3Backend backend : {Blake3Backend::portable, Blake3Backend::sse41,
                                  Blake3Backend::avx2, Blake3Backend::avx512}) {
        if (!blake3_backend_supported(backend)) continue;
        for (usize size :
             {usize{64}, usize{1} << 10, usize{4} << 10, usize{64} << 10, usize{1} << 20}) {
            const std::string name = "BM_Blake3/" + std::string(blake3_backend_name(backend)) +
                                     "/" + std::to_string(size);
            benchmark::RegisterBenchmark(name.c_str(), [backend, size](benchmark::State& state) {
                hash_buffer(state, backend, size);
            });
        }
        for (usize size : {usize{2048}, usize{65536}}) {
            const std::string name = "BM_Blake3Xof/" + std::string(blake3_backend_name(backend)) +
                                     "/" + std::to_string(size);
            benchmark::RegisterBenchmark(name.c_str(), [backend, size](benchmark::State& state) {
                const Blake3Backend saved = blake3_backend();
                blake3_set_backend_for_testing(backend);
                squeeze(state, size);
                blake3_set_backend_for_testing(saved);
            });
        }
    }
    return true;
}();

}  // namespace
}  // namespace kb::crypto
