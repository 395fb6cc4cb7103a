// HKDF-SHA256 against RFC 5869 appendix A test cases 1-3 (PRK and OKM), and its limits.
#include "crypto/hkdf.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace kb::crypto {
namespace {

Bytes hex(std::string_view digits) {
    Bytes out;
    EXPECT_TRUE(from_hex(digits, &out)) << digits;
    return out;
}

Bytes sequence(u8 first, u8 last) {
    Bytes out;
    for (unsigned value = first; value <= last; ++value) out.push_back(static_cast<u8>(value));
    return out;
}

struct Rfc5869Case {
    int number;
    Bytes ikm;
    Bytes salt;
    Bytes info;
    usize length;
    const char* prk_hex;
    const char* okm_hex;
};

std::vector<Rfc5869Case> rfc5869_cases() {
    return {
        {1, Bytes(22, 0x0b), sequence(0x00, 0x0c), sequence(0xf0, 0xf9), 42,
         "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
         "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
        {2, sequence(0x00, 0x4f), sequence(0x60, 0xaf), sequence(0xb0, 0xff), 82,
         "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
         "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c6"
         "5e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
        {3, Bytes(22, 0x0b), Bytes(), Bytes(), 42,
         "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
         "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
    };
}

TEST(Hkdf, Rfc5869ExtractAndExpand) {
    for (const Rfc5869Case& test : rfc5869_cases()) {
        auto prk = hkdf_extract_sha256(test.salt, test.ikm);
        EXPECT_EQ(to_hex(prk), test.prk_hex) << "RFC 5869 test case " << test.number;
        Bytes okm(test.length);
        hkdf_expand_sha256(prk, test.info, okm);
        EXPECT_EQ(to_hex(okm), test.okm_hex) << "RFC 5869 test case " << test.number;
    }
}

TEST(Hkdf, Rfc5869OneCall) {
    for (const Rfc5869Case& test : rfc5869_cases()) {
        Bytes okm(test.length);
        hkdf_sha256(test.ikm, test.salt, test.info, okm);
        EXPECT_EQ(okm, hex(test.okm_hex)) << "RFC 5869 test case " << test.number;
    }
}

TEST(Hkdf, LongestOutputIs255Blocks) {
    Bytes okm(kHkdfSha256OutputMax);
    hkdf_sha256(as_bytes("ikm"), as_bytes("salt"), as_bytes("info"), okm);
    // The last block is T(255): equal to a fresh expansion's tail.
    Bytes again(kHkdfSha256OutputMax);
    hkdf_sha256(as_bytes("ikm"), as_bytes("salt"), as_bytes("info"), again);
    EXPECT_EQ(okm, again);
    EXPECT_NE(Bytes(okm.end() - 32, okm.end()), Bytes(okm.end() - 64, okm.end() - 32));
}

TEST(HkdfDeathTest, OutputOver255BlocksIsAProgrammerError) {
    Bytes okm(kHkdfSha256OutputMax + 1);
    EXPECT_DEATH(hkdf_sha256(as_bytes("ikm"), {}, {}, okm), "255 blocks");
}

TEST(Hkdf, InfoSeparatesKeys) {
    Bytes a(32), b(32);
    hkdf_sha256(as_bytes("root"), {}, as_bytes("segment 1"), a);
    hkdf_sha256(as_bytes("root"), {}, as_bytes("segment 2"), b);
    EXPECT_NE(a, b);
}

RC_GTEST_PROP(Hkdf, ShorterOutputIsAPrefix, (Bytes ikm, Bytes info, u16 length_seed)) {
    usize length = length_seed % 300;
    Bytes full(300), part(length);
    hkdf_sha256(ikm, as_bytes("salt"), info, full);
    hkdf_sha256(ikm, as_bytes("salt"), info, part);
    RC_ASSERT(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length)) == part);
}

}  // namespace
}  // namespace kb::crypto
