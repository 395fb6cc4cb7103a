// Statement privileges (see privileges.h).
#include "sql/privileges.h"

#include <vector>

#include "sql/ast_walk.h"

namespace kb::sql {
namespace {

using kernel::Privilege;

struct Need {
    const ast::TableRef* table;
    Privilege privilege;
};

// A table named as the statement names it, or nullptr when it does not exist (or is in a
// schema that does not: the statement reports that itself).
const kernel::TableSchema* lookup(const db::Transaction& transaction, const ast::TableRef& ref) {
    if (!ref.schema.empty() && ref.schema != "public") return nullptr;
    return transaction.catalog().find_table(ref.name, transaction.schema_position());
}

bool names_a_column(const ast::Expr& expr) {
    bool found = false;
    ast::walk(expr, [&](const ast::Expr& e) { found = found || e.is<ast::ColumnRef>(); });
    return found;
}

void needs_of(const ast::Statement& statement, std::vector<Need>& needs) {
    if (const auto* select = statement.as<ast::SelectStatement>()) {
        if (select->from) needs.push_back({&*select->from, Privilege::select});
    }
    if (const auto* insert = statement.as<ast::InsertStatement>()) {
        needs.push_back({&insert->table, Privilege::insert});
        if (!insert->returning.empty()) needs.push_back({&insert->table, Privilege::select});
        if (insert->on_conflict && insert->on_conflict->action == ast::ConflictAction::update) {
            needs.push_back({&insert->table, Privilege::update});
            needs.push_back({&insert->table, Privilege::select});
        }
        if (insert->select && insert->select->from) {
            needs.push_back({&*insert->select->from, Privilege::select});
        }
    }
    if (const auto* update = statement.as<ast::UpdateStatement>()) {
        needs.push_back({&update->table, Privilege::update});
        bool reads = update->where != nullptr || !update->returning.empty();
        for (const ast::SetClause& set : update->set) reads = reads || names_a_column(*set.value);
        if (reads) needs.push_back({&update->table, Privilege::select});
    }
    if (const auto* remove = statement.as<ast::DeleteStatement>()) {
        needs.push_back({&remove->table, Privilege::remove});
        if (remove->where != nullptr || !remove->returning.empty()) {
            needs.push_back({&remove->table, Privilege::select});
        }
    }
    if (const auto* truncate = statement.as<ast::TruncateStatement>()) {
        for (const ast::TableRef& table : truncate->tables) {
            needs.push_back({&table, Privilege::truncate});
        }
    }
    if (const auto* explain = statement.as<ast::ExplainStatement>()) {
        if (explain->statement) needs_of(*explain->statement, needs);
    }
}

// The refusal of a schema change by a role that is not a superuser, in PostgreSQL's words for
// a non-owner (nullopt: the statement changes no schema, or names nothing that exists, which
// the statement reports itself: 42P01, or a notice for IF EXISTS).
std::optional<SqlError> schema_change_refusal(const ast::Statement& statement,
                                              const db::Transaction& transaction) {
    auto not_owner = [&](const ast::TableRef& table) -> std::optional<SqlError> {
        if (lookup(transaction, table) == nullptr) return std::nullopt;
        return SqlError(sqlstate::kInsufficientPrivilege, "must be owner of table " + table.name);
    };
    if (statement.is<ast::CreateTableStatement>()) {
        return SqlError(sqlstate::kInsufficientPrivilege, "permission denied for schema public")
            .with_hint("Only superusers create tables: kimberlite has no object owners yet.");
    }
    if (const auto* s = statement.as<ast::DropTableStatement>()) {
        for (const ast::TableRef& table : s->tables) {
            if (auto refusal = not_owner(table)) return refusal;
        }
    }
    if (const auto* s = statement.as<ast::AlterTableStatement>()) return not_owner(s->table);
    if (const auto* s = statement.as<ast::CreateIndexStatement>()) return not_owner(s->table);
    if (const auto* s = statement.as<ast::DropIndexStatement>()) {
        for (const ast::TableRef& index : s->indexes) {
            if (transaction.catalog().find_index(index.name, transaction.schema_position())) {
                return SqlError(sqlstate::kInsufficientPrivilege,
                                "must be owner of index " + index.name);
            }
        }
    }
    return std::nullopt;
}

}  // namespace

SqlStatus check_statement_privileges(const ast::Statement& statement,
                                     const db::Transaction& transaction) {
    auto superuser = transaction.is_superuser();
    if (!superuser) return from_status(superuser.status());
    if (*superuser) return sql_ok();
    if (auto refusal = schema_change_refusal(statement, transaction)) return *refusal;
    std::vector<Need> needs;
    needs_of(statement, needs);
    for (const Need& need : needs) {
        const kernel::TableSchema* table = lookup(transaction, *need.table);
        if (table == nullptr) continue;
        auto allowed = transaction.has_table_privilege(table->id, need.privilege);
        if (!allowed) return from_status(allowed.status());
        if (!*allowed) {
            return SqlError(sqlstate::kInsufficientPrivilege,
                            "permission denied for table " + table->name);
        }
    }
    return sql_ok();
}

}  // namespace kb::sql
