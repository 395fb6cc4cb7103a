// Bound expressions: what the binder makes of the AST's expressions once every name is resolved
// and every type decided, and what the executor evaluates.
//
// A BoundExpr is a small tree. Leaves are constants, column references (an index into the row
// the expression is evaluated against; after grouping, that row is the group keys followed by
// the aggregate results) and parameters ($n). Inner nodes are calls — every operator, function,
// cast, LIKE, jsonb access, … — which carry their implementation, chosen by the binder from the
// value layer's registry, so evaluation never looks anything up; plus the few constructs whose
// evaluation is not "evaluate the arguments, then call": AND / OR (three-valued, short-circuit),
// CASE, COALESCE, NULLIF is a call, IS [NOT] NULL.
//
// Calls are strict unless marked otherwise: a NULL argument gives NULL without calling (as
// PostgreSQL's strict functions). Evaluation errors carry the node's position.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/value.h"
#include "sql/error.h"
#include "sql/eval_context.h"
#include "sql/value_type.h"

namespace kb::sql {

using ScalarImpl = std::function<SqlResult<Value>(std::span<const Value>, const EvalContext&)>;

enum class BoundKind : u8 {
    constant,
    column,     // row[index]
    parameter,  // parameters[index]
    call,       // impl(args)
    and_,
    or_,
    not_,
    is_null,
    is_not_null,
    case_,     // args: [operand?] when, then, when, then, ..., [else]; see case_* fields
    coalesce,  // first non-NULL argument
};

struct BoundExpr {
    BoundKind kind = BoundKind::constant;
    Type type{};
    int position = 0;  // 1-based offset in the statement text, for errors
    Value value{};     // constant
    usize index = 0;   // column, parameter
    std::vector<BoundExpr> args{};
    ScalarImpl impl{};   // call
    bool strict = true;  // call: NULL in, NULL out
    std::string name{};  // call: what it is, for EXPLAIN ("=", "lower", "CAST")
    bool case_has_else = false;
    // An error folding this node met at bind time (bind_fold.h): PostgreSQL's planner raises
    // it before the statement runs, unless simplification drops the node first (a CASE arm
    // that can never be taken, a COALESCE argument after a non-NULL constant).
    std::shared_ptr<const SqlError> deferred_error{};

    static BoundExpr constant_of(Value value, Type type, int position = 0);
    static BoundExpr column_of(usize index, Type type, std::string name, int position = 0);
};

// Evaluates `expr` against `row` (after grouping: the group keys, then the aggregate results).
SqlResult<Value> evaluate(const BoundExpr& expr, std::span<const Value> row,
                          const EvalContext& context);

// WHERE / HAVING / CHECK: true only for TRUE (NULL and FALSE reject). A non-boolean result is a
// binder bug (asserted).
SqlResult<bool> evaluate_condition(const BoundExpr& expr, std::span<const Value> row,
                                   const EvalContext& context);

// Whether two bound expressions compute the same thing (PostgreSQL's equal() on expression
// trees): same kinds, types, columns, parameters, constants and calls, argument by argument.
bool same_expression(const BoundExpr& a, const BoundExpr& b);

// For EXPLAIN: "(id = $1)", "lower(name)", ...
std::string describe(const BoundExpr& expr, std::span<const std::string> column_names);

}  // namespace kb::sql
