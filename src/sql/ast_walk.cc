// Expression tree walks (see ast_walk.h).
#include "sql/ast_walk.h"

#include <algorithm>
#include <type_traits>

namespace kb::sql::ast {

namespace {

void walk_list(const ExprList& list, const std::function<void(const Expr&)>& visit) {
    for (const ExprPtr& item : list) {
        if (item) walk(*item, visit);
    }
}

void walk_optional(const ExprPtr& expr, const std::function<void(const Expr&)>& visit) {
    if (expr) walk(*expr, visit);
}

}  // namespace

void walk(const Expr& expr, const std::function<void(const Expr&)>& visit) {
    visit(expr);
    std::visit(
        [&](const auto& node) {
            using T = std::decay_t<decltype(node)>;
            if constexpr (std::is_same_v<T, Operator>) {
                walk_optional(node.left, visit);
                walk_optional(node.right, visit);
            } else if constexpr (std::is_same_v<T, BoolExpr> || std::is_same_v<T, Coalesce> ||
                                 std::is_same_v<T, MinMax>) {
                walk_list(node.args, visit);
            } else if constexpr (std::is_same_v<T, InList>) {
                walk_optional(node.expr, visit);
                walk_list(node.list, visit);
            } else if constexpr (std::is_same_v<T, Between>) {
                walk_optional(node.expr, visit);
                walk_optional(node.low, visit);
                walk_optional(node.high, visit);
            } else if constexpr (std::is_same_v<T, Like>) {
                walk_optional(node.expr, visit);
                walk_optional(node.pattern, visit);
                walk_optional(node.escape, visit);
            } else if constexpr (std::is_same_v<T, DistinctFrom> || std::is_same_v<T, NullIf>) {
                walk_optional(node.left, visit);
                walk_optional(node.right, visit);
            } else if constexpr (std::is_same_v<T, NullTest> || std::is_same_v<T, BooleanTest> ||
                                 std::is_same_v<T, Cast>) {
                walk_optional(node.expr, visit);
            } else if constexpr (std::is_same_v<T, Case>) {
                walk_optional(node.operand, visit);
                for (const CaseWhen& when : node.whens) {
                    walk_optional(when.condition, visit);
                    walk_optional(when.result, visit);
                }
                walk_optional(node.else_result, visit);
            } else if constexpr (std::is_same_v<T, FuncCall>) {
                walk_list(node.args, visit);
                for (const OrderItem& item : node.order_by) walk_optional(item.expr, visit);
            }
            // Leaves: Literal, ColumnRef, Param, DefaultValue, SqlValueFunction.
        },
        expr.node);
}

void collect_column_names(const Expr& expr, std::vector<std::string>& names) {
    walk(expr, [&](const Expr& node) {
        const auto* column = node.as<ColumnRef>();
        if (column == nullptr || column->star) return;
        if (std::find(names.begin(), names.end(), column->column) == names.end()) {
            names.push_back(column->column);
        }
    });
}

}  // namespace kb::sql::ast
