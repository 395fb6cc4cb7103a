// A transaction op worked out before anything is written: the catalog after its DDL, each
// effect's old and new versions and index keys, and what its DDL asks of the store. Internal to
// src/kernel (kernel_apply_transaction.cc builds and checks it, kernel_apply_rows.cc writes it).
//
// Why a plan: an op whose DDL or effects turn out wrong (a catalog refusal, invalid_effect, a
// unique key taken) must change nothing, so everything that can refuse is decided first. The
// one exception is building the indexes the op creates (a full scan of their table): those are
// built into their own new trees, which a refusal simply drops.
//
// The order of the store changes at commit, and why it gives the state the op describes
// (DDL first, then the row effects, each seeing the ones before):
//   1. trees for the tables the op creates;
//   2. truncations: every live row of a table that existed before the op, and every entry of
//      its indexes of before the op, ends at the op's position;
//   3. the row effects, in op order; then the index entries they end (all of them), then the
//      ones they add, so two rows may swap unique values within one op;
//   4. indexes the op creates are built (already, into their new trees) from the table's rows
//      after the effects: rows from before the op that no effect touches, plus the effects'
//      new images. A table created or truncated by the op has no rows from before it.
// Indexes created and dropped by the same op, or tables created and dropped by it, were never
// visible and get no tree.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "kernel/catalog.h"
#include "kernel/kernel_state.h"
#include "kernel/op.h"
#include "kernel/row_codec.h"
#include "store/mvcc.h"

namespace kb::kernel {

struct TablePlan {
    TableId id{};
    const TableSchema* schema = nullptr;  // the version live at the op's position (after DDL)
    bool fresh = false;                   // created or truncated by the op: no older rows
    std::vector<const IndexSchema*> maintained;  // live after the op and before it
    std::vector<const IndexSchema*> built;       // created by the op, live after it
    std::unique_ptr<TableKeys> keys;             // primary key and the maintained indexes
    // Primary keys the op's effects write. Filled only when needed (an index build reads it, or
    // the effects are not in key order): effects in increasing key order have distinct keys.
    std::set<Bytes, std::less<>> effect_keys;
    bool keys_in_set = false;    // effect_keys holds every effect's key so far
    std::vector<usize> effects;  // indexes into TransactionPlan::effects
    // The table's tree in the writer's view before any write (not fresh tables), for reading
    // the versions effects end without finding the tree's root each time.
    std::optional<store::TreeView> rows;
};

struct EffectPlan {
    const RowEffect* effect = nullptr;
    TablePlan* table = nullptr;
    std::optional<store::Version> old;  // the live version an update or remove ends
    std::vector<Value> values;          // the new image's values (insert, update)
    // Per maintained index (TablePlan::maintained order): the old row's key (update, remove)
    // and the new row's (insert, update).
    std::vector<Bytes> old_index_keys;
    std::vector<Bytes> new_index_keys;

    // Whether the effect ends / adds maintained index i's entry.
    bool ends_index_entry(usize i) const;
    bool adds_index_entry(usize i) const;
};

struct TransactionPlan {
    TenantId tenant{};
    Position at{};
    const TenantCatalog* before = nullptr;  // the tenant's catalog before the op
    const TenantCatalog* after = nullptr;   // after its DDL
    std::set<u64> created_objects;          // table and index ids the DDL created
    std::set<TableId> truncated;            // tables the DDL truncated
    std::map<TableId, TablePlan> tables;    // tables the effects write or builds read
    std::vector<EffectPlan> effects;
    std::vector<store::TreeId> build_trees;  // trees made by build_indexes (dropped on refusal)
    StateHash build_hash;                    // the entries the builds wrote
    bool any_builds = false;
};

// kernel_apply_rows.cc.

// Builds every index the op creates (TablePlan::built) into a new tree. A refusal
// (unique_violation for a duplicate key, invalid_definition for a key over the size limit)
// drops the trees it made and returns the outcome; ok otherwise.
Result<ApplyResult> build_indexes(KernelState& state, TransactionPlan& plan);

// Writes steps 1-3 of the order above and adds every entry to the state hash (the builds'
// too). Returns the row versions created plus ended. Nothing here refuses.
Result<u64> write_transaction(KernelState& state, TransactionPlan& plan);

}  // namespace kb::kernel
