// INSERT, UPDATE and DELETE: rows computed by the statement, checked against every constraint
// of the table (NOT NULL, CHECK, primary key, UNIQUE, FOREIGN KEY on both sides, with ON
// DELETE CASCADE resolved here, at the edge — DESIGN.md §3), written into the transaction's
// overlay, with RETURNING rows and PostgreSQL's errors:
//   23502 null value in column "c" of relation "t" violates not-null constraint
//   23514 new row for relation "t" violates check constraint "t_c_check"
//   23505 duplicate key value violates unique constraint "t_pkey"
//   23503 insert or update on table "c" violates foreign key constraint "c_p_fkey"
//   23503 update or delete on table "p" violates foreign key constraint "c_p_fkey" on table "c"
// each with PostgreSQL's DETAIL (Failing row contains (...), Key (a)=(1) already exists, ...).
//
// The statement reads all the rows it will change before it changes any (its input is the
// overlay as of its start), so `UPDATE t SET k = k + 1` never sees its own writes.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/dml_writer.h"
#include "sql/session.h"

namespace kb::sql {

class PlanCache;

// RETURNING: the select list bound against the table's row.
struct BoundReturning {
    std::vector<BoundExpr> expressions;
    std::vector<ResultColumn> columns;
};

// An INSERT ... VALUES or DEFAULT VALUES as analysis leaves it: everything but the values of
// its parameters, its defaults (sequences advance per run) and the rows it meets. A prepared
// statement keeps it (plan_cache.h) while the schema is the same, so running it again skips
// binding; it holds no transaction between runs (the writer is bound to each run's).
struct InsertPlan {
    db::SchemaKey key;  // the schema it was bound against
    kernel::TableSchema table;
    std::unique_ptr<TableWriter> writer;
    std::vector<usize> targets;  // the table column of each written value
    // VALUES: each row's values bound for their columns (nullopt: DEFAULT).
    std::vector<std::vector<std::optional<BoundExpr>>> values;
    BoundReturning returning;
    std::vector<kernel::IndexSchema> unique_indexes;
    // ON CONFLICT: the arbiter (nullopt inside: the primary key; outer nullopt: none given),
    // the DO UPDATE SET list bound against the row and EXCLUDED, and its WHERE.
    std::optional<std::optional<kernel::IndexId>> conflict_target;
    std::vector<std::pair<usize, BoundExpr>> conflict_set;
    std::optional<BoundExpr> conflict_where;
};

// `plan_cache`: a prepared statement's, to keep the bound INSERT in (nullptr: bind every run).
SqlResult<StatementResult> execute_insert(const ast::InsertStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval,
                                          PlanCache* plan_cache = nullptr);
SqlResult<StatementResult> execute_update(const ast::UpdateStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval);
SqlResult<StatementResult> execute_delete(const ast::DeleteStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval);

// After ALTER TABLE ADD COLUMN: gives every existing row the column's default (evaluated per
// row, as PostgreSQL does for volatile defaults), refusing NOT NULL columns left NULL (23502
// 'column "c" of relation "t" contains null values').
SqlStatus fill_added_column(db::Transaction& transaction, kernel::TableId table,
                            kernel::ColumnId column, EvalContext& eval);

// A new unique index over `columns` of the table (as the transaction sees it) can be built:
// no two rows hold the same values with none NULL. Else 23505 'could not create unique index
// "name"' with DETAIL Key (c)=(v) is duplicated.
SqlStatus check_unique_index(db::Transaction& transaction, kernel::TableId table,
                             const std::string& name, const std::vector<kernel::ColumnId>& columns);

// After ALTER TABLE ADD COLUMN (and fill_added_column): every row of the table must satisfy
// the column's new constraints, with PostgreSQL's errors:
//   23514 check constraint "t_c_check" of relation "t" is violated by some row
//   23505 could not create unique index "t_c_key" (DETAIL Key (c)=(1) is duplicated.)
//   23503 insert or update on table "t" violates foreign key constraint "t_c_fkey"
SqlStatus check_added_constraints(db::Transaction& transaction, kernel::TableId table,
                                  const kernel::AddedConstraints& constraints, EvalContext& eval);

}  // namespace kb::sql
