// PostgreSQL's type descriptions (see catalog_types.h).
//
// The rows come from PostgreSQL 15:
//   SELECT oid, typname, typlen, typbyval, typtype, typcategory, typispreferred, typarray,
//          typinput, typoutput, typreceive, typsend, typmodin, typmodout, typalign,
//          typstorage, typcollation
//   FROM pg_type WHERE oid IN (16, 17, 20, 21, 23, 25, 700, 701, 705, 1042, 1043, 1082, 1114,
//                              1184, 1186, 1700, 2950, 3802) ORDER BY oid;
#include "sql/catalog_types.h"

#include <array>

#include "base/assert.h"

namespace kb::sql {
namespace {

constexpr std::array<PgTypeRow, 18> kRows = {{
    {16, "bool", 1, true, 'b', 'B', true, 1000, "boolin", "boolout", "boolrecv", "boolsend", "-",
     "-", 'c', 'p', 0, SqlType::boolean},
    {17, "bytea", -1, false, 'b', 'U', false, 1001, "byteain", "byteaout", "bytearecv", "byteasend",
     "-", "-", 'i', 'x', 0, SqlType::bytea},
    {20, "int8", 8, true, 'b', 'N', false, 1016, "int8in", "int8out", "int8recv", "int8send", "-",
     "-", 'd', 'p', 0, SqlType::bigint},
    {21, "int2", 2, true, 'b', 'N', false, 1005, "int2in", "int2out", "int2recv", "int2send", "-",
     "-", 's', 'p', 0, SqlType::smallint},
    {23, "int4", 4, true, 'b', 'N', false, 1007, "int4in", "int4out", "int4recv", "int4send", "-",
     "-", 'i', 'p', 0, SqlType::integer},
    {25, "text", -1, false, 'b', 'S', true, 1009, "textin", "textout", "textrecv", "textsend", "-",
     "-", 'i', 'x', 100, SqlType::text},
    {700, "float4", 4, true, 'b', 'N', false, 1021, "float4in", "float4out", "float4recv",
     "float4send", "-", "-", 'i', 'p', 0, SqlType::real},
    {701, "float8", 8, true, 'b', 'N', true, 1022, "float8in", "float8out", "float8recv",
     "float8send", "-", "-", 'd', 'p', 0, SqlType::double_precision},
    {705, "unknown", -2, false, 'p', 'X', false, 0, "unknownin", "unknownout", "unknownrecv",
     "unknownsend", "-", "-", 'c', 'p', 0, std::nullopt},
    {1042, "bpchar", -1, false, 'b', 'S', false, 1014, "bpcharin", "bpcharout", "bpcharrecv",
     "bpcharsend", "bpchartypmodin", "bpchartypmodout", 'i', 'x', 100, SqlType::character},
    {1043, "varchar", -1, false, 'b', 'S', false, 1015, "varcharin", "varcharout", "varcharrecv",
     "varcharsend", "varchartypmodin", "varchartypmodout", 'i', 'x', 100, SqlType::varchar},
    {1082, "date", 4, true, 'b', 'D', false, 1182, "date_in", "date_out", "date_recv", "date_send",
     "-", "-", 'i', 'p', 0, SqlType::date},
    {1114, "timestamp", 8, true, 'b', 'D', false, 1115, "timestamp_in", "timestamp_out",
     "timestamp_recv", "timestamp_send", "timestamptypmodin", "timestamptypmodout", 'd', 'p', 0,
     SqlType::timestamp},
    {1184, "timestamptz", 8, true, 'b', 'D', true, 1185, "timestamptz_in", "timestamptz_out",
     "timestamptz_recv", "timestamptz_send", "timestamptztypmodin", "timestamptztypmodout", 'd',
     'p', 0, SqlType::timestamptz},
    {1186, "interval", 16, false, 'b', 'T', true, 1187, "interval_in", "interval_out",
     "interval_recv", "interval_send", "intervaltypmodin", "intervaltypmodout", 'd', 'p', 0,
     SqlType::interval},
    {1700, "numeric", -1, false, 'b', 'N', false, 1231, "numeric_in", "numeric_out", "numeric_recv",
     "numeric_send", "numerictypmodin", "numerictypmodout", 'i', 'm', 0, SqlType::numeric},
    {2950, "uuid", 16, false, 'b', 'U', false, 2951, "uuid_in", "uuid_out", "uuid_recv",
     "uuid_send", "-", "-", 'c', 'p', 0, SqlType::uuid},
    {3802, "jsonb", -1, false, 'b', 'U', false, 3807, "jsonb_in", "jsonb_out", "jsonb_recv",
     "jsonb_send", "-", "-", 'i', 'x', 0, SqlType::jsonb},
}};

// The name format_type gives a type without its modifier (PostgreSQL's format_type_extended):
// the kernel's names are PostgreSQL's ("character varying", "timestamp with time zone", ...).
std::string_view sql_name(SqlType type) { return kernel::sql_type_name(type); }

}  // namespace

std::span<const PgTypeRow> pg_type_rows() { return kRows; }

const PgTypeRow& pg_type_row(SqlType type) {
    for (const PgTypeRow& row : kRows) {
        if (row.type == type) return row;
    }
    KB_ASSERT_MSG(false, "a SqlType without a pg_type row");
    return kRows[0];
}

const PgTypeRow* find_pg_type_row(u64 oid) {
    for (const PgTypeRow& row : kRows) {
        if (row.oid == oid) return &row;
    }
    return nullptr;
}

i32 pg_typmod(const ColumnType& type) {
    switch (type.type) {
        case SqlType::varchar:
        case SqlType::character:
            return type.length == 0 ? -1 : static_cast<i32>(type.length) + 4;
        case SqlType::numeric:
            if (type.precision == 0) return -1;
            return ((static_cast<i32>(type.precision) << 16) | type.scale) + 4;
        default:
            return -1;
    }
}

std::string pg_format_type(u64 oid, std::optional<i32> typmod) {
    const PgTypeRow* row = find_pg_type_row(oid);
    if (row == nullptr) return "???";
    if (!row->type) return std::string(row->typname);  // unknown
    const SqlType type = *row->type;
    const bool with_typmod = typmod && *typmod >= 0;
    if (type == SqlType::character && !with_typmod) {
        // bpchar with typmod -1 is not character(1), which plain "character" would mean.
        return typmod ? "bpchar" : "character";
    }
    std::string name(sql_name(type));
    if (!with_typmod) return name;
    const i32 mod = *typmod;
    switch (type) {
        case SqlType::varchar:
        case SqlType::character:
            return mod >= 4 ? name + "(" + std::to_string(mod - 4) + ")" : name;
        case SqlType::numeric:
            if (mod < 4) return name;
            return name + "(" + std::to_string(((mod - 4) >> 16) & 0xffff) + "," +
                   std::to_string((mod - 4) & 0xffff) + ")";
        case SqlType::timestamp:
            return "timestamp(" + std::to_string(mod) + ") without time zone";
        case SqlType::timestamptz:
            return "timestamp(" + std::to_string(mod) + ") with time zone";
        default:
            return name;
    }
}

std::string information_schema_data_type(SqlType type) { return std::string(sql_name(type)); }

}  // namespace kb::sql
