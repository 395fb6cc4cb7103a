// MVCC on top of the store: every row version carries the log positions that created and ended
// it, and a read as of position P sees exactly what was live at P (DESIGN.md §3, "Reads").
//
// Layout in a tree (docs/FORMATS.md, "MVCC versions"): two key ranges, so current versions sit
// together, as densely as in a tree without history, and reading one never touches history.
//
//     current version:  key 0x01 || user key                  value: created u64, row bytes
//     older versions:   key 0x02 || user key || ~created      value: ended u64, row bytes
//
// (~created = 2^64 - 1 - created, big-endian, so a key's older versions sort newest first;
// created/ended little-endian.) Writing a new version moves the current one to the older range
// with its end position; deleting moves it there and leaves no current version. A read as of P
// looks at the current version first and, only if it was created after P (or is gone), seeks the
// older range to 0x02 || key || ~P: the first entry there is the newest version created at or
// before P, visible if it ended after P. So a current-version read costs one lookup however long
// the history, and a read at the snapshot's own position never touches the older range.
//
// User keys must be prefix-free: no key a proper prefix of another (the kernel's key encoding
// guarantees it, kernel/key_encoding.h), and scan bounds must be keys or prefixes of keys.
// Otherwise one key's older versions could interleave with another's. User keys are at most
// limits::kKeySizeBytesMax bytes and rows limits::kRowSizeBytesMax (invalid_argument beyond).
//
// History is kept: nothing here removes versions (erasure will, explicitly).
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "store/cursor.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "store/types.h"
#include "types/ids.h"

namespace kb::store {

// As of the newest version (every version is visible).
inline constexpr Position kLatestPosition{std::numeric_limits<u64>::max()};

struct Version {
    Position created;
    Position ended;  // Position::none() while it is the live version
    Bytes row;

    friend bool operator==(const Version&, const Version&) = default;
};

// Writes `row` as the version of `key` created at `at`, ending the live one (if any). `at` must
// be at or after the newest version's position (invalid_argument otherwise: apply runs in
// position order); at the same position it replaces that version.
Status mvcc_put(Store& store, TreeId tree, ByteSpan key, ByteSpan row, Position at);
// Ends the live version of `key` at `at`. not_found if there is none.
Status mvcc_delete(Store& store, TreeId tree, ByteSpan key, Position at);

// The same two, for a caller that already read the key's live version: `current` must be what
// mvcc_current returns for `key` now (nullopt: none). They skip looking it up again.
Status mvcc_put(Store& store, TreeId tree, ByteSpan key, ByteSpan row, Position at,
                const std::optional<Version>& current);
Status mvcc_delete(Store& store, TreeId tree, ByteSpan key, Position at, const Version& current);

// mvcc_put(store, tree, key, row, at, std::nullopt) of each entry (key and row), for keys the
// caller found without a live version, in strictly ascending order: one walk from the root per
// leaf they land in (Store::put_sorted), not one per key. Checks every entry before writing
// any; on a store error, a prefix of them may have been written.
Status mvcc_put_new_sorted(Store& store, TreeId tree, std::span<const KeyValue> rows, Position at);

// The live version of `key` in the writer's view (its created position and row; ended is
// Position::none()), or nullopt if it has none: the version a write at a later position ends.
Result<std::optional<Version>> mvcc_current(const Store& store, TreeId tree, ByteSpan key);
// The same through a view of the writer's state (store.working_view().tree(...)), which finds
// the tree's root once for many lookups.
Result<std::optional<Version>> mvcc_current(const TreeView& tree, ByteSpan key);

// The row of `key` live at `as_of` (created <= as_of < ended), or nullopt. Pass
// store.working_view() to read the writer's state; a TreeView saves finding the tree's root on
// each call.
Result<std::optional<Bytes>> mvcc_get(const Snapshot& view, TreeId tree, ByteSpan key,
                                      Position as_of = kLatestPosition);
Result<std::optional<Bytes>> mvcc_get(const TreeView& tree, ByteSpan key,
                                      Position as_of = kLatestPosition);

// Every version of `key`, newest first (deletions are not versions: they end one).
Result<std::vector<Version>> mvcc_history(const Snapshot& view, TreeId tree, ByteSpan key);

// The rows live at `as_of` with user keys in [lower, upper) (an empty upper: no bound).
// key() and row() views stay valid until the next call of next() (or the cursor's end); moving
// the cursor keeps them valid.
class MvccCursor {
public:
    // Movable, not copyable: key() and row() may view the cursor's own buffers.
    MvccCursor(MvccCursor&&) noexcept = default;
    MvccCursor& operator=(MvccCursor&&) noexcept = default;
    MvccCursor(const MvccCursor&) = delete;
    MvccCursor& operator=(const MvccCursor&) = delete;

    bool valid() const { return valid_; }
    ByteSpan key() const { return key_; }  // the user key
    ByteSpan row() const { return row_; }
    Position created() const { return created_; }
    Status next();

    // `view` must outlive the cursor only if it is the writer's working view (like any
    // working-view cursor); a snapshot's cursor keeps its pages alive itself.
    static Result<MvccCursor> open(const Snapshot& view, TreeId tree, ByteSpan lower,
                                   ByteSpan upper, Position as_of, Direction direction);
    // The same over a tree already found (Snapshot::find_tree): no search for its root.
    static Result<MvccCursor> open(const TreeView& tree, ByteSpan lower, ByteSpan upper,
                                   Position as_of, Direction direction);

private:
    MvccCursor() = default;
    // Moves to the next user key with a version visible at as_of_.
    Status settle();

    Cursor current_;  // the current versions in range
    Cursor older_;    // the older versions in range (not opened when none can be visible)
    TreeId tree_;
    Position as_of_;
    Direction direction_ = Direction::forward;
    bool valid_ = false;
    // The row is current_'s entry, which stays put until next() (no copy of the key or row:
    // key_ and row_ view current_'s leaf). Otherwise they view the buffers below.
    bool on_current_ = false;
    ByteSpan key_;
    ByteSpan row_;
    Bytes key_buffer_;  // an older version's key and row, copied: older_ has moved past them
    Bytes row_buffer_;
    Position created_;
};

// Every version of every key in [lower, upper), in key order and newest first within a key,
// with its created and ended positions: history views and the state hash.
class MvccVersionCursor {
public:
    bool valid() const { return valid_; }
    ByteSpan key() const { return key_; }
    const Version& version() const { return pending_[next_]; }
    Status next();

    static Result<MvccVersionCursor> open(const Snapshot& view, TreeId tree, ByteSpan lower,
                                          ByteSpan upper);

private:
    // Loads every version of the next user key into pending_.
    Status load_next_key();

    Cursor current_;
    Cursor older_;
    TreeId tree_;
    bool valid_ = false;
    Bytes key_;
    std::vector<Version> pending_;  // the versions of key_, newest first
    usize next_ = 0;
};

// The store keys of a key's current version and of an older version (for tests and tools).
Bytes mvcc_current_key(ByteSpan key);
Bytes mvcc_older_key(ByteSpan key, Position created);

}  // namespace kb::store
