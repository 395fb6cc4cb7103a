// Order, equality and hashing of values against PostgreSQL 15.
//
// Each ordering row lists values of one type and the order PostgreSQL 15.18 sorts them in,
// from the query in the comment above it (SELECT x FROM (VALUES ...) t(x) ORDER BY x).
#include "sql/value_compare.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>

#include "sql/value_io.h"
#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

using testing::type_named;

struct OrderCase {
    const char* type;
    std::vector<const char*> values;
    std::vector<const char*> sorted;
};

TEST(CompareValues, SortsAsPostgres) {
    const std::vector<OrderCase> cases = {
        // SELECT x FROM (VALUES ('NaN'::double precision), ('Infinity'::double precision),
        // ('-Infinity'::double precision), ('0'::double precision), ('-1.5'::double precision),
        // ('1e300'::double precision), ('5e-324'::double precision), ('-5e-324'::double precision))
        // t(x) ORDER BY x
        {"double precision",
         {"NaN", "Infinity", "-Infinity", "0", "-1.5", "1e300", "5e-324", "-5e-324"},
         {"-Infinity", "-1.5", "-5e-324", "0", "5e-324", "1e+300", "Infinity", "NaN"}},
        // SELECT x FROM (VALUES ('NaN'::real), ('-Infinity'::real), ('1.5'::real), ('-0.5'::real),
        // ('3e38'::real)) t(x) ORDER BY x
        {"real",
         {"NaN", "-Infinity", "1.5", "-0.5", "3e38"},
         {"-Infinity", "-0.5", "1.5", "3e+38", "NaN"}},
        // SELECT x FROM (VALUES ('NaN'::numeric), ('Infinity'::numeric), ('-Infinity'::numeric),
        // ('0'::numeric), ('-1.5'::numeric), ('1e30'::numeric), ('0.001'::numeric),
        // ('-0.0011'::numeric), ('123456789.123456789'::numeric)) t(x) ORDER BY x
        {"numeric",
         {"NaN", "Infinity", "-Infinity", "0", "-1.5", "1e30", "0.001", "-0.0011",
          "123456789.123456789"},
         {"-Infinity", "-1.5", "-0.0011", "0", "0.001", "123456789.123456789",
          "1000000000000000000000000000000", "Infinity", "NaN"}},
        // SELECT x FROM (VALUES ('9223372036854775807'::bigint), ('-9223372036854775808'::bigint),
        // ('0'::bigint), ('-1'::bigint)) t(x) ORDER BY x
        {"bigint",
         {"9223372036854775807", "-9223372036854775808", "0", "-1"},
         {"-9223372036854775808", "-1", "0", "9223372036854775807"}},
        // SELECT x FROM (VALUES ('a'::text), ('B'::text), ('ab'::text), (''::text), ('é'::text),
        // ('Z'::text), ('a '::text), ('aa'::text)) t(x) ORDER BY x
        {"text",
         {"a", "B", "ab", "", "é", "Z", "a ", "aa"},
         {"", "B", "Z", "a", "a ", "aa", "ab", "é"}},
        // SELECT x FROM (VALUES ('b'::character(3)), ('ab'::character(3)), ('a'::character(3)), ('
        // a'::character(3))) t(x) ORDER BY x
        {"character(3)", {"b", "ab", "a", " a"}, {" a ", "a  ", "ab ", "b  "}},
        // SELECT x FROM (VALUES ('1 mon'::interval), ('29 days'::interval), ('1 day'::interval),
        // ('-1 day'::interval), ('25:00:00'::interval), ('1 year'::interval),
        // ('-00:00:01'::interval), ('0'::interval)) t(x) ORDER BY x
        {"interval",
         {"1 mon", "29 days", "1 day", "-1 day", "25:00:00", "1 year", "-00:00:01", "0"},
         {"-1 days", "-00:00:01", "00:00:00", "1 day", "25:00:00", "29 days", "1 mon", "1 year"}},
        // SELECT x FROM (VALUES ('null'::jsonb), ('"a"'::jsonb), ('"b"'::jsonb), ('1'::jsonb),
        // ('2.5'::jsonb), ('true'::jsonb), ('false'::jsonb), ('[]'::jsonb), ('[1]'::jsonb),
        // ('[2]'::jsonb), ('[1, 2]'::jsonb), ('{}'::jsonb), ('{"a": 1}'::jsonb), ('{"b":
        // 1}'::jsonb), ('{"a": 2}'::jsonb), ('{"a": 1, "b": 1}'::jsonb), ('{"aa": 1}'::jsonb),
        // ('[[1]]'::jsonb), ('["a"]'::jsonb), ('[null]'::jsonb), ('""'::jsonb)) t(x) ORDER BY x
        {"jsonb",
         {"null",        "\"a\"",      "\"b\"",      "1",
          "2.5",         "true",       "false",      "[]",
          "[1]",         "[2]",        "[1, 2]",     "{}",
          "{\"a\": 1}",  "{\"b\": 1}", "{\"a\": 2}", "{\"a\": 1, \"b\": 1}",
          "{\"aa\": 1}", "[[1]]",      "[\"a\"]",    "[null]",
          "\"\""},
         {"[]",          "null",       "\"\"",
          "\"a\"",       "\"b\"",      "1",
          "2.5",         "false",      "true",
          "[null]",      "[\"a\"]",    "[1]",
          "[2]",         "[[1]]",      "[1, 2]",
          "{}",          "{\"a\": 1}", "{\"a\": 2}",
          "{\"aa\": 1}", "{\"b\": 1}", "{\"a\": 1, \"b\": 1}"}},
        // SELECT x FROM (VALUES ('infinity'::date), ('-infinity'::date), ('2020-01-01'::date),
        // ('0001-01-01 BC'::date), ('1999-12-31'::date)) t(x) ORDER BY x
        {"date",
         {"infinity", "-infinity", "2020-01-01", "0001-01-01 BC", "1999-12-31"},
         {"-infinity", "0001-01-01 BC", "1999-12-31", "2020-01-01", "infinity"}},
        // SELECT x FROM (VALUES ('infinity'::timestamp with time zone), ('2020-01-01
        // 00:00+00'::timestamp with time zone), ('2019-12-31 23:00-02'::timestamp with time zone),
        // ('-infinity'::timestamp with time zone)) t(x) ORDER BY x
        {"timestamp with time zone",
         {"infinity", "2020-01-01 00:00+00", "2019-12-31 23:00-02", "-infinity"},
         {"-infinity", "2020-01-01 00:00:00+00", "2020-01-01 01:00:00+00", "infinity"}},
        // SELECT x FROM (VALUES ('\x'::bytea), ('\x00'::bytea), ('\x0000'::bytea), ('\xff'::bytea),
        // ('\x7f'::bytea)) t(x) ORDER BY x
        {"bytea",
         {"\\x", "\\x00", "\\x0000", "\\xff", "\\x7f"},
         {"\\x", "\\x00", "\\x0000", "\\x7f", "\\xff"}},
        // SELECT x FROM (VALUES ('ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid),
        // ('00000000-0000-0000-0000-000000000000'::uuid),
        // ('7fffffff-ffff-ffff-ffff-ffffffffffff'::uuid)) t(x) ORDER BY x
        {"uuid",
         {"ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000",
          "7fffffff-ffff-ffff-ffff-ffffffffffff"},
         {"00000000-0000-0000-0000-000000000000", "7fffffff-ffff-ffff-ffff-ffffffffffff",
          "ffffffff-ffff-ffff-ffff-ffffffffffff"}},
        // SELECT x FROM (VALUES ('t'::boolean), ('f'::boolean)) t(x) ORDER BY x
        {"boolean", {"t", "f"}, {"f", "t"}},
    };
    for (const OrderCase& c : cases) {
        const Type type = type_named(c.type);
        std::vector<Value> values;
        for (const char* text : c.values)
            values.push_back(value_input_with_modifier(text, type).value());
        std::stable_sort(values.begin(), values.end(), [&](const Value& a, const Value& b) {
            return compare_values(a, b, type.id()) < 0;
        });
        std::vector<std::string> got;
        for (const Value& v : values) got.push_back(value_output(v));
        EXPECT_EQ(got, std::vector<std::string>(c.sorted.begin(), c.sorted.end())) << c.type;
    }
}

Value read(const char* text, const char* type) {
    return value_input_with_modifier(text, type_named(type)).value();
}

TEST(CompareValues, EqualValuesGroupTogether) {
    // SELECT count(DISTINCT x) over each pair gives 1 in PostgreSQL: equal under = and hashed
    // alike.
    const std::pair<Value, Value> equal_pairs[] = {
        {read("1.5", "numeric"), read("1.50", "numeric")},
        {read("0", "numeric"), read("-0.000", "numeric")},
        {read("NaN", "numeric"), read("nan", "numeric")},
        {read("-0", "double precision"), read("0", "double precision")},
        {Value::float64(std::nan("")), Value::float64(-std::nan(""))},
        {read("1 mon", "interval"), read("30 days", "interval")},
        {read("1 day", "interval"), read("24:00:00", "interval")},
        {read("{\"a\": 1.0}", "jsonb"), read("{\"a\": 1}", "jsonb")},
        {read("ab", "character(3)"), read("ab ", "character(5)")},
    };
    for (const auto& [a, b] : equal_pairs) {
        const SqlType type = a.kind() == ValueKind::text ? SqlType::character : SqlType::text;
        EXPECT_EQ(compare_values(a, b, type), 0) << a.debug_string() << " " << b.debug_string();
        EXPECT_EQ(hash_value(a, type), hash_value(b, type)) << a.debug_string();
    }
    // Bytes differ in text but not in char(n).
    EXPECT_NE(compare_values(Value::text("ab"), Value::text("ab ")), 0);
    EXPECT_NE(hash_value(Value::text("ab")), hash_value(Value::text("ab ")));
    // Integers of different widths and numerics compare by value.
    EXPECT_EQ(compare_values(Value::int16(3), Value::int64(3)), 0);
    EXPECT_LT(compare_values(Value::int32(2), read("2.5", "numeric")), 0);
}

RC_GTEST_PROP(CompareValues, NumericOrderMatchesScaledIntegers, (i32 a, i32 b, u8 sa, u8 sb)) {
    // a * 10^-sa against b * 10^-sb, compared in 128-bit integers.
    const int scale_a = sa % 6;
    const int scale_b = sb % 6;
    auto make = [](i32 v, int scale) {
        std::string text = std::to_string(v < 0 ? -static_cast<i64>(v) : v);
        while (static_cast<int>(text.size()) <= scale) text.insert(text.begin(), '0');
        if (scale > 0) text.insert(text.end() - scale, '.');
        return Value::numeric(kernel::Numeric::parse((v < 0 ? "-" : "") + text).value());
    };
    const Value x = make(a, scale_a);
    const Value y = make(b, scale_b);
    __int128 ax = a;
    __int128 by = b;
    for (int i = scale_a; i < 5; ++i) ax *= 10;
    for (int i = scale_b; i < 5; ++i) by *= 10;
    const int expected = ax < by ? -1 : (ax > by ? 1 : 0);
    const int got = compare_values(x, y, SqlType::numeric);
    RC_ASSERT((got < 0 ? -1 : (got > 0 ? 1 : 0)) == expected);
    if (expected == 0) RC_ASSERT(hash_value(x) == hash_value(y));
}

RC_GTEST_PROP(CompareValues, FloatOrderIsTotal, (double a, double b)) {
    const Value x = Value::float64(a);
    const Value y = Value::float64(b);
    const int ab = compare_values(x, y);
    const int ba = compare_values(y, x);
    RC_ASSERT((ab < 0) == (ba > 0));
    RC_ASSERT((ab == 0) == (ba == 0));
    if (ab == 0) RC_ASSERT(hash_value(x) == hash_value(y));
    if (std::isnan(a) && !std::isnan(b)) RC_ASSERT(ab > 0);
}

TEST(HashCombine, OrderMatters) {
    const u64 a = hash_value(Value::int32(1));
    const u64 b = hash_value(Value::int32(2));
    EXPECT_NE(hash_combine(hash_combine(0, a), b), hash_combine(hash_combine(0, b), a));
}

}  // namespace
}  // namespace kb::sql
