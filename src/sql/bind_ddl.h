// DDL: CREATE TABLE, DROP TABLE, CREATE INDEX, DROP INDEX, ALTER TABLE ADD/DROP COLUMN and
// TRUNCATE turned into the kernel's schema changes (kernel/op.h, DdlChange) and applied to the
// transaction (db::Transaction::change_schema), which checks them against its catalog and logs
// them with the transaction's row effects at commit.
//
// PostgreSQL's rules and names are kept: constraint names t_pkey, t_a_key, t_a_check, t_check,
// t_a_fkey; SERIAL columns get a sequence t_a_seq, NOT NULL and DEFAULT nextval; identity
// columns a sequence t_a_seq; unique constraints a unique index named like the constraint.
// Kimberlite requires a primary key (rows are keyed by it): a table without one is refused
// with 0A000. Ids of new tables, indexes and sequences come from the catalog's next object id.
//
// Defaults are stored by kind (kernel/schema.h, ColumnDefault): now() and CURRENT_TIMESTAMP as
// `now`, gen_random_uuid() as `gen_random_uuid`, nextval('s') as `nextval`, anything else as
// an `expression` (its SQL text, evaluated by INSERT against the column's type); CHECK
// constraints as their SQL text.
#pragma once

#include <string>

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/error.h"
#include "sql/eval_context.h"

namespace kb::sql {

// What a DDL statement did, for its command tag and notices.
struct DdlOutcome {
    std::string tag;     // "CREATE TABLE", "DROP TABLE", ...
    std::string notice;  // e.g. relation "t" already exists, skipping
};

SqlResult<DdlOutcome> execute_create_table(const ast::CreateTableStatement& statement,
                                           db::Transaction& transaction);
SqlResult<DdlOutcome> execute_drop_table(const ast::DropTableStatement& statement,
                                         db::Transaction& transaction);
SqlResult<DdlOutcome> execute_create_index(const ast::CreateIndexStatement& statement,
                                           db::Transaction& transaction);
SqlResult<DdlOutcome> execute_drop_index(const ast::DropIndexStatement& statement,
                                         db::Transaction& transaction);
SqlResult<DdlOutcome> execute_alter_table(const ast::AlterTableStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval);
SqlResult<DdlOutcome> execute_truncate(const ast::TruncateStatement& statement,
                                       db::Transaction& transaction);

// The live table named `name` as the transaction sees it, or 42P01 'relation "x" does not
// exist' at `position`. Also used by the DML and query binders.
SqlResult<const kernel::TableSchema*> find_table(const db::Transaction& transaction,
                                                 const ast::TableRef& table);

}  // namespace kb::sql
