// The tree of trees: TreeId -> RootRef (see tree_table.h).
#include "store/tree_table.h"

#include "base/endian.h"
#include "store/btree.h"

namespace kb::store {
namespace {

void store_be_u64(u8* out, u64 value) {
    for (int i = 7; i >= 0; --i) {
        out[i] = static_cast<u8>(value);
        value >>= 8;
    }
}

u64 load_be_u64(const u8* in) {
    u64 value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
    return value;
}

}  // namespace

std::array<u8, kTreeKeySize> encode_tree_key(TreeId tree) {
    std::array<u8, kTreeKeySize> key;
    store_be_u64(key.data(), tree.tenant.value());
    store_be_u64(key.data() + 8, tree.number);
    return key;
}

TreeId decode_tree_key(ByteSpan key) {
    KB_ASSERT(key.size() == kTreeKeySize);
    return TreeId{TenantId(load_be_u64(key.data())), load_be_u64(key.data() + 8)};
}

std::array<u8, kTreeValueSize> encode_tree_root(RootRef root) {
    std::array<u8, kTreeValueSize> value;
    store_le_u64(value.data(), root.page.address);
    store_le_u64(value.data() + 8, root.page.generation);
    value[16] = root.level;
    return value;
}

Result<RootRef> decode_tree_root(ByteSpan value) {
    if (value.size() != kTreeValueSize) {
        return Status::corruption("tree table entry of " + std::to_string(value.size()) + " bytes");
    }
    RootRef root{{load_le_u64(value.data()), load_le_u64(value.data() + 8)}, value[16]};
    if (root.empty() && root.level != 0) {
        return Status::corruption("tree table entry for an empty tree has a level");
    }
    return root;
}

Result<std::optional<RootRef>> find_tree_root(const PageFile& file, RootRef trees, TreeId tree) {
    if (trees.empty()) return std::optional<RootRef>();
    const auto key = encode_tree_key(tree);
    auto node = KB_TRY(load_root(file, kSystemTenant, trees));
    while (!node->is_leaf()) {
        node = KB_TRY(load_child(file, kSystemTenant, *node, node->child_index(key)));
    }
    bool found = false;
    const u16 index = node->lower_bound(key, &found);
    if (!found) return std::optional<RootRef>();
    const LeafValue value = node->value(index);
    if (value.overflow) return Status::corruption("tree table entry in an overflow run");
    auto root = decode_tree_root(value.bytes);
    if (!root) return root.error().with_context(describe_page(node->address()));
    return std::optional<RootRef>(*root);
}

}  // namespace kb::store
