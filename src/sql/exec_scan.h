// TableScan: the leaf operator that reads a table's rows through an access path
// (plan_access.h) — the whole table, a primary-key point or range, or a secondary index —
// through the transaction's view (db::RowCursor: snapshot plus overlay, recorded in the read
// set as far as it was read).
//
// Rows stream: nothing is collected, and the cursor moves to the next row only when the next
// row is asked for, so a LIMIT above stops the read (and the read set) at the last row it took.
// The key range is computed when the scan opens, from the path's bound expressions evaluated
// then (parameters included), so a plan can be opened again with other parameter values.
#pragma once

#include <optional>
#include <string>

#include "db/transaction.h"
#include "kernel/row_codec.h"
#include "sql/exec.h"
#include "sql/plan_access.h"

namespace kb::sql {

class TableScan final : public Operator {
public:
    // `label` is how EXPLAIN names the table ("t", or "t x" for an alias).
    TableScan(kernel::TableSchema table, AccessPath path, std::string label);
    SqlStatus open(ExecContext& context) override;
    SqlResult<bool> next(ExecContext& context, Row& row) override;
    std::string explain() const override;
    void close() override;

    const AccessPath& path() const { return path_; }

private:
    SqlStatus open_next_range(db::Transaction& transaction);

    kernel::TableSchema table_;
    kernel::RowDecoder decoder_;  // table_'s images, decoded into the caller's row in place
    AccessPath path_;
    std::string label_;
    bool point_ = false;  // every range is one full primary key: a get() each
    std::vector<KeyRange> ranges_;
    usize next_range_ = 0;
    std::optional<db::RowCursor> cursor_;
    std::optional<Bytes> point_row_;
    bool started_ = false;  // the current cursor row was returned
};

}  // namespace kb::sql
