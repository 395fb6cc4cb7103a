// The permission hook: what the writer asks before an op is logged (DESIGN.md §3: the primary
// checks grants against the state as of the op's position, including prepared ops, so a
// committed REVOKE stops writes ordered after it).
//
// The writer describes an op as a PermissionRequest (permission_request_for derives it from the
// op and the catalog: which principal, in which tenant, does what to which objects) and asks a
// PermissionChecker, giving it the roles and grants as of the op's position (admission: the
// applied state plus every op admitted before; apply: the applied state). A denial is the
// domain outcome permission_denied (SQLSTATE 42501) and nothing is logged.
//
// GrantPermissions is the rule of the database (docs/ARCHITECTURE.md, "Users and grants"),
// and the one apply re-checks every op with:
//   * built-in principals (0 the system, 1 the embedded API) and SUPERUSER roles: everything;
//   * a principal that is no role: nothing;
//   * anything in a tenant needs CONNECT on it; row writes need the table's privilege (INSERT,
//     UPDATE, DELETE, TRUNCATE); values of a table's own sequence (SERIAL, identity) need
//     INSERT or UPDATE on the table;
//   * reads are not checked here: a transaction's read set also holds what constraint checks
//     probed (unique keys, foreign-key parents), which PostgreSQL does not count as SELECT, and
//     read-only transactions are never logged. SELECT is checked where a statement reads, at
//     the session (access_reads.h has_table_privilege, on the statement's snapshot);
//   * schema changes (tables, indexes, sequences), streams, tenants, settings, roles and
//     grants: superusers only (there are no object owners yet) — except that a role may set
//     its own password.
// AdminPermissions (only listed principals) and ScriptedPermissions (tests) stand in for it
// where grants do not matter.
#pragma once

#include <string>
#include <vector>

#include "kernel/access_control.h"
#include "kernel/catalog.h"
#include "kernel/op.h"
#include "kernel/outcome.h"

namespace kb::kernel {

// What is done to an object; PostgreSQL's privileges where they exist. Stable numbers.
enum class Access : u8 {
    read = 1,  // SELECT (rows read by key or range)
    insert = 2,
    update = 3,
    remove = 4,  // DELETE
    truncate = 5,
    append = 6,  // stream events
    create = 7,  // a new table, sequence or stream in the tenant, or the tenant itself
    drop = 8,
    alter = 9,      // ALTER TABLE, CREATE / DROP INDEX (table owner's rights in PostgreSQL)
    usage = 10,     // reserving sequence values (nextval)
    password = 11,  // setting a role's password, and nothing else about it
    grant = 12,     // granting or revoking privileges on a tenant or its tables
};

enum class ObjectKind : u8 { tenant = 1, stream = 2, table = 3, sequence = 4, role = 5 };

struct ObjectAccess {
    ObjectKind kind = ObjectKind::tenant;
    u64 id = 0;
    Access access = Access::read;

    friend auto operator<=>(const ObjectAccess&, const ObjectAccess&) = default;
};

std::string_view access_name(Access access);         // "read", "insert", ...
std::string_view object_kind_name(ObjectKind kind);  // "tenant", "stream", ...

struct PermissionRequest {
    PrincipalId principal{};
    TenantId tenant{};
    OpKind op = OpKind::transaction;
    Position position{};                  // grants are checked as of this position
    std::vector<ObjectAccess> objects{};  // sorted, without duplicates

    friend bool operator==(const PermissionRequest&, const PermissionRequest&) = default;
};

struct PermissionDecision {
    Outcome outcome = Outcome::ok;  // ok or permission_denied
    std::string reason{};           // for a denial: "principal 7 may not insert into table 3"

    bool allowed() const { return outcome == Outcome::ok; }
};

// Describes `op` for a permission check at `position`. Index reads count as reads of their
// table (resolved in `catalog` at the op's snapshot; a key space the catalog does not know is
// reported as a table of that id). The absence of inserted keys and foreign-key parents
// are not separate accesses: they come with the insert, as in PostgreSQL. Reserving values of
// a sequence a table owns is usage of that table (a free-standing one: of the sequence).
// Role ops are accesses to roles (id 0 for the one a create makes), grant ops `grant` on the
// grant's tenant; system ops (create tenant, configure) are accesses to tenant 0.
PermissionRequest permission_request_for(const Op& op, const TenantCatalog* catalog,
                                         Position position);

// What a decision may consult besides the request, as of the request's position.
struct PermissionContext {
    const AccessControl* access = nullptr;  // roles and grants; null: none exist
    const Catalog* catalog = nullptr;       // names for messages; may be null
};

class PermissionChecker {
public:
    virtual ~PermissionChecker() = default;
    // Deterministic: the same request and the same grants give the same decision.
    virtual PermissionDecision check(const PermissionRequest& request,
                                     const PermissionContext& context) const = 0;
};

// The database's rule (see the top of this file).
class GrantPermissions final : public PermissionChecker {
public:
    PermissionDecision check(const PermissionRequest& request,
                             const PermissionContext& context) const override;
};

// The given principals may do everything, others nothing (tests and tools that need no roles).
class AdminPermissions final : public PermissionChecker {
public:
    explicit AdminPermissions(std::vector<PrincipalId> admins) : admins_(std::move(admins)) {}
    PermissionDecision check(const PermissionRequest& request,
                             const PermissionContext& context = {}) const override;

private:
    std::vector<PrincipalId> admins_;
};

// A test double: records every request and denies the accesses it is told to deny.
class ScriptedPermissions final : public PermissionChecker {
public:
    // Denies `access` to `object` for `principal` (any principal when it is 0).
    void deny(PrincipalId principal, ObjectAccess object);
    PermissionDecision check(const PermissionRequest& request,
                             const PermissionContext& context = {}) const override;
    const std::vector<PermissionRequest>& requests() const { return requests_; }

private:
    std::vector<std::pair<PrincipalId, ObjectAccess>> denied_;
    mutable std::vector<PermissionRequest> requests_;
};

}  // namespace kb::kernel
