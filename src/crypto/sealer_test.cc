// Tests of SealingKey: round trips, fresh nonces, the seal bound, authentication failures.
#include "crypto/sealer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <vector>

namespace kb::crypto {
namespace {

SealingKey make_key(u64 seed, u64 seals_max = limits::kSealsPerKeyMax) {
    SeededRandom random(seed);
    return SealingKey(random_secret_key<32>(random), "test key " + std::to_string(seed), seals_max);
}

RC_GTEST_PROP(SealingKey, SealOpenRoundTrip, ()) {
    auto plaintext = *rc::gen::arbitrary<std::vector<u8>>();
    auto aad = *rc::gen::arbitrary<std::vector<u8>>();
    SealingKey key = make_key(*rc::gen::arbitrary<u64>());
    SeededRandom random(*rc::gen::arbitrary<u64>());
    Bytes sealed(plaintext.size() + kAeadTagSize);
    auto nonce = key.seal(aad, plaintext, sealed, random);
    RC_ASSERT(nonce.has_value());
    Bytes opened(plaintext.size());
    RC_ASSERT(key.open(*nonce, aad, sealed, opened).is_ok());
    RC_ASSERT(opened == plaintext);
    RC_ASSERT(key.seal_count() == 1u);
}

TEST(SealingKey, NeverReturnsTheSameNonceTwice) {
    SealingKey key = make_key(1);
    constexpr usize kSeals = 100'000;
    std::set<AeadNonce> nonces;
    std::array<u8, 8> plaintext{};
    std::array<u8, 8 + kAeadTagSize> sealed;
    for (usize i = 0; i < kSeals; ++i) {
        auto nonce = key.seal(ByteSpan(), plaintext, sealed, system_random());
        ASSERT_TRUE(nonce);
        nonces.insert(*nonce);
    }
    EXPECT_EQ(nonces.size(), kSeals);
    EXPECT_EQ(key.seal_count(), kSeals);
}

// The crash-restart case: the same position sealed again (same plaintext, same aad, a fresh
// SealingKey for the same key bytes, as after a restart) must not reuse the nonce.
TEST(SealingKey, ResealingAfterRestartUsesANewNonce) {
    SeededRandom key_random(2);
    Key256 bytes = random_secret_key<32>(key_random);
    Bytes plaintext = {1, 2, 3, 4};
    Bytes aad = {9, 9};
    Bytes first(plaintext.size() + kAeadTagSize), second(plaintext.size() + kAeadTagSize);
    SealingKey before(bytes.clone(), "before crash");
    auto nonce_before = before.seal(aad, plaintext, first, system_random());
    SealingKey after(bytes.clone(), "after restart");
    auto nonce_after = after.seal(aad, plaintext, second, system_random());
    ASSERT_TRUE(nonce_before && nonce_after);
    EXPECT_NE(*nonce_before, *nonce_after);
    EXPECT_NE(first, second);
    // Both open under the key: the nonce stored beside each is what selects it.
    Bytes opened(plaintext.size());
    EXPECT_TRUE(after.open(*nonce_before, aad, first, opened).is_ok());
    EXPECT_EQ(opened, plaintext);
}

TEST(SealingKey, RefusesToSealPastItsBound) {
    SealingKey key = make_key(3, /*seals_max=*/5);
    SeededRandom random(3);
    std::array<u8, 4> plaintext{1, 2, 3, 4};
    std::array<u8, 4 + kAeadTagSize> sealed;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(key.seal(ByteSpan(), plaintext, sealed, random)) << i;
    }
    auto before = sealed;
    auto refused = key.seal(ByteSpan(), plaintext, sealed, random);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), StatusCode::crypto);
    EXPECT_EQ(refused.error().message(),
              "test key 3 has made 5 seals, its limit under random nonces; refusing to seal more "
              "(a new key is needed)");
    EXPECT_EQ(sealed, before);
    EXPECT_EQ(key.seal_count(), 5u);
    // It still opens what it sealed: the bound is on sealing only.
    std::array<u8, 4> opened;
    SealingKey fresh = make_key(3, 5);
    auto nonce = fresh.seal(ByteSpan(), plaintext, sealed, random);
    ASSERT_TRUE(nonce);
    EXPECT_TRUE(key.open(*nonce, ByteSpan(), sealed, opened).is_ok());
}

TEST(SealingKey, DefaultBoundIsTheLimit) {
    EXPECT_EQ(make_key(4).seals_max(), limits::kSealsPerKeyMax);
}

TEST(SealingKey, OpenRefusesAnyChangeAndZeroesTheOutput) {
    SealingKey key = make_key(5);
    SeededRandom random(5);
    Bytes plaintext(40, 0xab);
    Bytes aad = {1, 2, 3};
    Bytes sealed(plaintext.size() + kAeadTagSize);
    AeadNonce nonce = *key.seal(aad, plaintext, sealed, random);
    Bytes opened(plaintext.size());

    for (usize index = 0; index < sealed.size(); ++index) {
        Bytes bad = sealed;
        bad[index] ^= 0x10;
        std::fill(opened.begin(), opened.end(), u8{0x77});
        Status status = key.open(nonce, aad, bad, opened);
        EXPECT_EQ(status.code(), StatusCode::crypto) << index;
        EXPECT_EQ(opened, Bytes(opened.size(), 0)) << index;
    }
    AeadNonce other_nonce = nonce;
    other_nonce[11] ^= 1;
    EXPECT_EQ(key.open(other_nonce, aad, sealed, opened).code(), StatusCode::crypto);
    Bytes other_aad = {1, 2, 4};
    Status wrong_aad = key.open(nonce, other_aad, sealed, opened);
    EXPECT_EQ(wrong_aad.code(), StatusCode::crypto);
    EXPECT_NE(wrong_aad.message().find("test key 5"), std::string::npos);
    SealingKey other_key = make_key(6);
    EXPECT_EQ(other_key.open(nonce, aad, sealed, opened).code(), StatusCode::crypto);
    EXPECT_TRUE(key.open(nonce, aad, sealed, opened).is_ok());
    EXPECT_EQ(opened, plaintext);
}

TEST(SealingKey, OpenOfBytesShorterThanATagIsCorruption) {
    SealingKey key = make_key(7);
    Bytes short_bytes(kAeadTagSize - 1);
    Status status = key.open(AeadNonce{}, ByteSpan(), short_bytes, MutableByteSpan());
    EXPECT_EQ(status.code(), StatusCode::corruption);
}

TEST(SealingKey, MovedKeyKeepsWorking) {
    SealingKey key = make_key(8);
    SeededRandom random(8);
    Bytes plaintext = {5, 6, 7};
    Bytes sealed(plaintext.size() + kAeadTagSize);
    AeadNonce nonce = *key.seal(ByteSpan(), plaintext, sealed, random);
    SealingKey moved = std::move(key);
    Bytes opened(plaintext.size());
    EXPECT_TRUE(moved.open(nonce, ByteSpan(), sealed, opened).is_ok());
    EXPECT_EQ(opened, plaintext);
    EXPECT_EQ(moved.seal_count(), 1u);
    EXPECT_EQ(moved.name(), "test key 8");
}

}  // namespace
}  // namespace kb::crypto

namespace kb::crypto {
namespace {

// A log record header authenticates its own nonce field: the nonce written into the aad must
// be the one returned, and opening with that aad must succeed (and fail with any other nonce
// in it).
TEST(SealingKey, NonceInAadIsWrittenThenAuthenticated) {
    SealingKey key = make_key(11);
    SeededRandom random(12);
    std::array<u8, 40> aad{};
    aad[0] = 0x5a;
    const std::array<u8, 5> plaintext = {1, 2, 3, 4, 5};
    std::array<u8, 5 + kAeadTagSize> sealed{};
    auto nonce = key.seal_with_nonce_in_aad(aad, 20, plaintext, sealed, random);
    ASSERT_TRUE(nonce);
    EXPECT_TRUE(std::equal(nonce->begin(), nonce->end(), aad.begin() + 20));
    std::array<u8, 5> opened{};
    ASSERT_TRUE(key.open(*nonce, aad, sealed, opened).is_ok());
    EXPECT_EQ(opened, plaintext);
    aad[25] ^= 1;  // the nonce copy inside the aad is covered by the tag
    EXPECT_EQ(key.open(*nonce, aad, sealed, opened).code(), StatusCode::crypto);
}

}  // namespace
}  // namespace kb::crypto
