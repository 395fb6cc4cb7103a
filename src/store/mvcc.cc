// MVCC versions over the store: current versions and older versions in two key ranges of one
// tree (see mvcc.h).
#include "store/mvcc.h"

#include <algorithm>
#include <array>

#include "base/endian.h"
#include "types/limits.h"

namespace kb::store {
namespace {

constexpr u8 kCurrentPrefix = 0x01;
constexpr u8 kOlderPrefix = 0x02;
constexpr usize kSuffixSize = 8;
constexpr usize kPositionSize = 8;

void store_inverted(u8* out, Position created) {
    u64 value = ~created.value();
    for (int i = 7; i >= 0; --i) {
        out[i] = static_cast<u8>(value);
        value >>= 8;
    }
}

Position load_inverted(const u8* in) {
    u64 value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
    return Position(~value);
}

bool same(ByteSpan a, ByteSpan b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A stored version: a current one (ended none) or an older one.
struct Stored {
    ByteSpan user;
    Position created;
    Position ended;
    ByteSpan row;
};

Result<Stored> parse_current(TreeId tree, ByteSpan key, ByteSpan value) {
    if (key.empty() || key[0] != kCurrentPrefix || value.size() < kPositionSize) {
        return Status::corruption(to_string(tree) + ": a malformed current version");
    }
    return Stored{key.subspan(1), Position(load_le_u64(value.data())), Position::none(),
                  value.subspan(kPositionSize)};
}

Result<Stored> parse_older(TreeId tree, ByteSpan key, ByteSpan value) {
    if (key.size() < 1 + kSuffixSize || key[0] != kOlderPrefix || value.size() < kPositionSize) {
        return Status::corruption(to_string(tree) + ": a malformed older version");
    }
    Stored stored{key.subspan(1, key.size() - 1 - kSuffixSize),
                  load_inverted(key.data() + key.size() - kSuffixSize),
                  Position(load_le_u64(value.data())), value.subspan(kPositionSize)};
    if (stored.ended <= stored.created) {
        return Status::corruption(to_string(tree) + ": an older version that ended at " +
                                  std::to_string(stored.ended.value()) + ", before it began at " +
                                  std::to_string(stored.created.value()));
    }
    return stored;
}

// The user key of the entry under a cursor of the current or the older range.
ByteSpan user_of(const Cursor& cursor, bool older) {
    ByteSpan key = cursor.key();
    if (key.empty()) return key;
    if (!older) return key.subspan(1);
    return key.size() < 1 + kSuffixSize ? key.subspan(1)
                                        : key.subspan(1, key.size() - 1 - kSuffixSize);
}

Bytes range_key(u8 prefix, ByteSpan user) {
    Bytes out(user.size() + 1);
    out[0] = prefix;
    std::copy(user.begin(), user.end(), out.begin() + 1);
    return out;
}

// [prefix || lower, prefix || upper), or up to the next prefix when upper is empty.
struct Range {
    Bytes lower;
    Bytes upper;
};
Range range_of(u8 prefix, ByteSpan lower, ByteSpan upper) {
    Range range{range_key(prefix, lower), {}};
    range.upper = upper.empty() ? Bytes{static_cast<u8>(prefix + 1)} : range_key(prefix, upper);
    return range;
}

// A store key or value built on the stack when it is small (the common case: every key, and
// rows of a few hundred bytes), so writing a version allocates nothing for them.
class Scratch {
public:
    explicit Scratch(usize size) : size_(size) {
        if (size > kInline) heap_.resize(size);
    }
    u8* data() { return size_ > kInline ? heap_.data() : inline_.data(); }
    ByteSpan span() const {
        return ByteSpan(size_ > kInline ? heap_.data() : inline_.data(), size_);
    }

private:
    static constexpr usize kInline = 1 + limits::kKeySizeBytesMax + kSuffixSize;
    usize size_;
    std::array<u8, kInline> inline_;
    Bytes heap_;
};

// The store key of `key`'s current version (check_key passed: it fits inline).
Scratch current_key_of(ByteSpan key) {
    Scratch out(1 + key.size());
    out.data()[0] = kCurrentPrefix;
    std::copy(key.begin(), key.end(), out.data() + 1);
    return out;
}

Scratch value_of(Position position, ByteSpan row) {
    Scratch out(kPositionSize + row.size());
    store_le_u64(out.data(), position.value());
    std::copy(row.begin(), row.end(), out.data() + kPositionSize);
    return out;
}

Status check_key(ByteSpan key) {
    if (key.size() > limits::kKeySizeBytesMax) {
        return Status::invalid_argument("a key of " + std::to_string(key.size()) +
                                        " bytes is over the limit of " +
                                        std::to_string(limits::kKeySizeBytesMax));
    }
    return Status::ok();
}

// True if no version newer than as_of can exist in `view`: a published state holds only
// versions created at or before the position it was published with.
template <class View>
bool only_current_visible(const View& view, Position as_of) {
    return as_of == kLatestPosition || (!view.is_working_view() && as_of >= view.applied());
}

// Moves the current version of `key` (created `created`, `row`) to the older range, ended at
// `at`.
Status retire_current(Store& store, TreeId tree, ByteSpan key, Position created, ByteSpan row,
                      Position at) {
    Scratch older_key(1 + key.size() + kSuffixSize);
    older_key.data()[0] = kOlderPrefix;
    std::copy(key.begin(), key.end(), older_key.data() + 1);
    store_inverted(older_key.data() + 1 + key.size(), created);
    return store.put(tree, older_key.span(), value_of(at, row).span());
}

}  // namespace

Bytes mvcc_current_key(ByteSpan key) { return range_key(kCurrentPrefix, key); }

Bytes mvcc_older_key(ByteSpan key, Position created) {
    Bytes out(1 + key.size() + kSuffixSize);
    out[0] = kOlderPrefix;
    std::copy(key.begin(), key.end(), out.begin() + 1);
    store_inverted(out.data() + 1 + key.size(), created);
    return out;
}

namespace {

Status check_row_size(ByteSpan row) {
    if (row.size() > limits::kRowSizeBytesMax) {
        return Status::invalid_argument("a row of " + std::to_string(row.size()) +
                                        " bytes is over the limit of " +
                                        std::to_string(limits::kRowSizeBytesMax));
    }
    return Status::ok();
}

// Writes the new current version over the one the caller found (if `found`: created at
// `created`, with `old_row`), moving that one to the older range first.
Status put_over(Store& store, TreeId tree, ByteSpan key, ByteSpan current_key, ByteSpan row,
                Position at, bool found, Position created, ByteSpan old_row) {
    if (found) {
        if (created > at) {
            return Status::invalid_argument("a version at position " + std::to_string(at.value()) +
                                            " is older than the current one, at " +
                                            std::to_string(created.value()));
        }
        // A second write at one position replaces the first; otherwise the current version ends.
        if (created < at) KB_TRY(retire_current(store, tree, key, created, old_row, at));
    }
    return store.put(tree, current_key, value_of(at, row).span());
}

Status delete_over(Store& store, TreeId tree, ByteSpan key, ByteSpan current_key, Position at,
                   Position created, ByteSpan old_row) {
    if (created > at) {
        return Status::invalid_argument("a deletion at position " + std::to_string(at.value()) +
                                        " is older than the current version, at " +
                                        std::to_string(created.value()));
    }
    // Created and deleted at one position: it was never visible, so it leaves no history.
    if (created < at) KB_TRY(retire_current(store, tree, key, created, old_row, at));
    KB_TRY(store.erase(tree, current_key));
    return Status::ok();
}

}  // namespace

Status mvcc_put(Store& store, TreeId tree, ByteSpan key, ByteSpan row, Position at) {
    KB_TRY(check_key(key));
    KB_TRY(check_row_size(row));
    if (at == Position::none()) return Status::invalid_argument("a version at position 0");
    const Bytes current_key = mvcc_current_key(key);
    auto current = KB_TRY(store.get(tree, current_key));
    if (!current) return put_over(store, tree, key, current_key, row, at, false, {}, {});
    const Stored stored = KB_TRY(parse_current(tree, current_key, *current));
    return put_over(store, tree, key, current_key, row, at, true, stored.created, stored.row);
}

Status mvcc_put(Store& store, TreeId tree, ByteSpan key, ByteSpan row, Position at,
                const std::optional<Version>& current) {
    KB_TRY(check_key(key));
    KB_TRY(check_row_size(row));
    if (at == Position::none()) return Status::invalid_argument("a version at position 0");
    const Scratch current_key = current_key_of(key);
    if (!current) return put_over(store, tree, key, current_key.span(), row, at, false, {}, {});
    return put_over(store, tree, key, current_key.span(), row, at, true, current->created,
                    current->row);
}

Status mvcc_put_new_sorted(Store& store, TreeId tree, std::span<const KeyValue> rows, Position at) {
    if (at == Position::none()) return Status::invalid_argument("a version at position 0");
    usize bytes = 0;
    for (const KeyValue& row : rows) {
        KB_TRY(check_key(row.key));
        KB_TRY(check_row_size(row.value));
        bytes += 1 + row.key.size() + kPositionSize + row.value.size();
    }
    // Every current key and value, laid out in one buffer.
    Bytes buffer(bytes);
    std::vector<KeyValue> entries;
    entries.reserve(rows.size());
    u8* out = buffer.data();
    for (const KeyValue& row : rows) {
        u8* const key = out;
        *out++ = kCurrentPrefix;
        out = std::copy(row.key.begin(), row.key.end(), out);
        u8* const value = out;
        store_le_u64(out, at.value());
        out = std::copy(row.value.begin(), row.value.end(), out + kPositionSize);
        entries.push_back(KeyValue{.key = ByteSpan(key, value), .value = ByteSpan(value, out)});
    }
    return store.put_sorted(tree, entries);
}

Status mvcc_delete(Store& store, TreeId tree, ByteSpan key, Position at) {
    KB_TRY(check_key(key));
    if (at == Position::none()) return Status::invalid_argument("a deletion at position 0");
    const Bytes current_key = mvcc_current_key(key);
    auto current = KB_TRY(store.get(tree, current_key));
    if (!current) return Status::not_found(to_string(tree) + ": no live version to delete");
    const Stored stored = KB_TRY(parse_current(tree, current_key, *current));
    return delete_over(store, tree, key, current_key, at, stored.created, stored.row);
}

Status mvcc_delete(Store& store, TreeId tree, ByteSpan key, Position at, const Version& current) {
    KB_TRY(check_key(key));
    if (at == Position::none()) return Status::invalid_argument("a deletion at position 0");
    return delete_over(store, tree, key, current_key_of(key).span(), at, current.created,
                       current.row);
}

Result<std::optional<Version>> mvcc_current(const Store& store, TreeId tree, ByteSpan key) {
    KB_TRY(check_key(key));
    const Bytes current_key = mvcc_current_key(key);
    auto current = KB_TRY(store.get(tree, current_key));
    if (!current) return std::optional<Version>();
    const Stored stored = KB_TRY(parse_current(tree, current_key, *current));
    return std::optional<Version>(
        Version{stored.created, Position::none(), Bytes(stored.row.begin(), stored.row.end())});
}

Result<std::optional<Version>> mvcc_current(const TreeView& view, ByteSpan key) {
    KB_TRY(check_key(key));
    const Scratch current_key = current_key_of(key);
    Bytes value;
    if (!KB_TRY(view.read(current_key.span(), value))) return std::optional<Version>();
    const Stored stored = KB_TRY(parse_current(view.tree(), current_key.span(), value));
    const Position created = stored.created;
    // The row is the value past its position: shift it down rather than copy it.
    value.erase(value.begin(), value.begin() + kPositionSize);
    return std::optional<Version>(Version{created, Position::none(), std::move(value)});
}

Result<std::optional<Bytes>> mvcc_get(const Snapshot& view, TreeId tree, ByteSpan key,
                                      Position as_of) {
    return mvcc_get(KB_TRY(view.tree(tree)), key, as_of);
}

Result<std::optional<Bytes>> mvcc_get(const TreeView& view, ByteSpan key, Position as_of) {
    const TreeId tree = view.tree();
    const Bytes current_key = mvcc_current_key(key);
    Bytes value;
    if (KB_TRY(view.read(current_key, value))) {
        const Stored stored = KB_TRY(parse_current(tree, current_key, value));
        if (stored.created <= as_of) {
            value.erase(value.begin(), value.begin() + kPositionSize);
            return std::optional<Bytes>(std::move(value));
        }
    }
    if (only_current_visible(view, as_of)) return std::optional<Bytes>();
    Bytes found;
    if (!KB_TRY(view.seek(mvcc_older_key(key, as_of), found, value))) {
        return std::optional<Bytes>();
    }
    if (found.empty() || found[0] != kOlderPrefix) return std::optional<Bytes>();
    const Stored stored = KB_TRY(parse_older(tree, found, value));
    if (!same(stored.user, key) || stored.ended <= as_of) return std::optional<Bytes>();
    return std::optional<Bytes>(Bytes(stored.row.begin(), stored.row.end()));
}

Result<std::vector<Version>> mvcc_history(const Snapshot& view, TreeId tree, ByteSpan key) {
    auto cursor = KB_TRY(MvccVersionCursor::open(view, tree, key, {}));
    std::vector<Version> versions;
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        if (!same(cursor.key(), key)) break;
        versions.push_back(cursor.version());
    }
    return versions;
}

// --- MvccCursor ---

Result<MvccCursor> MvccCursor::open(const Snapshot& view, TreeId tree, ByteSpan lower,
                                    ByteSpan upper, Position as_of, Direction direction) {
    return open(KB_TRY(view.tree(tree)), lower, upper, as_of, direction);
}

Result<MvccCursor> MvccCursor::open(const TreeView& view, ByteSpan lower, ByteSpan upper,
                                    Position as_of, Direction direction) {
    MvccCursor cursor;
    cursor.tree_ = view.tree();
    cursor.as_of_ = as_of;
    cursor.direction_ = direction;
    const Range current = range_of(kCurrentPrefix, lower, upper);
    cursor.current_ = KB_TRY(view.scan(current.lower, current.upper, direction));
    if (!only_current_visible(view, as_of)) {
        const Range older = range_of(kOlderPrefix, lower, upper);
        cursor.older_ = KB_TRY(view.scan(older.lower, older.upper, direction));
    }
    KB_TRY(cursor.settle());
    return cursor;
}

Status MvccCursor::next() {
    KB_ASSERT(valid_);
    valid_ = false;
    if (on_current_) {
        on_current_ = false;
        KB_TRY(current_.next());
    }
    return settle();
}

Status MvccCursor::settle() {
    valid_ = false;
    const bool forward = direction_ == Direction::forward;
    while (current_.valid() || older_.valid()) {
        // The next user key in the cursor's direction, from either range.
        ByteSpan current_key;
        ByteSpan value;
        bool have_value = false;  // else the value is in an overflow run, read only if needed
        if (current_.valid()) {
            have_value = current_.inline_entry(current_key, value);
            if (!have_value) current_key = current_.key();
        }
        const ByteSpan from_current = current_key.empty() ? current_key : current_key.subspan(1);
        bool take_current = current_.valid();
        if (take_current && older_.valid()) {
            const int order = compare_keys(from_current, user_of(older_, true));
            take_current = forward ? order <= 0 : order >= 0;
        }

        // The current version decides if it existed at as_of: it is newer than every older one.
        if (take_current) {
            if (!have_value) value = KB_TRY(current_.value());
            if (current_key.empty() || current_key[0] != kCurrentPrefix ||
                value.size() < kPositionSize) {
                return Status::corruption(to_string(tree_) + ": a malformed current version");
            }
            const Position created(load_le_u64(value.data()));
            if (created <= as_of_) {
                // Visible: skip the key's older versions, and stay on this entry until next()
                // so the key and row need no copy.
                while (older_.valid() && same(user_of(older_, true), from_current)) {
                    KB_TRY(older_.next());
                }
                key_ = from_current;
                row_ = value.subspan(kPositionSize);
                created_ = created;
                on_current_ = true;
                valid_ = true;
                return Status::ok();
            }
            key_buffer_.assign(from_current.begin(), from_current.end());
            KB_TRY(current_.next());
        } else {
            const ByteSpan from_older = user_of(older_, true);
            key_buffer_.assign(from_older.begin(), from_older.end());
        }
        // Otherwise the newest older version created at or before as_of decides: visible if it
        // ended after as_of. Forwards they come newest first (the first such one decides);
        // backwards oldest first (the last such one does).
        bool decided = false;
        bool found = false;
        while (older_.valid() && same(user_of(older_, true), key_buffer_)) {
            if (!decided) {
                const ByteSpan older_value = KB_TRY(older_.value());
                const Stored stored = KB_TRY(parse_older(tree_, older_.key(), older_value));
                if (stored.created <= as_of_) {
                    found = stored.ended > as_of_;
                    if (found) {
                        row_buffer_.assign(stored.row.begin(), stored.row.end());
                        created_ = stored.created;
                    }
                    decided = forward;
                }
            }
            KB_TRY(older_.next());
        }
        if (found) {
            key_ = key_buffer_;
            row_ = row_buffer_;
            valid_ = true;
            return Status::ok();
        }
    }
    return Status::ok();
}

// --- MvccVersionCursor ---

Result<MvccVersionCursor> MvccVersionCursor::open(const Snapshot& view, TreeId tree, ByteSpan lower,
                                                  ByteSpan upper) {
    MvccVersionCursor cursor;
    cursor.tree_ = tree;
    const Range current = range_of(kCurrentPrefix, lower, upper);
    const Range older = range_of(kOlderPrefix, lower, upper);
    cursor.current_ = KB_TRY(view.scan(tree, current.lower, current.upper));
    cursor.older_ = KB_TRY(view.scan(tree, older.lower, older.upper));
    KB_TRY(cursor.load_next_key());
    return cursor;
}

Status MvccVersionCursor::next() {
    KB_ASSERT(valid_);
    if (++next_ < pending_.size()) return Status::ok();
    return load_next_key();
}

Status MvccVersionCursor::load_next_key() {
    valid_ = false;
    pending_.clear();
    next_ = 0;
    if (!current_.valid() && !older_.valid()) return Status::ok();
    ByteSpan from_current = current_.valid() ? user_of(current_, false) : ByteSpan();
    ByteSpan from_older = older_.valid() ? user_of(older_, true) : ByteSpan();
    const bool take_current =
        current_.valid() && (!older_.valid() || compare_keys(from_current, from_older) <= 0);
    key_.assign(take_current ? from_current.begin() : from_older.begin(),
                take_current ? from_current.end() : from_older.end());
    if (current_.valid() && same(user_of(current_, false), key_)) {
        ByteSpan value = KB_TRY(current_.value());
        const Stored stored = KB_TRY(parse_current(tree_, current_.key(), value));
        pending_.push_back(
            {stored.created, Position::none(), Bytes(stored.row.begin(), stored.row.end())});
        KB_TRY(current_.next());
    }
    while (older_.valid() && same(user_of(older_, true), key_)) {
        ByteSpan value = KB_TRY(older_.value());
        const Stored stored = KB_TRY(parse_older(tree_, older_.key(), value));
        if (!pending_.empty() && stored.ended > pending_.back().created) {
            return Status::corruption(to_string(tree_) + ": versions of a key overlap");
        }
        pending_.push_back(
            {stored.created, stored.ended, Bytes(stored.row.begin(), stored.row.end())});
        KB_TRY(older_.next());
    }
    valid_ = true;
    return Status::ok();
}

}  // namespace kb::store
