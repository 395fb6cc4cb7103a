// real and double precision as PostgreSQL 15 reads, prints and computes them.
//
// Input follows float4in/float8in (strtod's grammar: leading/trailing whitespace, a sign,
// decimal or 0x-hex digits, exponents, NaN, Infinity/inf; 22003 when the value overflows or
// underflows to zero, denormals allowed). Output is PostgreSQL's default (extra_float_digits
// = 1): the shortest digits that read back exactly, in fixed notation when the decimal
// exponent is in [-4, 15) for double ([-4, 6) for real) and as 1.5e+16 otherwise; "NaN",
// "Infinity", "-Infinity", "-0". Arithmetic checks overflow and underflow as float.c does.
#pragma once

#include <string>
#include <string_view>

#include "base/ints.h"
#include "sql/error.h"

namespace kb::sql {

SqlResult<double> float8_input(std::string_view text);
SqlResult<float> float4_input(std::string_view text);
std::string float8_output(double value);
std::string float4_output(float value);

// Result checks shared by the operators (float.c's float_overflow_error and friends):
// 22003 "value out of range: overflow" when `result` is infinite but no input was;
// "value out of range: underflow" when it is zero but `zero_allowed` is false.
SqlResult<double> float8_checked(double result, bool inputs_infinite, bool zero_allowed);
SqlResult<float> float4_checked(float result, bool inputs_infinite, bool zero_allowed);

SqlResult<double> float8_add(double a, double b);
SqlResult<double> float8_sub(double a, double b);
SqlResult<double> float8_mul(double a, double b);
SqlResult<double> float8_div(double a, double b);
SqlResult<float> float4_add(float a, float b);
SqlResult<float> float4_sub(float a, float b);
SqlResult<float> float4_mul(float a, float b);
SqlResult<float> float4_div(float a, float b);

// double -> real: 22003 overflow / underflow as float8_float4 reports them.
SqlResult<float> float8_to_float4(double value);
// Rounds half to even (rint), then range-checks: 22003 "<type_name> out of range" (NaN too).
SqlResult<i64> float_to_integer(double value, i64 min, i64 max, const char* type_name);

// PostgreSQL's float ordering for sorting and grouping: NaN equals NaN and sorts above
// everything, -0 equals 0. Returns <0, 0, >0.
int float_compare(double a, double b);

}  // namespace kb::sql
