// Constant folding with PostgreSQL's plan-time errors (see bind_fold.h).
#include "sql/bind_fold.h"

namespace kb::sql {

bool is_folded_constant(const BoundExpr& expr) {
    return expr.kind == BoundKind::constant && expr.deferred_error == nullptr;
}

BoundExpr fold_call(BoundExpr call, bool immutable) {
    if (!immutable || call.kind == BoundKind::constant || call.kind == BoundKind::column ||
        call.kind == BoundKind::parameter ||
        (call.kind == BoundKind::call && call.impl == nullptr)) {
        return call;
    }
    for (const BoundExpr& arg : call.args) {
        if (!is_folded_constant(arg)) return call;
        // A strict call on NULL is NULL, without calling.
        if (call.kind == BoundKind::call && call.strict && arg.value.is_null()) {
            return BoundExpr::constant_of(Value::null(), call.type, call.position);
        }
    }
    const EvalContext none;
    auto folded = evaluate(call, {}, none);
    if (!folded) {
        SqlError error = folded.error();
        call.deferred_error = std::make_shared<const SqlError>(error.at(call.position));
        return call;
    }
    return BoundExpr::constant_of(std::move(*folded), call.type, call.position);
}

BoundExpr simplify_coalesce(std::vector<BoundExpr> args, const Type& type, int position) {
    std::vector<BoundExpr> kept;
    for (BoundExpr& arg : args) {
        if (is_folded_constant(arg)) {
            if (arg.value.is_null()) continue;
            if (kept.empty()) return std::move(arg);
            kept.push_back(std::move(arg));
            break;  // never NULL: what follows is never evaluated, nor folded
        }
        kept.push_back(std::move(arg));
    }
    if (kept.empty()) return BoundExpr::constant_of(Value::null(), type, position);
    if (kept.size() == 1) return std::move(kept[0]);
    BoundExpr node;
    node.kind = BoundKind::coalesce;
    node.type = type;
    node.position = position;
    node.args = std::move(kept);
    return node;
}

BoundExpr simplify_case(std::vector<BoundExpr> conditions, std::vector<BoundExpr> results,
                        bool has_else, const Type& type, int position, bool simplify) {
    std::vector<BoundExpr> args;
    std::optional<BoundExpr> else_result;
    if (has_else) else_result = std::move(results.back());
    for (usize i = 0; i < conditions.size(); ++i) {
        BoundExpr& condition = conditions[i];
        if (simplify && is_folded_constant(condition)) {
            if (condition.value.is_null() || !condition.value.as_bool()) continue;  // never
            else_result = std::move(results[i]);  // always: later arms are never reached
            break;
        }
        args.push_back(std::move(condition));
        args.push_back(std::move(results[i]));
    }
    if (args.empty()) {
        if (else_result) return std::move(*else_result);
        return BoundExpr::constant_of(Value::null(), type, position);
    }
    BoundExpr node;
    node.kind = BoundKind::case_;
    node.type = type;
    node.position = position;
    node.case_has_else = else_result.has_value();
    if (else_result) args.push_back(std::move(*else_result));
    node.args = std::move(args);
    return node;
}

namespace {

bool constant_truth(const BoundExpr& expr, bool* truth) {
    if (!is_folded_constant(expr)) return false;
    *truth = !expr.value.is_null() && expr.value.as_bool();
    return true;
}

BoundExpr canonical(BoundExpr expr) {
    if (expr.kind != BoundKind::and_ && expr.kind != BoundKind::or_) return expr;
    const bool is_and = expr.kind == BoundKind::and_;
    std::vector<BoundExpr> kept;
    for (BoundExpr& arg : expr.args) {
        BoundExpr simplified = canonical(std::move(arg));
        bool truth = false;
        if (constant_truth(simplified, &truth)) {
            if (truth != is_and) {  // FALSE/NULL in an AND, TRUE in an OR: decides it
                return BoundExpr::constant_of(Value::boolean(truth), expr.type, expr.position);
            }
            continue;  // TRUE in an AND, FALSE/NULL in an OR: no part of it
        }
        kept.push_back(std::move(simplified));
    }
    if (kept.empty())
        return BoundExpr::constant_of(Value::boolean(is_and), expr.type, expr.position);
    if (kept.size() == 1) return std::move(kept[0]);
    expr.args = std::move(kept);
    return expr;
}

}  // namespace

BoundExpr canonicalize_condition(BoundExpr condition) {
    const SqlStatus folded = first_deferred_error(condition);
    BoundExpr result = canonical(std::move(condition));
    if (!folded && first_deferred_error(result)) {
        result.deferred_error = std::make_shared<const SqlError>(folded.error());
    }
    bool truth = false;
    if (constant_truth(result, &truth) && !truth && result.value.is_null()) {
        result.value = Value::boolean(false);  // NULL is FALSE here
    }
    return result;
}

std::shared_ptr<const SqlError> first_error_in(const std::vector<BoundExpr>& args) {
    for (const BoundExpr& arg : args) {
        if (SqlStatus status = first_deferred_error(arg); !status) {
            return std::make_shared<const SqlError>(status.error());
        }
    }
    return nullptr;
}

SqlStatus first_deferred_error(const BoundExpr& expr) {
    for (const BoundExpr& arg : expr.args) KB_SQL_TRY(first_deferred_error(arg));
    if (expr.deferred_error != nullptr) return *expr.deferred_error;
    return sql_ok();
}

void FoldingError::note(const BoundExpr& expr) {
    if (error_ != nullptr) return;
    if (SqlStatus status = first_deferred_error(expr); !status) {
        error_ = std::make_shared<const SqlError>(status.error());
    }
}

SqlStatus FoldingError::raise() const {
    if (error_ != nullptr) return *error_;
    return sql_ok();
}

}  // namespace kb::sql
