// Apply of API key ops, and the API keys tree: writing, ending and loading keys (see
// api_keys.h and kernel_state.h).
//
// Keys live in the API keys system tree (kernel_trees.h) as MVCC versions, so a key is
// readable as of any position (access_reads.h: api_key) and a revoked key's history stays; and
// in memory (KernelState::access) for admission's rules. Their versions enter the state hash as
// roles' do: a version entry when written, an end entry when revoked or dropped with its role or
// tenant, with tenant 0 and the tree's number as the "table".
#include "kernel/kernel_state.h"
#include "kernel/kernel_trees.h"
#include "store/mvcc.h"

namespace kb::kernel {
namespace {

constexpr u64 kSystemTenantNumber = 0;

Status end_api_key(KernelState& state, u64 key_id, Position at) {
    const auto key = api_key_tree_key(key_id);
    const auto current = KB_TRY(store::mvcc_current(state.store, trees::kApiKeys, key));
    if (!current) {
        return Status::corruption("the API keys tree has no live version of key " +
                                  std::to_string(key_id) + " to end at position " + to_string(at));
    }
    KB_TRY(store::mvcc_delete(state.store, trees::kApiKeys, key, at, *current));
    state.hash.add(row_end_entry(kSystemTenantNumber, trees::kApiKeys.number, key,
                                 current->created.value(), at.value()));
    return Status::ok();
}

}  // namespace

Status write_api_key_changes(KernelState& state, const AccessChanges& changes, Position at) {
    for (u64 key_id : changes.api_keys_removed) KB_TRY(end_api_key(state, key_id, at));
    for (u64 key_id : changes.api_keys_added) {
        const ApiKeyInfo* info = state.access.api_key(key_id);
        KB_ASSERT(info != nullptr);
        const auto key = api_key_tree_key(key_id);
        const Bytes record = encode_api_key_record(*info);
        KB_TRY(store::mvcc_put(state.store, trees::kApiKeys, key, record, at, std::nullopt));
        state.hash.add(row_version_entry(kSystemTenantNumber, trees::kApiKeys.number, key, record,
                                         at.value()));
    }
    return Status::ok();
}

Result<ApplyResult> apply_api_key(KernelState& state, const ApiKeyOp& op, Position at) {
    AccessChanges changes;
    std::string detail;
    const Outcome outcome = state.access.apply(op, at, state.catalog, &detail, &changes);
    if (outcome != Outcome::ok) return refusal(outcome, std::move(detail));
    KB_TRY(write_api_key_changes(state, changes, at));
    return ApplyResult{};
}

Status drop_tenant_api_keys(KernelState& state, TenantId tenant, Position at) {
    AccessChanges changes;
    state.access.drop_tenant_api_keys(tenant, &changes);
    return write_api_key_changes(state, changes, at);
}

Status load_api_keys(KernelState& state, const store::Snapshot& snapshot) {
    auto tree = KB_TRY(snapshot.find_tree(trees::kApiKeys));
    if (!tree) return Status::ok();  // a store from before API keys: none
    auto cursor = KB_TRY(
        store::MvccCursor::open(*tree, {}, {}, store::kLatestPosition, store::Direction::forward));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        ApiKeyInfo key = KB_TRY(decode_api_key_record(cursor.row()));
        if (cursor.key().size() != 8 || trees::load_be64(cursor.key().data()) != key.key_id) {
            return Status::corruption("API keys tree: the record of key " +
                                      std::to_string(key.key_id) + " is under key " +
                                      to_hex(cursor.key()));
        }
        state.access.load_api_key(std::move(key));
    }
    return Status::ok();
}

}  // namespace kb::kernel
