// SQL types as expressions carry them, and PostgreSQL's rules for moving between them.
//
// A Type is a kernel::ColumnType (the type and its modifier: varchar(n), char(n),
// numeric(p, s)) or PostgreSQL's pseudo-type `unknown`, which an untyped string literal, a
// bare NULL or an unresolved parameter has until context decides. A modifier of 0
// (length 0, precision 0) means "none" (PostgreSQL's typmod -1): `'x'::varchar` and
// `'x'::bpchar` have none, a char(n) column always has one.
//
// The rules come from PostgreSQL 15's catalogs, copied as data (queries cited beside them):
// type categories and preferred types (pg_type.typcategory/typispreferred), the casts that
// exist and in which context they apply (pg_cast.castcontext, plus PostgreSQL's automatic
// I/O conversion casts to and from string types), and select_common_type's rules for CASE,
// COALESCE, UNION, IN, VALUES, GREATEST/LEAST. The binder calls these; value_cast.h performs
// the conversions they allow.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kernel/schema.h"
#include "kernel/value.h"
#include "sql/error.h"

namespace kb::sql {

using kernel::ColumnType;
using kernel::SqlType;
using kernel::Value;
using kernel::ValueKind;

struct Type {
    ColumnType column{};   // meaningful only when !unknown
    bool unknown = false;  // PostgreSQL's `unknown` pseudo-type

    static Type of(SqlType id) { return Type{ColumnType{.type = id}, false}; }
    static Type of(const ColumnType& column_type) { return Type{column_type, false}; }
    static Type unknown_type() { return Type{ColumnType{.type = SqlType::text}, true}; }
    static Type varchar(u32 length) {
        return of(ColumnType{.type = SqlType::varchar, .length = length});
    }
    static Type character(u32 length) {
        return of(ColumnType{.type = SqlType::character, .length = length});
    }
    static Type numeric(u16 precision, u16 scale) {
        return of(ColumnType{.type = SqlType::numeric, .precision = precision, .scale = scale});
    }

    SqlType id() const { return column.type; }
    bool has_modifier() const { return !unknown && (column.length != 0 || column.precision != 0); }
    Type without_modifier() const { return unknown ? *this : of(column.type); }
    // Same type ignoring the modifier (both unknown counts as the same).
    bool same_base(const Type& other) const {
        return unknown == other.unknown && (unknown || column.type == other.column.type);
    }

    friend bool operator==(const Type& a, const Type& b) {
        return a.unknown == b.unknown && (a.unknown || a.column == b.column);
    }
};

// PostgreSQL's format_type_be: "integer", "character varying", "timestamp with time zone",
// "unknown"; no modifier (the form error messages use).
std::string type_name(const Type& type);
std::string type_name(SqlType id);
// With the modifier: "character varying(10)", "numeric(10,2)", "character(1)", and "bpchar"
// for char without one (as format_type_with_typemod prints it).
std::string type_name_with_modifier(const Type& type);

// pg_type.typcategory: 'B' boolean, 'N' numeric, 'S' string, 'U' user-defined (bytea, uuid,
// jsonb), 'D' date/time, 'T' timespan, 'X' unknown, 'P' pseudo-types.
char type_category(const Type& type);
char type_category(SqlType id);
// pg_type.typispreferred: boolean, double precision, text, timestamptz, interval.
bool type_is_preferred(SqlType id);

// Where a coercion happens, from the most to the least restrictive (PostgreSQL's
// CoercionContext): implicit in expressions, assignment in INSERT/UPDATE targets, explicit in
// CAST and ::.
enum class CoercionContext : u8 { implicit = 0, assignment = 1, explicit_cast = 2 };

// How a cast between two types (ignoring modifiers) is performed.
enum class CastPath : u8 {
    none = 0,     // no cast in this context
    same = 1,     // the same type: only a modifier coercion, if any
    convert = 2,  // a pg_cast conversion function or binary relabelling
    via_io = 3,   // output as text, then the target's input function
};

// PostgreSQL's find_coercion_pathway for our types: pg_cast entries whose castcontext allows
// `context`, else I/O conversion to a string type (assignment or explicit) or from one
// (explicit only).
CastPath cast_path(SqlType from, SqlType to, CoercionContext context);

// can_coerce_type: an unknown-type input coerces to anything; otherwise cast_path is not none.
bool can_coerce(const Type& from, SqlType to, CoercionContext context);

// select_common_type + select_common_typmod: the one type a CASE / COALESCE / UNION / IN /
// VALUES / GREATEST list resolves to. All unknown -> text. Types of different categories ->
// 42804 "<context> types integer and boolean cannot be matched"; an input that cannot be
// implicitly coerced to the result -> 42846 "<context> could not convert type x to y".
// `context` is the construct's name as PostgreSQL prints it ("CASE", "COALESCE", "UNION",
// "IN", "VALUES", "GREATEST", "LEAST"). Order matters, as in PostgreSQL: CASE passes its ELSE
// result first, then the THEN results in order. The modifier is kept only when every input has the
// same type and modifier. SqlError::position is left 0 and `failing_index` (when given) is
// set to the input the error is about, so the caller can point at it.
// `coercion_context` names the construct in the 42846 message when it differs (CASE says
// "CASE/WHEN could not convert type ..."); empty means `context`.
SqlResult<Type> common_type(std::span<const Type> types, std::string_view context,
                            usize* failing_index = nullptr, std::string_view coercion_context = {});

}  // namespace kb::sql
