// Casts and coercions between SQL types, as PostgreSQL 15 performs them.
//
// value_type.h says which casts exist in which context; cast_value performs one: numeric ->
// integer rounds half away from zero, float -> integer rounds half to even, integer <-> bool,
// bool -> text is 'true'/'false' (PostgreSQL's booltext, unlike bool's output 't'), char(n)
// -> text drops trailing spaces, text <-> anything else goes through the output and input
// functions, jsonb -> numeric/int/float/bool takes the scalar. Then the target's modifier:
// varchar(n) and char(n) truncate silently in an explicit cast but raise 22001 "value too
// long for type character varying(n)" otherwise (unless only spaces are cut), char(n) pads
// with spaces, numeric(p, s) rounds and may raise 22003 "numeric field overflow".
#pragma once

#include "sql/error.h"
#include "sql/value_type.h"

namespace kb::sql {

// Converts `value` (of type `from`; an unknown-typed value is text to be read by `to`'s input
// function) to `to` in `context`. NULL stays NULL. 42846 "cannot cast type x to y" when
// value_type.h has no path for the pair in that context (the binder normally finds that
// first).
SqlResult<Value> cast_value(const Value& value, const Type& from, const Type& to,
                            CoercionContext context);

// Applies `type`'s modifier (length, precision/scale) to a value already of its base type.
SqlResult<Value> apply_type_modifier(Value value, const Type& type, CoercionContext context);

// char(n) semantics: the text without trailing spaces (what comparisons, length() and the
// cast to text see).
std::string_view bpchar_trimmed(std::string_view text);

}  // namespace kb::sql
