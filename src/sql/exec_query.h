// Operators that need all their input before they answer: sorting, grouping with aggregates,
// and DISTINCT (see exec.h for the operator model).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/key_encoding.h"
#include "sql/bind_expr.h"
#include "sql/exec.h"

namespace kb::sql {

struct SortKey {
    BoundExpr expr;  // against the input row
    bool descending = false;
    kernel::NullsOrder nulls = kernel::NullsOrder::standard;  // standard: NULLS LAST for ASC
};

// ORDER BY: every input row, sorted by the keys (stable: equal keys keep input order).
class Sort final : public Operator {
public:
    Sort(std::unique_ptr<Operator> input, std::vector<SortKey> keys, std::string description);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override { return "Sort: " + description_; }
    void close() override {
        rows_.clear();
        Operator::close();
    }

private:
    std::vector<SortKey> keys_;
    std::string description_;
    std::vector<Row> rows_;
    usize next_ = 0;
};

// GROUP BY and aggregates: one output row per group, [group key values..., aggregate
// results...]. Without group keys there is exactly one group, even over no rows.
class Aggregate final : public Operator {
public:
    Aggregate(std::unique_ptr<Operator> input, std::vector<BoundExpr> group_keys,
              std::vector<BoundAggregate> aggregates);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override;
    void close() override {
        output_.clear();
        Operator::close();
    }

private:
    std::vector<BoundExpr> group_keys_;
    std::vector<BoundAggregate> aggregates_;
    std::vector<Row> output_;
    usize next_ = 0;
};

// DISTINCT over whole rows (values equal as grouping sees them).
class Distinct final : public Operator {
public:
    Distinct(std::unique_ptr<Operator> input, std::vector<Type> types);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override { return "Unique"; }
    void close() override {
        seen_.clear();
        Operator::close();
    }

private:
    std::vector<Type> types_;
    std::map<std::string, bool> seen_;
};

// A byte string equal for rows equal as grouping sees them (GROUP BY, DISTINCT).
std::string grouping_key(std::span<const Value> values, std::span<const Type> types);

}  // namespace kb::sql
