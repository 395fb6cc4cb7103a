// Store: the copy-on-write, encrypted, paged B+tree the kernel keeps its state in
// (DESIGN.md §3, "Store"; docs/FORMATS.md, "The store").
//
// Shape. Trees (per tenant) map byte-string keys (<= kStoreKeyBytesMax) to values
// (<= kStoreValueBytesMax; large ones in overflow pages). One writer — the kernel's apply, on
// the event loop — changes trees; its changes are private until publish(), which makes
// everything so far visible to new snapshots as of a log position, with the kernel's opaque
// meta bytes (its state hash ...). Readers take a Snapshot and read on any thread without locks
// on the data. checkpoint() makes the latest published state durable.
//
// Files (under the Storage root):
//     store/pages.kbs        4 KiB pages: tree nodes, overflow runs, checkpoint manifests
//     store/superblock.kbs   4 copies of the superblock (superblock.h)
//
// Shadow paging. A page reachable from the durable superblock or from a live snapshot is never
// overwritten: changes go to fresh pages (path copying) and superseded pages are reused only
// once the next superblock is durable and no snapshot that could reach them is alive
// (page_writer.h). So a crash at any point leaves the last durable checkpoint intact, and
// recovery is: read the newest valid superblock, then replay the log from applied() + 1.
//
// Checkpoint. Writes every page the latest published state reaches that is not on disk yet
// (sealed with the tenant's page key; page_format.h), plus a manifest (free pages, page-key
// epochs, meta), syncs the page file, then writes the superblock to two of its four slots,
// syncs, and to the other two, syncs. One checkpoint runs at a time; a call during one runs
// after it (calls queued together share one checkpoint). Sealing happens on the loop thread
// when the checkpoint starts (~1-2 µs per page). The superblock also waits for the checkpoint
// gate, if one is set: what the owner must make durable first (set_checkpoint_gate).
//
// Errors. Operating errors return Status: invalid_argument (a key or value over the limits,
// named), not_found (no such tree), already_exists, corruption (a page failed its checks: the
// message names the page address), crypto (a tag failed or a key is missing), io errors. A
// checkpoint whose page writes fail (io_error, no_space) leaves the store usable; a failed
// sync, or any failure once the superblock is being written, is fatal: the store stops (every
// later call fails with that status) and the process must recover from disk. An edit that fails
// part-way (a page of the tree could not be read) also stops the writer, since the working
// version may be half-changed.
//
// Threads. Everything here runs on the loop thread except snapshot() and what Snapshot,
// TreeView and Cursor do, which any thread may call. Pages missed by the cache are read
// synchronously (Storage::read_sync), on whichever thread missed them. Every Snapshot, TreeView
// and Cursor must be destroyed before the Store (asserted).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/random.h"
#include "io/event_loop.h"
#include "io/storage.h"
#include "io/unique_function.h"
#include "kimberlite/status.h"
#include "store/cursor.h"
#include "store/manifest.h"
#include "store/page_keys.h"
#include "store/snapshot.h"
#include "store/superblock.h"
#include "store/types.h"
#include "types/limits.h"

namespace kb::store {

class PageCache;
class PageFile;
class PageWriter;

struct StoreOptions {
    // The page cache's budget: clean pages beyond it are evicted; pages not yet checkpointed
    // count against it too but stay (stats().dirty_bytes says how many: checkpoint sooner when
    // it grows).
    u64 cache_bytes = 64 * limits::kMiB;
    // Pages a tenant seals under one page-key epoch before moving to the next; the default is
    // the hard bound. Tests lower it to exercise epoch changes.
    u64 pages_per_epoch_max = limits::kPagesPerPageKeyMax;
};

struct StoreStats {
    u64 published_version = 0;
    u64 durable_version = 0;
    u64 superblock_sequence = 0;
    u64 page_count = 0;     // pages the file spans (free ones included)
    u64 free_pages = 0;     // ready for reuse
    u64 retired_pages = 0;  // waiting for a durable checkpoint or for snapshots
    u64 dirty_bytes = 0;    // pinned in memory until a checkpoint writes them
    u64 cache_bytes = 0;    // resident in the page cache (dirty included)
    u64 cache_hits = 0;
    u64 cache_misses = 0;
    u64 checkpoints = 0;    // completed since open
    u64 pages_written = 0;  // by those checkpoints
    usize live_snapshot_versions = 0;
};

// What check_integrity() found.
struct IntegrityReport {
    u64 trees = 0;
    u64 reachable_pages = 0;    // pages the latest published state reaches
    u64 entries = 0;            // keys in all trees
    u64 unaccounted_pages = 0;  // neither reachable, free, retired, nor a manifest: leaks
};

class Store {
public:
    // Opens the store under `storage` (creating an empty one if there is none; on a read-only
    // storage it must exist), running `loop` until the creation is durable. Reads the newest
    // valid superblock and its manifest (which needs the system tenant's page key). Everything
    // passed in must outlive the store.
    static Result<std::unique_ptr<Store>> open(io::Storage& storage, io::EventLoop& loop,
                                               StoreOptions options, PageKeySource& keys,
                                               crypto::RandomSource& random);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // What the last durable checkpoint recorded: recovery replays the log from applied() + 1
    // and the kernel resumes from meta().
    Position applied() const { return durable_applied_; }
    ByteSpan meta() const { return durable_meta_; }

    // --- The writer's view (loop thread): changes since the last publish are private ---

    Status create_tree(TreeId tree);
    // Removes the tree and retires every page it has (reading the ones not in memory).
    Status drop_tree(TreeId tree);
    Result<bool> has_tree(TreeId tree) const;
    Result<std::vector<TreeId>> trees(TenantId tenant) const;
    Result<std::optional<Bytes>> get(TreeId tree, ByteSpan key) const;
    // The first key >= `lower` and its value, copied; false if none.
    Result<bool> seek(TreeId tree, ByteSpan lower, Bytes& key, Bytes& value) const;
    Status put(TreeId tree, ByteSpan key, ByteSpan value);
    // put() of each entry, for keys in strictly ascending order (a batch of consecutive event
    // offsets, say): one walk from the root per leaf they land in instead of one per key. On
    // an error, a prefix of the entries may have been put.
    Status put_sorted(TreeId tree, std::span<const KeyValue> entries);
    // True if the key was there.
    Result<bool> erase(TreeId tree, ByteSpan key);
    // A cursor over the writer's view, valid until the next change.
    Result<Cursor> scan(TreeId tree, ByteSpan lower, ByteSpan upper,
                        Direction direction = Direction::forward) const;
    // The writer's view as a Snapshot (for code written against Snapshot), valid until the next
    // change. Loop thread only.
    Snapshot working_view() const;

    // --- Publishing and snapshots ---

    // Makes every change so far visible to new snapshots as of `applied`, with the kernel's
    // `meta` (at most kMetaBytesMax bytes, else invalid_argument). Otherwise fails only once the
    // store has stopped.
    Status publish(Position applied, ByteSpan meta);
    // The latest published state. Any thread.
    Snapshot snapshot() const;

    // --- Durability ---

    // Persists the latest published state; `done` runs on the loop (never inside this call).
    void checkpoint(io::UniqueFunction<void(Status)> done);
    bool checkpoint_in_flight() const { return checkpoint_ != nullptr; }
    // What must be durable before a checkpoint is (the replica's client table as of it:
    // vsr/client_table_file.h). Called on the loop thread once a checkpoint has taken the
    // published state it will persist, with that state's applied position, before any of it
    // is written; the checkpoint's superblock is written only after `ready` is called, and not
    // at all if with an error: the checkpoint then fails with it (its pages dirty again, the
    // previous checkpoint still the durable one). Not called when nothing was published since
    // the last checkpoint (no superblock is written then).
    using CheckpointGate =
        std::function<void(Position applied, io::UniqueFunction<void(Status)> ready)>;
    void set_checkpoint_gate(CheckpointGate gate) { checkpoint_gate_ = std::move(gate); }

    // --- Inspection ---

    StoreStats stats() const;
    // stats().dirty_bytes alone (cheaper: what the engine asks after every publish).
    u64 dirty_bytes() const;
    // Whether snapshots (and their tree views and cursors) are alive: nonzero when some are
    // (the count of holders of the current version plus older versions held). All must end
    // before the store.
    usize live_snapshots() const;
    // Walks every tree of the latest published state: key order across pages, levels, no page
    // reached twice, none reached that is free. For tests and `kmb verify`.
    Result<IntegrityReport> check_integrity() const;
    // ok until the store stops (see "Errors" above).
    const Status& failure() const { return failure_; }
    const Superblock& superblock() const { return superblock_; }

private:
    struct Checkpoint;

    Store(io::Storage& storage, io::EventLoop& loop, StoreOptions options, PageKeySource& keys,
          crypto::RandomSource& random);

    Status load(const Superblock& superblock, io::FileHandle pages, io::FileHandle superblocks);
    Result<RootRef> root_of(TreeId tree) const;
    // Records `root` as the tree's root in the working tree table.
    Status set_root(TreeId tree, RootRef root);
    Status check_writable() const;
    // Stops the store after an edit failed part-way.
    Status stop(Status failure);
    void reclaim();
    u64 oldest_live_version() const;

    // Checkpoint steps (store_checkpoint.cc).
    void start_checkpoint();
    Status prepare_checkpoint(Checkpoint& job);
    void write_pages(std::shared_ptr<Checkpoint> job);
    // Writes the superblock once the pages are synced and the gate is open.
    void superblock_when_ready(std::shared_ptr<Checkpoint> job);
    void write_superblock_half(std::shared_ptr<Checkpoint> job, usize half);
    void finish_checkpoint(std::shared_ptr<Checkpoint> job, Status status);
    // The page-key epoch for the next page `tenant` seals (moving on before the bound).
    u64 epoch_for_seal(TenantId tenant);
    PageRun checkpoint_manifest_run() const;

    io::Storage& storage_;
    io::EventLoop& loop_;
    const StoreOptions options_;
    PageKeySource& keys_;
    crypto::RandomSource& random_;

    io::FileHandle pages_file_;
    io::FileHandle superblock_file_;
    std::unique_ptr<PageCache> cache_;
    std::unique_ptr<PageFile> file_;
    std::unique_ptr<PageWriter> writer_;

    RootRef working_trees_;  // the tree of trees of the working version
    u64 changes_ = 0;        // writer changes, so stale working cursors are caught

    std::shared_ptr<SnapshotRegistry> registry_;
    mutable std::mutex published_mutex_;
    std::shared_ptr<const PublishedState> published_;

    Superblock superblock_;  // the last durable one
    u64 durable_version_ = 0;
    Position durable_applied_;
    Bytes durable_meta_;
    PageRun durable_manifest_;  // the run the durable superblock's manifest occupies
    std::array<u64, kSuperblockCopies> slot_sequences_{};  // 0: not a valid copy
    std::map<TenantId, EpochState> epochs_;

    std::shared_ptr<Checkpoint> checkpoint_;  // in flight
    std::vector<io::UniqueFunction<void(Status)>> checkpoint_waiters_;
    CheckpointGate checkpoint_gate_;
    u64 checkpoints_ = 0;
    u64 pages_written_ = 0;
    Status failure_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kb::store
