// Statement privileges: what a statement needs of the tables it names, checked on the
// transaction's snapshot before it runs, as PostgreSQL's executor does (42501 'permission
// denied for table t'). Reads are checked only here (a read-only transaction never reaches the
// primary); writes here too, so the error comes with the statement rather than at COMMIT, and
// again at the primary at the op's position (kernel/permissions.h), which a REVOKE committed
// after this statement's snapshot can still stop.
//
// What each statement needs (superusers need nothing; others also need CONNECT on the tenant):
//   SELECT ... FROM t                  SELECT on t (INSERT ... SELECT too)
//   INSERT INTO t                      INSERT; RETURNING adds SELECT; ON CONFLICT DO UPDATE
//                                      adds UPDATE and SELECT
//   UPDATE t                           UPDATE; SELECT as well when it reads values (WHERE,
//                                      RETURNING, or a SET value naming a column)
//   DELETE FROM t                      DELETE; SELECT as well with WHERE or RETURNING
//   TRUNCATE t                         TRUNCATE
//   CREATE / DROP / ALTER TABLE, CREATE / DROP INDEX: a superuser (tables have no owners yet:
//                                      42501 as PostgreSQL words it for a non-owner)
//   EXPLAIN s                          what s needs
// A table that does not exist is left to the statement (42P01 comes first, as in PostgreSQL).
#pragma once

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/error.h"

namespace kb::sql {

SqlStatus check_statement_privileges(const ast::Statement& statement,
                                     const db::Transaction& transaction);

}  // namespace kb::sql
