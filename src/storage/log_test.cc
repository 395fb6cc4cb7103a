// Log behaviour on the simulated disk: appends, reads, reopen, segments, policies, truncation,
// and the errors a caller must see (wrong record, no space, failed sync).
#include "storage/log.h"

#include <gtest/gtest.h>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "storage/attestation.h"
#include "storage/log_test_support.h"

namespace kb::storage {
namespace {

using testing::append_and_wait;
using testing::plaintext_for;
using testing::read_plaintexts;
using testing::RecordFactory;
using testing::SimMachine;

struct Fixture {
    // Segments are small by default: the simulated disk keeps preallocated space in memory.
    explicit Fixture(u64 seed = 1, LogOptions log_options = {.segment_capacity_bytes = 256 * 1024},
                     io::SimDiskOptions disk = {})
        : machine(seed, disk),
          keys(testing::make_test_keys()),
          factory(keys.get()),
          options(log_options) {
        reopen();
    }
    void reopen() {
        log.reset();
        auto opened = Log::open(*machine.storage, machine.loop, options);
        ASSERT_TRUE(opened.has_value()) << opened.status().to_string();
        log = std::move(*opened);
    }
    Status append(usize count, usize payload_size = 100) {
        return append_and_wait(*log, machine.loop, factory.next(*log, count, payload_size));
    }
    void expect_contents(u64 count, usize payload_size = 100) {
        auto plaintexts = read_plaintexts(*log, keys.get());
        ASSERT_EQ(plaintexts.size(), count);
        for (u64 i = 0; i < count; ++i) {
            ASSERT_EQ(plaintexts[i], plaintext_for(Position(i + 1), payload_size))
                << "position " << i + 1;
        }
    }

    SimMachine machine;
    std::unique_ptr<KeyringKeySource> keys;
    RecordFactory factory;
    LogOptions options;
    std::unique_ptr<Log> log;
};

TEST(Log, AppendsAndReadsBack) {
    Fixture f;
    EXPECT_EQ(f.log->last_position(), Position::none());
    ASSERT_TRUE(f.append(1).is_ok());
    ASSERT_TRUE(f.append(10).is_ok());
    ASSERT_TRUE(f.append(89).is_ok());
    EXPECT_EQ(f.log->durable_position(), Position(100));
    EXPECT_EQ(f.log->last_position(), Position(100));
    f.expect_contents(100);
}

TEST(Log, ReadsRespectTheByteBudgetButReturnAtLeastOne) {
    Fixture f;
    ASSERT_TRUE(f.append(20, 1000).is_ok());
    auto one = f.log->read(Position(5), Position(20), 1);
    ASSERT_TRUE(one.has_value()) << one.status().to_string();
    EXPECT_EQ(one->size(), 1u);
    auto some = f.log->read(Position(5), Position(20), 3 * (kRecordHeaderSize + 1016));
    ASSERT_TRUE(some.has_value());
    EXPECT_EQ(some->size(), 3u);
    EXPECT_EQ(f.log->read(Position(21), Position(30), 1 << 20).status().code(),
              StatusCode::out_of_range);
}

TEST(Log, ReopensAfterCleanClose) {
    Fixture f;
    ASSERT_TRUE(f.append(30).is_ok());
    const ComplianceHash chain = f.log->last_chain_hash();
    f.reopen();
    EXPECT_EQ(f.log->last_position(), Position(30));
    EXPECT_EQ(f.log->last_chain_hash(), chain);
    EXPECT_EQ(f.log->recovery().records_cut, 0u);
    ASSERT_TRUE(f.append(5).is_ok());
    f.expect_contents(35);
}

TEST(Log, RollsOverSegmentsAndUsesTheirIndexes) {
    Fixture f(2, LogOptions{.segment_capacity_bytes = 16 * 1024});
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(f.append(9, 300).is_ok());
    EXPECT_GT(f.log->segments().size(), 5u);
    f.machine.loop.run_until_idle();  // index writes
    f.reopen();
    EXPECT_EQ(f.log->last_position(), Position(180));
    EXPECT_EQ(f.log->recovery().indexes_rebuilt, 0u);
    f.expect_contents(180, 300);

    // A missing index is rebuilt by scanning; full verification scans everything.
    ASSERT_TRUE(f.machine.storage->remove(segment_index_path(2)).is_ok());
    f.options.verification = OpenVerification::full;
    f.reopen();
    f.options.verification = OpenVerification::tail;
    f.machine.loop.run_until_idle();
    f.reopen();
    EXPECT_EQ(f.log->recovery().indexes_rebuilt, 0u);
    f.expect_contents(180, 300);
}

TEST(Log, WritesEachFilledSegmentsIndexOnce) {
    Fixture f(2, LogOptions{.segment_capacity_bytes = 16 * 1024});
    for (int i = 0; i < 120; ++i) ASSERT_TRUE(f.append(1, 300).is_ok());
    ASSERT_GT(f.log->segments().size(), 3u);
    EXPECT_EQ(f.log->indexes_written(), f.log->segments().size() - 1);
}

TEST(Log, ZeroFillsSegmentsAheadWhileFlushesAreSmall) {
    constexpr u64 kCapacity = 32 * 1024;
    Fixture f(8, LogOptions{.segment_capacity_bytes = kCapacity});
    f.machine.loop.run_until_idle();  // segment 1, prepared at open
    for (int i = 0; i < 80; ++i) ASSERT_TRUE(f.append(4, 300).is_ok());
    f.machine.loop.run_until_idle();  // the segment ahead
    const u64 segments = f.log->segments().size();
    ASSERT_GT(segments, 3u);
    // Every segment, and the one prepared ahead, whole.
    EXPECT_EQ(f.log->zero_bytes_written(), (segments + 1) * kCapacity);
    f.reopen();
    f.expect_contents(320, 300);
}

TEST(Log, OnlySmallRecordsWaitForASegmentsZeros) {
    constexpr u64 kCapacity = 256 * 1024;
    {
        // Segment 1 is still being prepared when small records need it: they wait for it.
        Fixture f(10, LogOptions{.segment_capacity_bytes = kCapacity});
        ASSERT_TRUE(f.append(3, 100).is_ok());
        f.machine.loop.run_until_idle();
        EXPECT_EQ(f.log->zero_bytes_written(), 2 * kCapacity);  // segments 1 and 2 whole
    }
    {
        // A big record: the fill stops at the chunk in flight, the rest is fallocate'd.
        Fixture f(11, LogOptions{.segment_capacity_bytes = kCapacity});
        ASSERT_TRUE(f.append(1, 200 * 1024).is_ok());
        EXPECT_LT(f.log->zero_bytes_written(), kCapacity);
        ASSERT_TRUE(f.append(3, 100).is_ok());
        f.reopen();
        auto plaintexts = read_plaintexts(*f.log, f.keys.get());
        ASSERT_EQ(plaintexts.size(), 4u);
        EXPECT_EQ(plaintexts[0], plaintext_for(Position(1), 200 * 1024));
        EXPECT_EQ(plaintexts[3], plaintext_for(Position(4), 100));
    }
}

TEST(Log, StopsZeroFillingWhileFlushesAreLarge) {
    // 8 chunks of zeros per segment; flushes of one ~20 KiB record each.
    constexpr u64 kCapacity = 256 * 1024;
    Fixture f(9, LogOptions{.fsync = FsyncPolicy::every_batch,
                            .segment_capacity_bytes = kCapacity,
                            .zero_fill_flush_bytes_max = 1024});
    f.machine.loop.run_until_idle();  // segment 1, prepared at open
    ASSERT_TRUE(f.append(1, 20 * 1024).is_ok());
    f.machine.loop.run_until_idle();
    // Segment 1 (prepared before any flush) is all zeros; the fill of segment 2 stopped
    // after the first big flush and the rest was allocated instead.
    const u64 zeros = f.log->zero_bytes_written();
    EXPECT_GT(zeros, kCapacity);
    EXPECT_LT(zeros, 2 * kCapacity);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(f.append(1, 20 * 1024).is_ok());
    f.machine.loop.run_until_idle();
    ASSERT_GT(f.log->segments().size(), 3u);
    EXPECT_EQ(f.log->zero_bytes_written(), zeros);  // later segments only fallocate'd
    f.expect_contents(41, 20 * 1024);

    // Small flushes again: the next segment prepared is zero-filled.
    for (int i = 0; i < 1200; ++i) ASSERT_TRUE(f.append(1, 100).is_ok());
    f.machine.loop.run_until_idle();
    EXPECT_GT(f.log->zero_bytes_written(), zeros);
    f.reopen();
    EXPECT_EQ(f.log->last_position(), Position(41 + 1200));
    auto plaintexts = read_plaintexts(*f.log, f.keys.get());
    ASSERT_EQ(plaintexts.size(), 1241u);
    EXPECT_EQ(plaintexts[40], plaintext_for(Position(41), 20 * 1024));
    EXPECT_EQ(plaintexts[1240], plaintext_for(Position(1241), 100));
}

TEST(Log, AStaleIndexIsRebuilt) {
    Fixture f(3, LogOptions{.segment_capacity_bytes = 16 * 1024});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(f.append(9, 300).is_ok());
    f.machine.loop.run_until_idle();
    ASSERT_TRUE(f.machine.disk.corrupt(segment_index_path(1), 40, 3).is_ok());
    f.reopen();
    EXPECT_EQ(f.log->recovery().indexes_rebuilt, 1u);
    f.expect_contents(90, 300);
}

TEST(Log, RecordBiggerThanASegmentGetsItsOwn) {
    Fixture f(4, LogOptions{.segment_capacity_bytes = 16 * 1024});
    ASSERT_TRUE(f.append(3, 100).is_ok());
    ASSERT_TRUE(f.append(1, 100 * 1024).is_ok());
    ASSERT_TRUE(f.append(3, 100).is_ok());
    f.reopen();
    auto plaintexts = read_plaintexts(*f.log, f.keys.get());
    ASSERT_EQ(plaintexts.size(), 7u);
    EXPECT_EQ(plaintexts[3], plaintext_for(Position(4), 100 * 1024));
}

TEST(Log, RefusesRecordsThatDoNotFollow) {
    Fixture f;
    ASSERT_TRUE(f.append(3).is_ok());
    // Built after position 1, but the log ends at 3.
    auto stale = f.factory.build(Position(1), ComplianceHash(), 1);
    EXPECT_EQ(f.log->append(std::move(stale), [](Status) { FAIL(); }).code(),
              StatusCode::invalid_argument);
    // Right position, wrong chain.
    auto unchained = f.factory.build(Position(3), ComplianceHash(), 1);
    EXPECT_EQ(f.log->append(std::move(unchained), [](Status) { FAIL(); }).code(),
              StatusCode::invalid_argument);
    // Damaged bytes.
    auto damaged = f.factory.next(*f.log, 1);
    damaged[0][kRecordHeaderSize + 3] ^= 1;
    EXPECT_EQ(f.log->append(std::move(damaged), [](Status) { FAIL(); }).code(),
              StatusCode::corruption);
    EXPECT_EQ(f.log->last_position(), Position(3));
}

class LogPolicies : public ::testing::TestWithParam<FsyncPolicy> {};

TEST_P(LogPolicies, ConcurrentAppendsAllBecomeDurableInOrder) {
    Fixture f(5, LogOptions{.fsync = GetParam(), .segment_capacity_bytes = 256 * 1024});
    std::vector<Position> acknowledged;
    for (int i = 0; i < 16; ++i) {
        const Position last = f.log->last_position().next().next();
        ASSERT_TRUE(f.log
                        ->append(f.factory.next(*f.log, 2),
                                 [&, last](Status status) {
                                     ASSERT_TRUE(status.is_ok()) << status.to_string();
                                     acknowledged.push_back(last);
                                 })
                        .is_ok());
    }
    f.machine.loop.run_until([&] { return acknowledged.size() == 16; });
    ASSERT_EQ(acknowledged.size(), 16u);
    EXPECT_TRUE(std::is_sorted(acknowledged.begin(), acknowledged.end()));
    EXPECT_EQ(f.log->durable_position(), Position(32));
    // Group commit shares syncs; one record per flush does not.
    if (GetParam() == FsyncPolicy::group_commit) {
        EXPECT_LT(f.log->flush_count(), 10u);
    }
    if (GetParam() == FsyncPolicy::every_record) {
        EXPECT_GE(f.log->flush_count(), 32u);
    }
    f.reopen();
    f.expect_contents(32);
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, LogPolicies,
                         ::testing::Values(FsyncPolicy::every_record, FsyncPolicy::every_batch,
                                           FsyncPolicy::group_commit));

TEST(Log, TruncatesAnUncommittedSuffixDurably) {
    Fixture f(6, LogOptions{.segment_capacity_bytes = 16 * 1024});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(f.append(10, 300).is_ok());
    ASSERT_GT(f.log->segments().size(), 2u);
    std::optional<Status> done;
    ASSERT_TRUE(f.log->truncate_after(Position(33), [&](Status s) { done = s; }).is_ok());
    f.machine.loop.run_until([&] { return done.has_value(); });
    ASSERT_TRUE(done && done->is_ok()) << done->to_string();
    EXPECT_EQ(f.log->last_position(), Position(33));
    f.expect_contents(33, 300);
    // New records take the freed positions; after a reopen only they are there.
    ASSERT_TRUE(f.append(5, 300).is_ok());
    f.reopen();
    EXPECT_EQ(f.log->last_position(), Position(38));
    f.expect_contents(38, 300);
}

TEST(Log, TruncationDropsPendingAppendsAndFailsTheirCallbacks) {
    Fixture f(7);
    ASSERT_TRUE(f.append(5).is_ok());
    std::optional<Status> appended, truncated;
    ASSERT_TRUE(f.log->append(f.factory.next(*f.log, 5), [&](Status s) { appended = s; }).is_ok());
    ASSERT_TRUE(f.log->truncate_after(Position(5), [&](Status s) { truncated = s; }).is_ok());
    f.machine.loop.run_until([&] { return truncated.has_value(); });
    ASSERT_TRUE(appended.has_value());
    EXPECT_FALSE(appended->is_ok());
    EXPECT_TRUE(truncated->is_ok());
    f.reopen();
    EXPECT_EQ(f.log->last_position(), Position(5));
}

TEST(Log, TruncateToEmpty) {
    Fixture f(8);
    ASSERT_TRUE(f.append(5).is_ok());
    std::optional<Status> done;
    ASSERT_TRUE(f.log->truncate_after(Position::none(), [&](Status s) { done = s; }).is_ok());
    f.machine.loop.run_until([&] { return done.has_value(); });
    ASSERT_TRUE(done->is_ok());
    EXPECT_EQ(f.log->last_position(), Position::none());
    ASSERT_TRUE(f.append(2).is_ok());
    f.reopen();
    f.expect_contents(2);
}

TEST(Log, NoSpaceForANewSegmentRefusesTheAppendAndResumesWhenSpaceReturns) {
    Fixture f(9, LogOptions{.segment_capacity_bytes = 64 * 1024},
              io::SimDiskOptions{.capacity_bytes = 200 * 1024});
    // Ballast another program owns; deleting it later is "space returning".
    auto ballast = f.machine.storage->open("ballast", {.write = true, .create = true});
    ASSERT_TRUE(ballast.has_value());
    ASSERT_TRUE(f.machine.storage->preallocate(*ballast, 0, 64 * 1024).is_ok());
    ASSERT_TRUE(f.machine.storage->close(*ballast).is_ok());

    Status status;
    u64 appended = 0;
    for (int i = 0; i < 100; ++i) {
        status = f.append(10, 1000);
        if (!status.is_ok()) break;
        appended += 10;
    }
    ASSERT_EQ(status.code(), StatusCode::no_space) << status.to_string();
    EXPECT_NE(status.message().find("segment"), std::string::npos) << status.message();
    EXPECT_EQ(f.log->last_position(), Position(appended));
    EXPECT_TRUE(f.log->failure().is_ok());  // not poisoned: a full disk is not a lost write
    f.expect_contents(appended, 1000);

    ASSERT_TRUE(f.machine.storage->remove("ballast").is_ok());
    ASSERT_TRUE(f.machine.storage->sync_directory("").is_ok());
    Status resumed = f.append(10, 1000);
    ASSERT_TRUE(resumed.is_ok()) << resumed.to_string();
    f.reopen();
    f.expect_contents(appended + 10, 1000);
}

TEST(Log, RefusesASegmentOfAnUnknownFormatVersion) {
    Fixture f(12);
    ASSERT_TRUE(f.append(3).is_ok());
    f.log.reset();
    // Rewrite the segment header as version 3, with a valid checksum.
    auto image = *f.machine.disk.contents(segment_path(1));
    store_le_u16(image.data() + 4, 3);
    store_le_u32(image.data() + kSegmentHeaderSize - 4,
                 crypto::crc32c(ByteSpan(image.data(), kSegmentHeaderSize - 4)));
    auto file = f.machine.storage->open(segment_path(1), {.write = true});
    ASSERT_TRUE(file.has_value());
    std::optional<Status> written;
    f.machine.storage->write(*file, 0, ByteSpan(image.data(), kSegmentHeaderSize),
                             [&](Status s) { written = s; });
    f.machine.loop.run_until([&] { return written.has_value(); });
    (void)f.machine.storage->close(*file);
    auto opened = Log::open(*f.machine.storage, f.machine.loop, f.options);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.status().code(), StatusCode::unsupported);
    EXPECT_NE(opened.status().message().find("version 3"), std::string::npos)
        << opened.status().message();
}

TEST(Log, AFailedSyncIsFatalAndStaysFatal) {
    Fixture f(10);
    ASSERT_TRUE(f.append(3).is_ok());
    f.machine.storage->inject(io::SimFault::sync_error);
    Status status = f.append(2);
    EXPECT_EQ(status.code(), StatusCode::fatal);
    EXPECT_EQ(f.log->append(f.factory.next(*f.log, 1), [](Status) {}).code(), StatusCode::fatal);
    EXPECT_EQ(f.log->read(Position(1), Position(1), 100).status().code(), StatusCode::fatal);
}

TEST(Log, AnEioOnWriteIsFatal) {
    Fixture f(11);
    ASSERT_TRUE(f.append(3).is_ok());
    f.machine.storage->inject(io::SimFault::write_error);
    EXPECT_EQ(f.append(2).code(), StatusCode::fatal);
}

}  // namespace
}  // namespace kb::storage

namespace kb::storage {
namespace {

// Builds a clear record (attestation or co-signature) after the log's tail.
Bytes signed_record(const Log& log, RecordKind kind, Bytes payload) {
    RecordInput input;
    input.kind = kind;
    input.seal = SealKind::clear;
    input.position = log.last_position().next();
    input.view = View(1);
    input.timestamp = Timestamp(1'800'000'000'000'000'000ull);
    input.payload = payload;
    crypto::SeededRandom random(3);
    return build_record(input, log.last_chain_hash(), nullptr, random)->bytes;
}

TEST(LogSignedRecords, AcceptsTrueAttestationsAndCosignatures) {
    Fixture f(20);
    ASSERT_TRUE(f.append(4).is_ok());
    crypto::SeededRandom random(4);
    auto signer = crypto::Ed25519SigningKey::generate(random);
    auto cosigner = crypto::Ed25519SigningKey::generate(random);
    const AttestedStatement statement{Position(4), f.log->last_chain_hash(), Timestamp(9)};
    std::vector<Bytes> records;
    records.push_back(
        signed_record(*f.log, RecordKind::attestation, make_attestation(statement, signer)));
    ASSERT_TRUE(testing::append_and_wait(*f.log, f.machine.loop, std::move(records)).is_ok());
    records.push_back(signed_record(*f.log, RecordKind::cosignature,
                                    make_cosignature(Position(5), statement, cosigner)));
    ASSERT_TRUE(testing::append_and_wait(*f.log, f.machine.loop, std::move(records)).is_ok());
    EXPECT_EQ(f.log->last_position(), Position(6));
}

TEST(LogSignedRecords, RefusesAttestationsTheChainContradicts) {
    Fixture f(21);
    ASSERT_TRUE(f.append(4).is_ok());
    crypto::SeededRandom random(5);
    auto signer = crypto::Ed25519SigningKey::generate(random);
    auto refuse = [&](Bytes payload, RecordKind kind = RecordKind::attestation) {
        std::vector<Bytes> records;
        records.push_back(signed_record(*f.log, kind, std::move(payload)));
        return f.log->append(std::move(records), [](Status) { FAIL(); });
    };
    // The chain hash of position 3 is not the log's hash of position 4.
    const ComplianceHash at_four = f.log->last_chain_hash();
    EXPECT_EQ(refuse(make_attestation({Position(3), at_four, Timestamp(1)}, signer)).code(),
              StatusCode::invalid_argument);
    // Attesting the future.
    EXPECT_EQ(refuse(make_attestation({Position(5), at_four, Timestamp(1)}, signer)).code(),
              StatusCode::invalid_argument);
    // A forged signature.
    Bytes forged = make_attestation({Position(4), at_four, Timestamp(1)}, signer);
    forged.back() ^= 1;
    EXPECT_FALSE(refuse(forged).is_ok());
    // A co-signature of a position that holds an op, not an attestation.
    EXPECT_EQ(refuse(make_cosignature(Position(2), {Position(1), at_four, Timestamp(1)}, signer),
                     RecordKind::cosignature)
                  .code(),
              StatusCode::invalid_argument);
    EXPECT_EQ(f.log->last_position(), Position(4));
}

}  // namespace
}  // namespace kb::storage
