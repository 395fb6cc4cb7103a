// SELECT: binding a query against the transaction's catalog and planning it as an operator
// tree (exec.h, exec_query.h):
//
//     TableScan (the access path plan_access.h chooses from WHERE and ORDER BY: the whole
//       table, a primary-key point or range, a secondary index)
//       -> [Filter (what of WHERE the path does not apply)]
//       -> [Aggregate (GROUP BY, aggregates) -> Filter (HAVING)]
//       -> [Sort (ORDER BY, unless the path reads in that order)] -> Project (select list)
//       -> [Distinct] -> [Limit]
//
// Operators stream, so a Limit stops the scan (and the read set) at the last row it needs.
//
// ORDER BY may name output columns by position or alias, or use any expression of the input
// (PostgreSQL's rules; with DISTINCT it must be in the select list). The same planner serves
// INSERT ... SELECT and the row sources of UPDATE and DELETE (plan_rows).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/bind_expr.h"
#include "sql/bind_fold.h"
#include "sql/exec.h"
#include "sql/session.h"

namespace kb::sql {

struct QueryPlan {
    std::unique_ptr<Operator> root;
    std::vector<ResultColumn> columns;
    // What folding the statement's constants raised (bind_fold.h): running the plan must
    // report it first; describing it does not.
    FoldingError folding;
};

SqlResult<QueryPlan> plan_select(const ast::SelectStatement& select, db::Transaction& transaction,
                                 ParameterTypes& parameters);

// The rows of `table` that `where` (may be null) selects, each as [table columns...], with the
// scope their expressions bind in: what UPDATE and DELETE work on.
struct RowSource {
    std::unique_ptr<Operator> root;
    Scope scope;
    const kernel::TableSchema* table = nullptr;
    FoldingError where_folding;  // WHERE's (QueryPlan::folding)
};
SqlResult<RowSource> plan_rows(const ast::TableRef& table_ref, const ast::Expr* where,
                               db::Transaction& transaction, ParameterTypes& parameters);

// EXPLAIN's lines for a SELECT, INSERT, UPDATE or DELETE (plan_explain.cc): the plan it would
// run, without running it. Writes show as "Insert on t", "Update on t", "Delete on t" above
// the plan of the rows they read.
SqlResult<std::vector<std::string>> explain_statement(const ast::Statement& statement,
                                                      db::Transaction& transaction,
                                                      EvalContext& eval);

// The name PostgreSQL gives an unaliased output column (select list, RETURNING).
std::string output_name(const ast::Expr& expr);

// Runs a plan to the end, collecting its rows.
SqlResult<std::vector<Row>> run_plan(Operator& root, ExecContext& context);

// run_plan into `rows`, whose entries are refilled in place: a row left by an earlier run
// (values of the right kinds, text capacity) is handed to the plan to overwrite, so running a
// plan again into the same vector allocates nothing per row in the steady state. On success
// `rows` holds exactly the plan's rows; on an error it holds what was read so far (to be
// reused, not shown).
SqlStatus run_plan_into(Operator& root, ExecContext& context, std::vector<Row>& rows);

}  // namespace kb::sql
