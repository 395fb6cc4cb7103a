#include "crypto/hasher.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace kb::crypto {
namespace {

// The boundary: each purpose yields its own digest type, and the types do not mix.
static_assert(std::is_same_v<decltype(hash_bytes<HashPurpose::compliance>({})), ComplianceHash>);
static_assert(std::is_same_v<decltype(hash_bytes<HashPurpose::internal>({})), InternalHash>);
static_assert(std::is_same_v<decltype(sha256({})), ComplianceHash>);
static_assert(std::is_same_v<decltype(blake3({})), InternalHash>);
static_assert(!std::is_assignable_v<ComplianceHash&, InternalHash>);
static_assert(!std::is_constructible_v<ComplianceHash, InternalHash>);

TEST(Hasher, CompliancePurposeIsSha256) {
    // FIPS 180-4 "abc".
    EXPECT_EQ(hash_bytes<HashPurpose::compliance>(as_bytes("abc")).to_hex(),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hasher, InternalPurposeIsBlake3) {
    // The official BLAKE3 vector for the empty input.
    EXPECT_EQ(hash_bytes<HashPurpose::internal>({}).to_hex(),
              "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

TEST(Hasher, FinalizeStartsOver) {
    Hasher<HashPurpose::internal> internal;
    internal.update(as_bytes("first"));
    (void)internal.finalize();
    internal.update(as_bytes("abc"));
    EXPECT_EQ(internal.finalize(), blake3(as_bytes("abc")));

    Hasher<HashPurpose::compliance> compliance;
    compliance.update(as_bytes("first"));
    (void)compliance.finalize();
    compliance.update(as_bytes("abc"));
    EXPECT_EQ(compliance.finalize(), sha256(as_bytes("abc")));
}

}  // namespace
}  // namespace kb::crypto
