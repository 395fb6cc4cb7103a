// Tests of the order-preserving key encoding: byte order equals the order of a reference
// comparator written from SQL semantics, every column is prefix-free, decode inverts encode,
// and decode survives arbitrary bytes.
#include "kernel/key_encoding.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/assert.h"
#include "types/limits.h"

namespace kb::kernel {
namespace {

// --- a reference comparator, independent of the encoding ---------------------------------

int sign(int value) { return (value > 0) - (value < 0); }

int compare_bytes(const std::string& a, const std::string& b) {
    usize common = std::min(a.size(), b.size());
    for (usize i = 0; i < common; ++i) {
        u8 x = static_cast<u8>(a[i]);
        u8 y = static_cast<u8>(b[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// PostgreSQL's float8 order: NaN equals NaN and is above everything; -0 equals +0.
int compare_doubles(double a, double b) {
    bool a_nan = std::isnan(a);
    bool b_nan = std::isnan(b);
    if (a_nan || b_nan) return a_nan == b_nan ? 0 : (a_nan ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
}

int compare_values(const KeyColumn& column, const KeyValue& a, const KeyValue& b) {
    bool a_null = std::holds_alternative<KeyNull>(a);
    bool b_null = std::holds_alternative<KeyNull>(b);
    if (a_null || b_null) {
        if (a_null == b_null) return 0;
        // NULL's place is fixed in the final order, whatever the direction.
        return a_null == column.nulls_first() ? -1 : 1;
    }
    int result = 0;
    if (std::holds_alternative<bool>(a)) {
        result = int{std::get<bool>(a)} - int{std::get<bool>(b)};
    } else if (std::holds_alternative<i64>(a)) {
        i64 x = std::get<i64>(a), y = std::get<i64>(b);
        result = x < y ? -1 : (x > y ? 1 : 0);
    } else if (std::holds_alternative<u64>(a)) {
        u64 x = std::get<u64>(a), y = std::get<u64>(b);
        result = x < y ? -1 : (x > y ? 1 : 0);
    } else if (std::holds_alternative<double>(a)) {
        result = compare_doubles(std::get<double>(a), std::get<double>(b));
    } else {
        result = compare_bytes(std::get<std::string>(a), std::get<std::string>(b));
    }
    return column.descending ? -result : result;
}

int compare_tuples(const std::vector<KeyColumn>& columns, const std::vector<KeyValue>& a,
                   const std::vector<KeyValue>& b) {
    for (usize i = 0; i < columns.size(); ++i) {
        int result = compare_values(columns[i], a[i], b[i]);
        if (result != 0) return result;
    }
    return 0;
}

int compare_encoded(const Bytes& a, const Bytes& b) {
    return compare_bytes(std::string(a.begin(), a.end()), std::string(b.begin(), b.end()));
}

// --- generators ------------------------------------------------------------------------------

rc::Gen<KeyColumn> gen_column() {
    return rc::gen::build<KeyColumn>(
        rc::gen::set(&KeyColumn::type,
                     rc::gen::map(rc::gen::inRange<int>(1, static_cast<int>(kKeyTypeMax) + 1),
                                  [](int t) { return static_cast<KeyType>(t); })),
        rc::gen::set(&KeyColumn::descending, rc::gen::arbitrary<bool>()),
        rc::gen::set(&KeyColumn::nulls,
                     rc::gen::element(NullsOrder::standard, NullsOrder::first, NullsOrder::last)));
}

// Strings over few symbols (with the escape-relevant bytes 0x00, 0x01, 0xff) so that equal
// values, shared prefixes and one-is-a-prefix-of-the-other cases are common.
rc::Gen<std::string> gen_string() {
    return rc::gen::oneOf(
        rc::gen::container<std::string>(rc::gen::element('\0', '\x01', '\xff', 'a', 'b')),
        rc::gen::arbitrary<std::string>());
}

i64 clamp_to_width(i64 value, usize bits) {
    if (bits == 64) return value;
    i64 limit = i64{1} << (bits - 1);
    return ((value % limit) + limit) % (2 * limit) - limit;
}

rc::Gen<KeyValue> gen_value(KeyType type) {
    auto non_null = [type]() -> rc::Gen<KeyValue> {
        auto signed_of = [](usize bits) {
            return rc::gen::map(
                rc::gen::oneOf(rc::gen::element<i64>(0, -1, 1, std::numeric_limits<i64>::min(),
                                                     std::numeric_limits<i64>::max()),
                               rc::gen::inRange<i64>(-3, 4), rc::gen::arbitrary<i64>()),
                [bits](i64 v) { return KeyValue(clamp_to_width(v, bits)); });
        };
        auto unsigned_of = [](usize bits) {
            return rc::gen::map(
                rc::gen::oneOf(rc::gen::element<u64>(0, 1, ~u64{0}), rc::gen::inRange<u64>(0, 4),
                               rc::gen::arbitrary<u64>()),
                [bits](u64 v) { return KeyValue(bits == 64 ? v : v % (u64{1} << bits)); });
        };
        switch (type) {
            case KeyType::boolean:
                return rc::gen::map(rc::gen::arbitrary<bool>(), [](bool v) { return KeyValue(v); });
            case KeyType::int8:
                return signed_of(8);
            case KeyType::int16:
                return signed_of(16);
            case KeyType::int32:
            case KeyType::date:
                return signed_of(32);
            case KeyType::int64:
            case KeyType::timestamp:
                return signed_of(64);
            case KeyType::uint8:
                return unsigned_of(8);
            case KeyType::uint16:
                return unsigned_of(16);
            case KeyType::uint32:
                return unsigned_of(32);
            case KeyType::uint64:
                return unsigned_of(64);
            case KeyType::float64:
                return rc::gen::map(
                    rc::gen::oneOf(
                        rc::gen::element(0.0, -0.0, 1.0, -1.0,
                                         std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity(),
                                         std::numeric_limits<double>::quiet_NaN(),
                                         -std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::denorm_min(),
                                         -std::numeric_limits<double>::denorm_min(),
                                         std::numeric_limits<double>::max(),
                                         std::numeric_limits<double>::lowest()),
                        rc::gen::map(rc::gen::arbitrary<u64>(),
                                     [](u64 bits) { return std::bit_cast<double>(bits); })),
                    [](double v) { return KeyValue(v); });
            case KeyType::text:
            case KeyType::bytes:
                return rc::gen::map(gen_string(), [](std::string v) { return KeyValue(v); });
            case KeyType::uuid:
                return rc::gen::map(
                    rc::gen::container<std::string>(16, rc::gen::element('\0', '\x7f', '\xff')),
                    [](std::string v) { return KeyValue(v); });
            case KeyType::interval:
                return rc::gen::map(
                    rc::gen::tuple(rc::gen::inRange<i32>(-2, 3), rc::gen::inRange<i32>(-40, 40),
                                   rc::gen::inRange<i64>(-3, 4)),
                    [](const std::tuple<i32, i32, i64>& parts) {
                        auto [months, days, microseconds] = parts;
                        return KeyValue(interval_key_value(months, days, microseconds));
                    });
            case KeyType::numeric:
                // Numeric order itself is tested in key_encoding_numeric_test.cc; here the
                // forms only need to be valid (their bytes are their order).
                return rc::gen::map(
                    rc::gen::tuple(
                        rc::gen::inRange<int>(1, 7), rc::gen::inRange<i32>(-3, 4),
                        rc::gen::container<std::string>(rc::gen::element('0', '5', '9'))),
                    [](const std::tuple<int, i32, std::string>& parts) {
                        auto [key_class, exponent, digits] = parts;
                        digits = "1" + digits + "1";
                        return KeyValue(numeric_key_value(static_cast<NumericKeyClass>(key_class),
                                                          digits, exponent));
                    });
        }
        return rc::gen::just(KeyValue(KeyNull{}));
    };
    return rc::gen::oneOf(rc::gen::just(KeyValue(KeyNull{})), non_null(), non_null());
}

std::vector<KeyValue> gen_tuple(const std::vector<KeyColumn>& columns) {
    std::vector<KeyValue> values;
    for (const KeyColumn& column : columns) values.push_back(*gen_value(column.type));
    return values;
}

Bytes encode(const std::vector<KeyColumn>& columns, const std::vector<KeyValue>& values) {
    auto encoded = encode_key(columns, values);
    KB_ASSERT(encoded.has_value());
    return *encoded;
}

// --- properties --------------------------------------------------------------------------

RC_GTEST_PROP(KeyEncoding, ByteOrderIsTupleOrder, ()) {
    // Every pair of a batch of tuples, so each case compares many values of its column types.
    auto columns =
        *rc::gen::container<std::vector<KeyColumn>>(*rc::gen::inRange<usize>(1, 4), gen_column());
    std::vector<std::vector<KeyValue>> tuples;
    for (int i = 0; i < 24; ++i) {
        tuples.push_back(gen_tuple(columns));
        // Often share an earlier tuple's leading columns, so later columns decide too.
        if (i > 0 && *rc::gen::arbitrary<bool>()) {
            const auto& earlier = tuples[*rc::gen::inRange<usize>(0, tuples.size() - 1)];
            usize shared = *rc::gen::inRange<usize>(0, columns.size() + 1);
            for (usize c = 0; c < shared; ++c) tuples.back()[c] = earlier[c];
        }
    }
    std::vector<Bytes> encoded;
    for (const auto& tuple : tuples) encoded.push_back(encode(columns, tuple));
    for (usize i = 0; i < tuples.size(); ++i) {
        for (usize j = 0; j < tuples.size(); ++j) {
            RC_ASSERT(sign(compare_encoded(encoded[i], encoded[j])) ==
                      compare_tuples(columns, tuples[i], tuples[j]));
        }
    }
}

RC_GTEST_PROP(KeyEncoding, EachColumnIsPrefixFree, ()) {
    KeyColumn column = *gen_column();
    KeyValue a = *gen_value(column.type);
    KeyValue b = *gen_value(column.type);
    Bytes x, y;
    encode_key_column(column, a, &x);
    encode_key_column(column, b, &y);
    if (x.size() <= y.size() && std::equal(x.begin(), x.end(), y.begin())) {
        RC_ASSERT(x == y);
        RC_ASSERT(compare_values(column, a, b) == 0);
    }
}

RC_GTEST_PROP(KeyEncoding, DecodeInvertsEncode, ()) {
    auto columns =
        *rc::gen::container<std::vector<KeyColumn>>(*rc::gen::inRange<usize>(0, 5), gen_column());
    auto values = gen_tuple(columns);
    Bytes encoded = encode(columns, values);
    auto decoded = decode_key(columns, encoded);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->size() == values.size());
    RC_ASSERT(compare_tuples(columns, *decoded, values) == 0);
    // Same alternatives, and the decoded form re-encodes to the same bytes.
    for (usize i = 0; i < values.size(); ++i) RC_ASSERT((*decoded)[i].index() == values[i].index());
    RC_ASSERT(encode(columns, *decoded) == encoded);
}

RC_GTEST_PROP(KeyEncoding, DecodeOfArbitraryBytesIsRefusedOrCanonical, ()) {
    auto columns =
        *rc::gen::container<std::vector<KeyColumn>>(*rc::gen::inRange<usize>(1, 4), gen_column());
    auto bytes = *rc::gen::container<Bytes>(rc::gen::oneOf(
        rc::gen::element<u8>(0x00, 0x01, 0x02, 0xfd, 0xfe, 0xff), rc::gen::arbitrary<u8>()));
    auto decoded = decode_key(columns, bytes);
    if (decoded.has_value()) {
        RC_ASSERT(encode(columns, *decoded) == bytes);
    } else {
        RC_ASSERT(decoded.error().code() == StatusCode::corruption);
    }
}

RC_GTEST_PROP(KeyEncoding, PrefixEndBoundsEveryExtension, (Bytes prefix, Bytes suffix)) {
    Bytes end = prefix_end(prefix);
    Bytes extended = prefix;
    extended.insert(extended.end(), suffix.begin(), suffix.end());
    if (end.empty()) {
        RC_ASSERT(std::all_of(prefix.begin(), prefix.end(), [](u8 b) { return b == 0xff; }));
    } else {
        RC_ASSERT(compare_encoded(extended, end) < 0);
        RC_ASSERT(compare_encoded(prefix, end) < 0);
        // Nothing between the prefix's extensions and end: end itself does not start with it.
        RC_ASSERT(!(end.size() >= prefix.size() &&
                    std::equal(prefix.begin(), prefix.end(), end.begin())));
    }
}

// --- the documented bytes ----------------------------------------------------------------

Bytes encode_one(KeyColumn column, KeyValue value) {
    Bytes out;
    encode_key_column(column, value, &out);
    return out;
}

TEST(KeyEncoding, DocumentedLayout) {
    EXPECT_EQ(encode_one({.type = KeyType::int32}, i64{1}), (Bytes{0x01, 0x80, 0, 0, 1}));
    EXPECT_EQ(encode_one({.type = KeyType::int32}, i64{-1}), (Bytes{0x01, 0x7f, 0xff, 0xff, 0xff}));
    EXPECT_EQ(encode_one({.type = KeyType::uint16}, u64{258}), (Bytes{0x01, 0x01, 0x02}));
    EXPECT_EQ(encode_one({.type = KeyType::text}, std::string("a\0b", 3)),
              (Bytes{0x01, 'a', 0x00, 0xff, 'b', 0x00, 0x01}));
    EXPECT_EQ(encode_one({.type = KeyType::text}, KeyNull{}), (Bytes{0x02}));
    EXPECT_EQ(encode_one({.type = KeyType::text, .nulls = NullsOrder::first}, KeyNull{}),
              (Bytes{0x00}));
    // Descending inverts every byte; its standard NULL comes first, so 0x02 inverted is above
    // nothing but is below 0xfe (a value's inverted marker).
    EXPECT_EQ(encode_one({.type = KeyType::int8, .descending = true}, i64{0}), (Bytes{0xfe, 0x7f}));
    EXPECT_EQ(encode_one({.type = KeyType::int8, .descending = true}, KeyNull{}), (Bytes{0xfd}));
    EXPECT_EQ(encode_one({.type = KeyType::boolean}, true), (Bytes{0x01, 0x01}));
    // The example in docs/FORMATS.md.
    const KeyColumn columns[] = {{.type = KeyType::int32}, {.type = KeyType::text}};
    const KeyValue values[] = {i64{1}, std::string("a")};
    EXPECT_EQ(*encode_key(columns, values),
              (Bytes{0x01, 0x80, 0x00, 0x00, 0x01, 0x01, 0x61, 0x00, 0x01}));
}

TEST(KeyEncoding, FloatsFollowPostgresql) {
    const KeyColumn column{.type = KeyType::float64};
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(encode_one(column, -0.0), encode_one(column, 0.0));
    EXPECT_EQ(encode_one(column, nan), encode_one(column, -nan));
    EXPECT_GT(encode_one(column, nan), encode_one(column, inf));
    EXPECT_LT(encode_one(column, -inf), encode_one(column, -1e308));
    EXPECT_LT(encode_one(column, -1.0), encode_one(column, -0.5));
    EXPECT_LT(encode_one(column, -std::numeric_limits<double>::denorm_min()),
              encode_one(column, 0.0));
    // A stored -0 is not canonical: refused.
    Bytes minus_zero = {0x01, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    KeyColumn columns[] = {column};
    EXPECT_EQ(decode_key(columns, minus_zero).error().code(), StatusCode::corruption);
}

TEST(KeyEncoding, NullsStandardIsLastAscendingFirstDescending) {
    for (bool descending : {false, true}) {
        KeyColumn column{.type = KeyType::int64, .descending = descending};
        Bytes null = encode_one(column, KeyNull{});
        Bytes low = encode_one(column, std::numeric_limits<i64>::min());
        Bytes high = encode_one(column, std::numeric_limits<i64>::max());
        if (descending) {
            EXPECT_LT(null, high);
            EXPECT_LT(high, low);
        } else {
            EXPECT_LT(low, high);
            EXPECT_LT(high, null);
        }
    }
}

TEST(KeyEncoding, KeyLongerThanTheLimitIsOutOfRange) {
    KeyColumn columns[] = {{.type = KeyType::text}};
    KeyValue fits[] = {std::string(limits::kKeySizeBytesMax - 3, 'x')};
    EXPECT_TRUE(encode_key(columns, fits).has_value());
    KeyValue too_long[] = {std::string(limits::kKeySizeBytesMax - 2, 'x')};
    auto result = encode_key(columns, too_long);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), StatusCode::out_of_range);
}

TEST(KeyEncoding, DecodeNamesTheBadColumn) {
    KeyColumn columns[] = {{.type = KeyType::int16}, {.type = KeyType::text}};
    Bytes unterminated = {0x01, 0x80, 0x01, 0x01, 'a', 0x00};
    auto result = decode_key(columns, unterminated);
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message().find("key column 1"), std::string::npos)
        << result.error().message();
    Bytes trailing = {0x01, 0x80, 0x01, 0x02, 0x07};
    EXPECT_FALSE(decode_key(columns, trailing).has_value());
}

TEST(KeyEncoding, ValuesMustFitTheirType) {
    EXPECT_TRUE(key_value_fits(KeyType::int8, i64{-128}));
    EXPECT_FALSE(key_value_fits(KeyType::int8, i64{128}));
    EXPECT_FALSE(key_value_fits(KeyType::uint8, u64{256}));
    EXPECT_FALSE(key_value_fits(KeyType::int64, u64{1}));
    EXPECT_FALSE(key_value_fits(KeyType::uuid, std::string(15, 'x')));
    EXPECT_TRUE(key_value_fits(KeyType::uuid, KeyNull{}));
}

}  // namespace
}  // namespace kb::kernel
