// Input and output of every type against PostgreSQL 15: each row is a literal cast to a type
// and what PostgreSQL answers, taken from a PostgreSQL 15.18 server (TimeZone UTC, DateStyle
// 'ISO, MDY') with
//   SELECT format('%s', x) FROM (SELECT '<literal>'::<type> AS x) s;
// (the error rows give the SQLSTATE and primary message PostgreSQL reported).
#include "sql/value_io.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

using testing::describe;
using testing::evaluate;
using testing::lit;

struct LiteralCase {
    const char* type;
    const char* literal;
    const char* expected;
};

constexpr LiteralCase kLiterals[] = {
    {"boolean", "t", "t"},
    {"boolean", "TRUE", "t"},
    {"boolean", " yes ", "t"},
    {"boolean", "of", "f"},
    {"boolean", "off", "f"},
    {"boolean", "on", "t"},
    {"boolean", "1", "t"},
    {"boolean", "0", "f"},
    {"boolean", "no", "f"},
    {"boolean", "o", "ERROR 22P02: invalid input syntax for type boolean: \"o\""},
    {"boolean", "tru", "t"},
    {"boolean", "x", "ERROR 22P02: invalid input syntax for type boolean: \"x\""},
    {"boolean", "", "ERROR 22P02: invalid input syntax for type boolean: \"\""},
    {"smallint", "0", "0"},
    {"smallint", "-32768", "-32768"},
    {"smallint", "32767", "32767"},
    {"smallint", "32768", "ERROR 22003: value \"32768\" is out of range for type smallint"},
    {"smallint", " 12 ", "12"},
    {"smallint", "+5", "5"},
    {"smallint", "1.5", "ERROR 22P02: invalid input syntax for type smallint: \"1.5\""},
    {"smallint", "", "ERROR 22P02: invalid input syntax for type smallint: \"\""},
    {"smallint", "abc", "ERROR 22P02: invalid input syntax for type smallint: \"abc\""},
    {"smallint", "-", "ERROR 22P02: invalid input syntax for type smallint: \"-\""},
    {"integer", "2147483647", "2147483647"},
    {"integer", "-2147483648", "-2147483648"},
    {"integer", "2147483648", "ERROR 22003: value \"2147483648\" is out of range for type integer"},
    {"integer", " -0 ", "0"},
    {"integer", "12abc", "ERROR 22P02: invalid input syntax for type integer: \"12abc\""},
    {"integer", "1e3", "ERROR 22P02: invalid input syntax for type integer: \"1e3\""},
    {"bigint", "9223372036854775807", "9223372036854775807"},
    {"bigint", "-9223372036854775808", "-9223372036854775808"},
    {"bigint", "9223372036854775808",
     "ERROR 22003: value \"9223372036854775808\" is out of range for type bigint"},
    {"bigint", "99999999999999999999",
     "ERROR 22003: value \"99999999999999999999\" is out of range for type bigint"},
    {"bigint", "+0", "0"},
    {"real", "1.5", "1.5"},
    {"real", "0.1", "0.1"},
    {"real", "1e6", "1e+06"},
    {"real", "123456", "123456"},
    {"real", "1234567", "1.234567e+06"},
    {"real", "-0", "-0"},
    {"real", "3.4e38", "3.4e+38"},
    {"real", "3.5e38", "ERROR 22003: \"3.5e38\" is out of range for type real"},
    {"real", "1e-46", "ERROR 22003: \"1e-46\" is out of range for type real"},
    {"real", "1e-45", "1e-45"},
    {"real", "NaN", "NaN"},
    {"real", "-inf", "-Infinity"},
    {"real", "  2.5  ", "2.5"},
    {"real", "abc", "ERROR 22P02: invalid input syntax for type real: \"abc\""},
    {"real", "0x10", "16"},
    {"real", "1e", "ERROR 22P02: invalid input syntax for type real: \"1e\""},
    {"double precision", "0.1", "0.1"},
    {"double precision", "1e15", "1e+15"},
    {"double precision", "123456789012345", "123456789012345"},
    {"double precision", "1e16", "1e+16"},
    {"double precision", "1e-5", "1e-05"},
    {"double precision", "0.0001", "0.0001"},
    {"double precision", "1e308", "1e+308"},
    {"double precision", "1e309",
     "ERROR 22003: \"1e309\" is out of range for type double precision"},
    {"double precision", "1e-400",
     "ERROR 22003: \"1e-400\" is out of range for type double precision"},
    {"double precision", "5e-324", "5e-324"},
    {"double precision", "-Infinity", "-Infinity"},
    {"double precision", "nan", "NaN"},
    {"double precision", "1.7976931348623157e308", "1.7976931348623157e+308"},
    {"double precision", ".5", "0.5"},
    {"double precision", "5.", "5"},
    {"double precision", "+1.5", "1.5"},
    {"double precision", "1/3",
     "ERROR 22P02: invalid input syntax for type double precision: \"1/3\""},
    {"numeric", "1.50", "1.50"},
    {"numeric", "-0.00", "0.00"},
    {"numeric", "1e3", "1000"},
    {"numeric", "1.5e-3", "0.0015"},
    {"numeric", "NaN", "NaN"},
    {"numeric", "-inf", "-Infinity"},
    {"numeric", "Infinity", "Infinity"},
    {"numeric", "abc", "ERROR 22P02: invalid input syntax for type numeric: \"abc\""},
    {"numeric", "1.2.3", "ERROR 22P02: invalid input syntax for type numeric: \"1.2.3\""},
    {"numeric", "  7.0  ", "7.0"},
    {"numeric", ".5", "0.5"},
    {"numeric(5,2)", "123.456", "123.46"},
    {"numeric(5,2)", "999.995", "ERROR 22003: numeric field overflow"},
    {"numeric(5,2)", "-999.994", "-999.99"},
    {"numeric(5,2)", "12345", "ERROR 22003: numeric field overflow"},
    {"numeric(5,2)", "1e2", "100.00"},
    {"numeric(5,2)", "NaN", "NaN"},
    {"numeric(5,2)", "Infinity", "ERROR 22003: numeric field overflow"},
    {"numeric(3,0)", "999.5", "ERROR 22003: numeric field overflow"},
    {"numeric(3,0)", "-0.4", "0"},
    {"numeric(3,0)", "12.5", "13"},
    {"text", "abc", "abc"},
    {"text", "", ""},
    {"text", "  spaced  ", "  spaced  "},
    {"text", "héllo", "héllo"},
    {"character varying(3)", "abc", "abc"},
    {"character varying(3)", "abcd", "abc"},
    {"character varying(3)", "ab   ", "ab "},
    {"character varying(3)", "ab    x", "ab "},
    {"character varying(3)", "é€z", "é€z"},
    {"character(3)", "a", "a  "},
    {"character(3)", "abc", "abc"},
    {"character(3)", "abcd", "abc"},
    {"character(3)", "ab  ", "ab "},
    {"character(3)", "", "   "},
    {"character(3)", "é", "é  "},
    {"bytea", "\\x0a0B", "\\x0a0b"},
    {"bytea", "\\x", "\\x"},
    {"bytea", "abc", "\\x616263"},
    {"bytea", "a\\\\b", "\\x615c62"},
    {"bytea", "\\001\\377", "\\x01ff"},
    {"bytea", "\\x 01 02", "\\x0102"},
    {"bytea", "\\x0g", "ERROR 22023: invalid hexadecimal digit: \"g\""},
    {"bytea", "\\x0", "ERROR 22023: invalid hexadecimal data: odd number of digits"},
    {"bytea", "a\\b", "ERROR 22P02: invalid input syntax for type bytea"},
    {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"uuid", "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"uuid", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
     "ERROR 22P02: invalid input syntax for type uuid: \"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1\""},
    {"uuid", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
     "ERROR 22P02: invalid input syntax for type uuid: \" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\""},
    {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
     "ERROR 22P02: invalid input syntax for type uuid: \"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-\""},
    {"date", "2020-01-02", "2020-01-02"},
    {"date", " 2020-1-2 ", "2020-01-02"},
    {"date", "20200102", "2020-01-02"},
    {"date", "01/02/2020", "2020-01-02"},
    {"date", "12-31-2020", "2020-12-31"},
    {"date", "epoch", "1970-01-01"},
    {"date", "infinity", "infinity"},
    {"date", "-infinity", "-infinity"},
    {"date", "2020-01-02 12:34:56", "2020-01-02"},
    {"date", "0001-01-01 BC", "0001-01-01 BC"},
    {"date", "4714-11-24 BC", "4714-11-24 BC"},
    {"date", "4714-11-23 BC", "ERROR 22008: date out of range: \"4714-11-23 BC\""},
    {"date", "10000-01-01", "10000-01-01"},
    {"date", "5874897-12-31", "5874897-12-31"},
    {"date", "5874898-01-01", "ERROR 22008: date out of range: \"5874898-01-01\""},
    {"date", "2020-13-01", "ERROR 22008: date/time field value out of range: \"2020-13-01\""},
    {"date", "2020-02-30", "ERROR 22008: date/time field value out of range: \"2020-02-30\""},
    {"date", "2020-02-29", "2020-02-29"},
    {"date", "2019-02-29", "ERROR 22008: date/time field value out of range: \"2019-02-29\""},
    {"date", "abc", "ERROR 22007: invalid input syntax for type date: \"abc\""},
    {"date", "", "ERROR 22007: invalid input syntax for type date: \"\""},
    {"date", "0000-01-01", "ERROR 22008: date/time field value out of range: \"0000-01-01\""},
    {"date", "1/2/20", "2020-01-02"},
    {"date", "1/2/70", "1970-01-02"},
    {"timestamp without time zone", "2020-01-02T03:04:05.123456789", "2020-01-02 03:04:05.123457"},
    {"timestamp without time zone", "2020-01-02 03:04", "2020-01-02 03:04:00"},
    {"timestamp without time zone", "2020-01-02 03:04:05+02", "2020-01-02 03:04:05"},
    {"timestamp without time zone", "2020-01-02", "2020-01-02 00:00:00"},
    {"timestamp without time zone", "2020-01-02 24:00", "2020-01-03 00:00:00"},
    {"timestamp without time zone", "2020-12-31 23:59:60", "2021-01-01 00:00:00"},
    {"timestamp without time zone", "2020-01-02 25:00",
     "ERROR 22008: date/time field value out of range: \"2020-01-02 25:00\""},
    {"timestamp without time zone", "2020-01-02 03:61",
     "ERROR 22008: date/time field value out of range: \"2020-01-02 03:61\""},
    {"timestamp without time zone", "294276-12-31 23:59:59.999999", "294276-12-31 23:59:59.999999"},
    {"timestamp without time zone", "294277-01-01",
     "ERROR 22008: timestamp out of range: \"294277-01-01\""},
    {"timestamp without time zone", "2020-01-02 03:04:05.0000005", "2020-01-02 03:04:05"},
    {"timestamp without time zone", "2020-01-02 03:04:05.0000015", "2020-01-02 03:04:05.000002"},
    {"timestamp without time zone", "2020-01-02 03:04:05.9999999", "2020-01-02 03:04:06"},
    {"timestamp without time zone", "epoch", "1970-01-01 00:00:00"},
    {"timestamp without time zone", "infinity", "infinity"},
    {"timestamp without time zone", "1999-01-08 04:05:06 BC", "1999-01-08 04:05:06 BC"},
    {"timestamp without time zone", "2020-01-02 3:4:5", "2020-01-02 03:04:05"},
    {"timestamp with time zone", "2020-01-02 03:04:05+02", "2020-01-02 01:04:05+00"},
    {"timestamp with time zone", "2020-01-02 03:04:05-05:30", "2020-01-02 08:34:05+00"},
    {"timestamp with time zone", "2020-01-02T03:04:05Z", "2020-01-02 03:04:05+00"},
    {"timestamp with time zone", "2020-01-02 03:04:05 UTC", "2020-01-02 03:04:05+00"},
    {"timestamp with time zone", "2020-01-02 03:04:05 GMT", "2020-01-02 03:04:05+00"},
    {"timestamp with time zone", "1999-01-08 04:05:06 +0130", "1999-01-08 02:35:06+00"},
    {"timestamp with time zone", "2020-01-02 03:04:05+16",
     "ERROR 22009: time zone displacement out of range: \"2020-01-02 03:04:05+16\""},
    {"timestamp with time zone", "2020-01-02 03:04:05 foo",
     "ERROR 22007: invalid input syntax for type timestamp with time zone: \"2020-01-02 03:04:05 "
     "foo\""},
    {"timestamp with time zone", "2020-01-02 03:04:05.5", "2020-01-02 03:04:05.5+00"},
    {"timestamp with time zone", "epoch", "1970-01-01 00:00:00+00"},
    {"timestamp with time zone", "-infinity", "-infinity"},
    {"timestamp with time zone", "2020-01-02 03:04:05+15:59", "2020-01-01 11:05:05+00"},
    {"interval", "1 day 02:03:04", "1 day 02:03:04"},
    {"interval", "3 months", "3 mons"},
    {"interval", "P1D", "1 day"},
    {"interval", "1.5 months", "1 mon 15 days"},
    {"interval", "1.5 years", "1 year 6 mons"},
    {"interval", "-1 day +02:00", "-1 days +02:00:00"},
    {"interval", "1 day ago", "-1 days"},
    {"interval", "@ 1 hour", "01:00:00"},
    {"interval", "10", "00:00:10"},
    {"interval", "1-2", "1 year 2 mons"},
    {"interval", "1 2 hours", "1 day 02:00:00"},
    {"interval", "1.5", "00:00:01.5"},
    {"interval", "-1.5 days", "-1 days -12:00:00"},
    {"interval", "1 week 2 days", "9 days"},
    {"interval", "1.25 weeks", "8 days 18:00:00"},
    {"interval", "1 hour ago", "-01:00:00"},
    {"interval", "1 day 2 hours ago", "-1 days -02:00:00"},
    {"interval", "1d2h", "1 day 02:00:00"},
    {"interval", "1 DAY", "1 day"},
    {"interval", "2 mins 3 secs", "00:02:03"},
    {"interval", "1.7 days", "1 day 16:48:00"},
    {"interval", "-1 -2:03", "-1 days -02:03:00"},
    {"interval", "1 +2:03", "1 day 02:03:00"},
    {"interval", "1 day, 2 hours", "1 day 02:00:00"},
    {"interval", "P1W", "7 days"},
    {"interval", "P-1D", "-1 days"},
    {"interval", "PT-1.5S", "-00:00:01.5"},
    {"interval", "1:2", "01:02:00"},
    {"interval", "1:2.5", "00:01:02.5"},
    {"interval", "-1:2:3.5", "-01:02:03.5"},
    {"interval", "1 millisecond", "00:00:00.001"},
    {"interval", "1.5 ms", "00:00:00.0015"},
    {"interval", "1 decade 1 century", "110 years"},
    {"interval", "3 hours 1", "03:00:01"},
    {"interval", "P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"},
    {"interval", "PT1.5H", "01:30:00"},
    {"interval", "1 mon -1 day", "1 mon -1 days"},
    {"interval", "-1 mon 1 day", "-1 mons +1 day"},
    {"interval", "-00:00:01", "-00:00:01"},
    {"interval", "1 year -1 mon", "11 mons"},
    {"interval", "100:00:00", "100:00:00"},
    {"interval", "0.000001 sec", "00:00:00.000001"},
    {"interval", ".5 sec", "00:00:00.5"},
    {"interval", "1 day -00:00:01", "1 day -00:00:01"},
    {"interval", "-1 years -2 mons", "-1 years -2 mons"},
    {"interval", "1 day 1 day",
     "ERROR 22007: invalid input syntax for type interval: \"1 day 1 day\""},
    {"interval", "abc", "ERROR 22007: invalid input syntax for type interval: \"abc\""},
    {"interval", "99999999999 days",
     "ERROR 22015: interval field value out of range: \"99999999999 days\""},
    {"interval", "2147483647 years", "ERROR 22008: interval out of range"},
    {"interval", "01:60", "ERROR 22015: interval field value out of range: \"01:60\""},
    {"interval", "P1Q", "ERROR 22007: invalid input syntax for type interval: \"P1Q\""},
    {"interval", "", "ERROR 22007: invalid input syntax for type interval: \"\""},
    {"interval", "0", "00:00:00"},
    {"interval", "1 microseconds", "00:00:00.000001"},
    {"interval", "2 millenniums", "2000 years"},
    {"interval", "1 day ago 1 hour", "-1 days -01:00:00"},
    {"jsonb",
     "{\"b\": [1, 2.50, 1e2], \"a\": {\"x\": null}, \"aa\": \"s\\n\\u00e9\\u0001/\\\"\", \"a\": "
     "true}",
     "{\"a\": true, \"b\": [1, 2.50, 100], \"aa\": \"s\\né\\u0001/\\\"\"}"},
    {"jsonb", "  \"x\" ", "\"x\""},
    {"jsonb", "-0", "0"},
    {"jsonb", "1E-2", "0.01"},
    {"jsonb", "[]", "[]"},
    {"jsonb", "{}", "{}"},
    {"jsonb", "[1,[2,{}]]", "[1, [2, {}]]"},
    {"jsonb", "{\"a\" 1}", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "\"\\u0000\"", "ERROR 22P05: unsupported Unicode escape sequence"},
    {"jsonb", "\"\\ud83d\\ude00\"", "\"😀\""},
    {"jsonb", "\"\\ud83d\"", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "01", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "1.", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "TRUE", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "[1,2", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "\"\\q\"", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "{\"a\":1,}", "ERROR 22P02: invalid input syntax for type json"},
    {"jsonb", "null", "null"},
    {"jsonb", " true ", "true"},
    {"jsonb", "-1.5e+3", "-1500"},
    {"jsonb", "{\"\":1,\"a\":2,\"b\":{\"z\":1,\"y\":[]}}",
     "{\"\": 1, \"a\": 2, \"b\": {\"y\": [], \"z\": 1}}"},
};

TEST(ValueInput, LiteralsReadAndPrintAsPostgres) {
    for (const LiteralCase& c : kLiterals) {
        EXPECT_EQ(describe(evaluate(lit(c.literal, c.type))), c.expected)
            << "'" << c.literal << "'::" << c.type;
    }
}

TEST(ValueInput, ModifierAppliedAsAssignment) {
    // INSERT INTO t (v varchar(3)) VALUES ('abcd') fails; trailing spaces are cut silently.
    auto too_long = value_input_with_modifier("abcd", Type::varchar(3));
    ASSERT_FALSE(too_long.has_value());
    EXPECT_EQ(too_long.error().sqlstate, "22001");
    EXPECT_EQ(too_long.error().message, "value too long for type character varying(3)");
    EXPECT_EQ(value_input_with_modifier("ab    ", Type::varchar(3))->as_text(), "ab ");
    EXPECT_EQ(value_input_with_modifier("a", Type::character(3))->as_text(), "a  ");
    EXPECT_EQ(value_input_with_modifier("1.005", Type::numeric(4, 2))->as_numeric().to_string(),
              "1.01");
}

TEST(ValueInput, TextMustBeUtf8WithoutNul) {
    // PostgreSQL: SELECT convert_from('\xc3'::bytea, 'UTF8') -> 22021 invalid byte sequence for
    // encoding "UTF8": 0xc3; a NUL byte is reported as 0x00.
    auto bad = value_input("a\xc3", SqlType::text);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().sqlstate, "22021");
    EXPECT_EQ(bad.error().message, "invalid byte sequence for encoding \"UTF8\": 0xc3");
    auto nul = value_input(std::string_view("a\0b", 3), SqlType::text);
    ASSERT_FALSE(nul.has_value());
    EXPECT_EQ(nul.error().message, "invalid byte sequence for encoding \"UTF8\": 0x00");
    EXPECT_FALSE(value_input("\xed\xa0\x80", SqlType::text).has_value());  // a surrogate
    EXPECT_FALSE(value_input("\xc0\xaf", SqlType::text).has_value());      // overlong
    EXPECT_TRUE(value_input("\xf0\x9f\x98\x80", SqlType::text).has_value());
}

TEST(ValueOutput, EveryKind) {
    EXPECT_EQ(value_output(Value::boolean(true)), "t");
    EXPECT_EQ(value_output(Value::int16(-3)), "-3");
    EXPECT_EQ(value_output(Value::float64(-0.0)), "-0");
    EXPECT_EQ(value_output(Value::float32(0.1F)), "0.1");
    EXPECT_EQ(value_output(Value::bytea(Bytes{0x00, 0xff})), "\\x00ff");
    EXPECT_EQ(value_output(Value::date(0)), "2000-01-01");
    EXPECT_EQ(value_output(Value::timestamp(1)), "2000-01-01 00:00:00.000001");
    EXPECT_EQ(value_output(Value::timestamptz(-1)), "1999-12-31 23:59:59.999999+00");
    EXPECT_EQ(value_output(Value::interval({-14, 3, -1})),
              "-1 years -2 mons +3 days -00:00:00.000001");
    kernel::Uuid uuid{};
    uuid[15] = 1;
    EXPECT_EQ(value_output(Value::uuid(uuid)), "00000000-0000-0000-0000-000000000001");
}

// Every value's text reads back as the same value (the output is a valid input).
RC_GTEST_PROP(ValueOutput, ReadsBack, (i64 a, i32 b, double d, float f)) {
    const std::vector<std::pair<Value, SqlType>> values = {
        {Value::int64(a), SqlType::bigint},
        {Value::int32(b), SqlType::integer},
        {Value::float64(d), SqlType::double_precision},
        {Value::float32(f), SqlType::real},
        {Value::date(b % 2000000), SqlType::date},
        {Value::timestamp(a % 211813488000000000), SqlType::timestamp},
        // PostgreSQL reads back hours up to what fits its microseconds, not every i64.
        {Value::interval({b, b / 7, a % 2000000000000000000}), SqlType::interval},
    };
    for (const auto& [value, type] : values) {
        auto back = value_input(value_output(value), type);
        RC_ASSERT(back.has_value());
        RC_ASSERT(value_output(*back) == value_output(value));
        if (type != SqlType::double_precision && type != SqlType::real) RC_ASSERT(*back == value);
    }
}

}  // namespace
}  // namespace kb::sql
