// Schema objects: type names, modifier rules, key types (see schema.h).
#include "kernel/schema.h"

#include "base/assert.h"

namespace kb::kernel {

std::string_view sql_type_name(SqlType type) {
    switch (type) {
        case SqlType::smallint:
            return "smallint";
        case SqlType::integer:
            return "integer";
        case SqlType::bigint:
            return "bigint";
        case SqlType::real:
            return "real";
        case SqlType::double_precision:
            return "double precision";
        case SqlType::numeric:
            return "numeric";
        case SqlType::text:
            return "text";
        case SqlType::varchar:
            return "character varying";
        case SqlType::character:
            return "character";
        case SqlType::boolean:
            return "boolean";
        case SqlType::bytea:
            return "bytea";
        case SqlType::date:
            return "date";
        case SqlType::timestamp:
            return "timestamp without time zone";
        case SqlType::timestamptz:
            return "timestamp with time zone";
        case SqlType::interval:
            return "interval";
        case SqlType::uuid:
            return "uuid";
        case SqlType::jsonb:
            return "jsonb";
    }
    KB_UNREACHABLE();
}

bool column_type_valid(const ColumnType& type) {
    // PostgreSQL's limits: numeric precision 1..1000, char/varchar length 1..10485760.
    constexpr u32 kLengthMax = 10'485'760;
    switch (type.type) {
        case SqlType::numeric:
            if (type.length != 0) return false;
            if (type.precision == 0) return type.scale == 0;
            return type.precision <= 1000 && type.scale <= type.precision;
        case SqlType::varchar:
            return type.length <= kLengthMax && type.precision == 0 && type.scale == 0;
        case SqlType::character:
            return type.length >= 1 && type.length <= kLengthMax && type.precision == 0 &&
                   type.scale == 0;
        default:
            return type.length == 0 && type.precision == 0 && type.scale == 0 &&
                   static_cast<u8>(type.type) >= 1 && type.type <= kSqlTypeMax;
    }
}

std::optional<KeyType> key_type_of(SqlType type) {
    switch (type) {
        case SqlType::smallint:
            return KeyType::int16;
        case SqlType::integer:
            return KeyType::int32;
        case SqlType::bigint:
            return KeyType::int64;
        case SqlType::real:
        case SqlType::double_precision:
            return KeyType::float64;
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character:
            return KeyType::text;
        case SqlType::boolean:
            return KeyType::boolean;
        case SqlType::bytea:
            return KeyType::bytes;
        case SqlType::date:
            return KeyType::date;
        case SqlType::timestamp:
        case SqlType::timestamptz:
            return KeyType::timestamp;
        case SqlType::uuid:
            return KeyType::uuid;
        case SqlType::numeric:
            return KeyType::numeric;
        case SqlType::interval:
            return KeyType::interval;
        case SqlType::jsonb:
            return std::nullopt;
    }
    return std::nullopt;
}

const ColumnDef* TableSchema::column(ColumnId column_id) const {
    for (const ColumnDef& def : columns) {
        if (def.id == column_id) return &def;
    }
    return nullptr;
}

const ColumnDef* TableSchema::find_column(std::string_view column_name) const {
    for (const ColumnDef& def : columns) {
        if (def.name == column_name) return &def;
    }
    return nullptr;
}

std::string TableSchema::primary_key_name() const {
    return primary_key_constraint.empty() ? name + "_pkey" : primary_key_constraint;
}

}  // namespace kb::kernel
