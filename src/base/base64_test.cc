// Base64 against the RFC 4648 section 10 vectors, strictness, and a round-trip property.
#include "base/base64.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kb {
namespace {

TEST(Base64, Rfc4648Vectors) {
    const std::pair<const char*, const char*> cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : cases) {
        EXPECT_EQ(base64_encode(as_bytes(plain)), encoded) << plain;
        Bytes decoded;
        ASSERT_TRUE(base64_decode(encoded, &decoded)) << encoded;
        EXPECT_EQ(as_chars(decoded), plain);
    }
}

TEST(Base64, AllAlphabetCharacters) {
    Bytes all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<u8>(i));
    std::string encoded = base64_encode(all);
    EXPECT_NE(encoded.find('+'), std::string::npos);
    EXPECT_NE(encoded.find('/'), std::string::npos);
    Bytes back;
    ASSERT_TRUE(base64_decode(encoded, &back));
    EXPECT_EQ(back, all);
}

TEST(Base64, RejectsMalformed) {
    Bytes out;
    EXPECT_FALSE(base64_decode("Zg=", &out));       // length not a multiple of 4
    EXPECT_FALSE(base64_decode("Zg", &out));        // padding missing
    EXPECT_FALSE(base64_decode("Zm9v\n", &out));    // whitespace
    EXPECT_FALSE(base64_decode("Zm-v", &out));      // URL-safe alphabet
    EXPECT_FALSE(base64_decode("Zg==Zg==", &out));  // padding before the end
    EXPECT_FALSE(base64_decode("Z===", &out));      // too much padding
    EXPECT_FALSE(base64_decode("====", &out));
    EXPECT_FALSE(base64_decode("=Zg=", &out));
    EXPECT_FALSE(base64_decode("Zh==", &out));  // non-zero tail bits: not canonical
    EXPECT_FALSE(base64_decode("Zm9=", &out));
    EXPECT_TRUE(base64_decode("Zm8=", &out));
    std::string with_nul("Zm\0v", 4);
    EXPECT_FALSE(base64_decode(with_nul, &out));
}

RC_GTEST_PROP(Base64, RoundTrips, (Bytes bytes)) {
    std::string encoded = base64_encode(bytes);
    RC_ASSERT(encoded.size() == (bytes.size() + 2) / 3 * 4);
    Bytes back;
    RC_ASSERT(base64_decode(encoded, &back));
    RC_ASSERT(back == bytes);
}

RC_GTEST_PROP(Base64, WhatDecodesReencodesToTheSameText, (std::string text)) {
    Bytes decoded;
    if (base64_decode(text, &decoded)) RC_ASSERT(base64_encode(decoded) == text);
}

}  // namespace
}  // namespace kb
