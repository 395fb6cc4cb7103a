// The kernel's state and the helpers its apply files share (kernel.cc, kernel_apply_*.cc).
// Internal to src/kernel: everything else goes through kernel.h and kernel_reads.h.
//
// What is written when. Apply writes events, row versions, index entries, idempotency records
// and new trees straight into the store. Three kinds of record change on nearly every op and
// would otherwise be rewritten op after op: a stream's record (its next offset), a tenant's
// schema record (sequence reservations), and the timestamp index. Those are kept in memory as
// "unwritten" and written by publish(), before the store publishes, so every published state
// (and so every checkpoint) holds them. The state hash is kept exact at every op except for
// streams, whose entries are brought up to date by sync_stream_hashes() (called by publish()
// and Kernel::state_hash()): an append then costs one hash add (its append entry) instead of three.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kernel/access_control.h"
#include "kernel/catalog.h"
#include "kernel/kernel.h"
#include "kernel/kernel_trees.h"
#include "kernel/state_hash.h"
#include "store/store.h"

namespace kb::kernel {

// 2: one state hash entry per append op instead of one per event.
// 3: the events tree holds one record per append (its position, count, bytes, digest) instead
//    of a copy of every event, and the append's hash entry is that record (kind 12).
// An older store's trees and hash are laid out the old way, so it is refused; `kmb rebuild`
// makes the store again from the log.
inline constexpr u8 kKernelMetaFormatVersion = 3;

struct KernelState {
    explicit KernelState(store::Store& store_in) : store(store_in) {}

    store::Store& store;
    Position applied;
    Timestamp last_timestamp;
    Catalog catalog;
    AccessControl access;  // roles and grants (also in the roles and grants trees)
    StateHash hash;        // exact except for streams_unhashed (see the top)
    Settings settings;
    bool system_trees_ready = false;

    // Streams changed since their entries were last synced into `hash`: the info the hash
    // holds for each (nullopt: none yet, a new stream).
    std::map<std::pair<TenantId, StreamId>, std::optional<StreamInfo>> streams_unhashed;
    // Records publish() must write.
    std::set<std::pair<TenantId, StreamId>> streams_unwritten;
    std::set<TenantId> schemas_unwritten;
    std::set<TenantId> schemas_published;  // schemas_unwritten as of the last publish()
    std::vector<std::pair<Timestamp, Position>> timestamps_unwritten;

    // Per tenant, the position of its oldest idempotency record (nullopt: none); a tenant
    // missing from the map has not been looked up yet. Spares a store read per op.
    std::map<TenantId, std::optional<Position>> idempotency_oldest;
};

// --- results -----------------------------------------------------------------------------------

ApplyResult refusal(Outcome outcome, std::string detail);

// --- bookkeeping shared by the op kinds --------------------------------------------------------

// Creates the system trees if the store does not have them yet (the first apply).
Status ensure_system_trees(KernelState& state);

// Notes that stream `stream` of `tenant` is about to change (or was just created, with
// `before` nullptr): its hash entry and record are brought up to date later.
void note_stream_change(KernelState& state, TenantId tenant, StreamId stream,
                        const StreamInfo* before);
// Replaces the hash entries of every noted stream with its current entry.
void sync_stream_hashes(KernelState& state);

// Replaces the tenant's schema entries taken before a change (tenant_schema_entries) with
// those of `after` in the hash, touching only entries that differ, and notes the tenant's
// schema record for publish().
void note_schema_change(KernelState& state, std::vector<Bytes> before, const TenantCatalog& after);

// Entries of the state hash that the catalog and the MVCC trees do not already describe.
//
// The events one append op wrote are one entry: an LtHash add costs a 2 KiB BLAKE3 expansion
// (~0.25 us), which per event was a quarter of applying a 100-event append. The entry holds the
// append's record in the events tree (kernel_trees.h: position, count, bytes and the events'
// digest), so compute_state_hash makes it from that record alone.
Bytes append_entry(TenantId tenant, StreamId stream, Offset first,
                   const trees::StoredAppend& append);
Bytes setting_entry(Setting setting, u64 value);
// A setting is in the hash only while it differs from its default, so adding a setting in a
// later version changes no existing state hash.
u64 setting_value(const Settings& settings, Setting setting);
bool setting_is_default(Setting setting, u64 value);
void set_setting(Settings& settings, Setting setting, u64 value);

// The kernel's meta bytes (docs/FORMATS.md, "Kernel state").
Bytes encode_meta(const KernelState& state);
struct DecodedMeta {
    Timestamp last_timestamp;
    StateHash hash;
    Settings settings;
};
Result<DecodedMeta> decode_meta(ByteSpan meta);

// --- the op kinds (kernel_apply_*.cc). `tenant` is the op's tenant, which exists. ------------

Result<ApplyResult> apply_create_stream(KernelState& state, TenantCatalog& tenant,
                                        const CreateStreamOp& op, Position at);
Result<ApplyResult> apply_delete_stream(KernelState& state, TenantCatalog& tenant,
                                        const DeleteStreamOp& op, Position at);
Result<ApplyResult> apply_append(KernelState& state, TenantCatalog& tenant, const AppendBatchOp& op,
                                 Position at);
Result<ApplyResult> apply_transaction(KernelState& state, TenantCatalog& tenant,
                                      const TransactionOp& op, Position at);

// --- roles and grants (kernel_apply_roles.cc): system ops of tenant 0 ---------------------------

Result<ApplyResult> apply_role(KernelState& state, const RoleOp& op, Position at);
Result<ApplyResult> apply_grant(KernelState& state, const GrantOp& op, PrincipalId by, Position at);
// The permission re-check of apply (DESIGN.md §3: grants as of the op's position, which for
// apply is the applied state): nullopt when `op` is allowed, else its refusal.
std::optional<ApplyResult> recheck_permission(const KernelState& state, const Op& op, Position at);
// Loads the roles and grants trees into state.access (Kernel::open).
Status load_access(KernelState& state, const store::Snapshot& snapshot);

// --- API keys (kernel_apply_api_keys.cc): system ops of tenant 0 -------------------------------

Result<ApplyResult> apply_api_key(KernelState& state, const ApiKeyOp& op, Position at);
// Drops the keys scoped to a tenant being dropped (apply_drop_tenant).
Status drop_tenant_api_keys(KernelState& state, TenantId tenant, Position at);
// Writes the API keys an access change added and ends those it removed (write_changes).
Status write_api_key_changes(KernelState& state, const AccessChanges& changes, Position at);
// Loads the API keys tree into state.access (load_access).
Status load_api_keys(KernelState& state, const store::Snapshot& snapshot);

}  // namespace kb::kernel
