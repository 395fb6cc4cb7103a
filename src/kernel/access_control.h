// Access control: roles (users) and the privileges granted to them — who may do what. The
// state role and grant ops (op.h, kinds 8 and 9) build, and the rules those ops follow.
//
// Like the catalog, this is a plain value that both sides of the write path run the same calls
// on: apply (kernel_apply_roles.cc) on the applied state, where the changes also go into the
// store as MVCC versions (kernel_trees.h: the roles and grants trees) so that every role and
// grant is readable as of any position (access_reads.h); and admission on a pending copy (the
// applied state plus every op admitted but not yet applied), so that a refused op is never
// logged and a permission decision sees the grants as of the op's own position.
//
// Principals. 0 is the system (what the database does by itself) and 1 the embedded API's
// administrator; both are built in, are no roles, and may do everything. A new role's id is
// the next principal id: 1 + the largest id any role ever had (dropped ones included, so ids
// are never reused), and at least kFirstRolePrincipal. The op carries no id; admission computes
// the same one as apply, as for tenants.
//
// Rules (each returns a domain Outcome with a detail in PostgreSQL's words, changing nothing
// unless ok):
//   * names: 1..63 bytes without NUL (name_too_long / invalid_definition); "public", "none"
//     and names starting "pg_" are reserved (reserved_name); unique (role_exists);
//   * a verifier is PostgreSQL's SCRAM-SHA-256 text form ("SCRAM-SHA-256$..."), at most
//     kVerifierBytesMax bytes (invalid_definition): the edge makes it; never a password;
//   * alter and drop name existing roles (no_such_role); a drop is refused while a role holds
//     privileges on a live database or table (dependent_objects_exist, PostgreSQL's 2BP01;
//     REVOKE them first). Privileges on tables dropped since are no dependency: they go with
//     the role;
//   * grants name existing roles, an existing tenant and tables live at the op's position
//     (no_such_role, no_such_tenant, no_such_table); CONNECT is a database privilege, the
//     others table privileges (invalid_definition otherwise). ALL TABLES means the tables live
//     at the op's position, as PostgreSQL's ALL TABLES IN SCHEMA: later tables are not
//     included. Granting what is held, or revoking what is not, changes nothing (no error).
#pragma once

#include <array>
#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "kernel/api_keys.h"
#include "kernel/catalog.h"
#include "kernel/op.h"
#include "kernel/outcome.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::kernel {

inline constexpr PrincipalId kSystemPrincipal{0};
inline constexpr PrincipalId kBootstrapPrincipal{1};
// Roles get ids from here up; the ids below are for built-in principals.
inline constexpr u64 kFirstRolePrincipal = 16;
inline constexpr usize kRoleNameBytesMax = 63;  // PostgreSQL's NAMEDATALEN - 1
inline constexpr usize kVerifierBytesMax = 1024;
inline constexpr std::string_view kVerifierPrefix = "SCRAM-SHA-256$";

inline bool is_builtin_principal(PrincipalId principal) {
    return principal.value() < kFirstRolePrincipal;
}

struct RoleInfo {
    PrincipalId principal{};
    std::string name{};
    bool login = false;
    bool superuser = false;
    std::string verifier{};  // empty: none (the role cannot log in with a password)
    Position created{};
    Position altered{};  // the last op that changed it (= created until altered)

    friend bool operator==(const RoleInfo&, const RoleInfo&) = default;
};

// One privilege held: by `principal`, on `table` of `tenant` (table 0: the tenant itself).
struct GrantKey {
    PrincipalId principal{};
    TenantId tenant{};
    TableId table{};
    Privilege privilege = Privilege::connect;

    friend auto operator<=>(const GrantKey&, const GrantKey&) = default;
};

// What one role or grant op changed, in the order apply writes it.
struct AccessChanges {
    std::vector<PrincipalId> roles_written;  // created or altered: their new versions
    std::vector<RoleInfo> roles_dropped;     // as they were
    std::vector<std::pair<GrantKey, PrincipalId>> grants_added;  // with the grantor
    std::vector<GrantKey> grants_removed;
    std::vector<u64> api_keys_added;    // created: their records (api_keys.h)
    std::vector<u64> api_keys_removed;  // revoked, or dropped with their role or tenant
};

class AccessControl {
public:
    // --- the op rules --------------------------------------------------------------------------
    // `by`: the op's principal (recorded as the grantor); `catalog`: the catalog at the op's
    // position (tenants and tables named, names for messages). On ok, `changes` (if given)
    // gets what changed; otherwise `detail` says why, in PostgreSQL's words (a first line, then
    // lines of detail, as PostgreSQL's DETAIL for a refused drop).
    Outcome apply(const RoleOp& op, Position at, const Catalog& catalog, std::string* detail,
                  AccessChanges* changes);
    Outcome apply(const GrantOp& op, PrincipalId by, Position at, const Catalog& catalog,
                  std::string* detail, AccessChanges* changes);
    // API keys (api_keys.h has the rules; access_api_keys.cc).
    Outcome apply(const ApiKeyOp& op, Position at, const Catalog& catalog, std::string* detail,
                  AccessChanges* changes);
    // Drops the keys scoped to `tenant` (a drop tenant op), noting them in `changes`.
    void drop_tenant_api_keys(TenantId tenant, AccessChanges* changes);

    // --- reads ---------------------------------------------------------------------------------
    const RoleInfo* role(PrincipalId principal) const;
    const RoleInfo* find_role(std::string_view name) const;
    const std::map<PrincipalId, RoleInfo>& roles() const { return roles_; }
    // Every privilege held, with its grantor.
    const std::map<GrantKey, PrincipalId>& grants() const { return grants_; }
    // Built-in principals and roles with SUPERUSER.
    bool is_superuser(PrincipalId principal) const;
    bool holds(const GrantKey& key) const { return grants_.contains(key); }
    // Superusers, or holders of CONNECT on the tenant.
    bool may_connect(PrincipalId principal, TenantId tenant) const;
    // Superusers, or holders of CONNECT on the tenant and `privilege` on the table.
    bool has_table_privilege(PrincipalId principal, TenantId tenant, TableId table,
                             Privilege privilege) const;
    const ApiKeyInfo* api_key(u64 key_id) const;
    const std::map<u64, ApiKeyInfo>& api_keys() const { return api_keys_; }
    // The id the next created role gets.
    PrincipalId next_principal() const { return next_principal_; }

    // --- loading (Kernel::open) ----------------------------------------------------------------
    void load_role(RoleInfo role);
    void load_grant(const GrantKey& key, PrincipalId grantor);
    void load_api_key(ApiKeyInfo key);
    // Ids of roles ever created (dropped ones too) are below `next`.
    void set_next_principal(PrincipalId next);

    friend bool operator==(const AccessControl&, const AccessControl&) = default;

private:
    Outcome create_role(const RoleOp& op, Position at, std::string* detail, AccessChanges* changes);
    Outcome alter_role(const RoleOp& op, Position at, std::string* detail, AccessChanges* changes);
    Outcome drop_roles(const RoleOp& op, Position at, const Catalog& catalog, std::string* detail,
                       AccessChanges* changes);
    void drop_role_api_keys(PrincipalId role, AccessChanges* changes);

    std::map<PrincipalId, RoleInfo> roles_;
    std::map<std::string, PrincipalId, std::less<>> names_;
    std::map<GrantKey, PrincipalId> grants_;  // -> grantor
    PrincipalId next_principal_{kFirstRolePrincipal};
    std::map<u64, ApiKeyInfo> api_keys_;  // live keys by id
};

// ok, or why `name` cannot name a role (invalid_definition, name_too_long, reserved_name).
Outcome check_role_name(std::string_view name);
// ok, or invalid_definition: not "SCRAM-SHA-256$...", or longer than kVerifierBytesMax.
Outcome check_verifier(std::string_view verifier);

// --- the records the roles and grants trees hold (docs/FORMATS.md, "Kernel state") ---------

Bytes encode_role_record(const RoleInfo& role);
// corruption (naming the principal) for bytes encode_role_record would not write.
Result<RoleInfo> decode_role_record(ByteSpan bytes);

inline constexpr usize kGrantKeyBytes = 8 + 8 + 8 + 1;
std::array<u8, kGrantKeyBytes> encode_grant_key(const GrantKey& key);
Result<GrantKey> decode_grant_key(ByteSpan bytes);
// A grant's value: the grantor.
std::array<u8, 8> encode_grantor(PrincipalId grantor);
Result<PrincipalId> decode_grantor(ByteSpan bytes);

}  // namespace kb::kernel
