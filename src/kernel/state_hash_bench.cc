// State hash cost per entry: what apply pays per row version (an insert is one add, an update
// one remove and two adds). StateHashAdd/<entry bytes> against a plain BLAKE3 of the same
// entry shows what the 2 KiB LtHash expansion costs over a 32-byte digest.
#include <benchmark/benchmark.h>

#include "crypto/blake3.h"
#include "kernel/state_hash.h"

namespace kb::kernel {
namespace {

Bytes entry_of(usize size) {
    Bytes entry(size);
    for (usize i = 0; i < size; ++i) entry[i] = static_cast<u8>(i * 31 + 7);
    return entry;
}

void BM_StateHashAdd(benchmark::State& state) {
    const Bytes entry = entry_of(static_cast<usize>(state.range(0)));
    StateHash hash;
    for (auto _ : state) {
        hash.add(entry);
        benchmark::DoNotOptimize(hash);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_StateHashAdd)->Arg(64)->Arg(256)->Arg(4096);

void BM_Blake3SameEntry(benchmark::State& state) {
    const Bytes entry = entry_of(static_cast<usize>(state.range(0)));
    for (auto _ : state) {
        InternalHash digest = crypto::blake3(entry);
        benchmark::DoNotOptimize(digest);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_Blake3SameEntry)->Arg(64)->Arg(256)->Arg(4096);

void BM_StateHashDigest(benchmark::State& state) {
    StateHash hash;
    hash.add(entry_of(100));
    for (auto _ : state) {
        InternalHash digest = hash.digest();
        benchmark::DoNotOptimize(digest);
    }
}
BENCHMARK(BM_StateHashDigest);

}  // namespace
}  // namespace kb::kernel
