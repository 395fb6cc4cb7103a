// The system catalog as read-only virtual tables: the part of PostgreSQL's pg_catalog and
// information_schema that drivers and simple tools read (docs/SQL.md, "System catalog"):
//
//   pg_catalog.pg_type, pg_namespace, pg_class, pg_attribute, pg_database, pg_roles (a view)
//   information_schema.tables, information_schema.columns (views)
//
// Names resolve as PostgreSQL's search path resolves them: pg_catalog comes first, so `pg_type`
// is pg_catalog.pg_type (even if public has a table of that name: public.pg_type names that
// one); information_schema is only reached qualified. An unknown name in either schema is
// 42P01.
//
// Rows are computed when a scan opens, from the statement's transaction: the tenant's catalog
// as the transaction sees it (its snapshot, its own DDL, or the past under time travel) and the
// roles as of its read position. So queries on them are ordinary queries — WHERE, ORDER BY,
// aggregates, LIMIT — through the normal executor, and a kept plan (plan_cache.h) reads fresh
// rows on every run. A tenant sees only itself: pg_class / information_schema list only its
// relations (information_schema, as PostgreSQL, only the tables the role holds some privilege
// on). pg_database lists database names only: the connected tenant and every other live tenant
// the role may connect to (a superuser: all), as of the read position. pg_roles lists every role,
// as PostgreSQL does (roles are the cluster's, not a tenant's), with passwords masked.
//
// OIDs: PostgreSQL's for what PostgreSQL has (types, pg_catalog 11, public 2200, the catalog
// tables' own: pg_type 1247, ...; information_schema 13207 and its views' as in a PostgreSQL 15
// build); for the tenant's objects, 16384 + the object id for tables, indexes and sequences (one
// id space in the kernel, so unique), 2147483648 + the table id for a table's primary-key index
// (rows are stored by it; it has no object of its own), 16384 + the tenant id for the database,
// and the principal id for a role. The type `oid` is shown as bigint, `name` and "char" as text.
//
// Writes are refused as PostgreSQL refuses them (refuse_system_catalog_writes).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/transaction.h"
#include "kernel/schema.h"
#include "sql/ast.h"
#include "sql/error.h"
#include "sql/eval_context.h"
#include "sql/exec.h"

namespace kb::sql {

inline constexpr u64 kPgCatalogNamespaceOid = 11;
inline constexpr u64 kPublicNamespaceOid = 2200;
inline constexpr u64 kInformationSchemaNamespaceOid = 13207;
inline constexpr u64 kFirstUserOid = 16384;
inline constexpr u64 kPrimaryKeyOidBase = u64{1} << 31;

inline u64 object_oid(u64 object_id) { return kFirstUserOid + object_id; }
inline u64 primary_key_oid(kernel::TableId table) { return kPrimaryKeyOidBase + table.value(); }

// What a row generator reads: the statement's transaction and the session (eval.session may be
// null outside a session: names then come from the catalog).
struct CatalogReader {
    const db::Transaction& transaction;
    const EvalContext& eval;

    const kernel::TenantCatalog& catalog() const { return transaction.catalog(); }
    Position at() const { return transaction.schema_position(); }
    std::string database_name() const;
};

struct SystemColumn {
    std::string_view name;
    SqlType type;
};

using SystemRows = SqlResult<std::vector<Row>> (*)(const CatalogReader& reader);

struct SystemTable {
    std::string_view schema{};  // "pg_catalog" or "information_schema"
    std::string_view name{};
    u64 oid = 0;
    char relkind = 'r';  // 'r' a catalog table, 'v' a view
    std::vector<SystemColumn> columns{};
    std::vector<std::string_view> primary_key{};  // where PostgreSQL's catalog has one
    SystemRows rows = nullptr;
    // The columns as the binder sees a table (ids 1..n, no constraints, the key above).
    kernel::TableSchema table{};

    u64 namespace_oid() const {
        return schema == "pg_catalog" ? kPgCatalogNamespaceOid : kInformationSchemaNamespaceOid;
    }
};

// Every system table, in oid order.
std::span<const SystemTable> system_tables();

// The system table `schema`.`name` names ("" for an unqualified name: pg_catalog's), or
// nullptr.
const SystemTable* find_system_table(std::string_view schema, std::string_view name);
// The system table `table` names, nullptr when it names none (an unqualified name pg_catalog
// does not have, or a name in another schema), or 42P01 for a name pg_catalog or
// information_schema does not have.
SqlResult<const SystemTable*> resolve_system_table(const ast::TableRef& table);

// The refusal of a statement that writes to a system table or creates in a system schema, as
// PostgreSQL words it: 42501 'permission denied: "pg_type" is a system catalog' (a role that
// is no superuser: 'permission denied for table pg_type') for a catalog table, 55000 'cannot
// insert into view "tables"' (update, delete from) and 42809 '"tables" is not a table' (DDL)
// for a view, 42501 'permission denied to create "pg_catalog.t"'. ok for any other statement.
SqlStatus refuse_system_catalog_writes(const ast::Statement& statement,
                                       const db::Transaction& transaction);

// The scan of a system table: its rows, computed when it opens. `label` is EXPLAIN's name.
std::unique_ptr<Operator> system_table_scan(const SystemTable& table, std::string label);

// Whether `oid` is a relation the transaction sees (pg_table_is_visible): a system table or
// one of the tenant's tables, indexes (primary keys included) and sequences.
bool relation_oid_visible(const db::Transaction& transaction, u64 oid);

// --- the tables' definitions and rows (catalog_pg_rows.cc, catalog_information_schema.cc) -----
SystemTable pg_type_table();
SystemTable pg_namespace_table();
SystemTable pg_class_table();
SystemTable pg_attribute_table();
SystemTable pg_database_table();
SystemTable pg_roles_table();
SystemTable information_schema_tables_table();
SystemTable information_schema_columns_table();

}  // namespace kb::sql
