// Cursor: ordered range walks over a tree (see cursor.h).
#include "store/cursor.h"

#include <utility>

#include "store/btree.h"
#include "store/page_file.h"

namespace kb::store {

namespace {

// How many entries ahead of the current one next() starts fetching (Node::prefetch_entry):
// far enough that a caller's work on a row or two covers a memory miss.
constexpr usize kPrefetchDistance = 4;

}  // namespace

Result<Cursor> Cursor::open(const PageFile& file, TenantId tenant, RootRef root, ByteSpan lower,
                            ByteSpan upper, Direction direction,
                            std::shared_ptr<const void> keep_alive, const u64* writer_changes,
                            std::shared_ptr<const Node> root_node) {
    Cursor cursor;
    cursor.file_ = &file;
    cursor.tenant_ = tenant;
    cursor.keep_alive_ = std::move(keep_alive);
    cursor.writer_changes_ = writer_changes;
    cursor.writer_changes_seen_ = writer_changes ? *writer_changes : 0;
    cursor.lower_.assign(lower.begin(), lower.end());
    cursor.upper_.assign(upper.begin(), upper.end());
    cursor.direction_ = direction;
    if (root.empty() || (!upper.empty() && compare_keys(lower, upper) >= 0)) return cursor;
    if (root_node == nullptr) root_node = KB_TRY(load_root(file, tenant, root));
    cursor.path_.reserve(static_cast<usize>(root.level) + 1);  // root .. leaf: one allocation
    if (direction == Direction::forward) {
        KB_TRY(cursor.seek_forward(std::move(root_node)));
    } else {
        KB_TRY(cursor.seek_backward(std::move(root_node)));
    }
    return cursor;
}

Status Cursor::descend_edge(bool leftmost) {
    while (!path_.back().node->is_leaf()) {
        const Frame& top = path_.back();
        auto child = KB_TRY(load_child(*file_, tenant_, *top.node, top.index));
        const u16 count = child->count();
        const u16 index = leftmost || count == 0 ? 0 : static_cast<u16>(count - 1);
        path_.push_back({std::move(child), index});
    }
    return Status::ok();
}

Result<bool> Cursor::step_forward() {
    if (path_.empty()) return false;
    Frame& leaf = path_.back();
    if (leaf.index + 1 < leaf.node->count()) {
        ++leaf.index;
        return true;
    }
    // Up to the nearest ancestor with a next child, then down its left edge. A leaf is never
    // empty except as the root of a tree that has one, so this loop ends at a key or the end.
    path_.pop_back();
    while (!path_.empty()) {
        Frame& top = path_.back();
        if (top.index + 1 < top.node->count()) {
            ++top.index;
            KB_TRY(descend_edge(true));
            if (path_.back().node->count() > 0) return true;
            path_.pop_back();
            continue;
        }
        path_.pop_back();
    }
    return false;
}

Result<bool> Cursor::step_backward() {
    if (path_.empty()) return false;
    Frame& leaf = path_.back();
    if (leaf.index > 0 && leaf.index <= leaf.node->count()) {
        --leaf.index;
        return true;
    }
    path_.pop_back();
    while (!path_.empty()) {
        Frame& top = path_.back();
        if (top.index > 0) {
            --top.index;
            KB_TRY(descend_edge(false));
            if (path_.back().node->count() > 0) return true;
            path_.pop_back();
            continue;
        }
        path_.pop_back();
    }
    return false;
}

Status Cursor::seek_forward(std::shared_ptr<const Node> node) {
    while (!node->is_leaf()) {
        const u16 index = node->child_index(lower_);
        auto child = KB_TRY(load_child(*file_, tenant_, *node, index));
        path_.push_back({std::move(node), index});
        node = std::move(child);
    }
    bool found = false;
    const u16 index = node->lower_bound(lower_, &found);
    const u16 count = node->count();
    path_.push_back({std::move(node), index});
    bool positioned = true;
    if (index >= count) {
        // Every key of this leaf is below `lower`: the first key of the next leaf.
        path_.back().index = count == 0 ? 0 : static_cast<u16>(count - 1);
        positioned = KB_TRY(step_forward());
    }
    valid_ = positioned;
    check_bounds();
    note_leaf();
    fetch_on_next_ = true;  // a point read never steps: fetch ahead only once it does
    return Status::ok();
}

Status Cursor::seek_backward(std::shared_ptr<const Node> node) {
    const bool unbounded = upper_.empty();
    while (!node->is_leaf()) {
        const u16 index =
            unbounded ? static_cast<u16>(node->count() - 1) : node->child_index(upper_);
        auto child = KB_TRY(load_child(*file_, tenant_, *node, index));
        path_.push_back({std::move(node), index});
        node = std::move(child);
    }
    const u16 count = node->count();
    u16 index = count;
    if (!unbounded) {
        bool found = false;
        index = node->lower_bound(upper_, &found);
    }
    path_.push_back({std::move(node), index});
    // `index` is the first key >= upper: the cursor starts at the one before it.
    const bool positioned = KB_TRY(step_backward());
    valid_ = positioned;
    check_bounds();
    note_leaf();
    fetch_on_next_ = true;
    return Status::ok();
}

void Cursor::check_bounds() {
    if (!valid_) return;
    const ByteSpan current = key();
    if (direction_ == Direction::forward) {
        valid_ = upper_.empty() || compare_keys(current, upper_) < 0;
    } else {
        valid_ = compare_keys(current, lower_) >= 0;
    }
}

void Cursor::note_leaf() {
    leaf_in_bounds_ = false;
    if (!valid_) return;
    // Child i of an inner node holds keys k with key(i) <= k < key(i + 1), so the nearest
    // ancestor's separator on the cursor's side bounds every key of the leaf. It is in a node
    // the cursor just read (the leaf's own edge key may be a cache miss away).
    const bool forward = direction_ == Direction::forward;
    for (usize level = path_.size() - 1; level-- > 0;) {
        const Frame& frame = path_[level];
        if (forward && frame.index + 1 < frame.node->count()) {
            // Every key of the leaf is below the separator.
            leaf_in_bounds_ =
                upper_.empty() ||
                compare_keys(frame.node->key(static_cast<u16>(frame.index + 1)), upper_) <= 0;
            return;
        }
        if (!forward && frame.index > 0) {
            // Every key of the leaf is at least the separator.
            leaf_in_bounds_ = compare_keys(frame.node->key(frame.index), lower_) >= 0;
            return;
        }
    }
    // The tree's last (forwards) or first (backwards) leaf: its own edge key decides.
    const Node& leaf = *path_.back().node;
    if (forward) {
        leaf_in_bounds_ = upper_.empty() ||
                          compare_keys(leaf.key(static_cast<u16>(leaf.count() - 1)), upper_) < 0;
    } else {
        leaf_in_bounds_ = compare_keys(leaf.key(0), lower_) >= 0;
    }
}

void Cursor::check_writer() const {
    KB_ASSERT_MSG(writer_changes_ == nullptr || *writer_changes_ == writer_changes_seen_,
                  "a cursor over the writer's view was used after the writer changed the store");
}

ByteSpan Cursor::key() const {
    KB_ASSERT(valid_);
    check_writer();
    const Frame& leaf = path_.back();
    return leaf.node->key(leaf.index);
}

u64 Cursor::value_size() const {
    KB_ASSERT(valid_);
    check_writer();
    const Frame& leaf = path_.back();
    return leaf.node->value(leaf.index).length;
}

Result<ByteSpan> Cursor::value() {
    KB_ASSERT(valid_);
    check_writer();
    const Frame& leaf = path_.back();
    const LeafValue value = leaf.node->value(leaf.index);
    if (!value.overflow) return value.bytes;
    if (!value_loaded_) {
        value_buffer_.clear();
        KB_TRY(file_->read_value(value.run, value.length, tenant_, value_buffer_));
        value_loaded_ = true;
    }
    return ByteSpan(value_buffer_);
}

bool Cursor::inline_entry(ByteSpan& key, ByteSpan& value) const {
    KB_ASSERT(valid_);
    check_writer();
    const Frame& leaf = path_.back();
    const LeafValue stored = leaf.node->value(leaf.index);
    if (stored.overflow) return false;
    key = leaf.node->key(leaf.index);
    value = stored.bytes;
    return true;
}

Status Cursor::next() {
    KB_ASSERT(valid_);
    check_writer();
    value_loaded_ = false;
    // The common case first: the next key is in the same leaf (and, when note_leaf() found the
    // rest of the leaf in bounds, needs no comparison).
    Frame& leaf = path_.back();
    if (direction_ == Direction::forward) {
        if (leaf.index + 1 < leaf.node->count()) {
            ++leaf.index;
            if (!leaf_in_bounds_) check_bounds();
            if (valid_) fetch_ahead(std::exchange(fetch_on_next_, false));
            return Status::ok();
        }
    } else if (leaf.index > 0 && leaf.index <= leaf.node->count()) {
        --leaf.index;
        if (!leaf_in_bounds_) check_bounds();
        if (valid_) fetch_ahead(std::exchange(fetch_on_next_, false));
        return Status::ok();
    }
    auto moved = direction_ == Direction::forward ? step_forward() : step_backward();
    if (!moved) {
        valid_ = false;  // the path is half-walked: the cursor is done
        return moved.error();
    }
    valid_ = *moved;
    check_bounds();
    note_leaf();
    fetch_on_next_ = false;
    prefetch_following();
    return Status::ok();
}

void Cursor::prefetch_following() const {
    if (valid_) fetch_ahead(true);
}

void Cursor::fetch_ahead(bool landed) const {
    const Frame& leaf = path_.back();
    const Node& node = *leaf.node;
    const bool forward = direction_ == Direction::forward;
    // Entries of this leaf after the current one, in the cursor's direction.
    const usize remaining = forward ? node.count() - 1u - leaf.index : leaf.index;
    // Once landed, each step fetches only the entry kPrefetchDistance ahead: the nearer ones
    // were asked for by the steps before.
    for (usize ahead = landed ? 1 : kPrefetchDistance; ahead <= kPrefetchDistance; ++ahead) {
        if (ahead > remaining) break;
        node.prefetch_entry(static_cast<u16>(forward ? leaf.index + ahead : leaf.index - ahead));
    }
}

}  // namespace kb::store
