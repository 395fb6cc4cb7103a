// TableWriter: writes rows of one table into a transaction with every constraint checked (the
// shared engine of INSERT, UPDATE, DELETE and ON CONFLICT; see exec_dml.h for the errors).
//
// Uniqueness and foreign keys are checked through indexes (db::Transaction::index_get and
// index cursors over the snapshot plus the overlay), so a check costs a lookup, not a scan, and
// the read set records exactly the key (range) it relied on: a concurrent insert of the same
// unique value, or of a child of a parent being deleted, conflicts at commit.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/transaction.h"
#include "kernel/row_codec.h"
#include "sql/bind_expr.h"
#include "sql/exec.h"

namespace kb::sql {

class TableWriter {
public:
    // Binds the table's CHECK constraints; fails if one does not parse or bind.
    static SqlResult<std::unique_ptr<TableWriter>> make(db::Transaction& transaction,
                                                        const kernel::TableSchema& table,
                                                        EvalContext& eval);

    const kernel::TableSchema& table() const { return table_; }
    // The writer, bound to the same schema, writes into `transaction` with `eval` from now on
    // (a kept INSERT plan's writer, run again: plan_cache.h).
    void rebind(db::Transaction& transaction, EvalContext& eval);
    // The scope a row of this table binds in (columns in table order), visible as `name`.
    Scope scope(const std::string& name) const;

    // The encoded primary key of a row in table column order.
    SqlResult<Bytes> key_of(const Row& row) const;
    // The row stored under `key`, as the transaction sees it (recorded as read).
    SqlResult<std::optional<Row>> find(ByteSpan key);
    // The live row whose unique index / primary key `constraint` holds the same values as
    // `row` (nullopt: none): what ON CONFLICT and unique checks look for. `constraint` is the
    // id of a unique index of the table (a UNIQUE constraint's or a CREATE UNIQUE INDEX one),
    // or nullopt for the primary key.
    SqlResult<std::optional<Row>> conflicting(const Row& row,
                                              std::optional<kernel::IndexId> constraint);

    // NOT NULL and CHECK alone: what INSERT ... ON CONFLICT checks before it looks for a
    // conflict (PostgreSQL's order).
    SqlStatus check_constraints(const Row& row) { return check_row(row); }

    // Checks NOT NULL, CHECK, uniqueness and the row's own foreign keys, then writes it.
    SqlStatus insert(const Row& row);
    // `old_row` becomes `new_row` (a new primary key is a remove and an insert, checked for the
    // references to the old key like a delete).
    SqlStatus update(const Row& old_row, const Row& new_row);
    // Checks the references to the row (RESTRICT) or deletes the referencing rows (CASCADE).
    SqlStatus remove(const Row& row);

private:
    TableWriter(db::Transaction& transaction, const kernel::TableSchema& table, EvalContext& eval);

    SqlStatus check_row(const Row& row);
    // 54000 when the row's primary key or one of its index keys is over the key size limit.
    SqlStatus check_key_sizes(const Row& row, ByteSpan primary_key) const;
    // The rows of `table` whose `columns` hold `values` (compared as key values), as the
    // transaction sees them: through an index or the primary key when one starts with those
    // columns, else by scanning the table (a superset the caller filters).
    SqlResult<std::vector<db::KeyedRow>> rows_with(const kernel::TableSchema& table,
                                                   const std::vector<kernel::ColumnId>& columns,
                                                   const Row& values);
    SqlStatus check_unique(const Row& row, std::optional<ByteSpan> own_key);
    SqlStatus check_references_from(const Row& row);
    SqlStatus check_references_to(const Row& old_row, const Row* new_row);
    std::string failing_row(const Row& row) const;
    std::string key_detail(const std::vector<kernel::ColumnId>& columns, const Row& row) const;
    usize column_index(kernel::ColumnId id) const;

    db::Transaction* transaction_;
    kernel::TableSchema table_;
    EvalContext* eval_;
    kernel::TableKeys keys_;
    std::vector<kernel::IndexSchema> indexes_;  // the table's, as the statement sees them
    std::vector<std::pair<std::string, BoundExpr>> checks_;
    // A unique index or a foreign key is checked between the primary key's probe and the
    // write (else insert() probes and writes in one step).
    bool checks_other_keys_ = false;
};

}  // namespace kb::sql
