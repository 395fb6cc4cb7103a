// Apply of role and grant ops, the permission re-check every op passes at apply, and loading
// roles and grants at open (kernel_state.h).
//
// Roles and grants live in two system MVCC trees (kernel_trees.h), so they are readable as of
// any position (access_reads.h), and in memory (KernelState::access) for the rules and the
// permission checks. Their versions enter the state hash exactly as table rows do: a version
// entry when written, an end entry when a later op ends it, with tenant 0 and the tree's
// number as the "table" (kernel_state_hash.cc adds the same entries from the trees).
//
// The re-check (DESIGN.md §3: "apply re-checks grants at the op's position"): admission
// decided with the grants of the applied state plus the ops admitted before this one, which
// are exactly the grants apply holds when it reaches the op, so the two agree; should they not
// (a bug, or ops admitted by a primary whose checker was more lenient), apply refuses the op
// deterministically instead of installing what its principal may not do. Apply always uses the
// grant rules (GrantPermissions), never a replica's own checker: every replica must decide
// alike.
#include "kernel/kernel_state.h"
#include "kernel/kernel_trees.h"
#include "kernel/permissions.h"
#include "store/mvcc.h"

namespace kb::kernel {
namespace {

constexpr u64 kSystemTenantNumber = 0;

Status write_role(KernelState& state, PrincipalId principal, Position at) {
    const RoleInfo* role = state.access.role(principal);
    KB_ASSERT(role != nullptr);
    const auto key = trees::role_key(principal);
    const auto current = KB_TRY(store::mvcc_current(state.store, trees::kRoles, key));
    if (current) {
        state.hash.add(row_end_entry(kSystemTenantNumber, trees::kRoles.number, key,
                                     current->created.value(), at.value()));
    }
    const Bytes record = encode_role_record(*role);
    KB_TRY(store::mvcc_put(state.store, trees::kRoles, key, record, at, current));
    state.hash.add(
        row_version_entry(kSystemTenantNumber, trees::kRoles.number, key, record, at.value()));
    return Status::ok();
}

// Ends the live version of `key` in `tree` (which the in-memory state says exists).
Status end_version(KernelState& state, store::TreeId tree, ByteSpan key, Position at) {
    const auto current = KB_TRY(store::mvcc_current(state.store, tree, key));
    if (!current) {
        return Status::corruption("tree " + std::to_string(tree.number) +
                                  " of the system has no live version of " + to_hex(key) +
                                  " to end at position " + to_string(at));
    }
    KB_TRY(store::mvcc_delete(state.store, tree, key, at, *current));
    state.hash.add(
        row_end_entry(kSystemTenantNumber, tree.number, key, current->created.value(), at.value()));
    return Status::ok();
}

Status write_changes(KernelState& state, const AccessChanges& changes, Position at) {
    for (PrincipalId principal : changes.roles_written) KB_TRY(write_role(state, principal, at));
    for (const GrantKey& key : changes.grants_removed) {
        KB_TRY(end_version(state, trees::kGrants, encode_grant_key(key), at));
    }
    for (const RoleInfo& role : changes.roles_dropped) {
        KB_TRY(end_version(state, trees::kRoles, trees::role_key(role.principal), at));
    }
    for (const auto& [key, grantor] : changes.grants_added) {
        const auto encoded = encode_grant_key(key);
        const auto value = encode_grantor(grantor);
        KB_TRY(store::mvcc_put(state.store, trees::kGrants, encoded, value, at, std::nullopt));
        state.hash.add(row_version_entry(kSystemTenantNumber, trees::kGrants.number, encoded, value,
                                         at.value()));
    }
    return write_api_key_changes(state, changes, at);
}

}  // namespace

Result<ApplyResult> apply_role(KernelState& state, const RoleOp& op, Position at) {
    AccessChanges changes;
    std::string detail;
    const Outcome outcome = state.access.apply(op, at, state.catalog, &detail, &changes);
    if (outcome != Outcome::ok) return refusal(outcome, std::move(detail));
    KB_TRY(write_changes(state, changes, at));
    ApplyResult result;
    if (op.action == RoleAction::create) result.principal = changes.roles_written.front();
    return result;
}

Result<ApplyResult> apply_grant(KernelState& state, const GrantOp& op, PrincipalId by,
                                Position at) {
    AccessChanges changes;
    std::string detail;
    const Outcome outcome = state.access.apply(op, by, at, state.catalog, &detail, &changes);
    if (outcome != Outcome::ok) return refusal(outcome, std::move(detail));
    KB_TRY(write_changes(state, changes, at));
    return ApplyResult{};
}

std::optional<ApplyResult> recheck_permission(const KernelState& state, const Op& op, Position at) {
    // Built-in principals and superusers may do everything: no request to describe.
    if (state.access.is_superuser(op.principal)) return std::nullopt;
    const TenantCatalog* tenant =
        op.tenant.value() == 0 ? nullptr : state.catalog.tenant(op.tenant);
    const PermissionDecision decision = GrantPermissions().check(
        permission_request_for(op, tenant, at),
        PermissionContext{.access = &state.access, .catalog = &state.catalog});
    if (decision.allowed()) return std::nullopt;
    return refusal(decision.outcome, decision.reason);
}

Status load_access(KernelState& state, const store::Snapshot& snapshot) {
    if (auto roles = KB_TRY(snapshot.find_tree(trees::kRoles))) {
        auto cursor = KB_TRY(store::MvccCursor::open(*roles, {}, {}, store::kLatestPosition,
                                                     store::Direction::forward));
        for (; cursor.valid(); KB_TRY(cursor.next())) {
            RoleInfo role = KB_TRY(decode_role_record(cursor.row()));
            if (cursor.key().size() != 8 ||
                trees::load_be64(cursor.key().data()) != role.principal.value()) {
                return Status::corruption("roles tree: the record of principal " +
                                          std::to_string(role.principal.value()) +
                                          " is under key " + to_hex(cursor.key()));
            }
            state.access.load_role(std::move(role));
        }
        // Dropped roles keep their ids: the next id is above every key the tree ever held.
        auto versions = KB_TRY(store::MvccVersionCursor::open(snapshot, trees::kRoles, {}, {}));
        u64 largest = 0;
        for (; versions.valid(); KB_TRY(versions.next())) {
            if (versions.key().size() == 8) {
                largest = std::max(largest, trees::load_be64(versions.key().data()));
            }
        }
        if (largest != 0) state.access.set_next_principal(PrincipalId(largest + 1));
    }
    KB_TRY(load_api_keys(state, snapshot));
    if (auto grants = KB_TRY(snapshot.find_tree(trees::kGrants))) {
        auto cursor = KB_TRY(store::MvccCursor::open(*grants, {}, {}, store::kLatestPosition,
                                                     store::Direction::forward));
        for (; cursor.valid(); KB_TRY(cursor.next())) {
            const GrantKey key = KB_TRY(decode_grant_key(cursor.key()));
            state.access.load_grant(key, KB_TRY(decode_grantor(cursor.row())));
        }
    }
    return Status::ok();
}

}  // namespace kb::kernel
