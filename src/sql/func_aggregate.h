// Aggregates' value logic as PostgreSQL 15 computes it: count, sum, avg, min, max, bool_and,
// bool_or, every, string_agg.
//
// The executor resolves an aggregate call like a function (resolve_aggregate_function, PostgreSQL's
// overload rules over pg_aggregate's signatures for our types), coerces each row's arguments
// to argument_types, and feeds them to an AggregateAccumulator per group. Result types are
// PostgreSQL's: sum(smallint|integer) -> bigint, sum(bigint) -> numeric, sum(numeric) ->
// numeric, sum(real) -> real, sum(double precision) -> double precision, sum(interval) ->
// interval; avg(integers|numeric) -> numeric at numeric division's scale (avg of 1 and 2 is
// 1.5000000000000000), avg(real|double precision) -> double precision (PostgreSQL's
// Youngs-Cramer transition, including its overflow error), avg(interval) -> interval;
// min/max -> the argument type (varchar resolves to text); count -> bigint. Every aggregate
// skips rows whose argument is NULL and yields NULL over no rows, except count (0).
// DISTINCT and ORDER BY inside an aggregate are the executor's (it deduplicates with
// value_compare.h's hash and equality before calling add).
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sql/error.h"
#include "sql/func_registry.h"
#include "sql/value_type.h"

namespace kb::sql {

class AggregateAccumulator {
public:
    virtual ~AggregateAccumulator() = default;
    // One row's arguments, coerced to the aggregate's argument types (none for count(*)).
    virtual SqlStatus add(std::span<const Value> arguments) = 0;
    // The aggregate over the rows added so far (the accumulator stays usable).
    virtual SqlResult<Value> result() const = 0;
};

struct AggregateDef {
    std::string_view name;
    u8 param_count = 0;
    ParamType params[2] = {};
    SqlType result = SqlType::bigint;
    // Makes a fresh accumulator; `argument_type` is the first argument's type (min/max
    // compare by it).
    std::unique_ptr<AggregateAccumulator> (*make)(SqlType argument_type) = nullptr;
};

struct AggregateFunction {
    const AggregateDef* def = nullptr;
    std::vector<Type> argument_types;
    Type result_type;

    std::unique_ptr<AggregateAccumulator> make_accumulator() const;
};

// count(*) is "count" with no arguments. 42883 "function sum(text) does not exist" (with
// PostgreSQL's hint) when no signature fits, 42725 when several fit equally.
SqlResult<AggregateFunction> resolve_aggregate_function(std::string_view name,
                                                        std::span<const Type> arguments);
// Whether `name` is an aggregate this registry knows (the binder's first question).
bool is_aggregate_function(std::string_view name);

}  // namespace kb::sql
