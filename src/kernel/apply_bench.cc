// Replay benchmarks: Kernel::apply of decoded ops as recovery replays them from the log, with a
// publish every 64 ops (what Engine does once per loop turn) and no log IO: the ops are built
// in memory first, so this measures apply and the store's writer alone. The store lives on the
// simulated disk and is not checkpointed while timed (a checkpoint's sealing and writes are
// the store benchmarks' business). bench/suites/kernel.py runs these against issue 4's targets.
//
//   BM_ReplayAppends/<event bytes>          one tenant, 16 streams in turn, append ops of one
//                                           event each; items = ops (target >= 200k ops/s)
//   BM_ReplayRows/<kind>/<rows per op>      transactions on a table with a secondary index:
//                                           kind 0 inserts new rows, kind 1 updates existing
//                                           rows changing the indexed column (each update ends
//                                           one version and creates one); the counter
//                                           row_versions_per_second is what ApplyResult counts
//                                           (target >= 100k/s)
//   BM_AdmitApplyRows/<rows per op>       what the loop thread does per SQL transaction commit:
//                                           Admission::admit (conflict window, pending rows)
//                                           then apply and publish, of an op inserting new rows
//                                           (each insert's key also in the read set as an
//                                           absent key, as db::Transaction records it); the
//                                           window starts with 1,000 such ops in it
//   BM_SqliteRows/<kind>/<rows per op>      the peer: SQLite applying the same row changes to
//                                           the same table (INTEGER PRIMARY KEY, an index on
//                                           c3), one transaction per op, in an in-memory
//                                           database (no IO on either side)
//
// The kernel and store are rebuilt (outside the timing) every kOpsPerStore ops, so memory holds
// still however long the run.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "base/prng.h"
#include "kernel/admission.h"
#include "kernel/catalog_test_support.h"
#include "kernel/kernel.h"
#include "kernel/row_codec.h"
#include "store/store_test_support.h"

namespace kb::kernel {
namespace {

constexpr usize kOpsPerPublish = 64;
constexpr u64 kOpsPerStore = 400'000;
constexpr u64 kStreams = 16;
const TenantId kTenant(1);

void check(const Status& status, const char* what) {
    if (!status.is_ok()) {
        std::fprintf(stderr, "apply bench: %s: %s\n", what, status.to_string().c_str());
        std::abort();
    }
}

// A kernel over a fresh store on a simulated disk, with one tenant.
struct Machine {
    explicit Machine(u64 seed) : sim(seed), keys(store::testing::make_test_keys()), random(seed) {
        auto opened =
            store::Store::open(*sim.storage, sim.loop, {.cache_bytes = 1ULL << 30}, *keys, random);
        check(opened.status(), "opening the store");
        store = std::move(*opened);
        auto kernel_opened = Kernel::open(*store);
        check(kernel_opened.status(), "opening the kernel");
        kernel = std::move(*kernel_opened);
        apply(Op{.tenant = TenantId(0),
                 .principal = PrincipalId(1),
                 .body = CreateTenantOp{.name = "bench",
                                        .kek = testing::test_wrapped_key(1, 1),
                                        .root_key = testing::test_wrapped_key(2, 2)}});
    }
    ~Machine() {
        kernel.reset();
        store.reset();
    }

    ApplyResult apply(const Op& op) {
        const Position at = kernel->applied().next();
        auto result = kernel->apply(
            op, ApplyContext{at, Timestamp(1000 * at.value()), op.tenant, op.principal});
        check(result.status(), "apply");
        if (result->outcome != Outcome::ok) {
            std::fprintf(stderr, "apply bench: op refused: %s (%s)\n",
                         std::string(outcome_name(result->outcome)).c_str(),
                         result->detail.c_str());
            std::abort();
        }
        return *result;
    }

    store::testing::SimMachine sim;
    std::unique_ptr<store::DerivedPageKeys> keys;
    crypto::SeededRandom random;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<Kernel> kernel;
};

Op tenant_op(OpBody body) {
    return Op{.tenant = kTenant, .principal = PrincipalId(1), .body = std::move(body)};
}

void BM_ReplayAppends(benchmark::State& state) {
    const usize event_bytes = static_cast<usize>(state.range(0));
    std::vector<Op> ops;
    for (u64 i = 0; i < kOpsPerPublish; ++i) {
        Bytes event(event_bytes, static_cast<u8>('a' + i % 26));
        ops.push_back(tenant_op(
            AppendBatchOp{.stream = StreamId(1 + i % kStreams), .events = {std::move(event)}}));
    }
    std::unique_ptr<Machine> machine;
    u64 on_this_store = kOpsPerStore;
    u64 applied = 0;
    for (auto _ : state) {
        if (on_this_store >= kOpsPerStore) {
            state.PauseTiming();
            machine.reset();
            machine = std::make_unique<Machine>(7);
            for (u64 s = 0; s < kStreams; ++s) {
                machine->apply(tenant_op(CreateStreamOp{.name = "s" + std::to_string(s)}));
            }
            on_this_store = 0;
            state.ResumeTiming();
        }
        for (const Op& op : ops) machine->apply(op);
        check(machine->kernel->publish(), "publish");
        on_this_store += ops.size();
        applied += ops.size();
    }
    state.SetItemsProcessed(static_cast<i64>(applied));
    state.SetBytesProcessed(static_cast<i64>(applied * event_bytes));
}
BENCHMARK(BM_ReplayAppends)->Arg(100)->Unit(benchmark::kMicrosecond);

// rows: id bigint primary key, payload text (40 bytes), c3 bigint (indexed, non-unique).
TableSchema rows_table() {
    TableSchema table = testing::simple_table(1, "rows", 1);
    table.columns.push_back(testing::column(3, "c3", SqlType::bigint));
    table.next_column_id = ColumnId(4);
    return table;
}

RowEffect row_effect(const TableKeys& keys, RowEffectKind kind, i64 id, i64 c3) {
    const std::vector<Value> values = {Value::int64(id), Value::text(std::string(40, 'p')),
                                       Value::int64(c3)};
    auto key = keys.primary_key(values);
    check(key.status(), "primary key");
    return {kind, TableId(1), *key, encode_row(keys.table(), values)};
}

void BM_ReplayRows(benchmark::State& state) {
    const bool updates = state.range(0) == 1;
    const i64 rows_per_op = state.range(1);
    const TableSchema table = rows_table();
    const TableKeys keys(table, {});
    const IndexSchema index{.id = IndexId(2),
                            .table = TableId(1),
                            .name = "rows_c3",
                            .columns = {{.column = ColumnId(3)}}};
    // Updates work over a preloaded table of this many rows, in a scrambled order.
    const i64 preloaded = 100'000;
    Prng prng(11);

    std::unique_ptr<Machine> machine;
    u64 on_this_store = kOpsPerStore;
    i64 next_id = 0;
    u64 versions = 0;
    u64 ops_applied = 0;
    std::vector<Op> batch(kOpsPerPublish);
    for (auto _ : state) {
        state.PauseTiming();
        if (on_this_store >= kOpsPerStore / 4) {
            machine.reset();
            machine = std::make_unique<Machine>(9);
            TransactionOp create;
            create.ddl.push_back(CreateTableChange{.schema = table});
            create.ddl.push_back(CreateIndexChange{.schema = index});
            machine->apply(tenant_op(create));
            next_id = 0;
            if (updates) {
                for (i64 done = 0; done < preloaded; done += 1000) {
                    TransactionOp load;
                    for (i64 id = done; id < done + 1000; ++id) {
                        load.effects.push_back(
                            row_effect(keys, RowEffectKind::insert, id, id % 1000));
                    }
                    machine->apply(tenant_op(std::move(load)));
                }
                check(machine->kernel->publish(), "publish");
            }
            on_this_store = 0;
        }
        // The next batch of ops, built outside the timing.
        for (Op& op : batch) {
            TransactionOp txn;
            std::set<i64> ids;  // distinct keys within an op
            while (static_cast<i64>(txn.effects.size()) < rows_per_op) {
                if (updates) {
                    const i64 id = static_cast<i64>(prng.uniform(static_cast<u64>(preloaded)));
                    if (!ids.insert(id).second) continue;
                    const i64 c3 = static_cast<i64>(prng.uniform(1'000'000));
                    txn.effects.push_back(row_effect(keys, RowEffectKind::update, id, c3));
                } else {
                    const i64 id = next_id++;
                    txn.effects.push_back(row_effect(keys, RowEffectKind::insert, id, id % 1000));
                }
            }
            op = tenant_op(std::move(txn));
        }
        state.ResumeTiming();
        for (const Op& op : batch) versions += machine->apply(op).row_versions;
        check(machine->kernel->publish(), "publish");
        on_this_store += batch.size() * static_cast<u64>(rows_per_op);
        ops_applied += batch.size();
    }
    state.SetItemsProcessed(static_cast<i64>(ops_applied));
    state.counters["row_versions_per_second"] =
        benchmark::Counter(static_cast<double>(versions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReplayRows)
    ->ArgNames({"update", "rows"})
    ->Args({0, 10})
    ->Args({1, 10})
    ->Unit(benchmark::kMicrosecond);

// What the loop thread does for each commit of a SQL transaction of `rows` inserts.
void BM_AdmitApplyRows(benchmark::State& state) {
    const i64 rows_per_op = state.range(0);
    const TableSchema table = rows_table();
    const TableKeys keys(table, {});
    const AdminPermissions permissions({PrincipalId(1)});
    Machine machine(13);
    TransactionOp create;
    create.ddl.push_back(CreateTableChange{.schema = table});
    machine.apply(tenant_op(create));
    check(machine.kernel->publish(), "publish");
    Admission admission(*machine.kernel, *machine.store, permissions);
    i64 next_id = 0;
    auto next_op = [&] {
        TransactionOp txn;
        txn.snapshot = machine.kernel->applied();
        for (i64 r = 0; r < rows_per_op; ++r) {
            const i64 id = next_id++;
            txn.effects.push_back(row_effect(keys, RowEffectKind::insert, id, id % 1000));
            txn.reads.absent_keys.push_back(
                KeyRef{.object = object_of(TableId(1)), .key = txn.effects.back().key});
        }
        return std::make_shared<const Op>(tenant_op(std::move(txn)));
    };
    // As Engine::submit does: the op is shared with admission until applied.
    auto commit = [&](std::shared_ptr<const Op> op) {
        const Position at = machine.kernel->applied().next();
        auto admitted = admission.admit(op, at);
        check(admitted.status(), "admit");
        if (!admitted->admitted()) {
            std::fprintf(stderr, "apply bench: not admitted: %s\n", admitted->detail.c_str());
            std::abort();
        }
        machine.apply(*op);
        admission.applied(at);
        check(machine.kernel->publish(), "publish");
    };
    for (int i = 0; i < 1000; ++i) commit(next_op());
    u64 ops = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto op = next_op();
        state.ResumeTiming();
        commit(std::move(op));
        ++ops;
    }
    state.SetItemsProcessed(static_cast<i64>(ops) * rows_per_op);
}
BENCHMARK(BM_AdmitApplyRows)->ArgNames({"rows"})->Arg(100)->Unit(benchmark::kMicrosecond);

void sqlite_exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::fprintf(stderr, "apply bench: sqlite: %s: %s\n", sql, error ? error : "?");
        std::abort();
    }
}

sqlite3_stmt* sqlite_prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "apply bench: sqlite: %s: %s\n", sql, sqlite3_errmsg(db));
        std::abort();
    }
    return statement;
}

void sqlite_step(sqlite3_stmt* statement) {
    if (sqlite3_step(statement) != SQLITE_DONE) {
        std::fprintf(stderr, "apply bench: sqlite step failed\n");
        std::abort();
    }
    sqlite3_reset(statement);
}

// The same rows and changes as BM_ReplayRows, through prepared statements.
void BM_SqliteRows(benchmark::State& state) {
    const bool updates = state.range(0) == 1;
    const i64 rows_per_op = state.range(1);
    const i64 preloaded = 100'000;
    const std::string payload(40, 'p');
    Prng prng(11);

    sqlite3* db = nullptr;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) std::abort();
    sqlite_exec(db, "PRAGMA cache_size=-1048576");
    sqlite_exec(db,
                "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT, c3 INTEGER);"
                "CREATE INDEX rows_c3 ON rows (c3)");
    sqlite3_stmt* insert = sqlite_prepare(db, "INSERT INTO rows VALUES (?, ?, ?)");
    sqlite3_stmt* update =
        sqlite_prepare(db, "UPDATE rows SET payload = ?2, c3 = ?3 WHERE id = ?1");
    sqlite3_stmt* begin = sqlite_prepare(db, "BEGIN");
    sqlite3_stmt* commit = sqlite_prepare(db, "COMMIT");
    auto write = [&](sqlite3_stmt* statement, i64 id, i64 c3) {
        sqlite3_bind_int64(statement, 1, id);
        sqlite3_bind_text(statement, 2, payload.data(), static_cast<int>(payload.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(statement, 3, c3);
        sqlite_step(statement);
    };
    if (updates) {
        sqlite_step(begin);
        for (i64 id = 0; id < preloaded; ++id) write(insert, id, id % 1000);
        sqlite_step(commit);
    }
    i64 next_id = 0;
    u64 versions = 0;
    std::vector<std::pair<i64, i64>> batch;
    for (auto _ : state) {
        state.PauseTiming();
        batch.clear();
        for (usize op = 0; op < kOpsPerPublish; ++op) {
            std::set<i64> ids;
            while (static_cast<i64>(ids.size()) < rows_per_op) {
                if (updates) {
                    const i64 id = static_cast<i64>(prng.uniform(static_cast<u64>(preloaded)));
                    if (!ids.insert(id).second) continue;
                    batch.emplace_back(id, static_cast<i64>(prng.uniform(1'000'000)));
                } else {
                    const i64 id = next_id++;
                    ids.insert(id);
                    batch.emplace_back(id, id % 1000);
                }
            }
        }
        state.ResumeTiming();
        for (usize op = 0; op < kOpsPerPublish; ++op) {
            sqlite_step(begin);
            for (i64 r = 0; r < rows_per_op; ++r) {
                const auto& [id, c3] =
                    batch[op * static_cast<usize>(rows_per_op) + static_cast<usize>(r)];
                write(updates ? update : insert, id, c3);
            }
            sqlite_step(commit);
        }
        // Counted as the kernel counts them: an update ends a version and creates one.
        versions += kOpsPerPublish * static_cast<u64>(rows_per_op) * (updates ? 2 : 1);
    }
    state.counters["row_versions_per_second"] =
        benchmark::Counter(static_cast<double>(versions), benchmark::Counter::kIsRate);
    for (sqlite3_stmt* statement : {insert, update, begin, commit}) sqlite3_finalize(statement);
    sqlite3_close(db);
}
BENCHMARK(BM_SqliteRows)
    ->ArgNames({"update", "rows"})
    ->Args({0, 10})
    ->Args({1, 10})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kb::kernel
