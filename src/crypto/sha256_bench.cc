// SHA-256 throughput at record (64 B), page (4 KiB) and bulk (1 MiB) sizes.
// bench/suites/crypto.py sets these beside `openssl speed -evp sha256`.
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/sha256.h"

namespace kb::crypto {
namespace {

void BM_Sha256(benchmark::State& state) {
    std::vector<u8> data(static_cast<usize>(state.range(0)), 0x5a);
    for (auto _ : state) {
        ComplianceHash hash = sha256(data);
        benchmark::DoNotOptimize(hash);
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(4096)->Arg(1 << 20);

// The incremental hasher, reused across messages as the log writer does.
void BM_Sha256Incremental(benchmark::State& state) {
    std::vector<u8> data(static_cast<usize>(state.range(0)), 0x5a);
    Sha256 hasher;
    for (auto _ : state) {
        hasher.update(data);
        ComplianceHash hash = hasher.finalize();
        benchmark::DoNotOptimize(hash);
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256Incremental)->Arg(64)->Arg(4096)->Arg(1 << 20);

}  // namespace
}  // namespace kb::crypto
