// Op codec throughput: the primary encodes every op once, every replica and every replay
// decodes it. OpEncode/OpDecode use a transaction of 100 inserted rows of 100 bytes (a typical
// multi-row INSERT); AppendDecode an append of 100 events of 100 bytes.
#include <benchmark/benchmark.h>

#include "kernel/op_codec.h"

namespace kb::kernel {
namespace {

Op insert_transaction() {
    TransactionOp txn{.snapshot = Position(1000)};
    txn.reads.catalog_version = 3;
    for (u64 i = 0; i < 100; ++i) {
        Bytes key = {1, static_cast<u8>(i >> 8), static_cast<u8>(i)};
        txn.reads.absent_keys.push_back({.object = ObjectId(7), .key = key});
        txn.effects.push_back({.kind = RowEffectKind::insert,
                               .table = TableId(7),
                               .key = key,
                               .row = Bytes(100, 0x61)});
    }
    return {.tenant = TenantId(1), .principal = PrincipalId(1), .body = txn};
}

void BM_OpEncode(benchmark::State& state) {
    const Op op = insert_transaction();
    for (auto _ : state) {
        auto bytes = encode_op(op);
        benchmark::DoNotOptimize(bytes);
    }
    state.SetBytesProcessed(static_cast<i64>(encoded_op_size(op)) * state.iterations());
}
BENCHMARK(BM_OpEncode);

void BM_OpDecode(benchmark::State& state) {
    const Bytes bytes = *encode_op(insert_transaction());
    for (auto _ : state) {
        auto op = decode_op(bytes);
        benchmark::DoNotOptimize(op);
    }
    state.SetBytesProcessed(static_cast<i64>(bytes.size()) * state.iterations());
}
BENCHMARK(BM_OpDecode);

void BM_AppendDecode(benchmark::State& state) {
    AppendBatchOp append{.stream = StreamId(1)};
    append.events.assign(100, Bytes(100, 0x62));
    const Bytes bytes = *encode_op({.tenant = TenantId(1), .body = append});
    for (auto _ : state) {
        auto op = decode_op(bytes);
        benchmark::DoNotOptimize(op);
    }
    state.SetBytesProcessed(static_cast<i64>(bytes.size()) * state.iterations());
}
BENCHMARK(BM_AppendDecode);

}  // namespace
}  // namespace kb::kernel
