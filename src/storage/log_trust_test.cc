// The log's trust anchor (log.h, "Trust"): reads at or below the newest verified attestation
// are verified against it. The tests forge logs the way someone with write access to the data
// directory could — records rewritten with recomputed checksums, re-linked, with recomputed
// indexes — and show that the log without trusted keys (what it always did) returns the
// forged record while the log anchored to an attestation refuses it.
#include <gtest/gtest.h>

#include <map>

#include "crypto/random.h"
#include "storage/attestation.h"
#include "storage/log.h"
#include "storage/log_test_support.h"
#include "storage/test_segment_builder.h"

namespace kb::storage {
namespace {

using testing::append_and_wait;
using testing::FixedKeySource;
using testing::RecordFactory;
using testing::SimMachine;
using testing::test_signing_key;
using testing::TestLogBuilder;
using testing::TestLogOptions;

TrustedKeys trust(std::initializer_list<const crypto::Ed25519SigningKey*> keys) {
    TrustedKeys trusted;
    for (const crypto::Ed25519SigningKey* key : keys) trusted.add(key->public_key());
    return trusted;
}

bool mentions(const Status& status, const std::string& text) {
    return status.message().find(text) != std::string::npos;
}

// A clear record (attestation or co-signature) after the log's tail.
Bytes clear_record(const Log& log, RecordKind kind, ByteSpan payload) {
    RecordInput input;
    input.kind = kind;
    input.seal = SealKind::clear;
    input.position = log.last_position().next();
    input.view = View(1);
    input.timestamp = Timestamp(1'800'000'000'000'000'000ull + input.position.value());
    input.payload = payload;
    crypto::SeededRandom random(input.position.value());
    auto built = build_record(input, log.last_chain_hash(), nullptr, random);
    EXPECT_TRUE(built.has_value());
    return std::move(built->bytes);
}

// A log on a simulated disk, written through Log, remembering every record it appended.
struct Fixture {
    explicit Fixture(u64 seed, LogOptions log_options = {.segment_capacity_bytes = 16 * 1024})
        : machine(seed), keys(testing::make_test_keys()), factory(keys.get(), seed) {
        options = std::move(log_options);
    }
    Status open() {
        log.reset();
        auto opened = Log::open(*machine.storage, machine.loop, options);
        if (!opened) return opened.status();
        log = std::move(*opened);
        return Status::ok();
    }
    Status append(std::vector<Bytes> records) {
        for (const Bytes& record : records) written.push_back(record);
        Status status = append_and_wait(*log, machine.loop, std::move(records));
        if (!status.is_ok()) written.resize(log->last_position().value());
        return status;
    }
    Status append_ops(usize count) { return append(factory.next(*log, count)); }
    // An attestation of the log's last position.
    Status attest(const crypto::Ed25519SigningKey& key) {
        const Bytes payload =
            make_attestation(log->last_position(), log->last_chain_hash(), Timestamp(77), key);
        return append({clear_record(*log, RecordKind::attestation, payload)});
    }
    Status cosign(const crypto::Ed25519SigningKey& key, Position attestation_position) {
        auto view = parse_record(written[attestation_position.value() - 1]);
        EXPECT_TRUE(view.has_value());
        auto attestation = decode_attestation(view->sealed_payload);
        EXPECT_TRUE(attestation.has_value());
        const Bytes payload = make_cosignature(attestation_position, attestation->statement, key);
        return append({clear_record(*log, RecordKind::cosignature, payload)});
    }
    // Reads [from, to] and checks every record against what was appended.
    void expect_read(Position from, Position to, u64 max_bytes = u64{1} << 30) {
        auto records = log->read(from, to, max_bytes);
        ASSERT_TRUE(records.has_value()) << "read " << from.value() << ".." << to.value() << ": "
                                         << records.status().to_string();
        ASSERT_FALSE(records->empty());
        for (usize i = 0; i < records->size(); ++i) {
            ASSERT_EQ((*records)[i], written[from.value() - 1 + i])
                << "position " << from.value() + i;
        }
    }

    SimMachine machine;
    std::unique_ptr<KeyringKeySource> keys;
    RecordFactory factory;
    LogOptions options;
    std::unique_ptr<Log> log;
    std::vector<Bytes> written;  // written[p - 1] is record p
};

TEST(LogTrust, WithoutTrustedKeysReadsStayOnTheDurableChain) {
    Fixture f(1);
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.append_ops(100).is_ok());
    ASSERT_TRUE(f.attest(test_signing_key(1)).is_ok());
    ASSERT_TRUE(f.open().is_ok());
    EXPECT_FALSE(f.log->trust_anchor().has_value());
    EXPECT_EQ(f.log->attested_position(), Position::none());
    EXPECT_EQ(f.log->read_trust(Position(1)), ReadTrust::durable_chain);
    f.expect_read(Position(1), Position(101));
}

TEST(LogTrust, OpenAnchorsReadsToTheNewestVerifiedAttestation) {
    const auto attester = test_signing_key(1);
    const auto cosigner = test_signing_key(2);
    Fixture f(2);
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.append_ops(150).is_ok());
    ASSERT_TRUE(f.attest(attester).is_ok());  // 151 attests 150
    ASSERT_TRUE(f.append_ops(150).is_ok());
    ASSERT_TRUE(f.attest(attester).is_ok());                 // 302 attests 301
    ASSERT_TRUE(f.cosign(cosigner, Position(302)).is_ok());  // 303
    ASSERT_TRUE(f.cosign(cosigner, Position(151)).is_ok());  // 304: of the older one
    ASSERT_TRUE(f.append_ops(20).is_ok());
    ASSERT_GT(f.log->segments().size(), 4u);
    f.machine.loop.run_until_idle();  // index files

    f.options.trusted_keys = trust({&attester, &cosigner});
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.log->trust_anchor().has_value());
    const TrustAnchor& anchor = *f.log->trust_anchor();
    EXPECT_EQ(anchor.attestation_position, Position(302));
    EXPECT_EQ(anchor.statement.position, Position(301));
    EXPECT_EQ(anchor.signatures, 2u);
    EXPECT_EQ(f.log->attested_position(), Position(301));
    EXPECT_EQ(f.log->read_trust(Position(1)), ReadTrust::attested);
    EXPECT_EQ(f.log->read_trust(Position(301)), ReadTrust::attested);
    EXPECT_EQ(f.log->read_trust(Position(302)), ReadTrust::durable_chain);
    EXPECT_TRUE(f.log->faulty().empty());
    f.expect_read(Position(1), Position(324));
    f.expect_read(Position(295), Position(310));
    f.expect_read(Position(7), Position(7));
}

TEST(LogTrust, AnAppendedAttestationBecomesTheAnchorOnceDurable) {
    const auto attester = test_signing_key(1);
    const auto cosigner = test_signing_key(2);
    const auto stranger = test_signing_key(3);
    Fixture f(3);
    f.options.trusted_keys = trust({&attester, &cosigner});
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.append_ops(40).is_ok());
    EXPECT_FALSE(f.log->trust_anchor().has_value());
    EXPECT_EQ(f.log->read_trust(Position(40)), ReadTrust::durable_chain);

    // Not durable yet: not the anchor.
    const Bytes payload =
        make_attestation(Position(40), f.log->last_chain_hash(), Timestamp(1), attester);
    std::vector<Bytes> records{clear_record(*f.log, RecordKind::attestation, payload)};
    f.written.push_back(records.front());
    bool durable = false;
    ASSERT_TRUE(f.log
                    ->append(std::move(records),
                             [&](Status status) {
                                 EXPECT_TRUE(status.is_ok());
                                 durable = true;
                             })
                    .is_ok());
    EXPECT_FALSE(f.log->trust_anchor().has_value());
    f.machine.loop.run_until([&] { return durable; });
    ASSERT_TRUE(f.log->trust_anchor().has_value());
    EXPECT_EQ(f.log->trust_anchor()->attestation_position, Position(41));
    EXPECT_EQ(f.log->read_trust(Position(40)), ReadTrust::attested);
    f.expect_read(Position(1), Position(41));

    // Signed records by keys the log does not trust are refused.
    ASSERT_TRUE(f.append_ops(5).is_ok());
    EXPECT_EQ(f.attest(stranger).code(), StatusCode::invalid_argument);
    EXPECT_EQ(f.cosign(stranger, Position(41)).code(), StatusCode::invalid_argument);
    ASSERT_TRUE(f.cosign(cosigner, Position(41)).is_ok());
    EXPECT_EQ(f.log->trust_anchor()->signatures, 2u);
    ASSERT_TRUE(f.attest(attester).is_ok());
    EXPECT_EQ(f.log->trust_anchor()->attestation_position, Position(48));
    EXPECT_EQ(f.log->attested_position(), Position(47));

    // The same anchor after a restart.
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.log->trust_anchor().has_value());
    EXPECT_EQ(f.log->trust_anchor()->attestation_position, Position(48));
    f.expect_read(Position(1), Position(48));
}

TEST(LogTrust, TruncationBelowTheAnchorFallsBackToTheAttestationBefore) {
    const auto attester = test_signing_key(1);
    Fixture f(4);
    f.options.trusted_keys = trust({&attester});
    ASSERT_TRUE(f.open().is_ok());
    ASSERT_TRUE(f.append_ops(30).is_ok());
    ASSERT_TRUE(f.attest(attester).is_ok());  // 31 attests 30
    ASSERT_TRUE(f.append_ops(30).is_ok());
    ASSERT_TRUE(f.attest(attester).is_ok());  // 62 attests 61
    ASSERT_TRUE(f.append_ops(3).is_ok());
    f.expect_read(Position(1), Position(65));
    EXPECT_EQ(f.log->trust_anchor()->attestation_position, Position(62));

    auto truncate = [&](Position position) {
        std::optional<Status> done;
        EXPECT_TRUE(f.log->truncate_after(position, [&](Status s) { done = s; }).is_ok());
        f.machine.loop.run_until([&] { return done.has_value(); });
        EXPECT_TRUE(done.has_value() && done->is_ok());
        f.written.resize(position.value());
    };
    truncate(Position(62));  // the anchor's record stays
    EXPECT_EQ(f.log->trust_anchor()->attestation_position, Position(62));
    truncate(Position(50));
    ASSERT_TRUE(f.log->trust_anchor().has_value());
    EXPECT_EQ(f.log->trust_anchor()->attestation_position, Position(31));
    EXPECT_EQ(f.log->attested_position(), Position(30));
    EXPECT_EQ(f.log->read_trust(Position(31)), ReadTrust::durable_chain);
    f.expect_read(Position(1), Position(50));
    truncate(Position(20));
    EXPECT_FALSE(f.log->trust_anchor().has_value());
    f.expect_read(Position(1), Position(20));
}

TEST(LogTrust, SequentialReadsWalkFewHeadersPastWhatTheyReturn) {
    const auto attester = test_signing_key(1);
    Fixture f(5);
    ASSERT_TRUE(f.open().is_ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(f.append_ops(100).is_ok());
    ASSERT_TRUE(f.attest(attester).is_ok());  // 1001 attests 1000
    f.machine.loop.run_until_idle();
    f.options.trusted_keys = trust({&attester});
    ASSERT_TRUE(f.open().is_ok());

    // The first read far below the anchor walks every header up to it once...
    f.expect_read(Position(1), Position(1));
    EXPECT_GE(f.log->trust_walk_records(), 900u);
    EXPECT_LE(f.log->trust_walk_records(), 999u);
    // ...after which a read anywhere walks at most to the next index anchor, and reading one
    // record after the other walks about one header per record (to the next anchor and back).
    u64 walked = f.log->trust_walk_records();
    f.expect_read(Position(500), Position(500));
    EXPECT_LE(f.log->trust_walk_records() - walked, kIndexStride);
    walked = f.log->trust_walk_records();
    for (u64 p = 2; p <= 1000; ++p) f.expect_read(Position(p), Position(p));
    EXPECT_LE(f.log->trust_walk_records() - walked, 1000u);
    walked = f.log->trust_walk_records();
    for (u64 p = 1; p <= 1000; p += 37) f.expect_read(Position(p), Position(p + 36), 10 * 1024);
    EXPECT_LE(f.log->trust_walk_records() - walked, 28 * kIndexStride);

    // Full verification at open recomputes every chain hash from position 1: nothing to walk.
    f.options.verification = OpenVerification::full;
    ASSERT_TRUE(f.open().is_ok());
    f.expect_read(Position(1), Position(1));
    EXPECT_LT(f.log->trust_walk_records(), kIndexStride);
}

TEST(LogTrust, RandomReadsReturnWhatWasAppended) {
    const auto attester = test_signing_key(1);
    Fixture f(6);
    f.options.trusted_keys = trust({&attester});
    ASSERT_TRUE(f.open().is_ok());
    Prng prng(6);
    for (int round = 0; round < 8; ++round) {
        ASSERT_TRUE(f.append_ops(1 + prng.uniform(150)).is_ok());
        ASSERT_TRUE(f.attest(attester).is_ok());
    }
    ASSERT_TRUE(f.append_ops(25).is_ok());
    f.machine.loop.run_until_idle();
    for (int reopen = 0; reopen < 2; ++reopen) {
        ASSERT_TRUE(f.open().is_ok());
        const u64 last = f.log->durable_position().value();
        for (int i = 0; i < 300; ++i) {
            const u64 from = 1 + prng.uniform(last);
            const u64 to = from + prng.uniform(std::min<u64>(last - from + 1, 80));
            const u64 budget = prng.chance(1, 3) ? 1 : 300 * (1 + prng.uniform(40));
            f.expect_read(Position(from), Position(to), budget);
        }
    }
}

// Rewrites record `target` in the segment file at `path` (a payload byte changed, its digest
// and checksums recomputed) and re-links up to `relink` records after it in that segment, as
// someone writing to the data directory beside a running log could.
void forge_in_place(io::SimDisk& disk, const std::string& path, Position target, u64 relink) {
    auto contents = disk.contents(path);
    ASSERT_TRUE(contents.has_value());
    Bytes file = std::move(*contents);
    std::optional<ComplianceHash> chain;  // the forged chain, from the target on
    u64 relinked = 0;
    auto segment_header = decode_segment_header(ByteSpan(file.data(), kSegmentHeaderSize), path);
    ASSERT_TRUE(segment_header.has_value()) << segment_header.status().to_string();
    for (u64 offset = segment_header->records_offset();
         offset + kRecordHeaderSize <= file.size();) {
        HeaderDecode decoded = decode_record_header(
            std::span<const u8, kRecordHeaderSize>(file.data() + offset, kRecordHeaderSize));
        if (!decoded.header) break;
        RecordHeader header = *decoded.header;
        const u64 next = offset + kRecordHeaderSize + header.payload_length;
        if (header.position == target) {
            file[offset + kRecordHeaderSize] ^= 1;
            describe_payload(
                &header, ByteSpan(file.data() + offset + kRecordHeaderSize, header.payload_length));
        } else if (chain && relinked < relink) {
            header.previous_chain_hash = *chain;
            ++relinked;
        } else if (chain) {
            break;
        }
        if (header.position >= target) {
            const RecordHeaderBytes bytes = encode_record_header(header);
            std::copy(bytes.begin(), bytes.end(),
                      file.begin() + static_cast<std::ptrdiff_t>(offset));
            chain = chain_hash_next(header.previous_chain_hash, bytes);
        }
        offset = next;
    }
    ASSERT_TRUE(chain.has_value());
    auto node = disk.lookup(path);
    ASSERT_TRUE(node.has_value());
    disk.complete_write(disk.begin_write(*node, 0, file, std::nullopt));
    disk.make_durable(*node, disk.sync_point(*node));
}

// Whatever earlier reads proved (spans of verified anchors, the run past the last read), a
// record forged beside the running log is refused.
TEST(LogTrust, RecordsForgedBesideARunningLogAreRefusedWhateverWasReadBefore) {
    const auto attester = test_signing_key(1);
    for (u64 seed = 1; seed <= 12; ++seed) {
        Fixture f(100 + seed, {.segment_capacity_bytes = 64 * 1024});
        f.options.trusted_keys = trust({&attester});
        ASSERT_TRUE(f.open().is_ok());
        Prng prng(seed);
        for (int round = 0; round < 6; ++round) {
            ASSERT_TRUE(f.append_ops(1 + prng.uniform(200)).is_ok());
            ASSERT_TRUE(f.attest(attester).is_ok());
        }
        ASSERT_TRUE(f.append_ops(10).is_ok());
        f.machine.loop.run_until_idle();
        if (prng.coin()) {
            ASSERT_TRUE(f.open().is_ok());  // sealed segments from their indexes
        }
        for (int i = 0; i < 20; ++i) {
            const u64 from = 1 + prng.uniform(f.log->durable_position().value());
            f.expect_read(Position(from), Position(from + prng.uniform(100)),
                          1 + prng.uniform(20'000));
        }
        const Position target(1 + prng.uniform(f.log->attested_position().value()));
        const SegmentSummary* holder = nullptr;
        for (const SegmentSummary& summary : f.log->segments()) {
            if (summary.first_position <= target) holder = &summary;
        }
        ASSERT_NE(holder, nullptr);
        forge_in_place(f.machine.disk, segment_path(holder->segment_number), target,
                       prng.uniform(2 * kIndexStride));
        auto records = f.log->read(target, target, 1 << 20);
        ASSERT_FALSE(records.has_value()) << "seed " << seed << " position " << target.value();
        EXPECT_EQ(records.status().code(), StatusCode::corruption);
        EXPECT_TRUE(mentions(records.status(), "position " + to_string(target) + " cannot"))
            << records.status().to_string();
    }
}

// Ops 1..count with 100-byte plaintexts (record `altered` with its last byte changed), laid
// out identically in every builder made with the same options.
void add_ops(TestLogBuilder& builder, KeySource& keys, u64 count, Position altered) {
    for (u64 p = 1; p <= count; ++p) {
        Bytes plaintext = testing::plaintext_for(Position(p));
        if (Position(p) == altered) plaintext.back() ^= 1;
        builder.add_op(plaintext, keys);
    }
}

Result<Bytes> plaintext_of(const Bytes& record, KeySource& keys) {
    auto view = KB_TRY(parse_record(record));
    return open_record_payload(view, &keys);
}

// Someone with write access rewrites one op of a sealed segment with recomputed digest and
// checksums, re-links the records after it (their previous chain hashes and checksums) up to
// the index anchor two strides on, and recomputes the segment's index file. Opening does not
// scan sealed segments, and every record's neighbours agree with it.
TEST(LogTrust, ReadRefusesARecordRewrittenWithConsistentChecksumsAndIndex) {
    const auto attester = test_signing_key(1);
    FixedKeySource keys(3);
    const TestLogOptions layout{.segment_capacity_bytes = 96 * 1024};
    constexpr u64 kOps = 1000;
    const Position rewritten(1 + kIndexStride + 5);
    const Position relinked_last(3 * kIndexStride);  // the record before anchor 1 + 3 * 64
    TestLogBuilder original(layout);
    TestLogBuilder forged(layout);
    add_ops(original, keys, kOps, Position::none());
    add_ops(forged, keys, kOps, rewritten);
    original.add_attestation(Position(kOps), attester);
    original.mark_all();
    ASSERT_GE(original.segment_count(), 3u);
    ASSERT_EQ(original.location(relinked_last.next()).segment_index, 0u);
    ASSERT_GT(original.location(Position(kOps)).segment_index, 0u);

    auto files = original.files();
    Bytes& segment = files.at(segment_path(1));
    auto forged_here = [&](Position p) { return p >= rewritten && p <= relinked_last; };
    SegmentSummary summary;
    summary.segment_number = 1;
    summary.first_position = Position(1);
    summary.end_offset = kSegmentRecordsOffset;
    for (Position p(1); original.location(p).segment_index == 0; p = p.next()) {
        const testing::RecordLocation& where = original.location(p);
        if (forged_here(p)) {
            ASSERT_EQ(forged.location(p).offset, where.offset);
            const Bytes bytes = forged.record_bytes(p);
            ASSERT_EQ(bytes.size(), where.size);
            std::copy(bytes.begin(), bytes.end(),
                      segment.begin() + static_cast<std::ptrdiff_t>(where.offset));
        }
        // What an index rebuilt from the rewritten records claims; the anchor where the
        // re-linking stopped keeps the old claim, which the record there still carries.
        const ComplianceHash previous = forged_here(p) && forged_here(p.prev())
                                            ? forged.chain_hash(p.prev())
                                            : original.chain_hash(p.prev());
        const ComplianceHash chain = forged_here(p) ? forged.chain_hash(p) : original.chain_hash(p);
        summary.add(p, where.offset, where.offset + where.size, previous, chain);
    }
    files[segment_index_path(1)] = encode_segment_index(summary);

    // Without trusted keys (what the log always did): the rewritten op reads back as genuine.
    {
        SimMachine machine(7);
        TestLogBuilder::install(machine.disk, files);
        auto log = Log::open(*machine.storage, machine.loop, {.segment_capacity_bytes = 96 * 1024});
        ASSERT_TRUE(log.has_value()) << log.status().to_string();
        auto records = (*log)->read(rewritten, rewritten, 1 << 20);
        ASSERT_TRUE(records.has_value()) << records.status().to_string();
        auto plaintext = plaintext_of(records->front(), keys);
        ASSERT_TRUE(plaintext.has_value());
        EXPECT_NE(*plaintext, testing::plaintext_for(rewritten));
    }
    // Anchored to the attestation of position 1000: refused, naming the position.
    {
        SimMachine machine(7);
        TestLogBuilder::install(machine.disk, files);
        auto log =
            Log::open(*machine.storage, machine.loop,
                      {.segment_capacity_bytes = 96 * 1024, .trusted_keys = trust({&attester})});
        ASSERT_TRUE(log.has_value()) << log.status().to_string();
        ASSERT_TRUE((*log)->trust_anchor().has_value());
        EXPECT_EQ((*log)->recovery().indexes_rebuilt, original.segment_count() - 2);
        EXPECT_EQ((*log)->read_trust(rewritten), ReadTrust::attested);
        auto records = (*log)->read(rewritten, rewritten, 1 << 20);
        ASSERT_FALSE(records.has_value());
        EXPECT_EQ(records.status().code(), StatusCode::corruption);
        EXPECT_TRUE(mentions(records.status(), "position " + to_string(rewritten) + " cannot"))
            << records.status().to_string();
        EXPECT_TRUE(mentions(records.status(), segment_path(1))) << records.status().to_string();
        // Nothing before the break can be vouched for either; what follows it can.
        EXPECT_EQ((*log)->read(Position(1), Position(1), 1 << 20).status().code(),
                  StatusCode::corruption);
        auto after = (*log)->read(relinked_last.next(), Position(kOps), u64{1} << 30);
        ASSERT_TRUE(after.has_value()) << after.status().to_string();
        EXPECT_EQ(after->size(), kOps - relinked_last.value());
    }
}

// Someone rewrites one op and re-links every record after it to the end of the log — headers,
// checksums, segment headers, durability marks — copying the attestation's payload over: a
// log consistent in every byte, except that the attestation vouches for another history.
TEST(LogTrust, OpenRefusesAHistoryTheAttestationDoesNotVouchFor) {
    const auto attester = test_signing_key(1);
    FixedKeySource keys(3);
    const TestLogOptions layout{.segment_capacity_bytes = 64 * 1024};
    constexpr u64 kOps = 600;
    const Position rewritten(123);
    TestLogBuilder original(layout);
    TestLogBuilder forged(layout);
    add_ops(original, keys, kOps, Position::none());
    add_ops(forged, keys, kOps, rewritten);
    const Position attestation = original.add_attestation(Position(kOps), attester);
    forged.add_clear(RecordKind::attestation, original.payload_of(attestation));
    forged.mark_all();

    LogOptions options{.segment_capacity_bytes = 64 * 1024, .verification = OpenVerification::full};
    {
        SimMachine machine(8);
        forged.install(machine.disk);
        auto log = Log::open(*machine.storage, machine.loop, options);
        ASSERT_TRUE(log.has_value()) << log.status().to_string();
        auto records = (*log)->read(rewritten, rewritten, 1 << 20);
        ASSERT_TRUE(records.has_value()) << records.status().to_string();
        EXPECT_NE(*plaintext_of(records->front(), keys), testing::plaintext_for(rewritten));
    }
    options.trusted_keys = trust({&attester});
    {
        SimMachine machine(8);
        forged.install(machine.disk);
        auto log = Log::open(*machine.storage, machine.loop, options);
        ASSERT_FALSE(log.has_value());
        EXPECT_EQ(log.status().code(), StatusCode::corruption);
        EXPECT_TRUE(mentions(log.status(),
                             forged.path_of(attestation) + " position " + to_string(attestation)))
            << log.status().to_string();
        EXPECT_TRUE(mentions(log.status(), "records disagree")) << log.status().to_string();
    }
    options.tolerate_faulty = true;
    {
        SimMachine machine(8);
        forged.install(machine.disk);
        auto log = Log::open(*machine.storage, machine.loop, options);
        ASSERT_TRUE(log.has_value()) << log.status().to_string();
        EXPECT_FALSE((*log)->trust_anchor().has_value());
        ASSERT_EQ((*log)->faulty().size(), 1u);
        EXPECT_EQ((*log)->faulty().front().position, attestation);
        EXPECT_EQ((*log)->read_trust(rewritten), ReadTrust::durable_chain);
    }
}

TEST(LogTrust, OpenRefusesANewestAttestationThatDoesNotVerify) {
    const auto attester = test_signing_key(1);
    const auto cosigner = test_signing_key(2);
    const auto stranger = test_signing_key(3);
    FixedKeySource keys(3);
    auto open_with = [&](const TestLogBuilder& builder, TrustedKeys trusted,
                         bool tolerate = false) {
        SimMachine machine(9);
        builder.install(machine.disk);
        auto log = Log::open(*machine.storage, machine.loop,
                             {.segment_capacity_bytes = 16 * 1024,
                              .tolerate_faulty = tolerate,
                              .trusted_keys = std::move(trusted)});
        if (!log) return std::make_pair(log.status(), std::vector<FaultyRecord>{});
        EXPECT_EQ(log.value()->trust_anchor().has_value(), (*log)->faulty().empty());
        return std::make_pair(Status::ok(), (*log)->faulty());
    };
    TestLogBuilder builder;
    add_ops(builder, keys, 50, Position::none());
    builder.add_attestation(Position(20), stranger);  // older: not looked at
    add_ops(builder, keys, 10, Position::none());
    const Position attestation = builder.add_attestation(Position(55), attester);
    const Position cosignature = builder.add_cosignature(attestation, cosigner);
    builder.mark_all();
    EXPECT_TRUE(open_with(builder, trust({&attester, &cosigner})).first.is_ok());

    // Signed by a key that is not trusted: the attester's, then a co-signer's.
    auto [status, faulty] = open_with(builder, trust({&cosigner}));
    EXPECT_EQ(status.code(), StatusCode::corruption);
    EXPECT_TRUE(mentions(status, "position " + to_string(attestation) +
                                     ": the attestation is "
                                     "signed by key " +
                                     attester.public_key().to_hex()))
        << status.to_string();
    std::tie(status, faulty) = open_with(builder, trust({&attester}));
    EXPECT_TRUE(mentions(status, "position " + to_string(cosignature) + ": the co-signature"))
        << status.to_string();
    std::tie(status, faulty) = open_with(builder, trust({&attester}), /*tolerate=*/true);
    ASSERT_TRUE(status.is_ok());
    ASSERT_EQ(faulty.size(), 1u);
    EXPECT_EQ(faulty.front().position, cosignature);

    // A forged signature.
    TestLogBuilder forged;
    add_ops(forged, keys, 30, Position::none());
    Bytes payload = make_attestation(forged.statement_of(Position(30)), attester);
    payload.back() ^= 1;
    const Position bad = forged.add_clear(RecordKind::attestation, payload);
    forged.mark_all();
    std::tie(status, faulty) = open_with(forged, trust({&attester}));
    EXPECT_EQ(status.code(), StatusCode::corruption);
    EXPECT_TRUE(mentions(status, "position " + to_string(bad) + ": attestation signature"))
        << status.to_string();
}

}  // namespace
}  // namespace kb::storage
