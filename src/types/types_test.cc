#include <gtest/gtest.h>

#include <type_traits>

#include "types/data_class.h"
#include "types/hash.h"
#include "types/ids.h"
#include "types/limits.h"

namespace kb {
namespace {

// The point of strong types: these must not compile. Checked with traits so the test file
// itself still builds.
static_assert(!std::is_convertible_v<StreamId, Offset>);
static_assert(!std::is_convertible_v<Offset, Position>);
static_assert(!std::is_convertible_v<u64, Position>, "construction from u64 is explicit");
static_assert(!std::is_convertible_v<TenantId, StreamId>);
static_assert(!std::is_convertible_v<InternalHash, ComplianceHash>);
static_assert(!std::is_convertible_v<ComplianceHash, InternalHash>);
template <class A, class B>
concept EqualityComparable = requires(A a, B b) {
    a == b;
};
static_assert(EqualityComparable<Position, Position>);
static_assert(!EqualityComparable<Position, Offset>);
static_assert(!EqualityComparable<StreamId, TenantId>);

TEST(Ids, OrderAndArithmetic) {
    Position p(41);
    EXPECT_EQ(p.next(), Position(42));
    EXPECT_LT(p, p.next());
    EXPECT_EQ(Offset(3).advanced_by(4), Offset(7));
    EXPECT_EQ(to_string(Timestamp::from_seconds(0)), "1970-01-01T00:00:00.000000000Z");
    EXPECT_EQ(to_string(Timestamp(1'700'000'000'123'456'789ull)), "2023-11-14T22:13:20.123456789Z");
}

TEST(Hash, HexRoundTripAndZero) {
    ComplianceHash zero;
    EXPECT_TRUE(zero.is_zero());
    ComplianceHash parsed;
    const std::string hex = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
    ASSERT_TRUE(ComplianceHash::from_hex(hex, &parsed));
    EXPECT_EQ(parsed.to_hex(), hex);
    EXPECT_FALSE(parsed.is_zero());
    EXPECT_FALSE(ComplianceHash::from_hex("af13", &parsed));
}

TEST(IdempotencyId, NoneIsZero) {
    IdempotencyId none;
    EXPECT_TRUE(none.is_none());
    u8 raw[16] = {1};
    EXPECT_FALSE(IdempotencyId::from_bytes(raw).is_none());
}

TEST(DataClass, NamesRoundTrip) {
    for (u8 byte = 0; byte <= static_cast<u8>(kDataClassMax); ++byte) {
        auto data_class = data_class_from_byte(byte);
        ASSERT_TRUE(data_class.has_value());
        EXPECT_EQ(parse_data_class(data_class_name(*data_class)), data_class);
    }
    EXPECT_EQ(parse_data_class("PHI"), DataClass::phi);
    EXPECT_FALSE(parse_data_class("secret").has_value());
    EXPECT_FALSE(data_class_from_byte(6).has_value());
}

}  // namespace
}  // namespace kb
