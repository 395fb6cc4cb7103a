// Math functions (abs, round, trunc, floor, ceil/ceiling, mod, sign) and the session
// functions now() and gen_random_uuid().
//
// Signatures from PostgreSQL 15:
//   SELECT proname, pg_get_function_arguments(oid), prorettype::regtype FROM pg_proc
//   WHERE proname IN ('abs', 'round', 'trunc', 'floor', 'ceil', 'ceiling', 'mod', 'sign',
//                     'now', 'gen_random_uuid');
// Only the double precision and numeric forms of round/trunc/floor/ceil exist, so an integer
// argument resolves to double precision (round(2) is 2, a double), as in PostgreSQL.
#include <cmath>

#include "sql/func_catalog.h"
#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

SqlError out_of_range(const char* type) {
    return SqlError(sqlstate::kNumericValueOutOfRange, std::string(type) + " out of range");
}

template <SqlType R>
SqlResult<Value> integer_abs(Args a, const EvalContext&) {
    const i64 v = a[0].as_int();
    if constexpr (R == SqlType::smallint) {
        if (v == INT16_MIN) return out_of_range("smallint");
        return Value::int16(static_cast<i16>(v < 0 ? -v : v));
    } else if constexpr (R == SqlType::integer) {
        if (v == INT32_MIN) return out_of_range("integer");
        return Value::int32(static_cast<i32>(v < 0 ? -v : v));
    } else {
        if (v == INT64_MIN) return out_of_range("bigint");
        return Value::int64(v < 0 ? -v : v);
    }
}

SqlResult<Value> float4_abs(Args a, const EvalContext&) {
    return Value::float32(std::fabs(a[0].as_float32()));
}
SqlResult<Value> float8_abs(Args a, const EvalContext&) {
    return Value::float64(std::fabs(a[0].as_float64()));
}
SqlResult<Value> numeric_abs_fn(Args a, const EvalContext&) {
    return Value::numeric(numeric_abs(a[0].as_numeric()));
}

template <double (*f)(double)>
SqlResult<Value> float8_unary(Args a, const EvalContext&) {
    return Value::float64(f(a[0].as_float64()));
}

double round_half_even(double x) { return std::rint(x); }
double truncate(double x) { return std::trunc(x); }
double floor_of(double x) { return std::floor(x); }
double ceil_of(double x) { return std::ceil(x); }
double sign_of(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

SqlResult<Value> numeric_round_fn(Args a, const EvalContext&) {
    const i64 scale = a.size() > 1 ? a[1].as_int() : 0;
    return Value::numeric(KB_SQL_TRY(numeric_round(a[0].as_numeric(), scale)));
}
SqlResult<Value> numeric_trunc_fn(Args a, const EvalContext&) {
    const i64 scale = a.size() > 1 ? a[1].as_int() : 0;
    return Value::numeric(KB_SQL_TRY(numeric_trunc(a[0].as_numeric(), scale)));
}
SqlResult<Value> numeric_floor_fn(Args a, const EvalContext&) {
    return Value::numeric(numeric_floor(a[0].as_numeric()));
}
SqlResult<Value> numeric_ceil_fn(Args a, const EvalContext&) {
    return Value::numeric(numeric_ceil(a[0].as_numeric()));
}
SqlResult<Value> numeric_sign_fn(Args a, const EvalContext&) {
    const kernel::Numeric& n = a[0].as_numeric();
    if (n.special() == kernel::Numeric::Special::nan) return Value::numeric(n);
    return Value::numeric(kernel::Numeric::from_i64(numeric_sign(n)));
}

template <SqlType R>
SqlResult<Value> integer_mod(Args a, const EvalContext&) {
    const i64 divisor = a[1].as_int();
    if (divisor == 0) return SqlError(sqlstate::kDivisionByZero, "division by zero");
    const i64 r = divisor == -1 ? 0 : a[0].as_int() % divisor;
    if constexpr (R == SqlType::smallint) return Value::int16(static_cast<i16>(r));
    if constexpr (R == SqlType::integer) return Value::int32(static_cast<i32>(r));
    return Value::int64(r);
}
SqlResult<Value> numeric_mod_fn(Args a, const EvalContext&) {
    return Value::numeric(KB_SQL_TRY(numeric_mod(a[0].as_numeric(), a[1].as_numeric())));
}

SqlResult<Value> now(Args, const EvalContext& context) {
    return Value::timestamptz(context.transaction_timestamp);
}
SqlResult<Value> gen_random_uuid(Args, const EvalContext& context) {
    KB_ASSERT_MSG(context.random_uuid != nullptr, "gen_random_uuid() without a uuid source");
    kernel::Uuid uuid = context.random_uuid();
    // Version 4, variant 10, as PostgreSQL sets them.
    uuid[6] = static_cast<u8>((uuid[6] & 0x0F) | 0x40);
    uuid[8] = static_cast<u8>((uuid[8] & 0x3F) | 0x80);
    return Value::uuid(uuid);
}

std::vector<FunctionDef> build() {
    constexpr SqlType i2 = SqlType::smallint;
    constexpr SqlType i4 = SqlType::integer;
    constexpr SqlType i8 = SqlType::bigint;
    constexpr SqlType f4 = SqlType::real;
    constexpr SqlType f8 = SqlType::double_precision;
    constexpr SqlType num = SqlType::numeric;
    std::vector<FunctionDef> out;
    out.push_back(function("abs", {i2}, i2, integer_abs<i2>));
    out.push_back(function("abs", {i4}, i4, integer_abs<i4>));
    out.push_back(function("abs", {i8}, i8, integer_abs<i8>));
    out.push_back(function("abs", {f4}, f4, float4_abs));
    out.push_back(function("abs", {f8}, f8, float8_abs));
    out.push_back(function("abs", {num}, num, numeric_abs_fn));
    out.push_back(function("round", {f8}, f8, float8_unary<round_half_even>));
    out.push_back(function("round", {num}, num, numeric_round_fn));
    out.push_back(function("round", {num, i4}, num, numeric_round_fn));
    out.push_back(function("trunc", {f8}, f8, float8_unary<truncate>));
    out.push_back(function("trunc", {num}, num, numeric_trunc_fn));
    out.push_back(function("trunc", {num, i4}, num, numeric_trunc_fn));
    out.push_back(function("floor", {f8}, f8, float8_unary<floor_of>));
    out.push_back(function("floor", {num}, num, numeric_floor_fn));
    for (std::string_view name : {"ceil", "ceiling"}) {
        out.push_back(function(name, {f8}, f8, float8_unary<ceil_of>));
        out.push_back(function(name, {num}, num, numeric_ceil_fn));
    }
    out.push_back(function("sign", {f8}, f8, float8_unary<sign_of>));
    out.push_back(function("sign", {num}, num, numeric_sign_fn));
    out.push_back(function("mod", {i2, i2}, i2, integer_mod<i2>));
    out.push_back(function("mod", {i4, i4}, i4, integer_mod<i4>));
    out.push_back(function("mod", {i8, i8}, i8, integer_mod<i8>));
    out.push_back(function("mod", {num, num}, num, numeric_mod_fn));
    out.push_back(function("now", {}, SqlType::timestamptz, now));
    out.push_back(function("gen_random_uuid", {}, SqlType::uuid, gen_random_uuid));
    out[out.size() - 2].immutable = false;  // stable: the transaction's time
    out.back().immutable = false;           // volatile
    return out;
}

}  // namespace

std::span<const FunctionDef> math_function_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
