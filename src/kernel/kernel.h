// Kernel: the deterministic state machine that turns logged ops into the derived view
// (DESIGN.md §3). apply(op, position, timestamp) is a pure function of the current state and
// its arguments: no clock, no randomness, no IO except through the store, no per-replica
// setting (replicated settings come from configure ops), no unordered iteration reaching
// bytes or hashes. So every replica, and every replay of the log, reaches the same state and
// the same state hash.
//
// Every logged op is a committed fact: the primary's admission (admission.h) already checked
// what a user can get wrong, so apply normally just installs the op. When an op fails a check
// at apply anyway — an idempotent repeat (the original result is returned), invalid_effect (a
// row effect that contradicts its table), or any other outcome a bug upstream could let
// through — apply records that Outcome in ApplyResult deterministically and changes nothing
// but the applied position and the timestamp index. It never asserts on logged input: an
// assertion there would stop the replica again on every replay of its own log.

// State lives in store trees (kernel_trees.h; docs/FORMATS.md, "Kernel state"): tenants, roles
// and grants (access_control.h), per-tenant catalog, streams, events, idempotency records, a
// timestamp -> position index, and each table and index as MVCC trees (store/mvcc.h) keyed by
// encoded keys (row_codec.h), whose versions are created and ended at the op's position, so a
// read as of any position P sees exactly the rows, index entries, schema, roles and grants of
// P. The catalog and the roles and grants are also kept in memory (catalog(), access()),
// reloaded from the store by open().
//
// Threads: apply / publish / open on the loop thread. Readers use kernel_reads.h on a
// store::Snapshot from any thread.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/key_hierarchy.h"
#include "kernel/access_control.h"
#include "kernel/catalog.h"
#include "kernel/op.h"
#include "kernel/outcome.h"
#include "kernel/state_hash.h"
#include "kimberlite/status.h"
#include "store/store.h"
#include "types/ids.h"

namespace kb::kernel {

// Where and when an op was logged: everything apply may depend on besides the op itself.
struct ApplyContext {
    Position position{};    // strictly increasing from one apply to the next (asserted)
    Timestamp timestamp{};  // the primary's timestamp for the op; never decreasing (asserted)
    TenantId tenant{};      // the record header's tenant and principal (must equal the op's)
    PrincipalId principal{};
};

// What an applied op came to. Fields other than outcome are set by the op kinds they name.
struct ApplyResult {
    Outcome outcome = Outcome::ok;
    std::string detail{};  // for an outcome other than ok: what, naming the object

    TenantId tenant{};        // create tenant: the new tenant's id
    StreamId stream{};        // create stream: the new stream's id
    Offset first_offset{};    // append batch: the offset of its first event
    u64 event_count = 0;      // append batch: events appended
    SequenceBlock block{};    // reserve sequence: the values reserved
    u64 row_versions = 0;     // transaction: row versions created plus versions ended
    PrincipalId principal{};  // create role: the new role's principal id

    // An idempotent repeat: the fields above are the original op's, and nothing changed.
    bool repeated = false;
    Position original{};  // for a repeat: the position the original op was applied at

    friend bool operator==(const ApplyResult&, const ApplyResult&) = default;
};

// Replicated settings (op.h, Setting), as applied so far.
struct Settings {
    u64 idempotency_retention_positions = 1'000'000;

    friend bool operator==(const Settings&, const Settings&) = default;
};

// An idempotency record: the op that first used an id, and what it came to.
struct IdempotencyRecord {
    Position position{};
    OpKind kind = OpKind::append_batch;
    ApplyResult result{};

    friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

class Kernel {
public:
    // The kernel over `store`, resuming from the store's last durable checkpoint (its meta and
    // trees: applied position, state hash, settings, catalog). An empty store gives an empty
    // kernel at position 0. corruption when meta or a catalog record does not decode.
    static Result<std::unique_ptr<Kernel>> open(store::Store& store);
    ~Kernel();
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    // The position of the last applied op (0 before any).
    Position applied() const;

    // Applies the op logged at context.position. Status errors are operating errors only
    // (the store failed or returned corrupt data): the caller must stop, the kernel's state is
    // then undefined. Domain outcomes are in the ApplyResult.
    Result<ApplyResult> apply(const Op& op, const ApplyContext& context);

    // Publishes everything applied so far (store publish with the kernel's meta: applied
    // position, state hash, settings). Cheap enough to call once per loop turn.
    Status publish();
    // The tenants whose schema (tables, indexes, sequences, the set of streams; not stream
    // offsets) changed in what the latest publish() published: who caches catalogs as of the
    // published state refreshes these.
    const std::set<TenantId>& published_schema_changes() const;

    const Catalog& catalog() const;
    // Roles and grants as applied so far (access_reads.h reads them as of a snapshot).
    const AccessControl& access() const;
    const StateHash& state_hash() const;
    const Settings& settings() const;

    // The wrapped keys of every tenant, in id order (the db layer builds keyrings from them).
    std::vector<crypto::TenantWrappedKeys> tenant_keys() const;

    // The idempotency record of `id` in `tenant` that a repeat at `at` would still see (not
    // pruned, within the retention), or nullopt.
    Result<std::optional<IdempotencyRecord>> idempotency(TenantId tenant, const IdempotencyId& id,
                                                         Position at) const;

private:
    struct State;
    explicit Kernel(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// The state hash recomputed from scratch by walking every tree of `view` (catalog, streams,
// events, idempotency records, every row version): equal to Kernel::state_hash() for the
// state published at view.applied(). For tests and `kmb rebuild`; costs a full scan.
Result<StateHash> compute_state_hash(const store::Snapshot& view);

// The state hash a checkpoint recorded, from the store's meta bytes (Store::meta()) alone:
// what `kmb rebuild` compares a rebuilt store with, without keys for tenant pages. corruption
// when the meta does not decode; the empty hash for an empty store's meta.
Result<StateHash> state_hash_in_meta(ByteSpan meta);

}  // namespace kb::kernel
