// Trusted-keys file parsing: keys, comments, blank lines, and errors that name the line.
#include "storage/trusted_keys.h"

#include <gtest/gtest.h>

#include "storage/test_segment_builder.h"

namespace kb::storage {
namespace {

using testing::test_signing_key;

TEST(TrustedKeysTest, ParsesKeysCommentsAndBlankLines) {
    const auto a = test_signing_key(1).public_key();
    const auto b = test_signing_key(2).public_key();
    std::string upper_b = b.to_hex();
    for (char& c : upper_b) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string text = "# replicas of cluster prod\n\n  " + a.to_hex() + "   # node 1\r\n\t" +
                             upper_b + "\n#" + test_signing_key(3).public_key().to_hex() +
                             "\n   \n";
    auto parsed = TrustedKeys::parse(text, "keys.txt");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(parsed->size(), 2u);
    EXPECT_TRUE(parsed->contains(a));
    EXPECT_TRUE(parsed->contains(b));
    EXPECT_FALSE(parsed->contains(test_signing_key(3).public_key()));  // commented out
}

TEST(TrustedKeysTest, LastLineWithoutNewlineAndDuplicates) {
    const auto a = test_signing_key(1).public_key();
    auto parsed = TrustedKeys::parse(a.to_hex() + "\n" + a.to_hex(), "k");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->size(), 1u);
    EXPECT_EQ(parsed->keys().front(), a);
}

TEST(TrustedKeysTest, BadLineIsNamed) {
    const auto a = test_signing_key(1).public_key();
    const std::string text = a.to_hex() + "\n\n" + a.to_hex().substr(0, 63) + "\n";
    auto parsed = TrustedKeys::parse(text, "/etc/kmb/trusted");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().code(), StatusCode::invalid_argument);
    EXPECT_NE(parsed.error().message().find("/etc/kmb/trusted line 3"), std::string::npos)
        << parsed.error().message();
    EXPECT_NE(parsed.error().message().find("63 characters"), std::string::npos);
}

TEST(TrustedKeysTest, RejectsNonHexTwoKeysOnALineAndNothing) {
    const auto a = test_signing_key(1).public_key();
    EXPECT_FALSE(TrustedKeys::parse("zz" + a.to_hex().substr(2) + "\n", "k").has_value());
    EXPECT_FALSE(TrustedKeys::parse(a.to_hex() + " " + a.to_hex() + "\n", "k").has_value());
    EXPECT_FALSE(TrustedKeys::parse("ed25519:" + a.to_hex() + "\n", "k").has_value());
    auto empty = TrustedKeys::parse("# nobody\n\n", "k");
    ASSERT_FALSE(empty.has_value());
    EXPECT_NE(empty.error().message().find("no trusted keys"), std::string::npos);
    EXPECT_FALSE(TrustedKeys::parse("", "k").has_value());
}

TEST(TrustedKeysTest, QuotesBinaryGarbageSafely) {
    std::string garbage = "\x01\x02\xff\x7f";
    garbage += std::string(100, 'x');
    auto parsed = TrustedKeys::parse(garbage, "k");
    ASSERT_FALSE(parsed.has_value());
    for (char c : parsed.error().message()) {
        EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
    }
    EXPECT_NE(parsed.error().message().find("..."), std::string::npos);
}

}  // namespace
}  // namespace kb::storage
