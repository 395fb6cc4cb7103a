// Reads of roles and grants as of a position (see access_reads.h).
#include "kernel/access_reads.h"

#include "kernel/kernel_trees.h"

namespace kb::kernel::reads {
namespace {

// The tree, or nullopt when the snapshot predates it.
Result<std::optional<store::TreeView>> tree(const store::Snapshot& snapshot, store::TreeId id) {
    return snapshot.find_tree(id);
}

}  // namespace

Result<std::optional<RoleInfo>> role(const store::Snapshot& snapshot, PrincipalId principal,
                                     Position as_of) {
    auto view = KB_TRY(tree(snapshot, trees::kRoles));
    if (!view) return std::optional<RoleInfo>();
    auto record = KB_TRY(store::mvcc_get(*view, trees::role_key(principal), as_of));
    if (!record) return std::optional<RoleInfo>();
    return std::optional<RoleInfo>(KB_TRY(decode_role_record(*record)));
}

Result<std::optional<RoleInfo>> find_role(const store::Snapshot& snapshot, std::string_view name,
                                          Position as_of) {
    // Roles are few (a scan per login); the roles tree is keyed by principal for the checks
    // every statement makes.
    for (RoleInfo& role : KB_TRY(roles(snapshot, as_of))) {
        if (role.name == name) return std::optional<RoleInfo>(std::move(role));
    }
    return std::optional<RoleInfo>();
}

Result<std::vector<RoleInfo>> roles(const store::Snapshot& snapshot, Position as_of) {
    std::vector<RoleInfo> out;
    auto view = KB_TRY(tree(snapshot, trees::kRoles));
    if (!view) return out;
    auto cursor = KB_TRY(store::MvccCursor::open(*view, {}, {}, as_of, store::Direction::forward));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        out.push_back(KB_TRY(decode_role_record(cursor.row())));
    }
    return out;
}

Result<std::optional<ApiKeyInfo>> api_key(const store::Snapshot& snapshot, u64 key_id,
                                          Position as_of) {
    auto view = KB_TRY(tree(snapshot, trees::kApiKeys));
    if (!view) return std::optional<ApiKeyInfo>();
    auto record = KB_TRY(store::mvcc_get(*view, api_key_tree_key(key_id), as_of));
    if (!record) return std::optional<ApiKeyInfo>();
    return std::optional<ApiKeyInfo>(KB_TRY(decode_api_key_record(*record)));
}

Result<std::vector<ApiKeyInfo>> api_keys(const store::Snapshot& snapshot, Position as_of) {
    std::vector<ApiKeyInfo> out;
    auto view = KB_TRY(tree(snapshot, trees::kApiKeys));
    if (!view) return out;
    auto cursor = KB_TRY(store::MvccCursor::open(*view, {}, {}, as_of, store::Direction::forward));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        out.push_back(KB_TRY(decode_api_key_record(cursor.row())));
    }
    return out;
}

Result<std::vector<GrantKey>> grants(const store::Snapshot& snapshot, PrincipalId principal,
                                     Position as_of) {
    std::vector<GrantKey> out;
    auto view = KB_TRY(tree(snapshot, trees::kGrants));
    if (!view) return out;
    const auto prefix = trees::be64(principal.value());
    const auto after = trees::be64(principal.value() + 1);
    const bool all = principal.value() == 0;
    auto cursor = KB_TRY(store::MvccCursor::open(*view, all ? ByteSpan() : ByteSpan(prefix),
                                                 all ? ByteSpan() : ByteSpan(after), as_of,
                                                 store::Direction::forward));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        out.push_back(KB_TRY(decode_grant_key(cursor.key())));
    }
    return out;
}

Result<bool> holds(const store::Snapshot& snapshot, const GrantKey& key, Position as_of) {
    auto view = KB_TRY(tree(snapshot, trees::kGrants));
    if (!view) return false;
    return KB_TRY(store::mvcc_get(*view, encode_grant_key(key), as_of)).has_value();
}

Result<bool> is_superuser(const store::Snapshot& snapshot, PrincipalId principal, Position as_of) {
    if (is_builtin_principal(principal)) return true;
    auto found = KB_TRY(role(snapshot, principal, as_of));
    return found && found->superuser;
}

Result<bool> may_connect(const store::Snapshot& snapshot, PrincipalId principal, TenantId tenant,
                         Position as_of) {
    if (KB_TRY(is_superuser(snapshot, principal, as_of))) return true;
    // A role dropped at as_of holds nothing: its grants went with it.
    return holds(snapshot, {principal, tenant, TableId(0), Privilege::connect}, as_of);
}

Result<bool> has_table_privilege(const store::Snapshot& snapshot, PrincipalId principal,
                                 TenantId tenant, TableId table, Privilege privilege,
                                 Position as_of) {
    if (KB_TRY(is_superuser(snapshot, principal, as_of))) return true;
    if (!KB_TRY(holds(snapshot, {principal, tenant, TableId(0), Privilege::connect}, as_of))) {
        return false;
    }
    return holds(snapshot, {principal, tenant, table, privilege}, as_of);
}

}  // namespace kb::kernel::reads
