// Expression parsing: each SQL expression and the tree it must become, compared through
// to_sql() (fully parenthesized, so the printed text shows the tree's shape), plus the typed
// details the print does not show (literal types, positions, flags).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/parse.h"

namespace kb::sql {
namespace {

ast::ExprPtr parse_ok(std::string_view text) {
    auto result = parse_expression(text);
    EXPECT_TRUE(result.has_value()) << text << ": " << result.error().to_string();
    if (!result) return nullptr;
    return std::move(result).value();
}

struct PrintCase {
    const char* sql;
    const char* printed;
};

// Every expression form of issue 5, as PostgreSQL's grammar shapes it.
constexpr PrintCase kExpressions[] = {
    // constants
    {"1", "1"},
    {"-1", "-1"},
    {"1.50", "1.50"},
    {"1e10", "1e10"},
    {".5", ".5"},
    {"'it''s'", "'it''s'"},
    {"E'a\\tb'", "'a\tb'"},
    {"$$dollar 'q'$$", "'dollar ''q'''"},
    {"U&'\\0041'", "'A'"},
    {"NULL", "NULL"},
    {"TRUE", "true"},
    {"false", "false"},
    // names and parameters
    {"a", "a"},
    {"T.A", "t.a"},
    {"s.t.a", "s.t.a"},
    {"\"Mixed\".\"x y\"", "\"Mixed\".\"x y\""},
    {"\"select\"", "\"select\""},
    {"$1", "$1"},
    {"$12", "$12"},
    // operators: precedence as PostgreSQL's grammar
    {"1 + 2 * 3", "(1 + (2 * 3))"},
    {"(1 + 2) * 3", "((1 + 2) * 3)"},
    {"a - b - c", "((a - b) - c)"},
    {"2 ^ 3 ^ 2", "((2 ^ 3) ^ 2)"},
    {"-a", "(- a)"},
    {"- - a", "(- (- a))"},
    {"+a", "(+ a)"},
    {"~a", "(~ a)"},
    {"a % 2", "(a % 2)"},
    {"a || b || 'c'", "((a || b) || 'c')"},
    {"a -> 'k' ->> 'j'", "((a -> 'k') ->> 'j')"},
    {"a != b", "(a <> b)"},
    {"a <> b", "(a <> b)"},
    {"a <= b", "(a <= b)"},
    {"a >= b", "(a >= b)"},
    {"a OPERATOR(pg_catalog.+) b", "(a + b)"},
    {"OPERATOR(pg_catalog.*) b", "(OPERATOR(pg_catalog.*) b)"},
    {"OPERATOR(pg_catalog.<=) b", "(OPERATOR(pg_catalog.<=) b)"},
    {"@ b", "(@ b)"},
    {"|/ b", "(|/ b)"},
    {"(a = b) = c", "((a = b) = c)"},
    {"a < b + 1", "(a < (b + 1))"},
    {"- 2147483648", "-2147483648"},
    {"a - -1", "(a - -1)"},
    // boolean logic: AND/OR chains flatten, NOT binds tighter than AND
    {"a AND b AND c", "(a AND b AND c)"},
    {"a OR b AND c", "(a OR (b AND c))"},
    {"(a OR b) AND c", "((a OR b) AND c)"},
    {"NOT a AND b", "((NOT a) AND b)"},
    {"NOT (a AND b)", "(NOT (a AND b))"},
    {"a = 1 OR a = 2 OR a = 3", "((a = 1) OR (a = 2) OR (a = 3))"},
    // predicates
    {"a IN (1, 2, 3)", "(a IN (1, 2, 3))"},
    {"a NOT IN ('x')", "(a NOT IN ('x'))"},
    {"a BETWEEN 1 AND 2", "(a BETWEEN 1 AND 2)"},
    {"a NOT BETWEEN 1 AND 2", "(a NOT BETWEEN 1 AND 2)"},
    {"a BETWEEN SYMMETRIC 2 AND 1", "(a BETWEEN SYMMETRIC 2 AND 1)"},
    {"a NOT BETWEEN SYMMETRIC 2 AND 1", "(a NOT BETWEEN SYMMETRIC 2 AND 1)"},
    {"a BETWEEN ASYMMETRIC 1 AND 2", "(a BETWEEN 1 AND 2)"},
    {"a BETWEEN 1 AND 2 AND b", "((a BETWEEN 1 AND 2) AND b)"},
    {"a LIKE 'x%'", "(a LIKE 'x%')"},
    {"a NOT LIKE 'x%'", "(a NOT LIKE 'x%')"},
    {"a ILIKE 'x%'", "(a ILIKE 'x%')"},
    {"a NOT ILIKE 'x%'", "(a NOT ILIKE 'x%')"},
    {"a LIKE 'x!%' ESCAPE '!'", "(a LIKE 'x!%' ESCAPE '!')"},
    {"a NOT ILIKE b ESCAPE ''", "(a NOT ILIKE b ESCAPE '')"},
    {"a IS DISTINCT FROM b", "(a IS DISTINCT FROM b)"},
    {"a IS NOT DISTINCT FROM b", "(a IS NOT DISTINCT FROM b)"},
    {"NULLIF(a, 0)", "NULLIF(a, 0)"},
    {"a IS NULL", "(a IS NULL)"},
    {"a IS NOT NULL", "(a IS NOT NULL)"},
    {"a ISNULL", "(a IS NULL)"},
    {"a NOTNULL", "(a IS NOT NULL)"},
    {"a IS TRUE", "(a IS TRUE)"},
    {"a IS NOT TRUE", "(a IS NOT TRUE)"},
    {"a IS FALSE", "(a IS FALSE)"},
    {"a IS NOT FALSE", "(a IS NOT FALSE)"},
    {"a IS UNKNOWN", "(a IS UNKNOWN)"},
    {"a IS NOT UNKNOWN", "(a IS NOT UNKNOWN)"},
    // conditional expressions
    {"CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END", "CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END"},
    {"CASE a WHEN 1 THEN 'one' END", "CASE a WHEN 1 THEN 'one' END"},
    {"COALESCE(a, b, 0)", "COALESCE(a, b, 0)"},
    {"GREATEST(a, 1)", "GREATEST(a, 1)"},
    {"LEAST(a)", "LEAST(a)"},
    // function calls and aggregates
    {"now()", "now()"},
    {"lower(a)", "lower(a)"},
    {"pg_catalog.upper(a)", "upper(a)"},
    {"\"Fn\"(a)", "\"Fn\"(a)"},
    {"left(a, 2)", "\"left\"(a, 2)"},
    {"count(*)", "count(*)"},
    {"count(DISTINCT a)", "count(DISTINCT a)"},
    {"count(ALL a)", "count(a)"},
    {"string_agg(a, ',' ORDER BY b DESC NULLS LAST, c)",
     "string_agg(a, ',' ORDER BY b DESC NULLS LAST, c)"},
    {"concat(a, 'x', 1)", "concat(a, 'x', 1)"},
    // special syntaxes under PostgreSQL's own names
    {"substring(a FROM 2 FOR 3)", "substring(a FROM 2 FOR 3)"},
    {"substring(a FOR 3 FROM 2)", "substring(a FROM 2 FOR 3)"},
    {"substring(a FROM 2)", "substring(a FROM 2)"},
    {"substring(a, 2, 3)", "\"substring\"(a, 2, 3)"},
    {"position('b' IN a)", "position('b' IN a)"},
    {"trim(a)", "trim(BOTH FROM a)"},
    {"trim(BOTH 'x' FROM a)", "trim(BOTH 'x' FROM a)"},
    {"trim(LEADING FROM a)", "trim(LEADING FROM a)"},
    {"trim(TRAILING 'x' FROM a)", "trim(TRAILING 'x' FROM a)"},
    {"btrim(a, 'x')", "btrim(a, 'x')"},
    {"extract(year FROM d)", "extract('year' FROM d)"},
    {"overlay(a PLACING 'b' FROM 2 FOR 1)", "overlay(a PLACING 'b' FROM 2 FOR 1)"},
    {"ts AT TIME ZONE 'UTC'", "(ts AT TIME ZONE 'UTC')"},
    // casts and typed literals
    {"a::int", "CAST(a AS integer)"},
    {"CAST(a AS bigint)", "CAST(a AS bigint)"},
    {"a::int2::int8", "CAST(CAST(a AS smallint) AS bigint)"},
    {"DATE '2024-01-01'", "CAST('2024-01-01' AS date)"},
    {"interval '1 day'", "CAST('1 day' AS interval)"},
    {"timestamp '2024-01-01 00:00'", "CAST('2024-01-01 00:00' AS timestamp without time zone)"},
    {"timestamptz '2024-01-01 00:00'", "CAST('2024-01-01 00:00' AS timestamp with time zone)"},
    {"'x'::varchar(3)", "CAST('x' AS character varying(3))"},
    {"'x'::character varying", "CAST('x' AS character varying)"},
    {"'x'::char", "CAST('x' AS character(1))"},
    {"'x'::char(4)", "CAST('x' AS character(4))"},
    {"char 'x'", "CAST('x' AS bpchar)"},
    {"'x'::bpchar", "CAST('x' AS bpchar)"},
    {"1::numeric", "CAST(1 AS numeric)"},
    {"1::numeric(10)", "CAST(1 AS numeric(10,0))"},
    {"1::decimal(10, 2)", "CAST(1 AS numeric(10,2))"},
    {"1::float", "CAST(1 AS double precision)"},
    {"1::float(24)", "CAST(1 AS real)"},
    {"1::float(25)", "CAST(1 AS double precision)"},
    {"1::double precision", "CAST(1 AS double precision)"},
    {"1::real", "CAST(1 AS real)"},
    {"a::text", "CAST(a AS text)"},
    {"a::boolean", "CAST(a AS boolean)"},
    {"a::bool", "CAST(a AS boolean)"},
    {"a::bytea", "CAST(a AS bytea)"},
    {"a::uuid", "CAST(a AS uuid)"},
    {"a::jsonb", "CAST(a AS jsonb)"},
    {"a::timestamp(6)", "CAST(a AS timestamp without time zone)"},
    {"a::timestamp(9) with time zone", "CAST(a AS timestamp with time zone)"},
    {"a::pg_catalog.int4", "CAST(a AS integer)"},
    {"$1::int8", "CAST($1 AS bigint)"},
    // SQL value functions
    {"CURRENT_DATE", "CURRENT_DATE"},
    {"CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"},
    {"CURRENT_TIMESTAMP(3)", "CURRENT_TIMESTAMP(3)"},
    {"LOCALTIMESTAMP", "LOCALTIMESTAMP"},
    {"LOCALTIMESTAMP(0)", "LOCALTIMESTAMP(0)"},
    {"CURRENT_USER", "CURRENT_USER"},
    {"CURRENT_ROLE", "CURRENT_ROLE"},
    {"USER", "USER"},
    {"SESSION_USER", "SESSION_USER"},
    {"CURRENT_CATALOG", "CURRENT_CATALOG"},
    {"CURRENT_SCHEMA", "CURRENT_SCHEMA"},
};

TEST(ParseExpression, PrintsEveryFormAsPostgresShapesIt) {
    for (const PrintCase& c : kExpressions) {
        ast::ExprPtr expr = parse_ok(c.sql);
        if (!expr) continue;
        EXPECT_EQ(ast::to_sql(*expr), c.printed) << c.sql;
    }
}

TEST(ParseExpression, PrintedFormParsesToTheSameTree) {
    for (const PrintCase& c : kExpressions) {
        ast::ExprPtr expr = parse_ok(c.printed);
        if (!expr) continue;
        EXPECT_EQ(ast::to_sql(*expr), c.printed) << c.printed;
    }
}

TEST(ParseExpression, CloneIsADeepCopy) {
    for (const PrintCase& c : kExpressions) {
        ast::ExprPtr expr = parse_ok(c.sql);
        if (!expr) continue;
        ast::ExprPtr copy = ast::clone(*expr);
        EXPECT_EQ(ast::to_sql(*copy), ast::to_sql(*expr)) << c.sql;
        EXPECT_EQ(copy->position, expr->position) << c.sql;
        EXPECT_NE(copy.get(), expr.get());
        EXPECT_TRUE(ast::equal(*copy, *expr)) << c.sql;
    }
}

TEST(ParseExpression, EqualComparesTreesNotPositions) {
    // Each expression equals itself written differently, and no other expression of the table.
    ast::ExprPtr spaced = parse_ok("  lower( a )  +  1");
    ast::ExprPtr tight = parse_ok("lower(a)+1");
    ASSERT_TRUE(spaced && tight);
    EXPECT_TRUE(ast::equal(*spaced, *tight));
    EXPECT_NE(spaced->position, tight->position);
    std::vector<ast::ExprPtr> all;
    for (const PrintCase& c : kExpressions) all.push_back(parse_ok(c.sql));
    for (size_t i = 0; i < all.size(); ++i) {
        for (size_t j = 0; j < all.size(); ++j) {
            if (!all[i] || !all[j]) continue;
            bool same_print = ast::to_sql(*all[i]) == ast::to_sql(*all[j]);
            EXPECT_EQ(ast::equal(*all[i], *all[j]), same_print)
                << kExpressions[i].sql << " vs " << kExpressions[j].sql;
        }
    }
}

// PostgreSQL's make_const: a literal that fits in 32 bits is int4 (even -2147483648, which the
// scanner sees as a negated 2147483648), in 64 bits int8, otherwise numeric.
TEST(ParseExpression, IntegerLiteralsTakeTheSmallestPostgresType) {
    struct LiteralCase {
        const char* sql;
        ast::Literal::Kind kind;
        i64 integer;
        const char* text;
    };
    using Kind = ast::Literal::Kind;
    constexpr LiteralCase kCases[] = {
        {"0", Kind::int4, 0, ""},
        {"2147483647", Kind::int4, 2147483647, ""},
        {"-2147483648", Kind::int4, -2147483648LL, ""},
        {"2147483648", Kind::int8, 2147483648LL, ""},
        {"-2147483649", Kind::int8, -2147483649LL, ""},
        {"9223372036854775807", Kind::int8, 9223372036854775807LL, ""},
        {"-9223372036854775808", Kind::int8, INT64_MIN, ""},
        {"9223372036854775808", Kind::numeric, 0, "9223372036854775808"},
        {"-9223372036854775809", Kind::numeric, 0, "-9223372036854775809"},
        {"1.0", Kind::numeric, 0, "1.0"},
        {"-0.5", Kind::numeric, 0, "-0.5"},
        {"1e3", Kind::numeric, 0, "1e3"},
        {"00012", Kind::int4, 12, ""},
    };
    for (const LiteralCase& c : kCases) {
        ast::ExprPtr expr = parse_ok(c.sql);
        ASSERT_TRUE(expr);
        const auto* literal = expr->as<ast::Literal>();
        ASSERT_NE(literal, nullptr) << c.sql;
        EXPECT_EQ(literal->kind, c.kind) << c.sql;
        EXPECT_EQ(literal->integer, c.integer) << c.sql;
        EXPECT_EQ(literal->text, c.text) << c.sql;
    }
}

TEST(ParseExpression, StringBooleanAndNullLiterals) {
    ast::ExprPtr text = parse_ok("'x''y'");
    ASSERT_TRUE(text);
    EXPECT_EQ(text->as<ast::Literal>()->kind, ast::Literal::Kind::string);
    EXPECT_EQ(text->as<ast::Literal>()->text, "x'y");
    ast::ExprPtr yes = parse_ok("true");
    ASSERT_TRUE(yes);
    EXPECT_EQ(yes->as<ast::Literal>()->kind, ast::Literal::Kind::boolean);
    EXPECT_TRUE(yes->as<ast::Literal>()->boolean);
    ast::ExprPtr null = parse_ok("null");
    ASSERT_TRUE(null);
    EXPECT_EQ(null->as<ast::Literal>()->kind, ast::Literal::Kind::null);
}

TEST(ParseExpression, ColumnReferencesKeepTheirQualifiers) {
    ast::ExprPtr three = parse_ok("s.t.c");
    ASSERT_TRUE(three);
    const auto* ref = three->as<ast::ColumnRef>();
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(ref->schema, "s");
    EXPECT_EQ(ref->table, "t");
    EXPECT_EQ(ref->column, "c");
    EXPECT_FALSE(ref->star);
    ast::ExprPtr one = parse_ok("\"C\"");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->as<ast::ColumnRef>()->column, "C");
    EXPECT_TRUE(one->as<ast::ColumnRef>()->table.empty());
}

TEST(ParseExpression, SpecialSyntaxesCarryPostgresNamesAndArgumentOrder) {
    ast::ExprPtr position = parse_ok("position('b' IN a)");
    ASSERT_TRUE(position);
    const auto* call = position->as<ast::FuncCall>();
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->name, "position");
    EXPECT_TRUE(call->sql_syntax);
    ASSERT_EQ(call->args.size(), 2u);
    EXPECT_EQ(ast::to_sql(*call->args[0]), "a");  // position(haystack, needle)
    EXPECT_EQ(ast::to_sql(*call->args[1]), "'b'");

    ast::ExprPtr trim = parse_ok("trim(LEADING 'x' FROM a)");
    ASSERT_TRUE(trim);
    const auto* ltrim = trim->as<ast::FuncCall>();
    ASSERT_NE(ltrim, nullptr);
    EXPECT_EQ(ltrim->name, "ltrim");
    ASSERT_EQ(ltrim->args.size(), 2u);
    EXPECT_EQ(ast::to_sql(*ltrim->args[0]), "a");
    EXPECT_EQ(ast::to_sql(*ltrim->args[1]), "'x'");

    ast::ExprPtr plain = parse_ok("ltrim(a, 'x')");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->as<ast::FuncCall>()->sql_syntax);

    ast::ExprPtr zone = parse_ok("ts AT TIME ZONE 'UTC'");
    ASSERT_TRUE(zone);
    EXPECT_EQ(zone->as<ast::FuncCall>()->name, "timezone");
}

TEST(ParseExpression, AggregateFlags) {
    ast::ExprPtr star = parse_ok("count(*)");
    ASSERT_TRUE(star);
    EXPECT_TRUE(star->as<ast::FuncCall>()->star);
    EXPECT_TRUE(star->as<ast::FuncCall>()->args.empty());
    ast::ExprPtr distinct = parse_ok("count(DISTINCT a)");
    ASSERT_TRUE(distinct);
    EXPECT_TRUE(distinct->as<ast::FuncCall>()->distinct);
    EXPECT_FALSE(distinct->as<ast::FuncCall>()->star);
    ast::ExprPtr ordered = parse_ok("string_agg(a, ',' ORDER BY b DESC NULLS FIRST)");
    ASSERT_TRUE(ordered);
    const auto& order = ordered->as<ast::FuncCall>()->order_by;
    ASSERT_EQ(order.size(), 1u);
    EXPECT_TRUE(order[0].descending);
    EXPECT_EQ(order[0].nulls, kernel::NullsOrder::first);
}

TEST(ParseExpression, CastTypesAreResolved) {
    struct TypeCase {
        const char* sql;
        kernel::ColumnType type;
    };
    using kernel::SqlType;
    const TypeCase kCases[] = {
        {"a::int", {.type = SqlType::integer}},
        {"a::smallint", {.type = SqlType::smallint}},
        {"a::int8", {.type = SqlType::bigint}},
        {"a::numeric(12, 3)", {.type = SqlType::numeric, .precision = 12, .scale = 3}},
        {"a::varchar(7)", {.type = SqlType::varchar, .length = 7}},
        {"a::varchar", {.type = SqlType::varchar}},
        {"a::char(2)", {.type = SqlType::character, .length = 2}},
        {"a::timestamptz", {.type = SqlType::timestamptz}},
        {"a::timestamp", {.type = SqlType::timestamp}},
        {"a::interval", {.type = SqlType::interval}},
        {"a::float4", {.type = SqlType::real}},
        {"a::float8", {.type = SqlType::double_precision}},
    };
    for (const TypeCase& c : kCases) {
        ast::ExprPtr expr = parse_ok(c.sql);
        ASSERT_TRUE(expr);
        const auto* cast = expr->as<ast::Cast>();
        ASSERT_NE(cast, nullptr) << c.sql;
        EXPECT_EQ(cast->type.type, c.type) << c.sql;
        EXPECT_EQ(cast->type.position, 4) << c.sql;  // a::<here>
    }
}

// Positions are PostgreSQL's: operators at the operator, calls at the name, casts at `::`,
// typed literals at the type name; counted in characters from 1.
TEST(ParseExpression, PositionsPointWherePostgresPoints) {
    ast::ExprPtr sum = parse_ok("a + f(b)::int");
    ASSERT_TRUE(sum);
    const auto* op = sum->as<ast::Operator>();
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(sum->position, 3);
    EXPECT_EQ(op->left->position, 1);
    EXPECT_EQ(op->right->position, 9);  // the ::
    const auto* cast = op->right->as<ast::Cast>();
    ASSERT_NE(cast, nullptr);
    EXPECT_EQ(cast->expr->position, 5);  // f
    EXPECT_EQ(cast->type.position, 11);

    ast::ExprPtr typed = parse_ok("1 + date 'x'");
    ASSERT_TRUE(typed);
    const auto* right = typed->as<ast::Operator>()->right.get();
    EXPECT_EQ(right->position, 5);                          // the type name
    EXPECT_EQ(right->as<ast::Cast>()->expr->position, 10);  // the string

    ast::ExprPtr kase = parse_ok("CASE WHEN a THEN 1 END");
    ASSERT_TRUE(kase);
    EXPECT_EQ(kase->position, 1);
    EXPECT_EQ(kase->as<ast::Case>()->whens[0].position, 6);
}

TEST(ParseExpression, PositionsCountCharactersNotBytes) {
    // 'é' and 'ü' are two bytes each in UTF-8, '€' three, '𝄞' four.
    ast::ExprPtr expr = parse_ok("'é€𝄞' || ü || x");
    ASSERT_TRUE(expr);
    const auto* outer = expr->as<ast::Operator>();
    ASSERT_NE(outer, nullptr);
    EXPECT_EQ(expr->position, 12);  // the second ||
    const auto* inner = outer->left->as<ast::Operator>();
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(outer->left->position, 7);
    EXPECT_EQ(inner->right->position, 10);  // ü
    EXPECT_EQ(outer->right->position, 15);  // x
}

TEST(ParseExpression, RefusesWhatIsNotOneExpression) {
    for (const char* text : {"1, 2", "a AS b", "1 FROM t", "1; SELECT 2", "*", "t.*", "",
                             "1 WHERE true", "DISTINCT 1"}) {
        auto result = parse_expression(text);
        EXPECT_FALSE(result.has_value()) << text;
    }
}

TEST(ParseExpression, ErrorPositionsCountFromTheExpression) {
    auto result = parse_expression("a + ");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().sqlstate, sqlstate::kSyntaxError);
    EXPECT_EQ(result.error().message, "syntax error at end of input");
    EXPECT_EQ(result.error().position, 5);

    auto refused = parse_expression("1 + (SELECT 1)");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().sqlstate, sqlstate::kFeatureNotSupported);
    EXPECT_EQ(refused.error().position, 5);
}

}  // namespace
}  // namespace kb::sql
