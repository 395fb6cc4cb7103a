// The tree of trees: a system tree (tenant 0) mapping every TreeId to its root, so a whole
// store version is one RootRef (the superblock's `trees`) and publishing costs O(1) however many
// trees there are.
//
//     key:   tenant u64 big-endian, number u64 big-endian (so a tenant's trees are adjacent)
//     value: root page u64, root generation u64, root level u8 (little-endian)
#pragma once

#include <array>
#include <optional>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "store/page_file.h"
#include "store/types.h"

namespace kb::store {

inline constexpr usize kTreeKeySize = 16;
inline constexpr usize kTreeValueSize = 17;

std::array<u8, kTreeKeySize> encode_tree_key(TreeId tree);
TreeId decode_tree_key(ByteSpan key);  // asserts the size: keys come from checked nodes
std::array<u8, kTreeValueSize> encode_tree_root(RootRef root);
// Untrusted (a page's bytes): corruption when malformed.
Result<RootRef> decode_tree_root(ByteSpan value);

// The root of `tree` in the tree table `trees`, or nullopt if there is no such tree. Reads
// without allocating (this is on every lookup's path).
Result<std::optional<RootRef>> find_tree_root(const PageFile& file, RootRef trees, TreeId tree);

}  // namespace kb::store
