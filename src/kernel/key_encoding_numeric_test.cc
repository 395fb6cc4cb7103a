// Tests of numeric and interval keys (key_encoding.h, numeric_key_value, interval_key_value;
// value.h, key_value_of): the byte order of encoded numeric keys is PostgreSQL's numeric order
// as Numeric::compare defines it, equal values with different display scales share one key,
// decode accepts exactly the forms encode writes, and interval keys order by span.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "base/assert.h"
#include "kernel/key_encoding.h"
#include "kernel/value.h"

namespace kb::kernel {
namespace {

Bytes key_of(const Numeric& number, bool descending = false) {
    const KeyColumn columns[] = {{.type = KeyType::numeric, .descending = descending}};
    const KeyValue values[] = {key_value_of(Value::numeric(number))};
    auto key = encode_key(columns, values);
    KB_ASSERT(key.has_value());
    return *key;
}

Numeric parse(std::string_view text) {
    auto number = Numeric::parse(text);
    KB_ASSERT(number.has_value());
    return *number;
}

int sign_of(int value) { return (value > 0) - (value < 0); }

int compare_keys(const Bytes& a, const Bytes& b) {
    if (a == b) return 0;
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()) ? -1 : 1;
}

// Small decimals with few distinct digits, so equal values, shared prefixes and equal
// exponents are common; plus the special values.
rc::Gen<Numeric> gen_numeric() {
    auto finite = rc::gen::map(
        rc::gen::tuple(rc::gen::arbitrary<bool>(),
                       rc::gen::container<std::string>(rc::gen::element('0', '1', '5', '9')),
                       rc::gen::inRange<int>(0, 6)),
        [](const std::tuple<bool, std::string, int>& parts) {
            auto [negative, digits, scale] = parts;
            std::string text = negative ? "-" : "";
            if (digits.empty()) digits = "0";
            const usize point = static_cast<usize>(scale);
            if (digits.size() <= point) digits.insert(0, point - digits.size() + 1, '0');
            text += digits.substr(0, digits.size() - point);
            if (point > 0) text += "." + digits.substr(digits.size() - point);
            return parse(text);
        });
    return rc::gen::oneOf(
        finite, finite, finite,
        rc::gen::element(Numeric::nan(), Numeric::infinity(false), Numeric::infinity(true)));
}

RC_GTEST_PROP(NumericKey, ByteOrderIsNumericOrder, ()) {
    const Numeric a = *gen_numeric();
    const Numeric b = *gen_numeric();
    const bool descending = *rc::gen::arbitrary<bool>();
    const int expected = sign_of(a.compare(b)) * (descending ? -1 : 1);
    RC_ASSERT(compare_keys(key_of(a, descending), key_of(b, descending)) == expected);
}

RC_GTEST_PROP(NumericKey, DecodeInvertsEncode, ()) {
    const Numeric a = *gen_numeric();
    const bool descending = *rc::gen::arbitrary<bool>();
    const KeyColumn columns[] = {{.type = KeyType::numeric, .descending = descending},
                                 {.type = KeyType::int32}};
    const KeyValue values[] = {key_value_of(Value::numeric(a)), i64{7}};
    const Bytes key = *encode_key(columns, values);
    auto decoded = decode_key(columns, key);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT((*decoded)[0] == values[0]);
    RC_ASSERT((*decoded)[1] == values[1]);
}

TEST(NumericKey, ScaleDoesNotMatter) {
    EXPECT_EQ(key_of(parse("1.5")), key_of(parse("1.50")));
    EXPECT_EQ(key_of(parse("100")), key_of(parse("100.000")));
    EXPECT_EQ(key_of(parse("0")), key_of(parse("0.00")));
    EXPECT_NE(key_of(parse("1.5")), key_of(parse("15")));
    EXPECT_LT(key_of(parse("-100")), key_of(parse("-99.5")));
    EXPECT_LT(key_of(parse("0.001")), key_of(parse("0.01")));
    EXPECT_LT(key_of(Numeric::infinity(true)), key_of(parse("-1e100")));
    EXPECT_LT(key_of(Numeric::infinity(false)), key_of(Numeric::nan()));
}

TEST(NumericKey, DecodeRefusesMalformedForms) {
    const KeyColumn columns[] = {{.type = KeyType::numeric}};
    // positive, exponent 1, digits "0" (a leading zero), terminator
    const Bytes leading_zero = {0x01, 0x04, 0x80, 0x00, 0x00, 0x01, 0x01, 0x00};
    EXPECT_FALSE(decode_key(columns, leading_zero).has_value());
    const Bytes no_digits = {0x01, 0x04, 0x80, 0x00, 0x00, 0x01, 0x00};
    EXPECT_FALSE(decode_key(columns, no_digits).has_value());
    const Bytes unterminated = {0x01, 0x04, 0x80, 0x00, 0x00, 0x01, 0x02};
    EXPECT_FALSE(decode_key(columns, unterminated).has_value());
    const Bytes bad_class = {0x01, 0x07};
    EXPECT_FALSE(decode_key(columns, bad_class).has_value());
    const Bytes one = {0x01, 0x04, 0x80, 0x00, 0x00, 0x01, 0x02, 0x00};  // 0.1e1 = 1
    EXPECT_TRUE(decode_key(columns, one).has_value());
    EXPECT_EQ(one, key_of(parse("1")));
    EXPECT_FALSE(key_value_fits(KeyType::numeric, std::string("\x04", 1)));
}

Bytes interval_key(i32 months, i32 days, i64 microseconds) {
    const KeyColumn columns[] = {{.type = KeyType::interval}};
    const KeyValue values[] = {key_value_of(Value::interval(Interval{months, days, microseconds}))};
    return *encode_key(columns, values);
}

TEST(IntervalKey, OrdersBySpanAsPostgresql) {
    constexpr i64 kDay = 86'400'000'000;
    EXPECT_EQ(interval_key(1, 0, 0), interval_key(0, 30, 0));  // '1 mon' = '30 days'
    EXPECT_EQ(interval_key(0, 1, 0), interval_key(0, 0, kDay));
    EXPECT_LT(interval_key(0, 0, -1), interval_key(0, 0, 0));
    EXPECT_LT(interval_key(-1, 0, 0), interval_key(0, -29, 0));
    EXPECT_LT(interval_key(0, 29, kDay - 1), interval_key(1, 0, 0));
    // Spans beyond 64 bits of microseconds still order.
    EXPECT_LT(interval_key(INT32_MAX, INT32_MAX, INT64_MAX - 1),
              interval_key(INT32_MAX, INT32_MAX, INT64_MAX));
    EXPECT_LT(interval_key(INT32_MIN, INT32_MIN, INT64_MIN), interval_key(INT32_MIN, 0, 0));
}

}  // namespace
}  // namespace kb::kernel
