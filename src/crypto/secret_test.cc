// Key material containers: wiped on move and destruction, never copied implicitly, never
// printed.
#include "crypto/secret.h"

#include <gtest/gtest.h>

#include <new>
#include <type_traits>
#include <utility>

#include "crypto/random.h"

namespace kb::crypto {
namespace {

static_assert(!std::is_copy_constructible_v<Key256>);
static_assert(!std::is_copy_assignable_v<Key256>);
static_assert(std::is_nothrow_move_constructible_v<Key256>);
static_assert(std::is_nothrow_move_assignable_v<Key256>);
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

Key256 filled_key(u8 first) {
    Key256 key;
    auto bytes = key.mutable_bytes();
    for (usize i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<u8>(first + i);
    return key;
}

TEST(SecretKey, DefaultIsZero) {
    Key256 key;
    EXPECT_TRUE(key.is_zero());
}

TEST(SecretKey, FromBytesHoldsThem) {
    std::array<u8, 32> raw{};
    for (usize i = 0; i < raw.size(); ++i) raw[i] = static_cast<u8>(i * 7 + 1);
    Key256 key = Key256::from_bytes(raw);
    for (usize i = 0; i < raw.size(); ++i) EXPECT_EQ(key.bytes()[i], raw[i]);
}

TEST(SecretKey, MovedFromIsZeroed) {
    Key256 source = filled_key(1);
    ASSERT_FALSE(source.is_zero());
    Key256 destination(std::move(source));
    EXPECT_TRUE(source.is_zero());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_EQ(destination.bytes()[0], 1);
    EXPECT_EQ(destination.bytes()[31], 32);
}

TEST(SecretKey, MoveAssignedFromIsZeroed) {
    Key256 source = filled_key(9);
    Key256 destination = filled_key(100);
    destination = std::move(source);
    EXPECT_TRUE(source.is_zero());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(destination.bytes()[0], 9);
}

TEST(SecretKey, DestructorWipesTheStorage) {
    alignas(Key256) unsigned char storage[sizeof(Key256)];
    Key256* key = new (storage) Key256(filled_key(0x41));
    bool nonzero_before = false;
    for (unsigned char byte : storage) nonzero_before |= byte != 0;
    ASSERT_TRUE(nonzero_before);
    key->~Key256();
    for (unsigned char byte : storage) EXPECT_EQ(byte, 0);
}

TEST(SecretKey, CloneIsEqualAndIndependent) {
    Key256 original = filled_key(3);
    Key256 copy = original.clone();
    EXPECT_TRUE(copy == original);
    copy.mutable_bytes()[0] ^= 1;
    EXPECT_FALSE(copy == original);
    EXPECT_EQ(original.bytes()[0], 3);
}

TEST(SecretKey, PrintsRedacted) {
    Key256 key = filled_key(0xab);
    std::string printed = ::testing::PrintToString(key);
    EXPECT_NE(printed.find("redacted"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("ab"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("AB"), std::string::npos) << printed;
}

TEST(SecureZero, ClearsSpans) {
    std::array<u8, 5> bytes = {1, 2, 3, 4, 5};
    secure_zero(bytes);
    for (u8 byte : bytes) EXPECT_EQ(byte, 0);
}

TEST(SecretBytes, HoldsAndCompares) {
    const u8 raw[] = {1, 2, 3};
    SecretBytes secret = SecretBytes::from_bytes(raw);
    ASSERT_EQ(secret.size(), 3u);
    EXPECT_EQ(secret.bytes()[2], 3);
    SecretBytes copy = secret.clone();
    EXPECT_TRUE(copy == secret);
    copy.mutable_bytes()[1] = 9;
    EXPECT_FALSE(copy == secret);
    EXPECT_FALSE(SecretBytes(2) == secret);
}

TEST(SecretBytes, MovedFromIsEmpty) {
    const u8 raw[] = {7, 7, 7, 7};
    SecretBytes source = SecretBytes::from_bytes(raw);
    SecretBytes destination(std::move(source));
    EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(source.bytes().size(), 0u);
    EXPECT_EQ(destination.size(), 4u);

    SecretBytes other = SecretBytes::from_bytes(raw);
    other = std::move(destination);
    EXPECT_TRUE(destination.empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(other.size(), 4u);
}

TEST(SecretBytes, SizedConstructorIsZeroFilled) {
    SecretBytes secret(16);
    ASSERT_EQ(secret.size(), 16u);
    for (u8 byte : secret.bytes()) EXPECT_EQ(byte, 0);
    EXPECT_TRUE(SecretBytes().empty());
}

TEST(SecretBytes, PrintsRedacted) {
    const u8 raw[] = {0xca, 0xfe};
    std::string printed = ::testing::PrintToString(SecretBytes::from_bytes(raw));
    EXPECT_NE(printed.find("redacted"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("ca"), std::string::npos) << printed;
}

}  // namespace
}  // namespace kb::crypto
