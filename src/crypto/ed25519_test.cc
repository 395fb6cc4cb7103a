// Ed25519 against RFC 8032 §7.1 (TEST 1, 2, 3 and TEST SHA(abc)), plus sign/verify and
// tamper properties.
#include "crypto/ed25519.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>

namespace kb::crypto {
namespace {

Bytes hex(std::string_view digits) {
    Bytes out;
    EXPECT_TRUE(from_hex(digits, &out)) << digits;
    return out;
}

struct Rfc8032Case {
    const char* name;
    const char* secret_key;  // the 32-byte seed
    const char* public_key;
    const char* message;
    const char* signature;
};

const Rfc8032Case kRfc8032Cases[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
    // The message is SHA-512("abc").
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3f"
     "eebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431"
     "e0303dca179c138ac17ad9bef1177331a704"},
};

Ed25519SigningKey key_from_seed_hex(std::string_view digits) {
    Bytes raw = hex(digits);
    KB_ASSERT(raw.size() == kEd25519SeedSize);
    return Ed25519SigningKey::from_seed(
        SecretKey<kEd25519SeedSize>::from_bytes(std::span<const u8, 32>(raw.data(), 32)));
}

TEST(Ed25519, Rfc8032Vectors) {
    for (const Rfc8032Case& test : kRfc8032Cases) {
        Ed25519SigningKey key = key_from_seed_hex(test.secret_key);
        EXPECT_EQ(key.public_key().to_hex(), test.public_key) << test.name;
        Bytes message = hex(test.message);
        Ed25519Signature signature = key.sign(message);
        EXPECT_EQ(signature.to_hex(), test.signature) << test.name;

        Ed25519PublicKey public_key;
        ASSERT_TRUE(Ed25519PublicKey::from_hex(test.public_key, &public_key));
        Ed25519Signature published;
        ASSERT_TRUE(Ed25519Signature::from_hex(test.signature, &published));
        EXPECT_TRUE(ed25519_verify(public_key, message, published).is_ok()) << test.name;
    }
}

TEST(Ed25519, SeedRestoresTheKey) {
    SeededRandom random(1);
    Ed25519SigningKey key = Ed25519SigningKey::generate(random);
    Ed25519SigningKey restored = Ed25519SigningKey::from_seed(key.seed());
    EXPECT_EQ(restored.public_key(), key.public_key());
    EXPECT_EQ(restored.sign(as_bytes("m")), key.sign(as_bytes("m")));
}

TEST(Ed25519, GenerateUsesTheRandomSource) {
    SeededRandom a(5), b(5);
    EXPECT_EQ(Ed25519SigningKey::generate(a).public_key(),
              Ed25519SigningKey::generate(b).public_key());
    EXPECT_NE(Ed25519SigningKey::generate(a).public_key(),
              Ed25519SigningKey::generate(system_random()).public_key());
}

TEST(Ed25519, WrongKeyFailsWithACryptoStatus) {
    SeededRandom random(2);
    Ed25519SigningKey signer = Ed25519SigningKey::generate(random);
    Ed25519SigningKey other = Ed25519SigningKey::generate(random);
    Ed25519Signature signature = signer.sign(as_bytes("attestation"));
    Status status = ed25519_verify(other.public_key(), as_bytes("attestation"), signature);
    EXPECT_EQ(status.code(), StatusCode::crypto);
    EXPECT_EQ(status.message(), "signature verification failed");
}

TEST(Ed25519, HexParsingRejectsMalformedInput) {
    Ed25519PublicKey key;
    key.bytes.fill(7);
    EXPECT_FALSE(Ed25519PublicKey::from_hex("abcd", &key));
    EXPECT_FALSE(Ed25519PublicKey::from_hex(std::string(64, 'g'), &key));
    EXPECT_EQ(key.bytes[0], 7);  // unchanged on failure
    Ed25519Signature signature;
    EXPECT_FALSE(Ed25519Signature::from_hex(std::string(64, 'a'), &signature));
    EXPECT_TRUE(Ed25519Signature::from_hex(std::string(128, 'A'), &signature));
    EXPECT_EQ(signature.bytes[63], 0xaa);
}

RC_GTEST_PROP(Ed25519, SignThenVerify, (u64 seed, Bytes message)) {
    SeededRandom random(seed);
    Ed25519SigningKey key = Ed25519SigningKey::generate(random);
    RC_ASSERT(ed25519_verify(key.public_key(), message, key.sign(message)).is_ok());
}

RC_GTEST_PROP(Ed25519, FlippedMessageBitFails, (u64 seed, usize bit_seed)) {
    Bytes message = *rc::gen::nonEmpty<Bytes>();
    SeededRandom random(seed);
    Ed25519SigningKey key = Ed25519SigningKey::generate(random);
    Ed25519Signature signature = key.sign(message);
    usize bit = bit_seed % (message.size() * 8);
    message[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
    RC_ASSERT(ed25519_verify(key.public_key(), message, signature).code() == StatusCode::crypto);
}

RC_GTEST_PROP(Ed25519, FlippedSignatureBitFails, (u64 seed, Bytes message, usize bit_seed)) {
    SeededRandom random(seed);
    Ed25519SigningKey key = Ed25519SigningKey::generate(random);
    Ed25519Signature signature = key.sign(message);
    usize bit = bit_seed % (kEd25519SignatureSize * 8);
    signature.bytes[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
    RC_ASSERT(ed25519_verify(key.public_key(), message, signature).code() == StatusCode::crypto);
}

}  // namespace
}  // namespace kb::crypto
