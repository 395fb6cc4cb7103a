// The executor: a tree of operators that pull rows from their children (the iterator model),
// built by the planner (plan_select.h) and run against a transaction's snapshot plus overlay.
//
// Every operator produces rows of Values with a fixed shape (its output columns). open() runs
// once before the first next(); next() yields one row or false at the end. Scans read through
// db::Transaction, so they see the snapshot plus the transaction's own writes as of the moment
// the statement started (writes made by the statement itself are applied after its input was
// read: no Halloween effects), and every read lands in the read set.
//
// Operators are small and composable so joins, subqueries and windows (a later issue) are new
// operators, not a rewrite.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/transaction.h"
#include "kernel/schema.h"
#include "sql/bound.h"

namespace kb::sql {

using Row = std::vector<Value>;

struct ExecContext {
    db::Transaction* transaction = nullptr;
    EvalContext eval{};
};

class Operator {
public:
    virtual ~Operator() = default;
    virtual SqlStatus open(ExecContext& context) = 0;
    virtual SqlResult<bool> next(ExecContext& context, Row& row) = 0;
    // EXPLAIN's text for this operator (without children): one line, optionally followed by
    // detail lines after '\n' ("Index Cond: ..."), printed indented under it.
    virtual std::string explain() const = 0;
    // Releases what the last execution holds — cursors into its transaction, buffered rows —
    // so a plan kept for reuse (plan_cache.h) pins nothing between executions. open() may
    // follow. Overrides call Operator::close() for the children.
    virtual void close() {
        for (const std::unique_ptr<Operator>& child : children_) child->close();
    }
    const std::vector<std::unique_ptr<Operator>>& children() const { return children_; }

protected:
    std::vector<std::unique_ptr<Operator>> children_;
};

// EXPLAIN's text: one line per operator, children indented under their parent with "->",
// detail lines indented under their operator (PostgreSQL's layout).
std::vector<std::string> explain_tree(const Operator& root);

// Rows whose condition is TRUE.
class Filter final : public Operator {
public:
    Filter(std::unique_ptr<Operator> input, BoundExpr condition, std::string description);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override { return "Filter: " + description_; }

private:
    BoundExpr condition_;
    std::string description_;
};

// One output row per input row: the expressions evaluated against it.
class Project final : public Operator {
public:
    Project(std::unique_ptr<Operator> input, std::vector<BoundExpr> expressions);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override { return "Project"; }
    void close() override {
        input_row_.clear();
        Operator::close();
    }

private:
    std::vector<BoundExpr> expressions_;
    std::vector<bool> moves_;  // per expression: a column moved out of input_row_
    // Every expression is input column i at position i, used once: the child's row, cut to
    // the expressions' count, is the output (the child fills it directly, nothing moves).
    bool leading_columns_ = false;
    Row input_row_;
};

// OFFSET then LIMIT (nullopt: none), both already evaluated.
class Limit final : public Operator {
public:
    // LIMIT / OFFSET as bound bigint expressions (constants and parameters), evaluated when
    // the operator opens: NULL is no limit (no offset); a negative value is PostgreSQL's
    // 2201W / 2201X. Either may be absent.
    Limit(std::unique_ptr<Operator> input, std::optional<BoundExpr> limit,
          std::optional<BoundExpr> offset);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override;

private:
    std::optional<BoundExpr> limit_expr_;
    std::optional<BoundExpr> offset_expr_;
    std::optional<u64> limit_;  // this execution's values
    u64 offset_ = 0;
    u64 skipped_ = 0;
    u64 returned_ = 0;
};

// Fixed rows (VALUES lists, SELECT without FROM: one empty row), expressions evaluated at open.
class Values final : public Operator {
public:
    explicit Values(std::vector<std::vector<BoundExpr>> rows);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override;
    void close() override {
        rows_.clear();
        Operator::close();
    }

private:
    std::vector<std::vector<BoundExpr>> expressions_;
    std::vector<Row> rows_;
    usize next_ = 0;
};

}  // namespace kb::sql
