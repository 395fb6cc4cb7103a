// Log: the durable, hash-chained, encrypted journal every write goes through (DESIGN.md §3).
//
// The log stores whole records (record.h) in segment files (segment_format.h) through the
// Storage seam, on one event loop. It is the replication journal: the primary builds sealed
// records (record_builder.h) and appends them; backups append the primary's bytes verbatim;
// a view change may replace an uncommitted suffix (truncate_after). The log never trims its
// committed history.
//
// Durability. An append's callback runs ok only once its records are durable in a way recovery
// will not mistake for an unsynced write (segment_format.h, docs/FORMATS.md), by one of two
// protocols per flush:
//   * tail mirror (version 2 segments, flushes of records that fit a mirror slot, 256 KiB by
//     default, with no records queued behind them): the records are written at their place
//     and, in the same round of writes, as a copy in a mirror slot at the head of their
//     segment; ONE sync makes both durable and the records are acknowledged at once. The flush's
//     durability mark is still written, by the next flush (or, when none comes within
//     tail_mirror_mark_delay_ns, by a flush of its own), and a mirror slot is reused only once that
//     mark is durable.
//   * two syncs (bigger flushes, a segment's first flush, which writes its header, version 1
//     segments, and flushes with records queued behind them, whose next flush starts at once
//     and carries their mark anyway): a flush writes records and syncs; the next flush carries
//     the durability mark for them, and its sync acknowledges them.
// Flushes pipeline, so under load every sync covers new records and the mark of the previous
// ones (group commit).
//   every_record  each flush carries one record
//   every_batch   each flush carries the records of one append() call
//   group_commit  each flush carries everything appended while the previous one ran (up to
//                 group_commit_bytes_max), optionally after waiting group_commit_delay_ns_max
//
// Recovery (Log::open) tells "never durably written" from "acknowledged, now damaged" by the
// newest durability mark and the tail mirrors: records beyond the mark were never acknowledged
// unless a valid mirror holds their flush (a flush beyond the newest durable mark can only have
// been acknowledged through its mirror). Walking beyond the mark, where a valid mirror's first
// record continues the chain, the flush is restored from the mirror if its main copy differs
// (damaged, torn or missing: written and synced before the log is used; recovery().repairs)
// and kept; elsewhere a torn or missing record there is cut (and everything after it). Damage
// at or below the mark is reported — open fails with corruption naming file, position and what
// failed, or, with tolerate_faulty (replication, which repairs from peers), opens and lists the
// damaged positions in faulty().
//
// Trust. A read returns records only once they are linked by hashes to something the log
// trusts. With LogOptions::trusted_keys, that is the newest *verified attestation*: an
// attestation record at or below durable_position() whose signature (and those of its
// co-signatures) verifies under a trusted key, and whose chain hash equals the log's chain
// hash at the attested position P (trust_anchor()). Reads of positions at or below P walk the
// chain (record headers only) from the record to a chain hash the attestation vouches for —
// P's own, or an index anchor an earlier walk proved equal to it — and refuse the read when
// the hashes disagree: a record rewritten on disk with consistent checksums, even with the
// records after it re-linked and the segment index recomputed, is refused with corruption.
// Proven ranges are kept (spans of verified index anchors, plus the chain hashes just past
// the last read), so sequential reads walk a few headers each beyond what they return. Reads
// of positions above P (and every read without keys, or before any attestation) are bound
// to the chain the log recomputed at open and extended by appends (read_trust() says which
// applies): the next record's link, the segment's last chain hash or the durable chain hash.
// Open finds the anchor (scanning record headers back from the tail segment until it meets
// an attestation), and refuses with corruption naming file and position when the newest
// attestation does not verify (tolerate_faulty: opens without an anchor and lists it in
// faulty()). An attestation appended (or accepted from a peer) becomes the anchor once it is
// durable; a truncation below the anchor's record falls back to the newest one left.
//
// Errors: invalid_argument (a record that is not the next one); no_space (a new segment could
// not be allocated: nothing of that append is accepted, the log stays usable, retry later);
// fatal (EIO or a failed sync: the log is poisoned, every later call fails fatal and the
// process must stop; it never continues as if data were durable).
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "io/event_loop.h"
#include "io/storage.h"
#include "io/unique_function.h"
#include "kimberlite/status.h"
#include "storage/attestation.h"
#include "storage/digest.h"
#include "storage/record.h"
#include "storage/record_builder.h"
#include "storage/segment_format.h"
#include "storage/segment_index.h"
#include "storage/trusted_keys.h"
#include "types/limits.h"

namespace kb::storage {

enum class FsyncPolicy : u8 { every_record, every_batch, group_commit };
std::string_view fsync_policy_name(FsyncPolicy policy);
std::optional<FsyncPolicy> parse_fsync_policy(std::string_view name);

enum class OpenVerification : u8 {
    tail,  // scan the tail segment; trust sealed segments' checksummed indexes (fast open)
    full,  // scan and check every record of every segment
};

struct LogOptions {
    FsyncPolicy fsync = FsyncPolicy::group_commit;
    // Preallocated size of each segment file. A record too big for an empty segment gets a
    // segment sized to fit it.
    u64 segment_capacity_bytes = 64 * limits::kMiB;
    u64 group_commit_bytes_max = 8 * limits::kMiB;
    u64 group_commit_delay_ns_max = 0;
    // Prepare the next segment in the background (created, allocated, synced, its directory
    // entry synced) and, while flushes are small, write zeros over its whole capacity:
    // overwriting written blocks syncs without a file-system journal commit, so each
    // fdatasync costs less (here 92 µs instead of 134 µs for 4 KiB, against posix_fallocate's
    // unwritten extents). Off: segments are preallocated with fallocate when needed.
    bool zero_fill_segments = true;
    // Zero-filling writes a byte of zeros for every byte of log and saves one journal commit
    // per sync, so it pays only while syncs carry little data. Measured here, write + fdatasync
    // into zero-filled space plus the zeros' share (40-50 ms per 64 MiB) vs into fallocate'd
    // space: 4 KiB 0.09-0.10 vs 0.13 ms, 64 KiB 0.17-0.18 vs 0.18-0.21 ms, 256 KiB 0.33-0.37 vs
    // 0.29-0.33 ms, 1 MiB 1.0 vs 0.67-0.75 ms. While the data flushes carried more than this
    // many bytes on average (a moving average over about the last 8), or records waiting for a
    // segment still being prepared add up to more, the next segment is only fallocate'd, and a
    // fill in progress stops and fallocates the rest. Unsigned max: always zero-fill.
    u64 zero_fill_flush_bytes_max = 128 * limits::kKiB;
    // The size of each of the two tail mirror slots in new segments (see "Durability" above;
    // docs/FORMATS.md): a flush of up to this many bytes of records, less the slot's 512-byte
    // header, is acknowledged after one sync. Capped at 1/8 of segment_capacity_bytes and
    // rounded down to 512 bytes; 0 (or under 1 KiB after the cap): no mirror, every flush
    // takes two syncs. Measured here (PERFORMANCE.md "The log"): one write + fdatasync of N
    // KiB plus its copy vs two syncs: the copy costs about what the second sync saves at a few
    // hundred KiB when syncs are fast, and always less when they are slow.
    u64 tail_mirror_slot_bytes = 256 * limits::kKiB;
    // After a mirrored flush, how long its durability mark may wait for the next flush to
    // carry it before it gets a flush (and a sync) of its own. A lone committer's next commit
    // would otherwise often find that sync in its way.
    u64 tail_mirror_mark_delay_ns = 10'000'000;
    OpenVerification verification = OpenVerification::tail;
    // Open even when acknowledged records are damaged, listing them in faulty() (a replica
    // repairs them from peers). Without it, open refuses with corruption.
    bool tolerate_faulty = false;
    // Ed25519 public keys whose attestations the log trusts, given from outside the data
    // directory (DESIGN.md §3; never keys found in the log). With keys, reads at or below the
    // newest verified attestation are verified against it (see "Trust" above), and append
    // refuses attestations and co-signatures by any other key. Empty: no trust anchor; every
    // read is anchored to the chain the log recomputed at open, which is what a single node
    // without keys can do.
    TrustedKeys trusted_keys{};
};

// The verified attestation reads are anchored to.
struct TrustAnchor {
    Position attestation_position;  // where the attestation record is in the log
    AttestedStatement statement;    // position P, chain_hash(P) as signed, timestamp
    u64 signatures = 0;             // trusted signatures checked: the attester's, co-signers'
};

// What a read of a position was verified against.
enum class ReadTrust : u8 {
    attested,       // linked by hashes to a trusted attestation (at or below its position)
    durable_chain,  // linked to the chain the log recomputed at open and extended by appends
};
std::string_view read_trust_name(ReadTrust trust);

// An acknowledged record that failed its checks at open.
struct FaultyRecord {
    Position position;  // none when the damage hides which record it is
    std::string path;
    u64 offset = 0;
    std::string problem;
};

// A flush whose main copy recovery restored from its tail mirror.
struct MirrorRepair {
    std::string path;
    usize slot = 0;  // 0 = A, 1 = B
    Position first;  // the flush's records
    Position last;
    Position first_differing;  // the first record whose main copy differed from the mirror
    u64 offset = 0;            // the flush's byte range in the segment
    u64 length = 0;
};

// What recovery did, for logs and tests.
struct RecoveryReport {
    u64 segments = 0;
    Position mark_position;       // the newest durability mark found
    bool mark_uncertain = false;  // a newer mark slot was torn or damaged
    Position recovered_position;  // the log's last position after recovery
    u64 records_cut = 0;          // never-acknowledged records removed from the tail
    std::string cut_reason;       // why the tail was cut there (empty when nothing was cut)
    u64 indexes_rebuilt = 0;
    // The last position a tail mirror beyond the mark vouched for (none: no mirror was used).
    Position mirrored_position;
    // A mirror slot the mark does not cover was damaged or torn (a mirror may have vouched for
    // records beyond the mark): intact records there were kept, not cut.
    bool mirror_uncertain = false;
    std::vector<MirrorRepair> repairs;  // flushes restored from their mirror
};

using DurableCallback = io::UniqueFunction<void(Status)>;

enum class RecordSource : u8 {
    peer,        // received from elsewhere: check every byte
    built_here,  // made by build_record in this process: the payload was just hashed
};

class Log {
public:
    // Opens the log under `storage` (creating an empty one when the data dir has none), running
    // recovery. Runs `loop` until recovery's writes are durable. The storage must be writable
    // and should be locked by the caller (the data-dir lock). Both must outlive the log.
    static Result<std::unique_ptr<Log>> open(io::Storage& storage, io::EventLoop& loop,
                                             LogOptions options = {});
    ~Log();
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;

    Position last_position() const { return last_position_; }
    const ComplianceHash& last_chain_hash() const { return last_chain_hash_; }
    // The newest position acknowledged durable (its mark is durable, or its flush's mirror is).
    Position durable_position() const { return durable_position_; }
    const std::vector<FaultyRecord>& faulty() const { return faulty_; }
    const RecoveryReport& recovery() const { return recovery_; }
    const LogOptions& options() const { return options_; }
    // The status every call fails with once the log is poisoned (ok until then).
    const Status& failure() const { return failure_; }

    // Appends records, each the bytes build_record made (header then sealed payload). Each must
    // parse and check, follow the previous one (position and previous_chain_hash), and fit in a
    // segment. On an error return nothing was accepted and `on_durable` is not called.
    // Otherwise `on_durable` runs on the loop once every record is durable, or with fatal, or
    // with aborted-style invalid_argument when truncate_after() discarded them first.
    //
    // `source` says where the bytes come from. Records from a peer (a primary's prepare, a
    // repair) are checked whole. Records build_record made in this process a moment ago skip
    // re-hashing the payload (its digest and checksum were just computed from it): a 1 MiB
    // record costs ~0.5 ms less on the loop. Headers and chain links are checked either way.
    //
    // The flush starts from a task posted to the loop, so every append made before that task
    // runs shares its sync.
    Status append(std::vector<Bytes> records, DurableCallback on_durable,
                  RecordSource source = RecordSource::peer);

    // Discards every record after `position` (which must be <= last_position(); none empties
    // the log), including appended ones not yet durable (their callbacks fail). `done` runs once
    // the truncation is durable. Used for the uncommitted suffix after a view change.
    Status truncate_after(Position position, DurableCallback done);

    // Reads records [from, to] (to clamped to durable_position()), at least one, stopping before
    // `max_bytes` would be exceeded. Every record is checked (checksums, digest) and linked to
    // the chain (previous_chain_hash against the record before). The records at or below
    // attested_position() are then linked on, through record headers, to a chain hash the
    // trust anchor vouches for; the others to the next record's link, the segment's last
    // chain hash or the durable chain hash (see "Trust" above). corruption names file,
    // position and what failed (and, for attested positions, the attestation). On the loop
    // thread only: it updates what the log knows to be verified.
    Result<std::vector<Bytes>> read(Position from, Position to, u64 max_bytes);

    // The newest verified attestation (none without trusted keys, or before any attestation,
    // or when it failed to verify at open under tolerate_faulty).
    const std::optional<TrustAnchor>& trust_anchor() const { return trust_anchor_; }
    // The highest position a verified attestation vouches for (none: no anchor).
    Position attested_position() const;
    // The newest attestation at or below durable_position(), with the co-signatures of it logged
    // at or below it, as a digest to export (digest.h: what `kmb digest` writes); nullopt
    // when the log holds none. Every signature must verify (corruption naming the record
    // otherwise); whether its keys are trusted is for whoever keeps the digest. Walks record
    // headers back from the tail segment, as open does to find the trust anchor (log_digest.cc).
    // Loop thread.
    Result<std::optional<Digest>> newest_digest();
    // How a read of `position` is verified.
    ReadTrust read_trust(Position position) const {
        return position <= attested_position() ? ReadTrust::attested : ReadTrust::durable_chain;
    }
    // Record headers reads have walked past the last record they returned, to reach a chain
    // hash an attestation vouches for: for tests and metrics.
    u64 trust_walk_records() const { return trust_walk_records_; }

    // Flushes completed (each is one round of writes and syncs): for tests and metrics.
    u64 flush_count() const { return flush_count_; }
    // Flushes completed that carried a tail mirror (acknowledged after their one sync).
    u64 mirrored_flush_count() const { return mirrored_flush_count_; }
    // Bytes of zeros written to prepare segments (LogOptions::zero_fill_segments): for tests
    // and metrics.
    u64 zero_bytes_written() const { return zero_bytes_written_; }
    // Segment indexes written (one per segment filled up): for tests and metrics.
    u64 indexes_written() const { return indexes_written_; }

    // The summary (anchors, chain hashes) of every segment, oldest first.
    const std::vector<SegmentSummary>& segments() const { return summaries_; }

private:
    // A record accepted by append() and not yet written.
    struct PendingRecord {
        Bytes bytes;
        Position position;
        usize segment = 0;  // index into segments_
        u64 offset = 0;
        u64 batch = 0;  // the append() call it came from
        ComplianceHash chain_hash;
    };
    // An append() callback, due once durable_position_ reaches `last`.
    struct Waiter {
        Position last;
        DurableCallback callback;
    };
    struct Segment {
        u64 number = 0;
        io::FileHandle file;
        u64 capacity_bytes = 0;
        u16 version = kSegmentFormatVersion;
        u64 mirror_slot_bytes = 0;                   // 0: no tail mirror
        u64 records_offset = kSegmentRecordsOffset;  // where its records start
        bool header_written = false;                 // its header block is in a completed flush
        bool entry_synced = false;                   // its directory entry is durable
        bool zero_filling = false;  // zeros still being written: records wait to be written
    };
    // The next segment, being zero-filled ahead of need (log_prepare.cc).
    struct PreparedSegment {
        u64 number = 0;
        io::FileHandle file;
        u64 capacity_bytes = 0;
        bool ready = false;    // zeros written and synced, directory entry synced
        bool adopted = false;  // already in segments_
        bool failed = false;
    };
    // One write of a flush: records (a large one alone, small ones concatenated), a segment
    // header or a mark.
    struct FlushWrite {
        usize segment = 0;
        u64 offset = 0;
        Bytes bytes;  // alive until written
    };
    // What the flush in flight carries.
    struct Flush {
        std::vector<FlushWrite> writes;
        bool has_data = false;
        bool mirrored = false;  // the records are also in a tail mirror: acknowledged by this sync
        usize record_writes = 0;  // writes [0, record_writes) are the records, in order
        u64 first_offset = 0;     // where the records start
        u64 bytes = 0;            // their size
        Position first_position;
        Position last_position;
        ComplianceHash last_chain_hash;
        usize last_segment = 0;
        u64 last_end_offset = 0;
        bool has_mark = false;
        DurabilityMark mark;
        std::vector<usize> touched;  // segments to sync
        bool sync_directory = false;
    };
    struct PendingTruncation {
        Position position;
        DurableCallback done;
        // Where record position + 1 was to go, when it was dropped before being written: its
        // place and its link are then known only from memory.
        bool next_known = false;
        usize next_segment = 0;
        u64 next_offset = 0;
        ComplianceHash next_previous_chain_hash;
    };

    // Positions [low, high] whose chain hashes a verified attestation vouches for: the hash
    // of `high` (an attested position) and every chain hash the summaries claim for a
    // position in [low, high) (index anchors' previous_chain_hash, segments' last_chain_hash),
    // each compared with the chain a walk computed from the records. Disjoint, ascending.
    struct VerifiedSpan {
        Position low;
        Position high;
        ComplianceHash high_chain_hash;
        Position attestation_position;  // the attestation that vouches for it, for messages
    };
    // Chain hashes the latest attested read computed past its last record, proven with it:
    // hashes[i] = chain_hash(first + i), record first + i + 1 starting at next_offsets[i], all
    // in one segment. The next sequential read starts and ends on them without walking.
    struct VerifiedRun {
        usize segment = 0;
        Position first;
        std::deque<ComplianceHash> hashes;
        std::deque<u64> next_offsets;

        bool empty() const { return hashes.empty(); }
        Position last() const { return Position(first.value() + hashes.size() - 1); }
        bool holds(Position position) const {
            return !empty() && position >= first && position <= last();
        }
    };
    // A signed record accepted by append(), acted on once durable.
    struct SignedNote {
        Position record_position;
        RecordKind kind = RecordKind::attestation;
        AttestedStatement statement;    // attestation
        Position attestation_position;  // co-signature
    };
    // Where a signed record lies (log_trust.cc's search).
    struct RecordPlace {
        Position position;
        usize segment = 0;
        u64 offset = 0;
    };

    Log(io::Storage& storage, io::EventLoop& loop, LogOptions options);

    // log_recovery.cc
    Status recover();
    Status write_at_open(io::FileHandle file, u64 offset, ByteSpan data);
    Status sync_at_open(io::FileHandle file);
    // The end of the last non-zero byte in [from, to) of `file` (from when all zero).
    Result<u64> last_nonzero_end(io::FileHandle file, u64 from, u64 to);
    // log.cc
    Status create_segment(Position first_position, const ComplianceHash& previous_chain_hash,
                          u64 capacity_bytes);
    // Makes every segment's directory entry durable; called before another segment file is
    // created. A crash keeps or drops unsynced entries independently, and must never keep a
    // segment file while dropping one before it (open and verify would find a segment
    // missing from the middle).
    Status sync_segment_entries();
    void write_segment_index(usize segment);
    Status grow_empty_tail_segment(u64 capacity_bytes);
    // log_prepare.cc
    void prepare_next_segment();
    // Whether zeros are worth writing now: recent flushes, and the records already waiting
    // for the segment being prepared, are small (LogOptions::zero_fill_flush_bytes_max).
    bool zero_fill_pays() const;
    void continue_zero_fill(u64 offset);
    // Allocates [offset, capacity) of the prepared segment and syncs it and its entry.
    void allocate_rest_and_sync(u64 offset);
    void finish_zero_fill(Status status);
    // Takes the prepared segment as segment `number` if it is that one; false otherwise.
    Result<bool> adopt_prepared_segment(u64 number, u64 capacity_bytes);
    void maybe_flush(bool may_delay = true);
    // Posts one maybe_flush() to the loop (at most one outstanding), so appends made in the
    // same turn of the loop share a flush.
    void request_flush();
    void drop_pending_after(Position position);
    void start_flush();
    void sync_flush();
    // The flush's files are synced (or failed): the directory too when it must be, then finish.
    void flush_synced(Status status);
    void finish_flush(Status status);
    void fail(Status status);
    void fire_waiters();
    DurabilityMark next_mark(Position position, u64 end_offset, const ComplianceHash& chain_hash);
    // Adds the tail mirror of the flush being built (its records in flush_.writes) to it.
    void add_tail_mirror();
    // After a mirrored flush: its mark rides with the next flush, or gets one of its own after
    // tail_mirror_mark_delay_ns.
    void arm_mark_timer();
    // The header block of segment `segment`, as it is to be written.
    SegmentHeader header_of(usize segment) const;
    // Where records start in segments created now.
    u64 new_records_offset() const { return kSegmentRecordsOffset + 2 * mirror_slot_bytes_; }
    Status run_until_done(const std::function<void(io::UniqueFunction<void(Status)>)>& start);
    // log_truncate.cc
    void start_truncation();
    Result<ComplianceHash> chain_hash_at(Position position);
    // log_read.cc
    Result<u64> find_offset(usize segment, Position position);
    // The read behind read(): records [from, to] into *out, or, with out == nullptr, only
    // walks and verifies the chain through `to` (trust checks).
    Status walk(Position from, Position to, u64 max_bytes, std::vector<Bytes>* out);
    // chain_hash(position) (position in `segment`) as a summary claims it: the index anchor
    // right after it, or the segment's end. nullptr when it claims none there.
    const ComplianceHash* claimed_chain_hash(usize segment, Position position) const;
    // chain_hash(position) when a verified attestation vouches for it (run_ or a span).
    const ComplianceHash* verified_chain_hash(usize segment, Position position) const;
    const VerifiedSpan* span_holding(Position position) const;
    // Records that [low, high] was proven (high lies in a span, or run_).
    void merge_verified(Position low, Position high);
    // log_trust.cc
    // Finds the newest attestation at or below `limit`, verifies it and makes it the anchor
    // (none when there is none). On failure: an error, or under tolerate_faulty a faulty
    // record and no anchor.
    Status establish_trust_anchor(Position limit);
    Status verify_trust_anchor(Position limit, std::optional<FaultyRecord>* faulty);
    Result<std::optional<RecordPlace>> find_newest_attestation(Position limit,
                                                               std::vector<RecordPlace>* later);
    Result<Bytes> read_record_at(const RecordPlace& place);
    Status check_trusted(const crypto::Ed25519PublicKey& signer, const std::string& what) const;
    // Attestations and co-signatures that just became durable.
    void promote_signed_records();
    // After a truncation to `position`: the anchor falls back when its record went.
    Status trust_after_truncation(Position position);
    // log_signed_records.cc: an attestation or co-signature being appended must be true of
    // this log (and, with trusted keys, signed by one). `batch` and `batch_chain` are the
    // records of the same append() checked so far. *note says what it was.
    Status check_signed_record(const RecordView& record, const std::vector<Bytes>& batch,
                               const std::vector<ComplianceHash>& batch_chain, SignedNote* note);
    Result<ComplianceHash> chain_hash_for_check(Position position,
                                                const std::vector<ComplianceHash>& batch_chain);
    Result<Bytes> record_bytes_for_check(Position position, const std::vector<Bytes>& batch);

    io::Storage& storage_;
    io::EventLoop& loop_;
    LogOptions options_;

    std::vector<Segment> segments_;          // open segment files, oldest first
    std::vector<SegmentSummary> summaries_;  // parallel to segments_

    Position last_position_;
    ComplianceHash last_chain_hash_;
    Position data_durable_position_;  // synced, mark maybe not yet
    ComplianceHash data_durable_chain_hash_;
    Position durable_position_;  // synced and marked: acknowledged
    ComplianceHash durable_chain_hash_;
    Position mark_position_written_;  // newest mark included in a flush
    u64 mark_sequence_ = 0;
    usize mark_slot_next_ = 0;
    // Tail mirrors: the slot size of new segments, the sequence of the last mirror written,
    // and what each slot holds (the last position of its flush) since open or the last
    // truncation. A slot is reused only once a durable mark covers what it holds (asserted).
    u64 mirror_slot_bytes_ = 0;
    u64 mirror_sequence_ = 0;
    std::array<std::optional<Position>, 2> mirror_slot_holds_{};
    u64 mirrored_flush_count_ = 0;
    bool mark_timer_armed_ = false;
    u64 last_flush_end_ns_ = 0;  // loop clock, monotonic

    usize data_durable_segment_ = 0;
    u64 data_durable_end_offset_ = kSegmentRecordsOffset;

    std::deque<PendingRecord> pending_;  // accepted, not yet written
    std::deque<Waiter> waiters_;         // append callbacks by last position
    u64 next_batch_ = 0;
    bool flush_in_flight_ = false;
    bool flush_posted_ = false;
    // Tasks posted to the loop hold this and do nothing once the log is gone.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    u64 flush_count_ = 0;
    bool flush_timer_armed_ = false;
    Flush flush_;
    std::optional<PendingTruncation> truncation_;
    std::optional<PreparedSegment> prepared_;
    std::shared_ptr<Bytes> zeros_;  // one MiB of zeros for zero-filling
    u64 zero_bytes_written_ = 0;
    u64 indexes_written_ = 0;
    // Moving average of the bytes of records per data flush (weight 1/8 per flush; the first
    // flush sets it).
    u64 flush_bytes_average_ = 0;
    bool flush_bytes_averaged_ = false;
    Status failure_;

    std::vector<FaultyRecord> faulty_;
    RecoveryReport recovery_;

    std::optional<TrustAnchor> trust_anchor_;
    std::vector<VerifiedSpan> verified_;
    VerifiedRun run_;
    std::deque<SignedNote> signed_pending_;  // accepted, not yet durable
    u64 trust_walk_records_ = 0;
};

}  // namespace kb::storage
