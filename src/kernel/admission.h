// Admission: what the primary checks before an op is logged (DESIGN.md §3: conflicts are
// resolved at the primary before logging; every logged op is a committed fact).
//
// The checks run against the applied state PLUS every op admitted but not yet applied (the
// pending ops), so two creates of one name, two appends expecting one offset, or a transaction
// reading what a pending op writes are told apart before either is logged:
//   * a pending catalog: a copy of the kernel's catalog with the catalog half of every pending
//     op applied (names, ids, next offsets, sequence counters, schema versions). The same
//     TenantCatalog calls apply makes decide the outcome, at the op's own position;
//   * the conflict window (conflict_window.h) for transactions, fed with each admitted
//     transaction's write set including the index keys its row effects end and create;
//   * idempotency: an id with a record in the applied state is answered with the original
//     result (nothing is logged); an id used by a pending op is admitted as is (apply sees the
//     repeat and returns the original result), so a retry racing its original is never applied
//     twice and never refused for an offset the original moved;
//   * roles and grants: a pending copy of the kernel's AccessControl advanced by each admitted
//     role and grant op, with the same calls apply makes (access_control.h);
//   * the permission hook (permissions.h), against the pending catalog and the pending roles
//     and grants: a REVOKE admitted before an op takes effect for it, committed or not;
//   * the size cap on encoded ops is the caller's (it has the bytes).
//
// Lifecycle of a position: admit(op, p) -> ok: the caller logs the op at p, and calls
// applied(p) once it is applied; abandon(p) if it was never logged (the log append failed);
// truncate_after(p) when a view change replaced the uncommitted suffix. Positions passed to
// admit strictly increase. Deterministic: ordered containers only; no clock.
//
// Loop thread only (it reads the kernel's catalog and the store's writer view).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "kernel/admission_rows.h"
#include "kernel/catalog.h"
#include "kernel/conflict_window.h"
#include "kernel/kernel.h"
#include "kernel/op.h"
#include "kernel/outcome.h"
#include "kernel/permissions.h"
#include "kimberlite/status.h"
#include "store/store.h"
#include "types/ids.h"

namespace kb::kernel {

struct AdmissionOptions {
    ConflictWindowOptions window{};
};

struct AdmitResult {
    Outcome outcome = Outcome::ok;  // ok: log the op at the position given to admit
    std::string detail{};           // for a refusal: what, naming the object
    // An idempotent repeat of an applied op: its original result. Nothing is to be logged.
    std::optional<ApplyResult> repeat{};

    bool admitted() const { return outcome == Outcome::ok && !repeat; }
};

class Admission {
public:
    // `kernel`, `store` and `permissions` must outlive the admission. The conflict window starts
    // at the kernel's applied position (older snapshots are too old).
    Admission(const Kernel& kernel, const store::Store& store, const PermissionChecker& permissions,
              AdmissionOptions options = {});
    ~Admission();
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;

    // Decides whether `op` may be logged at `position` (> every earlier admitted position and
    // > the kernel's applied position). Status errors are store failures reading the applied
    // state (the caller stops).
    Result<AdmitResult> admit(const Op& op, Position position);
    // The same for an op the caller shares: an admitted op is kept until applied (to rebuild
    // the pending state, and its rows are read in place), and sharing it saves a copy. The op
    // must not change while it is pending.
    Result<AdmitResult> admit(std::shared_ptr<const Op> op, Position position);

    // The op admitted at `position` (and every one before it) has been applied.
    void applied(Position position);
    // The op admitted at `position`, the newest admitted, was not logged: forget it.
    void abandon(Position position);
    // Ops admitted after `position` will not be applied (a view change replaced them).
    void truncate_after(Position position);

    // The id a create-tenant op admitted next gets (apply computes the same: 1 + the largest).
    TenantId next_tenant_id() const;
    // The catalog with every pending op applied.
    const Catalog& pending_catalog() const { return pending_; }
    // Roles and grants with every pending op applied.
    const AccessControl& pending_access() const { return pending_access_; }
    usize pending_ops() const { return pending_ops_.size(); }
    const ConflictWindow& window() const { return window_; }

private:
    struct PendingOp;

    // admit() of an op that is not an applied repeat.
    Result<AdmitResult> admit_new(std::shared_ptr<const Op> op, Position position);

    // The checks of `op` at `position` against `catalog` and `rows`, which they advance when
    // the op is admitted; `writes` gets its write set for the conflict window.
    Result<AdmitResult> check(const Op& op, Position position, Catalog& catalog,
                              AccessControl& access, PendingRows& rows, WriteSet& writes);
    Result<AdmitResult> check_access_op(const Op& op, Position position, const Catalog& catalog,
                                        AccessControl& access) const;
    Result<AdmitResult> check_transaction(const Op& op, const TransactionOp& transaction,
                                          Position position, TenantCatalog& tenant,
                                          PendingRows& rows, WriteSet& writes);
    Result<std::optional<AdmitResult>> check_permission(const Op& op, const TenantCatalog* tenant,
                                                        Position position, const Catalog& catalog,
                                                        const AccessControl& access) const;
    Result<std::optional<ApplyResult>> applied_repeat(const Op& op, Position position) const;
    bool pending_idempotency(const Op& op) const;
    void rebuild_pending_state();
    static TenantId next_tenant_id_in(const Catalog& catalog);

    const Kernel& kernel_;
    const store::Store& store_;
    const PermissionChecker& permissions_;
    Catalog pending_;
    AccessControl pending_access_;
    ConflictWindow window_;
    std::unique_ptr<PendingRows> rows_;
    std::map<Position, std::unique_ptr<PendingOp>> pending_ops_;
};

}  // namespace kb::kernel
