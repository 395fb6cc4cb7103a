// Tests of values: exact decimals (parse, output, order), schema fit, key forms.
#include "kernel/value.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kernel/catalog_test_support.h"
#include "kernel/value_test_support.h"

namespace kb::kernel {
namespace {

std::string round_trip(std::string_view text) {
    auto number = Numeric::parse(text);
    if (!number) return "error: " + number.error().message();
    return number->to_string();
}

TEST(Numeric, ParsesAndPrintsAsPostgres) {
    // Expected outputs are PostgreSQL 15's for SELECT 'x'::numeric.
    EXPECT_EQ(round_trip("0"), "0");
    EXPECT_EQ(round_trip("-0"), "0");
    EXPECT_EQ(round_trip("0.00"), "0.00");
    EXPECT_EQ(round_trip("1.50"), "1.50");
    EXPECT_EQ(round_trip("  -12.340 "), "-12.340");
    EXPECT_EQ(round_trip("+007.5"), "7.5");
    EXPECT_EQ(round_trip(".5"), "0.5");
    EXPECT_EQ(round_trip("5."), "5");
    EXPECT_EQ(round_trip("1e3"), "1000");
    EXPECT_EQ(round_trip("1.5e-3"), "0.0015");
    EXPECT_EQ(round_trip("-2.5E+2"), "-250");
    EXPECT_EQ(round_trip("0.001"), "0.001");
    EXPECT_EQ(round_trip("NaN"), "NaN");
    EXPECT_EQ(round_trip("nan"), "NaN");
    EXPECT_EQ(round_trip("Infinity"), "Infinity");
    EXPECT_EQ(round_trip("-inf"), "-Infinity");
    EXPECT_EQ(round_trip("123456789012345678901234567890.123456789"),
              "123456789012345678901234567890.123456789");
    for (std::string_view bad : {"", "-", ".", "1e", "1e+", "abc", "1.2.3", "1 2", "--1", "e5"}) {
        EXPECT_FALSE(Numeric::parse(bad).has_value()) << bad;
    }
    EXPECT_FALSE(Numeric::parse("1e9999999").has_value());
}

TEST(Numeric, FromIntegers) {
    EXPECT_EQ(Numeric::from_i64(0).to_string(), "0");
    EXPECT_EQ(Numeric::from_i64(-42).to_string(), "-42");
    EXPECT_EQ(Numeric::from_i64(INT64_MIN).to_string(), "-9223372036854775808");
    EXPECT_EQ(Numeric::from_i64(INT64_MAX).digits(), "9223372036854775807");
}

TEST(Numeric, CanonicalPartsOnly) {
    EXPECT_FALSE(Numeric::from_parts(false, "012", 0).has_value());
    EXPECT_FALSE(Numeric::from_parts(true, "", 2).has_value());
    EXPECT_FALSE(Numeric::from_parts(false, "1a", 0).has_value());
    EXPECT_FALSE(Numeric::from_parts(false, "1", Numeric::kScaleMax + 1).has_value());
    EXPECT_TRUE(Numeric::from_parts(true, "5", 3).has_value());
    EXPECT_EQ(Numeric::from_parts(true, "5", 3)->to_string(), "-0.005");
}

int sign(int x) { return (x > 0) - (x < 0); }

TEST(Numeric, OrdersAsPostgres) {
    const char* ascending[] = {"-Infinity", "-100", "-1.5",     "-1.25", "-0.001", "0",
                               "0.0001",    "0.5",  "1",        "1.01",  "10",     "99.999",
                               "100",       "1e20", "Infinity", "NaN"};
    for (usize i = 0; i < std::size(ascending); ++i) {
        for (usize j = 0; j < std::size(ascending); ++j) {
            const Numeric a = *Numeric::parse(ascending[i]);
            const Numeric b = *Numeric::parse(ascending[j]);
            EXPECT_EQ(sign(a.compare(b)), i < j ? -1 : (i == j ? 0 : 1))
                << ascending[i] << " vs " << ascending[j];
        }
    }
    EXPECT_EQ(Numeric::parse("1.5")->compare(*Numeric::parse("1.500")), 0);
    EXPECT_NE(*Numeric::parse("1.5"), *Numeric::parse("1.500"));  // identity keeps the scale
    EXPECT_EQ(Numeric::parse("0.00")->compare(*Numeric::parse("0")), 0);
}

RC_GTEST_PROP(Numeric, TextRoundTripsAndOrderMatchesDoubles, (i64 a_raw, i64 b_raw)) {
    // Integers scaled by 10^-3 compare as the exact rationals they are.
    const Numeric a = *Numeric::from_parts(a_raw < 0, Numeric::from_i64(a_raw).digits(), 3);
    const Numeric b = *Numeric::from_parts(b_raw < 0, Numeric::from_i64(b_raw).digits(), 3);
    RC_ASSERT(*Numeric::parse(a.to_string()) == a);
    RC_ASSERT(sign(a.compare(b)) == (a_raw < b_raw ? -1 : (a_raw == b_raw ? 0 : 1)));
}

TEST(Value, IdentityEquality) {
    EXPECT_EQ(Value::float64(std::nan("")), Value::float64(std::nan("")));
    EXPECT_NE(Value::float64(0.0), Value::float64(-0.0));
    EXPECT_NE(Value::int32(1), Value::int64(1));
    EXPECT_NE(Value::text("x"), Value::jsonb("x"));
    EXPECT_NE(Value::date(3), Value::int32(3));
    EXPECT_EQ(Value::null(), Value());
    EXPECT_EQ(Value::numeric(*Numeric::parse("2.5")).debug_string(), "numeric 2.5");
}

TEST(Value, MisfitsAreNamed) {
    using testing::column;
    ColumnDef varchar = column(3, "name", SqlType::varchar);
    varchar.type.length = 3;
    EXPECT_FALSE(value_misfit(varchar, Value::text("日本語")).has_value());  // characters
    EXPECT_EQ(*value_misfit(varchar, Value::text("abcd")),
              "column 3 (name): 4 characters in a column of 3");
    EXPECT_TRUE(value_misfit(varchar, Value::text("\xff")).has_value());
    EXPECT_TRUE(value_misfit(varchar, Value::text(std::string("a\0", 2))).has_value());
    EXPECT_TRUE(value_misfit(varchar, Value::int32(1)).has_value());
    EXPECT_FALSE(value_misfit(varchar, Value::null()).has_value());

    ColumnDef money = column(4, "amount", SqlType::numeric);  // numeric(12, 2)
    EXPECT_FALSE(value_misfit(money, Value::numeric(*Numeric::parse("1234567890.12"))));
    EXPECT_TRUE(value_misfit(money, Value::numeric(*Numeric::parse("12345678901.12"))));
    EXPECT_TRUE(value_misfit(money, Value::numeric(*Numeric::parse("1.5"))));
    EXPECT_FALSE(value_misfit(money, Value::numeric(Numeric::nan())));
    EXPECT_TRUE(value_misfit(money, Value::numeric(Numeric::infinity(false))));

    ColumnDef small = column(5, "s", SqlType::smallint);
    EXPECT_FALSE(value_misfit(small, Value::int16(-32768)));
    EXPECT_TRUE(value_misfit(column(6, "j", SqlType::jsonb), Value::jsonb("")));
}

TEST(Value, KeyForms) {
    EXPECT_EQ(key_value_of(Value::int16(-3)), KeyValue(i64{-3}));
    EXPECT_EQ(key_value_of(Value::float32(1.5f)), KeyValue(1.5));
    EXPECT_EQ(key_value_of(Value::null()), KeyValue(KeyNull{}));
    EXPECT_EQ(key_value_of(Value::timestamptz(77)), KeyValue(i64{77}));
    Uuid uuid{};
    uuid[15] = 9;
    EXPECT_EQ(std::get<std::string>(key_value_of(Value::uuid(uuid))).size(), 16u);
    // Every key-encodable type's values fit the key type they map to.
    Prng prng(5);
    for (u8 t = 1; t <= static_cast<u8>(kSqlTypeMax); ++t) {
        const auto type = static_cast<SqlType>(t);
        auto key_type = key_type_of(type);
        if (!key_type) continue;
        const ColumnDef def = testing::column(1, "c", type);
        for (int i = 0; i < 50; ++i) {
            Value value = testing::random_fitting_value(prng, def);
            EXPECT_TRUE(key_value_fits(*key_type, key_value_of(value))) << value.debug_string();
        }
    }
}

}  // namespace
}  // namespace kb::kernel
