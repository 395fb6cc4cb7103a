// Operators and functions by name, resolved against argument types as PostgreSQL 15 does.
//
// The registry is a table of signatures (name, parameter types, result type, implementation)
// copied from PostgreSQL's pg_operator and pg_proc for our types (func_operators.cc,
// func_string.cc, func_math.cc; the queries are cited there). Resolution follows PostgreSQL's
// parse_oper.c / parse_func.c: an exact match first (for a binary operator an unknown-typed
// side takes the other side's type), then the candidates every argument reaches by implicit
// coercion, narrowed by func_select_candidate (most exact matches, then preferred types, then
// the categories unknown-typed arguments can take, then "unknowns are the known type"). So
// `1 = 1.5` is numeric = numeric, `1.5::float8 = 1.5` is float8 = float8, `1 || 'a'` is
// anynonarray || text and `'a' || 'b'` is text || text. PostgreSQL signatures over types we
// lack (trunc(macaddr), length(bit) ...) stay in the table without an implementation, so
// `trunc('2.5')` is ambiguous as in PostgreSQL; resolving to one is a 0A000 error.
//
// Errors: 42883 "operator does not exist: integer || integer" / "function foo(integer) does
// not exist" and 42725 "operator is not unique: ..." / "function ... is not unique", with
// PostgreSQL's hints. Function-style casts (`int4(x)`, `text(x)`), COALESCE, NULLIF,
// GREATEST/LEAST, CASE and IN are the binder's (it uses common_type in value_type.h and
// greatest_least below).
//
// Implementations are deterministic: now() and gen_random_uuid() read the EvalContext the
// session fills in (the transaction timestamp, a uuid source fixed by the session and logged
// with the op).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sql/error.h"
#include "sql/eval_context.h"
#include "sql/value_type.h"

namespace kb::sql {

// EvalContext (parameters, now(), the uuid source) is in eval_context.h.

using ScalarFunction = SqlResult<Value> (*)(std::span<const Value> arguments,
                                            const EvalContext& context);

// A parameter: one type, or a polymorphic slot (anynonarray / "any") that accepts any
// argument as it is.
struct ParamType {
    SqlType type = SqlType::text;
    bool any = false;
    // A PostgreSQL type we do not implement (bit, macaddr, tsvector ...), kept in signatures
    // only so that resolution with unknown-typed arguments ambiguates or picks as PostgreSQL
    // does; `foreign` is its name and `foreign_category` its typcategory. Only unknown-typed
    // arguments coerce to it.
    std::string_view foreign{};
    char foreign_category = 0;
};

struct FunctionDef {
    std::string_view name;  // "+", "=", "~~" (LIKE), "length", ...
    bool is_operator = false;
    u8 param_count = 0;  // operators: 1 prefix, 2 binary
    ParamType params[3] = {};
    bool variadic_any = false;  // concat(VARIADIC "any"): every further argument is "any"
    SqlType result = SqlType::text;
    ScalarFunction impl = nullptr;  // nullptr: a PostgreSQL signature we do not support
    bool strict = true;             // a NULL argument gives NULL without calling impl
    // PostgreSQL's provolatile = 'i': the result depends on the arguments alone, so a call
    // on constants is evaluated at bind time (bind_fold.h). Stable and volatile ones (now(),
    // concat(), anything reading TimeZone) are not.
    bool immutable = true;
};

struct ResolvedFunction {
    const FunctionDef* def = nullptr;
    // Coerce each argument to this type (implicit context, value_cast.h) before invoking.
    std::vector<Type> argument_types;
    Type result_type;
};

// `left` is nullopt for a prefix operator (-x, +x). Operator names are PostgreSQL's: LIKE is
// "~~", NOT LIKE "!~~", ILIKE "~~*", NOT ILIKE "!~~*".
SqlResult<ResolvedFunction> resolve_operator(std::string_view name, std::optional<Type> left,
                                             const Type& right);
SqlResult<ResolvedFunction> resolve_function(std::string_view name,
                                             std::span<const Type> arguments);
// Calls a resolved function on arguments already coerced to its argument_types.
SqlResult<Value> invoke(const ResolvedFunction& function, std::span<const Value> arguments,
                        const EvalContext& context);

// GREATEST / LEAST over values already coerced to their common type: NULLs ignored, NULL when
// all are NULL, the first of equal values kept (1.5 before 1.50), as PostgreSQL's MinMaxExpr.
Value greatest_least(std::span<const Value> values, SqlType type, bool greatest);

// The overload-resolution core, shared with aggregates (func_aggregate.h): the index of the
// chosen signature among `candidates` for `arguments` (an exact match first, then PostgreSQL's
// func_match_argtypes and func_select_candidate), nullopt when none fits, -1 when the choice
// is ambiguous.
struct Signature {
    std::span<const ParamType> params;
    bool variadic_any = false;
};
std::optional<int> select_candidate(std::span<const Signature> candidates,
                                    std::span<const Type> arguments);

// "integer, unknown" as PostgreSQL lists argument types in messages.
std::string argument_list(std::span<const Type> arguments);

}  // namespace kb::sql
