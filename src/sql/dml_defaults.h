// What INSERT and COPY FROM share to fill a row: column defaults (computed per row, sequence
// values reserved in blocks) and the assignment of a value to a column's type.
#pragma once

#include <map>

#include "db/transaction.h"
#include "sql/bind_expr.h"
#include "sql/exec.h"

namespace kb::sql {

// 42804 unless a value of type `from` may be assigned to `column` (PostgreSQL's wording).
SqlStatus check_assignable(const Type& from, const kernel::ColumnDef& column, int position);

// A value for a column: `expr` bound and coerced to the column's type as an assignment.
SqlResult<BoundExpr> bind_assignment(ExprBinder& binder, const ast::Expr& expr,
                                     const kernel::ColumnDef& column);

// Column defaults of `table`, computed per row: constants, now() (the transaction's), uuids
// (gen_random_uuid(), logged with the op), other expressions, and SERIAL / identity values,
// which are reserved outside the transaction in blocks (never given back, as in PostgreSQL).
class ColumnDefaults {
public:
    ColumnDefaults(db::Transaction& transaction, const kernel::TableSchema& table,
                   EvalContext& eval)
        : transaction_(&transaction), table_(table), eval_(&eval) {}

    // How many rows of this statement will take sequence values: the next reservation asks
    // for that many in one op.
    void expect_rows(usize rows) { expected_rows_ = std::max<usize>(rows, 1); }
    // Later values come from this transaction and context (COPY: the next chunk's); values
    // already reserved are used first.
    void rebind(db::Transaction& transaction, EvalContext& eval) {
        transaction_ = &transaction;
        eval_ = &eval;
    }

    // The default of column `column_index` of the table (NULL when it has none).
    SqlResult<Value> value(usize column_index);

private:
    SqlResult<Value> cast_value(Value value, const Type& from, const Type& to);
    SqlResult<i64> next_value(kernel::SequenceId sequence);

    db::Transaction* transaction_;
    const kernel::TableSchema& table_;
    EvalContext* eval_;
    usize expected_rows_ = 1;
    std::map<u64, kernel::SequenceBlock> blocks_;
};

}  // namespace kb::sql
