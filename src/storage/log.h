// Log: the durable, hash-chained, encrypted journal every write goes through (DESIGN.md §3).
//
// The log stores whole records (record.h) in segment files (segment_format.h) through the
// Storage seam, on one event loop. It is the replication journal: the primary builds sealed
// records (record_builder.h) and appends them; backups append the primary's bytes verbatim;
// a view change may replace an uncommitted suffix (truncate_after). The log never trims its
// committed history.
//
// Durability. An append's callback runs ok only once its records are durable AND a durability
// mark covering them is durable (segment_format.h): a flush writes records, syncs, and the next
// flush carries the mark for them. Flushes pipeline, so under load every sync covers new records
// and the mark of the previous ones (group commit); a record waits about two syncs.
//   every_record  each flush carries one record
//   every_batch   each flush carries the records of one append() call
//   group_commit  each flush carries everything appended while the previous one ran (up to
//                 group_commit_bytes_max), optionally after waiting group_commit_delay_ns_max
//
// Recovery (Log::open) tells "never durably written" from "acknowledged, now damaged" by the
// newest durability mark: records beyond it were never acknowledged, so a torn or missing one
// there is cut (and everything after it); damage at or below it is reported — open fails with
// corruption naming file, position and what failed, or, with tolerate_faulty (replication,
// which repairs from peers), opens and lists the damaged positions in faulty().
//
// Errors: invalid_argument (a record that is not the next one); no_space (a new segment could
// not be allocated: nothing of that append is accepted, the log stays usable, retry later);
// fatal (EIO or a failed sync: the log is poisoned, every later call fails fatal and the
// process must stop; it never continues as if data were durable).
#pragma once

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
#include "storage/record.h"
#include "storage/record_builder.h"
#include "storage/segment_format.h"
#include "storage/segment_index.h"
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
    OpenVerification verification = OpenVerification::tail;
    // Open even when acknowledged records are damaged, listing them in faulty() (a replica
    // repairs them from peers). Without it, open refuses with corruption.
    bool tolerate_faulty = false;
};

// An acknowledged record that failed its checks at open.
struct FaultyRecord {
    Position position;  // none when the damage hides which record it is
    std::string path;
    u64 offset = 0;
    std::string problem;
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
    // The newest position acknowledged durable (its mark is durable).
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
    // the chain (previous_chain_hash against the record before; the last against the next
    // record or the log's tail hash). corruption names file, position and what failed.
    Result<std::vector<Bytes>> read(Position from, Position to, u64 max_bytes);

    // Flushes completed (each is one round of writes and syncs): for tests and metrics.
    u64 flush_count() const { return flush_count_; }
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
        bool header_written = false;  // its header block is in a completed flush
        bool entry_synced = false;    // its directory entry is durable
        bool zero_filling = false;    // zeros still being written: records wait to be written
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
    void finish_flush(Status status);
    void fail(Status status);
    void fire_waiters();
    DurabilityMark next_mark(Position position, u64 end_offset, const ComplianceHash& chain_hash);
    Status run_until_done(const std::function<void(io::UniqueFunction<void(Status)>)>& start);
    // log_truncate.cc
    void start_truncation();
    Result<ComplianceHash> chain_hash_at(Position position);
    // log_read.cc
    Result<u64> find_offset(usize segment, Position position);
    // log_signed_records.cc: an attestation or co-signature being appended must be true of
    // this log. `batch` and `batch_chain` are the records of the same append() checked so far.
    Status check_signed_record(const RecordView& record, const std::vector<Bytes>& batch,
                               const std::vector<ComplianceHash>& batch_chain);
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
};

}  // namespace kb::storage
