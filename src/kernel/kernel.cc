// Kernel: opening from the store, publishing, the op dispatch with idempotency, and the op
// kinds that touch only the catalog (create tenant, reserve sequence, configure). Streams and
// transactions are in kernel_apply_streams.cc and kernel_apply_transaction.cc, roles and grants
// (and the permission re-check) in kernel_apply_roles.cc.
//
// Refusals. Admission rules out what a user can get wrong before an op is logged, so apply
// should only ever see ops that succeed, repeats, and (after a bug upstream) invalid effects.
// Should a logged op fail a check all the same (a name taken, a stream deleted, an offset that
// moved, an unknown tenant), apply does not stop the replica: it records the outcome in the
// ApplyResult and changes nothing but the applied position and the timestamp index, exactly
// alike on every replica and every replay. Stopping would turn one bad op into a replica that
// can never replay its own log.
//
// Per op, in order: the tenant must exist and not be dropped (system ops: create tenant, drop
// tenant, configure, role, grant and api key are logged for tenant 0); a repeated idempotency id
// within the retention returns the original result; the principal must be allowed the op by the
// grants as of its position; the op kind applies; an ok op then records its idempotency id and
// prunes expired records (idempotency.h). A new tenant's id is 1 + the largest id so far (1 for the
// first): the create-tenant op carries none, and the primary's admission computes the same.
#include "kernel/kernel.h"

#include <algorithm>

#include "base/endian.h"
#include "kernel/catalog_codec.h"
#include "kernel/catalog_entries.h"
#include "kernel/idempotency.h"
#include "kernel/kernel_reads.h"
#include "kernel/kernel_state.h"
#include "kernel/kernel_trees.h"
#include "kernel/wire.h"

namespace kb::kernel {

struct Kernel::State : KernelState {
    using KernelState::KernelState;
};

namespace {

std::array<u8, 8> le64(u64 value) {
    std::array<u8, 8> bytes;
    store_le_u64(bytes.data(), value);
    return bytes;
}

std::string tenant_name(TenantId tenant) { return "tenant " + std::to_string(tenant.value()); }

Result<ApplyResult> apply_create_tenant(KernelState& state, const CreateTenantOp& op, Position at) {
    // The id is not in the op: it is one more than the largest so far, which the primary's
    // admission computes the same way when it makes the tenant's keys.
    const auto& tenants = state.catalog.tenants();
    const TenantId id(tenants.empty() ? 1 : tenants.rbegin()->first.value() + 1);
    TenantInfo info{
        .id = id, .name = op.name, .created = at, .kek = op.kek, .root_key = op.root_key};
    if (Outcome outcome = state.catalog.create_tenant(info, at); outcome != Outcome::ok) {
        return refusal(outcome, "tenant \"" + op.name + "\"");
    }
    const TenantCatalog& tenant = *state.catalog.tenant(id);
    for (u64 number : trees::kTenantTreeNumbers) {
        KB_TRY(state.store.create_tree(store::TreeId{id, number}));
    }
    KB_TRY(
        state.store.put(trees::kTenants, trees::tenant_key(id), encode_tenant_info(tenant.info())));
    note_schema_change(state, {}, tenant);
    state.idempotency_oldest[id] = std::nullopt;
    ApplyResult result;
    result.tenant = id;
    return result;
}

// The tenant stays in the catalog, its trees and keys with it, so its history can still be read
// and verified; it is marked dropped, which frees its name and refuses its later ops.
Result<ApplyResult> apply_drop_tenant(KernelState& state, const DropTenantOp& op, Position at) {
    TenantCatalog* tenant = state.catalog.tenant(op.tenant);
    if (tenant == nullptr || tenant->info().is_dropped()) {
        return refusal(Outcome::no_such_tenant, tenant_name(op.tenant));
    }
    std::vector<Bytes> before = tenant_schema_entries(*tenant);
    KB_ASSERT(state.catalog.drop_tenant(op.tenant, at) == Outcome::ok);
    KB_TRY(drop_tenant_api_keys(state, op.tenant, at));
    KB_TRY(state.store.put(trees::kTenants, trees::tenant_key(op.tenant),
                           encode_tenant_info(tenant->info())));
    note_schema_change(state, std::move(before), *tenant);
    return ApplyResult{};
}

ApplyResult apply_configure(KernelState& state, const ConfigureOp& op) {
    if (op.setting == Setting::idempotency_retention_positions && op.value == 0) {
        return refusal(Outcome::invalid_definition,
                       std::string(setting_name(op.setting)) + " must be at least 1");
    }
    const u64 old_value = setting_value(state.settings, op.setting);
    if (!setting_is_default(op.setting, old_value)) {
        state.hash.remove(setting_entry(op.setting, old_value));
    }
    set_setting(state.settings, op.setting, op.value);
    if (!setting_is_default(op.setting, op.value)) {
        state.hash.add(setting_entry(op.setting, op.value));
    }
    return ApplyResult{};
}

ApplyResult apply_reserve(KernelState& state, TenantCatalog& tenant, const ReserveSequenceOp& op,
                          Position at) {
    std::vector<Bytes> before = tenant_schema_entries(tenant);
    ApplyResult result;
    const Outcome outcome = tenant.reserve(op.sequence, op.count, at, &result.block);
    if (outcome != Outcome::ok) {
        return refusal(outcome, "sequence " + std::to_string(op.sequence.value()));
    }
    note_schema_change(state, std::move(before), tenant);
    return result;
}

const IdempotencyId* idempotency_of(const Op& op) {
    const IdempotencyId* id = nullptr;
    if (const auto* append = std::get_if<AppendBatchOp>(&op.body)) id = &append->idempotency;
    if (const auto* txn = std::get_if<TransactionOp>(&op.body)) id = &txn->idempotency;
    return id != nullptr && !id->is_none() ? id : nullptr;
}

// After an op of `tenant` came out ok: records its idempotency id (if any) and prunes expired
// records.
Status record_and_prune(KernelState& state, TenantId tenant, const Op& op, Position at,
                        const ApplyResult& result,
                        const std::optional<IdempotencyRecord>& expired) {
    const u64 retention = state.settings.idempotency_retention_positions;
    if (const IdempotencyId* id = idempotency_of(op)) {
        KB_TRY(idempotency::put(state.store, state.hash, tenant, *id,
                                IdempotencyRecord{at, op.kind(), result}, expired));
        auto cached = state.idempotency_oldest.find(tenant);
        if (expired) {
            state.idempotency_oldest.erase(tenant);  // the oldest may have been replaced
        } else if (cached != state.idempotency_oldest.end() && !cached->second) {
            cached->second = at;
        }
    }
    auto cached = state.idempotency_oldest.find(tenant);
    if (cached == state.idempotency_oldest.end()) {
        cached = state.idempotency_oldest
                     .emplace(tenant, KB_TRY(idempotency::oldest(state.store, tenant)))
                     .first;
    }
    if (cached->second && !idempotency::within_retention(*cached->second, at, retention)) {
        cached->second = KB_TRY(idempotency::prune(state.store, state.hash, tenant, at, retention,
                                                   idempotency::kPruneMax));
    }
    return Status::ok();
}

Result<ApplyResult> apply_tenant_op(KernelState& state, const Op& op, Position at) {
    TenantCatalog* tenant = op.tenant.value() == 0 ? nullptr : state.catalog.tenant(op.tenant);
    if (tenant == nullptr) return refusal(Outcome::no_such_tenant, tenant_name(op.tenant));
    if (tenant->info().is_dropped()) {
        return refusal(Outcome::no_such_tenant, tenant_name(op.tenant) +
                                                    " was dropped at position " +
                                                    std::to_string(tenant->info().dropped.value()));
    }

    // A repeat of an idempotency id whose record is within the retention: the original result.
    std::optional<IdempotencyRecord> expired;
    if (const IdempotencyId* id = idempotency_of(op)) {
        auto record = KB_TRY(idempotency::find(state.store.working_view(), op.tenant, *id));
        if (record && idempotency::within_retention(
                          record->position, at, state.settings.idempotency_retention_positions)) {
            ApplyResult repeat = record->result;
            if (record->kind != op.kind()) {
                repeat = refusal(Outcome::duplicate_idempotency,
                                 "idempotency id " + id->to_hex() + " was used by a " +
                                     std::string(op_kind_name(record->kind)) + " op at position " +
                                     std::to_string(record->position.value()));
            }
            repeat.repeated = true;
            repeat.original = record->position;
            return repeat;
        }
        expired = std::move(record);
    }
    if (auto denied = recheck_permission(state, op, at)) return std::move(*denied);

    ApplyResult result;
    switch (op.kind()) {
        case OpKind::create_stream:
            result =
                KB_TRY(apply_create_stream(state, *tenant, std::get<CreateStreamOp>(op.body), at));
            break;
        case OpKind::delete_stream:
            result =
                KB_TRY(apply_delete_stream(state, *tenant, std::get<DeleteStreamOp>(op.body), at));
            break;
        case OpKind::append_batch:
            result = KB_TRY(apply_append(state, *tenant, std::get<AppendBatchOp>(op.body), at));
            break;
        case OpKind::reserve_sequence:
            result = apply_reserve(state, *tenant, std::get<ReserveSequenceOp>(op.body), at);
            break;
        case OpKind::transaction:
            result =
                KB_TRY(apply_transaction(state, *tenant, std::get<TransactionOp>(op.body), at));
            break;
        default:
            KB_ASSERT(false);
    }
    if (result.outcome == Outcome::ok) {
        KB_TRY(record_and_prune(state, op.tenant, op, at, result, expired));
    }
    return result;
}

}  // namespace

// --- shared helpers (kernel_state.h) -----------------------------------------------------------

ApplyResult refusal(Outcome outcome, std::string detail) {
    ApplyResult result;
    result.outcome = outcome;
    result.detail = std::move(detail);
    return result;
}

Status ensure_system_trees(KernelState& state) {
    if (state.system_trees_ready) return Status::ok();
    for (store::TreeId tree : trees::kSystemTrees) {
        if (!KB_TRY(state.store.has_tree(tree))) KB_TRY(state.store.create_tree(tree));
    }
    state.system_trees_ready = true;
    return Status::ok();
}

void note_stream_change(KernelState& state, TenantId tenant, StreamId stream,
                        const StreamInfo* before) {
    const auto key = std::make_pair(tenant, stream);
    // The first change since the last sync decides what the hash holds.
    state.streams_unhashed.try_emplace(
        key, before ? std::optional<StreamInfo>(*before) : std::optional<StreamInfo>());
    state.streams_unwritten.insert(key);
}

void sync_stream_hashes(KernelState& state) {
    for (const auto& [key, hashed] : state.streams_unhashed) {
        const TenantCatalog* tenant = state.catalog.tenant(key.first);
        KB_ASSERT(tenant != nullptr);
        const StreamInfo* now = tenant->stream(key.second);
        KB_ASSERT(now != nullptr);
        if (hashed && *hashed == *now) continue;
        if (hashed) state.hash.remove(stream_entry(key.first, *hashed));
        state.hash.add(stream_entry(key.first, *now));
    }
    state.streams_unhashed.clear();
}

void note_schema_change(KernelState& state, std::vector<Bytes> before, const TenantCatalog& after) {
    std::vector<Bytes> now = tenant_schema_entries(after);
    std::sort(before.begin(), before.end());
    std::sort(now.begin(), now.end());
    // A merge of the two sorted lists: entries in both stay as they are.
    auto old_it = before.begin();
    auto new_it = now.begin();
    while (old_it != before.end() || new_it != now.end()) {
        if (new_it == now.end() || (old_it != before.end() && *old_it < *new_it)) {
            state.hash.remove(*old_it++);
        } else if (old_it == before.end() || *new_it < *old_it) {
            state.hash.add(*new_it++);
        } else {
            ++old_it;
            ++new_it;
        }
    }
    state.schemas_unwritten.insert(after.info().id);
}

Bytes append_entry(TenantId tenant, StreamId stream, Offset first,
                   const trees::StoredAppend& append) {
    return state_entry(StateEntryKind::append,
                       {le64(tenant.value()), le64(stream.value()), le64(first.value()),
                        le64(append.position.value()), le64(append.count), le64(append.bytes),
                        append.digest.bytes()});
}

Bytes setting_entry(Setting setting, u64 value) {
    u8 number[2];
    store_le_u16(number, static_cast<u16>(setting));
    return state_entry(StateEntryKind::setting, {ByteSpan(number, 2), le64(value)});
}

u64 setting_value(const Settings& settings, Setting setting) {
    switch (setting) {
        case Setting::idempotency_retention_positions:
            return settings.idempotency_retention_positions;
    }
    KB_ASSERT(false);
    return 0;
}

bool setting_is_default(Setting setting, u64 value) {
    return setting_value(Settings{}, setting) == value;
}

void set_setting(Settings& settings, Setting setting, u64 value) {
    switch (setting) {
        case Setting::idempotency_retention_positions:
            settings.idempotency_retention_positions = value;
            return;
    }
    KB_ASSERT(false);
}

Bytes encode_meta(const KernelState& state) {
    WireWriter out;
    out.reserve(1 + 8 + StateHash::kEncodedSize + 2 + 10 * static_cast<usize>(kSettingMax));
    out.u8(kKernelMetaFormatVersion);
    out.u64(state.last_timestamp.value());
    out.raw(state.hash.encode());
    out.u16(static_cast<u16>(kSettingMax));
    for (u16 number = 1; number <= static_cast<u16>(kSettingMax); ++number) {
        const auto setting = static_cast<Setting>(number);
        out.u16(number);
        out.u64(setting_value(state.settings, setting));
    }
    return out.take();
}

Result<DecodedMeta> decode_meta(ByteSpan meta) {
    if (meta.empty() || meta[0] != kKernelMetaFormatVersion) {
        return Status::unsupported(
            "kernel meta: format version " +
            (meta.empty() ? std::string("missing") : std::to_string(meta[0])) +
            " (this build reads version " + std::to_string(kKernelMetaFormatVersion) +
            "; rebuild the store from the log with `kmb rebuild`)");
    }
    WireReader in(meta.subspan(1), "kernel meta");
    DecodedMeta decoded;
    decoded.last_timestamp = Timestamp(in.u64("last timestamp"));
    const ByteSpan lanes = in.raw(StateHash::kEncodedSize, "state hash");
    const u16 count = in.u16("setting count");
    for (u16 i = 0; i < count && in.ok(); ++i) {
        const u16 number = in.u16("setting");
        const u64 value = in.u64("setting value");
        if (!in.ok()) break;
        if (number != i + 1 || number > static_cast<u16>(kSettingMax)) {
            in.fail("setting " + std::to_string(number) + " out of order or unknown");
            break;
        }
        set_setting(decoded.settings, static_cast<Setting>(number), value);
    }
    KB_TRY(in.finish());
    decoded.hash = KB_TRY(StateHash::decode(lanes));
    return decoded;
}

Result<StateHash> state_hash_in_meta(ByteSpan meta) {
    if (meta.empty()) return StateHash{};
    return KB_TRY(decode_meta(meta)).hash;
}

// --- Kernel --------------------------------------------------------------------------------------

Kernel::Kernel(std::unique_ptr<State> state) : state_(std::move(state)) {}
Kernel::~Kernel() = default;

Result<std::unique_ptr<Kernel>> Kernel::open(store::Store& store) {
    auto state = std::make_unique<State>(store);
    // The latest published state, which after Store::open is the last durable checkpoint.
    const store::Snapshot snapshot = store.snapshot();
    state->applied = snapshot.applied();
    if (!snapshot.meta().empty()) {
        auto meta = decode_meta(snapshot.meta());
        if (!meta) return meta.error().with_context("opening the kernel");
        state->last_timestamp = meta->last_timestamp;
        state->hash = meta->hash;
        state->settings = meta->settings;
    } else if (state->applied != Position::none()) {
        return Status::corruption("opening the kernel: the store is at position " +
                                  to_string(state->applied) + " but has no kernel meta");
    }
    auto catalog = reads::catalog(snapshot);
    if (!catalog) return catalog.error().with_context("opening the kernel");
    state->catalog = std::move(*catalog);
    if (Status loaded = load_access(*state, snapshot); !loaded.is_ok()) {
        return loaded.with_context("opening the kernel");
    }
    state->system_trees_ready = true;
    for (store::TreeId tree : trees::kSystemTrees) {
        if (!KB_TRY(snapshot.has_tree(tree))) state->system_trees_ready = false;
    }
    return std::unique_ptr<Kernel>(new Kernel(std::move(state)));
}

Position Kernel::applied() const { return state_->applied; }

Result<ApplyResult> Kernel::apply(const Op& op, const ApplyContext& context) {
    State& state = *state_;
    KB_ASSERT(context.position > state.applied);
    KB_ASSERT(context.timestamp >= state.last_timestamp);
    KB_ASSERT(op.tenant == context.tenant && op.principal == context.principal);
    KB_TRY(ensure_system_trees(state));
    const Position at = context.position;

    ApplyResult result;
    switch (op.kind()) {
        case OpKind::create_tenant:
        case OpKind::configure:
        case OpKind::role:
        case OpKind::grant:
        case OpKind::drop_tenant:
        case OpKind::api_key:
            // System ops: tenant 0.
            if (op.tenant.value() != 0) {
                result = refusal(Outcome::invalid_definition,
                                 std::string(op_kind_name(op.kind())) +
                                     " is a system op, logged for tenant 0, not " +
                                     tenant_name(op.tenant));
            } else if (auto denied = recheck_permission(state, op, at)) {
                result = std::move(*denied);
            } else if (op.kind() == OpKind::create_tenant) {
                result = KB_TRY(apply_create_tenant(state, std::get<CreateTenantOp>(op.body), at));
            } else if (op.kind() == OpKind::configure) {
                result = apply_configure(state, std::get<ConfigureOp>(op.body));
            } else if (op.kind() == OpKind::drop_tenant) {
                result = KB_TRY(apply_drop_tenant(state, std::get<DropTenantOp>(op.body), at));
            } else if (op.kind() == OpKind::role) {
                result = KB_TRY(apply_role(state, std::get<RoleOp>(op.body), at));
            } else if (op.kind() == OpKind::api_key) {
                result = KB_TRY(apply_api_key(state, std::get<ApiKeyOp>(op.body), at));
            } else {
                result = KB_TRY(apply_grant(state, std::get<GrantOp>(op.body), op.principal, at));
            }
            break;
        default:
            result = KB_TRY(apply_tenant_op(state, op, at));
            break;
    }

    state.applied = at;
    // Timestamps never decrease, so a timestamp equal to the previous op's replaces its entry.
    auto& timestamps = state.timestamps_unwritten;
    if (!timestamps.empty() && timestamps.back().first == context.timestamp) {
        timestamps.back().second = at;
    } else {
        timestamps.emplace_back(context.timestamp, at);
    }
    state.last_timestamp = context.timestamp;
    return result;
}

Status Kernel::publish() {
    State& state = *state_;
    sync_stream_hashes(state);
    for (const auto& [tenant_id, stream_id] : state.streams_unwritten) {
        const StreamInfo* stream = state.catalog.tenant(tenant_id)->stream(stream_id);
        KB_TRY(state.store.put(trees::streams(tenant_id), trees::stream_key(stream_id),
                               encode_stream_info(*stream)));
    }
    state.streams_unwritten.clear();
    for (TenantId tenant_id : state.schemas_unwritten) {
        KB_TRY(state.store.put(trees::catalog(tenant_id), trees::kCatalogKey,
                               encode_tenant_schema(*state.catalog.tenant(tenant_id))));
    }
    state.schemas_published = std::move(state.schemas_unwritten);
    state.schemas_unwritten.clear();
    for (const auto& [timestamp, position] : state.timestamps_unwritten) {
        u8 value[8];
        store_le_u64(value, position.value());
        KB_TRY(state.store.put(trees::kTimestamps, trees::timestamp_key(timestamp),
                               ByteSpan(value, 8)));
    }
    state.timestamps_unwritten.clear();
    return state.store.publish(state.applied, encode_meta(state));
}

const std::set<TenantId>& Kernel::published_schema_changes() const {
    return state_->schemas_published;
}

const Catalog& Kernel::catalog() const { return state_->catalog; }

const AccessControl& Kernel::access() const { return state_->access; }

const StateHash& Kernel::state_hash() const {
    sync_stream_hashes(*state_);
    return state_->hash;
}

const Settings& Kernel::settings() const { return state_->settings; }

std::vector<crypto::TenantWrappedKeys> Kernel::tenant_keys() const {
    std::vector<crypto::TenantWrappedKeys> keys;
    for (const auto& [id, tenant] : state_->catalog.tenants()) {
        keys.push_back({.tenant = id, .kek = tenant.info().kek, .root = tenant.info().root_key});
    }
    return keys;
}

Result<std::optional<IdempotencyRecord>> Kernel::idempotency(TenantId tenant,
                                                             const IdempotencyId& id,
                                                             Position at) const {
    if (id.is_none() || state_->catalog.tenant(tenant) == nullptr) {
        return std::optional<IdempotencyRecord>();
    }
    auto record = KB_TRY(idempotency::find(state_->store.working_view(), tenant, id));
    if (record && !idempotency::within_retention(
                      record->position, at, state_->settings.idempotency_retention_positions)) {
        record.reset();
    }
    return record;
}

}  // namespace kb::kernel
