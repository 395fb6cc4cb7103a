// pg_catalog's tables: pg_type, pg_namespace, pg_class, pg_attribute, pg_database and the view
// pg_roles (see catalog_tables.h). Columns are PostgreSQL 15's, in its order, minus those of
// types Kimberlite lacks (arrays, xid, acl, pg_node_tree); values for what Kimberlite does not
// have (TOAST, statistics, tablespaces) are those PostgreSQL shows for a fresh object.
#include <algorithm>
#include <optional>

#include "kernel/access_reads.h"
#include "kernel/catalog_codec.h"
#include "kernel/kernel_trees.h"
#include "sql/catalog_tables.h"
#include "sql/catalog_types.h"

namespace kb::sql {
namespace {

constexpr SqlType kOid = SqlType::bigint;  // PostgreSQL's oid, shown as bigint
constexpr SqlType kName = SqlType::text;   // name and "char"
constexpr SqlType kInt2 = SqlType::smallint;
constexpr SqlType kInt4 = SqlType::integer;
constexpr SqlType kBool = SqlType::boolean;

constexpr u64 kBootstrapSuperuserOid = 10;   // PostgreSQL's owner of the catalog
constexpr u64 kDatabaseOwnerRoleOid = 6171;  // pg_database_owner, owner of public
constexpr u64 kHeapAccessMethodOid = 2;
constexpr u64 kBtreeAccessMethodOid = 403;

Value oid(u64 value) { return Value::int64(static_cast<i64>(value)); }
Value name(std::string_view text) { return Value::text(std::string(text)); }
Value letter(char c) { return Value::text(c == 0 ? std::string() : std::string(1, c)); }
Value int2(i64 value) { return Value::int16(static_cast<i16>(value)); }
Value int4(i64 value) { return Value::int32(static_cast<i32>(value)); }
Value boolean(bool value) { return Value::boolean(value); }

// One attribute of a relation, as pg_attribute describes it.
struct Attribute {
    std::string name{};
    kernel::ColumnType type{};
    i64 number = 0;  // attnum
    bool not_null = false;
    bool has_default = false;
    char identity = 0;  // 'a' ALWAYS, 'd' BY DEFAULT
};

// A relation as pg_class and pg_attribute describe it.
struct Relation {
    u64 oid = 0;
    std::string name{};
    u64 namespace_oid = kPublicNamespaceOid;
    char kind = 'r';  // r table, i index, S sequence, v view
    std::vector<Attribute> attributes{};
    i64 natts = 0;  // relnatts: the highest attnum ever used (dropped columns count)
    bool has_index = false;
    i64 checks = 0;
    bool has_triggers = false;  // foreign keys, either side
    bool shared = false;
    bool system = false;
};

Attribute attribute_of(const kernel::ColumnDef& column, i64 number) {
    Attribute out;
    out.name = column.name;
    out.type = column.type;
    out.number = number;
    out.not_null = column.not_null;
    out.has_default = column.default_value.kind != kernel::DefaultKind::none;
    if (column.identity == kernel::Identity::always) out.identity = 'a';
    if (column.identity == kernel::Identity::by_default) out.identity = 'd';
    return out;
}

// The system tables' relations, then the tenant's tables (each followed by its primary-key
// index), indexes and sequences, as the transaction sees them.
std::vector<Relation> relations(const CatalogReader& reader) {
    std::vector<Relation> out;
    for (const SystemTable& table : system_tables()) {
        Relation relation{.oid = table.oid,
                          .name = std::string(table.name),
                          .namespace_oid = table.namespace_oid(),
                          .kind = table.relkind,
                          .shared = table.name == "pg_database",
                          .system = true};
        for (usize i = 0; i < table.columns.size(); ++i) {
            relation.attributes.push_back(
                attribute_of(table.table.columns[i], static_cast<i64>(i + 1)));
        }
        relation.natts = static_cast<i64>(table.columns.size());
        out.push_back(std::move(relation));
    }
    const kernel::TenantCatalog& catalog = reader.catalog();
    const Position at = reader.at();
    std::vector<kernel::TableId> referenced;  // parents of foreign keys
    for (const auto& [id, versions] : catalog.table_versions()) {
        if (const kernel::TableSchema* table = catalog.table(id, at)) {
            for (const kernel::ForeignKey& key : table->foreign_keys) {
                referenced.push_back(key.parent);
            }
        }
    }
    for (const auto& [id, versions] : catalog.table_versions()) {
        const kernel::TableSchema* table = catalog.table(id, at);
        if (table == nullptr) continue;
        Relation relation{.oid = object_oid(table->id.value()), .name = table->name};
        for (const kernel::ColumnDef& column : table->columns) {
            relation.attributes.push_back(attribute_of(column, column.id.value()));
        }
        relation.natts = static_cast<i64>(table->next_column_id.value()) - 1;
        relation.has_index = true;  // its primary key
        relation.checks = static_cast<i64>(table->checks.size());
        relation.has_triggers =
            !table->foreign_keys.empty() ||
            std::find(referenced.begin(), referenced.end(), table->id) != referenced.end();
        out.push_back(std::move(relation));

        Relation key{
            .oid = primary_key_oid(table->id), .name = table->primary_key_name(), .kind = 'i'};
        for (kernel::ColumnId column_id : table->primary_key) {
            Attribute attribute = attribute_of(*table->column(column_id),
                                               static_cast<i64>(key.attributes.size() + 1));
            attribute.not_null = false;
            attribute.has_default = false;
            attribute.identity = 0;
            key.attributes.push_back(std::move(attribute));
        }
        key.natts = static_cast<i64>(key.attributes.size());
        out.push_back(std::move(key));
    }
    for (const auto& [id, version] : catalog.index_versions()) {
        if (!version.live_at(at)) continue;
        const kernel::IndexSchema& index = version.value;
        const kernel::TableSchema* table = catalog.table(index.table, at);
        if (table == nullptr) continue;
        Relation relation{.oid = object_oid(index.id.value()), .name = index.name, .kind = 'i'};
        for (const kernel::IndexColumn& column : index.columns) {
            Attribute attribute = attribute_of(*table->column(column.column),
                                               static_cast<i64>(relation.attributes.size() + 1));
            attribute.not_null = false;
            attribute.has_default = false;
            attribute.identity = 0;
            relation.attributes.push_back(std::move(attribute));
        }
        relation.natts = static_cast<i64>(relation.attributes.size());
        out.push_back(std::move(relation));
    }
    for (const auto& [id, entry] : catalog.sequence_versions()) {
        if (!entry.first.live_at(at)) continue;
        const kernel::SequenceSchema& sequence = entry.first.value;
        Relation relation{
            .oid = object_oid(sequence.id.value()), .name = sequence.name, .kind = 'S'};
        const kernel::ColumnType bigint{.type = SqlType::bigint};
        relation.attributes = {
            {.name = "last_value", .type = bigint, .number = 1, .not_null = true},
            {.name = "log_cnt", .type = bigint, .number = 2, .not_null = true},
            {.name = "is_called",
             .type = {.type = SqlType::boolean},
             .number = 3,
             .not_null = true},
        };
        relation.natts = 3;
        out.push_back(std::move(relation));
    }
    return out;
}

// --- pg_type -------------------------------------------------------------------------------

SqlResult<std::vector<Row>> pg_type_rows_of(const CatalogReader&) {
    std::vector<Row> rows;
    for (const PgTypeRow& type : pg_type_rows()) {
        rows.push_back({oid(type.oid),
                        name(type.typname),
                        oid(kPgCatalogNamespaceOid),
                        oid(kBootstrapSuperuserOid),
                        int2(type.typlen),
                        boolean(type.typbyval),
                        letter(type.typtype),
                        letter(type.typcategory),
                        boolean(type.typispreferred),
                        boolean(true),  // typisdefined
                        letter(','),    // typdelim
                        oid(0),         // typrelid
                        oid(0),         // typelem
                        oid(type.typarray),
                        name(type.typinput),
                        name(type.typoutput),
                        name(type.typreceive),
                        name(type.typsend),
                        name(type.typmodin),
                        name(type.typmodout),
                        letter(type.typalign),
                        letter(type.typstorage),
                        boolean(false),  // typnotnull
                        oid(0),          // typbasetype
                        int4(-1),        // typtypmod
                        int4(0),         // typndims
                        oid(type.typcollation),
                        Value::null()});  // typdefault
    }
    return rows;
}

// --- pg_namespace --------------------------------------------------------------------------

SqlResult<std::vector<Row>> pg_namespace_rows(const CatalogReader&) {
    return std::vector<Row>{
        {oid(kPgCatalogNamespaceOid), name("pg_catalog"), oid(kBootstrapSuperuserOid)},
        {oid(kPublicNamespaceOid), name("public"), oid(kDatabaseOwnerRoleOid)},
        {oid(kInformationSchemaNamespaceOid), name("information_schema"),
         oid(kBootstrapSuperuserOid)},
    };
}

// --- pg_class ------------------------------------------------------------------------------

SqlResult<std::vector<Row>> pg_class_rows(const CatalogReader& reader) {
    std::vector<Row> rows;
    for (const Relation& relation : relations(reader)) {
        u64 access_method = 0;
        if (relation.kind == 'r') access_method = kHeapAccessMethodOid;
        if (relation.kind == 'i') access_method = kBtreeAccessMethodOid;
        const bool user_table = relation.kind == 'r' && !relation.system;
        rows.push_back({oid(relation.oid),
                        name(relation.name),
                        oid(relation.namespace_oid),
                        oid(0),  // reltype: no composite types
                        oid(0),  // reloftype
                        oid(kBootstrapSuperuserOid),
                        oid(access_method),
                        oid(0),              // relfilenode
                        oid(0),              // reltablespace: the database's
                        int4(0),             // relpages
                        Value::float32(-1),  // reltuples: never counted
                        int4(0),             // relallvisible
                        oid(0),              // reltoastrelid
                        boolean(relation.has_index),
                        boolean(relation.shared),
                        letter('p'),  // relpersistence
                        letter(relation.kind),
                        int2(relation.natts),
                        int2(relation.checks),
                        boolean(relation.kind == 'v'),  // relhasrules: a view's _RETURN rule
                        boolean(relation.has_triggers),
                        boolean(false),                  // relhassubclass
                        boolean(false),                  // relrowsecurity
                        boolean(false),                  // relforcerowsecurity
                        boolean(true),                   // relispopulated
                        letter(user_table ? 'd' : 'n'),  // relreplident
                        boolean(false),                  // relispartition
                        oid(0)});                        // relrewrite
    }
    return rows;
}

// --- pg_attribute --------------------------------------------------------------------------

SqlResult<std::vector<Row>> pg_attribute_rows(const CatalogReader& reader) {
    std::vector<Row> rows;
    for (const Relation& relation : relations(reader)) {
        for (const Attribute& attribute : relation.attributes) {
            const PgTypeRow& type = pg_type_row(attribute.type.type);
            rows.push_back({oid(relation.oid),
                            name(attribute.name),
                            oid(type.oid),
                            int4(-1),  // attstattarget
                            int2(type.typlen),
                            int2(attribute.number),
                            int4(0),   // attndims
                            int4(-1),  // attcacheoff
                            int4(pg_typmod(attribute.type)),
                            boolean(type.typbyval),
                            letter(type.typalign),
                            letter(type.typstorage),
                            letter(0),  // attcompression
                            boolean(attribute.not_null),
                            boolean(attribute.has_default),
                            boolean(false),  // atthasmissing
                            letter(attribute.identity),
                            letter(0),       // attgenerated
                            boolean(false),  // attisdropped: dropped columns are not kept
                            boolean(true),   // attislocal
                            int4(0),         // attinhcount
                            oid(type.typcollation)});
        }
    }
    return rows;
}

// --- pg_database ---------------------------------------------------------------------------

// Every tenant the snapshot holds, dropped ones included, in id order (kernel_reads.cc reads
// the same tree for the whole catalog; here the schemas are not needed).
SqlResult<std::vector<kernel::TenantInfo>> tenant_infos(const store::Snapshot& snapshot) {
    std::vector<kernel::TenantInfo> out;
    auto has = snapshot.has_tree(kernel::trees::kTenants);
    if (!has) return from_status(has.status());
    if (!*has) return out;
    auto cursor = snapshot.scan(kernel::trees::kTenants, {}, {});
    if (!cursor) return from_status(cursor.status());
    while (cursor->valid()) {
        auto value = cursor->value();
        if (!value) return from_status(value.status());
        auto info = kernel::decode_tenant_info(*value);
        if (!info) return from_status(info.status().with_context("tenants tree"));
        out.push_back(std::move(*info));
        if (Status moved = cursor->next(); !moved.is_ok()) return from_status(moved);
    }
    return out;
}

// The databases the session's role may connect to, as of the statement's read position: a
// superuser sees every live tenant, another role those it holds CONNECT on (by today's grants,
// as is_superuser and has_table_privilege answer). The connected tenant is always there, under
// the name the session connected with. Names only: nothing inside another tenant is read.
SqlResult<std::vector<Row>> pg_database_rows(const CatalogReader& reader) {
    constexpr i64 kUtf8Encoding = 6;
    constexpr u64 kDefaultTablespaceOid = 1663;
    const db::Transaction& transaction = reader.transaction;
    auto row = [&](TenantId tenant, std::string datname) -> Row {
        return {oid(object_oid(tenant.value())),
                name(datname),
                oid(kBootstrapSuperuserOid),
                int4(kUtf8Encoding),
                letter('c'),     // datlocprovider: libc
                boolean(false),  // datistemplate
                boolean(true),   // datallowconn
                int4(-1),        // datconnlimit
                oid(kDefaultTablespaceOid),
                name("C"),  // datcollate
                name("C"),  // datctype
                Value::null(),
                Value::null()};
    };
    const TenantId current = reader.catalog().info().id;
    auto superuser = transaction.is_superuser();
    if (!superuser) return from_status(superuser.status());
    const std::vector<kernel::TenantInfo> tenants =
        KB_SQL_TRY(tenant_infos(transaction.snapshot()));
    const Position at = transaction.read_position();
    std::vector<Row> rows;
    for (const kernel::TenantInfo& tenant : tenants) {
        if (tenant.id == current) {
            rows.push_back(row(current, reader.database_name()));
            continue;
        }
        const bool live = tenant.created <= at && (!tenant.is_dropped() || at < tenant.dropped);
        if (!live) continue;
        if (!*superuser) {
            auto allowed = kernel::reads::may_connect(transaction.snapshot(),
                                                      transaction.principal(), tenant.id);
            if (!allowed) return from_status(allowed.status());
            if (!*allowed) continue;
        }
        rows.push_back(row(tenant.id, tenant.name));
    }
    if (std::none_of(tenants.begin(), tenants.end(),
                     [&](const kernel::TenantInfo& tenant) { return tenant.id == current; })) {
        rows.push_back(row(current, reader.database_name()));  // not in the tree: a test host
    }
    return rows;
}

// --- pg_roles ------------------------------------------------------------------------------

SqlResult<std::vector<Row>> pg_roles_rows(const CatalogReader& reader) {
    const db::Transaction& transaction = reader.transaction;
    auto roles = kernel::reads::roles(transaction.snapshot(), transaction.read_position());
    if (!roles) return from_status(roles.status());
    std::vector<Row> rows;
    for (const kernel::RoleInfo& role : *roles) {
        rows.push_back({name(role.name), boolean(role.superuser),
                        boolean(true),            // rolinherit
                        boolean(role.superuser),  // rolcreaterole
                        boolean(role.superuser),  // rolcreatedb
                        boolean(role.login),
                        boolean(false),    // rolreplication
                        int4(-1),          // rolconnlimit
                        name("********"),  // rolpassword: always masked
                        Value::null(),     // rolvaliduntil
                        boolean(false),    // rolbypassrls
                        oid(role.principal.value())});
    }
    return rows;
}

}  // namespace

SystemTable pg_type_table() {
    return SystemTable{
        .schema = "pg_catalog",
        .name = "pg_type",
        .oid = 1247,
        .columns = {{"oid", kOid},
                    {"typname", kName},
                    {"typnamespace", kOid},
                    {"typowner", kOid},
                    {"typlen", kInt2},
                    {"typbyval", kBool},
                    {"typtype", kName},
                    {"typcategory", kName},
                    {"typispreferred", kBool},
                    {"typisdefined", kBool},
                    {"typdelim", kName},
                    {"typrelid", kOid},
                    {"typelem", kOid},
                    {"typarray", kOid},
                    {"typinput", kName},
                    {"typoutput", kName},
                    {"typreceive", kName},
                    {"typsend", kName},
                    {"typmodin", kName},
                    {"typmodout", kName},
                    {"typalign", kName},
                    {"typstorage", kName},
                    {"typnotnull", kBool},
                    {"typbasetype", kOid},
                    {"typtypmod", kInt4},
                    {"typndims", kInt4},
                    {"typcollation", kOid},
                    {"typdefault", SqlType::text}},
        .primary_key = {"oid"},
        .rows = pg_type_rows_of,
    };
}

SystemTable pg_namespace_table() {
    return SystemTable{
        .schema = "pg_catalog",
        .name = "pg_namespace",
        .oid = 2615,
        .columns = {{"oid", kOid}, {"nspname", kName}, {"nspowner", kOid}},
        .primary_key = {"oid"},
        .rows = pg_namespace_rows,
    };
}

SystemTable pg_class_table() {
    return SystemTable{
        .schema = "pg_catalog",
        .name = "pg_class",
        .oid = 1259,
        .columns = {{"oid", kOid},
                    {"relname", kName},
                    {"relnamespace", kOid},
                    {"reltype", kOid},
                    {"reloftype", kOid},
                    {"relowner", kOid},
                    {"relam", kOid},
                    {"relfilenode", kOid},
                    {"reltablespace", kOid},
                    {"relpages", kInt4},
                    {"reltuples", SqlType::real},
                    {"relallvisible", kInt4},
                    {"reltoastrelid", kOid},
                    {"relhasindex", kBool},
                    {"relisshared", kBool},
                    {"relpersistence", kName},
                    {"relkind", kName},
                    {"relnatts", kInt2},
                    {"relchecks", kInt2},
                    {"relhasrules", kBool},
                    {"relhastriggers", kBool},
                    {"relhassubclass", kBool},
                    {"relrowsecurity", kBool},
                    {"relforcerowsecurity", kBool},
                    {"relispopulated", kBool},
                    {"relreplident", kName},
                    {"relispartition", kBool},
                    {"relrewrite", kOid}},
        .primary_key = {"oid"},
        .rows = pg_class_rows,
    };
}

SystemTable pg_attribute_table() {
    return SystemTable{
        .schema = "pg_catalog",
        .name = "pg_attribute",
        .oid = 1249,
        .columns = {{"attrelid", kOid},        {"attname", kName},     {"atttypid", kOid},
                    {"attstattarget", kInt4},  {"attlen", kInt2},      {"attnum", kInt2},
                    {"attndims", kInt4},       {"attcacheoff", kInt4}, {"atttypmod", kInt4},
                    {"attbyval", kBool},       {"attalign", kName},    {"attstorage", kName},
                    {"attcompression", kName}, {"attnotnull", kBool},  {"atthasdef", kBool},
                    {"atthasmissing", kBool},  {"attidentity", kName}, {"attgenerated", kName},
                    {"attisdropped", kBool},   {"attislocal", kBool},  {"attinhcount", kInt4},
                    {"attcollation", kOid}},
        .primary_key = {"attrelid", "attnum"},
        .rows = pg_attribute_rows,
    };
}

SystemTable pg_database_table() {
    return SystemTable{
        .schema = "pg_catalog",
        .name = "pg_database",
        .oid = 1262,
        .columns = {{"oid", kOid},
                    {"datname", kName},
                    {"datdba", kOid},
                    {"encoding", kInt4},
                    {"datlocprovider", kName},
                    {"datistemplate", kBool},
                    {"datallowconn", kBool},
                    {"datconnlimit", kInt4},
                    {"dattablespace", kOid},
                    {"datcollate", SqlType::text},
                    {"datctype", SqlType::text},
                    {"daticulocale", SqlType::text},
                    {"datcollversion", SqlType::text}},
        .primary_key = {"oid"},
        .rows = pg_database_rows,
    };
}

SystemTable pg_roles_table() {
    return SystemTable{
        .schema = "pg_catalog",
        .name = "pg_roles",
        .oid = 12000,
        .relkind = 'v',
        .columns = {{"rolname", kName},
                    {"rolsuper", kBool},
                    {"rolinherit", kBool},
                    {"rolcreaterole", kBool},
                    {"rolcreatedb", kBool},
                    {"rolcanlogin", kBool},
                    {"rolreplication", kBool},
                    {"rolconnlimit", kInt4},
                    {"rolpassword", SqlType::text},
                    {"rolvaliduntil", SqlType::timestamptz},
                    {"rolbypassrls", kBool},
                    {"oid", kOid}},
        .rows = pg_roles_rows,
    };
}

}  // namespace kb::sql
