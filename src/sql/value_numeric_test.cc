// Exact decimal arithmetic: division scales, modulo and rounding against PostgreSQL 15 (each
// row's query is in the comment above it, run on PostgreSQL 15.18 as
// SELECT format('%s', x), pg_typeof(x) FROM (SELECT <expression> AS x) s), and the
// arithmetic itself against 128-bit integer references.
#include "sql/value_numeric.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

using testing::describe;
using testing::evaluate;
using testing::Expr;
using testing::func;
using testing::lit;
using testing::op;

struct Case {
    Expr expr;
    const char* type;
    const char* expected;
};

TEST(Numeric, DivisionModuloRoundingAsPostgres) {
    const std::vector<Case> cases = {
        // ('1e20'::numeric / '0.000123'::numeric)
        {op("/", lit("1e20", "numeric"), lit("0.000123", "numeric")), "numeric",
         "813008130081300813008130.081301"},
        // ('10000'::numeric / '3'::numeric)
        {op("/", lit("10000", "numeric"), lit("3", "numeric")), "numeric", "3333.3333333333333333"},
        // ('7'::numeric / '-0.001'::numeric)
        {op("/", lit("7", "numeric"), lit("-0.001", "numeric")), "numeric",
         "-7000.0000000000000000"},
        // ('0.0001'::numeric / '9999'::numeric)
        {op("/", lit("0.0001", "numeric"), lit("9999", "numeric")), "numeric",
         "0.000000010001000100010001"},
        // ('3'::numeric / '0.5000'::numeric)
        {op("/", lit("3", "numeric"), lit("0.5000", "numeric")), "numeric", "6.0000000000000000"},
        // ('99999999'::numeric / '3'::numeric)
        {op("/", lit("99999999", "numeric"), lit("3", "numeric")), "numeric",
         "33333333.000000000000"},
        // ('7'::numeric / '0.9999'::numeric)
        {op("/", lit("7", "numeric"), lit("0.9999", "numeric")), "numeric", "7.0007000700070007"},
        // ('0.9999'::numeric / '7'::numeric)
        {op("/", lit("0.9999", "numeric"), lit("7", "numeric")), "numeric",
         "0.14284285714285714286"},
        // ('100000000'::numeric / '7'::numeric)
        {op("/", lit("100000000", "numeric"), lit("7", "numeric")), "numeric",
         "14285714.285714285714"},
        // ('-0.001'::numeric / '0.9999'::numeric)
        {op("/", lit("-0.001", "numeric"), lit("0.9999", "numeric")), "numeric",
         "-0.00100010001000100010"},
        // ('3'::numeric / '0.0001'::numeric)
        {op("/", lit("3", "numeric"), lit("0.0001", "numeric")), "numeric", "30000.000000000000"},
        // ('100000000'::numeric / '3'::numeric)
        {op("/", lit("100000000", "numeric"), lit("3", "numeric")), "numeric",
         "33333333.333333333333"},
        // ('10000'::numeric / '3'::numeric)
        {op("/", lit("10000", "numeric"), lit("3", "numeric")), "numeric", "3333.3333333333333333"},
        // ('100000000'::numeric / '3'::numeric)
        {op("/", lit("100000000", "numeric"), lit("3", "numeric")), "numeric",
         "33333333.333333333333"},
        // ('-0.001'::numeric / '0.000123'::numeric)
        {op("/", lit("-0.001", "numeric"), lit("0.000123", "numeric")), "numeric",
         "-8.1300813008130081"},
        // ('1e-20'::numeric / '0.9999'::numeric)
        {op("/", lit("1e-20", "numeric"), lit("0.9999", "numeric")), "numeric",
         "0.000000000000000000010001000100010001"},
        // ('0.000123'::numeric / '-0.001'::numeric)
        {op("/", lit("0.000123", "numeric"), lit("-0.001", "numeric")), "numeric",
         "-0.12300000000000000000"},
        // ('0.0001'::numeric / '1e-20'::numeric)
        {op("/", lit("0.0001", "numeric"), lit("1e-20", "numeric")), "numeric",
         "10000000000000000.00000000000000000000"},
        // ('-0.001'::numeric / '12345.6789'::numeric)
        {op("/", lit("-0.001", "numeric"), lit("12345.6789", "numeric")), "numeric",
         "-0.000000081000000737100007"},
        // ('0.0001'::numeric / '99999999'::numeric)
        {op("/", lit("0.0001", "numeric"), lit("99999999", "numeric")), "numeric",
         "0.0000000000010000000100000001"},
        // ('9999'::numeric / '0.0001'::numeric)
        {op("/", lit("9999", "numeric"), lit("0.0001", "numeric")), "numeric",
         "99990000.000000000000"},
        // ('-0.001'::numeric / '7'::numeric)
        {op("/", lit("-0.001", "numeric"), lit("7", "numeric")), "numeric",
         "-0.00014285714285714286"},
        // ('3'::numeric / '99999999'::numeric)
        {op("/", lit("3", "numeric"), lit("99999999", "numeric")), "numeric",
         "0.000000030000000300000003"},
        // ('123456789012345678901234567890'::numeric / '-0.001'::numeric)
        {op("/", lit("123456789012345678901234567890", "numeric"), lit("-0.001", "numeric")),
         "numeric", "-123456789012345678901234567890000.000"},
        // ('0.9999'::numeric / '1e20'::numeric)
        {op("/", lit("0.9999", "numeric"), lit("1e20", "numeric")), "numeric",
         "0.0000000000000000000099990000000000000000"},
        // ('1.0001'::numeric / '1.0001'::numeric)
        {op("/", lit("1.0001", "numeric"), lit("1.0001", "numeric")), "numeric",
         "1.00000000000000000000"},
        // ('9999'::numeric / '1e-20'::numeric)
        {op("/", lit("9999", "numeric"), lit("1e-20", "numeric")), "numeric",
         "999900000000000000000000.00000000000000000000"},
        // ('100000000'::numeric / '12345.6789'::numeric)
        {op("/", lit("100000000", "numeric"), lit("12345.6789", "numeric")), "numeric",
         "8100.0000737100006708"},
        // ('100000000'::numeric / '7'::numeric)
        {op("/", lit("100000000", "numeric"), lit("7", "numeric")), "numeric",
         "14285714.285714285714"},
        // ('1e-20'::numeric / '0.5000'::numeric)
        {op("/", lit("1e-20", "numeric"), lit("0.5000", "numeric")), "numeric",
         "0.000000000000000000020000000000000000"},
        // ('123456789012345678901234567890'::numeric / '1e20'::numeric)
        {op("/", lit("123456789012345678901234567890", "numeric"), lit("1e20", "numeric")),
         "numeric", "1234567890.12345679"},
        // ('1.0001'::numeric / '1e-20'::numeric)
        {op("/", lit("1.0001", "numeric"), lit("1e-20", "numeric")), "numeric",
         "100010000000000000000.00000000000000000000"},
        // ('7'::numeric / '0.0001'::numeric)
        {op("/", lit("7", "numeric"), lit("0.0001", "numeric")), "numeric", "70000.000000000000"},
        // ('0.5000'::numeric / '0.9999'::numeric)
        {op("/", lit("0.5000", "numeric"), lit("0.9999", "numeric")), "numeric",
         "0.50005000500050005001"},
        // ('12345.6789'::numeric / '1e20'::numeric)
        {op("/", lit("12345.6789", "numeric"), lit("1e20", "numeric")), "numeric",
         "0.000000000000000123456789000000000000"},
        // ('0.000123'::numeric / '123456789012345678901234567890'::numeric)
        {op("/", lit("0.000123", "numeric"), lit("123456789012345678901234567890", "numeric")),
         "numeric", "0.0000000000000000000000000000000009963000089667000816"},
        // ('0.9999'::numeric / '3'::numeric)
        {op("/", lit("0.9999", "numeric"), lit("3", "numeric")), "numeric",
         "0.33330000000000000000"},
        // ('7'::numeric / '-0.001'::numeric)
        {op("/", lit("7", "numeric"), lit("-0.001", "numeric")), "numeric",
         "-7000.0000000000000000"},
        // ('1e20'::numeric / '1e20'::numeric)
        {op("/", lit("1e20", "numeric"), lit("1e20", "numeric")), "numeric",
         "1.00000000000000000000"},
        // ('9999'::numeric / '123456789012345678901234567890'::numeric)
        {op("/", lit("9999", "numeric"), lit("123456789012345678901234567890", "numeric")),
         "numeric", "0.00000000000000000000000008099190072892710663"},
        // ('10'::numeric % '3'::numeric)
        {op("%", lit("10", "numeric"), lit("3", "numeric")), "numeric", "1"},
        // ('-10'::numeric % '3'::numeric)
        {op("%", lit("-10", "numeric"), lit("3", "numeric")), "numeric", "-1"},
        // ('10'::numeric % '-3'::numeric)
        {op("%", lit("10", "numeric"), lit("-3", "numeric")), "numeric", "1"},
        // ('10.5'::numeric % '3'::numeric)
        {op("%", lit("10.5", "numeric"), lit("3", "numeric")), "numeric", "1.5"},
        // ('1e20'::numeric % '7'::numeric)
        {op("%", lit("1e20", "numeric"), lit("7", "numeric")), "numeric", "2"},
        // ('0.0007'::numeric % '0.0003'::numeric)
        {op("%", lit("0.0007", "numeric"), lit("0.0003", "numeric")), "numeric", "0.0001"},
        // round('2.5'::numeric, '0'::integer)
        {func("round", {lit("2.5", "numeric"), lit("0", "integer")}), "numeric", "3"},
        // trunc('2.5'::numeric, '0'::integer)
        {func("trunc", {lit("2.5", "numeric"), lit("0", "integer")}), "numeric", "2"},
        // round('-2.5'::numeric, '0'::integer)
        {func("round", {lit("-2.5", "numeric"), lit("0", "integer")}), "numeric", "-3"},
        // trunc('-2.5'::numeric, '0'::integer)
        {func("trunc", {lit("-2.5", "numeric"), lit("0", "integer")}), "numeric", "-2"},
        // round('2.45'::numeric, '1'::integer)
        {func("round", {lit("2.45", "numeric"), lit("1", "integer")}), "numeric", "2.5"},
        // trunc('2.45'::numeric, '1'::integer)
        {func("trunc", {lit("2.45", "numeric"), lit("1", "integer")}), "numeric", "2.4"},
        // round('-2.45'::numeric, '1'::integer)
        {func("round", {lit("-2.45", "numeric"), lit("1", "integer")}), "numeric", "-2.5"},
        // trunc('-2.45'::numeric, '1'::integer)
        {func("trunc", {lit("-2.45", "numeric"), lit("1", "integer")}), "numeric", "-2.4"},
        // round('12345.6789'::numeric, '-2'::integer)
        {func("round", {lit("12345.6789", "numeric"), lit("-2", "integer")}), "numeric", "12300"},
        // trunc('12345.6789'::numeric, '-2'::integer)
        {func("trunc", {lit("12345.6789", "numeric"), lit("-2", "integer")}), "numeric", "12300"},
        // round('12345.6789'::numeric, '-5'::integer)
        {func("round", {lit("12345.6789", "numeric"), lit("-5", "integer")}), "numeric", "0"},
        // trunc('12345.6789'::numeric, '-5'::integer)
        {func("trunc", {lit("12345.6789", "numeric"), lit("-5", "integer")}), "numeric", "0"},
        // round('0.00005'::numeric, '4'::integer)
        {func("round", {lit("0.00005", "numeric"), lit("4", "integer")}), "numeric", "0.0001"},
        // trunc('0.00005'::numeric, '4'::integer)
        {func("trunc", {lit("0.00005", "numeric"), lit("4", "integer")}), "numeric", "0.0000"},
        // round('9.9999'::numeric, '3'::integer)
        {func("round", {lit("9.9999", "numeric"), lit("3", "integer")}), "numeric", "10.000"},
        // trunc('9.9999'::numeric, '3'::integer)
        {func("trunc", {lit("9.9999", "numeric"), lit("3", "integer")}), "numeric", "9.999"},
        // round('1.5'::numeric, '5'::integer)
        {func("round", {lit("1.5", "numeric"), lit("5", "integer")}), "numeric", "1.50000"},
        // trunc('1.5'::numeric, '5'::integer)
        {func("trunc", {lit("1.5", "numeric"), lit("5", "integer")}), "numeric", "1.50000"},
        // round('-0.5'::numeric, '0'::integer)
        {func("round", {lit("-0.5", "numeric"), lit("0", "integer")}), "numeric", "-1"},
        // trunc('-0.5'::numeric, '0'::integer)
        {func("trunc", {lit("-0.5", "numeric"), lit("0", "integer")}), "numeric", "0"},
        // floor('1.5'::numeric)
        {func("floor", {lit("1.5", "numeric")}), "numeric", "1"},
        // ceil('1.5'::numeric)
        {func("ceil", {lit("1.5", "numeric")}), "numeric", "2"},
        // floor('-1.5'::numeric)
        {func("floor", {lit("-1.5", "numeric")}), "numeric", "-2"},
        // ceil('-1.5'::numeric)
        {func("ceil", {lit("-1.5", "numeric")}), "numeric", "-1"},
        // floor('0.0001'::numeric)
        {func("floor", {lit("0.0001", "numeric")}), "numeric", "0"},
        // ceil('0.0001'::numeric)
        {func("ceil", {lit("0.0001", "numeric")}), "numeric", "1"},
        // floor('-0.0001'::numeric)
        {func("floor", {lit("-0.0001", "numeric")}), "numeric", "-1"},
        // ceil('-0.0001'::numeric)
        {func("ceil", {lit("-0.0001", "numeric")}), "numeric", "0"},
        // floor('7'::numeric)
        {func("floor", {lit("7", "numeric")}), "numeric", "7"},
        // ceil('7'::numeric)
        {func("ceil", {lit("7", "numeric")}), "numeric", "7"},
        // floor('-7.000'::numeric)
        {func("floor", {lit("-7.000", "numeric")}), "numeric", "-7"},
        // ceil('-7.000'::numeric)
        {func("ceil", {lit("-7.000", "numeric")}), "numeric", "-7"},
    };
    for (const Case& c : cases) EXPECT_EQ(describe(evaluate(c.expr)), c.expected) << c.expr.sql();
}

TEST(Numeric, TypmodOverflowDetail) {
    // SELECT 12345.678::numeric(5,2) -> 22003 numeric field overflow, DETAIL: A field with
    // precision 5, scale 2 must round to an absolute value less than 10^3.
    auto overflow = numeric_apply_typmod(Numeric::parse("12345.678").value(), 5, 2);
    ASSERT_FALSE(overflow.has_value());
    EXPECT_EQ(overflow.error().detail,
              "A field with precision 5, scale 2 must round to an absolute value less than 10^3.");
    // SELECT 1::numeric(2,2): "... less than 1."
    auto below_one = numeric_apply_typmod(Numeric::from_i64(1), 2, 2);
    ASSERT_FALSE(below_one.has_value());
    EXPECT_EQ(below_one.error().detail,
              "A field with precision 2, scale 2 must round to an absolute value less than 1.");
}

TEST(Numeric, ConversionsToIntegers) {
    // SELECT 2.5::int, (-2.5)::int, 'NaN'::numeric::int, 'Infinity'::numeric::bigint.
    EXPECT_EQ(*numeric_to_integer(Numeric::parse("2.5").value(), INT32_MIN, INT32_MAX, "integer"),
              3);
    EXPECT_EQ(*numeric_to_integer(Numeric::parse("-2.5").value(), INT32_MIN, INT32_MAX, "integer"),
              -3);
    EXPECT_EQ(numeric_to_integer(Numeric::nan(), INT32_MIN, INT32_MAX, "integer").error().message,
              "cannot convert NaN to integer");
    EXPECT_EQ(numeric_to_integer(Numeric::infinity(false), INT64_MIN, INT64_MAX, "bigint")
                  .error()
                  .to_string(),
              "ERROR 0A000: cannot convert infinity to bigint");
    EXPECT_EQ(*numeric_to_integer(Numeric::parse("-9223372036854775808.4").value(), INT64_MIN,
                                  INT64_MAX, "bigint"),
              INT64_MIN);
    EXPECT_FALSE(numeric_to_integer(Numeric::parse("9223372036854775807.5").value(), INT64_MIN,
                                    INT64_MAX, "bigint")
                     .has_value());
}

// x = value * 10^-scale as text.
std::string decimal_text(__int128 value, int scale) {
    const bool negative = value < 0;
    unsigned __int128 magnitude =
        negative ? static_cast<unsigned __int128>(-value) : static_cast<unsigned __int128>(value);
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
        magnitude /= 10;
    } while (magnitude > 0);
    while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
    if (scale > 0) digits.insert(digits.end() - scale, '.');
    const bool zero = digits.find_first_not_of("0.") == std::string::npos;
    return (negative && !zero ? "-" : "") + digits;
}

__int128 power10(int n) {
    __int128 p = 1;
    for (int i = 0; i < n; ++i) p *= 10;
    return p;
}

RC_GTEST_PROP(Numeric, ArithmeticMatchesIntegerReference, (i16 a, i16 b, u8 sa_seed, u8 sb_seed)) {
    const int sa = sa_seed % 5;
    const int sb = sb_seed % 5;
    const Numeric x = Numeric::parse(decimal_text(a, sa)).value();
    const Numeric y = Numeric::parse(decimal_text(b, sb)).value();
    const int s = std::max(sa, sb);
    const __int128 ax = a * power10(s - sa);
    const __int128 by = b * power10(s - sb);
    RC_ASSERT(numeric_add(x, y)->to_string() == decimal_text(ax + by, s));
    RC_ASSERT(numeric_sub(x, y)->to_string() == decimal_text(ax - by, s));
    RC_ASSERT(numeric_mul(x, y)->to_string() == decimal_text(__int128{a} * b, sa + sb));
    if (b == 0) {
        RC_ASSERT(numeric_div(x, y).error().sqlstate == "22012");
        RC_ASSERT(numeric_mod(x, y).error().sqlstate == "22012");
        return;
    }
    // Division: the quotient at PostgreSQL's scale, rounded half away from zero.
    const int scale = numeric_div_scale(x, y);
    const __int128 scaled = __int128{a} * power10(sb + scale);  // a*10^(sb+scale)
    const __int128 denominator = __int128{b} * power10(sa);
    __int128 quotient = scaled / denominator;
    const __int128 remainder = scaled % denominator;
    const __int128 twice = (remainder < 0 ? -remainder : remainder) * 2;
    const __int128 magnitude = denominator < 0 ? -denominator : denominator;
    if (twice >= magnitude) quotient += ((scaled < 0) != (denominator < 0)) ? -1 : 1;
    RC_ASSERT(numeric_div(x, y)->to_string() == decimal_text(quotient, scale));
    // Modulo: x - y * trunc(x / y), with the sign of x.
    const __int128 truncated = ax / by;
    RC_ASSERT(numeric_mod(x, y)->to_string() == decimal_text(ax - by * truncated, s));
}

}  // namespace
}  // namespace kb::sql
