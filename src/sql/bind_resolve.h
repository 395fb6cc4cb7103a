// What the expression binder asks the value layer: which implementation an operator, function
// or cast has for given argument types, and the value of a constant converted to a type. The
// answers follow PostgreSQL's operator and function resolution for the types issue 5 covers;
// the value semantics themselves live in value_* / func_* (this file only connects them).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sql/bound.h"
#include "sql/func_aggregate.h"
#include "sql/value_type.h"

namespace kb::sql {

struct ResolvedCall {
    Type result{};
    std::vector<Type> argument_types{};  // what each argument must be coerced to first
    ScalarImpl impl{};
    bool strict = true;
    bool immutable = true;  // FunctionDef::immutable
};

// A binary operator (`left` present) or prefix operator, with the argument types it was
// written with (an `unknown` literal takes the other side's type, as in PostgreSQL). 42883
// 'operator does not exist: integer + boolean' when there is none.
SqlResult<ResolvedCall> resolve_operator_call(std::string_view name, const Type* left,
                                              const Type& right);

// A function by name (lowercased) and argument types. 42883 'function f(integer) does not
// exist' when there is none.
SqlResult<ResolvedCall> resolve_function_call(std::string_view name,
                                              std::span<const Type> arguments);

// The cast from `from` to `to` in `context` (with `to`'s modifier applied): 42846 'cannot cast
// type x to y' when there is none.
SqlResult<ScalarImpl> resolve_cast(const Type& from, const Type& to, CoercionContext context);

// PostgreSQL's text input of `text` as a value of `type` (a string literal given a type).
SqlResult<Value> value_from_text(std::string_view text, const Type& type);

// PostgreSQL's text output of a value of `type`.
std::string value_to_text(const Value& value, const Type& type);

// Aggregates: whether `name` is one, and how to make its accumulator (func_aggregate.h).
struct ResolvedAggregate {
    Type result{};
    std::vector<Type> argument_types{};
    std::function<std::unique_ptr<AggregateAccumulator>()> make{};
};
bool is_aggregate(std::string_view name);
SqlResult<ResolvedAggregate> resolve_aggregate(std::string_view name,
                                               std::span<const Type> arguments, bool star);

// ORDER BY, GROUP BY, DISTINCT: PostgreSQL's total order of non-NULL values of one type
// (NaN above every number), and equality as grouping sees it (1.0 = 1.00).
int compare_for_sort(const Value& a, const Value& b, const Type& type);
bool equal_for_grouping(const Value& a, const Value& b, const Type& type);

}  // namespace kb::sql
