// AES-256-GCM against the GCM specification's 256-bit-key test cases (McGrew and Viega,
// "The Galois/Counter Mode of Operation", test cases 13-16; the same vectors appear in NIST's
// GCM validation material), plus tamper-detection properties.
#include "crypto/aead.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <string>

namespace kb::crypto {
namespace {

Bytes hex(std::string_view digits) {
    Bytes out;
    EXPECT_TRUE(from_hex(digits, &out)) << digits;
    return out;
}

Key256 key_from_hex(std::string_view digits) {
    Bytes raw = hex(digits);
    KB_ASSERT(raw.size() == 32);
    return Key256::from_bytes(std::span<const u8, 32>(raw.data(), 32));
}

AeadNonce nonce_from_hex(std::string_view digits) {
    Bytes raw = hex(digits);
    KB_ASSERT(raw.size() == kAeadNonceSize);
    AeadNonce nonce;
    std::memcpy(nonce.data(), raw.data(), nonce.size());
    return nonce;
}

struct GcmCase {
    int number;
    const char* key;
    const char* nonce;
    const char* plaintext;
    const char* associated_data;
    const char* ciphertext;
    const char* tag;
};

constexpr const char* kZeroKey = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr const char* kSpecKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";

const GcmCase kGcmCases[] = {
    {13, kZeroKey, "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {14, kZeroKey, "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {15, kSpecKey, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    // 60-byte plaintext (a partial last block) with 20 bytes of associated data.
    {16, kSpecKey, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(Aes256Gcm, SpecVectorsSealAndOpen) {
    for (const GcmCase& test : kGcmCases) {
        Key256 key = key_from_hex(test.key);
        AeadNonce nonce = nonce_from_hex(test.nonce);
        Bytes plaintext = hex(test.plaintext), aad = hex(test.associated_data);
        Bytes expected = hex(test.ciphertext);
        Bytes tag = hex(test.tag);
        expected.insert(expected.end(), tag.begin(), tag.end());

        Bytes sealed(plaintext.size() + kAeadTagSize);
        aes256gcm_seal(key, nonce, aad, plaintext, sealed);
        EXPECT_EQ(to_hex(sealed), to_hex(expected)) << "GCM test case " << test.number;

        Aes256Gcm gcm(key);
        Bytes sealed_again(sealed.size());
        gcm.seal(nonce, aad, plaintext, sealed_again);
        EXPECT_EQ(sealed_again, expected) << "GCM test case " << test.number << " (class)";

        Bytes opened(plaintext.size(), 0xee);
        ASSERT_TRUE(aes256gcm_open(key, nonce, aad, expected, opened).is_ok()) << test.number;
        EXPECT_EQ(opened, plaintext) << test.number;
        Bytes opened_again(plaintext.size(), 0xee);
        ASSERT_TRUE(gcm.open(nonce, aad, expected, opened_again).is_ok()) << test.number;
        EXPECT_EQ(opened_again, plaintext) << test.number;
    }
}

TEST(Aes256Gcm, WrongKeyFailsWithACryptoStatusAndZeroesOutput) {
    SeededRandom random(1);
    Key256 key = random_secret_key<32>(random), other = random_secret_key<32>(random);
    AeadNonce nonce = random_nonce(random);
    Bytes plaintext(100, 0x42), sealed(100 + kAeadTagSize), opened(100, 0x99);
    aes256gcm_seal(key, nonce, as_bytes("header"), plaintext, sealed);
    Status status = aes256gcm_open(other, nonce, as_bytes("header"), sealed, opened);
    EXPECT_EQ(status.code(), StatusCode::crypto);
    EXPECT_EQ(status.message(), "authentication failed");
    EXPECT_EQ(opened, Bytes(100, 0));
}

TEST(Aes256Gcm, TooShortInputIsInvalid) {
    Key256 key;
    Bytes sealed(kAeadTagSize - 1);
    Status status = aes256gcm_open(key, AeadNonce{}, {}, sealed, MutableByteSpan());
    EXPECT_EQ(status.code(), StatusCode::invalid_argument);
    EXPECT_NE(status.message().find("15 bytes"), std::string::npos) << status.message();
}

TEST(Aes256GcmDeathTest, WrongOutputSizeIsAProgrammerError) {
    Key256 key;
    Bytes plaintext(10), sealed(10);  // should be 26
    EXPECT_DEATH(aes256gcm_seal(key, AeadNonce{}, {}, plaintext, sealed), "plaintext size");
}

TEST(Aes256Gcm, SealsAndOpensInPlace) {
    SeededRandom random(2);
    Key256 key = random_secret_key<32>(random);
    AeadNonce nonce = random_nonce(random);
    Bytes original(1000);
    random.fill(original);
    Bytes buffer = original;
    buffer.resize(original.size() + kAeadTagSize);
    Bytes expected(buffer.size());
    aes256gcm_seal(key, nonce, {}, original, expected);

    aes256gcm_seal(key, nonce, {}, ByteSpan(buffer).first(original.size()), buffer);
    EXPECT_EQ(buffer, expected);
    ASSERT_TRUE(
        aes256gcm_open(key, nonce, {}, buffer, MutableByteSpan(buffer).first(1000)).is_ok());
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + 1000), original);
}

TEST(Aes256Gcm, SetKeyReplacesTheKey) {
    SeededRandom random(3);
    Key256 first = random_secret_key<32>(random), second = random_secret_key<32>(random);
    AeadNonce nonce = random_nonce(random);
    Bytes plaintext(64, 1), a(80), b(80);
    Aes256Gcm gcm(first);
    gcm.set_key(second);
    gcm.seal(nonce, {}, plaintext, a);
    aes256gcm_seal(second, nonce, {}, plaintext, b);
    EXPECT_EQ(a, b);
    Aes256Gcm moved(std::move(gcm));
    Bytes opened(64);
    EXPECT_TRUE(moved.open(nonce, {}, a, opened).is_ok());
    EXPECT_EQ(opened, plaintext);
}

// A sealed message with everything needed to open it, drawn from rapidcheck's seed.
struct Sealed {
    Key256 key;
    AeadNonce nonce;
    Bytes associated_data;
    Bytes plaintext;
    Bytes sealed;
};

Sealed make_sealed(u64 seed, Bytes plaintext, Bytes associated_data) {
    SeededRandom random(seed);
    Sealed out{random_secret_key<32>(random),
               random_nonce(random),
               std::move(associated_data),
               std::move(plaintext),
               {}};
    out.sealed.resize(out.plaintext.size() + kAeadTagSize);
    aes256gcm_seal(out.key, out.nonce, out.associated_data, out.plaintext, out.sealed);
    return out;
}

RC_GTEST_PROP(Aes256Gcm, SealThenOpenRoundTrips, (u64 seed, Bytes plaintext, Bytes aad)) {
    Sealed message = make_sealed(seed, plaintext, aad);
    Bytes opened(plaintext.size());
    RC_ASSERT(aes256gcm_open(message.key, message.nonce, aad, message.sealed, opened).is_ok());
    RC_ASSERT(opened == plaintext);
    Aes256Gcm gcm(message.key);
    Bytes opened_again(plaintext.size());
    RC_ASSERT(gcm.open(message.nonce, aad, message.sealed, opened_again).is_ok());
    RC_ASSERT(opened_again == plaintext);
}

RC_GTEST_PROP(Aes256Gcm, FlippedCiphertextOrTagBitFails,
              (u64 seed, Bytes plaintext, Bytes aad, usize bit_seed)) {
    Sealed message = make_sealed(seed, plaintext, aad);
    usize bit = bit_seed % (message.sealed.size() * 8);
    message.sealed[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
    Bytes opened(plaintext.size());
    Status status = aes256gcm_open(message.key, message.nonce, aad, message.sealed, opened);
    RC_ASSERT(status.code() == StatusCode::crypto);
}

RC_GTEST_PROP(Aes256Gcm, FlippedNonceBitFails, (u64 seed, Bytes plaintext, usize bit_seed)) {
    Sealed message = make_sealed(seed, plaintext, {});
    usize bit = bit_seed % (kAeadNonceSize * 8);
    message.nonce[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
    Bytes opened(plaintext.size());
    Status status = aes256gcm_open(message.key, message.nonce, {}, message.sealed, opened);
    RC_ASSERT(status.code() == StatusCode::crypto);
}

RC_GTEST_PROP(Aes256Gcm, FlippedAssociatedDataBitFails,
              (u64 seed, Bytes plaintext, usize bit_seed)) {
    Bytes aad = *rc::gen::nonEmpty<Bytes>();
    Sealed message = make_sealed(seed, plaintext, aad);
    usize bit = bit_seed % (aad.size() * 8);
    aad[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
    Bytes opened(plaintext.size());
    Status status = aes256gcm_open(message.key, message.nonce, aad, message.sealed, opened);
    RC_ASSERT(status.code() == StatusCode::crypto);
}

RC_GTEST_PROP(Aes256Gcm, WrongKeyFails, (u64 seed, Bytes plaintext)) {
    Sealed message = make_sealed(seed, plaintext, {});
    Key256 other = message.key.clone();
    other.mutable_bytes()[*rc::gen::inRange<usize>(0, 32)] ^= 0x01;
    Bytes opened(plaintext.size());
    Status status = aes256gcm_open(other, message.nonce, {}, message.sealed, opened);
    RC_ASSERT(status.code() == StatusCode::crypto);
}

TEST(Aes256Gcm, LargeMessageWithAssociatedData) {
    SeededRandom random(4);
    Key256 key = random_secret_key<32>(random);
    AeadNonce nonce = random_nonce(random);
    Bytes plaintext(3 * 1024 * 1024 + 7), aad(1000);
    random.fill(plaintext);
    random.fill(aad);
    Bytes sealed(plaintext.size() + kAeadTagSize), opened(plaintext.size());
    aes256gcm_seal(key, nonce, aad, plaintext, sealed);
    ASSERT_TRUE(aes256gcm_open(key, nonce, aad, sealed, opened).is_ok());
    EXPECT_EQ(opened, plaintext);
}

}  // namespace
}  // namespace kb::crypto
