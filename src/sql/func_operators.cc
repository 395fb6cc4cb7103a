// Comparison, arithmetic and jsonb operators (the numeric, boolean, bytea, uuid, interval and
// jsonb rows of PostgreSQL's pg_operator for our types).
//
// Taken from PostgreSQL 15:
//   SELECT oprname, oprleft::regtype, oprright::regtype, oprresult::regtype, oprcode
//   FROM pg_operator WHERE <both operand types among ours>
//     AND oprname IN ('=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '->', '->>');
// Integer operators exist for every pair of smallint/integer/bigint (int24pl, int48mul, ...)
// with the wider type as result; float ones for real/double precision pairs; numeric only
// numeric x numeric (an integer meets a numeric through the implicit cast). % has no
// cross-integer forms. Date/time operators are in func_datetime.cc, text ones in
// func_string.cc.
#include <vector>

#include "sql/func_catalog.h"
#include "sql/value_float.h"
#include "sql/value_json.h"
#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

// --- integers ---------------------------------------------------------------------------------

SqlError integer_out_of_range(SqlType type) {
    const char* name = type == SqlType::smallint  ? "smallint"
                       : type == SqlType::integer ? "integer"
                                                  : "bigint";
    return SqlError(sqlstate::kNumericValueOutOfRange, std::string(name) + " out of range");
}

template <SqlType R>
SqlResult<Value> make_integer(i64 value, bool overflowed = false) {
    if constexpr (R == SqlType::smallint) {
        if (overflowed || value < INT16_MIN || value > INT16_MAX) return integer_out_of_range(R);
        return Value::int16(static_cast<i16>(value));
    } else if constexpr (R == SqlType::integer) {
        if (overflowed || value < INT32_MIN || value > INT32_MAX) return integer_out_of_range(R);
        return Value::int32(static_cast<i32>(value));
    } else {
        if (overflowed) return integer_out_of_range(R);
        return Value::int64(value);
    }
}

template <SqlType R>
SqlResult<Value> int_add(Args a, const EvalContext&) {
    i64 r = 0;
    const bool o = __builtin_add_overflow(a[0].as_int(), a[1].as_int(), &r);
    return make_integer<R>(r, o);
}
template <SqlType R>
SqlResult<Value> int_sub(Args a, const EvalContext&) {
    i64 r = 0;
    const bool o = __builtin_sub_overflow(a[0].as_int(), a[1].as_int(), &r);
    return make_integer<R>(r, o);
}
template <SqlType R>
SqlResult<Value> int_mul(Args a, const EvalContext&) {
    i64 r = 0;
    const bool o = __builtin_mul_overflow(a[0].as_int(), a[1].as_int(), &r);
    return make_integer<R>(r, o);
}
template <SqlType R>
SqlResult<Value> int_div(Args a, const EvalContext&) {
    const i64 divisor = a[1].as_int();
    if (divisor == 0) return SqlError(sqlstate::kDivisionByZero, "division by zero");
    if (divisor == -1) {
        i64 r = 0;
        const bool o = __builtin_sub_overflow(i64{0}, a[0].as_int(), &r);
        return make_integer<R>(r, o);
    }
    return make_integer<R>(a[0].as_int() / divisor);
}
template <SqlType R>
SqlResult<Value> int_mod(Args a, const EvalContext&) {
    const i64 divisor = a[1].as_int();
    if (divisor == 0) return SqlError(sqlstate::kDivisionByZero, "division by zero");
    if (divisor == -1) return make_integer<R>(0);  // INT_MIN % -1 would trap
    return make_integer<R>(a[0].as_int() % divisor);
}
template <SqlType R>
SqlResult<Value> int_neg(Args a, const EvalContext&) {
    i64 r = 0;
    const bool o = __builtin_sub_overflow(i64{0}, a[0].as_int(), &r);
    return make_integer<R>(r, o);
}
SqlResult<Value> identity(Args a, const EvalContext&) { return a[0]; }

// --- floats -----------------------------------------------------------------------------------

double wide(const Value& v) {
    return v.kind() == ValueKind::float32 ? static_cast<double>(v.as_float32()) : v.as_float64();
}

enum class Arith { add, sub, mul, div };

template <SqlType R, Arith op>
SqlResult<Value> float_arith(Args a, const EvalContext&) {
    if constexpr (R == SqlType::real) {
        const float x = a[0].as_float32();
        const float y = a[1].as_float32();
        switch (op) {
            case Arith::add:
                return Value::float32(KB_SQL_TRY(float4_add(x, y)));
            case Arith::sub:
                return Value::float32(KB_SQL_TRY(float4_sub(x, y)));
            case Arith::mul:
                return Value::float32(KB_SQL_TRY(float4_mul(x, y)));
            case Arith::div:
                return Value::float32(KB_SQL_TRY(float4_div(x, y)));
        }
    } else {
        const double x = wide(a[0]);
        const double y = wide(a[1]);
        switch (op) {
            case Arith::add:
                return Value::float64(KB_SQL_TRY(float8_add(x, y)));
            case Arith::sub:
                return Value::float64(KB_SQL_TRY(float8_sub(x, y)));
            case Arith::mul:
                return Value::float64(KB_SQL_TRY(float8_mul(x, y)));
            case Arith::div:
                return Value::float64(KB_SQL_TRY(float8_div(x, y)));
        }
    }
    KB_UNREACHABLE();
}

SqlResult<Value> float4_neg(Args a, const EvalContext&) {
    return Value::float32(-a[0].as_float32());
}
SqlResult<Value> float8_neg(Args a, const EvalContext&) {
    return Value::float64(-a[0].as_float64());
}

// --- numeric ----------------------------------------------------------------------------------

template <Arith op>
SqlResult<Value> numeric_arith(Args a, const EvalContext&) {
    const kernel::Numeric& x = a[0].as_numeric();
    const kernel::Numeric& y = a[1].as_numeric();
    switch (op) {
        case Arith::add:
            return Value::numeric(KB_SQL_TRY(numeric_add(x, y)));
        case Arith::sub:
            return Value::numeric(KB_SQL_TRY(numeric_sub(x, y)));
        case Arith::mul:
            return Value::numeric(KB_SQL_TRY(numeric_mul(x, y)));
        case Arith::div:
            return Value::numeric(KB_SQL_TRY(numeric_div(x, y)));
    }
    KB_UNREACHABLE();
}
SqlResult<Value> numeric_mod_op(Args a, const EvalContext&) {
    return Value::numeric(KB_SQL_TRY(numeric_mod(a[0].as_numeric(), a[1].as_numeric())));
}
SqlResult<Value> numeric_neg_op(Args a, const EvalContext&) {
    return Value::numeric(numeric_neg(a[0].as_numeric()));
}

// --- jsonb ------------------------------------------------------------------------------------

SqlResult<Value> json_delete_key(Args a, const EvalContext&) {
    return Value::jsonb(KB_SQL_TRY(jsonb_delete_key(a[0].as_text(), a[1].as_text())));
}
SqlResult<Value> json_delete_index(Args a, const EvalContext&) {
    return Value::jsonb(KB_SQL_TRY(jsonb_delete_index(a[0].as_text(), a[1].as_int())));
}

SqlResult<Value> json_field(Args a, const EvalContext&) {
    auto out = jsonb_field(a[0].as_text(), a[1].as_text());
    return out ? Value::jsonb(std::move(*out)) : Value::null();
}
SqlResult<Value> json_element(Args a, const EvalContext&) {
    auto out = jsonb_element(a[0].as_text(), a[1].as_int());
    return out ? Value::jsonb(std::move(*out)) : Value::null();
}
SqlResult<Value> json_field_text(Args a, const EvalContext&) {
    auto out = jsonb_field_text(a[0].as_text(), a[1].as_text());
    return out ? Value::text(std::move(*out)) : Value::null();
}
SqlResult<Value> json_element_text(Args a, const EvalContext&) {
    auto out = jsonb_element_text(a[0].as_text(), a[1].as_int());
    return out ? Value::text(std::move(*out)) : Value::null();
}

template <SqlType L, SqlType R>
void add_integer_pair(std::vector<FunctionDef>& out) {
    constexpr SqlType result = L == SqlType::bigint || R == SqlType::bigint     ? SqlType::bigint
                               : L == SqlType::integer || R == SqlType::integer ? SqlType::integer
                                                                                : SqlType::smallint;
    out.push_back(binary_operator("+", L, R, result, int_add<result>));
    out.push_back(binary_operator("-", L, R, result, int_sub<result>));
    out.push_back(binary_operator("*", L, R, result, int_mul<result>));
    out.push_back(binary_operator("/", L, R, result, int_div<result>));
    add_comparisons<SqlType::bigint>(out, L, R);
}

template <SqlType L, SqlType R>
void add_float_pair(std::vector<FunctionDef>& out) {
    constexpr SqlType result =
        L == SqlType::real && R == SqlType::real ? SqlType::real : SqlType::double_precision;
    out.push_back(binary_operator("+", L, R, result, float_arith<result, Arith::add>));
    out.push_back(binary_operator("-", L, R, result, float_arith<result, Arith::sub>));
    out.push_back(binary_operator("*", L, R, result, float_arith<result, Arith::mul>));
    out.push_back(binary_operator("/", L, R, result, float_arith<result, Arith::div>));
    add_comparisons<SqlType::double_precision>(out, L, R);
}

std::vector<FunctionDef> build() {
    std::vector<FunctionDef> out;
    constexpr SqlType i2 = SqlType::smallint;
    constexpr SqlType i4 = SqlType::integer;
    constexpr SqlType i8 = SqlType::bigint;
    add_integer_pair<i2, i2>(out);
    add_integer_pair<i2, i4>(out);
    add_integer_pair<i2, i8>(out);
    add_integer_pair<i4, i2>(out);
    add_integer_pair<i4, i4>(out);
    add_integer_pair<i4, i8>(out);
    add_integer_pair<i8, i2>(out);
    add_integer_pair<i8, i4>(out);
    add_integer_pair<i8, i8>(out);
    out.push_back(binary_operator("%", i2, i2, i2, int_mod<i2>));
    out.push_back(binary_operator("%", i4, i4, i4, int_mod<i4>));
    out.push_back(binary_operator("%", i8, i8, i8, int_mod<i8>));
    out.push_back(prefix_operator("-", i2, int_neg<i2>));
    out.push_back(prefix_operator("-", i4, int_neg<i4>));
    out.push_back(prefix_operator("-", i8, int_neg<i8>));
    out.push_back(prefix_operator("+", i2, identity));
    out.push_back(prefix_operator("+", i4, identity));
    out.push_back(prefix_operator("+", i8, identity));

    constexpr SqlType f4 = SqlType::real;
    constexpr SqlType f8 = SqlType::double_precision;
    add_float_pair<f4, f4>(out);
    add_float_pair<f4, f8>(out);
    add_float_pair<f8, f4>(out);
    add_float_pair<f8, f8>(out);
    out.push_back(prefix_operator("-", f4, float4_neg));
    out.push_back(prefix_operator("-", f8, float8_neg));
    out.push_back(prefix_operator("+", f4, identity));
    out.push_back(prefix_operator("+", f8, identity));

    constexpr SqlType num = SqlType::numeric;
    out.push_back(binary_operator("+", num, num, num, numeric_arith<Arith::add>));
    out.push_back(binary_operator("-", num, num, num, numeric_arith<Arith::sub>));
    out.push_back(binary_operator("*", num, num, num, numeric_arith<Arith::mul>));
    out.push_back(binary_operator("/", num, num, num, numeric_arith<Arith::div>));
    out.push_back(binary_operator("%", num, num, num, numeric_mod_op));
    out.push_back(prefix_operator("-", num, numeric_neg_op));
    out.push_back(prefix_operator("+", num, identity));
    add_comparisons<SqlType::numeric>(out, num, num);

    add_comparisons<SqlType::boolean>(out, SqlType::boolean, SqlType::boolean);
    add_comparisons<SqlType::bytea>(out, SqlType::bytea, SqlType::bytea);
    add_comparisons<SqlType::uuid>(out, SqlType::uuid, SqlType::uuid);
    add_comparisons<SqlType::jsonb>(out, SqlType::jsonb, SqlType::jsonb);

    constexpr SqlType jb = SqlType::jsonb;
    out.push_back(binary_operator("->", jb, SqlType::text, jb, json_field));
    out.push_back(binary_operator("->", jb, i4, jb, json_element));
    out.push_back(binary_operator("->>", jb, SqlType::text, SqlType::text, json_field_text));
    out.push_back(binary_operator("->>", jb, i4, SqlType::text, json_element_text));
    out.push_back(binary_operator("-", jb, SqlType::text, jb, json_delete_key));
    out.push_back(binary_operator("-", jb, i4, jb, json_delete_index));
    return out;
}

}  // namespace

std::span<const FunctionDef> operator_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
