// SimDisk: an in-memory disk that remembers what is durable and what a crash may do.
//
// It models what survives power loss, not how long things take (SimStorage adds latencies,
// IO errors and fault choices on top, and is what the code under test talks to). For each file
// it keeps the current image (what reads see), the durable image (what a completed sync made
// safe) and the changes since, in order. For each directory it keeps the current entries and the
// durable ones (as of the last sync_directory). crash() then builds the post-crash disk:
//   * every unsynced write is independently kept, lost, or torn at any byte (a prefix or a
//     suffix survives), and the survivors land in a shuffled order: within a batch, any subset
//     in any order, exactly what fsync placement must be robust to;
//   * writes still in flight count as unsynced writes;
//   * unsynced truncates/preallocations are each kept or lost;
//   * every directory entry changed since its directory's last sync keeps its old or its new
//     state (so an unsynced create may vanish and an unsynced remove may come back);
//   * durable data is never touched. corrupt() and misdirected writes (SimStorage) break that
//     on purpose, to test that corruption is detected.
// Everything random comes from one seeded Prng, so a seed gives the same post-crash disk.
//
// Paths are validated by the caller (SimStorage) against storage.h's rules.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ints.h"
#include "base/prng.h"
#include "io/storage.h"
#include "kimberlite/status.h"

namespace kb::io {

struct SimDiskOptions {
    u64 seed = 1;
    std::string name = "disk";                 // messages show paths as "sim:<name>/<path>"
    u64 capacity_bytes = ~u64{0};              // sum of file sizes beyond which writes get no_space
    bool crash_drops_unsynced_entries = true;  // false: directory entries always survive
    bool crash_reorders_writes = true;         // false: surviving writes land in issue order
    // Relative weights of what a crash does to each unsynced write.
    u32 crash_keep_weight = 1;
    u32 crash_lose_weight = 1;
    u32 crash_tear_weight = 1;
};

enum class CrashOutcome : u8 { kept, lost, torn };

// What a crash did to one unsynced write.
struct CrashedWrite {
    std::string path;  // a name of the file when the crash happened ("" if it had none)
    u64 offset = 0;
    u64 length = 0;
    CrashOutcome outcome = CrashOutcome::lost;
    u64 kept_begin = 0;  // absolute file offsets of the bytes that reached the disk
    u64 kept_end = 0;    // (equal when lost)
};

struct CrashReport {
    std::vector<CrashedWrite> writes;  // by file, then issue order
    u64 size_changes_kept = 0;
    u64 size_changes_lost = 0;
    u64 entries_changed_kept = 0;     // unsynced directory changes that survived
    u64 entries_changed_dropped = 0;  // ... and that were undone
};

struct Corruption {
    std::string path;
    u64 offset = 0;
    u8 bit = 0;
};

class SimDisk {
public:
    using NodeId = u64;

    explicit SimDisk(SimDiskOptions options = {});
    SimDisk(const SimDisk&) = delete;
    SimDisk& operator=(const SimDisk&) = delete;

    const SimDiskOptions& options() const { return options_; }
    // "sim:<name>" or "sim:<name>/<path>", for messages.
    std::string display_path(std::string_view path) const;
    // Bumped by every crash; SimStorage uses it to invalidate handles and drop callbacks.
    u64 epoch() const { return epoch_; }
    // A new id for a SimStorage attached to this disk (lock ownership).
    u64 new_owner_id() { return next_owner_id_++; }

    // --- Namespace (current state) ---
    Result<NodeId> lookup(std::string_view path) const;
    bool is_directory(NodeId node) const;
    // Opens or creates a file; the parent must exist. exclusive: already_exists if present.
    Result<NodeId> create_file(std::string_view path, bool exclusive);
    Status create_directory(std::string_view path);
    Status rename(std::string_view from, std::string_view to);
    Status remove(std::string_view path);
    Result<std::vector<DirectoryEntry>> list(std::string_view path) const;
    // Makes the directory's current entries its durable ones.
    Status sync_directory(std::string_view path);
    // Every file node, in id order (misdirected writes pick a victim from these).
    std::vector<NodeId> file_nodes() const;

    // --- File data ---
    u64 file_size(NodeId file) const;
    usize read(NodeId file, u64 offset, MutableByteSpan buffer) const;
    // no_space if growing `file` to `end` would exceed the capacity.
    Status check_growth(NodeId file, u64 end, std::string_view what) const;
    void set_size(NodeId file, u64 size);  // truncate
    void grow_to(NodeId file, u64 size);   // preallocate
    // A write starts: it reaches the current image only at complete_write(). It lands at
    // (node, offset), which SimStorage may have misdirected, with `flip_bit` (a bit index into
    // data) inverted if set.
    u64 begin_write(NodeId file, u64 offset, ByteSpan data, std::optional<u64> flip_bit);
    void complete_write(u64 write_id);
    // The last change applied to `file`; make_durable(file, point) makes changes up to it
    // durable (what a sync submitted at that moment covers).
    u64 sync_point(NodeId file) const;
    void make_durable(NodeId file, u64 sync_point);

    // --- Lock (one holder; released by a crash) ---
    bool try_lock(u64 owner, u64 pid);
    void unlock(u64 owner);
    u64 lock_pid() const { return lock_pid_; }

    // --- Faults ---
    CrashReport crash();
    // Flips one bit of stored data (current and durable images): bit rot.
    Status corrupt(std::string_view path, u64 offset, u8 bit);
    // Flips a random bit of a random non-empty file; nullopt if every file is empty.
    std::optional<Corruption> corrupt_random();
    Prng& prng() { return prng_; }

    // --- Inspection for tests ---
    Result<Bytes> contents(std::string_view path) const;          // what reads see now
    Result<Bytes> durable_contents(std::string_view path) const;  // what a sync made safe
    // True if the path resolves to the same node through durable entries alone.
    bool entry_durable(std::string_view path) const;
    u64 bytes_used() const;

private:
    enum class ChangeKind : u8 { write, set_size, grow_to };
    struct Change {
        u64 sequence = 0;
        ChangeKind kind = ChangeKind::write;
        u64 offset = 0;  // write
        Bytes data;      // write
        u64 size = 0;    // set_size, grow_to
    };
    struct Node {
        bool is_directory = false;
        // Files.
        Bytes current;
        Bytes durable;
        std::vector<Change> pending;  // applied to current, not yet to durable
        u64 last_sequence = 0;
        // Directories.
        std::map<std::string, NodeId> entries;
        std::map<std::string, NodeId> durable_entries;
    };
    struct InFlightWrite {
        NodeId file = 0;
        u64 offset = 0;
        Bytes data;
    };

    static void apply(const Change& change, Bytes& image);
    Node& node(NodeId id);
    const Node& node(NodeId id) const;
    Result<NodeId> lookup_in(std::string_view path, bool durable) const;
    Result<NodeId> parent_directory(std::string_view path, std::string_view what) const;
    void record(NodeId file, Change change);
    std::map<NodeId, std::string> node_paths() const;
    void crash_file(NodeId id, const std::string& path, std::vector<Change> changes,
                    CrashReport& report);
    void crash_directories(CrashReport& report);
    void collect_unreachable();

    SimDiskOptions options_;
    Prng prng_;
    std::map<NodeId, Node> nodes_;
    NodeId next_node_ = 2;  // 1 is the root
    std::map<u64, InFlightWrite> in_flight_;
    u64 next_write_id_ = 1;
    u64 epoch_ = 1;
    u64 next_owner_id_ = 1;
    u64 lock_owner_ = 0;  // 0: unlocked
    u64 lock_pid_ = 0;
};

}  // namespace kb::io
