// State hash cost per entry: what apply pays per row version (an insert is one add, an update
// one remove and two adds). StateHashAdd/<entry bytes> against a plain BLAKE3 of the same
// entry shows what the 2 KiB LtHash expansion costs over a 32-byte digest. EventsDigest/<events>
// is what an append's apply adds besides its one entry: the digest of its events (100 bytes
// each) that the events tree records (kernel_trees.h).
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/blake3.h"
#include "kernel/kernel_trees.h"
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

void BM_EventsDigest(benchmark::State& state) {
    const std::vector<Bytes> events(static_cast<usize>(state.range(0)), entry_of(100));
    for (auto _ : state) benchmark::DoNotOptimize(trees::events_digest(events));
    state.SetItemsProcessed(static_cast<i64>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EventsDigest)->Arg(1)->Arg(100);

}  // namespace
}  // namespace kb::kernel
