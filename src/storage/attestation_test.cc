// Attestation and co-signature payloads: layout, round trips, every flipped byte rejected,
// garbage never crashes the decoders.
#include "storage/attestation.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/endian.h"
#include "crypto/sha256.h"
#include "storage/test_segment_builder.h"

namespace kb::storage {
namespace {

using testing::test_signing_key;

AttestedStatement sample_statement() {
    return AttestedStatement{.position = Position(41),
                             .chain_hash = crypto::sha256(as_bytes("some chain")),
                             .timestamp = Timestamp(1'700'000'000'123'456'789ULL)};
}

TEST(AttestationTest, MessageLayoutIsContextZeroPositionHashTimestamp) {
    const AttestedStatement statement = sample_statement();
    const AttestationMessage message = attestation_message(statement);
    ASSERT_EQ(message.size(), 74u);
    EXPECT_EQ(as_chars(ByteSpan(message.data(), 25)), "kimberlite attestation v1");
    EXPECT_EQ(message[25], 0);
    EXPECT_EQ(load_le_u64(message.data() + 26), 41u);
    EXPECT_TRUE(std::equal(message.begin() + 34, message.begin() + 66,
                           statement.chain_hash.bytes().begin()));
    EXPECT_EQ(load_le_u64(message.data() + 66), 1'700'000'000'123'456'789ULL);
}

TEST(AttestationTest, PayloadLayoutAndRoundTrip) {
    const auto key = test_signing_key(1);
    const AttestedStatement statement = sample_statement();
    const Bytes payload = make_attestation(statement, key);
    ASSERT_EQ(payload.size(), kAttestationPayloadSize);
    EXPECT_EQ(payload[0], 1);
    EXPECT_EQ(load_le_u64(payload.data() + 1), 41u);
    EXPECT_TRUE(std::equal(payload.begin() + 9, payload.begin() + 41,
                           statement.chain_hash.bytes().begin()));
    EXPECT_EQ(load_le_u64(payload.data() + 41), statement.timestamp.value());
    EXPECT_TRUE(
        std::equal(payload.begin() + 49, payload.begin() + 81, key.public_key().bytes.begin()));
    // The signature is an ordinary Ed25519 signature over the documented message.
    crypto::Ed25519Signature signature;
    std::copy(payload.begin() + 81, payload.end(), signature.bytes.begin());
    EXPECT_TRUE(crypto::ed25519_verify(key.public_key(), attestation_message(statement), signature)
                    .is_ok());

    auto decoded = decode_attestation(payload);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(decoded->statement, statement);
    EXPECT_EQ(decoded->signer, key.public_key());
    EXPECT_TRUE(verify_attestation_signature(*decoded).is_ok());
    EXPECT_EQ(encode_attestation(*decoded), payload);
}

TEST(AttestationTest, CosignatureLayoutAndRoundTrip) {
    const auto attester = test_signing_key(1);
    const auto cosigner = test_signing_key(2);
    const AttestedStatement statement = sample_statement();
    const Bytes payload = make_cosignature(Position(42), statement, cosigner);
    ASSERT_EQ(payload.size(), kCosignaturePayloadSize);
    EXPECT_EQ(payload[0], 1);
    EXPECT_EQ(load_le_u64(payload.data() + 1), 42u);
    EXPECT_TRUE(
        std::equal(payload.begin() + 9, payload.begin() + 41, cosigner.public_key().bytes.begin()));

    auto decoded = decode_cosignature(payload);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(decoded->attestation_position, Position(42));
    EXPECT_EQ(decoded->signer, cosigner.public_key());
    EXPECT_TRUE(verify_cosignature_signature(*decoded, statement).is_ok());
    EXPECT_EQ(encode_cosignature(*decoded), payload);

    // The co-signature is over the same message as the attestation, so it verifies as the
    // attester's signature would.
    auto attestation = decode_attestation(make_attestation(statement, attester));
    ASSERT_TRUE(attestation.has_value());
    Attestation as_attestation = *attestation;
    as_attestation.signer = decoded->signer;
    as_attestation.signature = decoded->signature;
    EXPECT_TRUE(verify_attestation_signature(as_attestation).is_ok());
}

// Every byte of the payload matters: flipping any bit of any byte makes it fail to decode or
// fail to verify (never verify as a different, valid statement of the same signer).
TEST(AttestationTest, EveryFlippedByteIsRejected) {
    const auto key = test_signing_key(3);
    const Bytes payload = make_attestation(sample_statement(), key);
    for (usize index = 0; index < payload.size(); ++index) {
        for (u8 mask : {u8{0x01}, u8{0x80}, u8{0xff}}) {
            Bytes damaged = payload;
            damaged[index] ^= mask;
            auto decoded = decode_attestation(damaged);
            if (!decoded) continue;
            EXPECT_FALSE(verify_attestation_signature(*decoded).is_ok())
                << "byte " << index << " mask " << int(mask);
        }
    }
}

TEST(AttestationTest, EveryFlippedCosignatureByteIsRejected) {
    const auto key = test_signing_key(4);
    const AttestedStatement statement = sample_statement();
    const Bytes payload = make_cosignature(Position(50), statement, key);
    for (usize index = 0; index < payload.size(); ++index) {
        for (u8 mask : {u8{0x01}, u8{0x80}, u8{0xff}}) {
            Bytes damaged = payload;
            damaged[index] ^= mask;
            auto decoded = decode_cosignature(damaged);
            if (!decoded) continue;
            // The position is not signed (it names where the statement is); a changed position
            // is caught by the verifier looking up a different (or no) attestation there.
            if (decoded->attestation_position != Position(50)) continue;
            EXPECT_FALSE(verify_cosignature_signature(*decoded, statement).is_ok())
                << "byte " << index << " mask " << int(mask);
        }
    }
}

TEST(AttestationTest, SignatureOverAnotherStatementDoesNotVerify) {
    const auto key = test_signing_key(5);
    AttestedStatement statement = sample_statement();
    auto decoded = decode_attestation(make_attestation(statement, key));
    ASSERT_TRUE(decoded.has_value());
    Attestation moved = *decoded;
    moved.statement.position = Position(40);
    EXPECT_EQ(verify_attestation_signature(moved).code(), StatusCode::crypto);
    Attestation other_signer = *decoded;
    other_signer.signer = test_signing_key(6).public_key();
    EXPECT_EQ(verify_attestation_signature(other_signer).code(), StatusCode::crypto);
}

TEST(AttestationTest, MalformedPayloadsAreRejectedWithReasons) {
    const auto key = test_signing_key(7);
    Bytes payload = make_attestation(sample_statement(), key);

    EXPECT_EQ(decode_attestation({}).error().code(), StatusCode::corruption);
    Bytes shorter(payload.begin(), payload.end() - 1);
    EXPECT_EQ(decode_attestation(shorter).error().code(), StatusCode::corruption);
    Bytes longer = payload;
    longer.push_back(0);
    EXPECT_EQ(decode_attestation(longer).error().code(), StatusCode::corruption);
    Bytes version = payload;
    version[0] = 2;
    EXPECT_EQ(decode_attestation(version).error().code(), StatusCode::unsupported);
    Bytes zero_position = payload;
    std::fill(zero_position.begin() + 1, zero_position.begin() + 9, 0);
    auto zero = decode_attestation(zero_position);
    ASSERT_FALSE(zero.has_value());
    EXPECT_NE(zero.error().message().find("position 0"), std::string::npos);

    Bytes cosignature = make_cosignature(Position(3), sample_statement(), key);
    EXPECT_EQ(decode_cosignature(payload).error().code(), StatusCode::corruption);
    EXPECT_EQ(decode_attestation(cosignature).error().code(), StatusCode::corruption);
    std::fill(cosignature.begin() + 1, cosignature.begin() + 9, 0);
    EXPECT_FALSE(decode_cosignature(cosignature).has_value());
}

RC_GTEST_PROP(AttestationProperty, DecodersNeverCrashOnGarbage, (const std::vector<u8>& bytes)) {
    auto attestation = decode_attestation(bytes);
    if (attestation) {
        RC_ASSERT(encode_attestation(*attestation) == bytes);
        (void)verify_attestation_signature(*attestation);
    }
    auto cosignature = decode_cosignature(bytes);
    if (cosignature) {
        RC_ASSERT(encode_cosignature(*cosignature) == bytes);
        (void)verify_cosignature_signature(*cosignature, sample_statement());
    }
}

RC_GTEST_PROP(AttestationProperty, RoundTripsAnyStatement,
              (u64 position, u64 timestamp, std::vector<u8> hash_seed)) {
    RC_PRE(position != 0);
    const auto key = test_signing_key(8);
    AttestedStatement statement{.position = Position(position),
                                .chain_hash = crypto::sha256(hash_seed),
                                .timestamp = Timestamp(timestamp)};
    auto decoded = decode_attestation(make_attestation(statement, key));
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->statement == statement);
    RC_ASSERT(verify_attestation_signature(*decoded).is_ok());
}

}  // namespace
}  // namespace kb::storage
