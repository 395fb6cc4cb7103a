// Costs of the value layer on the hot paths of scans, GROUP BY and output: text input and
// output, comparison and hashing, numeric arithmetic and aggregate accumulation.
#include <benchmark/benchmark.h>

#include "base/prng.h"
#include "sql/func_aggregate.h"
#include "sql/value_compare.h"
#include "sql/value_io.h"
#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

std::vector<Value> numerics(usize count) {
    Prng prng(7);
    std::vector<Value> out;
    for (usize i = 0; i < count; ++i) {
        const i64 cents = static_cast<i64>(prng.uniform(100'000'000)) - 50'000'000;
        out.push_back(Value::numeric(
            Numeric::parse(std::to_string(cents / 100) + "." +
                           std::to_string((cents < 0 ? -cents : cents) % 100 + 100).substr(1))
                .value()));
    }
    return out;
}

void BM_NumericAdd(benchmark::State& state) {
    const std::vector<Value> values = numerics(1024);
    usize i = 0;
    for (auto _ : state) {
        auto sum = numeric_add(values[i % 1024].as_numeric(), values[(i + 1) % 1024].as_numeric());
        benchmark::DoNotOptimize(sum);
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NumericAdd);

void BM_NumericDivide(benchmark::State& state) {
    const std::vector<Value> values = numerics(1024);
    usize i = 0;
    for (auto _ : state) {
        auto quotient =
            numeric_div(values[i % 1024].as_numeric(), values[(i + 7) % 1024].as_numeric());
        benchmark::DoNotOptimize(quotient);
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NumericDivide);

// sum(x) over one group, per row: what GROUP BY pays for each numeric / integer input.
void BM_SumAccumulate(benchmark::State& state) {
    const bool numeric = state.range(0) == 1;
    const std::vector<Value> values =
        numeric ? numerics(1024) : std::vector<Value>(1024, Value::int32(12345));
    const Type type = Type::of(numeric ? SqlType::numeric : SqlType::integer);
    auto aggregate = resolve_aggregate_function("sum", std::span(&type, 1)).value();
    auto accumulator = aggregate.make_accumulator();
    usize i = 0;
    for (auto _ : state) {
        auto added = accumulator->add(std::span(&values[i++ % 1024], 1));
        benchmark::DoNotOptimize(added);
    }
    benchmark::DoNotOptimize(accumulator->result());
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(numeric ? "numeric" : "integer");
}
BENCHMARK(BM_SumAccumulate)->Arg(0)->Arg(1);

void BM_HashValue(benchmark::State& state) {
    std::vector<Value> values;
    const char* label = "";
    switch (state.range(0)) {
        case 0:
            for (int i = 0; i < 1024; ++i) values.push_back(Value::int64(i * 7919));
            label = "bigint";
            break;
        case 1:
            for (int i = 0; i < 1024; ++i) {
                values.push_back(Value::text("customer-" + std::to_string(i * 7919)));
            }
            label = "text";
            break;
        default:
            values = numerics(1024);
            label = "numeric";
            break;
    }
    usize i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(hash_value(values[i++ % 1024]));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(label);
}
BENCHMARK(BM_HashValue)->Arg(0)->Arg(1)->Arg(2);

void BM_CompareValues(benchmark::State& state) {
    const std::vector<Value> values = state.range(0) == 0 ? numerics(1024) : [] {
        std::vector<Value> texts;
        for (int i = 0; i < 1024; ++i) texts.push_back(Value::text("name-" + std::to_string(i)));
        return texts;
    }();
    usize i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(compare_values(values[i % 1024], values[(i + 1) % 1024]));
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(state.range(0) == 0 ? "numeric" : "text");
}
BENCHMARK(BM_CompareValues)->Arg(0)->Arg(1);

void BM_InputOutput(benchmark::State& state) {
    static constexpr std::pair<const char*, SqlType> kCases[] = {
        {"1234567", SqlType::integer},         {"3.14159265358979", SqlType::double_precision},
        {"12345.67", SqlType::numeric},        {"2024-03-15 12:34:56.789", SqlType::timestamptz},
        {"1 day 02:03:04", SqlType::interval},
    };
    const auto& [text, type] = kCases[state.range(0)];
    for (auto _ : state) {
        auto value = value_input(text, type);
        benchmark::DoNotOptimize(value_output(*value));
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(std::string(type_name(type)));
}
BENCHMARK(BM_InputOutput)->DenseRange(0, 4);

}  // namespace
}  // namespace kb::sql
