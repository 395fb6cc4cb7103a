// Wire types: OIDs and modifiers, binary encodings byte for byte as PostgreSQL 15's typsend
// functions produce them (expected bytes taken from a PostgreSQL 15.18 server:
// SELECT numeric_send(...), date_send(...), ...), round trips in both formats for every type
// including edge values, and every rejection of a malformed binary parameter.
#include "server/pg_types.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

#include "sql/value_io.h"

namespace kb::server {
namespace {

using kernel::Numeric;
using kernel::Value;
using sql::SqlType;
using sql::Type;

Value input(std::string_view text, SqlType type) {
    auto value = sql::value_input(text, type);
    EXPECT_TRUE(value.has_value()) << text << ": " << value.error().to_string();
    return value ? *value : Value();
}

std::string binary_hex(const Value& value) {
    Bytes out;
    pg_encode_binary(value, out);
    return to_hex(out);
}

std::string text_of(const Value& value) {
    Bytes out;
    pg_encode_text(value, out);
    return std::string(as_chars(out));
}

// Binary and text round trips; the value must come back identical (same kind, same bits).
void expect_round_trips(const Value& value, const Type& type) {
    for (PgFormat format : {PgFormat::binary, PgFormat::text}) {
        Bytes out;
        pg_encode_value(value, format, out);
        auto back = pg_decode_value(out, type, format);
        ASSERT_TRUE(back.has_value()) << value.debug_string() << ": " << back.error().to_string();
        if (format == PgFormat::text && value.kind() == kernel::ValueKind::numeric) {
            // Text keeps the display scale too, so numerics come back identical as well.
            EXPECT_EQ(back->as_numeric(), value.as_numeric()) << value.debug_string();
        }
        EXPECT_EQ(*back, value) << value.debug_string() << " via "
                                << (format == PgFormat::binary ? "binary" : "text");
    }
}

std::string decode_error(std::string_view hex, const Type& type) {
    Bytes bytes;
    EXPECT_TRUE(from_hex(hex, &bytes));
    auto value = pg_decode_binary(bytes, type);
    if (value.has_value()) return "decoded " + value->debug_string();
    return value.error().sqlstate + " " + value.error().message;
}

TEST(PgTypes, OidsLengthsAndModifiers) {
    const auto info = [](const Type& type) {
        const PgTypeInfo i = pg_type_info(type);
        return std::to_string(i.oid) + "/" + std::to_string(i.length) + "/" +
               std::to_string(i.modifier);
    };
    EXPECT_EQ(info(Type::of(SqlType::boolean)), "16/1/-1");
    EXPECT_EQ(info(Type::of(SqlType::bytea)), "17/-1/-1");
    EXPECT_EQ(info(Type::of(SqlType::bigint)), "20/8/-1");
    EXPECT_EQ(info(Type::of(SqlType::smallint)), "21/2/-1");
    EXPECT_EQ(info(Type::of(SqlType::integer)), "23/4/-1");
    EXPECT_EQ(info(Type::of(SqlType::text)), "25/-1/-1");
    EXPECT_EQ(info(Type::of(SqlType::real)), "700/4/-1");
    EXPECT_EQ(info(Type::of(SqlType::double_precision)), "701/8/-1");
    EXPECT_EQ(info(Type::unknown_type()), "705/-2/-1");
    EXPECT_EQ(info(Type::character(3)), "1042/-1/7");
    EXPECT_EQ(info(Type::of(SqlType::character)), "1042/-1/-1");
    EXPECT_EQ(info(Type::varchar(10)), "1043/-1/14");
    EXPECT_EQ(info(Type::of(SqlType::varchar)), "1043/-1/-1");
    EXPECT_EQ(info(Type::of(SqlType::date)), "1082/4/-1");
    EXPECT_EQ(info(Type::of(SqlType::timestamp)), "1114/8/-1");
    EXPECT_EQ(info(Type::of(SqlType::timestamptz)), "1184/8/-1");
    EXPECT_EQ(info(Type::of(SqlType::interval)), "1186/16/-1");
    EXPECT_EQ(info(Type::of(SqlType::numeric)), "1700/-1/-1");
    // numeric(10,2): ((10 << 16) | 2) + 4, as atttypmod holds it.
    EXPECT_EQ(info(Type::numeric(10, 2)), "1700/-1/655366");
    EXPECT_EQ(info(Type::of(SqlType::uuid)), "2950/16/-1");
    EXPECT_EQ(info(Type::of(SqlType::jsonb)), "3802/-1/-1");
}

TEST(PgTypes, DeclaredParameterOids) {
    for (SqlType id = SqlType::smallint; id <= kernel::kSqlTypeMax;
         id = static_cast<SqlType>(static_cast<u8>(id) + 1)) {
        auto back = pg_type_from_oid(pg_type_oid(Type::of(id)));
        ASSERT_TRUE(back.has_value());
        ASSERT_TRUE(back->has_value());
        EXPECT_EQ(**back, Type::of(id)) << sql::type_name(id);
    }
    EXPECT_EQ(*pg_type_from_oid(0), std::nullopt);
    EXPECT_EQ(*pg_type_from_oid(705), std::nullopt);
    auto array = pg_type_from_oid(1007);  // int4[]
    ASSERT_FALSE(array.has_value());
    EXPECT_EQ(array.error().sqlstate, "0A000");
    EXPECT_EQ(array.error().message, "parameter type with OID 1007 is not supported");
}

TEST(PgTypes, BinaryBytesMatchPostgres) {
    EXPECT_EQ(binary_hex(Value::boolean(true)), "01");
    EXPECT_EQ(binary_hex(Value::boolean(false)), "00");
    EXPECT_EQ(binary_hex(Value::int16(-2)), "fffe");
    EXPECT_EQ(binary_hex(Value::int32(42)), "0000002a");
    EXPECT_EQ(binary_hex(Value::int64(std::numeric_limits<i64>::min())), "8000000000000000");
    EXPECT_EQ(binary_hex(Value::float32(std::numeric_limits<float>::quiet_NaN())), "7fc00000");
    EXPECT_EQ(binary_hex(Value::float32(-std::numeric_limits<float>::infinity())), "ff800000");
    EXPECT_EQ(binary_hex(Value::float64(-0.0)), "8000000000000000");
    EXPECT_EQ(binary_hex(Value::float64(1.5)), "3ff8000000000000");

    const auto numeric = [](std::string_view text) { return input(text, SqlType::numeric); };
    EXPECT_EQ(binary_hex(numeric("0")), "0000000000000000");
    EXPECT_EQ(binary_hex(numeric("0.000")), "0000000000000003");
    EXPECT_EQ(binary_hex(numeric("1.50")), "000200000000000200011388");
    EXPECT_EQ(binary_hex(numeric("-0.0001")), "0001ffff400000040001");
    EXPECT_EQ(binary_hex(numeric("-123.456")), "0002000040000003007b11d0");
    EXPECT_EQ(binary_hex(numeric("1e-20")), "0001fffb000000140001");
    EXPECT_EQ(binary_hex(numeric("100000")), "0001000100000000000a");
    EXPECT_EQ(binary_hex(numeric("12345678.9")), "000300010000000104d2162e2328");
    EXPECT_EQ(binary_hex(numeric("9999.9999")), "0002000000000004270f270f");
    EXPECT_EQ(binary_hex(numeric("NaN")), "00000000c0000000");
    EXPECT_EQ(binary_hex(numeric("Infinity")), "00000000d0000020");
    EXPECT_EQ(binary_hex(numeric("-Infinity")), "00000000f0000020");

    EXPECT_EQ(binary_hex(input("-infinity", SqlType::date)), "80000000");
    EXPECT_EQ(binary_hex(input("4714-11-24 BC", SqlType::date)), "ffda97a7");
    EXPECT_EQ(binary_hex(input("2024-02-29", SqlType::date)), "00002279");
    EXPECT_EQ(binary_hex(input("5874897-12-31", SqlType::date)), "7fda970c");
    EXPECT_EQ(binary_hex(input("2000-01-01 00:00:00.000001", SqlType::timestamp)),
              "0000000000000001");
    EXPECT_EQ(binary_hex(input("294276-12-31 23:59:59.999999", SqlType::timestamp)),
              "7fffff5bb3b29fff");
    EXPECT_EQ(binary_hex(input("infinity", SqlType::timestamp)), "7fffffffffffffff");
    EXPECT_EQ(binary_hex(input("1970-01-01 00:00+00", SqlType::timestamptz)), "fffca2fec4c82000");
    EXPECT_EQ(binary_hex(input("-1 year -2 days -00:00:00.5", SqlType::interval)),
              "fffffffffff85ee0fffffffefffffff4");
    EXPECT_EQ(binary_hex(input("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", SqlType::uuid)),
              "a0eebc999c0b4ef8bb6d6bb9bd380a11");
    EXPECT_EQ(binary_hex(input(R"({"b": 1, "a": [true]})", SqlType::jsonb)),
              "017b2261223a205b747275655d2c202262223a20317d");
    EXPECT_EQ(binary_hex(Value::text("h\xc3\xa9llo")), "68c3a96c6c6f");
    EXPECT_EQ(binary_hex(Value::text("ab ")), "616220");  // char(3) arrives padded
    EXPECT_EQ(binary_hex(Value::bytea({0, 0xff})), "00ff");
}

TEST(PgTypes, TextIsTheOutputFunction) {
    EXPECT_EQ(text_of(Value::boolean(true)), "t");
    EXPECT_EQ(text_of(Value::int16(-32768)), "-32768");
    EXPECT_EQ(text_of(Value::int64(std::numeric_limits<i64>::min())), "-9223372036854775808");
    EXPECT_EQ(text_of(Value::float64(0.1)), "0.1");
    EXPECT_EQ(text_of(Value::float32(std::numeric_limits<float>::infinity())), "Infinity");
    EXPECT_EQ(text_of(input("1.50", SqlType::numeric)), "1.50");
    EXPECT_EQ(text_of(Value::bytea({0xde, 0xad})), "\\xdead");
    EXPECT_EQ(text_of(input("2024-02-29 12:00:00.5", SqlType::timestamp)), "2024-02-29 12:00:00.5");
    EXPECT_EQ(text_of(input("1 mon 2 days", SqlType::interval)), "1 mon 2 days");
    EXPECT_EQ(text_of(input(R"({"a":1})", SqlType::jsonb)), R"({"a": 1})");
}

TEST(PgTypes, EveryTypeRoundTripsWithEdgeValues) {
    const auto check = [](std::string_view text, SqlType id) {
        SCOPED_TRACE(std::string(text) + " as " + sql::type_name(id));
        expect_round_trips(input(text, id), Type::of(id));
    };
    for (auto text : {"true", "false"}) check(text, SqlType::boolean);
    for (auto text : {"0", "-32768", "32767"}) check(text, SqlType::smallint);
    for (auto text : {"0", "-2147483648", "2147483647"}) check(text, SqlType::integer);
    for (auto text : {"-9223372036854775808", "9223372036854775807"}) check(text, SqlType::bigint);
    for (auto text : {"0", "-0", "1.5", "NaN", "Infinity", "-Infinity", "3.4028235e+38", "1e-45"}) {
        check(text, SqlType::real);
    }
    for (auto text :
         {"0", "-0", "0.1", "NaN", "Infinity", "-Infinity", "1.7976931348623157e+308", "5e-324"}) {
        check(text, SqlType::double_precision);
    }
    for (auto text : {"0", "0.00", "-1.5", "1.50", "NaN", "Infinity", "-Infinity", "10000",
                      "0.0001", "99999999999999999999999999999.000000000000000000001",
                      "-0.00000000000000000000000000000000000000012345"}) {
        check(text, SqlType::numeric);
    }
    check("1" + std::string(1000, '0') + "." + std::string(1000, '9'), SqlType::numeric);
    check("0." + std::string(16382, '0') + "1", SqlType::numeric);  // the largest scale
    for (auto text : {"", "abc", "h\xc3\xa9llo \xf0\x9f\x98\x80"}) {
        check(text, SqlType::text);
        check(text, SqlType::varchar);
    }
    check("ab ", SqlType::character);
    for (auto text : {"\\x", "\\x00ff10"}) check(text, SqlType::bytea);
    for (auto text :
         {"2000-01-01", "1999-12-31", "4714-11-24 BC", "5874897-12-31", "infinity", "-infinity"}) {
        check(text, SqlType::date);
    }
    for (auto text : {"2000-01-01 00:00", "1900-02-28 23:59:59.999999", "4714-11-24 00:00 BC",
                      "294276-12-31 23:59:59.999999", "infinity", "-infinity"}) {
        check(text, SqlType::timestamp);
        check(text, SqlType::timestamptz);
    }
    for (auto text :
         {"0", "1 mon", "-1 year -2 days -00:00:00.5", "178000000 years", "1 day 25:00:00"}) {
        check(text, SqlType::interval);
    }
    for (auto text :
         {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}) {
        check(text, SqlType::uuid);
    }
    for (auto text : {"null", "[]", R"({"k": [1, "two", null], "a": 2.50})", "\"\\u00e9\""}) {
        check(text, SqlType::jsonb);
    }
}

TEST(PgTypes, BinaryInputEdgesAsPostgresReadsThem) {
    const Type numeric = Type::of(SqlType::numeric);
    const auto numeric_text = [&](std::string_view hex) {
        Bytes bytes;
        EXPECT_TRUE(from_hex(hex, &bytes));
        auto value = pg_decode_binary(bytes, numeric);
        return value ? value->as_numeric().to_string() : value.error().to_string();
    };
    // Digits the scale hides are truncated (-1.2345 with dscale 2 reads as -1.23).
    EXPECT_EQ(numeric_text("00020000400000020001"
                           "0929"),
              "-1.23");
    // A negative zero is zero; zero digits and a far negative weight are fine.
    EXPECT_EQ(numeric_text("0002ffff4000000500000000"), "0.00000");
    EXPECT_EQ(numeric_text("00018000000000050001"), "0.00000");
    // Leading zero digits are dropped.
    EXPECT_EQ(numeric_text("000200010000000000000007"), "7");
    // The largest weight: 10000^32767 has 131069 digits.
    EXPECT_EQ(numeric_text("00017fff000000000001").size(), 131069u);
    // Digits of an infinity are read and ignored; NaN is NaN whatever its scale.
    EXPECT_EQ(numeric_text("00010000d00000000001"), "Infinity");
    EXPECT_EQ(numeric_text("00000000c0000005"), "NaN");
    // Any non-zero byte is true.
    EXPECT_EQ(decode_error("02", Type::of(SqlType::boolean)), "decoded boolean true");
}

TEST(PgTypes, MalformedBinaryParametersAreRefused) {
    const auto of = [](SqlType id) { return Type::of(id); };
    EXPECT_EQ(decode_error("000001", of(SqlType::integer)),
              "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("0000000100", of(SqlType::integer)),
              "22P03 incorrect binary data format");
    EXPECT_EQ(decode_error("", of(SqlType::boolean)), "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("0000", of(SqlType::boolean)), "22P03 incorrect binary data format");
    EXPECT_EQ(decode_error("01", of(SqlType::smallint)), "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("00000000000000", of(SqlType::bigint)),
              "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("000000", of(SqlType::real)), "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("000000000000000000", of(SqlType::double_precision)),
              "22P03 incorrect binary data format");
    EXPECT_EQ(decode_error("00", of(SqlType::uuid)), "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("0000000000000000000000000000000000", of(SqlType::interval)),
              "22P03 incorrect binary data format");
    // numeric: header, sign, scale, digits, length.
    EXPECT_EQ(decode_error("00010000", of(SqlType::numeric)),
              "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("0001000000000000", of(SqlType::numeric)),
              "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("000000000000000000", of(SqlType::numeric)),
              "22P03 incorrect binary data format");
    EXPECT_EQ(decode_error("0000000080000000", of(SqlType::numeric)),
              "22P03 invalid sign in external \"numeric\" value");
    EXPECT_EQ(decode_error("000000000000c000", of(SqlType::numeric)),
              "22P03 invalid scale in external \"numeric\" value");
    EXPECT_EQ(decode_error("0001000000000000"
                           "2710",
                           of(SqlType::numeric)),
              "22P03 invalid digit in external \"numeric\" value");
    // dates and timestamps out of range (the infinities are fine).
    EXPECT_EQ(decode_error("ffda97a6", of(SqlType::date)), "22008 date out of range");
    EXPECT_EQ(decode_error("7fda970d", of(SqlType::date)), "22008 date out of range");
    EXPECT_EQ(decode_error("7fffffff", of(SqlType::date)), "decoded date 2147483647");
    EXPECT_EQ(decode_error("7fffff5bb3b2a000", of(SqlType::timestamp)),
              "22008 timestamp out of range");
    EXPECT_EQ(decode_error("fd0f1a2f8a7fffff", of(SqlType::timestamptz)),
              "22008 timestamp out of range");
    // text must be UTF-8 without NUL, whatever the text type.
    EXPECT_EQ(decode_error("ff", of(SqlType::text)).substr(0, 5), "22021");
    EXPECT_EQ(decode_error("6100", of(SqlType::varchar)).substr(0, 5), "22021");
    EXPECT_EQ(decode_error("c3", of(SqlType::character)).substr(0, 5), "22021");
    // jsonb: version byte 1, then JSON text.
    EXPECT_EQ(decode_error("", of(SqlType::jsonb)), "08P01 insufficient data left in message");
    EXPECT_EQ(decode_error("027b7d", of(SqlType::jsonb)),
              "22P03 unsupported jsonb version number 2");
    EXPECT_EQ(decode_error("017b", of(SqlType::jsonb)).substr(0, 5), "22P02");
    // bytea takes anything.
    EXPECT_EQ(decode_error("00ff", of(SqlType::bytea)), "decoded bytea \\x00ff");
}

TEST(PgTypes, MalformedTextParametersAreRefused) {
    const auto error = [](std::string_view text, SqlType id) {
        auto value = pg_decode_text(as_bytes(text), Type::of(id));
        return value ? "decoded" : value.error().sqlstate + " " + value.error().message;
    };
    EXPECT_EQ(error("12x", SqlType::integer),
              "22P02 invalid input syntax for type integer: \"12x\"");
    EXPECT_EQ(error("99999", SqlType::smallint),
              "22003 value \"99999\" is out of range for type smallint");
    EXPECT_EQ(error(std::string_view("a\0b", 3), SqlType::text).substr(0, 5), "22021");
    EXPECT_EQ(error("\xff", SqlType::integer).substr(0, 5), "22021");
}

// Any binary parameter bytes for any type: a value or a SqlError, never a crash; and a value
// that decodes encodes back to bytes that decode to the same value.
RC_GTEST_PROP(PgTypesProperty, ArbitraryBinaryParameters, (const std::vector<u8>& bytes, u8 type)) {
    const SqlType id = static_cast<SqlType>(1 + type % static_cast<u8>(kernel::kSqlTypeMax));
    auto value = pg_decode_binary(bytes, Type::of(id));
    if (!value) return;
    Bytes again;
    pg_encode_binary(*value, again);
    auto back = pg_decode_binary(again, Type::of(id));
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == *value);
}

RC_GTEST_PROP(PgTypesProperty, NumericsRoundTrip,
              (const std::string& digits, u16 scale, bool negative)) {
    std::string clean;
    for (char c : digits)
        clean.push_back(static_cast<char>('0' + static_cast<unsigned char>(c) % 10));
    while (!clean.empty() && clean.front() == '0') clean.erase(clean.begin());
    auto numeric = Numeric::from_parts(negative && !clean.empty(), clean, scale % 200);
    RC_PRE(numeric.has_value());
    const Value value = Value::numeric(*numeric);
    for (PgFormat format : {PgFormat::binary, PgFormat::text}) {
        Bytes out;
        pg_encode_value(value, format, out);
        auto back = pg_decode_value(out, Type::of(SqlType::numeric), format);
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == value);
    }
}

}  // namespace
}  // namespace kb::server
