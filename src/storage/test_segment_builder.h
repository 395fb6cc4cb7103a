// Test support (header-only; used by tests and the e2e log maker, never by the server): builds
// log segment files with chosen records, marks and damage, without going through Log.
//
// A TestLogBuilder lays records out the way the writer does (segment_format.h): each segment
// file has its header block, two durability-mark slots (a mark of sequence s goes to slot
// s % 2) and records back to back from offset 4096 (version 1, the default) or, with
// mirror_slot_bytes, after two tail mirror slots (version 2), preallocated (zero) to its
// capacity; a record that does not fit starts the next segment. Tests then install the files on a
// SimDisk (or write them to a directory), and may corrupt any byte first, so the verifier's
// checks can be driven precisely: forged attestations, records spliced in from another log,
// unsynced tails beyond the mark.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/assert.h"
#include "crypto/crc32c.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "crypto/sealer.h"
#include "io/sim_disk.h"
#include "storage/attestation.h"
#include "storage/key_source.h"
#include "storage/record_builder.h"
#include "storage/segment_format.h"

namespace kb::storage::testing {

// One AES key for every (seal, tenant, segment), from a seed: enough to seal and open records
// in tests; a different seed is "the wrong key".
class FixedKeySource final : public KeySource {
public:
    explicit FixedKeySource(u64 seed) {
        crypto::SeededRandom random(seed);
        random.fill(key_bytes_);
    }
    Result<std::shared_ptr<crypto::SealingKey>> segment_key(SealKind, TenantId, Position) override {
        return std::make_shared<crypto::SealingKey>(crypto::Key256::from_bytes(key_bytes_),
                                                    "test key");
    }

private:
    std::array<u8, 32> key_bytes_{};
};

// A KeySource that has no key at all (sealed records' tags cannot be checked).
class EmptyKeySource final : public KeySource {
public:
    Result<std::shared_ptr<crypto::SealingKey>> segment_key(SealKind, TenantId tenant,
                                                            Position position) override {
        return Status::not_found("no key for tenant " + std::to_string(tenant.value()) +
                                 " at position " + to_string(position));
    }
};

// A deterministic signing key from a small seed.
inline crypto::Ed25519SigningKey test_signing_key(u64 seed) {
    crypto::SeededRandom random(seed * 7919 + 17);
    return crypto::Ed25519SigningKey::generate(random);
}

struct TestLogOptions {
    u64 segment_capacity_bytes = 16 * 1024;
    // 0: version 1 segments (no tail mirror); else version 2 with two slots of this size.
    u64 mirror_slot_bytes = 0;
    u64 seed = 1;  // nonces
    u64 timestamp_base = 1'700'000'000'000'000'000ULL;
};

// Where a record landed.
struct RecordLocation {
    usize segment_index = 0;  // segment number - 1
    u64 offset = 0;
    u64 size = 0;
    RecordHeader header;
    ComplianceHash chain_hash;
};

class TestLogBuilder {
public:
    explicit TestLogBuilder(TestLogOptions options = {})
        : options_(options), random_(options.seed) {}

    // --- Records ---

    // An op sealed under `keys` (tenant seal).
    Position add_op(ByteSpan plaintext, KeySource& keys, TenantId tenant = TenantId(1)) {
        return add(RecordKind::op, SealKind::tenant, plaintext, &keys, tenant);
    }
    // An attestation of `attested` (its chain hash as this log has it), signed by `key`.
    Position add_attestation(Position attested, const crypto::Ed25519SigningKey& key) {
        return add_clear(RecordKind::attestation, make_attestation(statement_of(attested), key));
    }
    // A co-signature by `key` of the attestation record at `attestation_position`.
    Position add_cosignature(Position attestation_position, const crypto::Ed25519SigningKey& key) {
        auto decoded = decode_attestation(payload_of(attestation_position));
        KB_ASSERT(decoded.has_value());
        return add_clear(RecordKind::cosignature,
                         make_cosignature(attestation_position, decoded->statement, key));
    }
    // A clear record with any payload (forged or malformed attestations).
    Position add_clear(RecordKind kind, ByteSpan payload) {
        return add(kind, SealKind::clear, payload, nullptr, TenantId(0));
    }
    // Appends already-built record bytes verbatim (a record from another log: a splice).
    Position add_raw(ByteSpan record_bytes) {
        auto view = parse_record(record_bytes);
        KB_ASSERT(view.has_value());
        const Position position = last_position().next();
        place(Bytes(record_bytes.begin(), record_bytes.end()), view->header,
              chain_hash_next(last_chain_hash(), view->header_bytes));
        return position;
    }

    // The statement an honest attester of `position` would sign.
    AttestedStatement statement_of(Position position) const {
        return AttestedStatement{.position = position,
                                 .chain_hash = chain_hash(position),
                                 .timestamp = timestamp_of(position)};
    }

    // The next record starts a new segment even if it would fit.
    void start_new_segment() { force_new_segment_ = true; }

    // Writes a durability mark for `position` (<= last_position(); none for the empty log)
    // into the segment holding it, with the next sequence.
    void mark(Position position) {
        KB_ASSERT(position <= last_position());
        DurabilityMark mark;
        mark.sequence = ++mark_sequence_;
        mark.position = position;
        usize segment = 0;
        if (position == Position::none()) {
            mark.end_offset = records_offset();
        } else {
            const RecordLocation& where = location(position);
            segment = where.segment_index;
            mark.end_offset = where.offset + where.size;
            mark.chain_hash = where.chain_hash;
        }
        ensure_segment(segment);
        segments_[segment].marks[mark.sequence % 2] = mark;
    }
    void mark_all() { mark(last_position()); }
    u64 mark_sequence() const { return mark_sequence_; }

    // Writes a tail mirror of records [first, last] (one segment) into the next slot of their
    // segment (sequence s goes to slot s % 2), naming `mark_sequence` (by default the newest
    // mark's, as the writer does). Returns the slot.
    usize mirror(Position first, Position last, std::optional<u64> mark_sequence = {}) {
        KB_ASSERT(options_.mirror_slot_bytes > 0 && first <= last && last <= last_position());
        const RecordLocation& from = location(first);
        const RecordLocation& to = location(last);
        KB_ASSERT(from.segment_index == to.segment_index);
        Segment& segment = segments_[from.segment_index];
        const u64 length = to.offset + to.size - from.offset;
        KB_ASSERT(length + kMirrorHeaderSize <= options_.mirror_slot_bytes);
        MirrorHeader header;
        header.sequence = ++mirror_sequence_;
        header.mark_sequence = mark_sequence.value_or(mark_sequence_);
        header.segment_number = from.segment_index + 1;
        header.first_position = first;
        header.last_position = last;
        header.offset = from.offset;
        header.length = length;
        const auto begin = segment.data.begin() + static_cast<std::ptrdiff_t>(from.offset);
        const Bytes copy(begin, begin + static_cast<std::ptrdiff_t>(length));
        header.copy_checksum = crypto::crc32c(copy);
        const usize slot = static_cast<usize>(header.sequence % 2);
        const u64 at = kSegmentRecordsOffset + slot * options_.mirror_slot_bytes;
        const auto block = encode_mirror_header(header);
        std::copy(block.begin(), block.end(),
                  segment.data.begin() + static_cast<std::ptrdiff_t>(at));
        std::copy(copy.begin(), copy.end(),
                  segment.data.begin() + static_cast<std::ptrdiff_t>(at + kMirrorHeaderSize));
        return slot;
    }
    // Where records start in each segment.
    u64 records_offset() const { return kSegmentRecordsOffset + 2 * options_.mirror_slot_bytes; }

    // --- Inspection ---

    Position last_position() const { return Position(records_.size()); }
    ComplianceHash last_chain_hash() const {
        return records_.empty() ? ComplianceHash() : records_.back().chain_hash;
    }
    ComplianceHash chain_hash(Position position) const {
        return position == Position::none() ? ComplianceHash() : location(position).chain_hash;
    }
    const RecordLocation& location(Position position) const {
        KB_ASSERT(position != Position::none() && position.value() <= records_.size());
        return records_[static_cast<usize>(position.value() - 1)];
    }
    std::string path_of(Position position) const {
        return segment_path(location(position).segment_index + 1);
    }
    // The bytes of record `position` (header then sealed payload).
    Bytes record_bytes(Position position) const {
        const RecordLocation& where = location(position);
        const Bytes& data = segments_[where.segment_index].data;
        const auto begin = data.begin() + static_cast<std::ptrdiff_t>(where.offset);
        return Bytes(begin, begin + static_cast<std::ptrdiff_t>(where.size));
    }
    ByteSpan payload_of(Position position) const {
        const RecordLocation& where = location(position);
        return ByteSpan(segments_[where.segment_index].data)
            .subspan(where.offset + kRecordHeaderSize, where.header.payload_length);
    }
    usize segment_count() const { return segments_.size(); }
    Timestamp timestamp_of(Position position) const {
        return Timestamp(options_.timestamp_base + position.value() * 1000);
    }

    // Every segment file: relative path -> its whole contents.
    std::map<std::string, Bytes> files() const {
        std::map<std::string, Bytes> files;
        for (usize i = 0; i < segments_.size(); ++i) {
            const Segment& segment = segments_[i];
            Bytes file = segment.data;
            SegmentHeader header;
            header.segment_number = i + 1;
            header.first_position = segment.first_position;
            header.previous_chain_hash = segment.previous_chain_hash;
            header.capacity_bytes = segment.capacity;
            header.version = options_.mirror_slot_bytes > 0 ? kSegmentFormatVersion
                                                            : kSegmentFormatVersionNoMirror;
            header.mirror_slot_bytes = options_.mirror_slot_bytes;
            const auto block = encode_segment_header(header);
            std::copy(block.begin(), block.end(), file.begin());
            for (usize slot = 0; slot < 2; ++slot) {
                if (!segment.marks[slot]) continue;
                const auto mark = encode_mark(*segment.marks[slot]);
                std::copy(mark.begin(), mark.end(),
                          file.begin() + static_cast<std::ptrdiff_t>(kMarkSlotOffset[slot]));
            }
            files.emplace(segment_path(i + 1), std::move(file));
        }
        return files;
    }

    // Writes `files` (all durable) under log/ on `disk`.
    static void install(io::SimDisk& disk, const std::map<std::string, Bytes>& files) {
        KB_ASSERT(disk.create_directory(kLogDirectory).is_ok());
        for (const auto& [path, bytes] : files) {
            auto node = disk.create_file(path, false);
            KB_ASSERT(node.has_value());
            const u64 write = disk.begin_write(*node, 0, bytes, std::nullopt);
            disk.complete_write(write);
            disk.make_durable(*node, disk.sync_point(*node));
        }
        KB_ASSERT(disk.sync_directory(kLogDirectory).is_ok());
        KB_ASSERT(disk.sync_directory("").is_ok());
    }
    void install(io::SimDisk& disk) const { install(disk, files()); }

private:
    struct Segment {
        Position first_position;
        ComplianceHash previous_chain_hash;
        u64 capacity = 0;
        u64 end = 0;  // set by new_segment
        Bytes data;   // the whole file, header block filled in by files()
        std::array<std::optional<DurabilityMark>, 2> marks;
    };

    Position add(RecordKind kind, SealKind seal, ByteSpan payload, KeySource* keys,
                 TenantId tenant) {
        RecordInput input;
        input.kind = kind;
        input.seal = seal;
        input.position = last_position().next();
        input.view = View(1);
        input.tenant = tenant;
        input.principal = PrincipalId(7);
        input.client_id = ClientId(9);
        input.request_number = RequestNumber(input.position.value());
        input.timestamp = timestamp_of(input.position);
        input.payload = payload;
        auto built = build_record(input, last_chain_hash(), keys, random_);
        KB_ASSERT(built.has_value());
        place(std::move(built->bytes), built->header, built->chain_hash);
        return input.position;
    }

    void ensure_segment(usize index) {
        while (segments_.size() <= index) new_segment(options_.segment_capacity_bytes);
    }

    void new_segment(u64 capacity) {
        Segment segment;
        segment.first_position = last_position().next();
        segment.previous_chain_hash = last_chain_hash();
        segment.capacity = capacity;
        segment.end = records_offset();
        segment.data.assign(capacity, 0);
        segments_.push_back(std::move(segment));
    }

    void place(Bytes bytes, const RecordHeader& header, const ComplianceHash& chain_hash) {
        const bool fits =
            !segments_.empty() && segments_.back().end + bytes.size() <= segments_.back().capacity;
        if (!fits || force_new_segment_) {
            new_segment(
                std::max<u64>(options_.segment_capacity_bytes, records_offset() + bytes.size()));
            force_new_segment_ = false;
        }
        Segment& segment = segments_.back();
        std::copy(bytes.begin(), bytes.end(),
                  segment.data.begin() + static_cast<std::ptrdiff_t>(segment.end));
        records_.push_back(RecordLocation{.segment_index = segments_.size() - 1,
                                          .offset = segment.end,
                                          .size = bytes.size(),
                                          .header = header,
                                          .chain_hash = chain_hash});
        segment.end += bytes.size();
    }

    TestLogOptions options_;
    crypto::SeededRandom random_;
    std::vector<Segment> segments_;
    std::vector<RecordLocation> records_;
    u64 mark_sequence_ = 0;
    u64 mirror_sequence_ = 0;
    bool force_new_segment_ = false;
};

}  // namespace kb::storage::testing
