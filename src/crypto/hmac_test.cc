// HMAC-SHA256 against RFC 4231 test cases 1-7 (case 5 compares the truncated 128-bit tag).
#include "crypto/hmac.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace kb::crypto {
namespace {

Bytes repeated(u8 byte, usize count) { return Bytes(count, byte); }

Bytes text(std::string_view value) {
    ByteSpan bytes = as_bytes(value);
    return Bytes(bytes.begin(), bytes.end());
}

struct Rfc4231Case {
    int number;
    Bytes key;
    Bytes data;
    const char* tag_hex;  // 64 hex digits, or 32 for the truncated case 5
};

std::vector<Rfc4231Case> rfc4231_cases() {
    Bytes ascending_key;
    for (u8 i = 1; i <= 0x19; ++i) ascending_key.push_back(i);
    return {
        {1, repeated(0x0b, 20), text("Hi There"),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {2, text("Jefe"), text("what do ya want for nothing?"),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {3, repeated(0xaa, 20), repeated(0xdd, 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {4, ascending_key, repeated(0xcd, 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {5, repeated(0x0c, 20), text("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
        {6, repeated(0xaa, 131), text("Test Using Larger Than Block-Size Key - Hash Key First"),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {7, repeated(0xaa, 131),
         text("This is a test using a larger than block-size key and a larger than block-size "
              "data. The key needs to be hashed before being used by the HMAC algorithm."),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
}

TEST(HmacSha256, Rfc4231) {
    for (const Rfc4231Case& test : rfc4231_cases()) {
        std::string expected = test.tag_hex;
        auto tag = hmac_sha256(test.key, test.data);
        std::string actual = to_hex(ByteSpan(tag).first(expected.size() / 2));
        EXPECT_EQ(actual, expected) << "RFC 4231 test case " << test.number;
    }
}

TEST(HmacSha256, IncrementalMatchesOneShot) {
    for (const Rfc4231Case& test : rfc4231_cases()) {
        HmacSha256 mac(test.key);
        for (u8 byte : test.data) mac.update(ByteSpan(&byte, 1));
        EXPECT_EQ(mac.finalize(), hmac_sha256(test.key, test.data)) << test.number;
    }
}

TEST(HmacSha256, FinalizeStartsOverUnderTheSameKey) {
    HmacSha256 mac(as_bytes("Jefe"));
    mac.update(as_bytes("what do ya want for nothing?"));
    auto first = mac.finalize();
    mac.update(as_bytes("what do ya want for nothing?"));
    EXPECT_EQ(mac.finalize(), first);
}

TEST(HmacSha256, KeyMatters) {
    EXPECT_NE(hmac_sha256(as_bytes("key-a"), as_bytes("data")),
              hmac_sha256(as_bytes("key-b"), as_bytes("data")));
}

RC_GTEST_PROP(HmacSha256, SplitUpdatesMatchOneShot, (Bytes key, Bytes data, usize split_seed)) {
    usize split = split_seed % (data.size() + 1);
    HmacSha256 mac(key);
    mac.update(ByteSpan(data).first(split));
    mac.update(ByteSpan(data).subspan(split));
    RC_ASSERT(mac.finalize() == hmac_sha256(key, data));
}

}  // namespace
}  // namespace kb::crypto
