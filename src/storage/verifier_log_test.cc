// The verifier against logs written by the real writer (log.h): it must agree with the
// writer's layout and durability marks, stay quiet beside an active writer, and agree with
// recovery after a crash.
#include <gtest/gtest.h>

#include "storage/attestation.h"
#include "storage/log.h"
#include "storage/log_test_support.h"
#include "storage/test_segment_builder.h"
#include "storage/verifier.h"

namespace kb::storage {
namespace {

using testing::append_and_wait;
using testing::RecordFactory;
using testing::SimMachine;
using testing::test_signing_key;

VerifyReport verify_read_only(SimMachine& machine, const VerifyOptions& options) {
    io::SimStorage reader(machine.disk, machine.loop, io::SimStorageOptions{.read_only = true});
    return verify_log(reader, options);
}

std::string describe(const VerifyReport& report) {
    if (report.failure) return report.failure->to_string();
    return report.error.to_string();
}

// A clear record (attestation or co-signature) after the log's tail.
Bytes clear_record(const Log& log, RecordKind kind, ByteSpan payload) {
    RecordInput input;
    input.kind = kind;
    input.seal = SealKind::clear;
    input.position = log.last_position().next();
    input.view = View(1);
    input.timestamp = Timestamp(1'700'000'000'000'000'000ull + input.position.value());
    input.payload = payload;
    crypto::SeededRandom random(1);
    auto built = build_record(input, log.last_chain_hash(), nullptr, random);
    EXPECT_TRUE(built.has_value());
    return std::move(built->bytes);
}

TEST(VerifierWithLog, LogWrittenByTheWriterVerifies) {
    SimMachine machine(1);
    auto keys = testing::make_test_keys();
    RecordFactory factory(keys.get());
    auto opened =
        Log::open(*machine.storage, machine.loop, LogOptions{.segment_capacity_bytes = 32 * 1024});
    ASSERT_TRUE(opened.has_value()) << opened.status().to_string();
    Log& log = **opened;
    ASSERT_TRUE(append_and_wait(log, machine.loop, factory.next(log, 150, 200)).is_ok());

    const auto attester = test_signing_key(1);
    const Position attested = log.last_position();
    const Bytes attestation = make_attestation(attested, log.last_chain_hash(),
                                               Timestamp(1'700'000'000'000'000'000ull), attester);
    ASSERT_TRUE(append_and_wait(log, machine.loop,
                                {clear_record(log, RecordKind::attestation, attestation)})
                    .is_ok());
    const Position attestation_position = log.last_position();
    const Bytes cosignature = make_cosignature(
        attestation_position, decode_attestation(attestation)->statement, test_signing_key(2));
    ASSERT_TRUE(append_and_wait(log, machine.loop,
                                {clear_record(log, RecordKind::cosignature, cosignature)})
                    .is_ok());
    ASSERT_TRUE(append_and_wait(log, machine.loop, factory.next(log, 20, 200)).is_ok());
    ASSERT_GT(log.segments().size(), 2u);

    VerifyOptions options;
    options.trusted_keys.add(test_signing_key(1).public_key());
    options.trusted_keys.add(test_signing_key(2).public_key());
    options.keys = keys.get();
    const VerifyReport report = verify_read_only(machine, options);
    ASSERT_TRUE(report.intact()) << describe(report);
    EXPECT_EQ(report.records, log.last_position().value());
    EXPECT_EQ(report.last_chain_hash, log.last_chain_hash());
    EXPECT_EQ(report.durable_position, log.durable_position());
    EXPECT_EQ(report.segments, log.segments().size());
    EXPECT_EQ(report.tags_checked, 170u);
    EXPECT_EQ(report.attestations_checked, 1u);
    EXPECT_EQ(report.cosignatures_checked, 1u);
    EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
    ASSERT_TRUE(report.newest_attestation.has_value());
    EXPECT_EQ(report.newest_attestation->record_position, attestation_position);
    EXPECT_EQ(report.newest_attestation->signatures.size(), 2u);
}

// `kmb verify` runs beside a live server: at every step of an active writer the log it sees
// is intact (what is unacknowledged is at most a tail).
TEST(VerifierWithLog, QuietBesideAnActiveWriter) {
    for (u64 seed = 1; seed <= 5; ++seed) {
        SimMachine machine(seed);
        auto keys = testing::make_test_keys();
        RecordFactory factory(keys.get(), seed);
        auto opened = Log::open(*machine.storage, machine.loop,
                                LogOptions{.segment_capacity_bytes = 16 * 1024});
        ASSERT_TRUE(opened.has_value());
        Log& log = **opened;
        u64 acknowledged = 0;
        for (int batch = 0; batch < 6; ++batch) {
            ASSERT_TRUE(log.append(factory.next(log, 12, 300),
                                   [&](Status status) {
                                       if (status.is_ok()) ++acknowledged;
                                   })
                            .is_ok());
        }
        u64 steps = 0;
        while (acknowledged < 6 && machine.loop.run_once()) {
            const VerifyReport report = verify_read_only(machine, {});
            ASSERT_TRUE(report.intact())
                << "seed " << seed << " step " << steps << ": " << describe(report);
            EXPECT_LE(report.durable_position, report.last_position);
            // The same with the checks shared out to threads in the smallest pieces.
            VerifyOptions shared_out;
            shared_out.threads = 3;
            shared_out.work_unit_bytes = 1;
            const VerifyReport shared = verify_read_only(machine, shared_out);
            ASSERT_TRUE(shared.intact()) << "seed " << seed << " step " << steps;
            EXPECT_EQ(shared.last_position, report.last_position);
            EXPECT_EQ(shared.last_chain_hash, report.last_chain_hash);
            EXPECT_EQ(shared.durable_position, report.durable_position);
            EXPECT_EQ(shared.tail_cut, report.tail_cut);
            EXPECT_EQ(shared.tail_reason, report.tail_reason);
            ++steps;
        }
        EXPECT_EQ(acknowledged, 6u);
        const VerifyReport report = verify_read_only(machine, {});
        ASSERT_TRUE(report.intact()) << describe(report);
        EXPECT_EQ(report.durable_position, log.durable_position());
    }
}

// After a crash in the middle of appends, the verifier (before recovery) calls the log intact
// and covers every acknowledged record; after recovery it sees exactly what recovery kept.
TEST(VerifierWithLog, AgreesWithRecoveryAfterCrashes) {
    for (u64 seed = 1; seed <= 20; ++seed) {
        SimMachine machine(seed);
        auto keys = testing::make_test_keys();
        RecordFactory factory(keys.get(), seed);
        Position acknowledged;
        {
            auto opened = Log::open(*machine.storage, machine.loop,
                                    LogOptions{.segment_capacity_bytes = 16 * 1024});
            ASSERT_TRUE(opened.has_value());
            Log& log = **opened;
            for (int batch = 0; batch < 5; ++batch) {
                auto records = factory.next(log, 10, 250);
                const Position last(log.last_position().value() + records.size());
                ASSERT_TRUE(log.append(std::move(records),
                                       [&, last](Status status) {
                                           if (status.is_ok())
                                               acknowledged = std::max(acknowledged, last);
                                       })
                                .is_ok());
            }
            const u64 steps = machine.disk.prng().uniform(60);
            for (u64 i = 0; i < steps && machine.loop.run_once(); ++i) {
            }
            machine.storage->crash();
        }
        const VerifyReport before = verify_read_only(machine, {});
        ASSERT_TRUE(before.intact()) << "seed " << seed << ": " << describe(before);
        EXPECT_GE(before.durable_position, acknowledged) << "seed " << seed;
        EXPECT_GE(before.last_position, acknowledged) << "seed " << seed;

        auto reopened = Log::open(*machine.storage, machine.loop,
                                  LogOptions{.segment_capacity_bytes = 16 * 1024});
        ASSERT_TRUE(reopened.has_value())
            << "seed " << seed << ": " << reopened.status().to_string();
        const VerifyReport after = verify_read_only(machine, {});
        ASSERT_TRUE(after.intact()) << "seed " << seed << ": " << describe(after);
        EXPECT_FALSE(after.tail_cut) << "seed " << seed << ": " << after.tail_reason;
        EXPECT_EQ(after.last_position, (*reopened)->last_position()) << "seed " << seed;
        EXPECT_EQ(after.last_chain_hash, (*reopened)->last_chain_hash()) << "seed " << seed;
        EXPECT_EQ(after.durable_position, (*reopened)->durable_position()) << "seed " << seed;
    }
}

}  // namespace
}  // namespace kb::storage
