// Tests of key wrapping: round trips, identity binding, tamper detection, the encoding.
#include "crypto/key_wrap.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <vector>

#include "base/endian.h"

namespace kb::crypto {
namespace {

constexpr WrapContext kKek7{.purpose = KeyPurpose::tenant_kek, .tenant = TenantId(7)};

Key256 key_from(const std::vector<u8>& bytes) {
    return Key256::from_bytes(std::span<const u8, 32>(bytes.data(), 32));
}

rc::Gen<std::vector<u8>> key_bytes() {
    return rc::gen::container<std::vector<u8>>(32, rc::gen::arbitrary<u8>());
}

RC_GTEST_PROP(KeyWrap, WrapEncodeDecodeUnwrapRoundTrip, ()) {
    Key256 wrapping = key_from(*key_bytes());
    Key256 key = key_from(*key_bytes());
    KeyId wrapping_id(*rc::gen::inRange<u64>(1, ~u64{0}));
    KeyId key_id(*rc::gen::inRange<u64>(1, ~u64{0}));
    auto purpose =
        *rc::gen::element(KeyPurpose::tenant_kek, KeyPurpose::tenant_root, KeyPurpose::system_root);
    TenantId tenant(purpose == KeyPurpose::system_root ? 0 : *rc::gen::inRange<u64>(1, ~u64{0}));
    WrapContext context{.purpose = purpose, .tenant = tenant};
    SeededRandom random(*rc::gen::arbitrary<u64>());

    WrappedKey wrapped = wrap_key(wrapping, wrapping_id, context, key_id, key, random);
    auto encoded = wrapped.encode();
    RC_ASSERT(encoded.size() == WrappedKey::kEncodedSize);
    auto decoded = WrappedKey::decode(encoded);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == wrapped);
    auto unwrapped = unwrap_key(wrapping, wrapping_id, context, *decoded);
    RC_ASSERT(unwrapped.has_value());
    RC_ASSERT(*unwrapped == key);
}

struct Fixture {
    SeededRandom random{42};
    Key256 master = random_secret_key<32>(random);
    Key256 kek = random_secret_key<32>(random);
    WrappedKey wrapped = wrap_key(master, KeyId(1), kKek7, KeyId(3), kek, random);
};

TEST(KeyWrap, WrongWrappingKeyFailsWithCrypto) {
    Fixture f;
    Key256 other = random_secret_key<32>(f.random);
    auto unwrapped = unwrap_key(other, KeyId(1), kKek7, f.wrapped);
    ASSERT_FALSE(unwrapped);
    EXPECT_EQ(unwrapped.error().code(), StatusCode::crypto);
    EXPECT_EQ(unwrapped.error().message(),
              "unwrapping tenant 7 KEK 3 with master key 1 failed authentication: wrong key, "
              "wrong tenant or purpose, or damaged bytes");
}

TEST(KeyWrap, WrongWrappingKeyIdFailsWithCrypto) {
    Fixture f;
    auto unwrapped = unwrap_key(f.master, KeyId(2), kKek7, f.wrapped);
    ASSERT_FALSE(unwrapped);
    EXPECT_EQ(unwrapped.error().code(), StatusCode::crypto);
    EXPECT_EQ(unwrapped.error().message(),
              "tenant 7 KEK 3 is wrapped by master key 1, but master key 2 was given");
}

TEST(KeyWrap, AnotherTenantCannotUnwrap) {
    Fixture f;
    WrapContext tenant8{.purpose = KeyPurpose::tenant_kek, .tenant = TenantId(8)};
    auto unwrapped = unwrap_key(f.master, KeyId(1), tenant8, f.wrapped);
    ASSERT_FALSE(unwrapped);
    EXPECT_EQ(unwrapped.error().code(), StatusCode::crypto);
    EXPECT_NE(unwrapped.error().message().find("tenant 8"), std::string::npos);
}

TEST(KeyWrap, AnotherPurposeCannotUnwrap) {
    Fixture f;
    WrapContext as_root{.purpose = KeyPurpose::tenant_root, .tenant = TenantId(7)};
    EXPECT_EQ(unwrap_key(f.master, KeyId(1), as_root, f.wrapped).error().code(),
              StatusCode::crypto);
    // And the system root purpose, which also rules out tenant-0 confusions.
    Key256 root = random_secret_key<32>(f.random);
    WrapContext system{.purpose = KeyPurpose::system_root, .tenant = TenantId(0)};
    WrappedKey system_wrapped = wrap_key(f.master, KeyId(1), system, KeyId(3), root, f.random);
    EXPECT_EQ(unwrap_key(f.master, KeyId(1), kKek7, system_wrapped).error().code(),
              StatusCode::crypto);
    EXPECT_TRUE(unwrap_key(f.master, KeyId(1), system, system_wrapped));
}

TEST(KeyWrap, RelabelledKeyIdFailsToUnwrap) {
    Fixture f;
    WrappedKey relabelled = f.wrapped;
    relabelled.key_id = KeyId(4);
    EXPECT_EQ(unwrap_key(f.master, KeyId(1), kKek7, relabelled).error().code(), StatusCode::crypto);
}

// Every bit of the encoding is covered: the version by decode, the ids by the id check and
// the associated data, the nonce, ciphertext and tag by GCM.
TEST(KeyWrap, FlippedBitInAnyByteOfTheEncodingIsRefused) {
    Fixture f;
    const auto good = f.wrapped.encode();
    for (usize index = 0; index < good.size(); ++index) {
        for (int bit = 0; bit < 8; ++bit) {
            auto bad = good;
            bad[index] = static_cast<u8>(bad[index] ^ (1u << bit));
            auto decoded = WrappedKey::decode(bad);
            if (!decoded) {
                StatusCode code = decoded.error().code();
                if (index == 0) {
                    // The version byte: an unknown version is named as such.
                    EXPECT_EQ(code, StatusCode::unsupported);
                } else {
                    EXPECT_EQ(code, StatusCode::corruption) << "byte " << index;
                }
                continue;
            }
            auto unwrapped = unwrap_key(f.master, KeyId(1), kKek7, *decoded);
            ASSERT_FALSE(unwrapped) << "byte " << index << " bit " << bit;
            EXPECT_EQ(unwrapped.error().code(), StatusCode::crypto) << "byte " << index;
        }
    }
    EXPECT_TRUE(unwrap_key(f.master, KeyId(1), kKek7, *WrappedKey::decode(good)));
}

TEST(KeyWrap, EachWrapUsesAFreshNonce) {
    Fixture f;
    std::set<AeadNonce> nonces;
    std::set<std::array<u8, WrappedKey::kSealedSize>> sealed;
    for (int i = 0; i < 100; ++i) {
        WrappedKey wrapped = wrap_key(f.master, KeyId(1), kKek7, KeyId(3), f.kek, f.random);
        nonces.insert(wrapped.nonce);
        sealed.insert(wrapped.sealed);
    }
    EXPECT_EQ(nonces.size(), 100u);
    EXPECT_EQ(sealed.size(), 100u);
}

TEST(WrappedKey, EncodingHasTheDocumentedLayout) {
    Fixture f;
    auto encoded = f.wrapped.encode();
    static_assert(WrappedKey::kEncodedSize == 77);
    EXPECT_EQ(encoded[0], 1);
    EXPECT_EQ(load_le_u64(encoded.data() + 1), 1u);  // wrapping key id
    EXPECT_EQ(load_le_u64(encoded.data() + 9), 3u);  // key id
    EXPECT_TRUE(std::equal(f.wrapped.nonce.begin(), f.wrapped.nonce.end(), encoded.begin() + 17));
    EXPECT_TRUE(std::equal(f.wrapped.sealed.begin(), f.wrapped.sealed.end(), encoded.begin() + 29));
}

TEST(WrappedKey, DecodeRefusesWrongSizesVersionsAndZeroIds) {
    Fixture f;
    auto encoded = f.wrapped.encode();
    EXPECT_EQ(WrappedKey::decode(ByteSpan()).error().code(), StatusCode::corruption);
    EXPECT_EQ(WrappedKey::decode(ByteSpan(encoded).first(76)).error().code(),
              StatusCode::corruption);
    Bytes longer(encoded.begin(), encoded.end());
    longer.push_back(0);
    EXPECT_EQ(WrappedKey::decode(longer).error().code(), StatusCode::corruption);
    auto version2 = encoded;
    version2[0] = 2;
    auto refused = WrappedKey::decode(version2);
    EXPECT_EQ(refused.error().code(), StatusCode::unsupported);
    EXPECT_NE(refused.error().message().find("format version 2"), std::string::npos);
    auto zero_id = encoded;
    store_le_u64(zero_id.data() + 9, 0);
    EXPECT_EQ(WrappedKey::decode(zero_id).error().code(), StatusCode::corruption);
}

TEST(KeyWrap, ErrorsNameIdsNeverKeyBytes) {
    Fixture f;
    Key256 other = random_secret_key<32>(f.random);
    auto unwrapped = unwrap_key(other, KeyId(1), kKek7, f.wrapped);
    ASSERT_FALSE(unwrapped);
    for (const Key256* key : {&f.master, &f.kek, &other}) {
        std::string hex = to_hex(key->bytes());
        for (usize at = 0; at + 8 <= hex.size(); at += 8) {
            EXPECT_EQ(unwrapped.error().message().find(hex.substr(at, 8)), std::string::npos);
        }
    }
}

}  // namespace
}  // namespace kb::crypto
