// Exact decimal arithmetic with PostgreSQL 15's numeric semantics.
//
// kernel::Numeric holds the value (digits and a display scale); these functions compute with
// it as PostgreSQL's numeric.c does: result scales (max of the inputs for + and -, the sum
// for *, select_div_scale for /), rounding half away from zero, NaN and +/-Infinity, and
// PostgreSQL's errors (22012 division by zero, 22003 numeric field overflow / value overflows
// numeric format, 0A000 cannot convert NaN to integer). Every function is exact and
// deterministic: no floating point except in the conversions to and from float types, which
// go through text exactly as PostgreSQL's do.
#pragma once

#include <string>

#include "kernel/value.h"
#include "sql/error.h"

namespace kb::sql {

using kernel::Numeric;

SqlResult<Numeric> numeric_add(const Numeric& a, const Numeric& b);
SqlResult<Numeric> numeric_sub(const Numeric& a, const Numeric& b);
SqlResult<Numeric> numeric_mul(const Numeric& a, const Numeric& b);
// a / b with the scale numeric_div_scale chooses, rounded half away from zero.
SqlResult<Numeric> numeric_div(const Numeric& a, const Numeric& b);
// a / b truncated towards zero at `scale` digits (PostgreSQL's div_var without rounding).
SqlResult<Numeric> numeric_div_trunc(const Numeric& a, const Numeric& b, int scale);
// a % b: a - b * trunc(a / b), scale max(scale a, scale b); sign of a.
SqlResult<Numeric> numeric_mod(const Numeric& a, const Numeric& b);
Numeric numeric_neg(const Numeric& a);
Numeric numeric_abs(const Numeric& a);
// round(a, scale) / trunc(a, scale): scale may be negative (round(1234.5, -2) = 1200); the
// result displays max(scale, 0) digits after the point. Clamped to +/-2000 as PostgreSQL does.
SqlResult<Numeric> numeric_round(const Numeric& a, i64 scale);
SqlResult<Numeric> numeric_trunc(const Numeric& a, i64 scale);
Numeric numeric_floor(const Numeric& a);
Numeric numeric_ceil(const Numeric& a);
// -1, 0, 1 (NaN gives NaN in SQL; here it returns 0: callers check special() first).
int numeric_sign(const Numeric& a);

// PostgreSQL's select_div_scale: enough digits for 16 significant ones, at least either
// input's scale, at most 1000.
int numeric_div_scale(const Numeric& a, const Numeric& b);

// Coerces to numeric(precision, scale) (apply_typmod): rounds to `scale` digits, then 22003
// "numeric field overflow" with PostgreSQL's detail when more than precision - scale digits
// remain before the point or the value is infinite. precision 0: unconstrained (unchanged).
SqlResult<Numeric> numeric_apply_typmod(const Numeric& a, u16 precision, u16 scale);

// numeric -> smallint/integer/bigint: rounds half away from zero; 22003 "<type> out of
// range" outside [min, max]; 0A000 "cannot convert NaN to <type>" / "... infinity ...".
// `type_name` is "smallint", "integer" or "bigint".
SqlResult<i64> numeric_to_integer(const Numeric& a, i64 min, i64 max, const char* type_name);

// float8 -> numeric and float4 -> numeric: as PostgreSQL, through "%.15g" / "%.6g" text
// (so 0.1::float8::numeric is 0.1), NaN and infinities kept.
Numeric numeric_from_double(double value, int significant_digits);

// A string equal for numerics that compare equal (1.5 and 1.50; all NaNs), for hashing.
std::string numeric_hash_key(const Numeric& a);

}  // namespace kb::sql
