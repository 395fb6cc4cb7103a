// Tail mirrors (segment_format.h, version 2): what they cost and what they keep.
//  * segment headers of both versions and mirror headers round-trip; impossible ones refused;
//  * a lone append into a version 2 segment is acknowledged after exactly one sync (the
//    storage counts them); without mirrors, or for a flush bigger than a slot, after two;
//  * the mark of a mirrored flush rides with the next flush, or gets a flush of its own later;
//  * version 1 segments (no mirror) still open, take appends (two syncs each) and verify, and
//    the log's next segment is version 2;
//  * the verifier reads mirrors as recovery does: a flush beyond the mark whose main copy
//    differs from a valid mirror is a warning naming the position, not a failure; damage no
//    valid mirror covers ends the tail; a mirror the newest mark outranks is ignored.
#include <gtest/gtest.h>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "storage/log.h"
#include "storage/log_test_support.h"
#include "storage/segment_reader.h"
#include "storage/test_segment_builder.h"
#include "storage/verifier.h"

namespace kb::storage {
namespace {

using testing::RecordFactory;
using testing::SimMachine;

constexpr u64 kSegmentBytes = 64 * 1024;  // mirror slots of 8 KiB (1/8)

struct Fixture {
    explicit Fixture(LogOptions options_in = {.segment_capacity_bytes = kSegmentBytes})
        : machine(3), options(options_in) {
        auto opened = Log::open(*machine.storage, machine.loop, options);
        EXPECT_TRUE(opened.has_value()) << opened.status().to_string();
        log = std::move(*opened);
    }
    Status append(usize count, usize payload = 100) {
        return testing::append_and_wait(*log, machine.loop, factory.next(*log, count, payload));
    }
    // Syncs (files and directories) made from the append until its callback ran.
    u64 syncs_to_acknowledge(usize count, usize payload = 100) {
        machine.loop.run_until_idle();  // segment preparation, marks: nothing in flight
        const u64 before = machine.storage->syncs();
        EXPECT_TRUE(append(count, payload).is_ok());
        return machine.storage->syncs() - before;
    }

    SimMachine machine;
    LogOptions options;
    std::unique_ptr<KeyringKeySource> keys = testing::make_test_keys();
    RecordFactory factory{keys.get()};
    std::unique_ptr<Log> log;
};

TEST(SegmentFormat, HeadersAndMirrorHeadersRoundTripAndRefuseImpossibleFields) {
    SegmentHeader header;
    header.segment_number = 3;
    header.first_position = Position(77);
    header.capacity_bytes = 64 * 1024;
    header.mirror_slot_bytes = 8 * 1024;
    auto decoded = decode_segment_header(encode_segment_header(header), "s");
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, header);
    EXPECT_EQ(decoded->records_offset(), kSegmentRecordsOffset + 16 * 1024);
    EXPECT_EQ(decoded->mirror_slot_offset(1), kSegmentRecordsOffset + 8 * 1024);

    SegmentHeader v1 = header;
    v1.version = kSegmentFormatVersionNoMirror;
    v1.mirror_slot_bytes = 0;
    decoded = decode_segment_header(encode_segment_header(v1), "s");
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, v1);
    EXPECT_EQ(decoded->records_offset(), kSegmentRecordsOffset);

    // Impossible slot sizes (and a version 1 header with one), checksums made right.
    auto refused = [](SegmentHeader h, u16 version, u64 slot) {
        auto block = encode_segment_header(h);
        store_le_u16(block.data() + 4, version);
        store_le_u64(block.data() + 64, slot);
        store_le_u32(block.data() + kSegmentHeaderSize - 4,
                     crypto::crc32c(ByteSpan(block.data(), kSegmentHeaderSize - 4)));
        auto result = decode_segment_header(block, "s");
        return !result.has_value() && result.status().code() == StatusCode::corruption;
    };
    EXPECT_TRUE(refused(header, 1, 8 * 1024));
    EXPECT_TRUE(refused(header, 2, 700));        // not a multiple of 512
    EXPECT_TRUE(refused(header, 2, 512));        // too small for a header and a record
    EXPECT_TRUE(refused(header, 2, 32 * 1024));  // leaves no room for records
    EXPECT_FALSE(refused(header, 2, 1024));

    MirrorHeader mirror;
    mirror.sequence = 9;
    mirror.mark_sequence = 4;
    mirror.segment_number = 3;
    mirror.first_position = Position(80);
    mirror.last_position = Position(82);
    mirror.offset = 20480;
    mirror.length = 700;
    mirror.copy_checksum = 0xabcdef12;
    const auto block = encode_mirror_header(mirror);
    const MirrorSlotHeader slot = decode_mirror_header(block);
    ASSERT_EQ(slot.state, MarkSlotState::valid);
    EXPECT_EQ(slot.header, mirror);
    EXPECT_EQ(decode_mirror_header(std::array<u8, kMirrorHeaderSize>{}).state,
              MarkSlotState::empty);
    for (usize at : {usize{0}, usize{4}, usize{20}, usize{100}, usize{511}}) {
        auto flipped = block;
        flipped[at] ^= 1;
        EXPECT_EQ(decode_mirror_header(flipped).state, MarkSlotState::invalid) << at;
    }
}

TEST(LogMirror, ALoneAppendIsAcknowledgedAfterOneSync) {
    Fixture f;
    // The segment's first flush writes its header (and syncs the directory, and the next
    // segment is prepared meanwhile): not counted.
    ASSERT_TRUE(f.append(3).is_ok());
    EXPECT_EQ(f.log->mirrored_flush_count(), 0u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(f.syncs_to_acknowledge(1), 1u) << "append " << i;
        EXPECT_EQ(f.log->mirrored_flush_count(), u64(i) + 1);
        EXPECT_EQ(f.log->durable_position(), f.log->last_position());
    }
    // A batch that fits a slot (8 KiB, less its 512-byte header) too.
    EXPECT_EQ(f.syncs_to_acknowledge(10, 400), 1u);
    // One that does not takes two.
    EXPECT_EQ(f.syncs_to_acknowledge(1, 9000), 2u);
    EXPECT_EQ(f.log->mirrored_flush_count(), 6u);
}

TEST(LogMirror, WithoutMirrorsEveryLoneAppendTakesTwoSyncs) {
    Fixture f(LogOptions{.segment_capacity_bytes = kSegmentBytes, .tail_mirror_slot_bytes = 0});
    ASSERT_TRUE(f.append(3).is_ok());
    for (int i = 0; i < 4; ++i) EXPECT_EQ(f.syncs_to_acknowledge(1), 2u) << "append " << i;
    EXPECT_EQ(f.log->mirrored_flush_count(), 0u);
    auto reader = SegmentReader::open(*f.machine.storage, 1);
    ASSERT_TRUE(reader.has_value()) << reader.status().to_string();
    EXPECT_EQ(reader->header().version, kSegmentFormatVersion);
    EXPECT_EQ(reader->header().mirror_slot_bytes, 0u);
    EXPECT_EQ(reader->header().records_offset(), kSegmentRecordsOffset);
}

// The mark of a mirrored flush: carried by the next flush when one comes; otherwise written
// by a flush of its own after tail_mirror_mark_delay_ns, so the log does not stay unmarked.
TEST(LogMirror, TheMarkOfAMirroredFlushIsWrittenLater) {
    Fixture f(LogOptions{.segment_capacity_bytes = kSegmentBytes,
                         .tail_mirror_mark_delay_ns = 5 * kNanosPerMilli});
    ASSERT_TRUE(f.append(2).is_ok());
    f.machine.loop.run_until_idle();
    ASSERT_TRUE(f.append(1).is_ok());  // mirrored: acknowledged, not yet marked
    const u64 flushes = f.log->flush_count();
    const u64 syncs = f.machine.storage->syncs();
    f.machine.loop.run_for(4 * kNanosPerMilli);
    EXPECT_EQ(f.log->flush_count(), flushes);  // still waiting for a flush to ride with
    ASSERT_TRUE(f.append(1).is_ok());          // this one carries it
    EXPECT_EQ(f.log->flush_count(), flushes + 1);
    EXPECT_EQ(f.machine.storage->syncs(), syncs + 1);
    f.machine.loop.run_until_idle();  // the last one's mark: a flush of its own
    EXPECT_EQ(f.log->flush_count(), flushes + 2);
    const Position last = f.log->last_position();
    f.log.reset();
    auto reopened = Log::open(*f.machine.storage, f.machine.loop, f.options);
    ASSERT_TRUE(reopened.has_value()) << reopened.status().to_string();
    EXPECT_EQ((*reopened)->recovery().mark_position, last);
    EXPECT_EQ((*reopened)->recovery().mirrored_position, Position::none());
}

// Many concurrent appends, mirrored or not: every one is acknowledged in order, and a verify
// and a reopen at the end agree with the log.
TEST(LogMirror, ConcurrentAppendsThroughMirrorsAndMarks) {
    for (u64 slot : {u64{0}, u64{2048}, u64{4096}, LogOptions{}.tail_mirror_slot_bytes}) {
        Fixture f(LogOptions{.segment_capacity_bytes = kSegmentBytes,
                             .tail_mirror_slot_bytes = slot,
                             .tail_mirror_mark_delay_ns = 100 * kNanosPerMicro});
        std::vector<Position> acknowledged;
        for (usize i = 0; i < 60; ++i) {
            auto records = f.factory.next(*f.log, 1 + i % 4, 100 + i % 5 * 60);
            const Position last(f.log->last_position().value() + records.size());
            ASSERT_TRUE(f.log
                            ->append(std::move(records),
                                     [&, last](Status status) {
                                         ASSERT_TRUE(status.is_ok());
                                         acknowledged.push_back(last);
                                     })
                            .is_ok());
            // Some appends alone, some in groups: flushes of one record and of several.
            if (i % 2 == 0) f.machine.loop.run_for(6 * kNanosPerMilli);
        }
        f.machine.loop.run_until_idle();
        ASSERT_EQ(acknowledged.size(), 60u);
        EXPECT_TRUE(std::is_sorted(acknowledged.begin(), acknowledged.end()));
        if (slot == 0) {
            EXPECT_EQ(f.log->mirrored_flush_count(), 0u);
        } else {
            EXPECT_GT(f.log->mirrored_flush_count(), 0u) << "slot " << slot;
        }
        const VerifyReport report = verify_log(*f.machine.storage, {});
        ASSERT_TRUE(report.intact()) << (report.failure ? report.failure->to_string() : "");
        EXPECT_EQ(report.last_position, f.log->last_position());
        EXPECT_EQ(report.durable_position, f.log->durable_position());
        const Position last = f.log->last_position();
        f.log.reset();
        auto reopened = Log::open(*f.machine.storage, f.machine.loop, f.options);
        ASSERT_TRUE(reopened.has_value()) << reopened.status().to_string();
        EXPECT_EQ((*reopened)->last_position(), last);
        auto plaintexts = testing::read_plaintexts(**reopened, f.keys.get());
        EXPECT_EQ(plaintexts.size(), last.value());
    }
}

// A data directory written before tail mirrors: version 1 segments open and verify; appends to
// the version 1 tail take the two-sync path; the next segment is version 2 with mirrors.
TEST(LogMirror, Version1SegmentsStillOpenTakeAppendsAndVerify) {
    testing::FixedKeySource builder_keys(9);
    testing::TestLogBuilder builder(testing::TestLogOptions{.segment_capacity_bytes = 16 * 1024});
    for (int i = 0; i < 120; ++i) {
        const std::string text = "version 1 op " + std::to_string(i);
        builder.add_op(Bytes(text.begin(), text.end()), builder_keys);
    }
    builder.mark_all();
    ASSERT_GE(builder.segment_count(), 2u);
    SimMachine machine(5);
    builder.install(machine.disk);
    {
        const VerifyReport report = verify_log(*machine.storage, {});
        ASSERT_TRUE(report.intact()) << (report.failure ? report.failure->to_string() : "");
        EXPECT_EQ(report.records, 120u);
    }

    const LogOptions options{.segment_capacity_bytes = 16 * 1024};
    auto opened = Log::open(*machine.storage, machine.loop, options);
    ASSERT_TRUE(opened.has_value()) << opened.status().to_string();
    std::unique_ptr<Log> log = std::move(*opened);
    ASSERT_EQ(log->last_position(), Position(120));
    auto records = log->read(Position(1), Position(120), 1 << 30);
    ASSERT_TRUE(records.has_value()) << records.status().to_string();
    ASSERT_EQ(records->size(), 120u);
    for (u64 p = 1; p <= 120; ++p) EXPECT_EQ((*records)[p - 1], builder.record_bytes(Position(p)));

    auto keys = testing::make_test_keys();
    RecordFactory factory(keys.get());
    const u64 tail_segments = log->segments().size();
    machine.loop.run_until_idle();
    const u64 before = machine.storage->syncs();
    ASSERT_TRUE(testing::append_and_wait(*log, machine.loop, factory.next(*log, 1)).is_ok());
    EXPECT_EQ(machine.storage->syncs() - before, 2u);  // the version 1 tail has no mirror
    EXPECT_EQ(log->mirrored_flush_count(), 0u);
    // Fill the old tail and go on into new segments: version 2, mirrored.
    while (log->segments().size() < tail_segments + 2) {
        ASSERT_TRUE(
            testing::append_and_wait(*log, machine.loop, factory.next(*log, 3, 300)).is_ok());
    }
    EXPECT_GT(log->mirrored_flush_count(), 0u);
    auto old_tail = SegmentReader::open(*machine.storage, tail_segments);
    ASSERT_TRUE(old_tail.has_value());
    EXPECT_EQ(old_tail->header().version, kSegmentFormatVersionNoMirror);
    auto newer = SegmentReader::open(*machine.storage, tail_segments + 1);
    ASSERT_TRUE(newer.has_value());
    EXPECT_EQ(newer->header().version, kSegmentFormatVersion);
    EXPECT_EQ(newer->header().mirror_slot_bytes, 2048u);

    const VerifyReport report = verify_log(*machine.storage, {});
    ASSERT_TRUE(report.intact()) << (report.failure ? report.failure->to_string() : "");
    EXPECT_EQ(report.last_position, log->last_position());
    EXPECT_EQ(report.durable_position, log->durable_position());
    const Position last = log->last_position();
    log.reset();
    auto reopened = Log::open(*machine.storage, machine.loop, options);
    ASSERT_TRUE(reopened.has_value()) << reopened.status().to_string();
    EXPECT_EQ((*reopened)->last_position(), last);
}

// --- The verifier and mirrors (segments built by hand) ---------------------------------------

struct MirroredLog {
    MirroredLog() {
        for (int i = 0; i < 8; ++i) {
            const std::string text = "op " + std::to_string(i);
            builder.add_op(Bytes(text.begin(), text.end()), keys);
        }
        builder.mark(Position(5));
    }
    // Installs the files (after `damage`) and verifies them; recovery's verdict too.
    VerifyReport verify(const std::function<void(io::SimDisk&)>& damage = {}) {
        machine = std::make_unique<SimMachine>(11);
        builder.install(machine->disk);
        if (damage) damage(machine->disk);
        io::SimStorage reader(machine->disk, machine->loop,
                              io::SimStorageOptions{.read_only = true});
        return verify_log(reader, {});
    }
    Result<std::unique_ptr<Log>> recover() {
        return Log::open(*machine->storage, machine->loop,
                         LogOptions{.segment_capacity_bytes = 32 * 1024});
    }
    u64 offset(Position position) const { return builder.location(position).offset; }
    u64 slot_offset(usize slot) const { return kSegmentRecordsOffset + slot * 2048; }

    testing::FixedKeySource keys{4};
    testing::TestLogBuilder builder{
        testing::TestLogOptions{.segment_capacity_bytes = 32 * 1024, .mirror_slot_bytes = 2048}};
    std::unique_ptr<SimMachine> machine;
};

TEST(VerifierMirror, AMirroredFlushBeyondTheMarkIsDurable) {
    MirroredLog log;
    log.builder.mirror(Position(6), Position(8));
    const VerifyReport report = log.verify();
    ASSERT_TRUE(report.intact()) << report.failure->to_string();
    EXPECT_EQ(report.durable_position, Position(8));
    EXPECT_EQ(report.last_position, Position(8));
    EXPECT_FALSE(report.tail_cut);
    EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
}

TEST(VerifierMirror, DamageTheMirrorRepairsIsAWarningNamingThePosition) {
    for (const u64 delta : {u64{3}, u64{kRecordHeaderSize + 4}}) {
        MirroredLog log;
        log.builder.mirror(Position(6), Position(8));
        const u64 at = log.offset(Position(7)) + delta;
        const VerifyReport report = log.verify(
            [&](io::SimDisk& disk) { ASSERT_TRUE(disk.corrupt(segment_path(1), at, 1).is_ok()); });
        ASSERT_TRUE(report.intact()) << report.failure->to_string();
        EXPECT_EQ(report.records, 8u);
        EXPECT_EQ(report.durable_position, Position(8));
        EXPECT_FALSE(report.tail_cut);
        ASSERT_EQ(report.warnings.size(), 1u);
        EXPECT_NE(report.warnings[0].find("position 7"), std::string::npos) << report.warnings[0];
        EXPECT_NE(report.warnings[0].find("tail mirror slot"), std::string::npos)
            << report.warnings[0];
        // Recovery agrees: restores it, keeps all eight.
        auto recovered = log.recover();
        ASSERT_TRUE(recovered.has_value()) << recovered.status().to_string();
        EXPECT_EQ((*recovered)->last_position(), Position(8));
        ASSERT_EQ((*recovered)->recovery().repairs.size(), 1u);
        EXPECT_EQ((*recovered)->recovery().repairs[0].first_differing, Position(7));
    }
}

TEST(VerifierMirror, DamageNoValidMirrorCoversEndsTheTail) {
    // Both copies damaged.
    {
        MirroredLog log;
        const usize slot = log.builder.mirror(Position(6), Position(8));
        const VerifyReport report = log.verify([&](io::SimDisk& disk) {
            ASSERT_TRUE(
                disk.corrupt(segment_path(1), log.offset(Position(7)) + kRecordHeaderSize + 2, 1)
                    .is_ok());
            ASSERT_TRUE(disk.corrupt(segment_path(1), log.slot_offset(slot) + 700, 1).is_ok());
        });
        ASSERT_TRUE(report.intact()) << report.failure->to_string();
        EXPECT_TRUE(report.tail_cut);
        EXPECT_EQ(report.last_position, Position(6));
        EXPECT_EQ(report.durable_position, Position(5));
        ASSERT_EQ(report.warnings.size(), 1u);  // the damaged mirror slot
        EXPECT_NE(report.warnings[0].find("tail mirror slot"), std::string::npos);
        auto recovered = log.recover();
        ASSERT_TRUE(recovered.has_value()) << recovered.status().to_string();
        EXPECT_EQ((*recovered)->last_position(), Position(6));
    }
    // A mirror the newest mark outranks (written before that mark) is not used.
    {
        MirroredLog log;
        log.builder.mirror(Position(6), Position(8), /*mark_sequence=*/0);
        const VerifyReport report = log.verify([&](io::SimDisk& disk) {
            ASSERT_TRUE(
                disk.corrupt(segment_path(1), log.offset(Position(7)) + kRecordHeaderSize + 2, 1)
                    .is_ok());
        });
        ASSERT_TRUE(report.intact()) << report.failure->to_string();
        EXPECT_TRUE(report.tail_cut);
        EXPECT_EQ(report.durable_position, Position(5));
        auto recovered = log.recover();
        ASSERT_TRUE(recovered.has_value()) << recovered.status().to_string();
        EXPECT_EQ((*recovered)->last_position(), Position(5));
    }
    // A mirror that does not start right after what precedes it (here: 7..8 while the main
    // copy of 6 is damaged) cannot vouch for that damage.
    {
        MirroredLog log;
        log.builder.mirror(Position(7), Position(8));
        const VerifyReport report = log.verify([&](io::SimDisk& disk) {
            ASSERT_TRUE(
                disk.corrupt(segment_path(1), log.offset(Position(6)) + kRecordHeaderSize + 2, 1)
                    .is_ok());
        });
        ASSERT_TRUE(report.intact()) << report.failure->to_string();
        EXPECT_TRUE(report.tail_cut);
        EXPECT_EQ(report.last_position, Position(5));
    }
}

TEST(VerifierMirror, DamageUnderTheMarkIsAFailureWhateverTheMirrors) {
    MirroredLog log;
    log.builder.mirror(Position(6), Position(8));
    const VerifyReport report = log.verify([&](io::SimDisk& disk) {
        ASSERT_TRUE(
            disk.corrupt(segment_path(1), log.offset(Position(4)) + kRecordHeaderSize + 2, 1)
                .is_ok());
    });
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->position, Position(4));
}

TEST(VerifierMirror, ADamagedMirrorSlotAloneIsAWarning) {
    MirroredLog log;
    const usize slot = log.builder.mirror(Position(6), Position(8));
    const VerifyReport report = log.verify([&](io::SimDisk& disk) {
        ASSERT_TRUE(disk.corrupt(segment_path(1), log.slot_offset(slot) + 16, 0).is_ok());
    });
    ASSERT_TRUE(report.intact()) << report.failure->to_string();
    EXPECT_EQ(report.last_position, Position(8));
    EXPECT_FALSE(report.tail_cut);
    ASSERT_EQ(report.warnings.size(), 1u);
    EXPECT_NE(report.warnings[0].find("tail mirror slot"), std::string::npos) << report.warnings[0];
    EXPECT_NE(report.warnings[0].find("(offset " + std::to_string(log.slot_offset(slot)) + ")"),
              std::string::npos)
        << report.warnings[0];
}

}  // namespace
}  // namespace kb::storage
