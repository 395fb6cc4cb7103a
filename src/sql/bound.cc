// Evaluation of bound expressions (see bound.h).
#include "sql/bound.h"

#include "base/assert.h"
#include "sql/bind_resolve.h"

namespace kb::sql {

namespace {

// Three-valued logic: TRUE, FALSE or NULL (nullopt).
SqlResult<std::optional<bool>> truth(const BoundExpr& expr, std::span<const Value> row,
                                     const EvalContext& context) {
    Value value = KB_SQL_TRY(evaluate(expr, row, context));
    if (value.is_null()) return std::optional<bool>();
    KB_ASSERT_MSG(value.kind() == kernel::ValueKind::boolean, "a condition that is not boolean");
    return std::optional<bool>(value.as_bool());
}

Value bool_value(std::optional<bool> value) {
    return value ? Value::boolean(*value) : Value::null();
}

SqlResult<Value> evaluate_case(const BoundExpr& expr, std::span<const Value> row,
                               const EvalContext& context) {
    // Searched CASE only: the binder rewrites `CASE x WHEN v` into `CASE WHEN x = v`.
    const usize pairs = (expr.args.size() - (expr.case_has_else ? 1 : 0)) / 2;
    for (usize i = 0; i < pairs; ++i) {
        auto when = KB_SQL_TRY(truth(expr.args[2 * i], row, context));
        if (when.value_or(false)) return evaluate(expr.args[2 * i + 1], row, context);
    }
    if (expr.case_has_else) return evaluate(expr.args.back(), row, context);
    return Value::null();
}

}  // namespace

BoundExpr BoundExpr::constant_of(Value value, Type type, int position) {
    BoundExpr expr;
    expr.kind = BoundKind::constant;
    expr.value = std::move(value);
    expr.type = type;
    expr.position = position;
    return expr;
}

BoundExpr BoundExpr::column_of(usize index, Type type, std::string name, int position) {
    BoundExpr expr;
    expr.kind = BoundKind::column;
    expr.index = index;
    expr.type = type;
    expr.name = std::move(name);
    expr.position = position;
    return expr;
}

SqlResult<Value> evaluate(const BoundExpr& expr, std::span<const Value> row,
                          const EvalContext& context) {
    switch (expr.kind) {
        case BoundKind::constant:
            return expr.value;
        case BoundKind::column:
            KB_ASSERT(expr.index < row.size());
            return row[expr.index];
        case BoundKind::parameter:
            if (expr.index >= context.parameters.size()) {
                return SqlError(sqlstate::kUndefinedParameter,
                                "there is no parameter $" + std::to_string(expr.index + 1))
                    .at(expr.position);
            }
            return context.parameters[expr.index];
        case BoundKind::call: {
            std::vector<Value> args;
            args.reserve(expr.args.size());
            // A strict call with a NULL argument is NULL, but every argument is evaluated
            // first, as PostgreSQL does: NULL / (c * c) still reports c * c overflowing.
            bool null_argument = false;
            for (const BoundExpr& arg : expr.args) {
                Value value = KB_SQL_TRY(evaluate(arg, row, context));
                null_argument = null_argument || value.is_null();
                args.push_back(std::move(value));
            }
            if (expr.strict && null_argument) return Value::null();
            auto result = expr.impl(args, context);
            if (!result) {
                SqlError error = result.error();
                return error.at(expr.position);
            }
            return result;
        }
        case BoundKind::and_: {
            // FALSE wins over NULL; evaluation stops at the first FALSE.
            bool saw_null = false;
            for (const BoundExpr& arg : expr.args) {
                auto value = KB_SQL_TRY(truth(arg, row, context));
                if (!value) {
                    saw_null = true;
                } else if (!*value) {
                    return Value::boolean(false);
                }
            }
            return saw_null ? Value::null() : Value::boolean(true);
        }
        case BoundKind::or_: {
            bool saw_null = false;
            for (const BoundExpr& arg : expr.args) {
                auto value = KB_SQL_TRY(truth(arg, row, context));
                if (!value) {
                    saw_null = true;
                } else if (*value) {
                    return Value::boolean(true);
                }
            }
            return saw_null ? Value::null() : Value::boolean(false);
        }
        case BoundKind::not_: {
            auto value = KB_SQL_TRY(truth(expr.args.at(0), row, context));
            return bool_value(value ? std::optional<bool>(!*value) : std::nullopt);
        }
        case BoundKind::is_null:
        case BoundKind::is_not_null: {
            Value value = KB_SQL_TRY(evaluate(expr.args.at(0), row, context));
            return Value::boolean(value.is_null() == (expr.kind == BoundKind::is_null));
        }
        case BoundKind::case_:
            return evaluate_case(expr, row, context);
        case BoundKind::coalesce:
            for (const BoundExpr& arg : expr.args) {
                Value value = KB_SQL_TRY(evaluate(arg, row, context));
                if (!value.is_null()) return value;
            }
            return Value::null();
    }
    KB_ASSERT_MSG(false, "unknown bound expression kind");
    return Value::null();
}

SqlResult<bool> evaluate_condition(const BoundExpr& expr, std::span<const Value> row,
                                   const EvalContext& context) {
    auto value = KB_SQL_TRY(truth(expr, row, context));
    return value.value_or(false);
}

bool same_expression(const BoundExpr& a, const BoundExpr& b) {
    if (a.kind != b.kind || !(a.type == b.type) || a.args.size() != b.args.size()) return false;
    switch (a.kind) {
        case BoundKind::constant:
            if (a.value.is_null() || b.value.is_null()) {
                if (a.value.is_null() != b.value.is_null()) return false;
            } else if (!(a.value == b.value)) {
                return false;
            }
            break;
        case BoundKind::column:
        case BoundKind::parameter:
            if (a.index != b.index) return false;
            break;
        case BoundKind::call:
            if (a.name != b.name) return false;
            break;
        default:
            if (a.case_has_else != b.case_has_else) return false;
            break;
    }
    for (usize i = 0; i < a.args.size(); ++i) {
        if (!same_expression(a.args[i], b.args[i])) return false;
    }
    return true;
}

std::string describe(const BoundExpr& expr, std::span<const std::string> column_names) {
    auto join = [&](std::string_view separator) {
        std::string out;
        for (usize i = 0; i < expr.args.size(); ++i) {
            if (i > 0) out += separator;
            out += describe(expr.args[i], column_names);
        }
        return out;
    };
    switch (expr.kind) {
        case BoundKind::constant:
            if (!expr.name.empty()) return expr.name;
            return expr.value.is_null() ? "NULL" : value_to_text(expr.value, expr.type);
        case BoundKind::column:
            return expr.index < column_names.size() ? column_names[expr.index] : expr.name;
        case BoundKind::parameter:
            return "$" + std::to_string(expr.index + 1);
        case BoundKind::call:
            if (expr.args.size() == 2 && !expr.name.empty() &&
                std::string_view("=<>!~+-*/%|&").find(expr.name.front()) != std::string::npos) {
                return "(" + describe(expr.args[0], column_names) + " " + expr.name + " " +
                       describe(expr.args[1], column_names) + ")";
            }
            return expr.name + "(" + join(", ") + ")";
        case BoundKind::and_:
            return "(" + join(" AND ") + ")";
        case BoundKind::or_:
            return "(" + join(" OR ") + ")";
        case BoundKind::not_:
            return "(NOT " + join("") + ")";
        case BoundKind::is_null:
            return "(" + join("") + " IS NULL)";
        case BoundKind::is_not_null:
            return "(" + join("") + " IS NOT NULL)";
        case BoundKind::case_:
            return "CASE(" + join(", ") + ")";
        case BoundKind::coalesce:
            return "COALESCE(" + join(", ") + ")";
    }
    return "?";
}

}  // namespace kb::sql
