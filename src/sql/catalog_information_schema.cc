// information_schema.tables and information_schema.columns (see catalog_tables.h): the SQL
// standard's views of the tables a role may use, with PostgreSQL 15's columns in its order.
// PostgreSQL's domains (sql_identifier, character_data, yes_or_no, cardinal_number) are shown
// as their base types: text and integer.
//
// As in PostgreSQL, a table is listed (and its columns) only when the role holds some
// privilege on it (superusers: all); the system catalog's tables and views are listed for
// everyone (PUBLIC may read them).
#include "sql/catalog_tables.h"
#include "sql/catalog_types.h"

namespace kb::sql {
namespace {

constexpr SqlType kText = SqlType::text;
constexpr SqlType kInt4 = SqlType::integer;

Value text(std::string_view value) { return Value::text(std::string(value)); }
Value yes_no(bool yes) { return text(yes ? "YES" : "NO"); }
Value number(std::optional<i64> value) {
    return value ? Value::int32(static_cast<i32>(*value)) : Value::null();
}

// The tenant's tables the role may see, as the transaction sees them.
SqlResult<std::vector<const kernel::TableSchema*>> visible_tables(const CatalogReader& reader) {
    const kernel::TenantCatalog& catalog = reader.catalog();
    std::vector<const kernel::TableSchema*> out;
    for (const auto& [id, versions] : catalog.table_versions()) {
        const kernel::TableSchema* table = catalog.table(id, reader.at());
        if (table == nullptr) continue;
        bool any = false;
        for (kernel::Privilege privilege :
             {kernel::Privilege::select, kernel::Privilege::insert, kernel::Privilege::update,
              kernel::Privilege::remove, kernel::Privilege::truncate}) {
            auto held = reader.transaction.has_table_privilege(table->id, privilege);
            if (!held) return from_status(held.status());
            if (*held) {
                any = true;
                break;
            }
        }
        if (any) out.push_back(table);
    }
    return out;
}

SqlResult<std::vector<Row>> tables_rows(const CatalogReader& reader) {
    const std::string database = reader.database_name();
    std::vector<Row> rows;
    auto row = [&](std::string_view schema, std::string_view name, bool view, bool insertable) {
        rows.push_back({text(database), text(schema), text(name),
                        text(view ? "VIEW" : "BASE TABLE"), Value::null(), Value::null(),
                        Value::null(), Value::null(), Value::null(), yes_no(insertable),
                        yes_no(false), Value::null()});
    };
    for (const SystemTable& table : system_tables()) {
        row(table.schema, table.name, table.relkind == 'v', false);
    }
    for (const kernel::TableSchema* table : KB_SQL_TRY(visible_tables(reader))) {
        row("public", table->name, false, true);
    }
    return rows;
}

// What the standard's columns say about a type.
struct TypeFacts {
    std::optional<i64> character_maximum_length;
    std::optional<i64> character_octet_length;
    std::optional<i64> numeric_precision;
    std::optional<i64> numeric_precision_radix;
    std::optional<i64> numeric_scale;
    std::optional<i64> datetime_precision;
};

TypeFacts facts_of(const kernel::ColumnType& type) {
    constexpr i64 kMaxOctets = 1073741824;    // 1 GB: what any text value may take
    constexpr i64 kMaxBytesPerCharacter = 4;  // UTF-8
    TypeFacts facts;
    switch (type.type) {
        case SqlType::varchar:
        case SqlType::character:
            if (type.length != 0) {
                facts.character_maximum_length = type.length;
                facts.character_octet_length = i64{type.length} * kMaxBytesPerCharacter;
            } else {
                facts.character_octet_length = kMaxOctets;
            }
            break;
        case SqlType::text:
            facts.character_octet_length = kMaxOctets;
            break;
        case SqlType::smallint:
        case SqlType::integer:
        case SqlType::bigint:
            facts.numeric_precision = type.type == SqlType::smallint  ? 16
                                      : type.type == SqlType::integer ? 32
                                                                      : 64;
            facts.numeric_precision_radix = 2;
            facts.numeric_scale = 0;
            break;
        case SqlType::real:
        case SqlType::double_precision:
            facts.numeric_precision = type.type == SqlType::real ? 24 : 53;
            facts.numeric_precision_radix = 2;
            break;
        case SqlType::numeric:
            facts.numeric_precision_radix = 10;
            if (type.precision != 0) {
                facts.numeric_precision = type.precision;
                facts.numeric_scale = type.scale;
            }
            break;
        case SqlType::date:
            facts.datetime_precision = 0;
            break;
        case SqlType::timestamp:
        case SqlType::timestamptz:
        case SqlType::interval:
            facts.datetime_precision = 6;
            break;
        default:
            break;
    }
    return facts;
}

// column_default as PostgreSQL prints it where the forms agree: nextval('s'::regclass) for
// SERIAL, otherwise the expression as it was written.
Value column_default(const kernel::ColumnDef& column, const CatalogReader& reader) {
    const kernel::ColumnDefault& value = column.default_value;
    if (value.kind == kernel::DefaultKind::none) return Value::null();
    if (value.kind == kernel::DefaultKind::nextval) {
        if (const auto* sequence = reader.catalog().sequence(value.sequence, reader.at())) {
            return text("nextval('" + sequence->name + "'::regclass)");
        }
    }
    return text(value.expression);
}

// One row of information_schema.columns.
Row column_row(const CatalogReader& reader, const std::string& database, std::string_view schema,
               std::string_view table, const kernel::ColumnDef& column, i64 position,
               bool updatable) {
    const TypeFacts facts = facts_of(column.type);
    const kernel::SequenceSchema* identity = nullptr;
    if (column.identity != kernel::Identity::none) {
        identity = reader.catalog().sequence(column.identity_sequence, reader.at());
    }
    auto identity_value = [&](i64 value) {
        return identity != nullptr ? text(std::to_string(value)) : Value::null();
    };
    Row row = {text(database),
               text(schema),
               text(table),
               text(column.name),
               number(position),
               column_default(column, reader),
               yes_no(!column.not_null),
               text(information_schema_data_type(column.type.type)),
               number(facts.character_maximum_length),
               number(facts.character_octet_length),
               number(facts.numeric_precision),
               number(facts.numeric_precision_radix),
               number(facts.numeric_scale),
               number(facts.datetime_precision),
               Value::null(),  // interval_type
               Value::null(),  // interval_precision
               Value::null(),
               Value::null(),
               Value::null(),  // character_set_*
               Value::null(),
               Value::null(),
               Value::null(),  // collation_*
               Value::null(),
               Value::null(),
               Value::null(),  // domain_*
               text(database),
               text("pg_catalog"),
               text(pg_type_row(column.type.type).typname),
               Value::null(),
               Value::null(),
               Value::null(),                   // scope_*
               Value::null(),                   // maximum_cardinality
               text(std::to_string(position)),  // dtd_identifier
               yes_no(false),                   // is_self_referencing
               yes_no(column.identity != kernel::Identity::none),
               column.identity == kernel::Identity::none
                   ? Value::null()
                   : text(column.identity == kernel::Identity::always ? "ALWAYS" : "BY DEFAULT"),
               identity_value(identity != nullptr ? identity->start : 0),
               identity_value(identity != nullptr ? identity->increment : 0),
               identity_value(identity != nullptr ? identity->max_value : 0),
               identity_value(identity != nullptr ? identity->min_value : 0),
               identity != nullptr ? yes_no(identity->cycle) : Value::null(),
               text("NEVER"),  // is_generated
               Value::null(),  // generation_expression
               yes_no(updatable)};
    return row;
}

SqlResult<std::vector<Row>> columns_rows(const CatalogReader& reader) {
    const std::string database = reader.database_name();
    std::vector<Row> rows;
    for (const SystemTable& table : system_tables()) {
        for (usize i = 0; i < table.table.columns.size(); ++i) {
            rows.push_back(column_row(reader, database, table.schema, table.name,
                                      table.table.columns[i], static_cast<i64>(i + 1), false));
        }
    }
    for (const kernel::TableSchema* table : KB_SQL_TRY(visible_tables(reader))) {
        for (const kernel::ColumnDef& column : table->columns) {
            rows.push_back(column_row(reader, database, "public", table->name, column,
                                      column.id.value(), true));
        }
    }
    return rows;
}

}  // namespace

SystemTable information_schema_tables_table() {
    std::vector<SystemColumn> columns;
    for (std::string_view name :
         {"table_catalog", "table_schema", "table_name", "table_type",
          "self_referencing_column_name", "reference_generation", "user_defined_type_catalog",
          "user_defined_type_schema", "user_defined_type_name", "is_insertable_into", "is_typed",
          "commit_action"}) {
        columns.push_back({name, kText});
    }
    return SystemTable{.schema = "information_schema",
                       .name = "tables",
                       .oid = 13425,
                       .relkind = 'v',
                       .columns = std::move(columns),
                       .rows = tables_rows};
}

SystemTable information_schema_columns_table() {
    std::vector<SystemColumn> columns;
    for (std::string_view name : {"table_catalog",
                                  "table_schema",
                                  "table_name",
                                  "column_name",
                                  "ordinal_position",
                                  "column_default",
                                  "is_nullable",
                                  "data_type",
                                  "character_maximum_length",
                                  "character_octet_length",
                                  "numeric_precision",
                                  "numeric_precision_radix",
                                  "numeric_scale",
                                  "datetime_precision",
                                  "interval_type",
                                  "interval_precision",
                                  "character_set_catalog",
                                  "character_set_schema",
                                  "character_set_name",
                                  "collation_catalog",
                                  "collation_schema",
                                  "collation_name",
                                  "domain_catalog",
                                  "domain_schema",
                                  "domain_name",
                                  "udt_catalog",
                                  "udt_schema",
                                  "udt_name",
                                  "scope_catalog",
                                  "scope_schema",
                                  "scope_name",
                                  "maximum_cardinality",
                                  "dtd_identifier",
                                  "is_self_referencing",
                                  "is_identity",
                                  "identity_generation",
                                  "identity_start",
                                  "identity_increment",
                                  "identity_maximum",
                                  "identity_minimum",
                                  "identity_cycle",
                                  "is_generated",
                                  "generation_expression",
                                  "is_updatable"}) {
        const bool integer = name == "ordinal_position" || name == "character_maximum_length" ||
                             name == "character_octet_length" || name == "numeric_precision" ||
                             name == "numeric_precision_radix" || name == "numeric_scale" ||
                             name == "datetime_precision" || name == "interval_precision" ||
                             name == "maximum_cardinality";
        columns.push_back({name, integer ? kInt4 : kText});
    }
    return SystemTable{.schema = "information_schema",
                       .name = "columns",
                       .oid = 13295,
                       .relkind = 'v',
                       .columns = std::move(columns),
                       .rows = columns_rows};
}

}  // namespace kb::sql
