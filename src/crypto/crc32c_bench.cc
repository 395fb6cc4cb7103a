// CRC-32C throughput (SSE4.2 and table paths) over 4 KiB, 1 MiB and 64 MiB, beside memcpy of
// the same buffer into a distinct one as the memory-bandwidth reference. The 64 MiB runs are
// far larger than any cache, so they measure DRAM; "Large" keeps them out of the smoke run.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "base/prng.h"
#include "crypto/crc32c.h"

namespace kb::crypto {
namespace {

std::vector<u8> random_buffer(usize size) {
    std::vector<u8> data(size);
    Prng prng(size);
    prng.fill(data);
    return data;
}

void BM_Crc32cSse42(benchmark::State& state) {
    if (!crc32c_sse42_supported()) {
        state.SkipWithError("no SSE4.2");
        return;
    }
    std::vector<u8> data = random_buffer(static_cast<usize>(state.range(0)));
    for (auto _ : state) {
        u32 crc = crc32c_sse42(0, data);
        benchmark::DoNotOptimize(crc);
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cSse42)->Arg(64)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Crc32cSse42)->Name("BM_Crc32cSse42_Large")->Arg(64 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
    std::vector<u8> data = random_buffer(static_cast<usize>(state.range(0)));
    for (auto _ : state) {
        u32 crc = crc32c_portable(0, data);
        benchmark::DoNotOptimize(crc);
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Crc32cPortable)->Name("BM_Crc32cPortable_Large")->Arg(64 << 20);

void BM_Memcpy(benchmark::State& state) {
    std::vector<u8> source = random_buffer(static_cast<usize>(state.range(0)));
    std::vector<u8> destination(source.size());
    for (auto _ : state) {
        std::memcpy(destination.data(), source.data(), source.size());
        benchmark::DoNotOptimize(destination.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Memcpy)->Name("BM_Memcpy_Large")->Arg(64 << 20);

}  // namespace
}  // namespace kb::crypto
