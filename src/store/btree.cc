// B+tree lookups and copy-on-write edits (see btree.h).
#include "store/btree.h"

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "base/endian.h"
#include "store/cursor.h"

namespace kb::store {
namespace {

using EntryBuffer = std::array<u8, Node::kEntryFootprintMax>;

// An inner node on the way down, and the child taken from it.
struct Step {
    std::shared_ptr<const Node> node;
    u16 index = 0;
};

// What a split hands to the parent: a new right sibling and the key that separates it.
struct Split {
    bool happened = false;
    Bytes separator;
    std::shared_ptr<Node> right;
};

Status level_mismatch(u64 address, u8 found, u8 expected) {
    return Status::corruption(describe_page(address) + ": a node of level " +
                              std::to_string(found) + " where level " + std::to_string(expected) +
                              " was expected");
}

// The shortest prefix of `right` that is greater than `left` (left < right).
Bytes shortest_separator(ByteSpan left, ByteSpan right) {
    usize common = 0;
    while (common < left.size() && common < right.size() && left[common] == right[common]) {
        ++common;
    }
    KB_ASSERT(common < right.size());
    return Bytes(right.begin(), right.begin() + static_cast<std::ptrdiff_t>(common + 1));
}

usize footprint(ByteSpan entry) { return entry.size() + Node::kSlotSize; }

// Splits `node` (writable), into which `entry` did not fit at `index`. `append` keeps every old
// entry on the left and moves only the new one right (appending past the tree's last key).
Split split_node(PageWriter& writer, const std::shared_ptr<Node>& node, u16 index, ByteSpan entry,
                 bool append) {
    std::vector<ByteSpan> entries;
    entries.reserve(node->count() + 1u);
    for (u16 i = 0; i < node->count(); ++i) {
        if (i == index) entries.push_back(entry);
        entries.push_back(node->raw_entry(i));
    }
    if (index == node->count()) entries.push_back(entry);

    usize cut;
    if (append) {
        cut = entries.size() - 1;
    } else {
        usize total = 0;
        for (ByteSpan e : entries) total += footprint(e);
        usize prefix = 0;
        cut = 0;
        while (cut < entries.size() && 2 * prefix < total) prefix += footprint(entries[cut++]);
        if (cut == entries.size()) --cut;
        if (cut == 0) cut = 1;
    }
    const PageKind kind = node->kind();
    Split split;
    split.happened = true;
    split.right = writer.new_node(node->tenant(), kind, node->level());
    EntryBuffer first;
    if (kind == PageKind::leaf) {
        split.separator = shortest_separator(Node::entry_key(kind, entries[cut - 1]),
                                             Node::entry_key(kind, entries[cut]));
        split.right->assign(std::span(entries).subspan(cut));
    } else {
        // The first key of the right half moves up; the right node's first entry has none.
        ByteSpan promoted = Node::entry_key(kind, entries[cut]);
        split.separator.assign(promoted.begin(), promoted.end());
        const PageRef child{load_le_u64(entries[cut].data() + 2),
                            load_le_u64(entries[cut].data() + 10)};
        const usize size = Node::encode_inner_entry({}, child, first);
        entries[cut] = ByteSpan(first.data(), size);
        split.right->assign(std::span(entries).subspan(cut));
    }
    node->assign(std::span(entries).first(cut));
    return split;
}

// Removes child `index` from a writable inner node, keeping entry 0 keyless.
void remove_child(Node& parent, u16 index) {
    parent.remove(index);
    if (index == 0 && parent.count() > 0) {
        const PageRef child = parent.child(0);
        parent.remove(0);
        EntryBuffer buffer;
        const usize size = Node::encode_inner_entry({}, child, buffer);
        KB_ASSERT(parent.insert_raw(0, ByteSpan(buffer.data(), size)));
    }
}

// Merges writable `child` (at `index` of writable `parent`) with a neighbour if the two fit in
// one page.
Status try_merge(PageWriter& writer, TenantId tenant, Node& parent, u16 index,
                 const std::shared_ptr<Node>& child) {
    if (parent.count() < 2) return Status::ok();
    const u16 sibling_index =
        index + 1 < parent.count() ? static_cast<u16>(index + 1) : static_cast<u16>(index - 1);
    auto sibling = KB_TRY(load_child(writer.file(), tenant, parent, sibling_index));
    const u16 left_index = std::min(index, sibling_index);
    const u16 right_index = std::max(index, sibling_index);
    const bool child_is_left = left_index == index;
    const Node& left = child_is_left ? *child : *sibling;
    const Node& right = child_is_left ? *sibling : *child;
    const Bytes separator(parent.key(right_index).begin(), parent.key(right_index).end());
    const bool inner = !child->is_leaf();
    if (left.used_bytes() + right.used_bytes() + (inner ? separator.size() : 0) > Node::kCapacity) {
        return Status::ok();
    }
    std::shared_ptr<Node> merged = child_is_left ? child : writer.writable(sibling);
    std::vector<ByteSpan> entries;
    entries.reserve(merged->count() + right.count());
    for (u16 i = 0; i < merged->count(); ++i) entries.push_back(merged->raw_entry(i));
    EntryBuffer first;
    for (u16 i = 0; i < right.count(); ++i) {
        if (inner && i == 0) {
            // The separator comes down as the key of the right node's first child.
            const usize size = Node::encode_inner_entry(separator, right.child(0), first);
            entries.push_back(ByteSpan(first.data(), size));
        } else {
            entries.push_back(right.raw_entry(i));
        }
    }
    merged->assign(entries);
    writer.retire(right);
    parent.set_child(left_index, merged->ref());
    remove_child(parent, right_index);
    return Status::ok();
}

Status retire_all(PageWriter& writer, TenantId tenant, const std::shared_ptr<const Node>& node) {
    if (node->is_leaf()) {
        for (u16 i = 0; i < node->count(); ++i) {
            const LeafValue value = node->value(i);
            if (value.overflow) writer.retire_run(value.run, value.length);
        }
    } else {
        for (u16 i = 0; i < node->count(); ++i) {
            auto child = KB_TRY(load_child(writer.file(), tenant, *node, i));
            KB_TRY(retire_all(writer, tenant, child));
        }
    }
    writer.retire(*node);
    return Status::ok();
}

Status visit(const PageFile& file, TenantId tenant, const std::shared_ptr<const Node>& node,
             ByteSpan low, ByteSpan high, bool has_high,
             const std::function<Status(const Node&)>& visit_node,
             const std::function<Status(PageRef, u64)>& visit_run) {
    KB_TRY(visit_node(*node));
    for (u16 i = 0; i < node->count(); ++i) {
        if (node->is_leaf() || i > 0) {
            ByteSpan key = node->key(i);
            if (compare_keys(key, low) < 0 || (has_high && compare_keys(key, high) >= 0)) {
                return Status::corruption(describe_page(node->address()) + ": key " +
                                          std::to_string(i) + " is outside its parent's range");
            }
        }
    }
    if (node->is_leaf()) {
        for (u16 i = 0; i < node->count(); ++i) {
            const LeafValue value = node->value(i);
            if (value.overflow) KB_TRY(visit_run(value.run, run_pages_for(value.length)));
        }
        return Status::ok();
    }
    for (u16 i = 0; i < node->count(); ++i) {
        auto child = KB_TRY(load_child(file, tenant, *node, i));
        ByteSpan child_low = i == 0 ? low : node->key(i);
        const bool last = i + 1 == node->count();
        ByteSpan child_high = last ? high : node->key(static_cast<u16>(i + 1));
        KB_TRY(visit(file, tenant, child, child_low, child_high, last ? has_high : true, visit_node,
                     visit_run));
    }
    return Status::ok();
}

}  // namespace

Result<std::shared_ptr<const Node>> load_root(const PageFile& file, TenantId tenant, RootRef root) {
    KB_ASSERT(!root.empty());
    auto node = KB_TRY(file.node(root.page, tenant));
    if (node->level() != root.level)
        return level_mismatch(root.page.address, node->level(), root.level);
    return node;
}

Result<std::shared_ptr<const Node>> load_child(const PageFile& file, TenantId tenant,
                                               const Node& parent, u16 index) {
    const PageRef ref = parent.child(index);
    auto node = KB_TRY(file.node(ref, tenant));
    const u8 expected = static_cast<u8>(parent.level() - 1);
    if (node->level() != expected) return level_mismatch(ref.address, node->level(), expected);
    return node;
}

Result<std::optional<Bytes>> tree_get(const PageFile& file, TenantId tenant, RootRef root,
                                      ByteSpan key) {
    if (root.empty()) return std::optional<Bytes>();
    auto node = KB_TRY(load_root(file, tenant, root));
    while (!node->is_leaf()) node = KB_TRY(load_child(file, tenant, *node, node->child_index(key)));
    bool found = false;
    const u16 index = node->lower_bound(key, &found);
    if (!found) return std::optional<Bytes>();
    const LeafValue value = node->value(index);
    if (!value.overflow) return std::optional<Bytes>(Bytes(value.bytes.begin(), value.bytes.end()));
    Bytes out;
    KB_TRY(file.read_value(value.run, value.length, tenant, out));
    return std::optional<Bytes>(std::move(out));
}

Result<bool> tree_seek(const PageFile& file, TenantId tenant, RootRef root, ByteSpan lower,
                       Bytes& key, Bytes& value) {
    if (root.empty()) return false;
    auto node = KB_TRY(load_root(file, tenant, root));
    while (!node->is_leaf()) {
        node = KB_TRY(load_child(file, tenant, *node, node->child_index(lower)));
    }
    bool found = false;
    const u16 index = node->lower_bound(lower, &found);
    if (index == node->count()) {
        // Past this leaf's last key: the answer is the first key of a later leaf.
        auto cursor = KB_TRY(
            Cursor::open(file, tenant, root, lower, {}, Direction::forward, nullptr, nullptr));
        if (!cursor.valid()) return false;
        key.assign(cursor.key().begin(), cursor.key().end());
        ByteSpan stored = KB_TRY(cursor.value());
        value.assign(stored.begin(), stored.end());
        return true;
    }
    ByteSpan found_key = node->key(index);
    key.assign(found_key.begin(), found_key.end());
    const LeafValue stored = node->value(index);
    value.clear();
    if (stored.overflow) {
        KB_TRY(file.read_value(stored.run, stored.length, tenant, value));
    } else {
        value.assign(stored.bytes.begin(), stored.bytes.end());
    }
    return true;
}

Result<RootRef> tree_put(PageWriter& writer, TenantId tenant, RootRef root, ByteSpan key,
                         ByteSpan value, bool* inserted) {
    KB_ASSERT(key.size() <= kStoreKeyBytesMax && value.size() <= kStoreValueBytesMax);
    // Read the path first: nothing changes until every page on it is in hand.
    std::vector<Step> path;
    std::shared_ptr<const Node> leaf_read;
    bool rightmost = true;
    if (!root.empty()) {
        path.reserve(root.level);  // one step per level above the leaves
        auto node = KB_TRY(load_root(writer.file(), tenant, root));
        while (!node->is_leaf()) {
            const u16 index = node->child_index(key);
            rightmost = rightmost && index + 1 == node->count();
            path.push_back({node, index});
            node = KB_TRY(load_child(writer.file(), tenant, *node, index));
        }
        leaf_read = std::move(node);
    }

    std::shared_ptr<Node> leaf =
        leaf_read ? writer.writable(leaf_read) : writer.new_node(tenant, PageKind::leaf, 0);
    bool found = false;
    const u16 index = leaf->lower_bound(key, &found);
    *inserted = !found;
    if (found) {
        const LeafValue old = leaf->value(index);
        if (old.overflow) writer.retire_run(old.run, old.length);
        leaf->remove(index);
    }
    LeafValue stored;
    stored.length = static_cast<u32>(value.size());
    if (Node::needs_overflow(key.size(), value.size())) {
        stored.overflow = true;
        stored.run = writer.new_run(tenant, value);
    } else {
        stored.bytes = value;
    }
    EntryBuffer buffer;
    ByteSpan entry(buffer.data(), Node::encode_leaf_entry(key, stored, buffer));
    Split split;
    if (!leaf->insert_raw(index, entry)) {
        split = split_node(writer, leaf, index, entry, rightmost && index == leaf->count());
    }

    // Up the path: record moved children and separators of splits.
    std::shared_ptr<Node> child = leaf;
    bool moved = leaf.get() != leaf_read.get();
    for (usize level = path.size(); level-- > 0;) {
        if (!moved && !split.happened) return root;
        const Step& step = path[level];
        std::shared_ptr<Node> parent = writer.writable(step.node);
        const bool parent_moved = parent.get() != step.node.get();
        if (moved) parent->set_child(step.index, child->ref());
        Split above;
        if (split.happened) {
            EntryBuffer separator_entry;
            ByteSpan added(
                separator_entry.data(),
                Node::encode_inner_entry(split.separator, split.right->ref(), separator_entry));
            const u16 at = static_cast<u16>(step.index + 1);
            if (!parent->insert_raw(at, added)) {
                bool parent_rightmost = true;
                for (usize above_level = 0; above_level < level; ++above_level) {
                    parent_rightmost = parent_rightmost && path[above_level].index + 1 ==
                                                               path[above_level].node->count();
                }
                above = split_node(writer, parent, at, added,
                                   parent_rightmost && at == parent->count());
            }
        }
        child = parent;
        moved = parent_moved;
        split = std::move(above);
    }
    if (!split.happened) return RootRef{child->ref(), child->level()};
    auto new_root = writer.new_node(tenant, PageKind::inner, static_cast<u8>(child->level() + 1));
    EntryBuffer buffer_left;
    EntryBuffer buffer_right;
    KB_ASSERT(new_root->insert_raw(
        0, ByteSpan(buffer_left.data(), Node::encode_inner_entry({}, child->ref(), buffer_left))));
    KB_ASSERT(new_root->insert_raw(
        1, ByteSpan(buffer_right.data(),
                    Node::encode_inner_entry(split.separator, split.right->ref(), buffer_right))));
    return RootRef{new_root->ref(), new_root->level()};
}

Result<RootRef> tree_put_run(PageWriter& writer, TenantId tenant, RootRef root,
                             std::span<const KeyValue> entries, usize* consumed) {
    *consumed = 0;
    if (root.empty() || entries.empty()) return root;
    const ByteSpan first = entries.front().key;
    std::vector<Step> path;
    path.reserve(root.level);
    // The leaf's range ends below the nearest separator right of the path: the deepest one
    // there is (a deeper separator lies inside the ranges above it).
    std::optional<ByteSpan> upper;
    auto node = KB_TRY(load_root(writer.file(), tenant, root));
    while (!node->is_leaf()) {
        const u16 index = node->child_index(first);
        if (index + 1 < node->count()) upper = node->key(static_cast<u16>(index + 1));
        path.push_back({node, index});
        node = KB_TRY(load_child(writer.file(), tenant, *node, index));
    }
    const std::shared_ptr<const Node> leaf_read = std::move(node);

    // Each entry encoded as it would be stored; the run stops at the first that cannot join
    // it. Checked on the read leaf first, so a run of none copies nothing.
    const auto encode = [](const KeyValue& entry, EntryBuffer& buffer) -> std::optional<ByteSpan> {
        if (Node::needs_overflow(entry.key.size(), entry.value.size())) return std::nullopt;
        LeafValue stored;
        stored.length = static_cast<u32>(entry.value.size());
        stored.bytes = entry.value;
        return ByteSpan(buffer.data(), Node::encode_leaf_entry(entry.key, stored, buffer));
    };
    EntryBuffer buffer;
    {
        bool found = false;
        (void)leaf_read->lower_bound(first, &found);
        const auto entry = encode(entries.front(), buffer);
        if (found || !entry ||
            leaf_read->used_bytes() + entry->size() + Node::kSlotSize > Node::kCapacity) {
            return root;
        }
    }
    std::shared_ptr<Node> leaf = writer.writable(leaf_read);
    ByteSpan previous;
    for (const KeyValue& entry : entries) {
        if (*consumed > 0 && compare_keys(previous, entry.key) >= 0) break;  // not ascending
        if (upper && compare_keys(entry.key, *upper) >= 0) break;
        bool found = false;
        const u16 index = leaf->lower_bound(entry.key, &found);
        if (found) break;
        const auto encoded = encode(entry, buffer);
        if (!encoded || !leaf->insert_raw(index, *encoded)) break;
        previous = entry.key;
        ++*consumed;
    }
    KB_ASSERT(*consumed > 0);

    // Up the path: only moved children to record (no splits).
    std::shared_ptr<Node> child = leaf;
    bool moved = leaf.get() != leaf_read.get();
    for (usize level = path.size(); level-- > 0;) {
        if (!moved) return root;
        const Step& step = path[level];
        std::shared_ptr<Node> parent = writer.writable(step.node);
        moved = parent.get() != step.node.get();
        parent->set_child(step.index, child->ref());
        child = parent;
    }
    return RootRef{child->ref(), child->level()};
}

Result<RootRef> tree_erase(PageWriter& writer, TenantId tenant, RootRef root, ByteSpan key,
                           bool* erased) {
    *erased = false;
    if (root.empty()) return root;
    std::vector<Step> path;
    auto node = KB_TRY(load_root(writer.file(), tenant, root));
    while (!node->is_leaf()) {
        const u16 index = node->child_index(key);
        path.push_back({node, index});
        node = KB_TRY(load_child(writer.file(), tenant, *node, index));
    }
    bool found = false;
    const u16 index = node->lower_bound(key, &found);
    if (!found) return root;

    std::shared_ptr<Node> leaf = writer.writable(node);
    const LeafValue old = leaf->value(index);
    if (old.overflow) writer.retire_run(old.run, old.length);
    leaf->remove(index);
    *erased = true;

    std::shared_ptr<Node> child = leaf;
    bool moved = leaf.get() != node.get();
    for (usize level = path.size(); level-- > 0;) {
        const bool underfull = child->used_bytes() < Node::kCapacity / 4;
        if (!moved && !underfull) return root;
        const Step& step = path[level];
        std::shared_ptr<Node> parent = writer.writable(step.node);
        const bool parent_moved = parent.get() != step.node.get();
        if (moved) parent->set_child(step.index, child->ref());
        if (child->count() == 0) {
            writer.retire(*child);
            remove_child(*parent, step.index);
        } else if (underfull) {
            KB_TRY(try_merge(writer, tenant, *parent, step.index, child));
        }
        child = parent;
        moved = parent_moved;
    }
    // A root with one child is replaced by the child; an empty root empties the tree.
    std::shared_ptr<const Node> top = child;
    while (!top->is_leaf() && top->count() == 1) {
        auto only = KB_TRY(load_child(writer.file(), tenant, *top, 0));
        writer.retire(*top);
        top = std::move(only);
    }
    if (top->count() == 0) {
        writer.retire(*top);
        return RootRef{};
    }
    return RootRef{top->ref(), top->level()};
}

Status tree_retire_all(PageWriter& writer, TenantId tenant, RootRef root) {
    if (root.empty()) return Status::ok();
    auto node = KB_TRY(load_root(writer.file(), tenant, root));
    return retire_all(writer, tenant, node);
}

Status tree_visit_pages(const PageFile& file, TenantId tenant, RootRef root,
                        const std::function<Status(const Node& node)>& visit_node,
                        const std::function<Status(PageRef run, u64 pages)>& visit_run) {
    if (root.empty()) return Status::ok();
    auto node = KB_TRY(load_root(file, tenant, root));
    return visit(file, tenant, node, {}, {}, false, visit_node, visit_run);
}

}  // namespace kb::store
