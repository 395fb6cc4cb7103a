// Conflict check cost at the primary: a window holding the write sets of 100 000 recent
// single-row updates over 1 M keys, and a transaction that read 10 keys and one 100-key
// range (an old snapshot: the window's index answers), and one that began just before the
// newest 0, 1 or 4 ops of 100 keys and read 100 keys (a recent snapshot).
// Record measures what accepting one such op costs (including eviction once full).
#include <benchmark/benchmark.h>

#include "base/prng.h"
#include "kernel/conflict_window.h"

namespace kb::kernel {
namespace {

Bytes key_of(u64 n) {
    Bytes key(8);
    for (usize i = 0; i < 8; ++i) key[i] = static_cast<u8>(n >> (56 - 8 * i));
    return key;
}

constexpr u64 kKeys = 1'000'000;
constexpr u64 kWindowPositions = 100'000;

ConflictWindow full_window(Prng& prng) {
    ConflictWindow window({.positions_max = kWindowPositions}, Position(0));
    for (u64 p = 1; p <= kWindowPositions; ++p) {
        WriteSet writes;
        writes.keys.push_back({.object = ObjectId(1), .key = key_of(prng.uniform(kKeys))});
        window.record(Position(p), TenantId(1), writes);
    }
    return window;
}

void BM_ConflictCheck(benchmark::State& state) {
    Prng prng(1);
    ConflictWindow window = full_window(prng);
    for (auto _ : state) {
        ReadSet reads;
        for (int i = 0; i < 10; ++i) {
            reads.keys.push_back({.object = ObjectId(1), .key = key_of(prng.uniform(kKeys))});
        }
        const u64 start = prng.uniform(kKeys);
        reads.ranges.push_back(
            {.object = ObjectId(1), .start = key_of(start), .end = key_of(start + 100)});
        auto result = window.check(TenantId(1), reads, Position(kWindowPositions / 2));
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_ConflictCheck);

// The common case at the primary: a transaction that began just before the newest ops (the
// argument: how many, 100 keys each) checking the 100 keys its inserts found absent.
void BM_ConflictCheckRecent(benchmark::State& state) {
    Prng prng(3);
    ConflictWindow window = full_window(prng);
    u64 position = kWindowPositions;
    const u64 newer = static_cast<u64>(state.range(0));
    for (u64 op = 0; op < newer; ++op) {
        WriteSet writes;
        for (int k = 0; k < 100; ++k) {
            writes.keys.push_back({.object = ObjectId(1), .key = key_of(prng.uniform(kKeys))});
        }
        window.record(Position(++position), TenantId(1), writes);
    }
    ReadSet reads;
    for (int i = 0; i < 100; ++i) {
        reads.absent_keys.push_back({.object = ObjectId(1), .key = key_of(prng.uniform(kKeys))});
    }
    for (auto _ : state) {
        auto result = window.check(TenantId(1), reads, Position(position - newer));
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_ConflictCheckRecent)->Arg(0)->Arg(1)->Arg(4);

void BM_ConflictRecord(benchmark::State& state) {
    Prng prng(2);
    ConflictWindow window = full_window(prng);
    u64 position = kWindowPositions;
    for (auto _ : state) {
        WriteSet writes;
        writes.keys.push_back({.object = ObjectId(1), .key = key_of(prng.uniform(kKeys))});
        window.record(Position(++position), TenantId(1), writes);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_ConflictRecord);

}  // namespace
}  // namespace kb::kernel
