// The basic operators: scans, filters, projections, limits, fixed rows (see exec.h).
#include "sql/exec.h"

#include "kernel/row_codec.h"

namespace kb::sql {

namespace {

void explain_into(const Operator& op, usize depth, std::vector<std::string>& lines) {
    std::string line(depth == 0 ? 0 : 2 + 6 * (depth - 1), ' ');
    if (depth > 0) line += "->  ";
    lines.push_back(line + op.explain());
    for (const auto& child : op.children()) explain_into(*child, depth + 1, lines);
}

}  // namespace

std::vector<std::string> explain_tree(const Operator& root) {
    std::vector<std::string> lines;
    explain_into(root, 0, lines);
    return lines;
}

// --- TableScan ---------------------------------------------------------------------------

TableScan::TableScan(kernel::TableSchema table, Bytes start, Bytes end, std::string description,
                     std::optional<usize> limit)
    : table_(std::move(table)),
      start_(std::move(start)),
      end_(std::move(end)),
      description_(std::move(description)),
      limit_(limit) {}

SqlStatus TableScan::open(ExecContext& context) {
    auto rows = context.transaction->scan(table_.id, start_, end_, limit_.value_or(~usize{0}));
    if (!rows) return from_status(rows.status());
    rows_ = std::move(*rows);
    next_ = 0;
    return sql_ok();
}

SqlResult<bool> TableScan::next(ExecContext&, Row& row) {
    if (next_ >= rows_.size()) return false;
    auto values = kernel::decode_row(table_, rows_[next_].row);
    if (!values) return from_status(values.status());
    row = std::move(*values);
    ++next_;
    return true;
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

Project::Project(std::unique_ptr<Operator> input, std::vector<BoundExpr> expressions)
    : expressions_(std::move(expressions)) {
    children_.push_back(std::move(input));
}

SqlStatus Project::open(ExecContext& context) { return children_[0]->open(context); }

SqlResult<bool> Project::next(ExecContext& context, Row& row) {
    if (!KB_SQL_TRY(children_[0]->next(context, input_row_))) return false;
    row.clear();
    row.reserve(expressions_.size());
    for (const BoundExpr& expression : expressions_) {
        row.push_back(KB_SQL_TRY(evaluate(expression, input_row_, context.eval)));
    }
    return true;
}

// --- Limit -------------------------------------------------------------------------------

Limit::Limit(std::unique_ptr<Operator> input, std::optional<u64> limit, u64 offset)
    : limit_(limit), offset_(offset) {
    children_.push_back(std::move(input));
}

SqlStatus Limit::open(ExecContext& context) {
    skipped_ = 0;
    returned_ = 0;
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
    if (limit_) out += " " + std::to_string(*limit_);
    if (offset_ > 0) out += " offset " + std::to_string(offset_);
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
