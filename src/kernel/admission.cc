// Admission: the checks before logging, against applied plus pending state (see admission.h).
#include "kernel/admission.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "kernel/kernel_trees.h"

namespace kb::kernel {

struct Admission::PendingOp {
    std::shared_ptr<const Op> op;
    // The idempotency id the op carries (none when zero), kept to find repeats in flight.
    IdempotencyId idempotency{};
};

namespace {

AdmitResult refuse(Outcome outcome, std::string detail) {
    return AdmitResult{.outcome = outcome, .detail = std::move(detail), .repeat = std::nullopt};
}

IdempotencyId idempotency_of(const Op& op) {
    if (const auto* append = std::get_if<AppendBatchOp>(&op.body)) return append->idempotency;
    if (const auto* transaction = std::get_if<TransactionOp>(&op.body)) {
        return transaction->idempotency;
    }
    return IdempotencyId();
}

std::string stream_detail(StreamId stream, Outcome outcome) {
    return std::string(outcome_name(outcome)) + ": stream " + std::to_string(stream.value());
}

}  // namespace

Admission::Admission(const Kernel& kernel, const store::Store& store,
                     const PermissionChecker& permissions, AdmissionOptions options)
    : kernel_(kernel),
      store_(store),
      permissions_(permissions),
      pending_(kernel.catalog()),
      pending_access_(kernel.access()),
      window_(options.window, kernel.applied()),
      rows_(std::make_unique<PendingRows>()) {}

Admission::~Admission() = default;

TenantId Admission::next_tenant_id() const { return next_tenant_id_in(pending_); }

Result<AdmitResult> Admission::admit(const Op& op, Position position) {
    KB_ASSERT(position > kernel_.applied());
    if (auto repeat = KB_TRY(applied_repeat(op, position))) {
        return AdmitResult{.outcome = Outcome::ok, .detail = {}, .repeat = std::move(repeat)};
    }
    return admit_new(std::make_shared<const Op>(op), position);
}

Result<AdmitResult> Admission::admit(std::shared_ptr<const Op> op, Position position) {
    KB_ASSERT(op != nullptr);
    KB_ASSERT(position > kernel_.applied());
    if (auto repeat = KB_TRY(applied_repeat(*op, position))) {
        return AdmitResult{.outcome = Outcome::ok, .detail = {}, .repeat = std::move(repeat)};
    }
    return admit_new(std::move(op), position);
}

Result<AdmitResult> Admission::admit_new(std::shared_ptr<const Op> op, Position position) {
    KB_ASSERT(pending_ops_.empty() || position > pending_ops_.rbegin()->first);
    // The op is checked where it is kept: the pending rows it writes view its bytes.
    WriteSet writes;
    AdmitResult result = KB_TRY(check(*op, position, pending_, pending_access_, *rows_, writes));
    if (!result.admitted()) return result;

    if (!writes.empty()) window_.record(position, op->tenant, std::move(writes));
    auto pending = std::make_unique<PendingOp>();
    pending->idempotency = idempotency_of(*op);
    pending->op = std::move(op);
    pending_ops_.emplace(position, std::move(pending));
    return result;
}

void Admission::applied(Position position) {
    while (!pending_ops_.empty() && pending_ops_.begin()->first <= position) {
        pending_ops_.erase(pending_ops_.begin());
    }
    rows_->forget_through(position);
}

void Admission::abandon(Position position) {
    KB_ASSERT(!pending_ops_.empty() && pending_ops_.rbegin()->first == position);
    truncate_after(position.prev());
}

void Admission::truncate_after(Position position) {
    if (pending_ops_.empty() || pending_ops_.rbegin()->first <= position) return;
    pending_ops_.erase(pending_ops_.upper_bound(position), pending_ops_.end());
    window_.truncate_after(position);
    rebuild_pending_state();
}

// The catalog and pending rows are the applied state plus every remaining pending op: redo
// the checks of those ops, in order, on a fresh copy. They were admitted in this order before,
// on the same state, so they pass again (asserted); rare (a failed append, a view change).
void Admission::rebuild_pending_state() {
    pending_ = kernel_.catalog();
    pending_access_ = kernel_.access();
    rows_ = std::make_unique<PendingRows>();
    for (const auto& [position, pending] : pending_ops_) {
        WriteSet ignored;
        auto result = check(*pending->op, position, pending_, pending_access_, *rows_, ignored);
        KB_ASSERT_MSG(result.has_value() && result->admitted(),
                      "a pending op no longer passes admission");
    }
}

Result<std::optional<ApplyResult>> Admission::applied_repeat(const Op& op,
                                                             Position position) const {
    const IdempotencyId id = idempotency_of(op);
    if (id.is_none()) return std::optional<ApplyResult>();
    auto record = KB_TRY(kernel_.idempotency(op.tenant, id, position));
    if (!record) return std::optional<ApplyResult>();
    ApplyResult original = record->result;
    original.repeated = true;
    original.original = record->position;
    return std::optional<ApplyResult>(std::move(original));
}

bool Admission::pending_idempotency(const Op& op) const {
    const IdempotencyId id = idempotency_of(op);
    if (id.is_none()) return false;
    return std::any_of(pending_ops_.begin(), pending_ops_.end(), [&](const auto& entry) {
        return entry.second->op->tenant == op.tenant && entry.second->idempotency == id;
    });
}

Result<AdmitResult> Admission::check(const Op& op, Position position, Catalog& catalog,
                                     AccessControl& access, PendingRows& rows, WriteSet& writes) {
    // A repeat of a pending op goes to the log as it is: apply returns the original's result.
    // Checking it again here would refuse it for what the original changed (its offset).
    if (pending_idempotency(op)) return AdmitResult{};

    if (const auto* create = std::get_if<CreateTenantOp>(&op.body)) {
        TenantInfo info{.id = next_tenant_id_in(catalog),
                        .name = create->name,
                        .created = position,
                        .kek = create->kek,
                        .root_key = create->root_key};
        if (auto denied = KB_TRY(check_permission(op, nullptr, position, catalog, access))) {
            return std::move(*denied);
        }
        const Outcome outcome = catalog.create_tenant(std::move(info), position);
        if (outcome != Outcome::ok) {
            return refuse(outcome, std::string(outcome_name(outcome)) + ": " + create->name);
        }
        return AdmitResult{};
    }
    if (const auto* drop = std::get_if<DropTenantOp>(&op.body)) {
        if (op.tenant.value() != 0) {
            return refuse(Outcome::invalid_definition,
                          "drop tenant is a system op, logged for tenant 0, not tenant " +
                              std::to_string(op.tenant.value()));
        }
        if (auto denied = KB_TRY(check_permission(op, nullptr, position, catalog, access))) {
            return std::move(*denied);
        }
        const Outcome outcome = catalog.drop_tenant(drop->tenant, position);
        if (outcome != Outcome::ok) {
            return refuse(outcome, "no such tenant: " + std::to_string(drop->tenant.value()));
        }
        access.drop_tenant_api_keys(drop->tenant, nullptr);
        return AdmitResult{};
    }
    if (const auto* configure = std::get_if<ConfigureOp>(&op.body)) {
        if (configure->value == 0) {
            return refuse(Outcome::invalid_definition,
                          std::string(setting_name(configure->setting)) + " must be at least 1");
        }
        if (auto denied = KB_TRY(check_permission(op, nullptr, position, catalog, access))) {
            return std::move(*denied);
        }
        return AdmitResult{};
    }
    if (std::holds_alternative<RoleOp>(op.body) || std::holds_alternative<GrantOp>(op.body) ||
        std::holds_alternative<ApiKeyOp>(op.body)) {
        return check_access_op(op, position, catalog, access);
    }

    TenantCatalog* tenant = catalog.tenant(op.tenant);
    if (tenant == nullptr || tenant->info().is_dropped()) {
        return refuse(Outcome::no_such_tenant,
                      "no such tenant: " + std::to_string(op.tenant.value()) +
                          (tenant != nullptr ? " (it was dropped)" : ""));
    }
    if (auto denied = KB_TRY(check_permission(op, tenant, position, catalog, access))) {
        return std::move(*denied);
    }

    if (const auto* create = std::get_if<CreateStreamOp>(&op.body)) {
        StreamId id;
        const Outcome outcome =
            tenant->create_stream(create->name, create->data_class, position, &id);
        if (outcome != Outcome::ok) {
            return refuse(outcome, std::string(outcome_name(outcome)) + ": " + create->name);
        }
        return AdmitResult{};
    }
    if (const auto* remove = std::get_if<DeleteStreamOp>(&op.body)) {
        const Outcome outcome = tenant->delete_stream(remove->stream, position);
        if (outcome != Outcome::ok) return refuse(outcome, stream_detail(remove->stream, outcome));
        return AdmitResult{};
    }
    if (const auto* append = std::get_if<AppendBatchOp>(&op.body)) {
        if (append->events.empty()) {
            return refuse(Outcome::invalid_definition, "an append needs at least one event");
        }
        const Outcome outcome = tenant->check_append(append->stream, append->expected_offset);
        if (outcome == Outcome::offset_mismatch) {
            const StreamInfo* stream = tenant->stream(append->stream);
            return refuse(outcome, "offset mismatch: stream " +
                                       std::to_string(append->stream.value()) + " expected " +
                                       std::to_string(append->expected_offset->value()) +
                                       ", next is " + std::to_string(stream->next_offset.value()));
        }
        if (outcome != Outcome::ok) return refuse(outcome, stream_detail(append->stream, outcome));
        tenant->append(append->stream, append->events.size());
        return AdmitResult{};
    }
    if (const auto* reserve = std::get_if<ReserveSequenceOp>(&op.body)) {
        if (reserve->count == 0) {
            return refuse(Outcome::invalid_definition, "a reservation needs at least one value");
        }
        SequenceBlock block;
        const Outcome outcome =
            tenant->reserve(reserve->sequence, reserve->count, position, &block);
        if (outcome != Outcome::ok) {
            return refuse(outcome, std::string(outcome_name(outcome)) + ": sequence " +
                                       std::to_string(reserve->sequence.value()));
        }
        return AdmitResult{};
    }
    const auto& transaction = std::get<TransactionOp>(op.body);
    return check_transaction(op, transaction, position, *tenant, rows, writes);
}

// Role, grant and API key ops: system ops (tenant 0), allowed by the checker, then the rules apply
// will run, on the pending roles and grants (which they advance when the op is admitted).
Result<AdmitResult> Admission::check_access_op(const Op& op, Position position,
                                               const Catalog& catalog,
                                               AccessControl& access) const {
    if (op.tenant.value() != 0) {
        return refuse(Outcome::invalid_definition,
                      std::string(op_kind_name(op.kind())) +
                          " is a system op, logged for tenant 0, not tenant " +
                          std::to_string(op.tenant.value()));
    }
    if (auto denied = KB_TRY(check_permission(op, nullptr, position, catalog, access))) {
        return std::move(*denied);
    }
    std::string detail;
    Outcome outcome = Outcome::ok;
    if (const auto* role = std::get_if<RoleOp>(&op.body)) {
        outcome = access.apply(*role, position, catalog, &detail, nullptr);
    } else if (const auto* key = std::get_if<ApiKeyOp>(&op.body)) {
        outcome = access.apply(*key, position, catalog, &detail, nullptr);
    } else {
        outcome = access.apply(std::get<GrantOp>(op.body), op.principal, position, catalog, &detail,
                               nullptr);
    }
    if (outcome != Outcome::ok) return refuse(outcome, std::move(detail));
    return AdmitResult{};
}

Result<std::optional<AdmitResult>> Admission::check_permission(const Op& op,
                                                               const TenantCatalog* tenant,
                                                               Position position,
                                                               const Catalog& catalog,
                                                               const AccessControl& access) const {
    const PermissionDecision decision =
        permissions_.check(permission_request_for(op, tenant, position),
                           PermissionContext{.access = &access, .catalog = &catalog});
    if (decision.allowed()) return std::optional<AdmitResult>();
    return std::optional<AdmitResult>(refuse(Outcome::permission_denied, decision.reason));
}

TenantId Admission::next_tenant_id_in(const Catalog& catalog) {
    const auto& tenants = catalog.tenants();
    return tenants.empty() ? TenantId(1) : TenantId(tenants.rbegin()->first.value() + 1);
}

}  // namespace kb::kernel
