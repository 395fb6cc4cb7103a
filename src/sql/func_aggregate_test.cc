// Aggregates against PostgreSQL 15: each row is an aggregate over a VALUES list of one type,
// with the result type and value (or error) PostgreSQL 15.18 gives, from
//   SELECT format('%s', r), r IS NULL, pg_typeof(r) FROM (SELECT <aggregate> AS r
//   FROM (VALUES ...) t(x)) s;
// (the query of each row is in the comment above it; string_agg's delimiter is ',').
#include "sql/func_aggregate.h"

#include <gtest/gtest.h>

#include <optional>

#include "sql/value_io.h"
#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

using testing::type_named;

struct Case {
    const char* name;  // "count*" is count(*)
    const char* type;
    std::vector<std::optional<const char*>> values;
    const char* result_type;
    const char* expected;
};

std::string run(const Case& c) {
    const bool star = std::string_view(c.name) == "count*";
    const std::string name = star ? "count" : c.name;
    const Type type = type_named(c.type);
    std::vector<Type> argument_types;
    if (!star) argument_types.push_back(type);
    if (name == "string_agg") argument_types.push_back(type);
    auto aggregate = resolve_aggregate_function(name, argument_types);
    if (!aggregate) return "ERROR " + aggregate.error().sqlstate + ": " + aggregate.error().message;
    if (*c.result_type != '\0') {  // errors while aggregating have no result type to check
        EXPECT_EQ(type_name(aggregate->result_type), c.result_type) << name << "(" << c.type << ")";
    }
    auto accumulator = aggregate->make_accumulator();
    const Value delimiter =
        type.id() == SqlType::bytea ? Value::bytea(Bytes{','}) : Value::text(",");
    for (const auto& text : c.values) {
        Value value;
        if (text) {
            value = value_input_with_modifier(*text, type).value();
            if (!star) {
                value =
                    cast_value(value, type, aggregate->argument_types[0], CoercionContext::implicit)
                        .value();
            }
        }
        std::vector<Value> arguments;
        if (!star) arguments.push_back(value);
        if (name == "string_agg") arguments.push_back(delimiter);
        auto added = accumulator->add(arguments);
        if (!added) return "ERROR " + added.error().sqlstate + ": " + added.error().message;
    }
    auto result = accumulator->result();
    if (!result) return "ERROR " + result.error().sqlstate + ": " + result.error().message;
    return result->is_null() ? "NULL" : value_output(*result);
}

TEST(Aggregates, ComputeAsPostgres) {
    const std::vector<Case> cases = {
        // SELECT count(x) FROM (VALUES ('1'::integer), (NULL::integer), ('3'::integer)) t(x)
        {"count", "integer", {"1", std::nullopt, "3"}, "bigint", "2"},
        // SELECT count(x) FROM (VALUES (NULL::text)) t(x) where false
        {"count", "text", {}, "bigint", "0"},
        // SELECT count(*) FROM (VALUES ('1'::integer), (NULL::integer)) t(x)
        {"count*", "integer", {"1", std::nullopt}, "bigint", "2"},
        // SELECT sum(x) FROM (VALUES ('32767'::smallint), ('1'::smallint)) t(x)
        {"sum", "smallint", {"32767", "1"}, "bigint", "32768"},
        // SELECT sum(x) FROM (VALUES ('2147483647'::integer), ('1'::integer)) t(x)
        {"sum", "integer", {"2147483647", "1"}, "bigint", "2147483648"},
        // SELECT sum(x) FROM (VALUES ('9223372036854775807'::bigint), ('1'::bigint)) t(x)
        {"sum", "bigint", {"9223372036854775807", "1"}, "numeric", "9223372036854775808"},
        // SELECT sum(x) FROM (VALUES ('-9223372036854775808'::bigint),
        // ('-9223372036854775808'::bigint)) t(x)
        {"sum",
         "bigint",
         {"-9223372036854775808", "-9223372036854775808"},
         "numeric",
         "-18446744073709551616"},
        // SELECT sum(x) FROM (VALUES ('1.5'::numeric), ('2.25'::numeric), (NULL::numeric)) t(x)
        {"sum", "numeric", {"1.5", "2.25", std::nullopt}, "numeric", "3.75"},
        // SELECT sum(x) FROM (VALUES ('NaN'::numeric), ('1'::numeric)) t(x)
        {"sum", "numeric", {"NaN", "1"}, "numeric", "NaN"},
        // SELECT sum(x) FROM (VALUES ('Infinity'::numeric), ('-Infinity'::numeric)) t(x)
        {"sum", "numeric", {"Infinity", "-Infinity"}, "numeric", "NaN"},
        // SELECT sum(x) FROM (VALUES ('0.1'::real), ('0.2'::real)) t(x)
        {"sum", "real", {"0.1", "0.2"}, "real", "0.3"},
        // SELECT sum(x) FROM (VALUES ('0.1'::double precision), ('0.2'::double precision)) t(x)
        {"sum", "double precision", {"0.1", "0.2"}, "double precision", "0.30000000000000004"},
        // SELECT sum(x) FROM (VALUES ('1e308'::double precision), ('1e308'::double precision)) t(x)
        {"sum",
         "double precision",
         {"1e308", "1e308"},
         "",
         "ERROR 22003: value out of range: overflow"},
        // SELECT sum(x) FROM (VALUES ('-0'::double precision)) t(x)
        {"sum", "double precision", {"-0"}, "double precision", "-0"},
        // SELECT sum(x) FROM (VALUES ('1 day'::interval), ('2 hours'::interval), ('1
        // mon'::interval)) t(x)
        {"sum", "interval", {"1 day", "2 hours", "1 mon"}, "interval", "1 mon 1 day 02:00:00"},
        // SELECT sum(x) FROM (VALUES (NULL::integer)) t(x) where false
        {"sum", "integer", {}, "bigint", "NULL"},
        // SELECT sum(x) FROM (VALUES (NULL::integer)) t(x)
        {"sum", "integer", {std::nullopt}, "bigint", "NULL"},
        // SELECT avg(x) FROM (VALUES ('1'::integer), ('2'::integer)) t(x)
        {"avg", "integer", {"1", "2"}, "numeric", "1.5000000000000000"},
        // SELECT avg(x) FROM (VALUES ('1'::smallint), ('2'::smallint), ('2'::smallint)) t(x)
        {"avg", "smallint", {"1", "2", "2"}, "numeric", "1.6666666666666667"},
        // SELECT avg(x) FROM (VALUES ('9223372036854775807'::bigint),
        // ('9223372036854775807'::bigint)) t(x)
        {"avg",
         "bigint",
         {"9223372036854775807", "9223372036854775807"},
         "numeric",
         "9223372036854775807"},
        // SELECT avg(x) FROM (VALUES ('1.5'::numeric), ('2.25'::numeric)) t(x)
        {"avg", "numeric", {"1.5", "2.25"}, "numeric", "1.8750000000000000"},
        // SELECT avg(x) FROM (VALUES ('1'::numeric), ('2'::numeric), ('4'::numeric)) t(x)
        {"avg", "numeric", {"1", "2", "4"}, "numeric", "2.3333333333333333"},
        // SELECT avg(x) FROM (VALUES ('1e200'::double precision), ('-1e200'::double precision))
        // t(x)
        {"avg",
         "double precision",
         {"1e200", "-1e200"},
         "",
         "ERROR 22003: value out of range: overflow"},
        // SELECT avg(x) FROM (VALUES ('0.1'::double precision), ('0.2'::double precision),
        // ('0.3'::double precision)) t(x)
        {"avg",
         "double precision",
         {"0.1", "0.2", "0.3"},
         "double precision",
         "0.20000000000000004"},
        // SELECT avg(x) FROM (VALUES ('1'::real), ('2'::real)) t(x)
        {"avg", "real", {"1", "2"}, "double precision", "1.5"},
        // SELECT avg(x) FROM (VALUES ('1 day'::interval), ('2 hours'::interval)) t(x)
        {"avg", "interval", {"1 day", "2 hours"}, "interval", "13:00:00"},
        // SELECT avg(x) FROM (VALUES ('1 mon'::interval), ('1 day'::interval), ('1
        // second'::interval)) t(x)
        {"avg", "interval", {"1 mon", "1 day", "1 second"}, "interval", "10 days 08:00:00.333333"},
        // SELECT avg(x) FROM (VALUES ('NaN'::numeric), ('1'::numeric)) t(x)
        {"avg", "numeric", {"NaN", "1"}, "numeric", "NaN"},
        // SELECT avg(x) FROM (VALUES ('Infinity'::double precision), ('1'::double precision)) t(x)
        {"avg", "double precision", {"Infinity", "1"}, "double precision", "Infinity"},
        // SELECT min(x) FROM (VALUES ('3'::integer), ('1'::integer), (NULL::integer),
        // ('2'::integer)) t(x)
        {"min", "integer", {"3", "1", std::nullopt, "2"}, "integer", "1"},
        // SELECT max(x) FROM (VALUES ('1.5'::numeric), ('1.50'::numeric), ('-2'::numeric)) t(x)
        {"max", "numeric", {"1.5", "1.50", "-2"}, "numeric", "1.50"},
        // SELECT max(x) FROM (VALUES ('1'::double precision), ('NaN'::double precision),
        // ('Infinity'::double precision)) t(x)
        {"max", "double precision", {"1", "NaN", "Infinity"}, "double precision", "NaN"},
        // SELECT min(x) FROM (VALUES ('-0'::double precision), ('0'::double precision)) t(x)
        {"min", "double precision", {"-0", "0"}, "double precision", "0"},
        // SELECT max(x) FROM (VALUES ('a'::text), ('B'::text), ('ab'::text)) t(x)
        {"max", "text", {"a", "B", "ab"}, "text", "ab"},
        // SELECT max(x) FROM (VALUES ('a'::character varying), ('b'::character varying)) t(x)
        {"max", "character varying", {"a", "b"}, "text", "b"},
        // SELECT max(x) FROM (VALUES ('a'::character(3)), ('a  '::character(3))) t(x)
        {"max", "character(3)", {"a", "a  "}, "character", "a  "},
        // SELECT min(x) FROM (VALUES ('2020-01-01'::date), ('-infinity'::date)) t(x)
        {"min", "date", {"2020-01-01", "-infinity"}, "date", "-infinity"},
        // SELECT max(x) FROM (VALUES ('2020-01-01 00:00+00'::timestamp with time zone),
        // ('2019-12-31 23:00-02'::timestamp with time zone)) t(x)
        {"max",
         "timestamp with time zone",
         {"2020-01-01 00:00+00", "2019-12-31 23:00-02"},
         "timestamp with time zone",
         "2020-01-01 01:00:00+00"},
        // SELECT max(x) FROM (VALUES ('1 mon'::interval), ('30 days'::interval), ('29
        // days'::interval)) t(x)
        {"max", "interval", {"1 mon", "30 days", "29 days"}, "interval", "30 days"},
        // SELECT min(x) FROM (VALUES ('1 mon'::interval), ('30 days'::interval)) t(x)
        {"min", "interval", {"1 mon", "30 days"}, "interval", "30 days"},
        // SELECT max(x) FROM (VALUES ('t'::boolean)) t(x)
        {"max", "boolean", {"t"}, "", "ERROR 42883: function max(boolean) does not exist"},
        // SELECT max(x) FROM (VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid)) t(x)
        {"max",
         "uuid",
         {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
         "",
         "ERROR 42883: function max(uuid) does not exist"},
        // SELECT max(x) FROM (VALUES ('\x01'::bytea)) t(x)
        {"max", "bytea", {"\\x01"}, "", "ERROR 42883: function max(bytea) does not exist"},
        // SELECT bool_and(x) FROM (VALUES ('t'::boolean), (NULL::boolean), ('t'::boolean)) t(x)
        {"bool_and", "boolean", {"t", std::nullopt, "t"}, "boolean", "t"},
        // SELECT bool_and(x) FROM (VALUES ('t'::boolean), ('f'::boolean)) t(x)
        {"bool_and", "boolean", {"t", "f"}, "boolean", "f"},
        // SELECT bool_or(x) FROM (VALUES ('f'::boolean), (NULL::boolean)) t(x)
        {"bool_or", "boolean", {"f", std::nullopt}, "boolean", "f"},
        // SELECT every(x) FROM (VALUES (NULL::boolean)) t(x) where false
        {"every", "boolean", {}, "boolean", "NULL"},
        // SELECT bool_or(x) FROM (VALUES (NULL::boolean)) t(x)
        {"bool_or", "boolean", {std::nullopt}, "boolean", "NULL"},
        // SELECT sum(x) FROM (VALUES ('1'::text)) t(x)
        {"sum", "text", {"1"}, "", "ERROR 42883: function sum(text) does not exist"},
        // SELECT avg(x) FROM (VALUES ('t'::boolean)) t(x)
        {"avg", "boolean", {"t"}, "", "ERROR 42883: function avg(boolean) does not exist"},
        // SELECT string_agg(x, ',') FROM (VALUES ('a'::text), (NULL::text), ('b'::text)) t(x)
        {"string_agg", "text", {"a", std::nullopt, "b"}, "text", "a,b"},
        // SELECT string_agg(x, ',') FROM (VALUES ('x'::character varying), ('y'::character
        // varying)) t(x)
        {"string_agg", "character varying", {"x", "y"}, "text", "x,y"},
        // SELECT string_agg(x, '\x2c'::bytea) FROM (VALUES ('\x01'::bytea), ('\x02'::bytea)) t(x)
        {"string_agg", "bytea", {"\\x01", "\\x02"}, "bytea", "\\x012c02"},
        // SELECT string_agg(x, ',') FROM (VALUES (NULL::text)) t(x) where false
        {"string_agg", "text", {}, "text", "NULL"},
    };
    for (const Case& c : cases) EXPECT_EQ(run(c), c.expected) << c.name << "(" << c.type << ")";
}

TEST(Aggregates, ResultStaysUsableAndNullsAreSkipped) {
    auto sum = resolve_aggregate_function("sum", std::vector<Type>{Type::of(SqlType::integer)});
    ASSERT_TRUE(sum.has_value());
    auto accumulator = sum->make_accumulator();
    const Value one[] = {Value::int32(1)};
    const Value null[] = {Value::null()};
    ASSERT_TRUE(accumulator->add(one).has_value());
    EXPECT_EQ(accumulator->result()->as_int(), 1);
    ASSERT_TRUE(accumulator->add(null).has_value());
    ASSERT_TRUE(accumulator->add(one).has_value());
    EXPECT_EQ(accumulator->result()->as_int(), 2);
    EXPECT_TRUE(is_aggregate_function("string_agg"));
    EXPECT_FALSE(is_aggregate_function("length"));
}

}  // namespace
}  // namespace kb::sql
