// Date, timestamp and interval operators (the date/time rows of PostgreSQL's pg_operator).
//
// Taken from PostgreSQL 15 (see func_operators.cc for the query): comparisons across date,
// timestamp and timestamptz in every combination; date +/- integer, date - date -> integer;
// date/timestamp/timestamptz +/- interval (date + interval is a timestamp); timestamp -
// timestamp -> interval; interval + - * / and unary -. The session zone is UTC, so
// timestamptz arithmetic is timestamp arithmetic.
#include "sql/func_catalog.h"
#include "sql/value_datetime.h"
#include "sql/value_interval.h"

namespace kb::sql {
namespace {

i32 date_of(const Value& v) { return static_cast<i32>(v.as_int()); }

double wide(const Value& v) {
    return v.kind() == ValueKind::float32 ? static_cast<double>(v.as_float32()) : v.as_float64();
}

SqlResult<Value> date_plus_integer(Args a, const EvalContext&) {
    return Value::date(KB_SQL_TRY(date_add_days(date_of(a[0]), a[1].as_int())));
}
SqlResult<Value> integer_plus_date(Args a, const EvalContext&) {
    return Value::date(KB_SQL_TRY(date_add_days(date_of(a[1]), a[0].as_int())));
}
SqlResult<Value> date_minus_integer(Args a, const EvalContext&) {
    return Value::date(KB_SQL_TRY(date_add_days(date_of(a[0]), -a[1].as_int())));
}
SqlResult<Value> date_minus_date(Args a, const EvalContext&) {
    return Value::int32(KB_SQL_TRY(date_diff(date_of(a[0]), date_of(a[1]))));
}

// The timestamp of a date or timestamp operand.
SqlResult<i64> instant(const Value& v) {
    if (v.kind() == ValueKind::date) return date_to_timestamp(date_of(v));
    return v.as_int();
}

Value timestamp_of_kind(SqlType type, i64 ts) {
    return type == SqlType::timestamptz ? Value::timestamptz(ts) : Value::timestamp(ts);
}

template <SqlType R>
SqlResult<Value> plus_interval(Args a, const EvalContext&) {
    const i64 ts = KB_SQL_TRY(instant(a[0]));
    return timestamp_of_kind(R, KB_SQL_TRY(timestamp_add_interval(ts, a[1].as_interval())));
}
template <SqlType R>
SqlResult<Value> interval_plus(Args a, const EvalContext&) {
    const i64 ts = KB_SQL_TRY(instant(a[1]));
    return timestamp_of_kind(R, KB_SQL_TRY(timestamp_add_interval(ts, a[0].as_interval())));
}
template <SqlType R>
SqlResult<Value> minus_interval(Args a, const EvalContext&) {
    const i64 ts = KB_SQL_TRY(instant(a[0]));
    return timestamp_of_kind(R, KB_SQL_TRY(timestamp_sub_interval(ts, a[1].as_interval())));
}
SqlResult<Value> timestamp_minus(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(timestamp_diff(a[0].as_int(), a[1].as_int())));
}

SqlResult<Value> interval_plus_interval(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(interval_add(a[0].as_interval(), a[1].as_interval())));
}
SqlResult<Value> interval_minus_interval(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(interval_sub(a[0].as_interval(), a[1].as_interval())));
}
SqlResult<Value> interval_negate(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(interval_neg(a[0].as_interval())));
}
SqlResult<Value> interval_times(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(interval_mul(a[0].as_interval(), wide(a[1]))));
}
SqlResult<Value> times_interval(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(interval_mul(a[1].as_interval(), wide(a[0]))));
}
SqlResult<Value> interval_divided(Args a, const EvalContext&) {
    return Value::interval(KB_SQL_TRY(interval_div(a[0].as_interval(), wide(a[1]))));
}

std::vector<FunctionDef> build() {
    std::vector<FunctionDef> out;
    constexpr SqlType date = SqlType::date;
    constexpr SqlType ts = SqlType::timestamp;
    constexpr SqlType tz = SqlType::timestamptz;
    constexpr SqlType iv = SqlType::interval;
    constexpr SqlType i4 = SqlType::integer;
    constexpr SqlType f8 = SqlType::double_precision;
    for (SqlType left : {date, ts, tz}) {
        for (SqlType right : {date, ts, tz}) add_comparisons<SqlType::timestamp>(out, left, right);
    }
    add_comparisons<SqlType::interval>(out, iv, iv);

    out.push_back(binary_operator("+", date, i4, date, date_plus_integer));
    out.push_back(binary_operator("+", i4, date, date, integer_plus_date));
    out.push_back(binary_operator("-", date, i4, date, date_minus_integer));
    out.push_back(binary_operator("-", date, date, i4, date_minus_date));
    out.push_back(binary_operator("+", date, iv, ts, plus_interval<ts>));
    out.push_back(binary_operator("+", iv, date, ts, interval_plus<ts>));
    out.push_back(binary_operator("-", date, iv, ts, minus_interval<ts>));
    out.push_back(binary_operator("+", ts, iv, ts, plus_interval<ts>));
    out.push_back(binary_operator("+", iv, ts, ts, interval_plus<ts>));
    out.push_back(binary_operator("-", ts, iv, ts, minus_interval<ts>));
    out.push_back(binary_operator("+", tz, iv, tz, plus_interval<tz>));
    out.push_back(binary_operator("+", iv, tz, tz, interval_plus<tz>));
    out.push_back(binary_operator("-", tz, iv, tz, minus_interval<tz>));
    out.push_back(binary_operator("-", ts, ts, iv, timestamp_minus));
    out.push_back(binary_operator("-", tz, tz, iv, timestamp_minus));
    out.push_back(binary_operator("+", iv, iv, iv, interval_plus_interval));
    out.push_back(binary_operator("-", iv, iv, iv, interval_minus_interval));
    out.push_back(prefix_operator("-", iv, interval_negate));
    // PostgreSQL marks what reads the TimeZone setting stable, not immutable (never folded at
    // plan time): timestamptz compared with date or timestamp, timestamptz +/- interval.
    for (FunctionDef& def : out) {
        if (def.param_count != 2 || (def.params[0].type != tz && def.params[1].type != tz))
            continue;
        const bool compares_with_other_type =
            def.result == SqlType::boolean && def.params[0].type != def.params[1].type;
        const bool shifts_by_interval = def.result == tz;
        if (compares_with_other_type || shifts_by_interval) def.immutable = false;
    }
    out.push_back(binary_operator("*", iv, f8, iv, interval_times));
    out.push_back(binary_operator("*", f8, iv, iv, times_interval));
    out.push_back(binary_operator("/", iv, f8, iv, interval_divided));
    return out;
}

}  // namespace

std::span<const FunctionDef> datetime_operator_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
