// Key encoding cost per key: every row write encodes its primary key and each index key, and
// every point lookup encodes one. KeyEncode/KeyDecode use a (bigint, text) key, the common
// shape of a composite primary key.
#include <benchmark/benchmark.h>

#include "kernel/key_encoding.h"

namespace kb::kernel {
namespace {

const KeyColumn kColumns[] = {{.type = KeyType::int64}, {.type = KeyType::text}};

void BM_KeyEncode(benchmark::State& state) {
    const KeyValue values[] = {i64{123456789}, std::string("customer-000042")};
    for (auto _ : state) {
        auto key = encode_key(kColumns, values);
        benchmark::DoNotOptimize(key);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_KeyEncode);

void BM_KeyDecode(benchmark::State& state) {
    const KeyValue values[] = {i64{123456789}, std::string("customer-000042")};
    const Bytes key = *encode_key(kColumns, values);
    for (auto _ : state) {
        auto decoded = decode_key(kColumns, key);
        benchmark::DoNotOptimize(decoded);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK(BM_KeyDecode);

}  // namespace
}  // namespace kb::kernel
