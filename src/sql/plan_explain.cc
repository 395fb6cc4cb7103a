// EXPLAIN: the plan a statement would run, as text (see plan_select.h).
#include "sql/bind_ddl.h"
#include "sql/plan_select.h"

namespace kb::sql {

namespace {

// `plan`'s lines as the child of a write node named `head`.
std::vector<std::string> under(std::string head, const Operator& plan) {
    std::vector<std::string> lines{std::move(head)};
    for (const std::string& line : explain_tree(plan)) {
        // One level deeper: the plan's root gets the arrow, every other line moves right.
        lines.push_back((lines.size() == 1 ? "  ->  " : "      ") + line);
    }
    return lines;
}

std::string target_of(const ast::TableRef& table) {
    return table.name + (table.alias.empty() ? "" : " " + table.alias);
}

}  // namespace

SqlResult<std::vector<std::string>> explain_statement(const ast::Statement& statement,
                                                      db::Transaction& transaction,
                                                      EvalContext& eval) {
    ParameterTypes& parameters = eval.parameter_types;  // $n: one type across the statement
    if (const auto* select = statement.as<ast::SelectStatement>()) {
        QueryPlan plan = KB_SQL_TRY(plan_select(*select, transaction, parameters));
        KB_SQL_TRY(plan.folding.raise());  // planning raises it in PostgreSQL
        return explain_tree(*plan.root);
    }
    if (const auto* update = statement.as<ast::UpdateStatement>()) {
        RowSource source =
            KB_SQL_TRY(plan_rows(update->table, update->where.get(), transaction, parameters));
        KB_SQL_TRY(source.where_folding.raise());
        return under("Update on " + target_of(update->table), *source.root);
    }
    if (const auto* remove = statement.as<ast::DeleteStatement>()) {
        RowSource source =
            KB_SQL_TRY(plan_rows(remove->table, remove->where.get(), transaction, parameters));
        KB_SQL_TRY(source.where_folding.raise());
        return under("Delete on " + target_of(remove->table), *source.root);
    }
    if (const auto* insert = statement.as<ast::InsertStatement>()) {
        (void)KB_SQL_TRY(find_table(transaction, insert->table));  // 42P01 as the insert would
        const std::string head = "Insert on " + target_of(insert->table);
        if (insert->source == ast::InsertSource::select) {
            QueryPlan plan = KB_SQL_TRY(plan_select(*insert->select, transaction, parameters));
            KB_SQL_TRY(plan.folding.raise());
            return under(head, *plan.root);
        }
        const usize rows = insert->rows.size();
        return std::vector<std::string>{
            head,
            rows == 1 ? "  ->  Result" : "  ->  Values Scan (" + std::to_string(rows) + " rows)"};
    }
    return SqlError(sqlstate::kFeatureNotSupported, "EXPLAIN of this statement is not supported")
        .at(statement.position);
}

}  // namespace kb::sql
