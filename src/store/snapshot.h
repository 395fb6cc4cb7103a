// Snapshot: an immutable view of every tree as of one Store::publish().
//
// Taking one is cheap (a shared pointer); copies share it. Reads run on any thread, several at
// once, without locks on the data: the pages a snapshot reaches are immutable and the store
// does not reuse them while the snapshot (or a cursor made from it) lives. So hold snapshots
// only as long as needed: a long-lived snapshot keeps the pages it reaches from being reused
// (the file grows instead), though never from being read correctly.
//
// Store::working_view() returns a Snapshot of the writer's unpublished state for the loop
// thread; it is valid only until the writer's next change (asserted).
//
// Every snapshot must be destroyed before its Store.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "store/cursor.h"
#include "store/types.h"
#include "types/ids.h"

namespace kb::store {

class Node;
class PageFile;
class SnapshotRegistry;

// One published version of the store (internal; shared by the snapshots of that version).
struct PublishedState {
    PublishedState(u64 version_number, Position applied_position, Bytes meta_bytes,
                   RootRef tree_table, std::shared_ptr<SnapshotRegistry> live);
    ~PublishedState();
    PublishedState(const PublishedState&) = delete;
    PublishedState& operator=(const PublishedState&) = delete;

    const u64 version;
    const Position applied;
    const Bytes meta;
    const RootRef trees;                               // the tree of trees
    const std::shared_ptr<SnapshotRegistry> registry;  // null for the writer's working view
};

// One tree of a snapshot with its root found once: repeated reads of the same tree (a query's
// lookups in one table) skip finding the root in the tree of trees. Same lifetime rules and
// threads as the Snapshot it came from (it keeps that snapshot's pages alive).
class TreeView {
public:
    TreeView() = default;  // not valid

    TreeId tree() const { return tree_; }
    // The snapshot's position, and whether it is the writer's working view (see Snapshot).
    Position applied() const { return state_->applied; }
    bool is_working_view() const { return writer_changes_ != nullptr; }
    Result<std::optional<Bytes>> get(ByteSpan key) const;
    Result<bool> read(ByteSpan key, Bytes& value) const;
    Result<bool> seek(ByteSpan lower, Bytes& key, Bytes& value) const;
    Result<Cursor> scan(ByteSpan lower, ByteSpan upper,
                        Direction direction = Direction::forward) const;

private:
    friend class Snapshot;
    void check_writer() const;

    std::shared_ptr<const PublishedState> state_;
    const PageFile* file_ = nullptr;
    TreeId tree_;
    RootRef root_;
    std::shared_ptr<const Node> root_node_;  // held: lookups start here without the cache
    const u64* writer_changes_ = nullptr;
    u64 writer_changes_seen_ = 0;
};

class Snapshot {
public:
    Snapshot() = default;  // not valid

    bool valid() const { return state_ != nullptr; }
    // The position and kernel meta given to the publish() this snapshot sees.
    Position applied() const { return state_->applied; }
    ByteSpan meta() const { return state_->meta; }
    // The store's version counter at that publish (increases by one per publish).
    u64 version() const { return state_->version; }
    // True for Store::working_view(): the writer's unpublished state.
    bool is_working_view() const { return writer_changes_ != nullptr; }

    Result<bool> has_tree(TreeId tree) const;
    // The tree, for repeated reads (not_found if it does not exist).
    Result<TreeView> tree(TreeId tree) const;
    // The same, nullopt if it does not exist: has_tree() and tree() in one search of the tree
    // of trees (a cursor's open does both).
    Result<std::optional<TreeView>> find_tree(TreeId tree) const;
    // The trees of `tenant`, in number order.
    Result<std::vector<TreeId>> trees(TenantId tenant) const;
    // The value under `key`, or nullopt. not_found if the tree does not exist.
    Result<std::optional<Bytes>> get(TreeId tree, ByteSpan key) const;
    // The same into a caller's buffer (replaced), saving an allocation per lookup: false if
    // the key is absent.
    Result<bool> read(TreeId tree, ByteSpan key, Bytes& value) const;
    // The first key >= `lower` and its value, copied into `key` and `value`; false if none.
    Result<bool> seek(TreeId tree, ByteSpan lower, Bytes& key, Bytes& value) const;
    // Keys in [lower, upper) (an empty upper: no bound), in `direction` order.
    Result<Cursor> scan(TreeId tree, ByteSpan lower, ByteSpan upper,
                        Direction direction = Direction::forward) const;

private:
    friend class Store;
    Snapshot(std::shared_ptr<const PublishedState> state, const PageFile* file,
             const u64* writer_changes)
        : state_(std::move(state)), file_(file), writer_changes_(writer_changes) {}

    void check_writer() const;

    std::shared_ptr<const PublishedState> state_;
    const PageFile* file_ = nullptr;
    const u64* writer_changes_ = nullptr;  // working views: the writer's change counter
    u64 writer_changes_seen_ = writer_changes_ ? *writer_changes_ : 0;
};

// The versions live snapshots hold (internal). Thread-safe: snapshots die on any thread.
class SnapshotRegistry {
public:
    void add(u64 version);
    void remove(u64 version);
    // The oldest version still held, or nullopt.
    std::optional<u64> oldest() const;
    usize live() const;

private:
    mutable std::mutex mutex_;
    std::map<u64, u64> counts_;  // version -> PublishedStates alive
};

}  // namespace kb::store
