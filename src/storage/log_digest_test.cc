// Log::newest_digest: the newest durable attestation with its co-signatures, as the digest a
// running server exports, on logs written through Log on a simulated disk.
#include <gtest/gtest.h>

#include "crypto/random.h"
#include "storage/attestation.h"
#include "storage/digest.h"
#include "storage/log.h"
#include "storage/log_test_support.h"
#include "storage/test_segment_builder.h"

namespace kb::storage {
namespace {

using testing::append_and_wait;
using testing::RecordFactory;
using testing::SimMachine;
using testing::test_signing_key;

struct Fixture {
    Fixture() : machine(7), keys(testing::make_test_keys()), factory(keys.get(), 7) {}
    Status open() {
        log.reset();
        auto opened = Log::open(*machine.storage, machine.loop,
                                LogOptions{.segment_capacity_bytes = 16 * 1024});
        if (!opened) return opened.status();
        log = std::move(*opened);
        return Status::ok();
    }
    Status append_ops(usize count) {
        return append_and_wait(*log, machine.loop, factory.next(*log, count));
    }
    Bytes clear_record(RecordKind kind, ByteSpan payload) {
        RecordInput input;
        input.kind = kind;
        input.seal = SealKind::clear;
        input.position = log->last_position().next();
        input.view = View(1);
        input.timestamp = Timestamp(1'800'000'000'000'000'000ull + input.position.value());
        input.payload = payload;
        crypto::SeededRandom random(input.position.value());
        auto built = build_record(input, log->last_chain_hash(), nullptr, random);
        EXPECT_TRUE(built.has_value());
        return std::move(built->bytes);
    }
    // Attests the log's last position; returns the statement.
    AttestedStatement attest(const crypto::Ed25519SigningKey& key) {
        const AttestedStatement statement{log->last_position(), log->last_chain_hash(),
                                          Timestamp(1234)};
        const Bytes payload = make_attestation(statement, key);
        EXPECT_TRUE(
            append_and_wait(*log, machine.loop, {clear_record(RecordKind::attestation, payload)})
                .is_ok());
        return statement;
    }
    void cosign(const crypto::Ed25519SigningKey& key, Position attestation,
                const AttestedStatement& statement) {
        const Bytes payload = make_cosignature(attestation, statement, key);
        EXPECT_TRUE(
            append_and_wait(*log, machine.loop, {clear_record(RecordKind::cosignature, payload)})
                .is_ok());
    }

    SimMachine machine;
    std::unique_ptr<KeyringKeySource> keys;
    RecordFactory factory;
    std::unique_ptr<Log> log;
};

TEST(LogDigest, NoneBeforeTheFirstAttestation) {
    Fixture f;
    ASSERT_TRUE(f.open().is_ok());
    auto empty = f.log->newest_digest();
    ASSERT_TRUE(empty.has_value()) << empty.status().to_string();
    EXPECT_FALSE(empty->has_value());
    ASSERT_TRUE(f.append_ops(50).is_ok());
    auto none = f.log->newest_digest();
    ASSERT_TRUE(none.has_value()) << none.status().to_string();
    EXPECT_FALSE(none->has_value());
}

TEST(LogDigest, TheNewestAttestationWithItsCosignaturesAcrossSegments) {
    const auto attester = test_signing_key(1);
    const auto cosigner = test_signing_key(2);
    Fixture f;
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.append_ops(40).is_ok());
    f.attest(attester);  // older: must not be the one exported
    ASSERT_TRUE(f.append_ops(40).is_ok());
    const AttestedStatement statement = f.attest(attester);
    const Position at = f.log->last_position();
    // Enough ops that the co-signature lands in a later segment than the attestation.
    ASSERT_TRUE(f.append_ops(200).is_ok());
    f.cosign(cosigner, at, statement);
    f.cosign(cosigner, at, statement);  // a repeat adds no second signature
    ASSERT_TRUE(f.append_ops(5).is_ok());
    ASSERT_GT(f.log->segments().size(), 2u);

    for (int reopened = 0; reopened < 2; ++reopened) {
        auto found = f.log->newest_digest();
        ASSERT_TRUE(found.has_value()) << found.status().to_string();
        ASSERT_TRUE(found->has_value());
        const Digest& digest = **found;
        EXPECT_EQ(digest.statement, statement);
        EXPECT_EQ(digest.attestation_position, at);
        ASSERT_EQ(digest.signatures.size(), 2u);
        EXPECT_EQ(digest.signatures[0].public_key, attester.public_key());
        EXPECT_EQ(digest.signatures[1].public_key, cosigner.public_key());
        EXPECT_TRUE(verify_digest_signatures(digest).is_ok());
        // It round-trips through the file format `kmb verify --digest` reads.
        auto parsed = parse_digest_json(encode_digest_json(digest), "test");
        ASSERT_TRUE(parsed.has_value()) << parsed.status().to_string();
        EXPECT_EQ(*parsed, digest);
        ASSERT_TRUE(f.open().is_ok());
    }

    // A newer attestation replaces it, without the older one's co-signatures.
    const AttestedStatement newer = f.attest(test_signing_key(3));
    auto found = f.log->newest_digest();
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->statement, newer);
    ASSERT_EQ((*found)->signatures.size(), 1u);
    EXPECT_EQ((*found)->signatures[0].public_key, test_signing_key(3).public_key());
}

}  // namespace
}  // namespace kb::storage
