// Replay from the log: how fast an engine with no store rebuilds its state from a log, which is
// what bounds recovery after a crash and `kmb rebuild`. Each iteration opens an engine over a
// log of N ops whose store was thrown away, so it reads every record (verified against the
// chain), opens its payload (AES-256-GCM), decodes the op and applies it, then checkpoints.
//   * ReplayFromLogAppends/N (and _large): N append ops of one 100-byte event each: ops per second.
//   * ReplayFromLogRowInserts/N: transactions of 10 row inserts each into a table with one
//   secondary
//     index: row versions per second (index entries not counted).
// The log lives on the simulated disk (memory), so no device time is included; the disk's
// simulated latencies cost nothing in wall time.
#include <benchmark/benchmark.h>

#include "db/engine_test_support.h"
#include "kernel/catalog_test_support.h"
#include "kernel/row_codec.h"

namespace kb::db {
namespace {

using testing::SimNode;

// Submits `ops` ops made by `make(i)` with up to 256 in flight.
template <class Make>
void submit_all(SimNode& node, TenantId tenant, u64 ops, Make make) {
    u64 submitted = 0;
    u64 done = 0;
    while (done < ops) {
        while (submitted < ops && submitted - done < 256) {
            node.engine().submit(
                tenant, kAdminPrincipal, make(submitted), [&](Result<SubmitResult> result) {
                    KB_ASSERT(result.has_value() && result->outcome == kernel::Outcome::ok);
                    ++done;
                });
            ++submitted;
        }
        node.loop().run_once();
    }
}

EngineOptions bench_options() {
    EngineOptions options = testing::small_engine_options();
    options.log.segment_capacity_bytes = 64 * 1024 * 1024;
    options.store.cache_bytes = 512 * 1024 * 1024;
    options.checkpoint_every_ops = ~u64{0};  // replay everything
    return options;
}

// Times reopening `node` with its store removed; reports `items` per iteration.
void time_replays(benchmark::State& state, SimNode& node, u64 items) {
    if (!node.close().is_ok()) {
        state.SkipWithError("close failed");
        return;
    }
    for (auto _ : state) {
        state.PauseTiming();
        (void)node.storage().remove("store/pages.kbs");
        (void)node.storage().remove("store/superblock.kbs");
        state.ResumeTiming();
        Status opened = node.open();
        state.PauseTiming();
        if (!opened.is_ok()) {
            state.SkipWithError(opened.to_string().c_str());
            return;
        }
        (void)node.close();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(items));
}

void BM_ReplayFromLogAppends(benchmark::State& state) {
    const u64 ops = static_cast<u64>(state.range(0));
    SimNode node(1, bench_options());
    if (!node.open().is_ok()) return state.SkipWithError("open failed");
    const TenantId tenant = node.default_tenant();
    auto created = node.submit_op(tenant, kernel::CreateStreamOp{.name = "events"});
    const StreamId stream = created->applied.stream;
    const Bytes event(100, 0x5a);
    submit_all(node, tenant, ops, [&](u64) {
        kernel::AppendBatchOp append;
        append.stream = stream;
        append.events.push_back(event);
        return kernel::OpBody(std::move(append));
    });
    time_replays(state, node, ops);
}
BENCHMARK(BM_ReplayFromLogAppends)->Arg(2'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayFromLogAppends)
    ->Name("BM_ReplayFromLogAppends_large")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond);

void BM_ReplayFromLogRowInserts(benchmark::State& state) {
    constexpr u64 kRowsPerTransaction = 10;
    const u64 transactions = static_cast<u64>(state.range(0)) / kRowsPerTransaction;
    SimNode node(2, bench_options());
    if (!node.open().is_ok()) return state.SkipWithError("open failed");
    const TenantId tenant = node.default_tenant();
    kernel::TableSchema table = kernel::testing::simple_table(1, "rows", 2);
    kernel::IndexSchema index;
    index.id = kernel::IndexId(2);
    index.table = table.id;
    index.name = "rows_c2";
    index.columns = {kernel::IndexColumn{.column = kernel::ColumnId(2)}};
    kernel::TransactionOp ddl;
    ddl.snapshot = node.engine().applied_position();
    ddl.ddl.push_back(kernel::CreateTableChange{.schema = table});
    ddl.ddl.push_back(kernel::CreateIndexChange{.schema = index});
    auto created = node.submit_op(tenant, std::move(ddl));
    if (!created || created->outcome != kernel::Outcome::ok) {
        return state.SkipWithError("create table failed");
    }
    kernel::TableKeys keys(table, {});
    submit_all(node, tenant, transactions, [&](u64 t) {
        kernel::TransactionOp op;
        op.snapshot = node.engine().applied_position();
        for (u64 r = 0; r < kRowsPerTransaction; ++r) {
            const i64 id = static_cast<i64>(t * kRowsPerTransaction + r);
            std::vector<kernel::Value> values{kernel::Value::int64(id),
                                              kernel::Value::text("name " + std::to_string(id)),
                                              kernel::Value::text("some payload text")};
            kernel::RowEffect effect;
            effect.kind = kernel::RowEffectKind::insert;
            effect.table = table.id;
            effect.key = *keys.primary_key(values);
            effect.row = kernel::encode_row(table, values);
            op.effects.push_back(std::move(effect));
        }
        return kernel::OpBody(std::move(op));
    });
    time_replays(state, node, transactions * kRowsPerTransaction);
}
BENCHMARK(BM_ReplayFromLogRowInserts)->Arg(2'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayFromLogRowInserts)
    ->Name("BM_ReplayFromLogRowInserts_large")
    ->Arg(200'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kb::db
