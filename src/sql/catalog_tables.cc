// The system catalog's tables: the registry, name resolution, the refusal of writes, and the
// scan operator (see catalog_tables.h). The rows are in catalog_pg_rows.cc and
// catalog_information_schema.cc.
#include "sql/catalog_tables.h"

#include <algorithm>

#include "kernel/access_reads.h"

namespace kb::sql {
namespace {

// Fills in the binder's view of a system table.
SystemTable with_schema(SystemTable table) {
    table.table.id = kernel::TableId(0);
    table.table.name = std::string(table.name);
    for (usize i = 0; i < table.columns.size(); ++i) {
        kernel::ColumnDef column;
        column.id = kernel::ColumnId(static_cast<u32>(i + 1));
        column.name = std::string(table.columns[i].name);
        column.type = kernel::ColumnType{.type = table.columns[i].type};
        table.table.columns.push_back(std::move(column));
    }
    table.table.next_column_id = kernel::ColumnId(static_cast<u32>(table.columns.size() + 1));
    for (std::string_view key : table.primary_key) {
        const kernel::ColumnDef* column = table.table.find_column(key);
        KB_ASSERT_MSG(column != nullptr, "a system table's key names a column it does not have");
        table.table.primary_key.push_back(column->id);
    }
    return table;
}

const std::vector<SystemTable>& registry() {
    static const std::vector<SystemTable> tables = [] {
        std::vector<SystemTable> out;
        for (SystemTable (*make)() :
             {pg_type_table, pg_namespace_table, pg_class_table, pg_attribute_table,
              pg_database_table, pg_roles_table, information_schema_tables_table,
              information_schema_columns_table}) {
            out.push_back(with_schema(make()));
        }
        std::sort(out.begin(), out.end(),
                  [](const SystemTable& a, const SystemTable& b) { return a.oid < b.oid; });
        return out;
    }();
    return tables;
}

// Reading anything of a database takes CONNECT on it (superusers need none), as every table
// read does (privileges.h): the server checks it at login; this keeps the catalog behind the
// same door for in-process sessions.
SqlStatus check_connect(const db::Transaction& transaction, const EvalContext& eval) {
    auto superuser = transaction.is_superuser();
    if (!superuser) return from_status(superuser.status());
    if (*superuser) return sql_ok();
    auto allowed =
        kernel::reads::may_connect(transaction.snapshot(), transaction.principal(),
                                   transaction.tenant(), transaction.snapshot_position());
    if (!allowed) return from_status(allowed.status());
    if (*allowed) return sql_ok();
    const std::string database = CatalogReader{transaction, eval}.database_name();
    return SqlError(sqlstate::kInsufficientPrivilege,
                    "permission denied for database \"" + database + "\"")
        .with_detail("User does not have CONNECT privilege.");
}

class SystemTableScan final : public Operator {
public:
    SystemTableScan(const SystemTable& table, std::string label)
        : table_(table), label_(std::move(label)) {}

    SqlStatus open(ExecContext& context) override {
        KB_ASSERT(context.transaction != nullptr);
        KB_SQL_TRY(check_connect(*context.transaction, context.eval));
        rows_ = KB_SQL_TRY(table_.rows(CatalogReader{*context.transaction, context.eval}));
        for (const Row& row : rows_) {
            KB_ASSERT_MSG(row.size() == table_.columns.size(),
                          "a system table's row does not have its columns");
        }
        next_ = 0;
        return sql_ok();
    }
    SqlResult<bool> next(ExecContext&, Row& row) override {
        if (next_ >= rows_.size()) return false;
        row = std::move(rows_[next_++]);
        return true;
    }
    std::string explain() const override { return "Seq Scan on " + label_; }
    void close() override {
        rows_.clear();
        Operator::close();
    }

private:
    const SystemTable& table_;
    std::string label_;
    std::vector<Row> rows_;
    usize next_ = 0;
};

enum class Write : u8 { insert, update, remove, ddl, drop };

SqlStatus refuse(const ast::TableRef& ref, Write write, const db::Transaction& transaction) {
    const SystemTable* table = KB_SQL_TRY(resolve_system_table(ref));
    if (table == nullptr) return sql_ok();
    const std::string name(table->name);
    if (table->relkind == 'v') {
        std::string verb;
        switch (write) {
            case Write::insert:
                verb = "insert into";
                break;
            case Write::update:
                verb = "update";
                break;
            case Write::remove:
                verb = "delete from";
                break;
            case Write::ddl:
            case Write::drop: {
                SqlError error("42809", "\"" + name + "\" is not a table");
                if (write == Write::drop) error.with_hint("Use DROP VIEW to remove a view.");
                return error;
            }
        }
        return SqlError(sqlstate::kObjectNotInPrerequisiteState,
                        "cannot " + verb + " view \"" + name + "\"")
            .with_detail(
                "Views that do not select from a single table or view are not automatically "
                "updatable.")
            .at(ref.position);
    }
    if (write != Write::ddl && write != Write::drop) {
        auto superuser = transaction.is_superuser();
        if (!superuser) return from_status(superuser.status());
        if (!*superuser) {
            return SqlError(sqlstate::kInsufficientPrivilege,
                            "permission denied for table " + name);
        }
    }
    return SqlError(sqlstate::kInsufficientPrivilege,
                    "permission denied: \"" + name + "\" is a system catalog");
}

SqlStatus refuse_writes(const ast::Statement& statement, const db::Transaction& transaction) {
    if (const auto* s = statement.as<ast::InsertStatement>()) {
        return refuse(s->table, Write::insert, transaction);
    }
    if (const auto* s = statement.as<ast::UpdateStatement>()) {
        return refuse(s->table, Write::update, transaction);
    }
    if (const auto* s = statement.as<ast::DeleteStatement>()) {
        return refuse(s->table, Write::remove, transaction);
    }
    if (const auto* s = statement.as<ast::TruncateStatement>()) {
        for (const ast::TableRef& table : s->tables) {
            KB_SQL_TRY(refuse(table, Write::ddl, transaction));
        }
    }
    if (const auto* s = statement.as<ast::DropTableStatement>()) {
        for (const ast::TableRef& table : s->tables) {
            KB_SQL_TRY(refuse(table, Write::drop, transaction));
        }
    }
    if (const auto* s = statement.as<ast::AlterTableStatement>()) {
        return refuse(s->table, Write::ddl, transaction);
    }
    if (const auto* s = statement.as<ast::CreateIndexStatement>()) {
        return refuse(s->table, Write::ddl, transaction);
    }
    if (const auto* s = statement.as<ast::CreateTableStatement>()) {
        // Unqualified, a new table goes to public (the first schema of the path it may create
        // in), whatever pg_catalog has.
        if (s->table.schema == "pg_catalog" || s->table.schema == "information_schema") {
            return SqlError(sqlstate::kInsufficientPrivilege, "permission denied to create \"" +
                                                                  s->table.schema + "." +
                                                                  s->table.name + "\"")
                .with_detail("System catalog modifications are currently disallowed.");
        }
    }
    if (const auto* s = statement.as<ast::ExplainStatement>()) {
        if (s->statement) return refuse_writes(*s->statement, transaction);
    }
    return sql_ok();
}

}  // namespace

std::string CatalogReader::database_name() const {
    if (eval.session != nullptr && !eval.session->database_name.empty()) {
        return eval.session->database_name;
    }
    return catalog().info().name;
}

std::span<const SystemTable> system_tables() { return registry(); }

const SystemTable* find_system_table(std::string_view schema, std::string_view name) {
    if (schema.empty()) schema = "pg_catalog";
    for (const SystemTable& table : registry()) {
        if (table.schema == schema && table.name == name) return &table;
    }
    return nullptr;
}

SqlResult<const SystemTable*> resolve_system_table(const ast::TableRef& table) {
    if (!table.schema.empty() && table.schema != "pg_catalog" &&
        table.schema != "information_schema") {
        return static_cast<const SystemTable*>(nullptr);
    }
    const SystemTable* found = find_system_table(table.schema, table.name);
    if (found == nullptr && !table.schema.empty()) {
        return SqlError(sqlstate::kUndefinedTable,
                        "relation \"" + table.schema + "." + table.name + "\" does not exist")
            .at(table.position);
    }
    return found;
}

SqlStatus refuse_system_catalog_writes(const ast::Statement& statement,
                                       const db::Transaction& transaction) {
    return refuse_writes(statement, transaction);
}

std::unique_ptr<Operator> system_table_scan(const SystemTable& table, std::string label) {
    return std::make_unique<SystemTableScan>(table, std::move(label));
}

bool relation_oid_visible(const db::Transaction& transaction, u64 oid) {
    for (const SystemTable& table : registry()) {
        if (table.oid == oid) return true;
    }
    const kernel::TenantCatalog& catalog = transaction.catalog();
    const Position at = transaction.schema_position();
    if (oid >= kPrimaryKeyOidBase) {
        return catalog.table(kernel::TableId(oid - kPrimaryKeyOidBase), at) != nullptr;
    }
    if (oid < kFirstUserOid) return false;
    const u64 id = oid - kFirstUserOid;
    return catalog.table(kernel::TableId(id), at) != nullptr ||
           catalog.index(kernel::IndexId(id), at) != nullptr ||
           catalog.sequence(kernel::SequenceId(id), at) != nullptr;
}

}  // namespace kb::sql
