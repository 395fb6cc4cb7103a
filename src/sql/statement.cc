// One statement on a transaction: the dispatch to DDL, DML, queries and EXPLAIN (session.h).
#include "sql/bind_ddl.h"
#include "sql/catalog_tables.h"
#include "sql/copy.h"
#include "sql/exec_dml.h"
#include "sql/plan_cache.h"
#include "sql/plan_select.h"
#include "sql/privileges.h"
#include "sql/session.h"

namespace kb::sql {

namespace {

StatementResult from_ddl(const DdlOutcome& outcome) {
    StatementResult result;
    result.tag = outcome.tag;
    if (!outcome.notice.empty()) result.notices.push_back(outcome.notice);
    return result;
}

SqlResult<StatementResult> run_select(const ast::SelectStatement& select,
                                      db::Transaction& transaction, EvalContext& eval,
                                      PlanCache* plan_cache, StatementResult* recycle) {
    const std::optional<db::SchemaKey> key =
        plan_cache != nullptr ? transaction.schema_key() : std::nullopt;
    std::unique_ptr<CachedPlan> cached = key ? plan_cache->take(*key) : nullptr;
    if (cached == nullptr) {
        cached = std::make_unique<CachedPlan>();
        cached->plan = KB_SQL_TRY(plan_select(select, transaction, eval.parameter_types));
    }
    // A recycled result's memory (its rows above all) is refilled in place.
    StatementResult result = recycle != nullptr ? std::move(*recycle) : StatementResult{};
    result.tag.clear();
    result.returns_rows = true;
    result.columns = cached->plan.columns;
    result.notices.clear();
    result.copy.reset();
    SqlStatus ran = sql_ok();
    if (eval.describe_only) {
        result.rows.clear();
    } else if (SqlStatus folded = cached->plan.folding.raise(); !folded) {
        result.rows.clear();
        ran = folded.error();
    } else {
        ExecContext context{&transaction, eval};
        ran = run_plan_into(*cached->plan.root, context, result.rows);
    }
    if (key) {  // kept whatever this run met: the plan is as good for the next one
        cached->key = *key;
        plan_cache->keep(std::move(cached));
    }
    if (!ran) {
        if (recycle != nullptr) *recycle = std::move(result);  // its memory, for the next run
        return ran.error();
    }
    if (!eval.describe_only) {
        result.tag = "SELECT ";
        result.tag += std::to_string(result.rows.size());
    }
    return result;
}

SqlResult<StatementResult> run_explain(const ast::ExplainStatement& explain,
                                       db::Transaction& transaction, EvalContext& eval) {
    std::vector<std::string> lines =
        KB_SQL_TRY(explain_statement(*explain.statement, transaction, eval));
    StatementResult result;
    result.returns_rows = true;
    result.columns.push_back({"QUERY PLAN", Type::of(SqlType::text)});
    if (eval.describe_only) return result;
    for (std::string& line : lines) result.rows.push_back({Value::text(std::move(line))});
    result.tag = "EXPLAIN";
    return result;
}

}  // namespace

SqlResult<StatementResult> execute_statement(const ast::Statement& statement,
                                             db::Transaction& transaction, EvalContext& eval,
                                             PlanCache* plan_cache, StatementResult* recycle) {
    if (eval.describe_only && !statement.is<ast::SelectStatement>() &&
        !statement.is<ast::InsertStatement>() && !statement.is<ast::UpdateStatement>() &&
        !statement.is<ast::DeleteStatement>() && !statement.is<ast::ExplainStatement>()) {
        return StatementResult{};  // DDL: no rows, nothing to bind ahead of running it
    }
    // The system catalog is read-only (catalog_tables.h).
    KB_SQL_TRY(refuse_system_catalog_writes(statement, transaction));
    // Privileges when the statement runs, not when it is described (as PostgreSQL: a Parse
    // needs none).
    if (!eval.describe_only) KB_SQL_TRY(check_statement_privileges(statement, transaction));
    if (const auto* s = statement.as<ast::SelectStatement>())
        return run_select(*s, transaction, eval, plan_cache, recycle);
    if (const auto* s = statement.as<ast::InsertStatement>())
        return execute_insert(*s, transaction, eval, plan_cache);
    if (const auto* s = statement.as<ast::UpdateStatement>())
        return execute_update(*s, transaction, eval);
    if (const auto* s = statement.as<ast::DeleteStatement>())
        return execute_delete(*s, transaction, eval);
    if (const auto* s = statement.as<ast::ExplainStatement>())
        return run_explain(*s, transaction, eval);
    if (const auto* s = statement.as<ast::CreateTableStatement>()) {
        return from_ddl(KB_SQL_TRY(execute_create_table(*s, transaction)));
    }
    if (const auto* s = statement.as<ast::DropTableStatement>()) {
        return from_ddl(KB_SQL_TRY(execute_drop_table(*s, transaction)));
    }
    if (const auto* s = statement.as<ast::CreateIndexStatement>()) {
        return from_ddl(KB_SQL_TRY(execute_create_index(*s, transaction)));
    }
    if (const auto* s = statement.as<ast::DropIndexStatement>()) {
        return from_ddl(KB_SQL_TRY(execute_drop_index(*s, transaction)));
    }
    if (const auto* s = statement.as<ast::AlterTableStatement>()) {
        return from_ddl(KB_SQL_TRY(execute_alter_table(*s, transaction, eval)));
    }
    if (const auto* s = statement.as<ast::TruncateStatement>()) {
        return from_ddl(KB_SQL_TRY(execute_truncate(*s, transaction)));
    }
    if (const auto* s = statement.as<ast::CopyStatement>(); s != nullptr && !s->from) {
        return execute_copy_to(*s, transaction, eval);
    }
    return SqlError(sqlstate::kFeatureNotSupported, "statement not supported")
        .at(statement.position);
}

}  // namespace kb::sql
