// Text input and output of every SQL type, as PostgreSQL 15's type input/output functions.
//
// value_input is what a type's input function does with a literal ('42'::integer, a text
// parameter, COPY text, a DEFAULT's constant text): PostgreSQL's accepted forms and its errors
// (22P02 'invalid input syntax for type integer: "x"', 22003 'value "x" is out of range for
// type integer', 22007/22008 for dates, 22021 for bad UTF-8 ...). It ignores the type's
// modifier, as PostgreSQL's coercion of literals does; value_input_with_modifier applies it
// afterwards with assignment rules (what an INSERT of a text value into varchar(3) does).
//
// value_output is the type's output function for the session settings the SQL layer fixes:
// DateStyle 'ISO, MDY', TimeZone UTC, IntervalStyle postgres, extra_float_digits 1,
// bytea_output hex. bool is t/f, numeric keeps its scale, char(n) its padding.
#pragma once

#include <string>
#include <string_view>

#include "sql/error.h"
#include "sql/value_type.h"

namespace kb::sql {

SqlResult<Value> value_input(std::string_view text, SqlType type);
SqlResult<Value> value_input_with_modifier(std::string_view text, const Type& type);
// The text form of a non-NULL value.
std::string value_output(const Value& value);

// The type-specific pieces, for callers that have a machine value already.
SqlResult<bool> bool_input(std::string_view text);
// smallint / integer / bigint: `min`/`max` the type's range, `type_name` its SQL name.
SqlResult<i64> integer_input(std::string_view text, i64 min, i64 max, const char* type_name);
SqlResult<Bytes> bytea_input(std::string_view text);
std::string bytea_output(ByteSpan bytes);
SqlResult<kernel::Uuid> uuid_input(std::string_view text);
std::string uuid_output(const kernel::Uuid& uuid);
// Well-formed UTF-8 without NUL, else 22021 'invalid byte sequence for encoding "UTF8": 0x..'.
SqlStatus check_text(std::string_view text);
// Characters (code points) of valid UTF-8 text.
usize text_length(std::string_view text);
// Byte offset of the `characters`-th character (or the size if there are fewer).
usize text_prefix_bytes(std::string_view text, usize characters);

}  // namespace kb::sql
