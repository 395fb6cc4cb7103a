// Tests of the native protocol's message bodies (native_messages.h, native_codec.h).
#include "server/native_messages.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "server/native_codec.h"

namespace kb::server {
namespace {

using kernel::Value;

IdempotencyId idempotency_of(u8 fill) {
    Bytes bytes(IdempotencyId::kSize, fill);
    return IdempotencyId::from_bytes(bytes);
}

std::vector<Value> every_kind_of_value() {
    kernel::Interval interval;
    interval.months = -3;
    interval.days = 12;
    interval.microseconds = 86'399'999'999;
    kernel::Uuid uuid{};
    for (usize i = 0; i < uuid.size(); ++i) uuid[i] = static_cast<u8>(i * 17);
    return {Value::null(),
            Value::boolean(true),
            Value::int16(-32768),
            Value::int32(std::numeric_limits<i32>::max()),
            Value::int64(std::numeric_limits<i64>::min()),
            Value::float32(-1.5f),
            Value::float64(6.02214076e23),
            Value::numeric(*kernel::Numeric::parse("-12345.678900")),
            Value::numeric(kernel::Numeric::nan()),
            Value::text("héllo ☃"),
            Value::bytea(Bytes{0, 1, 255}),
            Value::date(-730119),
            Value::timestamp(1'000'000),
            Value::timestamptz(-5),
            Value::interval(interval),
            Value::uuid(uuid),
            Value::jsonb(R"({"a": [1, 2]})")};
}

// One message of every type, with fields away from their defaults.
std::vector<NativeMessage> one_of_each() {
    NativeStreamInfo orders{7, "orders", DataClass::phi, 42, std::nullopt};
    NativeStreamInfo old{8, "old", DataClass::public_data, 3, 99};
    return {
        NativeError{NativeErrorCode::conflict, true, "40001", "expected offset 3, stream at 5"},
        NativeHello{"kmb 0.7", "default", NativeAuthMethod::scram_sha_256, "admin",
                    Bytes{'n', ',', ',', 'n', '=', ',', 'r', '=', 'x'}},
        NativeAuthContinue{Bytes{1, 2, 3}},
        NativeReady{"kimberlite 0.7.0", 1u << 20, 64, 3, true},
        NativePing{},
        NativePong{},
        NativeServerInfo{},
        NativeServerInfoReply{"kimberlite 0.7.0", 998},
        NativeStreamCreate{"orders", DataClass::pii},
        NativeStreamCreated{7},
        NativeStreamList{},
        NativeStreamListReply{{orders, old}},
        NativeStreamDescribe{"orders"},
        NativeStreamDescribeReply{old},
        NativeAppend{7, 41, idempotency_of(0xAB), {Bytes{'a'}, Bytes{}, Bytes(300, 'z')}},
        NativeAppend{7, std::nullopt, IdempotencyId{}, {Bytes{'b'}}},
        NativeAppended{41, 3, 1234},
        NativeRead{7, 10, 0},
        NativeEvents{{{10, 500, Bytes{'e'}}, {11, 501, Bytes{}}}, 12},
        NativeSubscribe{7, 0, 1000},
        NativeCredit{15, 500},
        NativeUnsubscribe{15},
        NativeUnsubscribed{12},
        NativeQuery{"SELECT $1::int + $2", {Value::int32(1), Value::null()}},
        NativeRows{{{"a", kernel::ValueKind::int64, 20}, {"b", kernel::ValueKind::text, 25}},
                   {{Value::int64(1), Value::text("x")}, {Value::null(), Value::text("")}},
                   "SELECT 2"},
        NativeRows{{}, {every_kind_of_value()}, ""},
        NativeAttest{},
        NativeAttestation{R"({"position": 12})"},
        NativeDigest{},
    };
}

Bytes body_of(const NativeMessage& message) {
    Bytes body;
    encode_native_message(body, message);
    return body;
}

TEST(NativeMessages, EveryTypeRoundTrips) {
    std::set<NativeType> types;
    for (const NativeMessage& message : one_of_each()) {
        const NativeType type = native_type_of(message);
        types.insert(type);
        auto decoded = decode_native_message(static_cast<u16>(type), body_of(message));
        ASSERT_TRUE(decoded.has_value())
            << native_type_name(type) << ": " << decoded.status().message();
        EXPECT_TRUE(*decoded == message) << native_type_name(type);
    }
    EXPECT_EQ(types.size(), std::variant_size_v<NativeMessage>);  // every alternative was tried
}

TEST(NativeMessages, EveryCutShortOrOverlongBodyIsRefused) {
    for (const NativeMessage& message : one_of_each()) {
        const u16 type = static_cast<u16>(native_type_of(message));
        const Bytes body = body_of(message);
        for (usize size = 0; size < body.size(); ++size) {
            EXPECT_FALSE(decode_native_message(type, ByteSpan(body).first(size)).has_value())
                << native_type_name(native_type_of(message)) << " cut to " << size;
        }
        Bytes longer = body;
        longer.push_back(0);
        auto decoded = decode_native_message(type, longer);
        ASSERT_FALSE(decoded.has_value());
        EXPECT_NE(decoded.status().message().find("1 trailing bytes"), std::string::npos);
    }
}

TEST(NativeMessages, UnknownTypeIsUnsupported) {
    auto decoded = decode_native_message(999, {});
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.status().code(), StatusCode::unsupported);
    // A response type number one past the last request is not a message either.
    EXPECT_FALSE(decode_native_message(116, {}).has_value());
}

TEST(NativeMessages, RefusesBadFieldValues) {
    // A presence byte other than 0 or 1.
    Bytes append = body_of(NativeAppend{7, 41, IdempotencyId{}, {Bytes{'a'}}});
    append[8] = 2;
    auto decoded = decode_native_message(static_cast<u16>(NativeType::append), append);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_NE(decoded.status().message().find("expected_offset is 2, not 0 or 1"),
              std::string::npos);

    // Invalid UTF-8 in a string.
    Bytes describe = body_of(NativeStreamDescribe{"ab"});
    describe.back() = 0xFF;
    EXPECT_FALSE(
        decode_native_message(static_cast<u16>(NativeType::stream_describe), describe).has_value());

    // An unknown data class and an unknown value kind.
    Bytes create = body_of(NativeStreamCreate{"s", DataClass::pci});
    create.back() = 6;
    decoded = decode_native_message(static_cast<u16>(NativeType::stream_create), create);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_NE(decoded.status().message().find("names no data class"), std::string::npos);
    Bytes query = body_of(NativeQuery{"SELECT $1", {Value::null()}});
    query.back() = 16;
    decoded = decode_native_message(static_cast<u16>(NativeType::query), query);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_NE(decoded.status().message().find("unknown kind 16"), std::string::npos);

    // A numeric whose text is not a number.
    Bytes numeric;
    NativeWriter writer(numeric);
    writer.put_string("SELECT $1");
    writer.put_count(1);
    writer.put(static_cast<u8>(kernel::ValueKind::numeric));
    writer.put_string("twelve");
    EXPECT_FALSE(decode_native_message(static_cast<u16>(NativeType::query), numeric).has_value());
}

TEST(NativeMessages, AHostileCountAllocatesNothing) {
    // Four billion events announced in a 28-byte body: refused before any allocation.
    Bytes body;
    NativeWriter writer(body);
    writer.put(u64{7});
    writer.put_bool(false);
    writer.put_raw(IdempotencyId{}.bytes());
    writer.put(std::numeric_limits<u32>::max());
    auto decoded = decode_native_message(static_cast<u16>(NativeType::append), body);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_NE(decoded.status().message().find("more than the message holds"), std::string::npos);
}

TEST(NativeMessages, AnErrorWithANewerCodeIsKeptAsInternal) {
    Bytes body = body_of(NativeError{NativeErrorCode::timeout, false, "", "slow"});
    body[0] = 200;  // a code this version does not know
    auto decoded = decode_native_message(static_cast<u16>(NativeType::error), body);
    ASSERT_TRUE(decoded.has_value());
    const auto& error = std::get<NativeError>(*decoded);
    EXPECT_EQ(error.code, NativeErrorCode::internal);
    EXPECT_EQ(error.message, "slow");
}

}  // namespace
}  // namespace kb::server
