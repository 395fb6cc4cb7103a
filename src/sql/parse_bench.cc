// What parsing costs per statement: parse() (libpg_query's parser, its protobuf output and the
// conversion to our AST) on the statements the issue 5 benchmarks send, beside libpg_query's
// parse alone, which is the floor. A prepared statement pays this once; the simple query
// protocol pays it per statement.
#include <benchmark/benchmark.h>
#include <pg_query.h>

#include <string>

#include "sql/parse.h"

namespace kb::sql {
namespace {

const char* const kPointSelect = "SELECT id, name, balance FROM accounts WHERE id = $1";

std::string insert_rows(int rows) {
    std::string text = "INSERT INTO accounts (id, name, balance) VALUES ";
    for (int i = 0; i < rows; ++i) {
        if (i > 0) text += ", ";
        text += "(" + std::to_string(i) + ", 'name " + std::to_string(i) + "', 100.50)";
    }
    return text;
}

void BM_ParsePointSelect(benchmark::State& state) {
    for (auto _ : state) {
        auto statements = parse(kPointSelect);
        benchmark::DoNotOptimize(statements);
    }
}
BENCHMARK(BM_ParsePointSelect);

void BM_LibpgQueryOnlyPointSelect(benchmark::State& state) {
    for (auto _ : state) {
        PgQueryProtobufParseResult result = pg_query_parse_protobuf(kPointSelect);
        benchmark::DoNotOptimize(result.parse_tree.data);
        pg_query_free_protobuf_parse_result(result);
    }
}
BENCHMARK(BM_LibpgQueryOnlyPointSelect);

void BM_ParseGroupBy(benchmark::State& state) {
    const char* text =
        "SELECT region, count(*), sum(amount), avg(amount) FROM orders WHERE created_at >= $1 "
        "AND status IN ('paid', 'shipped') GROUP BY region HAVING count(*) > 10 ORDER BY 2 "
        "DESC LIMIT 20";
    for (auto _ : state) {
        auto statements = parse(text);
        benchmark::DoNotOptimize(statements);
    }
}
BENCHMARK(BM_ParseGroupBy);

// A 100-row INSERT (the batched-insert benchmark): per row cost.
void BM_ParseInsertRows(benchmark::State& state) {
    std::string text = insert_rows(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto statements = parse(text);
        benchmark::DoNotOptimize(statements);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseInsertRows)->Arg(1)->Arg(100);

void BM_LibpgQueryOnlyInsertRows(benchmark::State& state) {
    std::string text = insert_rows(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        PgQueryProtobufParseResult result = pg_query_parse_protobuf(text.c_str());
        benchmark::DoNotOptimize(result.parse_tree.data);
        pg_query_free_protobuf_parse_result(result);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LibpgQueryOnlyInsertRows)->Arg(100);

// The scanner pass of the nesting-depth guard, which runs on texts over kParseDepthMax bytes.
void BM_LibpgQueryScanInsertRows(benchmark::State& state) {
    std::string text = insert_rows(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        PgQueryScanResult result = pg_query_scan(text.c_str());
        benchmark::DoNotOptimize(result.pbuf.data);
        pg_query_free_scan_result(result);
    }
}
BENCHMARK(BM_LibpgQueryScanInsertRows)->Arg(100);

}  // namespace
}  // namespace kb::sql
