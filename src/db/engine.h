// Engine: one database node's write and read paths, on the event loop (DESIGN.md §3).
//
//     submit(op) ─▶ admission (conflicts, names, offsets, grants; against applied state plus
//                   ops admitted but not yet applied) ─▶ position + timestamp ─▶ seal into a
//                   record ─▶ Log::append ─▶ durable ─▶ Kernel::apply (in position order) ─▶
//                   callback with the apply result
//
// A refused op is never logged: the callback gets its outcome at once (on a later loop turn).
// This is the one write path, and it runs through a VSR replica (vsr/replica.h): the engine is
// the replica's state machine (prepare = admission and sealing at the position the replica
// gives, commit = apply) and submits its ops as the replica's in-process client. The embedded
// database is a cluster of one: no network, everything durable is committed. A replica of a
// larger cluster also serves network clients (registered sessions, vsr/replica.h), whose
// requests are ops as the log holds them (engine_wire.h) — a create-tenant by name only: the
// primary's prepare makes the tenant's keys and logs them wrapped in the op; backups never
// make keys, they take them from the log.
//
// Opening: an empty data directory is initialised (genesis record at position 1: the cluster's
// identity and the wrapped system root key; then tenant "default"). Otherwise the genesis
// record gives the system keys, the store's last checkpoint gives the kernel's state and the
// tenants' wrapped keys, the client table saved for that checkpoint gives the replica's client
// sessions, and the replica applies the log after the checkpoint (a cluster of one everything
// durable, at once; a larger one what it learns is committed).
//
// Checkpoints (every checkpoint_every_ops committed records, and at close) bound that replay.
// The client table as of a checkpoint is made durable before the checkpoint is, so recovery
// always has the pair (docs/ARCHITECTURE.md "Client sessions").
//
// Threads: everything on the loop thread, except snapshot() and reading through a Snapshot.
// Engine does not own its Storage, loop, keys, randomness or clock (the embedded Database and
// the simulator provide them).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/genesis.h"
#include "db/key_manager.h"
#include "io/clock.h"
#include "io/event_loop.h"
#include "io/storage.h"
#include "kernel/admission.h"
#include "kernel/kernel.h"
#include "kernel/op.h"
#include "kernel/permissions.h"
#include "storage/log.h"
#include "store/store.h"
#include "vsr/replica.h"
#include "vsr/state_machine.h"
#include "vsr/superblock.h"

namespace kb::db {

// The principal of the embedded API: the database's own administrator, built in (no role, may
// do everything; kernel/access_control.h). Roles made with CREATE ROLE get ids of their own.
inline constexpr PrincipalId kAdminPrincipal = kernel::kBootstrapPrincipal;
// The principal of what the database does by itself (the default tenant at initialisation).
inline constexpr PrincipalId kSystemPrincipal = kernel::kSystemPrincipal;

// Which replica of which cluster the engine is. The default: a cluster of one, no network.
struct ReplicationOptions {
    u8 replica = 0;
    u8 replica_count = 1;
    // The bus to the other replicas and to clients (must outlive the engine); null: none (a
    // cluster of one serving only in-process requests).
    io::MessageBus* bus = nullptr;
    // For a new replica of a cluster of more than one: the cluster's genesis record
    // (make_genesis_record), the same bytes on every replica.
    std::optional<Bytes> genesis_record{};
    // Timeouts, pipeline and the like; signing key and sizes are set from EngineOptions.
    vsr::ReplicaOptions protocol{};
};

struct EngineOptions {
    ReplicationOptions replication{};
    storage::LogOptions log{};
    store::StoreOptions store{};
    // An op whose encoding is larger is refused (op_too_large) before it is logged.
    u64 op_size_max_bytes = 64ull << 20;
    // A store checkpoint after this many committed records (every client's ops, ops other
    // primaries prepared, logged refusals; and on close): bounds what a restart applies again.
    // A checkpoint also starts once the pages not yet checkpointed (which the page cache may
    // not evict) take half of store.cache_bytes, so big ops cannot pin memory without bound.
    // Every checkpoint rewrites each page changed since the last one: with random keys that is
    // most of a table's leaves, so checkpointing rarely is what keeps small writes cheap.
    u64 checkpoint_every_ops = 200'000;
    // The name of the tenant created with a new data directory.
    std::string default_tenant = "default";
    // Signs attestations (vsr::ReplicaOptions::signing_key); null: none. Must outlive the
    // engine.
    const crypto::Ed25519SigningKey* node_key = nullptr;
    // 0: attestations only on demand.
    u64 attestation_every_ops = 10'000;
    // A cluster of one applies the log past the store's checkpoint inside open() anyway (its
    // replica commits everything durable as it starts); with this, after_replayed_op is called
    // for each record applied so, and the store checkpointed after them: `kmb rebuild` does.
    bool replay_at_open = false;
    // Called after each record applied at open with replay_at_open (e.g. `kmb rebuild` compares
    // state hashes at the old store's position); an error stops the open with it.
    std::function<Status(Position, const kernel::Kernel&)> after_replayed_op{};
    // Called after the replica commits each position (the record as logged, the kernel after
    // it): the simulator records what every replica applied. Loop thread; not for replay.
    std::function<void(Position, ByteSpan, const kernel::Kernel&)> after_commit{};
};

// What a submitted op came to: refused by admission (outcome != ok, nothing logged), or logged
// at `position` and applied with `applied`.
struct SubmitResult {
    kernel::Outcome outcome = kernel::Outcome::ok;
    std::string detail;  // why, for refusals (names the object)
    Position position;   // none when refused
    Timestamp timestamp;
    kernel::ApplyResult applied{};
};
using SubmitCallback = io::UniqueFunction<void(Result<SubmitResult>)>;

// The append logged at a position, as its record holds it (Engine::logged_appends).
struct LoggedAppend {
    Position position;
    TenantId tenant;  // the op's (none when the record holds no op)
    // nullopt: the record is not an append op (another op, genesis, an attestation).
    std::optional<kernel::AppendBatchOp> append;
};

// The Status a refused op's outcome stands for (its detail as the message): not_found,
// already_exists, conflict (offsets, serialization), permission_denied, out_of_range (size,
// exhausted sequences), invalid_argument for the rest.
Status status_of_outcome(kernel::Outcome outcome, const std::string& detail);

class Engine final : private vsr::StateMachine {
public:
    // Everything passed in must outlive the engine. Runs `loop` until opening is done (so call
    // it outside loop tasks).
    static Result<std::unique_ptr<Engine>> open(io::Storage& storage, io::EventLoop& loop,
                                                const crypto::MasterKeyProvider& master,
                                                crypto::RandomSource& random,
                                                const io::Clock& clock,
                                                const kernel::PermissionChecker& permissions,
                                                EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Admits, logs and applies one op of `tenant` on behalf of `principal` (loop thread).
    // Errors (the Result's Status) are operating errors: the log or store failed, and the
    // engine has stopped.
    void submit(TenantId tenant, PrincipalId principal, kernel::OpBody body, SubmitCallback done);

    // The latest published state: rows, streams and catalog as of applied_position(). Any
    // thread.
    store::Snapshot snapshot() const { return store_->snapshot(); }
    // The latest published snapshot and `tenant`'s catalog as of it (nullptr: no such tenant),
    // taken together. Any thread, without a loop round trip: what a transaction starts from
    // (a thread hand-off per begin costs more than a point read). The catalog is an immutable
    // copy made when a publish changed the tenant's schema; stream offsets in it may lag
    // (they change with every append and nothing reading through it uses them).
    struct Published {
        store::Snapshot snapshot;
        std::shared_ptr<const kernel::TenantCatalog> catalog;
    };
    Published published(TenantId tenant) const;
    // Loop thread only.
    const kernel::Catalog& catalog() const { return kernel_->catalog(); }
    std::optional<TenantId> tenant_id(std::string_view name) const;

    Position log_position() const { return log_->durable_position(); }
    const vsr::Replica& replica() const { return *replica_; }
    // For checkers (the simulator): the log, and the view the superblock holds durably.
    storage::Log& log() { return *log_; }
    View durable_view() const { return superblock_->durable().view; }
    // Logs an attestation now (loop thread; vsr::Replica::attest).
    void attest(io::UniqueFunction<void(Result<Position>)> done) {
        replica_->attest(std::move(done));
    }
    Position applied_position() const { return kernel_->applied(); }
    // The ops logged at `positions` (ascending, distinct, applied), read through the log's
    // verified read path (storage::Log::read: checksums and the hash chain up to what the log
    // trusts) and decoded with the tenants' keys, one entry per position. corruption when the
    // log refuses a record or a record does not decode; internal when a position is beyond the
    // durable log. Loop thread only (the log's reads update what it knows to be verified). For
    // reading stream events (stream_reads.h).
    Result<std::vector<LoggedAppend>> logged_appends(std::span<const Position> positions);
    const Genesis& genesis() const { return genesis_; }
    const kernel::Kernel& kernel() const { return *kernel_; }
    KeyManager& keys() { return keys_; }
    // The status every call fails with once the engine has stopped (ok until then).
    const Status& failure() const { return failure_; }

    // Publishes and makes the store's state durable (also done every checkpoint_every_ops).
    void checkpoint(io::UniqueFunction<void(Status)> done);
    // A checkpoint has started and not finished (the simulator crashes replicas in one).
    bool checkpoint_in_flight() const {
        return checkpoint_running_ || store_->checkpoint_in_flight();
    }
    // Publish, checkpoint, and wait (runs the loop: outside loop tasks only). busy, changing
    // nothing, while snapshots are alive: every Snapshot must end before the engine.
    Status close();
    usize live_snapshots() const { return store_->live_snapshots(); }

private:
    Engine(io::Storage& storage, io::EventLoop& loop, const crypto::MasterKeyProvider& master,
           crypto::RandomSource& random, const io::Clock& clock,
           const kernel::PermissionChecker& permissions, EngineOptions options);

    // engine_open.cc
    Status initialise_or_load_genesis();
    Status open_store_and_kernel();
    Status create_default_tenant();
    // Applies a logged record (decoding its op); the apply result for an op, nullopt for other
    // records (genesis, attestations).
    Result<std::optional<kernel::ApplyResult>> apply_logged(ByteSpan record_bytes);

    Status open_replica();

    // engine_machine.cc: the replica's state machine, and what a submitted op waits with.
    struct Local {
        std::shared_ptr<kernel::Op> op;  // until prepared
        SubmitCallback done;
        std::optional<Result<SubmitResult>> answer;  // refused, repeated, or applied
        bool applied = false;  // applied here: answered after the publish that includes it
    };
    Result<vsr::Prepared> prepare(const vsr::PrepareInput& input) override;
    Result<Bytes> commit(Position position, ByteSpan record) override;
    Result<Bytes> commit_record(Position position, ByteSpan record);
    void discard_after(Position position) override;
    Position applied() const override { return machine_applied_; }
    void on_local_reply(RequestNumber request, Result<Bytes> reply);
    Result<vsr::Prepared> log_refusal(const vsr::PrepareInput& input, TenantId tenant,
                                      PrincipalId principal, const Bytes& reply);

    // engine.cc
    // The kernel's publish, and the catalogs published() hands out refreshed with it.
    Status publish();
    void refresh_published_catalogs(const std::set<TenantId>& tenants);
    Timestamp next_timestamp();
    // Publishes at the end of this loop turn (once, for everything committed in it, so readers
    // of this node see every committed op, whoever sent it), then answers the in-process callers
    // waiting for it.
    void schedule_publish();
    // checkpoint_every_ops records since the last checkpoint, or half the cache dirty.
    bool checkpoint_due() const;
    void stop(Status status);
    Status run_until(const std::function<bool()>& done);

    io::Storage& storage_;
    io::EventLoop& loop_;
    const crypto::MasterKeyProvider& master_;
    crypto::RandomSource& random_;
    const io::Clock& clock_;
    const kernel::PermissionChecker& permissions_;
    EngineOptions options_;

    KeyManager keys_;
    Genesis genesis_{};
    std::unique_ptr<storage::Log> log_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<kernel::Kernel> kernel_;
    std::unique_ptr<kernel::Admission> admission_;

    Timestamp last_timestamp_;  // genesis only; the replica assigns op timestamps
    std::unique_ptr<vsr::Superblock> superblock_;
    std::unique_ptr<io::MessageBus> bus_;
    std::unique_ptr<vsr::Replica> replica_;
    Position machine_applied_;      // every record up to here is applied (or needs no apply)
    bool admission_stale_ = false;  // ops admitted elsewhere were applied since it was built
    RequestNumber last_request_;
    std::map<RequestNumber, Local> local_;
    // Ops prepared here and not yet committed, so commit need not decode them back.
    std::map<Position, std::shared_ptr<const kernel::Op>> prepared_;
    // Tenants whose keys a prepared create-tenant op added (removed if it is discarded).
    std::map<Position, TenantId> prepared_tenant_keys_;
    std::vector<std::pair<SubmitCallback, SubmitResult>> waiting_publish_;
    u64 applied_since_checkpoint_ = 0;  // records committed (by any client, any primary)
    bool replaying_ = false;            // replay_at_open: the replica applies the log at open
    bool publish_posted_ = false;
    bool checkpoint_running_ = false;
    Status failure_;
    // Held while publishing and while published() reads, so a snapshot and the catalogs always
    // come from the same publish.
    mutable std::mutex published_mutex_;
    std::map<TenantId, std::shared_ptr<const kernel::TenantCatalog>> published_catalogs_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kb::db
