// The basic operators: filters, projections, limits, fixed rows (see exec.h).
#include "sql/exec.h"

#include "kernel/row_codec.h"

namespace kb::sql {

namespace {

void explain_into(const Operator& op, usize depth, std::vector<std::string>& lines) {
    const usize indent = depth == 0 ? 0 : 2 + 6 * (depth - 1);
    const std::string text = op.explain();
    usize begin = 0;
    for (bool first = true;; first = false) {
        const usize end = text.find('\n', begin);
        const std::string part = text.substr(begin, end == std::string::npos ? end : end - begin);
        if (first) {
            lines.push_back(std::string(indent, ' ') + (depth > 0 ? "->  " : "") + part);
        } else {
            lines.push_back(std::string(indent + (depth > 0 ? 6 : 2), ' ') + part);
        }
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    for (const auto& child : op.children()) explain_into(*child, depth + 1, lines);
}

}  // namespace

std::vector<std::string> explain_tree(const Operator& root) {
    std::vector<std::string> lines;
    explain_into(root, 0, lines);
    return lines;
}

// --- Filter ------------------------------------------------------------------------------

Filter::Filter(std::unique_ptr<Operator> input, BoundExpr condition, std::string description)
    : condition_(std::move(condition)), description_(std::move(description)) {
    children_.push_back(std::move(input));
}

SqlStatus Filter::open(ExecContext& context) { return children_[0]->open(context); }

SqlResult<bool> Filter::next(ExecContext& context, Row& row) {
    while (KB_SQL_TRY(children_[0]->next(context, row))) {
        if (KB_SQL_TRY(evaluate_condition(condition_, row, context.eval))) return true;
    }
    return false;
}

// --- Project -----------------------------------------------------------------------------

namespace {

// How many times each input column is mentioned by `expr` and what it contains.
void count_columns(const BoundExpr& expr, std::vector<usize>& counts) {
    if (expr.kind == BoundKind::column) {
        if (expr.index >= counts.size()) counts.resize(expr.index + 1);
        ++counts[expr.index];
    }
    for (const BoundExpr& arg : expr.args) count_columns(arg, counts);
}

}  // namespace

Project::Project(std::unique_ptr<Operator> input, std::vector<BoundExpr> expressions)
    : expressions_(std::move(expressions)) {
    children_.push_back(std::move(input));
    // A column that is output as it is and used nowhere else can be moved out of the input
    // row instead of copied (its text is not copied per row); the child refills the row.
    std::vector<usize> counts;
    for (const BoundExpr& expression : expressions_) count_columns(expression, counts);
    moves_.reserve(expressions_.size());
    for (const BoundExpr& expression : expressions_) {
        moves_.push_back(expression.kind == BoundKind::column && counts[expression.index] == 1);
    }
    leading_columns_ = true;
    for (usize i = 0; i < expressions_.size(); ++i) {
        if (!moves_[i] || expressions_[i].index != i) leading_columns_ = false;
    }
}

SqlStatus Project::open(ExecContext& context) { return children_[0]->open(context); }

SqlResult<bool> Project::next(ExecContext& context, Row& row) {
    if (leading_columns_) {
        if (!KB_SQL_TRY(children_[0]->next(context, row))) return false;
        if (row.size() >= expressions_.size()) {
            row.resize(expressions_.size());
            return true;
        }
        input_row_ = std::move(row);  // narrower than expected: evaluate as usual
    } else if (!KB_SQL_TRY(children_[0]->next(context, input_row_))) {
        return false;
    }
    row.clear();
    row.reserve(expressions_.size());
    for (usize i = 0; i < expressions_.size(); ++i) {
        const BoundExpr& expression = expressions_[i];
        if (moves_[i] && expression.index < input_row_.size()) {
            row.push_back(std::move(input_row_[expression.index]));
        } else {
            row.push_back(KB_SQL_TRY(evaluate(expression, input_row_, context.eval)));
        }
    }
    return true;
}

// --- Limit -------------------------------------------------------------------------------

Limit::Limit(std::unique_ptr<Operator> input, std::optional<BoundExpr> limit,
             std::optional<BoundExpr> offset)
    : limit_expr_(std::move(limit)), offset_expr_(std::move(offset)) {
    children_.push_back(std::move(input));
}

namespace {

// A LIMIT or OFFSET count: nullopt for NULL.
SqlResult<std::optional<u64>> count_of(const std::optional<BoundExpr>& expr, const char* what,
                                       const char* sqlstate, const EvalContext& eval) {
    if (!expr) return std::optional<u64>();
    const Value value = KB_SQL_TRY(evaluate(*expr, {}, eval));
    if (value.is_null()) return std::optional<u64>();
    if (value.as_int() < 0) {
        return SqlError(sqlstate, std::string(what) + " must not be negative").at(expr->position);
    }
    return std::optional<u64>(static_cast<u64>(value.as_int()));
}

}  // namespace

SqlStatus Limit::open(ExecContext& context) {
    skipped_ = 0;
    returned_ = 0;
    // OFFSET first, as PostgreSQL's Limit evaluates them.
    offset_ = KB_SQL_TRY(count_of(offset_expr_, "OFFSET", "2201X", context.eval)).value_or(0);
    limit_ = KB_SQL_TRY(count_of(limit_expr_, "LIMIT", "2201W", context.eval));
    // LIMIT 0 runs nothing below it, as in PostgreSQL (no rows read, no expression errors).
    if (limit_ && *limit_ == 0) return sql_ok();
    return children_[0]->open(context);
}

SqlResult<bool> Limit::next(ExecContext& context, Row& row) {
    if (limit_ && returned_ >= *limit_) return false;
    while (skipped_ < offset_) {
        if (!KB_SQL_TRY(children_[0]->next(context, row))) return false;
        ++skipped_;
    }
    if (!KB_SQL_TRY(children_[0]->next(context, row))) return false;
    ++returned_;
    return true;
}

std::string Limit::explain() const {
    std::string out = "Limit";
    if (limit_expr_) out += " " + describe(*limit_expr_, {});
    if (offset_expr_) out += " offset " + describe(*offset_expr_, {});
    return out;
}

// --- Values ------------------------------------------------------------------------------

Values::Values(std::vector<std::vector<BoundExpr>> rows) : expressions_(std::move(rows)) {}

SqlStatus Values::open(ExecContext& context) {
    rows_.clear();
    next_ = 0;
    for (const auto& expressions : expressions_) {
        Row row;
        row.reserve(expressions.size());
        for (const BoundExpr& expression : expressions) {
            row.push_back(KB_SQL_TRY(evaluate(expression, {}, context.eval)));
        }
        rows_.push_back(std::move(row));
    }
    return sql_ok();
}

SqlResult<bool> Values::next(ExecContext&, Row& row) {
    if (next_ >= rows_.size()) return false;
    row = rows_[next_++];
    return true;
}

std::string Values::explain() const {
    return expressions_.size() == 1 && expressions_[0].empty()
               ? "Result"
               : "Values Scan (" + std::to_string(expressions_.size()) + " rows)";
}

}  // namespace kb::sql
