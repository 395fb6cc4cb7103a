// The verifier: intact logs pass; every flipped byte of acknowledged data is reported at the
// right place; tails beyond the durable mark end the log quietly; splices, forged and
// untrusted attestations, wrong keys and digests the log does not extend are caught.
#include "storage/verifier.h"

#include <gtest/gtest.h>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "crypto/sha256.h"
#include "io/clock.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"
#include "storage/test_segment_builder.h"

namespace kb::storage {
namespace {

using testing::EmptyKeySource;
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
    io::SimStorage& storage() { return *storage_; }
    io::SimDisk& disk() { return disk_; }
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

VerifyReport verify_files(const Files& files, const VerifyOptions& options = {}) {
    LogOnDisk disk(files);
    return disk.verify(options);
}

TrustedKeys trust(std::initializer_list<u64> seeds) {
    TrustedKeys keys;
    for (u64 seed : seeds) keys.add(test_signing_key(seed).public_key());
    return keys;
}

Bytes payload_text(std::string_view text) { return Bytes(text.begin(), text.end()); }

// A log with ops, an attestation and co-signatures over three segments, every record marked.
struct SampleLog {
    FixedKeySource keys{11};
    TestLogBuilder builder{TestLogOptions{.segment_capacity_bytes = 4096 + 1000}};
    Position attestation;
    SampleLog() {
        const auto attester = test_signing_key(1);
        const auto cosigner = test_signing_key(2);
        for (int i = 0; i < 4; ++i)
            builder.add_op(payload_text("op number " + std::to_string(i)), keys);
        attestation = builder.add_attestation(Position(4), attester);
        builder.add_cosignature(attestation, cosigner);
        builder.add_cosignature(attestation, attester);  // a duplicate signer: kept once
        for (int i = 0; i < 5; ++i)
            builder.add_op(payload_text("later op " + std::to_string(i)), keys);
        builder.mark(Position(6));
        builder.mark_all();
    }
};

TEST(VerifierTest, IntactLogPasses) {
    SampleLog log;
    ASSERT_GE(log.builder.segment_count(), 3u);
    VerifyOptions options;
    options.trusted_keys = trust({1, 2});
    options.keys = &log.keys;
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.intact()) << (report.failure ? report.failure->to_string()
                                                    : report.error.to_string());
    EXPECT_EQ(report.segments, log.builder.segment_count());
    EXPECT_EQ(report.records, 12u);
    EXPECT_EQ(report.last_position, Position(12));
    EXPECT_EQ(report.last_chain_hash, log.builder.last_chain_hash());
    EXPECT_EQ(report.durable_position, Position(12));
    EXPECT_EQ(report.attestations_checked, 1u);
    EXPECT_EQ(report.cosignatures_checked, 2u);
    EXPECT_EQ(report.tags_checked, 9u);
    EXPECT_TRUE(report.trust_established);
    EXPECT_FALSE(report.tail_cut);
    EXPECT_TRUE(report.warnings.empty());
    u64 bytes = 0;
    for (u64 p = 1; p <= 12; ++p) bytes += log.builder.location(Position(p)).size;
    EXPECT_EQ(report.bytes, bytes);

    ASSERT_TRUE(report.newest_attestation.has_value());
    EXPECT_EQ(report.newest_attestation->record_position, log.attestation);
    EXPECT_EQ(report.newest_attestation->statement, log.builder.statement_of(Position(4)));
    ASSERT_EQ(report.newest_attestation->signatures.size(), 2u);
    EXPECT_EQ(report.newest_attestation->signatures[0].public_key,
              test_signing_key(1).public_key());
    EXPECT_EQ(report.newest_attestation->signatures[1].public_key,
              test_signing_key(2).public_key());
}

TEST(VerifierTest, WithoutTrustOrKeysSaysSo) {
    SampleLog log;
    const VerifyReport report = verify_files(log.builder.files());
    ASSERT_TRUE(report.intact());
    EXPECT_FALSE(report.trust_established);
    EXPECT_FALSE(report.keys_given);
    EXPECT_EQ(report.tags_checked, 0u);
    EXPECT_EQ(report.attestations_checked, 1u);  // validity still checked
}

TEST(VerifierTest, EmptyAndMissingLogs) {
    const VerifyReport empty = verify_files({});
    EXPECT_TRUE(empty.intact());
    EXPECT_EQ(empty.records, 0u);
    EXPECT_EQ(empty.segments, 0u);

    io::ManualClock clock;
    io::SimEventLoop loop(clock);
    io::SimDisk disk;
    io::SimStorage storage(disk, loop, io::SimStorageOptions{.read_only = true});
    const VerifyReport missing = verify_log(storage, {});
    EXPECT_FALSE(missing.intact());
    EXPECT_EQ(missing.error.code(), StatusCode::not_found);
    EXPECT_NE(missing.error.message().find("not a Kimberlite data directory"), std::string::npos);
}

// The record (1-based position) whose bytes include `offset` of segment `segment_index`.
std::optional<Position> record_at(const TestLogBuilder& builder, usize segment_index, u64 offset) {
    for (u64 p = 1; p <= builder.last_position().value(); ++p) {
        const auto& where = builder.location(Position(p));
        if (where.segment_index == segment_index && offset >= where.offset &&
            offset < where.offset + where.size) {
            return Position(p);
        }
    }
    return std::nullopt;
}

// Flips every byte (one bit of it) of every segment file of a small, fully marked log, one at
// a time, and checks what the verifier says:
//   segment header block [0, 512)        failure naming the file, offset 0
//   mark slots [512, 1536)               intact, with a warning naming the slot
//   reserved zeros [1536, 4096)          failure naming the exact offset
//   record bytes                         failure naming the record's position and offset
//   [end, end + 152) after the records   the next header's slot: in the last segment this is
//                                        beyond the durable mark (tail ends: intact); in
//                                        earlier segments it is a failure at the position
//                                        the next segment starts with
//   beyond that                          never read (no record starts there): intact
TEST(VerifierTest, EveryFlippedByteIsReportedAtItsPlace) {
    FixedKeySource keys(5);
    TestLogBuilder builder(TestLogOptions{.segment_capacity_bytes = 4096 + 900});
    builder.add_op(payload_text("first"), keys);
    builder.add_op(payload_text("second op, a little longer"), keys);
    const Position attestation = builder.add_attestation(Position(2), test_signing_key(1));
    builder.add_cosignature(attestation, test_signing_key(2));
    builder.add_op(payload_text("fifth"), keys);
    builder.add_op(payload_text("sixth"), keys);
    builder.add_op(payload_text("seventh"), keys);
    builder.mark(Position(5));
    builder.mark_all();
    ASSERT_EQ(builder.segment_count(), 2u);
    const Files files = builder.files();

    VerifyOptions options;
    options.trusted_keys = trust({1, 2});
    options.keys = &keys;
    LogOnDisk disk(files);
    ASSERT_TRUE(disk.verify(options).intact());

    u64 checked = 0;
    for (usize segment = 0; segment < files.size(); ++segment) {
        const std::string path = segment_path(segment + 1);
        const u64 size = files.at(path).size();
        const bool last = segment + 1 == files.size();
        u64 end = kSegmentRecordsOffset;
        Position last_in_segment;
        for (u64 p = 1; p <= builder.last_position().value(); ++p) {
            const auto& where = builder.location(Position(p));
            if (where.segment_index == segment) {
                end = where.offset + where.size;
                last_in_segment = Position(p);
            }
        }
        // A flip there makes the next header slot non-zero, if a header fits before the end.
        const bool next_header_fits = end + kRecordHeaderSize <= size;
        for (u64 offset = 0; offset < size; ++offset) {
            const u8 bit = static_cast<u8>(offset % 8);
            disk.flip(path, offset, bit);
            const VerifyReport report = disk.verify(options);
            disk.flip(path, offset, bit);
            ++checked;
            const std::string where = path + " offset " + std::to_string(offset);
            ASSERT_TRUE(report.error.is_ok()) << where << ": " << report.error.to_string();
            if (offset < kSegmentHeaderSize) {
                ASSERT_TRUE(report.failure.has_value()) << where;
                EXPECT_EQ(report.failure->file, path) << where;
                EXPECT_FALSE(report.failure->position.has_value()) << where;
                EXPECT_EQ(report.failure->offset, u64{0}) << where;
            } else if (offset < kMarkSlotOffset[1] + kMarkSlotSize) {
                ASSERT_TRUE(report.intact()) << where << ": " << report.failure->to_string();
                const u64 slot_offset = offset < kMarkSlotOffset[1] ? 512 : 1024;
                ASSERT_EQ(report.warnings.size(), 1u) << where;
                EXPECT_NE(report.warnings[0].find(path), std::string::npos);
                EXPECT_NE(report.warnings[0].find("(offset " + std::to_string(slot_offset) + ")"),
                          std::string::npos)
                    << report.warnings[0];
            } else if (offset < kSegmentRecordsOffset) {
                ASSERT_TRUE(report.failure.has_value()) << where;
                EXPECT_EQ(report.failure->file, path);
                EXPECT_EQ(report.failure->offset, offset);
            } else if (offset < end) {
                const Position position = *record_at(builder, segment, offset);
                ASSERT_TRUE(report.failure.has_value()) << where;
                EXPECT_EQ(report.failure->file, path) << where;
                EXPECT_EQ(report.failure->position, position) << where;
                EXPECT_EQ(report.failure->offset, builder.location(position).offset) << where;
            } else if (offset < end + kRecordHeaderSize && next_header_fits) {
                if (last) {
                    ASSERT_TRUE(report.intact()) << where << ": " << report.failure->to_string();
                    EXPECT_TRUE(report.tail_cut) << where;
                    EXPECT_EQ(report.last_position, builder.last_position());
                } else {
                    ASSERT_TRUE(report.failure.has_value()) << where;
                    EXPECT_EQ(report.failure->file, path);
                    EXPECT_EQ(report.failure->offset, end);
                    EXPECT_EQ(report.failure->position, last_in_segment.next());
                }
            } else {
                ASSERT_TRUE(report.intact()) << where;
                EXPECT_FALSE(report.tail_cut) << where;
                EXPECT_TRUE(report.warnings.empty()) << where;
            }
        }
    }
    EXPECT_GT(checked, 9000u);
}

TEST(VerifierTest, DamageBeyondTheDurableMarkEndsTheTail) {
    FixedKeySource keys(5);
    TestLogBuilder builder;
    for (int i = 0; i < 8; ++i) builder.add_op(payload_text("op " + std::to_string(i)), keys);
    builder.mark(Position(5));
    const Files files = builder.files();
    const std::string path = segment_path(1);

    // Every byte of the unmarked records 6..8: the log ends just before the damaged one.
    LogOnDisk disk(files);
    for (u64 p = 6; p <= 8; ++p) {
        const auto& where = builder.location(Position(p));
        for (u64 offset = where.offset; offset < where.offset + where.size; ++offset) {
            disk.flip(path, offset, 3);
            const VerifyReport report = disk.verify({});
            disk.flip(path, offset, 3);
            ASSERT_TRUE(report.intact()) << offset << ": " << report.failure->to_string();
            ASSERT_TRUE(report.tail_cut);
            EXPECT_EQ(report.last_position, Position(p - 1));
            EXPECT_NE(report.tail_reason.find("position " + std::to_string(p)), std::string::npos)
                << report.tail_reason;
            EXPECT_NE(report.tail_reason.find("durable mark at position 5"), std::string::npos);
        }
    }
    // The same damage at the mark is a failure.
    const auto& fifth = builder.location(Position(5));
    disk.flip(path, fifth.offset + kRecordHeaderSize + 2, 0);
    const VerifyReport report = disk.verify({});
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(5));
    EXPECT_NE(report.failure->what.find("payload"), std::string::npos) << report.failure->what;
}

TEST(VerifierTest, LostAndTornUnsyncedWrites) {
    FixedKeySource keys(5);
    TestLogBuilder builder;
    for (int i = 0; i < 8; ++i) builder.add_op(payload_text("op " + std::to_string(i)), keys);
    builder.mark(Position(5));
    const std::string path = segment_path(1);
    const auto& seventh = builder.location(Position(7));

    // Records 7 and 8 never landed (zero): the log simply ends at 6.
    Files lost = builder.files();
    std::fill(lost[path].begin() + static_cast<std::ptrdiff_t>(seventh.offset), lost[path].end(),
              0);
    VerifyReport report = verify_files(lost);
    ASSERT_TRUE(report.intact());
    EXPECT_FALSE(report.tail_cut);
    EXPECT_EQ(report.last_position, Position(6));

    // Record 7 torn: its header landed, half its payload did not.
    Files torn = builder.files();
    const auto payload_begin =
        torn[path].begin() + static_cast<std::ptrdiff_t>(seventh.offset + kRecordHeaderSize);
    std::fill(payload_begin, payload_begin + 8, 0);
    report = verify_files(torn);
    ASSERT_TRUE(report.intact());
    EXPECT_TRUE(report.tail_cut);
    EXPECT_EQ(report.last_position, Position(6));

    // Record 8 landed but 7 did not (unsynced writes land in any order).
    Files gap = builder.files();
    std::fill_n(gap[path].begin() + static_cast<std::ptrdiff_t>(seventh.offset), seventh.size, 0);
    report = verify_files(gap);
    ASSERT_TRUE(report.intact());
    EXPECT_EQ(report.last_position, Position(6));

    // Record 4 (acknowledged) zeroed: a failure naming it.
    Files zeroed = builder.files();
    const auto& fourth = builder.location(Position(4));
    std::fill_n(zeroed[path].begin() + static_cast<std::ptrdiff_t>(fourth.offset),
                kRecordHeaderSize, 0);
    report = verify_files(zeroed);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(4));
    EXPECT_EQ(report.failure->offset, fourth.offset);
    EXPECT_NE(report.failure->what.find("missing"), std::string::npos);
}

TEST(VerifierTest, WithoutAnyMarkNothingIsAcknowledged) {
    FixedKeySource keys(5);
    TestLogBuilder builder;
    for (int i = 0; i < 4; ++i) builder.add_op(payload_text("op"), keys);
    Files files = builder.files();
    const auto& second = builder.location(Position(2));
    files[segment_path(1)][second.offset + 20] ^= 0x10;
    const VerifyReport report = verify_files(files);
    ASSERT_TRUE(report.intact());
    EXPECT_FALSE(report.mark_found);
    EXPECT_TRUE(report.tail_cut);
    EXPECT_EQ(report.last_position, Position(1));
}

TEST(VerifierTest, ChainSpliceFromAnotherLogIsDetected) {
    FixedKeySource keys(5);
    TestLogBuilder other(TestLogOptions{.seed = 99});
    for (int i = 0; i < 6; ++i) other.add_op(payload_text("other " + std::to_string(i)), keys);

    TestLogBuilder builder;
    for (int i = 0; i < 3; ++i) builder.add_op(payload_text("mine " + std::to_string(i)), keys);
    builder.add_raw(other.record_bytes(Position(4)));  // a valid record, position 4, wrong chain
    builder.add_op(payload_text("mine 5"), keys);
    builder.mark_all();
    VerifyReport report = verify_files(builder.files());
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(4));
    EXPECT_EQ(report.failure->offset, builder.location(Position(4)).offset);
    EXPECT_NE(report.failure->what.find("previous chain hash"), std::string::npos);

    // A record of this log replayed at another position.
    TestLogBuilder replay;
    for (int i = 0; i < 3; ++i) replay.add_op(payload_text("mine " + std::to_string(i)), keys);
    replay.add_raw(replay.record_bytes(Position(2)));
    replay.mark_all();
    report = verify_files(replay.files());
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(4));
    EXPECT_NE(report.failure->what.find("holds position 2"), std::string::npos);
}

TEST(VerifierTest, MissingSegmentAndSegmentThatDoesNotContinue) {
    SampleLog log;
    Files files = log.builder.files();
    files.erase(segment_path(2));
    VerifyReport report = verify_files(files);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->file, segment_path(2));
    EXPECT_NE(report.failure->what.find("missing"), std::string::npos);

    // Segment 2 swapped in from another log (same layout, other chain). (Swapping the last
    // segment would take the newest mark with it: then nothing there was acknowledged.)
    TestLogBuilder other(TestLogOptions{.segment_capacity_bytes = 4096 + 1000, .seed = 3});
    FixedKeySource keys(11);
    for (int i = 0; i < 12; ++i) other.add_op(payload_text("op number " + std::to_string(i)), keys);
    Files mixed = log.builder.files();
    mixed[segment_path(2)] = other.files()[segment_path(2)];
    report = verify_files(mixed);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->file, segment_path(2));
    EXPECT_NE(report.failure->what.find("segment starts at position"), std::string::npos)
        << report.failure->what;
}

// The writer zero-fills the next segment ahead of need: an all-zero last segment holds
// nothing yet and is not part of the log.
TEST(VerifierTest, AZeroFilledNextSegmentIsNotPartOfTheLog) {
    SampleLog log;
    Files files = log.builder.files();
    files[segment_path(log.builder.segment_count() + 1)] = Bytes(8192, 0);
    const VerifyReport report = verify_files(files);
    ASSERT_TRUE(report.intact()) << report.failure->to_string();
    EXPECT_FALSE(report.tail_cut);
    EXPECT_EQ(report.segments, log.builder.segment_count());
    EXPECT_EQ(report.last_position, Position(12));
}

// A segment whose header is being written (torn) beyond the mark ends the log.
TEST(VerifierTest, SegmentBeingCreatedBeyondTheMarkIsTheEnd) {
    SampleLog log;
    Files files = log.builder.files();
    Bytes torn(8192, 0);
    torn[0] = 0x4b;  // the first byte of a header landed, the rest did not
    files[segment_path(log.builder.segment_count() + 1)] = torn;
    const VerifyReport report = verify_files(files);
    ASSERT_TRUE(report.intact()) << report.failure->to_string();
    EXPECT_TRUE(report.tail_cut);
    EXPECT_EQ(report.last_position, Position(12));
}

TEST(VerifierTest, MarkThatDisagreesWithTheLogIsAFailure) {
    FixedKeySource keys(5);
    TestLogBuilder builder;
    for (int i = 0; i < 5; ++i) builder.add_op(payload_text("op"), keys);
    Files files = builder.files();
    DurabilityMark lie;
    lie.sequence = 1;
    lie.position = Position(5);
    lie.end_offset = builder.location(Position(5)).offset + builder.location(Position(5)).size;
    lie.chain_hash = builder.chain_hash(Position(4));
    const auto block = encode_mark(lie);
    std::copy(block.begin(), block.end(), files[segment_path(1)].begin() + 1024);
    const VerifyReport report = verify_files(files);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(5));
    EXPECT_EQ(report.failure->offset, u64{1024});
    EXPECT_NE(report.failure->what.find("durability mark"), std::string::npos);
}

TEST(VerifierTest, UnknownRecordVersionIsAnErrorNotDamage) {
    FixedKeySource keys(5);
    TestLogBuilder builder;
    builder.add_op(payload_text("op"), keys);
    builder.mark_all();
    Files files = builder.files();
    u8* header = files[segment_path(1)].data() + kSegmentRecordsOffset;
    store_le_u16(header + 4, 2);
    store_le_u32(header + kRecordHeaderChecksumOffset,
                 crypto::crc32c(ByteSpan(header, kRecordChainedSize)));
    const VerifyReport report = verify_files(files);
    EXPECT_EQ(report.error.code(), StatusCode::unsupported);
    EXPECT_FALSE(report.failure.has_value());
}

// --- Attestations ---------------------------------------------------------------------------

struct AttestedLog {
    FixedKeySource keys{5};
    TestLogBuilder builder;
    AttestedLog() {
        for (int i = 0; i < 3; ++i) builder.add_op(payload_text("op"), keys);
    }
    VerifyReport finish_and_verify(const VerifyOptions& options) {
        builder.add_op(payload_text("after"), keys);
        builder.mark_all();
        return verify_files(builder.files(), options);
    }
};

TEST(VerifierTest, ForgedAttestationIsReported) {
    AttestedLog log;
    Bytes forged = make_attestation(log.builder.statement_of(Position(2)), test_signing_key(1));
    forged[100] ^= 0x01;  // inside the signature
    const Position at = log.builder.add_clear(RecordKind::attestation, forged);
    VerifyOptions options;
    options.trusted_keys = trust({1});
    const VerifyReport report = log.finish_and_verify(options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, at);
    EXPECT_NE(report.failure->what.find("does not verify"), std::string::npos);
}

TEST(VerifierTest, AttestationWithWrongChainHashIsReported) {
    AttestedLog log;
    AttestedStatement statement = log.builder.statement_of(Position(2));
    statement.chain_hash = log.builder.chain_hash(Position(1));
    const Position at = log.builder.add_clear(RecordKind::attestation,
                                              make_attestation(statement, test_signing_key(1)));
    VerifyOptions options;
    options.trusted_keys = trust({1});
    const VerifyReport report = log.finish_and_verify(options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, at);
    EXPECT_NE(report.failure->what.find("attestation says position 2 has chain hash"),
              std::string::npos)
        << report.failure->what;
}

TEST(VerifierTest, AttestationByUntrustedKeyIsReported) {
    AttestedLog log;
    const Position at = log.builder.add_attestation(Position(3), test_signing_key(9));
    VerifyOptions options;
    options.trusted_keys = trust({1, 2});
    VerifyReport report = log.finish_and_verify(options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, at);
    EXPECT_NE(
        report.failure->what.find("untrusted key " + test_signing_key(9).public_key().to_hex()),
        std::string::npos);

    // Without trusted keys the same log passes, with trust not established.
    report = verify_files(log.builder.files(), {});
    EXPECT_TRUE(report.intact());
    EXPECT_FALSE(report.trust_established);
}

TEST(VerifierTest, AttestationOfItsOwnOrALaterPositionIsReported) {
    AttestedLog log;
    AttestedStatement statement = log.builder.statement_of(Position(3));
    statement.position = Position(4);  // the attestation's own position
    const Position at = log.builder.add_clear(RecordKind::attestation,
                                              make_attestation(statement, test_signing_key(1)));
    ASSERT_EQ(at, Position(4));
    const VerifyReport report = log.finish_and_verify({});
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, at);
    EXPECT_NE(report.failure->what.find("not before its own"), std::string::npos);
}

TEST(VerifierTest, MalformedAttestationPayloadIsReported) {
    AttestedLog log;
    const Position at = log.builder.add_clear(RecordKind::attestation, payload_text("hello"));
    const VerifyReport report = log.finish_and_verify({});
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, at);
    EXPECT_NE(report.failure->what.find("attestation payload"), std::string::npos);
}

TEST(VerifierTest, CosignatureChecks) {
    // Co-signing a position that holds no attestation.
    {
        AttestedLog log;
        const Position at = log.builder.add_clear(
            RecordKind::cosignature,
            make_cosignature(Position(2), log.builder.statement_of(Position(1)),
                             test_signing_key(2)));
        const VerifyReport report = log.finish_and_verify({});
        ASSERT_TRUE(report.failure.has_value());
        EXPECT_EQ(report.failure->position, at);
        EXPECT_NE(report.failure->what.find("holds no earlier attestation"), std::string::npos);
    }
    // A co-signature over a different statement than the attestation's.
    {
        AttestedLog log;
        const Position attestation = log.builder.add_attestation(Position(2), test_signing_key(1));
        const Position at = log.builder.add_clear(
            RecordKind::cosignature,
            make_cosignature(attestation, log.builder.statement_of(Position(3)),
                             test_signing_key(2)));
        const VerifyReport report = log.finish_and_verify({});
        ASSERT_TRUE(report.failure.has_value());
        EXPECT_EQ(report.failure->position, at);
        EXPECT_NE(report.failure->what.find("does not verify"), std::string::npos);
    }
    // An untrusted co-signer.
    {
        AttestedLog log;
        const Position attestation = log.builder.add_attestation(Position(2), test_signing_key(1));
        const Position at = log.builder.add_cosignature(attestation, test_signing_key(3));
        VerifyOptions options;
        options.trusted_keys = trust({1});
        const VerifyReport report = log.finish_and_verify(options);
        ASSERT_TRUE(report.failure.has_value());
        EXPECT_EQ(report.failure->position, at);
        EXPECT_NE(report.failure->what.find("untrusted"), std::string::npos);
    }
}

// Attested positions older than the in-memory window are recomputed from disk, across
// segments.
TEST(VerifierTest, OldAttestedPositionsAreRecomputedFromCheckpoints) {
    FixedKeySource keys(5);
    TestLogBuilder builder(TestLogOptions{.segment_capacity_bytes = 4096 + 700});
    for (int i = 0; i < 30; ++i) builder.add_op(payload_text("op " + std::to_string(i)), keys);
    builder.add_attestation(Position(3), test_signing_key(1));
    builder.add_attestation(Position(17), test_signing_key(1));
    builder.mark_all();
    ASSERT_GT(builder.segment_count(), 3u);
    VerifyOptions options;
    options.recent_chain_hashes = 2;
    VerifyReport report = verify_files(builder.files(), options);
    ASSERT_TRUE(report.intact()) << report.failure->to_string() << report.error.to_string();
    EXPECT_EQ(report.attestations_checked, 2u);

    AttestedStatement wrong = builder.statement_of(Position(3));
    wrong.chain_hash = builder.chain_hash(Position(2));
    const Position at =
        builder.add_clear(RecordKind::attestation, make_attestation(wrong, test_signing_key(1)));
    builder.mark_all();
    report = verify_files(builder.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, at);
}

TEST(VerifierTest, NewestAttestationIsTheNewestAtOrBelowTheMark) {
    AttestedLog log;
    const Position first = log.builder.add_attestation(Position(2), test_signing_key(1));
    log.builder.add_op(payload_text("x"), log.keys);
    log.builder.mark_all();
    log.builder.add_attestation(Position(4), test_signing_key(1));  // beyond the mark
    const VerifyReport report = verify_files(log.builder.files());
    ASSERT_TRUE(report.intact());
    EXPECT_EQ(report.attestations_checked, 2u);
    ASSERT_TRUE(report.newest_attestation.has_value());
    EXPECT_EQ(report.newest_attestation->record_position, first);
}

// --- Digests ----------------------------------------------------------------------------------

Digest digest_of(const TestLogBuilder& builder, Position attestation_position,
                 std::initializer_list<u64> signers) {
    Digest digest;
    digest.statement = decode_attestation(builder.payload_of(attestation_position))->statement;
    digest.attestation_position = attestation_position;
    for (u64 seed : signers) {
        const auto key = test_signing_key(seed);
        digest.signatures.push_back(
            {key.public_key(), key.sign(attestation_message(digest.statement))});
    }
    return digest;
}

TEST(VerifierTest, LogThatExtendsTheDigestPasses) {
    SampleLog log;
    VerifyOptions options;
    options.digest = digest_of(log.builder, log.attestation, {1, 2});
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.intact()) << report.failure->to_string();
    EXPECT_TRUE(report.digest_checked);
    EXPECT_TRUE(report.trust_established);  // the digest's signers
    EXPECT_EQ(report.trusted_key_count, 2u);
    EXPECT_NE(report.digest_note.find("its attestation is at position 5"), std::string::npos)
        << report.digest_note;
}

TEST(VerifierTest, DigestSignersAreTheTrustedKeys) {
    SampleLog log;
    VerifyOptions options;
    options.digest = digest_of(log.builder, log.attestation, {1});  // the co-signer 2 is unknown
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_NE(report.failure->what.find("untrusted"), std::string::npos);
}

TEST(VerifierTest, DifferentLogWithTheSamePositionFails) {
    SampleLog log;
    const Digest digest = digest_of(log.builder, log.attestation, {1, 2});

    FixedKeySource keys(11);
    TestLogBuilder other(TestLogOptions{.seed = 77});
    for (int i = 0; i < 8; ++i) other.add_op(payload_text("something else"), keys);
    other.mark_all();
    VerifyOptions options;
    options.digest = digest;
    const VerifyReport report = verify_files(other.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(4));
    EXPECT_NE(report.failure->what.find("does not extend the digest"), std::string::npos);
}

TEST(VerifierTest, DigestBeyondTheLogFailsClearly) {
    SampleLog log;
    Digest digest = digest_of(log.builder, log.attestation, {1, 2});
    digest.statement.position = Position(500);
    digest.attestation_position = Position(501);
    digest.signatures.clear();
    for (u64 seed = 1; seed <= 2; ++seed) {
        const auto key = test_signing_key(seed);
        digest.signatures.push_back(
            {key.public_key(), key.sign(attestation_message(digest.statement))});
    }
    VerifyOptions options;
    options.digest = digest;
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(500));
    EXPECT_NE(report.failure->what.find("beyond the end of the log (last position 12)"),
              std::string::npos)
        << report.failure->what;
}

TEST(VerifierTest, DigestWithABadSignatureFails) {
    SampleLog log;
    Digest digest = digest_of(log.builder, log.attestation, {1, 2});
    digest.signatures[0].signature.bytes[0] ^= 1;
    VerifyOptions options;
    options.digest = digest;
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->file, "digest");
    EXPECT_NE(report.failure->what.find("does not verify"), std::string::npos);
}

// --- AEAD ---------------------------------------------------------------------------------------

TEST(VerifierTest, WrongKeyReportsTagFailureAtTheFirstSealedRecord) {
    AttestedLog log;
    log.builder.mark_all();
    FixedKeySource wrong(6);
    VerifyOptions options;
    options.keys = &wrong;
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(1));
    EXPECT_NE(report.failure->what.find("AEAD tag"), std::string::npos);
}

TEST(VerifierTest, AlteredCiphertextWithRecomputedDigestsFailsTheTag) {
    // An attacker who rewrites a sealed payload and recomputes checksums, digest and every
    // later chain hash defeats all keyless checks; only the tag (and a digest) catch it.
    FixedKeySource keys(5);
    TestLogBuilder honest;
    honest.add_op(payload_text("pay alice 10"), keys);
    honest.mark_all();
    Bytes record = honest.record_bytes(Position(1));
    record[kRecordHeaderSize] ^= 0x01;
    RecordHeader header = *decode_record_header(std::span<const u8, kRecordHeaderSize>(
                                                    record.data(), kRecordHeaderSize))
                               .header;
    describe_payload(&header, ByteSpan(record).subspan(kRecordHeaderSize));
    const auto header_bytes = encode_record_header(header);
    std::copy(header_bytes.begin(), header_bytes.end(), record.begin());

    TestLogBuilder forged;
    forged.add_raw(record);
    forged.mark_all();
    EXPECT_TRUE(verify_files(forged.files()).intact());
    VerifyOptions options;
    options.keys = &keys;
    const VerifyReport report = verify_files(forged.files(), options);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(1));
    EXPECT_NE(report.failure->what.find("AEAD tag"), std::string::npos);
}

TEST(VerifierTest, MissingKeysAreCountedNotFailed) {
    AttestedLog log;
    log.builder.mark_all();
    EmptyKeySource none;
    VerifyOptions options;
    options.keys = &none;
    const VerifyReport report = verify_files(log.builder.files(), options);
    ASSERT_TRUE(report.intact());
    EXPECT_EQ(report.tags_checked, 0u);
    EXPECT_EQ(report.tags_without_key, 3u);
    EXPECT_NE(report.first_missing_key.find("no key for tenant 1"), std::string::npos);
}

TEST(VerifierTest, ProgressIsMonotonicAndEndsAtTheTotal) {
    SampleLog log;
    std::vector<std::pair<u64, u64>> calls;
    VerifyOptions options;
    options.progress = [&](u64 done, u64 total) { calls.emplace_back(done, total); };
    ASSERT_TRUE(verify_files(log.builder.files(), options).intact());
    ASSERT_FALSE(calls.empty());
    for (usize i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
    for (const auto& [done, total] : calls) EXPECT_LE(done, total);
    EXPECT_EQ(calls.back().first, calls.back().second);
}

}  // namespace
}  // namespace kb::storage
