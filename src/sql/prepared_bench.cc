// Per-execution cost of prepared statements against the same statement sent as text, on a
// simulated node (no fsync: what is measured is the SQL layer — parse, bind, plan, run —
// plus the transaction's begin and commit). The peer comparison with SQLite is sql_bench.cc.
//
//   BM_PreparedPointSelect/{text,prepared}   SELECT b, c FROM t WHERE a = $1 over 1,000 rows
//   BM_PreparedInsert/{text,prepared}        single-row autocommit INSERT of 3 columns
//   BM_PreparedDescribe                      Session::prepare of the point SELECT
#include <benchmark/benchmark.h>

#include <string>

#include "db/engine_test_support.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

constexpr int kRows = 1000;

struct Fixture {
    Fixture() {
        KB_ASSERT(node.open().is_ok());
        session = std::make_unique<Session>(node, node.default_tenant(), db::kAdminPrincipal);
        run("CREATE TABLE t (a int PRIMARY KEY, b text, c bigint)");
        std::string insert = "INSERT INTO t VALUES ";
        for (int i = 0; i < kRows; ++i) {
            if (i > 0) insert += ", ";
            insert += "(" + std::to_string(i) + ", 'name " + std::to_string(i) + "', " +
                      std::to_string(i * 3) + ")";
        }
        run(insert);
    }
    void run(std::string_view sql) {
        for (const auto& result : session->execute(sql)) KB_ASSERT_MSG(result.has_value(), "setup");
    }

    db::testing::SimNode node{7};
    std::unique_ptr<Session> session;
};

void BM_PreparedPointSelect(benchmark::State& state, bool prepared) {
    Fixture fixture;
    auto statement = fixture.session->prepare("SELECT b, c FROM t WHERE a = $1");
    KB_ASSERT(statement.has_value());
    int key = 0;
    for (auto _ : state) {
        key = (key + 7) % kRows;
        if (prepared) {
            const Value parameter[] = {Value::int32(key)};
            auto result = fixture.session->execute_prepared(**statement, parameter);
            KB_ASSERT(result.has_value() && result->rows.size() == 1);
        } else {
            auto results =
                fixture.session->execute("SELECT b, c FROM t WHERE a = " + std::to_string(key));
            KB_ASSERT(results.back().has_value() && results.back()->rows.size() == 1);
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_PreparedPointSelect, text, false);
BENCHMARK_CAPTURE(BM_PreparedPointSelect, prepared, true);

void BM_PreparedInsert(benchmark::State& state, bool prepared) {
    Fixture fixture;
    auto statement = fixture.session->prepare("INSERT INTO t VALUES ($1, $2, $3)");
    KB_ASSERT(statement.has_value());
    int key = kRows;
    for (auto _ : state) {
        ++key;
        if (prepared) {
            const Value parameters[] = {Value::int32(key), Value::text("inserted"),
                                        Value::int64(key)};
            auto result = fixture.session->execute_prepared(**statement, parameters);
            KB_ASSERT(result.has_value());
        } else {
            auto results = fixture.session->execute("INSERT INTO t VALUES (" + std::to_string(key) +
                                                    ", 'inserted', " + std::to_string(key) + ")");
            KB_ASSERT(results.back().has_value());
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_PreparedInsert, text, false);
BENCHMARK_CAPTURE(BM_PreparedInsert, prepared, true);

void BM_PreparedDescribe(benchmark::State& state) {
    Fixture fixture;
    for (auto _ : state) {
        auto statement = fixture.session->prepare("SELECT b, c FROM t WHERE a = $1");
        KB_ASSERT(statement.has_value());
        benchmark::DoNotOptimize(statement);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreparedDescribe);

}  // namespace
}  // namespace kb::sql
