// The conflict window: how the primary decides, before logging, whether a transaction may
// commit (DESIGN.md §3; FoundationDB's resolvers work the same way).
//
// A transaction ran on a snapshot at position S and read some keys, key ranges, the absence of
// the keys it inserts, foreign-key parents and the schema. It is serializable at the position
// it is given iff nothing it read was written by an op in (S, now]: then executing it serially
// at that position would read exactly what it read. So the window keeps the write sets of
// recent ops, including ops accepted but not yet applied (record() is called when an op is
// accepted for logging, in position order), and check() looks for an overlap:
//   - a point read (key, absent key, parent key) overlaps a write of the same key;
//   - a range read overlaps a write of any key inside it;
//   - any read of a key space overlaps a write of the whole key space (TRUNCATE, DROP);
//   - a read of the catalog version overlaps any DDL.
// Overlap is by key, not value: a write of the same value still conflicts (the checker never
// looks at row images), which is what makes it exact rather than probabilistic.
//
// The window is bounded by positions and by bytes of keys. Once writes at or before position H
// have been forgotten, a snapshot S < H cannot be checked and is too_old (the client retries
// on a fresh snapshot, SQLSTATE 40001). Snapshots at or after the horizon are checked exactly.
//
// Cost: only writes after the snapshot can conflict, and a transaction's snapshot is usually
// recent, so a check first counts the keys written after its snapshot (entries are kept in
// position order). When there are few (ConflictWindowOptions::scan_keys_max), it sorts just
// those and looks its reads up there: nothing written after the snapshot, the common case of a
// transaction that began after the previous commit, costs nothing per read. Otherwise (an old
// snapshot) it uses the window's index: the keys of every run_keys recorded keys are sorted
// once into a run (owning copies of the key bytes, newest position per key; runs of similar
// size are merged, as in a log-structured merge tree), and a check looks each read up by
// binary search in the runs newer than its snapshot, plus the few unsealed keys sorted as in
// the first way. Both ways answer the same (the newest overlapping write).
// Recording a key costs a copy, its share of one sort of run_keys keys and a few merges (no
// per-key tree node, no per-key eviction: a run is dropped whole once the horizon passes its
// newest write), so a full window costs no more to record into than an empty one; an old
// snapshot's check costs a binary search per read per run after it.
// Memory: about twice the key bytes plus ~64 bytes per written key.
// The window lives only in the primary's memory and is never replayed: a new primary starts
// with an empty window whose horizon is the newest position it holds, so snapshots older than
// that are too_old and retried. Deterministic all the same (sorted runs and ordered maps only).
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "kernel/op.h"
#include "types/ids.h"

namespace kb::kernel {

// What an op wrote, as the window needs it.
struct WriteSet {
    std::vector<KeyRef> keys{};             // table primary keys and index keys written
    std::vector<ObjectId> whole_objects{};  // key spaces written as a whole
    bool catalog = false;                   // the op changed the schema

    bool empty() const { return keys.empty() && whole_objects.empty() && !catalog; }
    friend bool operator==(const WriteSet&, const WriteSet&) = default;
};

// The part of a transaction's write set that the op itself names: the primary keys of its row
// effects, truncated and dropped tables and dropped indexes as whole key spaces, and the
// catalog when it has DDL. Index keys depend on the row format: the writer adds the keys of
// every index entry the row effects change before recording.
WriteSet transaction_write_set(const TransactionOp& transaction);

enum class ConflictVerdict : u8 { ok = 0, conflict = 1, too_old = 2 };

struct ConflictCheck {
    ConflictVerdict verdict = ConflictVerdict::ok;
    // For a conflict: the newest overlapping write and what it overlapped, for the message.
    Position write_position{};
    ObjectId object{};
    std::string what{};  // "key", "range", "absent key", "parent key", "key space", "catalog"

    // "ok", "conflict: range of object 7 written at position 812", "too old: ..."
    std::string describe() const;
};

struct ConflictWindowOptions {
    u64 positions_max = 1'000'000;      // writes older than newest - positions_max are forgotten
    u64 bytes_max = 256 * 1024 * 1024;  // key bytes (plus per-key overhead) kept at most
    // A check with few keys written after its snapshot looks at those writes alone (sorting
    // them), otherwise it uses the index of the whole window: few is at most scan_keys_max and
    // at most 16 + scan_keys_per_read per read (beyond that, sorting costs more than looking
    // each read up in the index).
    u64 scan_keys_max = 512;
    u64 scan_keys_per_read = 1;
    // Keys recorded before they are sorted into a run of the index, and the most keys runs
    // are merged up to (tests lower both). Merging keeps the runs few (at most about
    // positions_max / run_keys_max + log2(run_keys_max / run_keys) for single-key ops); the cap
    // bounds the work one record may do (merging run_keys_max keys, well under a millisecond).
    u64 run_keys = 256;
    u64 run_keys_max = 16384;
};

class ConflictWindow {
public:
    // `start`: the newest position already in the log. Nothing before it is known, so
    // snapshots older than it are too_old.
    ConflictWindow(ConflictWindowOptions options, Position start);

    // Records the writes of the op accepted at `position`; positions strictly increase
    // (asserted). An op without writes (streams, sequences) need not be recorded.
    void record(Position position, TenantId tenant, WriteSet writes);

    // Whether a transaction of `tenant` that read `reads` on the snapshot at `snapshot` may
    // commit now, with respect to every recorded write after its snapshot.
    ConflictCheck check(TenantId tenant, const ReadSet& reads, Position snapshot) const;

    // Forgets the writes of ops after `position`: a view change replaced the uncommitted
    // suffix of the log. Ops from position + 1 on may then be recorded again.
    void truncate_after(Position position);

    // Snapshots older than this are too_old.
    Position horizon() const { return horizon_; }
    Position newest() const { return newest_; }
    u64 bytes() const { return bytes_; }
    usize entries() const { return entries_.size(); }

private:
    struct Space {
        TenantId tenant;
        ObjectId object;
        friend auto operator<=>(const Space&, const Space&) = default;
    };
    struct Entry {
        Position position;
        TenantId tenant;
        WriteSet writes;
        u64 bytes = 0;
    };
    // A key written after a check's snapshot, for the check that scans those writes.
    struct Recent {
        Space space;
        ByteSpan key;
        Position position;
    };

    // A sorted run of the index: the keys of entries up to position `last`, newest position
    // per key, ordered like Recent (key bytes in `arena`).
    struct RunKey {
        Space space;
        u32 offset;
        u32 size;
        Position position;
    };
    struct Run {
        Position last;
        std::vector<RunKey> keys{};
        Bytes arena{};
        ByteSpan key(const RunKey& k) const { return ByteSpan(arena).subspan(k.offset, k.size); }
    };

    void index_whole(const Entry& entry);
    // Sorts the unsealed entries' keys into a run once there are run_keys of them, then
    // merges the newest runs while they are of similar size and under run_keys_max.
    void seal_run();
    static Run merge_runs(const Run& older, const Run& newer);
    void evict_oldest();
    void evict_to_bounds();
    Position whole_write(const Space& space) const;
    // The writes of entries_[first..] (after the snapshot), newest position per key, sorted.
    std::vector<Recent> recent_keys(usize first) const;
    // Index of the first entry at or after `position`.
    usize entry_at_or_after(Position position) const;

    ConflictWindowOptions options_;
    Position horizon_;
    Position newest_;
    u64 bytes_ = 0;
    std::deque<Entry> entries_;
    // The sealed runs, oldest first, and the first position not yet in one (the entries from
    // there on are the unsealed tail, tail_keys_ keys).
    std::deque<Run> runs_;
    Position tail_start_;
    u64 tail_keys_ = 0;
    // The newest position that wrote each key space as a whole / tenant catalog in the window.
    std::map<Space, Position> whole_;
    std::map<TenantId, Position> catalog_;
};

}  // namespace kb::kernel
