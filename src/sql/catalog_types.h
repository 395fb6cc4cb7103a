// PostgreSQL's description of the types Kimberlite has: the pg_type rows, the typmod a column's
// modifier becomes (pg_attribute.atttypmod), format_type() and information_schema's data_type.
//
// The values are PostgreSQL 15's own (from its pg_type catalog: oid, typname, typlen, typbyval,
// typcategory, typispreferred, typarray, the I/O function names, typalign, typstorage,
// typcollation), so a driver that looks a type up by oid or name finds what PostgreSQL would
// tell it. Only the types Kimberlite implements are here, plus the pseudo-type `unknown` (an
// untyped literal's type, which RowDescription can carry); array types are not (their oids
// appear only as typarray).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/ints.h"
#include "sql/value_type.h"

namespace kb::sql {

struct PgTypeRow {
    u32 oid = 0;
    std::string_view typname;
    i16 typlen = 0;
    bool typbyval = false;
    char typtype = 'b';  // 'b' base, 'p' pseudo
    char typcategory = 'U';
    bool typispreferred = false;
    u32 typarray = 0;
    std::string_view typinput, typoutput, typreceive, typsend, typmodin, typmodout;
    char typalign = 'i';
    char typstorage = 'p';
    u32 typcollation = 0;
    std::optional<SqlType> type;  // nullopt: `unknown`
};

inline constexpr u32 kUnknownTypeOid = 705;

// Every row, in oid order.
std::span<const PgTypeRow> pg_type_rows();
// The row of a type (every SqlType has one).
const PgTypeRow& pg_type_row(SqlType type);
const PgTypeRow* find_pg_type_row(u64 oid);

// PostgreSQL's atttypmod for a column type: varchar(n) / char(n) n + 4, numeric(p, s)
// ((p << 16) | s) + 4, -1 otherwise.
i32 pg_typmod(const ColumnType& type);

// format_type(oid, typmod): "integer", "character varying(10)", "numeric(10,2)",
// "timestamp with time zone", "???" for an oid that is no type here. `typmod` nullopt is SQL
// NULL (PostgreSQL then says "character" for bpchar, and "bpchar" for typmod -1).
std::string pg_format_type(u64 oid, std::optional<i32> typmod);

// information_schema.columns.data_type: format_type without the modifier, except that bpchar
// is "character".
std::string information_schema_data_type(SqlType type);

}  // namespace kb::sql
