// Operators and functions against PostgreSQL 15: each row is an expression, the result type
// PostgreSQL resolves it to and its value (or its error), taken from a PostgreSQL 15.18 server
// (TimeZone UTC) with
//   SELECT format('%s', x), x IS NULL, pg_typeof(x) FROM (SELECT <expression> AS x) s;
// The SQL each row was checked with is in the comment above it.
#include "sql/func_registry.h"

#include <gtest/gtest.h>

#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

using testing::describe;
using testing::evaluate;
using testing::Expr;
using testing::func;
using testing::lit;
using testing::null_literal;
using testing::op;
using testing::prefix;
using testing::result_type_name;

struct Case {
    Expr expr;
    const char* type;  // PostgreSQL's pg_typeof; empty for errors
    const char* expected;
};

void check(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
        const auto result = evaluate(c.expr);
        EXPECT_EQ(describe(result), c.expected) << c.expr.sql();
        if (result) {
            EXPECT_EQ(result_type_name(result), c.type) << c.expr.sql();
        }
    }
}

TEST(Operators, ResolveAndComputeAsPostgres) {
    const std::vector<Case> cases = {
        // ('1'::integer + '2'::integer)
        {op("+", lit("1", "integer"), lit("2", "integer")), "integer", "3"},
        // ('1'::smallint + '2'::integer)
        {op("+", lit("1", "smallint"), lit("2", "integer")), "integer", "3"},
        // ('3'::integer * '4'::bigint)
        {op("*", lit("3", "integer"), lit("4", "bigint")), "bigint", "12"},
        // ('5'::bigint - '7'::smallint)
        {op("-", lit("5", "bigint"), lit("7", "smallint")), "bigint", "-2"},
        // ('32767'::smallint + '1'::smallint)
        {op("+", lit("32767", "smallint"), lit("1", "smallint")), "",
         "ERROR 22003: smallint out of range"},
        // ('65536'::integer * '32768'::integer)
        {op("*", lit("65536", "integer"), lit("32768", "integer")), "",
         "ERROR 22003: integer out of range"},
        // ('9223372036854775807'::bigint + '1'::bigint)
        {op("+", lit("9223372036854775807", "bigint"), lit("1", "bigint")), "",
         "ERROR 22003: bigint out of range"},
        // ('7'::integer / '2'::integer)
        {op("/", lit("7", "integer"), lit("2", "integer")), "integer", "3"},
        // ('-7'::integer / '2'::integer)
        {op("/", lit("-7", "integer"), lit("2", "integer")), "integer", "-3"},
        // ('1'::integer / '0'::integer)
        {op("/", lit("1", "integer"), lit("0", "integer")), "", "ERROR 22012: division by zero"},
        // ('-2147483648'::integer / '-1'::integer)
        {op("/", lit("-2147483648", "integer"), lit("-1", "integer")), "",
         "ERROR 22003: integer out of range"},
        // ('-9223372036854775808'::bigint / '-1'::bigint)
        {op("/", lit("-9223372036854775808", "bigint"), lit("-1", "bigint")), "",
         "ERROR 22003: bigint out of range"},
        // ('-7'::integer % '3'::integer)
        {op("%", lit("-7", "integer"), lit("3", "integer")), "integer", "-1"},
        // ('7'::integer % '-3'::integer)
        {op("%", lit("7", "integer"), lit("-3", "integer")), "integer", "1"},
        // ('5'::integer % '0'::integer)
        {op("%", lit("5", "integer"), lit("0", "integer")), "", "ERROR 22012: division by zero"},
        // ('-9223372036854775808'::bigint % '-1'::bigint)
        {op("%", lit("-9223372036854775808", "bigint"), lit("-1", "bigint")), "bigint", "0"},
        // ('7'::smallint % '3'::integer)
        {op("%", lit("7", "smallint"), lit("3", "integer")), "integer", "1"},
        // (- '-2147483648'::integer)
        {prefix("-", lit("-2147483648", "integer")), "", "ERROR 22003: integer out of range"},
        // (- '-32768'::smallint)
        {prefix("-", lit("-32768", "smallint")), "", "ERROR 22003: smallint out of range"},
        // (+ '5'::bigint)
        {prefix("+", lit("5", "bigint")), "bigint", "5"},
        // ('-32768'::smallint / '-1'::smallint)
        {op("/", lit("-32768", "smallint"), lit("-1", "smallint")), "",
         "ERROR 22003: smallint out of range"},
        // ('200'::smallint * '200'::smallint)
        {op("*", lit("200", "smallint"), lit("200", "smallint")), "",
         "ERROR 22003: smallint out of range"},
        // ('1'::integer + '1.5'::numeric)
        {op("+", lit("1", "integer"), lit("1.5", "numeric")), "numeric", "2.5"},
        // ('1'::integer + '1.5'::double precision)
        {op("+", lit("1", "integer"), lit("1.5", "double precision")), "double precision", "2.5"},
        // ('1.5'::real + '1.5'::double precision)
        {op("+", lit("1.5", "real"), lit("1.5", "double precision")), "double precision", "3"},
        // ('1.1'::real * '1.1'::real)
        {op("*", lit("1.1", "real"), lit("1.1", "real")), "real", "1.21"},
        // ('1'::numeric / '3'::numeric)
        {op("/", lit("1", "numeric"), lit("3", "numeric")), "numeric", "0.33333333333333333333"},
        // ('10'::numeric / '4'::numeric)
        {op("/", lit("10", "numeric"), lit("4", "numeric")), "numeric", "2.5000000000000000"},
        // ('1.00'::numeric / '3'::numeric)
        {op("/", lit("1.00", "numeric"), lit("3", "numeric")), "numeric", "0.33333333333333333333"},
        // ('0.000001'::numeric / '7'::numeric)
        {op("/", lit("0.000001", "numeric"), lit("7", "numeric")), "numeric",
         "0.000000142857142857142857"},
        // ('12345678901234567890'::numeric / '3'::numeric)
        {op("/", lit("12345678901234567890", "numeric"), lit("3", "numeric")), "numeric",
         "4115226300411522630"},
        // ('1'::numeric / '0'::numeric)
        {op("/", lit("1", "numeric"), lit("0", "numeric")), "", "ERROR 22012: division by zero"},
        // ('5.5'::numeric % '2'::numeric)
        {op("%", lit("5.5", "numeric"), lit("2", "numeric")), "numeric", "1.5"},
        // ('-5.5'::numeric % '2.00'::numeric)
        {op("%", lit("-5.5", "numeric"), lit("2.00", "numeric")), "numeric", "-1.50"},
        // ('1.50'::numeric * '2.0'::numeric)
        {op("*", lit("1.50", "numeric"), lit("2.0", "numeric")), "numeric", "3.000"},
        // ('1.23'::numeric - '1.23'::numeric)
        {op("-", lit("1.23", "numeric"), lit("1.23", "numeric")), "numeric", "0.00"},
        // ('1'::double precision / '0'::double precision)
        {op("/", lit("1", "double precision"), lit("0", "double precision")), "",
         "ERROR 22012: division by zero"},
        // ('1'::double precision / '3'::double precision)
        {op("/", lit("1", "double precision"), lit("3", "double precision")), "double precision",
         "0.3333333333333333"},
        // ('1e308'::double precision * '10'::double precision)
        {op("*", lit("1e308", "double precision"), lit("10", "double precision")), "",
         "ERROR 22003: value out of range: overflow"},
        // ('1e-308'::double precision * '1e-308'::double precision)
        {op("*", lit("1e-308", "double precision"), lit("1e-308", "double precision")), "",
         "ERROR 22003: value out of range: underflow"},
        // ('1'::real / '3'::real)
        {op("/", lit("1", "real"), lit("3", "real")), "real", "0.33333334"},
        // ('3e38'::real + '3e38'::real)
        {op("+", lit("3e38", "real"), lit("3e38", "real")), "",
         "ERROR 22003: value out of range: overflow"},
        // (- '-0'::double precision)
        {prefix("-", lit("-0", "double precision")), "double precision", "0"},
        // ('7'::integer / '2'::numeric)
        {op("/", lit("7", "integer"), lit("2", "numeric")), "numeric", "3.5000000000000000"},
        // ('7'::integer / '2'::double precision)
        {op("/", lit("7", "integer"), lit("2", "double precision")), "double precision", "3.5"},
        // ('Infinity'::numeric + '-Infinity'::numeric)
        {op("+", lit("Infinity", "numeric"), lit("-Infinity", "numeric")), "numeric", "NaN"},
        // ('NaN'::numeric * '0'::numeric)
        {op("*", lit("NaN", "numeric"), lit("0", "numeric")), "numeric", "NaN"},
        // ('Infinity'::numeric / '-2'::numeric)
        {op("/", lit("Infinity", "numeric"), lit("-2", "numeric")), "numeric", "-Infinity"},
        // (- '1.5'::numeric)
        {prefix("-", lit("1.5", "numeric")), "numeric", "-1.5"},
        // ('NaN'::double precision + '1'::double precision)
        {op("+", lit("NaN", "double precision"), lit("1", "double precision")), "double precision",
         "NaN"},
        // ('1'::integer = '1.0'::numeric)
        {op("=", lit("1", "integer"), lit("1.0", "numeric")), "boolean", "t"},
        // ('1.5'::double precision = '1.5'::numeric)
        {op("=", lit("1.5", "double precision"), lit("1.5", "numeric")), "boolean", "t"},
        // ('1'::smallint < '2'::bigint)
        {op("<", lit("1", "smallint"), lit("2", "bigint")), "boolean", "t"},
        // ('NaN'::double precision = 'NaN'::double precision)
        {op("=", lit("NaN", "double precision"), lit("NaN", "double precision")), "boolean", "t"},
        // ('NaN'::double precision > 'Infinity'::double precision)
        {op(">", lit("NaN", "double precision"), lit("Infinity", "double precision")), "boolean",
         "t"},
        // ('-0'::double precision = '0'::double precision)
        {op("=", lit("-0", "double precision"), lit("0", "double precision")), "boolean", "t"},
        // ('0.1'::real = '0.1'::double precision)
        {op("=", lit("0.1", "real"), lit("0.1", "double precision")), "boolean", "f"},
        // ('a'::text < 'b'::text)
        {op("<", lit("a", "text"), lit("b", "text")), "boolean", "t"},
        // ('B'::text < 'a'::text)
        {op("<", lit("B", "text"), lit("a", "text")), "boolean", "t"},
        // ('ab'::text < 'abc'::text)
        {op("<", lit("ab", "text"), lit("abc", "text")), "boolean", "t"},
        // ('ab'::character(3) = 'ab'::character(5))
        {op("=", lit("ab", "character(3)"), lit("ab", "character(5)")), "boolean", "t"},
        // ('ab'::character(3) = 'ab '::text)
        {op("=", lit("ab", "character(3)"), lit("ab ", "text")), "boolean", "f"},
        // ('ab'::character(3) = 'ab'::text)
        {op("=", lit("ab", "character(3)"), lit("ab", "text")), "boolean", "t"},
        // ('ab'::character varying(5) = 'ab'::text)
        {op("=", lit("ab", "character varying(5)"), lit("ab", "text")), "boolean", "t"},
        // ('2020-01-01'::date = '2020-01-01 00:00'::timestamp)
        {op("=", lit("2020-01-01", "date"), lit("2020-01-01 00:00", "timestamp")), "boolean", "t"},
        // ('2020-01-01'::date < '2020-01-01 00:00:01+00'::timestamp with time zone)
        {op("<", lit("2020-01-01", "date"),
            lit("2020-01-01 00:00:01+00", "timestamp with time zone")),
         "boolean", "t"},
        // ('1 mon'::interval = '30 days'::interval)
        {op("=", lit("1 mon", "interval"), lit("30 days", "interval")), "boolean", "t"},
        // ('1 day'::interval < '23:59:59'::interval)
        {op("<", lit("1 day", "interval"), lit("23:59:59", "interval")), "boolean", "f"},
        // ('true'::boolean < 'false'::boolean)
        {op("<", lit("true", "boolean"), lit("false", "boolean")), "boolean", "f"},
        // ('\x00ff'::bytea < '\x01'::bytea)
        {op("<", lit("\\x00ff", "bytea"), lit("\\x01", "bytea")), "boolean", "t"},
        // ('{"a": 1.0}'::jsonb = '{"a": 1}'::jsonb)
        {op("=", lit("{\"a\": 1.0}", "jsonb"), lit("{\"a\": 1}", "jsonb")), "boolean", "t"},
        // ('[]'::jsonb < 'null'::jsonb)
        {op("<", lit("[]", "jsonb"), lit("null", "jsonb")), "boolean", "t"},
        // ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid <
        // 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid)
        {op("<", lit("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid"),
            lit("b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid")),
         "boolean", "t"},
        // ('1.50'::numeric <> '1.5'::numeric)
        {op("<>", lit("1.50", "numeric"), lit("1.5", "numeric")), "boolean", "f"},
        // ('infinity'::date >= '294276-01-01'::timestamp)
        {op(">=", lit("infinity", "date"), lit("294276-01-01", "timestamp")), "boolean", "t"},
        // ('1' + '2'::integer)
        {op("+", lit("1", "unknown"), lit("2", "integer")), "integer", "3"},
        // ('1' + '2')
        {op("+", lit("1", "unknown"), lit("2", "unknown")), "",
         "ERROR 42725: operator is not unique: unknown + unknown"},
        // ('a' || 'b')
        {op("||", lit("a", "unknown"), lit("b", "unknown")), "text", "ab"},
        // ('1'::integer || 'a')
        {op("||", lit("1", "integer"), lit("a", "unknown")), "text", "1a"},
        // ('true'::boolean || 'x')
        {op("||", lit("true", "boolean"), lit("x", "unknown")), "text", "truex"},
        // ('a' || '1.50'::numeric)
        {op("||", lit("a", "unknown"), lit("1.50", "numeric")), "text", "a1.50"},
        // ('1' = '1'::integer)
        {op("=", lit("1", "unknown"), lit("1", "integer")), "boolean", "t"},
        // ('abc' = 'abc')
        {op("=", lit("abc", "unknown"), lit("abc", "unknown")), "boolean", "t"},
        // ('1'::integer || '2'::integer)
        {op("||", lit("1", "integer"), lit("2", "integer")), "",
         "ERROR 42883: operator does not exist: integer || integer"},
        // ('t'::boolean + '1'::integer)
        {op("+", lit("t", "boolean"), lit("1", "integer")), "",
         "ERROR 42883: operator does not exist: boolean + integer"},
        // (- 't'::boolean)
        {prefix("-", lit("t", "boolean")), "", "ERROR 42883: operator does not exist: - boolean"},
        // ('2020-01-01' < '2020-01-02'::date)
        {op("<", lit("2020-01-01", "unknown"), lit("2020-01-02", "date")), "boolean", "t"},
        // ('x' + '1'::integer)
        {op("+", lit("x", "unknown"), lit("1", "integer")), "",
         "ERROR 22P02: invalid input syntax for type integer: \"x\""},
        // ('x'::character(3) || 'y')
        {op("||", lit("x", "character(3)"), lit("y", "unknown")), "text", "xy"},
        // ('2020-01-01'::date || 'x')
        {op("||", lit("2020-01-01", "date"), lit("x", "unknown")), "text", "2020-01-01x"},
        // ('a'::text || NULL)
        {op("||", lit("a", "text"), null_literal()), "text", "NULL"},
        // ('\x01'::bytea || '\x02'::bytea)
        {op("||", lit("\\x01", "bytea"), lit("\\x02", "bytea")), "bytea", "\\x0102"},
        // ('[1]'::jsonb || '{"a": 2}'::jsonb)
        {op("||", lit("[1]", "jsonb"), lit("{\"a\": 2}", "jsonb")), "jsonb", "[1, {\"a\": 2}]"},
        // ('{"a": 1, "b": 2}'::jsonb || '{"a": 3}'::jsonb)
        {op("||", lit("{\"a\": 1, \"b\": 2}", "jsonb"), lit("{\"a\": 3}", "jsonb")), "jsonb",
         "{\"a\": 3, \"b\": 2}"},
        // (NULL + '1'::integer)
        {op("+", null_literal(), lit("1", "integer")), "integer", "NULL"},
        // (NULL = NULL)
        {op("=", null_literal(), null_literal()), "boolean", "NULL"},
        // ('abc'::text ~~ 'a%')
        {op("~~", lit("abc", "text"), lit("a%", "unknown")), "boolean", "t"},
        // ('abc'::text ~~ 'a_c')
        {op("~~", lit("abc", "text"), lit("a_c", "unknown")), "boolean", "t"},
        // ('a_c'::text ~~ 'a\_c')
        {op("~~", lit("a_c", "text"), lit("a\\_c", "unknown")), "boolean", "t"},
        // ('abc'::text ~~ 'ABC')
        {op("~~", lit("abc", "text"), lit("ABC", "unknown")), "boolean", "f"},
        // ('abc'::text ~~* 'ABC')
        {op("~~*", lit("abc", "text"), lit("ABC", "unknown")), "boolean", "t"},
        // ('abc'::text !~~ '%b%')
        {op("!~~", lit("abc", "text"), lit("%b%", "unknown")), "boolean", "f"},
        // ('ABC'::text !~~* '%b%')
        {op("!~~*", lit("ABC", "text"), lit("%b%", "unknown")), "boolean", "f"},
        // ('abc'::text ~~ 'ab\')
        {op("~~", lit("abc", "text"), lit("ab\\", "unknown")), "",
         "ERROR 22025: LIKE pattern must not end with escape character"},
        // ('ab'::character(4) ~~ 'ab')
        {op("~~", lit("ab", "character(4)"), lit("ab", "unknown")), "boolean", "f"},
        // ('ab'::character(4) ~~ 'ab%')
        {op("~~", lit("ab", "character(4)"), lit("ab%", "unknown")), "boolean", "t"},
        // ('héllo'::text ~~ 'h_llo')
        {op("~~", lit("héllo", "text"), lit("h_llo", "unknown")), "boolean", "t"},
        // ('aaa'::text ~~ '%a%a%a%')
        {op("~~", lit("aaa", "text"), lit("%a%a%a%", "unknown")), "boolean", "t"},
        // ('ab'::text ~~ '%a%a%')
        {op("~~", lit("ab", "text"), lit("%a%a%", "unknown")), "boolean", "f"},
        // (''::text ~~ '%')
        {op("~~", lit("", "text"), lit("%", "unknown")), "boolean", "t"},
        // ('x%y'::text ~~ 'x\%y')
        {op("~~", lit("x%y", "text"), lit("x\\%y", "unknown")), "boolean", "t"},
        // ('\x610062'::bytea ~~ 'a%'::bytea)
        {op("~~", lit("\\x610062", "bytea"), lit("a%", "bytea")), "boolean", "t"},
        // ('É'::text ~~* 'é')
        {op("~~*", lit("É", "text"), lit("é", "unknown")), "boolean", "f"},
        // ('a_c'::text ~~ like_escape('a#_c', '#'))
        {op("~~", lit("a_c", "text"),
            func("like_escape", {lit("a#_c", "unknown"), lit("#", "unknown")})),
         "boolean", "t"},
        // ('abc'::text ~~ like_escape('a_c', ''))
        {op("~~", lit("abc", "text"),
            func("like_escape", {lit("a_c", "unknown"), lit("", "unknown")})),
         "boolean", "t"},
        // ('a\c'::text ~~ like_escape('a\c', ''))
        {op("~~", lit("a\\c", "text"),
            func("like_escape", {lit("a\\c", "unknown"), lit("", "unknown")})),
         "boolean", "t"},
        // like_escape('ab', 'xx')
        {func("like_escape", {lit("ab", "unknown"), lit("xx", "unknown")}), "",
         "ERROR 22025: invalid escape string"},
        // ('{"a": {"b": [1, "x"]}}'::jsonb -> 'a')
        {op("->", lit("{\"a\": {\"b\": [1, \"x\"]}}", "jsonb"), lit("a", "unknown")), "jsonb",
         "{\"b\": [1, \"x\"]}"},
        // ('{"a": "x"}'::jsonb ->> 'a')
        {op("->>", lit("{\"a\": \"x\"}", "jsonb"), lit("a", "unknown")), "text", "x"},
        // ('[1, 2, 3]'::jsonb -> '-1'::integer)
        {op("->", lit("[1, 2, 3]", "jsonb"), lit("-1", "integer")), "jsonb", "3"},
        // ('[1, 2, 3]'::jsonb -> '3'::integer)
        {op("->", lit("[1, 2, 3]", "jsonb"), lit("3", "integer")), "jsonb", "NULL"},
        // ('[1, "two"]'::jsonb ->> '1'::integer)
        {op("->>", lit("[1, \"two\"]", "jsonb"), lit("1", "integer")), "text", "two"},
        // ('{"a": null}'::jsonb ->> 'a')
        {op("->>", lit("{\"a\": null}", "jsonb"), lit("a", "unknown")), "text", "NULL"},
        // ('{"a": null}'::jsonb -> 'a')
        {op("->", lit("{\"a\": null}", "jsonb"), lit("a", "unknown")), "jsonb", "null"},
        // ('"a"'::jsonb -> '0'::integer)
        {op("->", lit("\"a\"", "jsonb"), lit("0", "integer")), "jsonb", "\"a\""},
        // ('{"a": 1}'::jsonb -> '0'::integer)
        {op("->", lit("{\"a\": 1}", "jsonb"), lit("0", "integer")), "jsonb", "NULL"},
        // ('{"a": [1, {"b": true}]}'::jsonb ->> 'a')
        {op("->>", lit("{\"a\": [1, {\"b\": true}]}", "jsonb"), lit("a", "unknown")), "text",
         "[1, {\"b\": true}]"},
        // ('[1]'::jsonb -> 'a')
        {op("->", lit("[1]", "jsonb"), lit("a", "unknown")), "jsonb", "NULL"},
    };
    check(cases);
}

TEST(Functions, ResolveAndComputeAsPostgres) {
    const std::vector<Case> cases = {
        // ('2020-02-28'::date + '2'::integer)
        {op("+", lit("2020-02-28", "date"), lit("2", "integer")), "date", "2020-03-01"},
        // ('1'::integer + '2020-12-31'::date)
        {op("+", lit("1", "integer"), lit("2020-12-31", "date")), "date", "2021-01-01"},
        // ('2020-03-01'::date - '1'::integer)
        {op("-", lit("2020-03-01", "date"), lit("1", "integer")), "date", "2020-02-29"},
        // ('2020-01-01'::date - '2019-01-01'::date)
        {op("-", lit("2020-01-01", "date"), lit("2019-01-01", "date")), "integer", "365"},
        // ('2020-01-31'::date + '1 month'::interval)
        {op("+", lit("2020-01-31", "date"), lit("1 month", "interval")),
         "timestamp without time zone", "2020-02-29 00:00:00"},
        // ('2020-03-31'::date - '1 month'::interval)
        {op("-", lit("2020-03-31", "date"), lit("1 month", "interval")),
         "timestamp without time zone", "2020-02-29 00:00:00"},
        // ('1 day'::interval + '2020-01-01'::date)
        {op("+", lit("1 day", "interval"), lit("2020-01-01", "date")),
         "timestamp without time zone", "2020-01-02 00:00:00"},
        // ('2020-01-02'::timestamp - '2020-01-01 12:00'::timestamp)
        {op("-", lit("2020-01-02", "timestamp"), lit("2020-01-01 12:00", "timestamp")), "interval",
         "12:00:00"},
        // ('2020-01-01'::timestamp - '2020-01-03 01:00'::timestamp)
        {op("-", lit("2020-01-01", "timestamp"), lit("2020-01-03 01:00", "timestamp")), "interval",
         "-2 days -01:00:00"},
        // ('2020-01-01 00:00+00'::timestamp with time zone - '2019-12-31 23:00-02'::timestamp with
        // time zone)
        {op("-", lit("2020-01-01 00:00+00", "timestamp with time zone"),
            lit("2019-12-31 23:00-02", "timestamp with time zone")),
         "interval", "-01:00:00"},
        // ('2020-01-02 23:00'::timestamp + '1 day 2 hours'::interval)
        {op("+", lit("2020-01-02 23:00", "timestamp"), lit("1 day 2 hours", "interval")),
         "timestamp without time zone", "2020-01-04 01:00:00"},
        // ('2020-01-31 10:00+00'::timestamp with time zone + '1 mon'::interval)
        {op("+", lit("2020-01-31 10:00+00", "timestamp with time zone"), lit("1 mon", "interval")),
         "timestamp with time zone", "2020-02-29 10:00:00+00"},
        // ('2020-02-29'::timestamp + '1 year'::interval)
        {op("+", lit("2020-02-29", "timestamp"), lit("1 year", "interval")),
         "timestamp without time zone", "2021-02-28 00:00:00"},
        // ('2021-03-31'::timestamp - '1 mon 1 day'::interval)
        {op("-", lit("2021-03-31", "timestamp"), lit("1 mon 1 day", "interval")),
         "timestamp without time zone", "2021-02-27 00:00:00"},
        // ('-1 mon'::interval + '2020-03-31'::timestamp)
        {op("+", lit("-1 mon", "interval"), lit("2020-03-31", "timestamp")),
         "timestamp without time zone", "2020-02-29 00:00:00"},
        // ('2020-01-01'::timestamp + '-1.5 days'::interval)
        {op("+", lit("2020-01-01", "timestamp"), lit("-1.5 days", "interval")),
         "timestamp without time zone", "2019-12-30 12:00:00"},
        // ('infinity'::date + '1'::integer)
        {op("+", lit("infinity", "date"), lit("1", "integer")), "date", "infinity"},
        // ('infinity'::timestamp + '1 day'::interval)
        {op("+", lit("infinity", "timestamp"), lit("1 day", "interval")),
         "timestamp without time zone", "infinity"},
        // ('infinity'::date - '2020-01-01'::date)
        {op("-", lit("infinity", "date"), lit("2020-01-01", "date")), "",
         "ERROR 22008: cannot subtract infinite dates"},
        // ('-infinity'::timestamp - '2020-01-01'::timestamp)
        {op("-", lit("-infinity", "timestamp"), lit("2020-01-01", "timestamp")), "",
         "ERROR 22008: cannot subtract infinite timestamps"},
        // ('5874897-12-31'::date + '1'::integer)
        {op("+", lit("5874897-12-31", "date"), lit("1", "integer")), "",
         "ERROR 22008: date out of range"},
        // ('294276-12-31'::timestamp + '1 day'::interval)
        {op("+", lit("294276-12-31", "timestamp"), lit("1 day", "interval")), "",
         "ERROR 22008: timestamp out of range"},
        // ('294276-12-31'::date + '1 day'::interval)
        {op("+", lit("294276-12-31", "date"), lit("1 day", "interval")), "",
         "ERROR 22008: timestamp out of range"},
        // ('4714-11-24 BC'::date - '1'::integer)
        {op("-", lit("4714-11-24 BC", "date"), lit("1", "integer")), "",
         "ERROR 22008: date out of range"},
        // ('1 day'::interval + '-2 hours'::interval)
        {op("+", lit("1 day", "interval"), lit("-2 hours", "interval")), "interval",
         "1 day -02:00:00"},
        // ('1 mon'::interval - '1 day'::interval)
        {op("-", lit("1 mon", "interval"), lit("1 day", "interval")), "interval", "1 mon -1 days"},
        // (- '1 day -02:00'::interval)
        {prefix("-", lit("1 day -02:00", "interval")), "interval", "-1 days +02:00:00"},
        // ('1 year 2 mons'::interval * '1.5'::double precision)
        {op("*", lit("1 year 2 mons", "interval"), lit("1.5", "double precision")), "interval",
         "1 year 9 mons"},
        // ('0.3'::double precision * '1 mon 1 day'::interval)
        {op("*", lit("0.3", "double precision"), lit("1 mon 1 day", "interval")), "interval",
         "9 days 07:12:00"},
        // ('1 day'::interval / '3'::double precision)
        {op("/", lit("1 day", "interval"), lit("3", "double precision")), "interval", "08:00:00"},
        // ('1 mon'::interval / '7'::double precision)
        {op("/", lit("1 mon", "interval"), lit("7", "double precision")), "interval",
         "4 days 06:51:25.6896"},
        // ('1 day'::interval / '0'::double precision)
        {op("/", lit("1 day", "interval"), lit("0", "double precision")), "",
         "ERROR 22012: division by zero"},
        // ('1 mon'::interval * '1e10'::double precision)
        {op("*", lit("1 mon", "interval"), lit("1e10", "double precision")), "",
         "ERROR 22008: interval out of range"},
        // ('1 hour'::interval * '3'::integer)
        {op("*", lit("1 hour", "interval"), lit("3", "integer")), "interval", "03:00:00"},
        // ('1 hour'::interval * '2.5'::numeric)
        {op("*", lit("1 hour", "interval"), lit("2.5", "numeric")), "interval", "02:30:00"},
        // ('2147483647 days'::interval + '1 day'::interval)
        {op("+", lit("2147483647 days", "interval"), lit("1 day", "interval")), "",
         "ERROR 22008: interval out of range"},
        // ('2020-01-01'::date - '2019-12-25')
        {op("-", lit("2020-01-01", "date"), lit("2019-12-25", "unknown")), "integer", "7"},
        // ('2020-01-01'::date - '1 day')
        {op("-", lit("2020-01-01", "date"), lit("1 day", "unknown")), "",
         "ERROR 22007: invalid input syntax for type date: \"1 day\""},
        // ('2020-01-01' + '1 hour'::interval)
        {op("+", lit("2020-01-01", "unknown"), lit("1 hour", "interval")), "",
         "ERROR 22007: invalid input syntax for type interval: \"2020-01-01\""},
        // length('héllo')
        {func("length", {lit("héllo", "unknown")}), "integer", "5"},
        // length('ab  '::character(5))
        {func("length", {lit("ab  ", "character(5)")}), "integer", "2"},
        // octet_length('ab'::character(5))
        {func("octet_length", {lit("ab", "character(5)")}), "integer", "5"},
        // length('\x0102'::bytea)
        {func("length", {lit("\\x0102", "bytea")}), "integer", "2"},
        // char_length('abc'::text)
        {func("char_length", {lit("abc", "text")}), "integer", "3"},
        // octet_length('héllo')
        {func("octet_length", {lit("héllo", "unknown")}), "integer", "6"},
        // lower('ÉA')
        {func("lower", {lit("ÉA", "unknown")}), "text", "Éa"},
        // upper('éa')
        {func("upper", {lit("éa", "unknown")}), "text", "éA"},
        // lower('AB'::character(3))
        {func("lower", {lit("AB", "character(3)")}), "text", "ab"},
        // btrim('  ab  ')
        {func("btrim", {lit("  ab  ", "unknown")}), "text", "ab"},
        // btrim('xxabyx', 'xy')
        {func("btrim", {lit("xxabyx", "unknown"), lit("xy", "unknown")}), "text", "ab"},
        // ltrim('xxab', 'x')
        {func("ltrim", {lit("xxab", "unknown"), lit("x", "unknown")}), "text", "ab"},
        // rtrim('ab  ')
        {func("rtrim", {lit("ab  ", "unknown")}), "text", "ab"},
        // btrim('ab', '')
        {func("btrim", {lit("ab", "unknown"), lit("", "unknown")}), "text", "ab"},
        // btrim('éaé', 'é')
        {func("btrim", {lit("éaé", "unknown"), lit("é", "unknown")}), "text", "a"},
        // ltrim('  a ')
        {func("ltrim", {lit("  a ", "unknown")}), "text", "a "},
        // rtrim('abcc', 'c')
        {func("rtrim", {lit("abcc", "unknown"), lit("c", "unknown")}), "text", "ab"},
        // substring('hello', '2'::integer)
        {func("substring", {lit("hello", "unknown"), lit("2", "integer")}), "text", "ello"},
        // substring('hello', '0'::integer, '3'::integer)
        {func("substring", {lit("hello", "unknown"), lit("0", "integer"), lit("3", "integer")}),
         "text", "he"},
        // substring('hello', '-5'::integer, '7'::integer)
        {func("substring", {lit("hello", "unknown"), lit("-5", "integer"), lit("7", "integer")}),
         "text", "h"},
        // substr('héllo', '2'::integer, '2'::integer)
        {func("substr", {lit("héllo", "unknown"), lit("2", "integer"), lit("2", "integer")}),
         "text", "él"},
        // substring('hello', '10'::integer)
        {func("substring", {lit("hello", "unknown"), lit("10", "integer")}), "text", ""},
        // substring('hello', '2'::integer, '-1'::integer)
        {func("substring", {lit("hello", "unknown"), lit("2", "integer"), lit("-1", "integer")}),
         "", "ERROR 22011: negative substring length not allowed"},
        // substr('\x010203'::bytea, '2'::integer)
        {func("substr", {lit("\\x010203", "bytea"), lit("2", "integer")}), "bytea", "\\x0203"},
        // replace('abcabc', 'b', 'XY')
        {func("replace", {lit("abcabc", "unknown"), lit("b", "unknown"), lit("XY", "unknown")}),
         "text", "aXYcaXYc"},
        // replace('abc', '', 'X')
        {func("replace", {lit("abc", "unknown"), lit("", "unknown"), lit("X", "unknown")}), "text",
         "abc"},
        // strpos('abc', '')
        {func("strpos", {lit("abc", "unknown"), lit("", "unknown")}), "integer", "1"},
        // strpos('héllo', 'l')
        {func("strpos", {lit("héllo", "unknown"), lit("l", "unknown")}), "integer", "3"},
        // strpos('abc', 'z')
        {func("strpos", {lit("abc", "unknown"), lit("z", "unknown")}), "integer", "0"},
        // concat('a', '1'::integer, NULL, 'true'::boolean, '2.50'::numeric)
        {func("concat", {lit("a", "unknown"), lit("1", "integer"), null_literal(),
                         lit("true", "boolean"), lit("2.50", "numeric")}),
         "text", "a1t2.50"},
        // concat_ws(',', 'a', NULL, '1'::integer)
        {func("concat_ws",
              {lit(",", "unknown"), lit("a", "unknown"), null_literal(), lit("1", "integer")}),
         "text", "a,1"},
        // concat_ws(NULL, 'a')
        {func("concat_ws", {null_literal(), lit("a", "unknown")}), "text", "NULL"},
        // concat('a'::character(3), 'b')
        {func("concat", {lit("a", "character(3)"), lit("b", "unknown")}), "text", "a  b"},
        // concat(NULL)
        {func("concat", {null_literal()}), "text", ""},
        // concat()
        {func("concat", {}), "", "ERROR 42883: function concat() does not exist"},
        // left('hello', '2'::integer)
        {func("left", {lit("hello", "unknown"), lit("2", "integer")}), "text", "he"},
        // left('hello', '-2'::integer)
        {func("left", {lit("hello", "unknown"), lit("-2", "integer")}), "text", "hel"},
        // right('hello', '2'::integer)
        {func("right", {lit("hello", "unknown"), lit("2", "integer")}), "text", "lo"},
        // right('hello', '-2'::integer)
        {func("right", {lit("hello", "unknown"), lit("-2", "integer")}), "text", "llo"},
        // repeat('ab', '3'::integer)
        {func("repeat", {lit("ab", "unknown"), lit("3", "integer")}), "text", "ababab"},
        // repeat('ab', '-1'::integer)
        {func("repeat", {lit("ab", "unknown"), lit("-1", "integer")}), "text", ""},
        // reverse('héllo')
        {func("reverse", {lit("héllo", "unknown")}), "text", "olléh"},
        // starts_with('hello', 'he')
        {func("starts_with", {lit("hello", "unknown"), lit("he", "unknown")}), "boolean", "t"},
        // lpad('hi', '5'::integer)
        {func("lpad", {lit("hi", "unknown"), lit("5", "integer")}), "text", "   hi"},
        // lpad('hi', '5'::integer, 'xy')
        {func("lpad", {lit("hi", "unknown"), lit("5", "integer"), lit("xy", "unknown")}), "text",
         "xyxhi"},
        // rpad('hi', '5'::integer, 'xy')
        {func("rpad", {lit("hi", "unknown"), lit("5", "integer"), lit("xy", "unknown")}), "text",
         "hixyx"},
        // lpad('hello', '2'::integer)
        {func("lpad", {lit("hello", "unknown"), lit("2", "integer")}), "text", "he"},
        // rpad('hi', '-1'::integer)
        {func("rpad", {lit("hi", "unknown"), lit("-1", "integer")}), "text", ""},
        // lpad('hi', '5'::integer, '')
        {func("lpad", {lit("hi", "unknown"), lit("5", "integer"), lit("", "unknown")}), "text",
         "hi"},
        // length('12'::integer)
        {func("length", {lit("12", "integer")}), "",
         "ERROR 42883: function length(integer) does not exist"},
        // upper('1'::integer)
        {func("upper", {lit("1", "integer")}), "",
         "ERROR 42883: function upper(integer) does not exist"},
        // length(NULL)
        {func("length", {null_literal()}), "integer", "NULL"},
        // lower(NULL)
        {func("lower", {null_literal()}), "text", "NULL"},
        // nosuch('1'::integer)
        {func("nosuch", {lit("1", "integer")}), "",
         "ERROR 42883: function nosuch(integer) does not exist"},
        // abs('-5'::integer)
        {func("abs", {lit("-5", "integer")}), "integer", "5"},
        // abs('-5.50'::numeric)
        {func("abs", {lit("-5.50", "numeric")}), "numeric", "5.50"},
        // abs('-2.5'::double precision)
        {func("abs", {lit("-2.5", "double precision")}), "double precision", "2.5"},
        // abs('-2147483648'::integer)
        {func("abs", {lit("-2147483648", "integer")}), "", "ERROR 22003: integer out of range"},
        // abs('-32768'::smallint)
        {func("abs", {lit("-32768", "smallint")}), "", "ERROR 22003: smallint out of range"},
        // abs('-1.5'::real)
        {func("abs", {lit("-1.5", "real")}), "real", "1.5"},
        // abs('-3')
        {func("abs", {lit("-3", "unknown")}), "double precision", "3"},
        // round('2.5'::double precision)
        {func("round", {lit("2.5", "double precision")}), "double precision", "2"},
        // round('3.5'::double precision)
        {func("round", {lit("3.5", "double precision")}), "double precision", "4"},
        // round('-2.5'::double precision)
        {func("round", {lit("-2.5", "double precision")}), "double precision", "-2"},
        // round('2.567'::numeric, '2'::integer)
        {func("round", {lit("2.567", "numeric"), lit("2", "integer")}), "numeric", "2.57"},
        // round('2.5'::numeric)
        {func("round", {lit("2.5", "numeric")}), "numeric", "3"},
        // round('-2.5'::numeric)
        {func("round", {lit("-2.5", "numeric")}), "numeric", "-3"},
        // round('1234.5678'::numeric, '-2'::integer)
        {func("round", {lit("1234.5678", "numeric"), lit("-2", "integer")}), "numeric", "1200"},
        // round('1.5'::numeric, '3'::integer)
        {func("round", {lit("1.5", "numeric"), lit("3", "integer")}), "numeric", "1.500"},
        // round('2'::integer)
        {func("round", {lit("2", "integer")}), "double precision", "2"},
        // round('NaN'::numeric, '2'::integer)
        {func("round", {lit("NaN", "numeric"), lit("2", "integer")}), "numeric", "NaN"},
        // round('1e300'::double precision, '2'::integer)
        {func("round", {lit("1e300", "double precision"), lit("2", "integer")}), "",
         "ERROR 42883: function round(double precision, integer) does not exist"},
        // round('99.99'::numeric, '1'::integer)
        {func("round", {lit("99.99", "numeric"), lit("1", "integer")}), "numeric", "100.0"},
        // round('0.5'::numeric)
        {func("round", {lit("0.5", "numeric")}), "numeric", "1"},
        // round('5'::numeric, '-1'::integer)
        {func("round", {lit("5", "numeric"), lit("-1", "integer")}), "numeric", "10"},
        // round('4'::numeric, '-1'::integer)
        {func("round", {lit("4", "numeric"), lit("-1", "integer")}), "numeric", "0"},
        // round('2.5')
        {func("round", {lit("2.5", "unknown")}), "double precision", "2"},
        // trunc('-2.7'::double precision)
        {func("trunc", {lit("-2.7", "double precision")}), "double precision", "-2"},
        // trunc('2.789'::numeric, '1'::integer)
        {func("trunc", {lit("2.789", "numeric"), lit("1", "integer")}), "numeric", "2.7"},
        // trunc('-1.99'::numeric)
        {func("trunc", {lit("-1.99", "numeric")}), "numeric", "-1"},
        // trunc('1234.5678'::numeric, '-2'::integer)
        {func("trunc", {lit("1234.5678", "numeric"), lit("-2", "integer")}), "numeric", "1200"},
        // floor('-2.5'::double precision)
        {func("floor", {lit("-2.5", "double precision")}), "double precision", "-3"},
        // floor('-1.2'::numeric)
        {func("floor", {lit("-1.2", "numeric")}), "numeric", "-2"},
        // floor('3'::integer)
        {func("floor", {lit("3", "integer")}), "double precision", "3"},
        // ceil('2.1'::double precision)
        {func("ceil", {lit("2.1", "double precision")}), "double precision", "3"},
        // ceiling('-2.1'::numeric)
        {func("ceiling", {lit("-2.1", "numeric")}), "numeric", "-2"},
        // ceil('1.000'::numeric)
        {func("ceil", {lit("1.000", "numeric")}), "numeric", "1"},
        // floor('Infinity'::numeric)
        {func("floor", {lit("Infinity", "numeric")}), "numeric", "Infinity"},
        // mod('7'::integer, '-3'::integer)
        {func("mod", {lit("7", "integer"), lit("-3", "integer")}), "integer", "1"},
        // mod('-7'::integer, '3'::integer)
        {func("mod", {lit("-7", "integer"), lit("3", "integer")}), "integer", "-1"},
        // mod('7.5'::numeric, '2'::integer)
        {func("mod", {lit("7.5", "numeric"), lit("2", "integer")}), "numeric", "1.5"},
        // mod('7'::smallint, '3'::integer)
        {func("mod", {lit("7", "smallint"), lit("3", "integer")}), "integer", "1"},
        // mod('5'::integer, '0'::integer)
        {func("mod", {lit("5", "integer"), lit("0", "integer")}), "",
         "ERROR 22012: division by zero"},
        // mod('-9223372036854775808'::bigint, '-1'::integer)
        {func("mod", {lit("-9223372036854775808", "bigint"), lit("-1", "integer")}), "bigint", "0"},
        // sign('-3.2'::numeric)
        {func("sign", {lit("-3.2", "numeric")}), "numeric", "-1"},
        // sign('0'::double precision)
        {func("sign", {lit("0", "double precision")}), "double precision", "0"},
        // sign('5'::integer)
        {func("sign", {lit("5", "integer")}), "double precision", "1"},
    };
    check(cases);
}

TEST(Operators, ErrorsCarryPostgresHints) {
    auto missing = resolve_operator("||", Type::of(SqlType::integer), Type::of(SqlType::integer));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().hint,
              "No operator matches the given name and argument types. You might need to add "
              "explicit type casts.");
    auto ambiguous = resolve_operator("+", Type::unknown_type(), Type::unknown_type());
    ASSERT_FALSE(ambiguous.has_value());
    EXPECT_EQ(ambiguous.error().sqlstate, "42725");
    EXPECT_EQ(ambiguous.error().hint,
              "Could not choose a best candidate operator. You might need to add explicit type "
              "casts.");
    auto function = resolve_function("nosuch", std::vector<Type>{Type::of(SqlType::integer)});
    ASSERT_FALSE(function.has_value());
    EXPECT_EQ(function.error().message, "function nosuch(integer) does not exist");
}

TEST(Operators, ArgumentTypesSayWhatToCoerce) {
    // 1 + 1.5: numeric + numeric, the integer coerced.
    auto plus = resolve_operator("+", Type::of(SqlType::integer), Type::of(SqlType::numeric));
    ASSERT_TRUE(plus.has_value());
    EXPECT_EQ(plus->argument_types[0], Type::of(SqlType::numeric));
    EXPECT_EQ(plus->result_type, Type::of(SqlType::numeric));
    // varchar(5) = text: text = text; the modifier never survives resolution.
    auto equals = resolve_operator("=", Type::varchar(5), Type::of(SqlType::text));
    ASSERT_TRUE(equals.has_value());
    EXPECT_EQ(equals->argument_types[0], Type::of(SqlType::text));
    // 1 || 'a': the polymorphic side keeps its own type, the unknown side becomes text.
    auto concat = resolve_operator("||", Type::of(SqlType::integer), Type::unknown_type());
    ASSERT_TRUE(concat.has_value());
    EXPECT_EQ(concat->argument_types[0], Type::of(SqlType::integer));
    EXPECT_EQ(concat->argument_types[1], Type::of(SqlType::text));
}

TEST(Functions, SessionValuesComeFromTheContext) {
    EvalContext context;
    context.transaction_timestamp = 1'000'000;
    context.random_uuid = [] {
        kernel::Uuid uuid;
        uuid.fill(0xff);
        return uuid;
    };
    EXPECT_EQ(describe(evaluate(func("now", {}), context)), "2000-01-01 00:00:01+00");
    // Version 4, variant 10 bits set as PostgreSQL's gen_random_uuid sets them.
    EXPECT_EQ(describe(evaluate(func("gen_random_uuid", {}), context)),
              "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

TEST(GreatestLeast, IgnoreNullsAndUseTheTypesOrder) {
    // SELECT greatest(1.5, NULL, 1.50, 2), least('b'::char(3), 'a '::char(3)).
    const Value values[] = {Value::numeric(kernel::Numeric::parse("1.5").value()), Value::null(),
                            Value::numeric(kernel::Numeric::parse("2").value())};
    EXPECT_EQ(greatest_least(values, SqlType::numeric, true).as_numeric().to_string(), "2");
    EXPECT_EQ(greatest_least(values, SqlType::numeric, false).as_numeric().to_string(), "1.5");
    const Value none[] = {Value::null(), Value::null()};
    EXPECT_TRUE(greatest_least(none, SqlType::numeric, true).is_null());
}

}  // namespace
}  // namespace kb::sql
