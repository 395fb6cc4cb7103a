// Cursor: an ordered walk over the keys of one tree in [lower, upper), forwards or backwards.
//
//     auto cursor = KB_TRY(snapshot.scan(tree, lower, upper, Direction::forward));
//     for (; cursor.valid(); KB_TRY(cursor.next())) {
//         ByteSpan key = cursor.key();
//         ByteSpan value = KB_TRY(cursor.value());
//     }
//
// An empty `upper` means no upper bound (an empty lower bound is below every key anyway).
// key() and value() views stay valid until the next call of next() (or the cursor's end).
// Values in overflow runs are read on first access to value(), so walking keys alone never
// reads them.
//
// A cursor from a Snapshot keeps that snapshot's pages alive: it stays valid after the
// Snapshot object is gone and may be used on any one thread at a time. A cursor over the
// writer's own view (Store::scan) is valid only until the writer's next change (asserted).
#pragma once

#include <memory>
#include <vector>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "store/node.h"
#include "store/types.h"

namespace kb::store {

class PageFile;

class Cursor {
public:
    Cursor() = default;  // not valid

    bool valid() const { return valid_; }
    ByteSpan key() const;
    // The length of the current value (without reading an overflow run).
    u64 value_size() const;
    // The current value; an overflow value is read on first access.
    Result<ByteSpan> value();
    // key() and value() in one step for the common case of a value stored inline: false (and
    // nothing set) for a value in an overflow run, which only value() reads.
    bool inline_entry(ByteSpan& key, ByteSpan& value) const;
    // Moves to the next key in the cursor's direction (valid() turns false past the range).
    Status next();

    // Internal: made by Snapshot::scan and Store::scan. `root_node`, when given, is `root`'s
    // node already loaded (a TreeView holds it): the seek starts there without the cache.
    static Result<Cursor> open(const PageFile& file, TenantId tenant, RootRef root, ByteSpan lower,
                               ByteSpan upper, Direction direction,
                               std::shared_ptr<const void> keep_alive, const u64* writer_changes,
                               std::shared_ptr<const Node> root_node = nullptr);

private:
    struct Frame {
        std::shared_ptr<const Node> node;
        u16 index = 0;
    };

    Status seek_forward(std::shared_ptr<const Node> node);
    Status seek_backward(std::shared_ptr<const Node> node);
    // Descends from the top frame to a leaf along the first (forward) or last child.
    Status descend_edge(bool leftmost);
    // Steps to the adjacent leaf entry; false at the end of the tree.
    Result<bool> step_forward();
    Result<bool> step_backward();
    // Sets valid_ from the bounds.
    void check_bounds();
    // Notes whether every key from the current one to the leaf's edge (in the cursor's
    // direction) is within the bounds, so that steps inside the leaf need not compare keys.
    void note_leaf();
    // The cursor stepped into a leaf: starts fetching the entries after the current one in the
    // cursor's direction (Node::prefetch_entry). After a seek that waits for the first step
    // (fetch_on_next_): most seeks are point reads that never step.
    void prefetch_following() const;
    // The cursor moved to a new entry: fetches the entry kPrefetchDistance ahead in its leaf
    // (all of those up to it when it `landed` in the leaf).
    void fetch_ahead(bool landed) const;
    void check_writer() const;

    const PageFile* file_ = nullptr;
    TenantId tenant_;
    std::shared_ptr<const void> keep_alive_;
    const u64* writer_changes_ = nullptr;
    u64 writer_changes_seen_ = 0;
    std::vector<Frame> path_;  // root .. leaf
    Bytes lower_;
    Bytes upper_;
    Direction direction_ = Direction::forward;
    bool valid_ = false;
    bool leaf_in_bounds_ = false;  // see note_leaf()
    bool fetch_on_next_ = false;   // see prefetch_following()
    bool value_loaded_ = false;
    Bytes value_buffer_;
};

}  // namespace kb::store
