// Reads of roles and grants on a store::Snapshot, as of any position it holds: who a principal
// is, whether a role may log in, connect to a tenant or read a table. What the server asks at
// login and the SQL layer before a statement reads (a SELECT never reaches the primary, so its
// privileges are checked here, on the statement's snapshot: PostgreSQL checks them when the
// statement runs, too).
//
// The answers follow the same rules as AccessControl (access_control.h) on the applied state:
// built-in principals (0, 1) and SUPERUSER roles may do everything; other roles need CONNECT on
// the tenant and, for a table, the privilege on it. A principal that is no role at `as_of` may
// do nothing.
//
// Threads: any, like kernel_reads.h. A snapshot from before the first role op has no roles.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "kernel/access_control.h"
#include "kimberlite/status.h"
#include "store/mvcc.h"
#include "store/snapshot.h"

namespace kb::kernel::reads {

// The role of `principal` live at `as_of`, or nullopt.
Result<std::optional<RoleInfo>> role(const store::Snapshot& snapshot, PrincipalId principal,
                                     Position as_of = store::kLatestPosition);
// The role named `name` (exactly: names are case-sensitive once parsed) live at `as_of`.
Result<std::optional<RoleInfo>> find_role(const store::Snapshot& snapshot, std::string_view name,
                                          Position as_of = store::kLatestPosition);
// Every role live at `as_of`, in principal order.
Result<std::vector<RoleInfo>> roles(const store::Snapshot& snapshot,
                                    Position as_of = store::kLatestPosition);
// Every privilege `principal` holds at `as_of` (all principals' when it is 0), in key order.
Result<std::vector<GrantKey>> grants(const store::Snapshot& snapshot, PrincipalId principal,
                                     Position as_of = store::kLatestPosition);

// The API key `key_id` live at `as_of` (not revoked, its role and tenant not dropped), or
// nullopt. A login by key reads it at the latest position.
Result<std::optional<ApiKeyInfo>> api_key(const store::Snapshot& snapshot, u64 key_id,
                                          Position as_of = store::kLatestPosition);
// Every API key live at `as_of`, in id order.
Result<std::vector<ApiKeyInfo>> api_keys(const store::Snapshot& snapshot,
                                         Position as_of = store::kLatestPosition);

Result<bool> holds(const store::Snapshot& snapshot, const GrantKey& key,
                   Position as_of = store::kLatestPosition);
Result<bool> is_superuser(const store::Snapshot& snapshot, PrincipalId principal,
                          Position as_of = store::kLatestPosition);
Result<bool> may_connect(const store::Snapshot& snapshot, PrincipalId principal, TenantId tenant,
                         Position as_of = store::kLatestPosition);
// PostgreSQL's has_table_privilege: whether `principal` may do `privilege` (select, insert,
// update, remove, truncate) to `table` of `tenant`.
Result<bool> has_table_privilege(const store::Snapshot& snapshot, PrincipalId principal,
                                 TenantId tenant, TableId table, Privilege privilege,
                                 Position as_of = store::kLatestPosition);

}  // namespace kb::kernel::reads
