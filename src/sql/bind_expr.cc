// The expression binder (see bind_expr.h).
#include "sql/bind_expr.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "sql/bind_fold.h"
#include "sql/func_registry.h"
#include "sql/prepared.h"
#include "sql/value_cast.h"

namespace kb::sql {

namespace {

bool mentions_column(const BoundExpr& expr) {
    if (expr.kind == BoundKind::column) return true;
    return std::any_of(expr.args.begin(), expr.args.end(), mentions_column);
}

// Whether PostgreSQL marks the cast immutable (pg_cast's function, or I/O conversion through
// the types' input and output functions). Date/time values converted to or from text, and
// conversions to or from timestamptz, depend on DateStyle, IntervalStyle or TimeZone: stable.
bool cast_is_immutable(const Type& from, const Type& to) {
    const auto is_string = [](SqlType t) {
        return t == SqlType::text || t == SqlType::varchar || t == SqlType::character;
    };
    const auto is_datetime = [](SqlType t) {
        return t == SqlType::date || t == SqlType::timestamp || t == SqlType::timestamptz ||
               t == SqlType::interval;
    };
    const SqlType a = from.id();
    const SqlType b = to.id();
    if ((is_string(a) && is_datetime(b)) || (is_datetime(a) && is_string(b))) return false;
    if (a != b && (a == SqlType::timestamptz || b == SqlType::timestamptz)) return false;
    return true;
}

SqlError undefined_column(const ast::ColumnRef& column, int position) {
    const std::string name =
        column.table.empty() ? column.column : column.table + "." + column.column;
    if (!column.table.empty()) {
        return SqlError(sqlstate::kUndefinedColumn, "column " + name + " does not exist")
            .at(position);
    }
    return SqlError(sqlstate::kUndefinedColumn, "column \"" + name + "\" does not exist")
        .at(position);
}

BoundExpr node_of(BoundKind kind, Type type, std::vector<BoundExpr> args, int position) {
    BoundExpr expr;
    expr.kind = kind;
    expr.type = type;
    expr.args = std::move(args);
    expr.position = position;
    return expr;
}

const Type kBoolean = Type::of(SqlType::boolean);

}  // namespace

void ExprBinder::allow_aggregates(std::vector<std::string> group_keys) {
    aggregates_allowed_ = true;
    group_keys_ = std::move(group_keys);
}

std::optional<usize> ExprBinder::group_key_of(const ast::Expr& expr) const {
    if (!aggregates_allowed_ || inside_aggregate_) return std::nullopt;
    const std::string sql = ast::to_sql(expr);
    auto found = std::find(group_keys_.begin(), group_keys_.end(), sql);
    if (found == group_keys_.end()) return std::nullopt;
    return static_cast<usize>(found - group_keys_.begin());
}

SqlResult<BoundExpr> ExprBinder::bind(const ast::Expr& expr, const std::optional<Type>& expected) {
    const auto* param = expr.as<ast::Param>();
    if (param == nullptr || !expected || group_key_of(expr)) return bind_node(expr, expected);
    // An assigned bare $n (see bind_expr.h).
    const usize index = static_cast<usize>(param->number - 1);
    const bool known = index < parameters_.types.size() && parameters_.types[index].has_value();
    const bool assigned_here = std::find(assigned_parameters_.begin(), assigned_parameters_.end(),
                                         index) != assigned_parameters_.end();
    BoundExpr bound = KB_SQL_TRY(bind_node(expr, expected));
    if (known && assigned_here) {
        bound.type = Type::unknown_type();  // as if made before the earlier deduction
    } else if (!known) {
        assigned_parameters_.push_back(index);  // the caller's coercion deduces it
    }
    return bound;
}

SqlResult<BoundExpr> ExprBinder::bind_condition(const ast::Expr& expr, std::string_view clause) {
    std::string outer_clause = std::exchange(clause_, std::string(clause));
    auto bound = bind_boolean(expr, clause);
    clause_ = std::move(outer_clause);
    if (bound && (clause == "WHERE" || clause == "HAVING")) {
        // PostgreSQL's planner runs no scan under a condition that can never be true, nor
        // evaluates the parts a constant decides (they could fail).
        return canonicalize_condition(std::move(*bound));
    }
    return bound;
}

SqlResult<BoundExpr> ExprBinder::bind_boolean(const ast::Expr& expr, std::string_view clause) {
    BoundExpr bound = KB_SQL_TRY(bind_node(expr, kBoolean));
    if (bound.type.unknown) return coerce(std::move(bound), kBoolean, CoercionContext::implicit);
    if (bound.type.id() != SqlType::boolean) {
        return SqlError(sqlstate::kDatatypeMismatch, "argument of " + std::string(clause) +
                                                         " must be type boolean, not type " +
                                                         type_name(bound.type))
            .at(expr.position);
    }
    return bound;
}

SqlResult<BoundExpr> ExprBinder::coerce(BoundExpr expr, const Type& target,
                                        CoercionContext context) {
    if (expr.type == target) return expr;
    if (expr.kind == BoundKind::constant && expr.value.is_null()) {
        expr.type = target;
        return expr;
    }
    // A string literal given a type: PostgreSQL reads it with the type's input function now.
    if (expr.type.unknown && expr.kind == BoundKind::constant) {
        auto value = cast_value(expr.value, Type::unknown_type(), target, context);
        if (!value) {
            SqlError error = value.error();
            return error.at(expr.position);
        }
        return BoundExpr::constant_of(std::move(*value), target, expr.position);
    }
    if (expr.kind == BoundKind::parameter && expr.type.unknown) {
        // The first coercion of an untyped $n deduces its type; a later one to another type is
        // PostgreSQL's 42P08 (variable_coerce_param_hook). A parameter's type has no modifier
        // (PostgreSQL describes it by type oid): assigned to a varchar(3) column, $1 is
        // varchar and the length coercion below checks its value.
        const Type base = target.without_modifier();
        std::optional<Type>& deduced = parameters_.types[expr.index];
        if (deduced && !(*deduced == base)) {
            return SqlError(sqlstate::kAmbiguousParameter,
                            "inconsistent types deduced for parameter $" +
                                std::to_string(expr.index + 1))
                .with_detail(type_name(*deduced) + " versus " + type_name(base))
                .at(expr.position);
        }
        deduced = base;
        expr.type = base;
        if (base == target) return expr;
    }
    auto cast = resolve_cast(expr.type, target, context);
    if (!cast) {
        SqlError error = cast.error();
        return error.at(expr.position);
    }
    const int position = expr.position;
    const bool immutable = cast_is_immutable(expr.type, target);
    BoundExpr call = node_of(BoundKind::call, target, {}, position);
    call.args.push_back(std::move(expr));
    call.impl = std::move(*cast);
    call.name = "CAST";
    // A constant converted at bind time stays a constant (a key lookup can use it). Only
    // immutable casts, as PostgreSQL's planner: a cast whose result depends on session
    // settings runs when (and only if) a row needs it, so its errors do too.
    return folded(std::move(call), immutable);
}

SqlResult<BoundExpr> ExprBinder::bind_node(const ast::Expr& expr,
                                           const std::optional<Type>& expected) {
    if (auto key = group_key_of(expr)) {
        // Already computed by the grouping: the grouped row's column.
        BoundExpr bound = KB_SQL_TRY([&]() -> SqlResult<BoundExpr> {
            ExprBinder inner(scope_, parameters_);
            return inner.bind_node(expr, expected);
        }());
        return BoundExpr::column_of(*key, bound.type, ast::to_sql(expr), expr.position);
    }
    const int position = expr.position;
    if (const auto* literal = expr.as<ast::Literal>())
        return bind_literal(*literal, position, expected);
    if (const auto* column = expr.as<ast::ColumnRef>()) return bind_column(*column, position);
    if (const auto* param = expr.as<ast::Param>()) {
        const usize index = static_cast<usize>(param->number - 1);
        // No statement has more parameters than the wire protocol can bind (and a client's
        // $2147483647 must not size a table of types): the same error as an unbound $n.
        if (index >= kMaxParameters) {
            return SqlError(sqlstate::kUndefinedParameter,
                            "there is no parameter $" + std::to_string(param->number))
                .at(position);
        }
        if (parameters_.types.size() <= index) parameters_.types.resize(index + 1);
        // Typed when the type is known; otherwise unknown until a coercion deduces it (see
        // bind_expr.h) — `expected` is no deduction: PostgreSQL types $n by what it meets.
        BoundExpr bound;
        bound.kind = BoundKind::parameter;
        bound.index = index;
        bound.position = position;
        bound.type = parameters_.types[index].value_or(Type::unknown_type());
        return bound;
    }
    if (const auto* op = expr.as<ast::Operator>()) return bind_operator(*op, position);
    if (const auto* logic = expr.as<ast::BoolExpr>()) {
        std::vector<BoundExpr> args;
        const char* clause = logic->op == ast::BoolOp::and_op  ? "AND"
                             : logic->op == ast::BoolOp::or_op ? "OR"
                                                               : "NOT";
        for (const ast::ExprPtr& arg : logic->args) {
            args.push_back(KB_SQL_TRY(bind_boolean(*arg, clause)));
        }
        const BoundKind kind = logic->op == ast::BoolOp::and_op  ? BoundKind::and_
                               : logic->op == ast::BoolOp::or_op ? BoundKind::or_
                                                                 : BoundKind::not_;
        if (kind != BoundKind::not_) {
            // PostgreSQL's simplification: a constant false (AND) or true (OR) decides the
            // whole without evaluating the other arguments; the opposite constant drops out.
            // The arguments before the deciding one were folded (their errors stand); the
            // ones after it never are.
            const bool decisive = kind == BoundKind::or_;
            if (!fold_) return node_of(kind, kBoolean, std::move(args), position);
            std::vector<BoundExpr> kept;
            for (usize i = 0; i < args.size(); ++i) {
                BoundExpr& arg = args[i];
                if (is_folded_constant(arg) && !arg.value.is_null()) {
                    if (arg.value.as_bool() == decisive) {
                        BoundExpr decided =
                            BoundExpr::constant_of(Value::boolean(decisive), kBoolean, position);
                        decided.deferred_error = first_error_in(kept);
                        return decided;
                    }
                    continue;
                }
                kept.push_back(std::move(arg));
            }
            if (kept.empty()) {
                return BoundExpr::constant_of(Value::boolean(!decisive), kBoolean, position);
            }
            if (kept.size() == 1) return std::move(kept[0]);
            args = std::move(kept);
        }
        return folded(node_of(kind, kBoolean, std::move(args), position), true);
    }
    if (const auto* test = expr.as<ast::NullTest>()) {
        std::vector<BoundExpr> args;
        args.push_back(KB_SQL_TRY(bind_node(*test->expr, std::nullopt)));
        return folded(node_of(test->negated ? BoundKind::is_not_null : BoundKind::is_null, kBoolean,
                              std::move(args), position),
                      true);
    }
    if (const auto* in = expr.as<ast::InList>()) {
        // x IN (a, b) is x = a OR x = b, with the same three-valued result, typed as
        // PostgreSQL's transformAExprIn types it: when several items mention no column and
        // share a common type with x, they are coerced to it and each compared with the
        // operator resolved for (x's type, that type) — x itself is not coerced, so
        // `-0.003 IN (1::real, -0.003)` compares numeric with real as float8 = real, which is
        // false. Other items (all of them, without a common type) are compared one by one.
        BoundExpr left = KB_SQL_TRY(bind_node(*in->expr, std::nullopt));
        std::vector<BoundExpr> constants, others;
        for (const ast::ExprPtr& item : in->list) {
            BoundExpr bound = KB_SQL_TRY(bind_node(*item, std::nullopt));
            (mentions_column(bound) ? others : constants).push_back(std::move(bound));
        }
        if (constants.size() > 1) {
            std::vector<Type> types{left.type};
            for (const BoundExpr& item : constants) types.push_back(item.type);
            usize failing = 0;
            if (auto common = common_type(types, "IN", &failing)) {
                for (BoundExpr& item : constants) {
                    item = KB_SQL_TRY(coerce(std::move(item), *common, CoercionContext::implicit));
                }
            }
        }
        std::vector<BoundExpr> comparisons;
        for (std::vector<BoundExpr>* items : {&constants, &others}) {
            for (BoundExpr& item : *items) {
                comparisons.push_back(
                    KB_SQL_TRY(bind_call("=", {left, std::move(item)}, position)));
            }
        }
        BoundExpr any =
            folded(node_of(BoundKind::or_, kBoolean, std::move(comparisons), position), true);
        if (!in->negated) return any;
        return folded(node_of(BoundKind::not_, kBoolean, {std::move(any)}, position), true);
    }
    if (const auto* between = expr.as<ast::Between>()) {
        std::vector<BoundExpr> items;
        items.push_back(KB_SQL_TRY(bind_node(*between->expr, std::nullopt)));
        items.push_back(KB_SQL_TRY(bind_node(*between->low, std::nullopt)));
        items.push_back(KB_SQL_TRY(bind_node(*between->high, std::nullopt)));
        Type common;
        items = KB_SQL_TRY(to_common_type(std::move(items), "BETWEEN", &common));
        std::vector<BoundExpr> both;
        both.push_back(KB_SQL_TRY(bind_call(">=", {items[0], items[1]}, position)));
        both.push_back(KB_SQL_TRY(bind_call("<=", {items[0], items[2]}, position)));
        BoundExpr within = node_of(BoundKind::and_, kBoolean, std::move(both), position);
        if (between->symmetric) {
            // Either order of the bounds.
            std::vector<BoundExpr> swapped;
            swapped.push_back(KB_SQL_TRY(bind_call(">=", {items[0], items[2]}, position)));
            swapped.push_back(KB_SQL_TRY(bind_call("<=", {items[0], items[1]}, position)));
            std::vector<BoundExpr> either;
            either.push_back(std::move(within));
            either.push_back(node_of(BoundKind::and_, kBoolean, std::move(swapped), position));
            within = node_of(BoundKind::or_, kBoolean, std::move(either), position);
        }
        within = folded(std::move(within), true);
        if (!between->negated) return within;
        return folded(node_of(BoundKind::not_, kBoolean, {std::move(within)}, position), true);
    }
    if (const auto* like = expr.as<ast::Like>()) {
        std::vector<BoundExpr> args;
        args.push_back(KB_SQL_TRY(bind_node(*like->expr, std::nullopt)));
        args.push_back(KB_SQL_TRY(bind_node(*like->pattern, std::nullopt)));
        std::string name = like->case_insensitive ? "~~*" : "~~";
        if (like->negated) name = like->case_insensitive ? "!~~*" : "!~~";
        if (like->escape) {
            // As PostgreSQL: x LIKE p ESCAPE e is x ~~ like_escape(p, e), the pattern
            // rewritten to escape with '\'.
            std::vector<BoundExpr> escape_args;
            escape_args.push_back(std::move(args[1]));
            escape_args.push_back(KB_SQL_TRY(bind_node(*like->escape, std::nullopt)));
            args[1] = KB_SQL_TRY(bind_call("like_escape", std::move(escape_args), position));
        }
        return bind_call(name, std::move(args), position);
    }
    if (const auto* distinct = expr.as<ast::DistinctFrom>()) {
        // As PostgreSQL: the = operator of the two operands decides (so char(n) against text
        // compares as text, trailing spaces and all, as = does).
        EqualityPair pair = KB_SQL_TRY(bind_equality(*distinct->left, *distinct->right, position));
        // Not strict: NULL and NULL are not distinct, NULL and a value are.
        BoundExpr call = node_of(BoundKind::call, kBoolean, std::move(pair.operands), position);
        call.strict = false;
        call.name = distinct->negated ? "IS NOT DISTINCT FROM" : "IS DISTINCT FROM";
        const bool negated = distinct->negated;
        call.impl = [equal = std::move(pair.equal), negated](
                        std::span<const Value> values,
                        const EvalContext& context) -> SqlResult<Value> {
            bool same;
            if (values[0].is_null() || values[1].is_null()) {
                same = values[0].is_null() && values[1].is_null();
            } else {
                Value result = KB_SQL_TRY(evaluate(equal, values, context));
                same = result.as_bool();
            }
            return Value::boolean(negated ? same : !same);
        };
        return folded(std::move(call), pair.immutable);
    }
    if (const auto* nullif = expr.as<ast::NullIf>()) {
        // As PostgreSQL: the result has the first operand's type after the = operator's
        // coercion (NULLIF(real, double precision) is real: real = double precision exists).
        EqualityPair pair = KB_SQL_TRY(bind_equality(*nullif->left, *nullif->right, position));
        const Type result = pair.operands[0].type;
        BoundExpr call = node_of(BoundKind::call, result, std::move(pair.operands), position);
        call.strict = false;
        call.name = "nullif";
        call.impl = [equal = std::move(pair.equal)](
                        std::span<const Value> values,
                        const EvalContext& context) -> SqlResult<Value> {
            if (values[0].is_null() || values[1].is_null()) return values[0];
            Value same = KB_SQL_TRY(evaluate(equal, values, context));
            return same.as_bool() ? Value::null() : values[0];
        };
        return folded(std::move(call), pair.immutable);
    }
    if (const auto* test = expr.as<ast::BooleanTest>()) {
        std::vector<BoundExpr> args;
        args.push_back(KB_SQL_TRY(bind_boolean(*test->expr, "IS TRUE")));
        BoundExpr call = node_of(BoundKind::call, kBoolean, std::move(args), position);
        call.strict = false;
        call.name = "boolean test";
        const ast::BooleanTestKind kind = test->kind;
        call.impl = [kind](std::span<const Value> values, const EvalContext&) -> SqlResult<Value> {
            const bool null = values[0].is_null();
            const bool truth = !null && values[0].as_bool();
            switch (kind) {
                case ast::BooleanTestKind::is_true:
                    return Value::boolean(truth);
                case ast::BooleanTestKind::is_not_true:
                    return Value::boolean(!truth);
                case ast::BooleanTestKind::is_false:
                    return Value::boolean(!null && !truth);
                case ast::BooleanTestKind::is_not_false:
                    return Value::boolean(null || truth);
                case ast::BooleanTestKind::is_unknown:
                    return Value::boolean(null);
                case ast::BooleanTestKind::is_not_unknown:
                    return Value::boolean(!null);
            }
            return Value::null();
        };
        return call;
    }
    if (const auto* node = expr.as<ast::Case>()) return bind_case(*node, position);
    if (const auto* coalesce = expr.as<ast::Coalesce>()) {
        std::vector<BoundExpr> items;
        for (const ast::ExprPtr& arg : coalesce->args)
            items.push_back(KB_SQL_TRY(bind_node(*arg, expected)));
        return bind_list_to_common(std::move(items), "COALESCE", BoundKind::coalesce, position);
    }
    if (const auto* minmax = expr.as<ast::MinMax>()) {
        std::vector<BoundExpr> items;
        for (const ast::ExprPtr& arg : minmax->args)
            items.push_back(KB_SQL_TRY(bind_node(*arg, expected)));
        const char* name = minmax->op == ast::MinMaxOp::greatest ? "GREATEST" : "LEAST";
        Type common;
        items = KB_SQL_TRY(to_common_type(std::move(items), name, &common));
        const bool greatest = minmax->op == ast::MinMaxOp::greatest;
        BoundExpr call = node_of(BoundKind::call, common, std::move(items), position);
        call.strict = false;  // NULLs are skipped, not propagated
        call.name = greatest ? "greatest" : "least";
        const SqlType compared = common.id();
        call.impl = [greatest, compared](std::span<const Value> values,
                                         const EvalContext&) -> SqlResult<Value> {
            return greatest_least(values, compared, greatest);
        };
        return folded(std::move(call), true);  // comparisons within one type are immutable
    }
    if (const auto* call = expr.as<ast::FuncCall>()) {
        if (is_aggregate(call->name)) return bind_aggregate(*call, position);
        return bind_function(*call, position);
    }
    if (const auto* cast = expr.as<ast::Cast>()) {
        const Type target = Type::of(cast->type.type);
        BoundExpr inner = KB_SQL_TRY(bind_node(*cast->expr, target));
        BoundExpr cast_expr =
            KB_SQL_TRY(coerce(std::move(inner), target, CoercionContext::explicit_cast));
        cast_expr.position = cast->type.position != 0 ? cast->type.position : position;
        return cast_expr;
    }
    if (const auto* function = expr.as<ast::SqlValueFunction>()) {
        switch (function->kind) {
            // The transaction's now(), read when evaluated (a prepared statement's plan is
            // reused across transactions): CURRENT_TIMESTAMP is now(), LOCALTIMESTAMP and
            // CURRENT_DATE are it converted.
            case ast::SqlValueKind::current_timestamp:
                return bind_call("now", {}, position);
            case ast::SqlValueKind::localtimestamp:
                return coerce(KB_SQL_TRY(bind_call("now", {}, position)),
                              Type::of(SqlType::timestamp), CoercionContext::explicit_cast);
            case ast::SqlValueKind::current_date:
                return coerce(KB_SQL_TRY(bind_call("now", {}, position)), Type::of(SqlType::date),
                              CoercionContext::explicit_cast);
            // The session's, read when evaluated (func_session.cc); there is no SET ROLE, so
            // every spelling of the user is the same role.
            case ast::SqlValueKind::current_user:
            case ast::SqlValueKind::current_role:
            case ast::SqlValueKind::user:
                return bind_call("current_user", {}, position);
            case ast::SqlValueKind::session_user:
                return bind_call("session_user", {}, position);
            case ast::SqlValueKind::current_catalog:
                return bind_call("current_database", {}, position);
            case ast::SqlValueKind::current_schema:
                return bind_call("current_schema", {}, position);
        }
        return SqlError(sqlstate::kFeatureNotSupported,
                        "this SQL value function is not supported yet")
            .at(position);
    }
    if (expr.is<ast::DefaultValue>()) {
        return SqlError(sqlstate::kSyntaxError, "DEFAULT is not allowed in this context")
            .at(position);
    }
    return SqlError(sqlstate::kFeatureNotSupported, "expression not supported").at(position);
}

SqlResult<BoundExpr> ExprBinder::bind_literal(const ast::Literal& literal, int position,
                                              const std::optional<Type>& expected) {
    using Kind = ast::Literal::Kind;
    switch (literal.kind) {
        case Kind::null:
            return BoundExpr::constant_of(Value::null(), expected.value_or(Type::unknown_type()),
                                          position);
        case Kind::boolean:
            return BoundExpr::constant_of(Value::boolean(literal.boolean), kBoolean, position);
        case Kind::int4:
            return BoundExpr::constant_of(Value::int32(static_cast<i32>(literal.integer)),
                                          Type::of(SqlType::integer), position);
        case Kind::int8:
            return BoundExpr::constant_of(Value::int64(literal.integer), Type::of(SqlType::bigint),
                                          position);
        case Kind::numeric: {
            Value value = KB_SQL_TRY(value_from_text(literal.text, Type::of(SqlType::numeric)));
            return BoundExpr::constant_of(std::move(value), Type::of(SqlType::numeric), position);
        }
        case Kind::string: {
            BoundExpr bound =
                BoundExpr::constant_of(Value::text(literal.text), Type::unknown_type(), position);
            bound.name = ast::quote_literal(literal.text);
            return bound;
        }
    }
    return SqlError(sqlstate::kInternalError, "unknown literal").at(position);
}

SqlResult<BoundExpr> ExprBinder::bind_column(const ast::ColumnRef& column, int position) {
    if (column.star) {
        return SqlError(sqlstate::kFeatureNotSupported, "* is not allowed here").at(position);
    }
    std::optional<usize> found;
    for (usize i = 0; i < scope_.columns.size(); ++i) {
        const ScopeColumn& candidate = scope_.columns[i];
        if (candidate.name != column.column) continue;
        if (!column.table.empty() && candidate.table != column.table) continue;
        if (found) {
            return SqlError(sqlstate::kAmbiguousColumn,
                            "column reference \"" + column.column + "\" is ambiguous")
                .at(position);
        }
        found = i;
    }
    if (!found) {
        if (!column.table.empty() &&
            std::none_of(scope_.columns.begin(), scope_.columns.end(),
                         [&](const ScopeColumn& c) { return c.table == column.table; })) {
            return SqlError(sqlstate::kUndefinedTable,
                            "missing FROM-clause entry for table \"" + column.table + "\"")
                .at(position);
        }
        return undefined_column(column, position);
    }
    if (aggregates_allowed_ && !inside_aggregate_) {  // neither grouped nor in an aggregate
        const ScopeColumn& named = scope_.columns[*found];
        return SqlError(sqlstate::kGroupingError,
                        "column \"" + (named.table.empty() ? "" : named.table + ".") + named.name +
                            "\" must appear in the GROUP BY clause or be used in an aggregate "
                            "function")
            .at(position);
    }
    return BoundExpr::column_of(*found, scope_.columns[*found].type, scope_.columns[*found].name,
                                position);
}

BoundExpr ExprBinder::folded(BoundExpr node, bool immutable) const {
    return fold_ ? fold_call(std::move(node), immutable) : node;
}

SqlResult<BoundExpr> ExprBinder::bind_call(std::string_view name, std::vector<BoundExpr> arguments,
                                           int position, bool fold, bool* immutable) {
    ResolvedCall resolved;
    if (arguments.size() == 2 && !std::isalpha(static_cast<unsigned char>(name.front()))) {
        resolved = KB_SQL_TRY([&]() -> SqlResult<ResolvedCall> {
            auto result = resolve_operator_call(name, &arguments[0].type, arguments[1].type);
            if (!result) {
                SqlError error = result.error();
                return error.at(position);
            }
            return result;
        }());
    } else {
        std::vector<Type> types;
        for (const BoundExpr& argument : arguments) types.push_back(argument.type);
        auto result = resolve_function_call(name, types);
        if (!result) {
            SqlError error = result.error();
            return error.at(position);
        }
        resolved = std::move(*result);
    }
    for (usize i = 0; i < arguments.size() && i < resolved.argument_types.size(); ++i) {
        arguments[i] = KB_SQL_TRY(
            coerce(std::move(arguments[i]), resolved.argument_types[i], CoercionContext::implicit));
    }
    // As PostgreSQL's planner: a strict function with a constant NULL argument is NULL, and its
    // other arguments are never evaluated.
    if (!resolved.immutable && name == "||" && arguments.size() == 2) {
        // anytextcat / textanycat are stable SQL functions that PostgreSQL inlines as
        // `a::text || b`: folded after all when the non-text side's conversion to text is
        // immutable ('' || -4 is the constant '-4').
        const BoundExpr& other =
            resolved.argument_types[0].id() == SqlType::text ? arguments[1] : arguments[0];
        resolved.immutable = cast_is_immutable(other.type, Type::of(SqlType::text));
    }
    if (immutable != nullptr) *immutable = resolved.immutable;
    if (fold && resolved.strict &&
        std::any_of(arguments.begin(), arguments.end(), [](const BoundExpr& argument) {
            return argument.kind == BoundKind::constant && argument.value.is_null();
        })) {
        return BoundExpr::constant_of(Value::null(), resolved.result, position);
    }
    BoundExpr call = node_of(BoundKind::call, resolved.result, std::move(arguments), position);
    call.impl = std::move(resolved.impl);
    call.strict = resolved.strict;
    call.name = std::string(name);
    return fold ? folded(std::move(call), resolved.immutable) : call;
}

SqlResult<BoundExpr> ExprBinder::bind_operator(const ast::Operator& op, int position) {
    if (!op.left) {
        BoundExpr operand = KB_SQL_TRY(bind_node(*op.right, std::nullopt));
        auto resolved = resolve_operator_call(op.name, nullptr, operand.type);
        if (!resolved) {
            SqlError error = resolved.error();
            return error.at(position);
        }
        if (!resolved->argument_types.empty()) {
            operand = KB_SQL_TRY(
                coerce(std::move(operand), resolved->argument_types[0], CoercionContext::implicit));
        }
        BoundExpr call = node_of(BoundKind::call, resolved->result, {}, position);
        call.args.push_back(std::move(operand));
        call.impl = std::move(resolved->impl);
        call.strict = resolved->strict;
        call.name = op.name;
        return folded(std::move(call), resolved->immutable);
    }
    BoundExpr left = KB_SQL_TRY(bind_node(*op.left, std::nullopt));
    BoundExpr right = KB_SQL_TRY(
        bind_node(*op.right, left.type.unknown ? std::nullopt : std::optional<Type>(left.type)));
    if (left.type.unknown && !right.type.unknown && left.kind == BoundKind::parameter) {
        left = KB_SQL_TRY(coerce(std::move(left), right.type, CoercionContext::implicit));
    }
    std::vector<BoundExpr> args;
    args.push_back(std::move(left));
    args.push_back(std::move(right));
    return bind_call(op.name, std::move(args), position);
}

SqlResult<BoundExpr> ExprBinder::bind_function(const ast::FuncCall& call, int position) {
    if (call.distinct || call.star || !call.order_by.empty()) {
        const char* what = call.distinct ? "DISTINCT" : call.star ? "*" : "ORDER BY";
        return SqlError("42809", std::string(what) + " specified, but " + call.name +
                                     " is not an aggregate function")
            .at(position);
    }
    std::vector<BoundExpr> arguments;
    for (const ast::ExprPtr& arg : call.args)
        arguments.push_back(KB_SQL_TRY(bind_node(*arg, std::nullopt)));
    return bind_call(call.name, std::move(arguments), position);
}

SqlResult<BoundExpr> ExprBinder::bind_aggregate(const ast::FuncCall& call, int position) {
    if (!aggregates_allowed_) {
        return SqlError(sqlstate::kGroupingError,
                        "aggregate functions are not allowed in " + clause_)
            .at(position);
    }
    if (inside_aggregate_) {
        return SqlError(sqlstate::kGroupingError, "aggregate function calls cannot be nested")
            .at(position);
    }
    BoundAggregate aggregate;
    aggregate.name = call.name;
    aggregate.distinct = call.distinct;
    inside_aggregate_ = true;
    std::vector<Type> types;
    for (const ast::ExprPtr& arg : call.args) {
        auto bound = bind_node(*arg, std::nullopt);
        if (!bound) {
            inside_aggregate_ = false;
            return bound.error();
        }
        types.push_back(bound->type);
        aggregate.arguments.push_back(std::move(*bound));
    }
    for (const ast::OrderItem& item : call.order_by) {
        auto bound = bind_order_key(call, item);
        if (!bound) {
            inside_aggregate_ = false;
            return bound.error();
        }
        aggregate.order_by.push_back(
            {.expr = std::move(*bound), .descending = item.descending, .nulls = item.nulls});
    }
    inside_aggregate_ = false;
    auto resolved = resolve_aggregate(call.name, types, call.star);
    if (!resolved) {
        SqlError error = resolved.error();
        return error.at(position);
    }
    for (usize i = 0; i < aggregate.arguments.size() && i < resolved->argument_types.size(); ++i) {
        aggregate.arguments[i] =
            KB_SQL_TRY(coerce(std::move(aggregate.arguments[i]), resolved->argument_types[i],
                              CoercionContext::implicit));
    }
    aggregate.aggregate = std::move(*resolved);
    const Type result = aggregate.aggregate.result;
    aggregates_.push_back(std::move(aggregate));
    return BoundExpr::column_of(group_keys_.size() + aggregates_.size() - 1, result, call.name,
                                position);
}

SqlResult<BoundExpr> ExprBinder::bind_order_key(const ast::FuncCall& call,
                                                const ast::OrderItem& item) {
    if (call.distinct) {
        // PostgreSQL deduplicates the sorted rows, so each key must be one of the arguments.
        const std::string sql = ast::to_sql(*item.expr);
        const bool listed = std::any_of(call.args.begin(), call.args.end(),
                                        [&](const auto& arg) { return ast::to_sql(*arg) == sql; });
        if (!listed) {
            return SqlError("42P10",
                            "in an aggregate with DISTINCT, ORDER BY expressions must appear in "
                            "argument list")
                .at(item.position);
        }
    }
    BoundExpr key = KB_SQL_TRY(bind_node(*item.expr, std::nullopt));
    if (key.type.unknown) {  // an untyped literal sorts as text, as in PostgreSQL
        key =
            KB_SQL_TRY(coerce(std::move(key), Type::of(SqlType::text), CoercionContext::implicit));
    }
    return key;
}

SqlResult<ExprBinder::EqualityPair> ExprBinder::bind_equality(const ast::Expr& left_expr,
                                                              const ast::Expr& right_expr,
                                                              int position) {
    BoundExpr left = KB_SQL_TRY(bind_node(left_expr, std::nullopt));
    BoundExpr right = KB_SQL_TRY(
        bind_node(right_expr, left.type.unknown ? std::nullopt : std::optional<Type>(left.type)));
    if (left.type.unknown && !right.type.unknown && left.kind == BoundKind::parameter) {
        left = KB_SQL_TRY(coerce(std::move(left), right.type, CoercionContext::implicit));
    }
    std::vector<BoundExpr> operands;
    operands.push_back(std::move(left));
    operands.push_back(std::move(right));
    EqualityPair pair;
    BoundExpr compared =
        KB_SQL_TRY(bind_call("=", std::move(operands), position, /*fold=*/false, &pair.immutable));
    KB_ASSERT(compared.kind == BoundKind::call && compared.args.size() == 2);
    pair.operands = std::move(compared.args);
    compared.args.clear();
    compared.args.push_back(BoundExpr::column_of(0, pair.operands[0].type, "a"));
    compared.args.push_back(BoundExpr::column_of(1, pair.operands[1].type, "b"));
    pair.equal = std::move(compared);
    return pair;
}

SqlResult<BoundExpr> ExprBinder::bind_case(const ast::Case& node, int position) {
    std::vector<BoundExpr> conditions;
    std::vector<BoundExpr> results;
    std::optional<BoundExpr> operand;
    if (node.operand) operand = KB_SQL_TRY(bind_node(*node.operand, std::nullopt));
    for (const ast::CaseWhen& when : node.whens) {
        if (operand) {
            BoundExpr value = KB_SQL_TRY(bind_node(*when.condition, std::nullopt));
            std::vector<BoundExpr> pair;
            pair.push_back(*operand);
            pair.push_back(std::move(value));
            Type common;
            pair = KB_SQL_TRY(to_common_type(std::move(pair), "CASE/WHEN", &common));
            conditions.push_back(KB_SQL_TRY(bind_call("=", std::move(pair), when.position)));
        } else {
            conditions.push_back(KB_SQL_TRY(bind_boolean(*when.condition, "CASE/WHEN")));
        }
        results.push_back(KB_SQL_TRY(bind_node(*when.result, std::nullopt)));
    }
    const bool has_else = node.else_result != nullptr;
    if (has_else) results.push_back(KB_SQL_TRY(bind_node(*node.else_result, std::nullopt)));
    // PostgreSQL resolves the result type with the ELSE first, then the THENs in order (it
    // decides the type and the wording "CASE types text and integer cannot be matched").
    if (has_else) std::rotate(results.begin(), results.end() - 1, results.end());
    Type common;
    results = KB_SQL_TRY(to_common_type(std::move(results), "CASE", &common));
    if (has_else) std::rotate(results.begin(), results.begin() + 1, results.end());
    return simplify_case(std::move(conditions), std::move(results), has_else, common, position,
                         fold_);
}

SqlResult<std::vector<BoundExpr>> ExprBinder::to_common_type(std::vector<BoundExpr> items,
                                                             std::string_view context,
                                                             Type* common) {
    std::vector<Type> types;
    for (const BoundExpr& item : items) types.push_back(item.type);
    usize failing = 0;
    auto resolved = common_type(types, context, &failing);
    if (!resolved) {
        SqlError error = resolved.error();
        return error.at(failing < items.size() ? items[failing].position : 0);
    }
    *common = *resolved;
    for (BoundExpr& item : items) {
        item = KB_SQL_TRY(coerce(std::move(item), *common, CoercionContext::implicit));
    }
    return items;
}

SqlResult<BoundExpr> ExprBinder::bind_list_to_common(std::vector<BoundExpr> items,
                                                     std::string_view what, BoundKind kind,
                                                     int position) {
    Type common;
    items = KB_SQL_TRY(to_common_type(std::move(items), what, &common));
    if (kind == BoundKind::coalesce && fold_) {
        return simplify_coalesce(std::move(items), common, position);
    }
    return node_of(kind, common, std::move(items), position);
}

}  // namespace kb::sql
