// Snapshot reads and the registry of live snapshot versions (see snapshot.h).
#include "store/snapshot.h"

#include "store/btree.h"
#include "store/page_file.h"
#include "store/tree_table.h"

namespace kb::store {

PublishedState::PublishedState(u64 version_number, Position applied_position, Bytes meta_bytes,
                               RootRef tree_table, std::shared_ptr<SnapshotRegistry> live)
    : version(version_number),
      applied(applied_position),
      meta(std::move(meta_bytes)),
      trees(tree_table),
      registry(std::move(live)) {
    if (registry) registry->add(version);
}

PublishedState::~PublishedState() {
    if (registry) registry->remove(version);
}

void SnapshotRegistry::add(u64 version) {
    std::lock_guard lock(mutex_);
    ++counts_[version];
}

void SnapshotRegistry::remove(u64 version) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(version);
    KB_ASSERT(it != counts_.end() && it->second > 0);
    if (--it->second == 0) counts_.erase(it);
}

std::optional<u64> SnapshotRegistry::oldest() const {
    std::lock_guard lock(mutex_);
    if (counts_.empty()) return std::nullopt;
    return counts_.begin()->first;
}

usize SnapshotRegistry::live() const {
    std::lock_guard lock(mutex_);
    return counts_.size();
}

void Snapshot::check_writer() const {
    KB_ASSERT_MSG(state_ != nullptr, "reading through an empty Snapshot");
    KB_ASSERT_MSG(writer_changes_ == nullptr || *writer_changes_ == writer_changes_seen_,
                  "the writer's working view was used after the writer changed the store");
}

Result<bool> Snapshot::has_tree(TreeId tree) const {
    check_writer();
    auto root = KB_TRY(find_tree_root(*file_, state_->trees, tree));
    return root.has_value();
}

Result<std::vector<TreeId>> Snapshot::trees(TenantId tenant) const {
    check_writer();
    std::vector<TreeId> out;
    const auto lower = encode_tree_key(TreeId{tenant, 0});
    auto cursor = KB_TRY(Cursor::open(*file_, kSystemTenant, state_->trees, lower, {},
                                      Direction::forward, nullptr, nullptr));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const TreeId tree = decode_tree_key(cursor.key());
        if (tree.tenant != tenant) break;
        out.push_back(tree);
    }
    return out;
}

Result<TreeView> Snapshot::tree(TreeId tree) const {
    auto view = KB_TRY(find_tree(tree));
    if (!view) return Status::not_found(to_string(tree) + " does not exist");
    return std::move(*view);
}

Result<std::optional<TreeView>> Snapshot::find_tree(TreeId tree) const {
    check_writer();
    auto root = KB_TRY(find_tree_root(*file_, state_->trees, tree));
    if (!root) return std::optional<TreeView>();
    std::optional<TreeView> found(std::in_place);
    TreeView& view = *found;
    view.root_ = *root;
    if (!view.root_.empty()) view.root_node_ = KB_TRY(load_root(*file_, tree.tenant, view.root_));
    view.state_ = state_;
    view.file_ = file_;
    view.tree_ = tree;
    view.writer_changes_ = writer_changes_;
    view.writer_changes_seen_ = writer_changes_seen_;
    return found;
}

Result<std::optional<Bytes>> Snapshot::get(TreeId tree, ByteSpan key) const {
    return KB_TRY(this->tree(tree)).get(key);
}

Result<bool> Snapshot::read(TreeId tree, ByteSpan key, Bytes& value) const {
    return KB_TRY(this->tree(tree)).read(key, value);
}

Result<bool> Snapshot::seek(TreeId tree, ByteSpan lower, Bytes& key, Bytes& value) const {
    return KB_TRY(this->tree(tree)).seek(lower, key, value);
}

Result<Cursor> Snapshot::scan(TreeId tree, ByteSpan lower, ByteSpan upper,
                              Direction direction) const {
    return KB_TRY(this->tree(tree)).scan(lower, upper, direction);
}

void TreeView::check_writer() const {
    KB_ASSERT_MSG(file_ != nullptr, "reading through an empty TreeView");
    KB_ASSERT_MSG(writer_changes_ == nullptr || *writer_changes_ == writer_changes_seen_,
                  "the writer's working view was used after the writer changed the store");
}

Result<std::optional<Bytes>> TreeView::get(ByteSpan key) const {
    Bytes value;
    if (!KB_TRY(read(key, value))) return std::optional<Bytes>();
    return std::optional<Bytes>(std::move(value));
}

Result<bool> TreeView::read(ByteSpan key, Bytes& value) const {
    check_writer();
    if (root_.empty()) return false;
    std::shared_ptr<const Node> node = root_node_;
    while (!node->is_leaf()) {
        node = KB_TRY(load_child(*file_, tree_.tenant, *node, node->child_index(key)));
    }
    bool found = false;
    const u16 index = node->lower_bound(key, &found);
    if (!found) return false;
    const LeafValue stored = node->value(index);
    value.clear();
    if (stored.overflow) {
        KB_TRY(file_->read_value(stored.run, stored.length, tree_.tenant, value));
    } else {
        value.assign(stored.bytes.begin(), stored.bytes.end());
    }
    return true;
}

Result<bool> TreeView::seek(ByteSpan lower, Bytes& key, Bytes& value) const {
    check_writer();
    return tree_seek(*file_, tree_.tenant, root_, lower, key, value);
}

Result<Cursor> TreeView::scan(ByteSpan lower, ByteSpan upper, Direction direction) const {
    check_writer();
    return Cursor::open(*file_, tree_.tenant, root_, lower, upper, direction, state_,
                        writer_changes_, root_node_);
}

}  // namespace kb::store
