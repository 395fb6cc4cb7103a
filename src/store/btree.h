// B+tree algorithms over the store's pages: lookups on any thread, edits by the writer.
//
// A tree is a RootRef; every function takes the tree's tenant, which every page of it must
// carry. Lookups read through PageFile (cache, else disk, checked). Edits copy every page they
// change that was published (PageWriter::writable: path copying), so the old root still sees the
// old tree, and return the new root; the caller records it. An edit that fails part-way (a
// page that cannot be read) may leave the working version half-changed, so the store stops
// accepting writes after one (store.h).
//
// Shape: leaves split when an entry does not fit — in half by bytes, or, when appending past
// the rightmost key of the whole tree, by leaving the old leaf full and starting a new one
// (sequential inserts then fill pages completely). Separators are the shortest prefix of the
// right leaf's first key that is above the left leaf's last key. A node less than a quarter
// full after an erase merges with a neighbour when both fit in one page; empty nodes are
// removed and a root with a single child is replaced by that child.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "store/node.h"
#include "store/page_file.h"
#include "store/page_writer.h"
#include "store/types.h"

namespace kb::store {

// The root node of a non-empty tree (checked against its level).
Result<std::shared_ptr<const Node>> load_root(const PageFile& file, TenantId tenant, RootRef root);
// Child `index` of an inner node (checked to be one level below it).
Result<std::shared_ptr<const Node>> load_child(const PageFile& file, TenantId tenant,
                                               const Node& parent, u16 index);

// The value stored under `key`, or nullopt.
Result<std::optional<Bytes>> tree_get(const PageFile& file, TenantId tenant, RootRef root,
                                      ByteSpan key);

// The first entry whose key is >= `lower`: its key and value are copied into `key` and `value`
// (an overflow value is read). False if there is none.
Result<bool> tree_seek(const PageFile& file, TenantId tenant, RootRef root, ByteSpan lower,
                       Bytes& key, Bytes& value);

// Inserts or replaces. Sizes must be within kStoreKeyBytesMax / kStoreValueBytesMax (asserted:
// the store checks them first). *inserted says whether the key was new.
Result<RootRef> tree_put(PageWriter& writer, TenantId tenant, RootRef root, ByteSpan key,
                         ByteSpan value, bool* inserted);

// Inserts the longest prefix of `entries` (keys strictly ascending, sizes as for tree_put) that
// all go into the leaf the first key belongs to and fit there without a split, with one walk
// from the root for all of them (what appending a batch of consecutive keys costs once per
// leaf instead of once per key). *consumed says how many were inserted: 0 when the first one
// is a replacement, needs an overflow run, does not fit, or the tree is empty — the caller
// then puts it with tree_put. Nothing changes when *consumed is 0.
Result<RootRef> tree_put_run(PageWriter& writer, TenantId tenant, RootRef root,
                             std::span<const KeyValue> entries, usize* consumed);

// Removes `key` if present (*erased says whether it was).
Result<RootRef> tree_erase(PageWriter& writer, TenantId tenant, RootRef root, ByteSpan key,
                           bool* erased);

// Retires every page of the tree (nodes and overflow runs), reading those not in memory.
Status tree_retire_all(PageWriter& writer, TenantId tenant, RootRef root);

// Calls `visit` for every page the tree reaches (nodes, then overflow runs as their first page
// and page count), reading nodes not in memory. For integrity checks.
Status tree_visit_pages(const PageFile& file, TenantId tenant, RootRef root,
                        const std::function<Status(const Node& node)>& visit_node,
                        const std::function<Status(PageRef run, u64 pages)>& visit_run);

}  // namespace kb::store
