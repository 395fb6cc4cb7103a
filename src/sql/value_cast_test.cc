// Casts against PostgreSQL 15: each row is CAST(<literal> AS <type>) and PostgreSQL 15.18's
// answer, from
//   SELECT format('%s', x), x IS NULL, pg_typeof(x) FROM (SELECT CAST(...) AS x) s;
#include "sql/value_cast.h"

#include <gtest/gtest.h>

#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

using testing::cast;
using testing::describe;
using testing::evaluate;
using testing::Expr;
using testing::lit;
using testing::null_literal;
using testing::result_type_name;

struct Case {
    Expr expr;
    const char* type;
    const char* expected;
};

TEST(Casts, ExplicitCastsAsPostgres) {
    const std::vector<Case> cases = {
        // CAST('1.5'::numeric AS integer)
        {cast(lit("1.5", "numeric"), "integer"), "integer", "2"},
        // CAST('2.5'::numeric AS integer)
        {cast(lit("2.5", "numeric"), "integer"), "integer", "3"},
        // CAST('-2.5'::numeric AS integer)
        {cast(lit("-2.5", "numeric"), "integer"), "integer", "-3"},
        // CAST('-0.5'::numeric AS integer)
        {cast(lit("-0.5", "numeric"), "integer"), "integer", "-1"},
        // CAST('32767.5'::numeric AS smallint)
        {cast(lit("32767.5", "numeric"), "smallint"), "", "ERROR 22003: smallint out of range"},
        // CAST('2147483647.4'::numeric AS integer)
        {cast(lit("2147483647.4", "numeric"), "integer"), "integer", "2147483647"},
        // CAST('9223372036854775807.5'::numeric AS bigint)
        {cast(lit("9223372036854775807.5", "numeric"), "bigint"), "",
         "ERROR 22003: bigint out of range"},
        // CAST('NaN'::numeric AS integer)
        {cast(lit("NaN", "numeric"), "integer"), "", "ERROR 0A000: cannot convert NaN to integer"},
        // CAST('-Infinity'::numeric AS integer)
        {cast(lit("-Infinity", "numeric"), "integer"), "",
         "ERROR 0A000: cannot convert infinity to integer"},
        // CAST('2.5'::double precision AS integer)
        {cast(lit("2.5", "double precision"), "integer"), "integer", "2"},
        // CAST('3.5'::double precision AS integer)
        {cast(lit("3.5", "double precision"), "integer"), "integer", "4"},
        // CAST('-2.5'::double precision AS integer)
        {cast(lit("-2.5", "double precision"), "integer"), "integer", "-2"},
        // CAST('-0.5'::double precision AS integer)
        {cast(lit("-0.5", "double precision"), "integer"), "integer", "0"},
        // CAST('2147483647.5'::double precision AS integer)
        {cast(lit("2147483647.5", "double precision"), "integer"), "",
         "ERROR 22003: integer out of range"},
        // CAST('NaN'::double precision AS integer)
        {cast(lit("NaN", "double precision"), "integer"), "", "ERROR 22003: integer out of range"},
        // CAST('Infinity'::double precision AS integer)
        {cast(lit("Infinity", "double precision"), "integer"), "",
         "ERROR 22003: integer out of range"},
        // CAST('1e19'::double precision AS bigint)
        {cast(lit("1e19", "double precision"), "bigint"), "", "ERROR 22003: bigint out of range"},
        // CAST('32767.5'::real AS smallint)
        {cast(lit("32767.5", "real"), "smallint"), "", "ERROR 22003: smallint out of range"},
        // CAST('70000'::integer AS smallint)
        {cast(lit("70000", "integer"), "smallint"), "", "ERROR 22003: smallint out of range"},
        // CAST('3000000000'::bigint AS integer)
        {cast(lit("3000000000", "bigint"), "integer"), "", "ERROR 22003: integer out of range"},
        // CAST('-32768'::bigint AS smallint)
        {cast(lit("-32768", "bigint"), "smallint"), "smallint", "-32768"},
        // CAST('0.1'::double precision AS numeric)
        {cast(lit("0.1", "double precision"), "numeric"), "numeric", "0.1"},
        // CAST('1e20'::double precision AS numeric)
        {cast(lit("1e20", "double precision"), "numeric"), "numeric", "100000000000000000000"},
        // CAST('1e-20'::double precision AS numeric)
        {cast(lit("1e-20", "double precision"), "numeric"), "numeric", "0.00000000000000000001"},
        // CAST('0.3333333333333333'::double precision AS numeric)
        {cast(lit("0.3333333333333333", "double precision"), "numeric"), "numeric",
         "0.333333333333333"},
        // CAST('123456789.123'::double precision AS numeric)
        {cast(lit("123456789.123", "double precision"), "numeric"), "numeric", "123456789.123"},
        // CAST('NaN'::double precision AS numeric)
        {cast(lit("NaN", "double precision"), "numeric"), "numeric", "NaN"},
        // CAST('-Infinity'::double precision AS numeric)
        {cast(lit("-Infinity", "double precision"), "numeric"), "numeric", "-Infinity"},
        // CAST('-0'::double precision AS numeric)
        {cast(lit("-0", "double precision"), "numeric"), "numeric", "0"},
        // CAST('0.1'::real AS numeric)
        {cast(lit("0.1", "real"), "numeric"), "numeric", "0.1"},
        // CAST('123456789'::real AS numeric)
        {cast(lit("123456789", "real"), "numeric"), "numeric", "123457000"},
        // CAST('1.5e-7'::real AS numeric)
        {cast(lit("1.5e-7", "real"), "numeric"), "numeric", "0.00000015"},
        // CAST('0.1'::numeric AS double precision)
        {cast(lit("0.1", "numeric"), "double precision"), "double precision", "0.1"},
        // CAST('1e400'::numeric AS double precision)
        {cast(lit("1e400", "numeric"), "double precision"), "",
         "ERROR 22003: "
         "\"100000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000\" is out of range for type double "
         "precision"},
        // CAST('123456789012345678901234567890'::numeric AS double precision)
        {cast(lit("123456789012345678901234567890", "numeric"), "double precision"),
         "double precision", "1.2345678901234568e+29"},
        // CAST('NaN'::numeric AS double precision)
        {cast(lit("NaN", "numeric"), "double precision"), "double precision", "NaN"},
        // CAST('Infinity'::numeric AS double precision)
        {cast(lit("Infinity", "numeric"), "double precision"), "double precision", "Infinity"},
        // CAST('0.1'::numeric AS real)
        {cast(lit("0.1", "numeric"), "real"), "real", "0.1"},
        // CAST('1e39'::numeric AS real)
        {cast(lit("1e39", "numeric"), "real"), "",
         "ERROR 22003: \"1000000000000000000000000000000000000000\" is out of range for type real"},
        // CAST('1e-50'::numeric AS real)
        {cast(lit("1e-50", "numeric"), "real"), "",
         "ERROR 22003: \"0.00000000000000000000000000000000000000000000000001\" is out of range "
         "for type real"},
        // CAST('3.4028235e38'::numeric AS real)
        {cast(lit("3.4028235e38", "numeric"), "real"), "real", "3.4028235e+38"},
        // CAST('0.1'::real AS double precision)
        {cast(lit("0.1", "real"), "double precision"), "double precision", "0.10000000149011612"},
        // CAST('1e300'::double precision AS real)
        {cast(lit("1e300", "double precision"), "real"), "",
         "ERROR 22003: value out of range: overflow"},
        // CAST('1e-300'::double precision AS real)
        {cast(lit("1e-300", "double precision"), "real"), "",
         "ERROR 22003: value out of range: underflow"},
        // CAST('12345678901'::bigint AS real)
        {cast(lit("12345678901", "bigint"), "real"), "real", "1.2345679e+10"},
        // CAST('9007199254740993'::bigint AS double precision)
        {cast(lit("9007199254740993", "bigint"), "double precision"), "double precision",
         "9.007199254740992e+15"},
        // CAST('123.456'::numeric AS numeric(5,2))
        {cast(lit("123.456", "numeric"), "numeric(5,2)"), "numeric", "123.46"},
        // CAST('12345.678'::numeric AS numeric(5,2))
        {cast(lit("12345.678", "numeric"), "numeric(5,2)"), "",
         "ERROR 22003: numeric field overflow"},
        // CAST('-0.004'::numeric AS numeric(3,2))
        {cast(lit("-0.004", "numeric"), "numeric(3,2)"), "numeric", "0.00"},
        // CAST('Infinity'::numeric AS numeric(5,2))
        {cast(lit("Infinity", "numeric"), "numeric(5,2)"), "",
         "ERROR 22003: numeric field overflow"},
        // CAST('NaN'::numeric AS numeric(5,2))
        {cast(lit("NaN", "numeric"), "numeric(5,2)"), "numeric", "NaN"},
        // CAST('99.999'::numeric AS numeric(4,2))
        {cast(lit("99.999", "numeric"), "numeric(4,2)"), "", "ERROR 22003: numeric field overflow"},
        // CAST('1.5'::double precision AS numeric(3,1))
        {cast(lit("1.5", "double precision"), "numeric(3,1)"), "numeric", "1.5"},
        // CAST('true'::boolean AS integer)
        {cast(lit("true", "boolean"), "integer"), "integer", "1"},
        // CAST('true'::boolean AS text)
        {cast(lit("true", "boolean"), "text"), "text", "true"},
        // CAST('true'::boolean AS character varying)
        {cast(lit("true", "boolean"), "character varying"), "character varying", "true"},
        // CAST('true'::boolean AS character(2))
        {cast(lit("true", "boolean"), "character(2)"), "character", "tr"},
        // CAST('false'::boolean AS integer)
        {cast(lit("false", "boolean"), "integer"), "integer", "0"},
        // CAST('false'::boolean AS text)
        {cast(lit("false", "boolean"), "text"), "text", "false"},
        // CAST('false'::boolean AS character varying)
        {cast(lit("false", "boolean"), "character varying"), "character varying", "false"},
        // CAST('false'::boolean AS character(2))
        {cast(lit("false", "boolean"), "character(2)"), "character", "fa"},
        // CAST('5'::integer AS boolean)
        {cast(lit("5", "integer"), "boolean"), "boolean", "t"},
        // CAST('0'::integer AS boolean)
        {cast(lit("0", "integer"), "boolean"), "boolean", "f"},
        // CAST('1'::smallint AS boolean)
        {cast(lit("1", "smallint"), "boolean"), "",
         "ERROR 42846: cannot cast type smallint to boolean"},
        // CAST('1'::bigint AS boolean)
        {cast(lit("1", "bigint"), "boolean"), "",
         "ERROR 42846: cannot cast type bigint to boolean"},
        // CAST('t'::boolean AS smallint)
        {cast(lit("t", "boolean"), "smallint"), "",
         "ERROR 42846: cannot cast type boolean to smallint"},
        // CAST('123'::integer AS character varying(2))
        {cast(lit("123", "integer"), "character varying(2)"), "character varying", "12"},
        // CAST('123'::integer AS character(1))
        {cast(lit("123", "integer"), "character(1)"), "character", "1"},
        // CAST('abcdef'::text AS character varying(3))
        {cast(lit("abcdef", "text"), "character varying(3)"), "character varying", "abc"},
        // CAST('abcdef'::text AS character(3))
        {cast(lit("abcdef", "text"), "character(3)"), "character", "abc"},
        // CAST('ab'::text AS character(4))
        {cast(lit("ab", "text"), "character(4)"), "character", "ab  "},
        // CAST('ab  '::character(4) AS text)
        {cast(lit("ab  ", "character(4)"), "text"), "text", "ab"},
        // CAST('ab  '::character(4) AS character varying)
        {cast(lit("ab  ", "character(4)"), "character varying"), "character varying", "ab"},
        // CAST('ab'::character varying AS character(4))
        {cast(lit("ab", "character varying"), "character(4)"), "character", "ab  "},
        // CAST('é€zz'::text AS character varying(2))
        {cast(lit("é€zz", "text"), "character varying(2)"), "character varying", "é€"},
        // CAST('1.50'::numeric AS text)
        {cast(lit("1.50", "numeric"), "text"), "text", "1.50"},
        // CAST('2020-01-01'::date AS text)
        {cast(lit("2020-01-01", "date"), "text"), "text", "2020-01-01"},
        // CAST('\x0102'::bytea AS text)
        {cast(lit("\\x0102", "bytea"), "text"), "text", "\\x0102"},
        // CAST('1 day'::interval AS text)
        {cast(lit("1 day", "interval"), "text"), "text", "1 day"},
        // CAST('{"a":1}'::jsonb AS text)
        {cast(lit("{\"a\":1}", "jsonb"), "text"), "text", "{\"a\": 1}"},
        // CAST('0.1'::real AS text)
        {cast(lit("0.1", "real"), "text"), "text", "0.1"},
        // CAST('12'::text AS integer)
        {cast(lit("12", "text"), "integer"), "integer", "12"},
        // CAST(' 12 '::text AS bigint)
        {cast(lit(" 12 ", "text"), "bigint"), "bigint", "12"},
        // CAST('abc'::text AS integer)
        {cast(lit("abc", "text"), "integer"), "",
         "ERROR 22P02: invalid input syntax for type integer: \"abc\""},
        // CAST('t'::text AS boolean)
        {cast(lit("t", "text"), "boolean"), "boolean", "t"},
        // CAST('2020-01-02'::text AS date)
        {cast(lit("2020-01-02", "text"), "date"), "date", "2020-01-02"},
        // CAST('1.5'::character varying AS numeric)
        {cast(lit("1.5", "character varying"), "numeric"), "numeric", "1.5"},
        // CAST('x'::character(3) AS bytea)
        {cast(lit("x", "character(3)"), "bytea"), "bytea", "\\x782020"},
        // CAST('{"b":1,"a":2}'::text AS jsonb)
        {cast(lit("{\"b\":1,\"a\":2}", "text"), "jsonb"), "jsonb", "{\"a\": 2, \"b\": 1}"},
        // CAST('abc'::text AS bytea)
        {cast(lit("abc", "text"), "bytea"), "bytea", "\\x616263"},
        // CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::text AS uuid)
        {cast(lit("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "text"), "uuid"), "uuid",
         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        // CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS text)
        {cast(lit("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid"), "text"), "text",
         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        // CAST('1'::integer AS interval)
        {cast(lit("1", "integer"), "interval"), "",
         "ERROR 42846: cannot cast type integer to interval"},
        // CAST('1'::integer AS date)
        {cast(lit("1", "integer"), "date"), "", "ERROR 42846: cannot cast type integer to date"},
        // CAST('2020-01-01'::date AS integer)
        {cast(lit("2020-01-01", "date"), "integer"), "",
         "ERROR 42846: cannot cast type date to integer"},
        // CAST('t'::boolean AS numeric)
        {cast(lit("t", "boolean"), "numeric"), "",
         "ERROR 42846: cannot cast type boolean to numeric"},
        // CAST('\x01'::bytea AS uuid)
        {cast(lit("\\x01", "bytea"), "uuid"), "", "ERROR 42846: cannot cast type bytea to uuid"},
        // CAST('1 day'::interval AS timestamp)
        {cast(lit("1 day", "interval"), "timestamp"), "",
         "ERROR 42846: cannot cast type interval to timestamp without time zone"},
        // CAST('2020-01-01 10:00'::timestamp AS date)
        {cast(lit("2020-01-01 10:00", "timestamp"), "date"), "date", "2020-01-01"},
        // CAST('2020-01-01'::date AS timestamp with time zone)
        {cast(lit("2020-01-01", "date"), "timestamp with time zone"), "timestamp with time zone",
         "2020-01-01 00:00:00+00"},
        // CAST('2020-01-01 05:00+00'::timestamp with time zone AS timestamp)
        {cast(lit("2020-01-01 05:00+00", "timestamp with time zone"), "timestamp"),
         "timestamp without time zone", "2020-01-01 05:00:00"},
        // CAST('2020-01-01 23:59:59.999999'::timestamp AS date)
        {cast(lit("2020-01-01 23:59:59.999999", "timestamp"), "date"), "date", "2020-01-01"},
        // CAST('1999-12-31 23:00-02'::timestamp with time zone AS date)
        {cast(lit("1999-12-31 23:00-02", "timestamp with time zone"), "date"), "date",
         "2000-01-01"},
        // CAST('infinity'::date AS timestamp)
        {cast(lit("infinity", "date"), "timestamp"), "timestamp without time zone", "infinity"},
        // CAST('294277-01-01'::date AS timestamp)
        {cast(lit("294277-01-01", "date"), "timestamp"), "",
         "ERROR 22008: date out of range for timestamp"},
        // CAST('-infinity'::timestamp AS date)
        {cast(lit("-infinity", "timestamp"), "date"), "date", "-infinity"},
        // CAST('2020-01-01 10:00'::timestamp AS timestamp with time zone)
        {cast(lit("2020-01-01 10:00", "timestamp"), "timestamp with time zone"),
         "timestamp with time zone", "2020-01-01 10:00:00+00"},
        // CAST('1.5'::jsonb AS integer)
        {cast(lit("1.5", "jsonb"), "integer"), "integer", "2"},
        // CAST('1.5'::jsonb AS bigint)
        {cast(lit("1.5", "jsonb"), "bigint"), "bigint", "2"},
        // CAST('1.5'::jsonb AS smallint)
        {cast(lit("1.5", "jsonb"), "smallint"), "smallint", "2"},
        // CAST('1.5'::jsonb AS numeric)
        {cast(lit("1.5", "jsonb"), "numeric"), "numeric", "1.5"},
        // CAST('1.5'::jsonb AS double precision)
        {cast(lit("1.5", "jsonb"), "double precision"), "double precision", "1.5"},
        // CAST('1.5'::jsonb AS real)
        {cast(lit("1.5", "jsonb"), "real"), "real", "1.5"},
        // CAST('true'::jsonb AS boolean)
        {cast(lit("true", "jsonb"), "boolean"), "boolean", "t"},
        // CAST('"a"'::jsonb AS numeric)
        {cast(lit("\"a\"", "jsonb"), "numeric"), "",
         "ERROR 22023: cannot cast jsonb string to type numeric"},
        // CAST('null'::jsonb AS integer)
        {cast(lit("null", "jsonb"), "integer"), "",
         "ERROR 22023: cannot cast jsonb null to type integer"},
        // CAST('[1]'::jsonb AS boolean)
        {cast(lit("[1]", "jsonb"), "boolean"), "",
         "ERROR 22023: cannot cast jsonb array to type boolean"},
        // CAST('{"a":1}'::jsonb AS numeric)
        {cast(lit("{\"a\":1}", "jsonb"), "numeric"), "",
         "ERROR 22023: cannot cast jsonb object to type numeric"},
        // CAST('1e10'::jsonb AS integer)
        {cast(lit("1e10", "jsonb"), "integer"), "", "ERROR 22003: integer out of range"},
        // CAST('1'::jsonb AS boolean)
        {cast(lit("1", "jsonb"), "boolean"), "",
         "ERROR 22023: cannot cast jsonb numeric to type boolean"},
        // CAST('1.5'::numeric AS numeric)
        {cast(lit("1.5", "numeric"), "numeric"), "numeric", "1.5"},
        // CAST('abc'::character varying(5) AS character varying(2))
        {cast(lit("abc", "character varying(5)"), "character varying(2)"), "character varying",
         "ab"},
        // CAST(NULL AS integer)
        {cast(null_literal(), "integer"), "integer", "NULL"},
        // CAST(CAST(NULL AS integer) AS text)
        {cast(cast(null_literal(), "integer"), "text"), "text", "NULL"},
    };
    for (const Case& c : cases) {
        const auto result = evaluate(c.expr);
        EXPECT_EQ(describe(result), c.expected) << c.expr.sql();
        if (result) {
            EXPECT_EQ(result_type_name(result), c.type) << c.expr.sql();
        }
    }
}

TEST(Casts, LengthCoercionDependsOnContext) {
    // INSERT INTO t (v varchar(3)) SELECT 'abcd'::text -> 22001; CAST('abcd' AS varchar(3))
    // -> 'abc'; trailing spaces beyond the length are cut silently either way.
    const Value text = Value::text("abcd");
    auto assigned =
        cast_value(text, Type::of(SqlType::text), Type::varchar(3), CoercionContext::assignment);
    ASSERT_FALSE(assigned.has_value());
    EXPECT_EQ(assigned.error().to_string(),
              "ERROR 22001: value too long for type character varying(3)");
    auto padded = cast_value(Value::text("ab     "), Type::of(SqlType::text), Type::character(3),
                             CoercionContext::assignment);
    EXPECT_EQ(padded->as_text(), "ab ");
    auto integer = cast_value(Value::int32(1234), Type::of(SqlType::integer), Type::character(2),
                              CoercionContext::assignment);
    ASSERT_FALSE(integer.has_value());
    EXPECT_EQ(integer.error().message, "value too long for type character(2)");
    auto refused = cast_value(Value::int32(1), Type::of(SqlType::integer), Type::of(SqlType::date),
                              CoercionContext::explicit_cast);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().to_string(), "ERROR 42846: cannot cast type integer to date");
}

}  // namespace
}  // namespace kb::sql
