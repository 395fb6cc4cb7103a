// The verifier shares payload checks and chain hashes out to helper threads
// (VerifyOptions::threads); its report must not depend on that. These tests verify the same
// logs, intact and with every kind of damage, on one thread and on several with tiny pieces of
// work, and require identical reports: the first bad place in log order, whatever the timing.
#include <gtest/gtest.h>

#include "io/clock.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"
#include "storage/test_segment_builder.h"
#include "storage/verifier.h"
#include "storage/verifier_scanner.h"  // kChunkBytes

namespace kb::storage {
namespace {

using testing::FixedKeySource;
using testing::test_signing_key;
using testing::TestLogBuilder;
using testing::TestLogOptions;

using Files = std::map<std::string, Bytes>;

// A simulated disk holding a log, opened read-only as `kmb verify` opens a data directory.
class LogOnDisk {
public:
    explicit LogOnDisk(const Files& files) {
        TestLogBuilder::install(disk_, files);
        storage_ = std::make_unique<io::SimStorage>(disk_, loop_,
                                                    io::SimStorageOptions{.read_only = true});
    }
    VerifyReport verify(const VerifyOptions& options) { return verify_log(*storage_, options); }
    void flip(const std::string& path, u64 offset, u8 bit) {
        ASSERT_TRUE(disk_.corrupt(path, offset, bit).is_ok());
    }

private:
    io::ManualClock clock_;
    io::SimEventLoop loop_{clock_};
    io::SimDisk disk_;
    std::unique_ptr<io::SimStorage> storage_;
};

// Everything a report says, as text, so two reports compare with one EXPECT_EQ that shows
// the difference.
std::string describe(const VerifyReport& report) {
    std::string text = "error: " + report.error.to_string() + "\n";
    text += "failure: " + (report.failure ? report.failure->to_string() : "none") + "\n";
    text += "records " + std::to_string(report.records) + " bytes " + std::to_string(report.bytes) +
            " segments " + std::to_string(report.segments) + " last " +
            to_string(report.last_position) + " " + report.last_chain_hash.to_hex() + "\n";
    text += "durable " + to_string(report.durable_position) +
            (report.mark_found ? " (mark)" : " (no mark)") + "\n";
    text += "tail " + std::string(report.tail_cut ? "cut: " : "whole") + report.tail_reason + "\n";
    text += "attestations " + std::to_string(report.attestations_checked) + " cosignatures " +
            std::to_string(report.cosignatures_checked) + " tags " +
            std::to_string(report.tags_checked) + " without key " +
            std::to_string(report.tags_without_key) + "\n";
    if (report.newest_attestation) {
        text += "newest attestation " + to_string(report.newest_attestation->record_position) +
                " signatures " + std::to_string(report.newest_attestation->signatures.size()) +
                "\n";
    }
    for (const std::string& warning : report.warnings) text += "warning: " + warning + "\n";
    return text;
}

VerifyOptions shared_out(VerifyOptions options, usize threads, u64 work_unit_bytes) {
    options.threads = threads;
    options.work_unit_bytes = work_unit_bytes;
    return options;
}

Bytes payload_of_size(usize size, u64 seed) {
    Bytes payload(size);
    for (usize i = 0; i < size; ++i) payload[i] = static_cast<u8>((seed * 131 + i * 7) & 0xff);
    return payload;
}

// Ops of many sizes over several segments, attestations with co-signatures, and a durable
// mark short of the end, so damage can hit acknowledged records and the unacknowledged tail.
struct MixedLog {
    FixedKeySource keys{3};
    TestLogBuilder builder{TestLogOptions{.segment_capacity_bytes = 4096 + 6000}};
    MixedLog() {
        for (u64 i = 0; i < 60; ++i) {
            builder.add_op(payload_of_size(static_cast<usize>(1 + (i * 37) % 900), i), keys);
            if (i == 30) {
                const Position attestation =
                    builder.add_attestation(Position(i / 2 + 1), test_signing_key(1));
                builder.add_cosignature(attestation, test_signing_key(2));
            }
        }
        builder.mark(Position(55));
    }
};

TEST(VerifierParallel, IntactLogGivesTheSameReport) {
    MixedLog log;
    ASSERT_GE(log.builder.segment_count(), 4u);
    VerifyOptions options;
    options.keys = &log.keys;
    options.trusted_keys.add(test_signing_key(1).public_key());
    options.trusted_keys.add(test_signing_key(2).public_key());
    LogOnDisk disk(log.builder.files());
    const VerifyReport alone = disk.verify(shared_out(options, 1, 1));
    ASSERT_TRUE(alone.intact()) << describe(alone);
    EXPECT_TRUE(alone.tail_cut == false);
    EXPECT_EQ(alone.last_chain_hash, log.builder.last_chain_hash());
    for (usize threads : {usize{2}, usize{3}, usize{8}}) {
        for (u64 unit : {u64{1}, u64{500}, u64{1} << 20}) {
            EXPECT_EQ(describe(disk.verify(shared_out(options, threads, unit))), describe(alone))
                << threads << " threads, " << unit << " bytes per piece";
        }
    }
}

// Every byte of every segment flipped in turn (a stride keeps it fast; the stride is prime to
// the record sizes so every field of some record is hit): one thread and several agree.
TEST(VerifierParallel, DamageIsReportedAtTheSamePlaceWhateverTheThreads) {
    MixedLog log;
    const Files files = log.builder.files();
    VerifyOptions options;
    options.keys = &log.keys;
    LogOnDisk disk(files);
    u64 failures = 0;
    u64 tails = 0;
    for (const auto& [path, bytes] : files) {
        for (u64 offset = 0; offset < bytes.size(); offset += 41) {
            const u8 bit = static_cast<u8>(offset % 8);
            disk.flip(path, offset, bit);
            const VerifyReport alone = disk.verify(shared_out(options, 1, 1));
            const VerifyReport shared = disk.verify(shared_out(options, 3, 2000));
            disk.flip(path, offset, bit);
            ASSERT_EQ(describe(shared), describe(alone)) << path << " offset " << offset;
            if (alone.failure) ++failures;
            if (alone.tail_cut) ++tails;
        }
    }
    // The flips hit acknowledged records (failures) and the tail beyond the mark.
    EXPECT_GT(failures, 300u);
    EXPECT_GT(tails, 10u);
}

// Records larger than the scanner's 256 KiB reads, between small ones: each refills the
// buffer by itself; damage in or after one is found at its place.
TEST(VerifierParallel, RecordsLargerThanTheReadBuffer) {
    FixedKeySource keys(4);
    TestLogBuilder builder(
        TestLogOptions{.segment_capacity_bytes = 4 * RecordScanner::kChunkBytes + 8192});
    std::vector<Position> big;
    for (u64 i = 0; i < 12; ++i) {
        const usize size = i % 4 == 1 ? RecordScanner::kChunkBytes + 1000 * i : 200 + i;
        const Position position = builder.add_op(payload_of_size(size, i), keys);
        if (size > 1000) big.push_back(position);
    }
    builder.mark_all();
    const Files files = builder.files();
    LogOnDisk disk(files);
    VerifyOptions options;
    const VerifyReport alone = disk.verify(shared_out(options, 1, 1));
    ASSERT_TRUE(alone.intact()) << describe(alone);
    EXPECT_EQ(alone.records, 12u);
    EXPECT_EQ(describe(disk.verify(shared_out(options, 4, 4096))), describe(alone));

    const std::string path = segment_path(1);
    for (Position position : {big[1], big[1].next(), big[2]}) {
        const auto& where = builder.location(position);
        for (u64 offset : {where.offset + 3, where.offset + kRecordHeaderSize + 5,
                           where.offset + where.size - 1}) {
            disk.flip(path, offset, 1);
            const VerifyReport damaged = disk.verify(shared_out(options, 1, 1));
            const VerifyReport shared = disk.verify(shared_out(options, 4, 4096));
            disk.flip(path, offset, 1);
            ASSERT_TRUE(damaged.failure.has_value()) << offset;
            EXPECT_EQ(damaged.failure->position, position);
            EXPECT_EQ(damaged.failure->offset, where.offset);
            EXPECT_EQ(describe(shared), describe(damaged));
        }
    }
}

}  // namespace
}  // namespace kb::storage
