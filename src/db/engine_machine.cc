// Engine: the write path through the replica — submit() hands an op to the replica as its
// in-process client; the replica calls prepare() (admission, sealing) at the position it gives
// and commit() (apply) once the op is committed, then answers (see engine.h).
//
// In-process requests use client id 0: no client session (the embedded caller does not retry
// across restarts; idempotency ids are the API for that), and each request number names one
// submit() call. The op object travels beside the request, so the replica's request body stays
// empty and nothing is encoded or decoded twice: prepare() encodes the op once, for the record.
#include <algorithm>
#include <limits>

#include "base/assert.h"
#include "db/engine.h"
#include "db/engine_wire.h"
#include "kernel/op_codec.h"
#include "storage/record_builder.h"

namespace kb::db {

namespace {

constexpr ClientId kLocalClient{0};

// Ops that carry key material or change who may do what (and the other system-wide ops of
// tenant 0: settings) are system records, sealed under the system key; everything else under
// the tenant's own keys. Role ops carry SCRAM verifiers, which allow offline guessing.
storage::SealKind seal_for(const kernel::OpBody& body) {
    const bool system = std::holds_alternative<kernel::CreateTenantOp>(body) ||
                        std::holds_alternative<kernel::ConfigureOp>(body) ||
                        std::holds_alternative<kernel::RoleOp>(body) ||
                        std::holds_alternative<kernel::GrantOp>(body) ||
                        std::holds_alternative<kernel::DropTenantOp>(body) ||
                        std::holds_alternative<kernel::ApiKeyOp>(body);
    return system ? storage::SealKind::system : storage::SealKind::tenant;
}

SubmitResult applied_result(Position position, Timestamp timestamp, kernel::ApplyResult applied) {
    SubmitResult result;
    result.outcome = applied.outcome;
    result.position = position;
    result.timestamp = timestamp;
    result.applied = std::move(applied);
    return result;
}

SubmitResult refused(kernel::Outcome outcome, std::string detail) {
    SubmitResult result;
    result.outcome = outcome;
    result.detail = std::move(detail);
    return result;
}

}  // namespace

Status Engine::open_replica() {
    vsr::ReplicaState initial;
    const u64 cluster = cluster_number(genesis_);
    const ReplicationOptions& replication = options_.replication;
    initial.cluster = cluster;
    initial.replica = replication.replica;
    initial.replica_count = replication.replica_count;
    auto opened = vsr::Superblock::open(storage_, loop_);
    if (!opened && opened.error().code() == StatusCode::not_found) {
        // A new data directory, or one from before replication.
        opened = vsr::Superblock::create(storage_, loop_, initial);
    }
    superblock_ = KB_TRY(std::move(opened));
    const vsr::ReplicaState& state = superblock_->state();
    if (state.cluster != cluster || state.replica != replication.replica ||
        state.replica_count != replication.replica_count) {
        return Status::invalid_argument(
            "replica.state is replica " + std::to_string(state.replica) + " of a cluster of " +
            std::to_string(state.replica_count) +
            (state.cluster != cluster ? " (another cluster)" : "") +
            "; this engine was opened as replica " + std::to_string(replication.replica) + " of " +
            std::to_string(replication.replica_count));
    }
    io::MessageBus* bus = replication.bus;
    if (bus == nullptr) {
        bus_ = std::make_unique<io::DetachedMessageBus>(io::Peer::replica(replication.replica));
        bus = bus_.get();
    }
    // What follows the checkpoint is applied by the replica (a cluster of one at start, a
    // larger one as it learns what is committed), rebuilding its client table past the one
    // saved for the checkpoint.
    machine_applied_ = kernel_->applied();
    vsr::ReplicaOptions options = replication.protocol;
    options.body_size_max = options_.op_size_max_bytes + 64 * limits::kKiB;
    options.signing_key = options_.node_key;
    options.attestation_every_ops = options_.attestation_every_ops == 0
                                        ? std::numeric_limits<u64>::max()
                                        : options_.attestation_every_ops;
    replica_ = std::make_unique<vsr::Replica>(loop_, *bus, *log_, *superblock_,
                                              static_cast<vsr::StateMachine&>(*this), options);
    KB_TRY(replica_->load_client_table(storage_, store_->applied()));
    // Every store checkpoint from now on saves the client table as of it first.
    store_->set_checkpoint_gate(
        [this, alive = alive_](Position checkpoint, io::UniqueFunction<void(Status)> ready) {
            if (!*alive) return ready(Status::internal("the engine is gone"));
            replica_->save_client_table(storage_, checkpoint, std::move(ready));
        });
    replaying_ = options_.replay_at_open;
    replica_->start();
    replaying_ = false;
    return replica_->failure();
}

void Engine::submit(TenantId tenant, PrincipalId principal, kernel::OpBody body,
                    SubmitCallback done) {
    if (!failure_.is_ok()) {
        loop_.post([done = std::move(done), failure = failure_]() mutable { done(failure); });
        return;
    }
    last_request_ = RequestNumber(last_request_.value() + 1);
    const RequestNumber request = last_request_;
    local_[request] =
        Local{std::make_shared<kernel::Op>(kernel::Op{tenant, principal, std::move(body)}),
              std::move(done), std::nullopt, false};
    replica_->submit_local(kLocalClient, request, Bytes(),
                           [this, alive = alive_, request](Result<Bytes> reply) {
                               if (*alive) on_local_reply(request, std::move(reply));
                           });
}

void Engine::on_local_reply(RequestNumber request, Result<Bytes> reply) {
    auto found = local_.find(request);
    if (found == local_.end()) return;
    Local local = std::move(found->second);
    local_.erase(found);
    if (!reply) {
        if (reply.error().code() == StatusCode::fatal || !replica_->failure().is_ok()) {
            stop(reply.error());
        }
        loop_.post([done = std::move(local.done), status = reply.error()]() mutable {
            done(std::move(status));
        });
        return;
    }
    KB_ASSERT(local.answer.has_value());
    if (local.applied) {
        // Applied: callers see their own write, so the answer waits for the publish.
        waiting_publish_.emplace_back(std::move(local.done), std::move(**local.answer));
        schedule_publish();
        return;
    }
    // Refused, repeated, or an error before logging: nothing was applied, answer now.
    loop_.post([done = std::move(local.done), answer = std::move(*local.answer)]() mutable {
        done(std::move(answer));
    });
}

Result<vsr::Prepared> Engine::prepare(const vsr::PrepareInput& input) {
    // An in-process request brings its op object along; a network client's is decoded.
    Local* local = nullptr;
    std::shared_ptr<kernel::Op> decoded;
    if (input.client == kLocalClient) {
        auto found = local_.find(input.request);
        if (found == local_.end()) {
            return Status::internal("no in-process request " +
                                    std::to_string(input.request.value()));
        }
        local = &found->second;
    } else {
        auto op = decode_request(input.body);
        if (!op) return vsr::Prepared{std::nullopt, encode_reply(op.error())};
        decoded = std::make_shared<kernel::Op>(std::move(*op));
    }
    // A refusal (an outcome, not an operating error) of a network client's request is logged
    // as a refusal record, so every replica's client table learns it (vsr/state_machine.h);
    // the in-process client's refusals are answered at once and log nothing.
    TenantId op_tenant;
    PrincipalId op_principal;
    auto not_logged = [&](Result<SubmitResult> answer) -> Result<vsr::Prepared> {
        if (local != nullptr) {
            local->answer = std::move(answer);
            return vsr::Prepared{};
        }
        if (!answer) return vsr::Prepared{std::nullopt, encode_reply(answer)};
        return log_refusal(input, op_tenant, op_principal, encode_reply(answer));
    };
    std::shared_ptr<kernel::Op>& owned = local != nullptr ? local->op : decoded;
    kernel::Op& op = *owned;
    op_tenant = op.tenant;
    op_principal = op.principal;
    if (admission_stale_) {
        // This replica applied ops another primary admitted; the replica prepares only once
        // everything it holds is applied, so admission starts afresh from the applied state
        // (its window from here: older snapshots are too old, never silently unchecked).
        admission_ = std::make_unique<kernel::Admission>(*kernel_, *store_, permissions_);
        admission_stale_ = false;
    }

    // A new tenant's keys are made here, by the primary, for the id it is about to get.
    std::optional<crypto::TenantWrappedKeys> new_keys;
    if (auto* create = std::get_if<kernel::CreateTenantOp>(&op.body)) {
        new_keys = crypto::create_tenant_keys(master_, admission_->next_tenant_id(), random_);
        create->kek = new_keys->kek;
        create->root_key = new_keys->root;
    }
    auto payload = kernel::encode_op(op);
    if (!payload) return not_logged(payload.error());
    if (payload->size() > options_.op_size_max_bytes) {
        return not_logged(refused(kernel::Outcome::op_too_large,
                                  "the operation is " + std::to_string(payload->size()) +
                                      " bytes, over the limit of " +
                                      std::to_string(options_.op_size_max_bytes)));
    }
    // Shared with admission, which keeps the op until it is applied (no copy of it).
    std::shared_ptr<const kernel::Op> shared = std::move(owned);
    auto admitted = admission_->admit(shared, input.position);
    if (!admitted) return admitted.error();  // the store failed: the replica stops
    if (admitted->repeat) {
        // An idempotent retry of an applied op: its original result, nothing logged.
        SubmitResult repeated;
        repeated.position = admitted->repeat->original;
        repeated.applied = std::move(*admitted->repeat);
        return not_logged(std::move(repeated));
    }
    if (admitted->outcome != kernel::Outcome::ok) {
        return not_logged(refused(admitted->outcome, std::move(admitted->detail)));
    }
    if (new_keys) {
        // Sealing this tenant's next ops needs its keys before this op is applied.
        Status added = keys_.add_tenant(*new_keys);
        if (!added.is_ok()) {
            admission_->abandon(input.position);
            return not_logged(added);
        }
        prepared_tenant_keys_[input.position] = new_keys->tenant;
    }

    storage::RecordInput record;
    record.kind = storage::RecordKind::op;
    record.seal = seal_for(shared->body);
    record.position = input.position;
    record.view = input.view;
    record.tenant = shared->tenant;
    record.principal = shared->principal;
    record.client_id = input.client;
    record.request_number = input.request;
    record.timestamp = input.timestamp;
    record.payload = *payload;
    auto built = storage::build_record(record, input.previous_chain_hash, &keys_, random_);
    if (!built) {
        // A key refusing to seal (its bound) or a missing key: nothing is logged.
        discard_after(input.position.prev());
        return not_logged(built.error());
    }
    prepared_[input.position] = std::move(shared);
    return vsr::Prepared{std::move(built->bytes), {}};
}

Result<vsr::Prepared> Engine::log_refusal(const vsr::PrepareInput& input, TenantId tenant,
                                          PrincipalId principal, const Bytes& reply) {
    storage::RecordInput record;
    record.kind = storage::RecordKind::refusal;
    // Under the system key: the refused op may name a tenant that does not exist.
    record.seal = storage::SealKind::system;
    record.position = input.position;
    record.view = input.view;
    record.tenant = tenant;
    record.principal = principal;
    record.client_id = input.client;
    record.request_number = input.request;
    record.timestamp = input.timestamp;
    record.payload = reply;
    auto built = storage::build_record(record, input.previous_chain_hash, &keys_, random_);
    if (!built) return vsr::Prepared{std::nullopt, encode_reply(built.error())};
    return vsr::Prepared{std::move(built->bytes), {}};
}

Result<Bytes> Engine::commit(Position position, ByteSpan record_bytes) {
    auto reply = commit_record(position, record_bytes);
    if (!reply) return reply;
    // Every committed record counts toward the next checkpoint, whoever sent or prepared it:
    // the client table saved with the checkpoint keeps the sessions of those before it.
    ++applied_since_checkpoint_;
    schedule_publish();
    if (replaying_ && options_.after_replayed_op) {
        if (Status checked = options_.after_replayed_op(position, *kernel_); !checked.is_ok()) {
            stop(checked);
            return checked;
        }
    }
    if (options_.after_commit) options_.after_commit(position, record_bytes, *kernel_);
    return reply;
}

Result<Bytes> Engine::commit_record(Position position, ByteSpan record_bytes) {
    KB_ASSERT(position == machine_applied_.next());
    std::shared_ptr<const kernel::Op> op;
    auto record = KB_TRY(storage::parse_record_header(record_bytes));
    const storage::RecordHeader& header = record.header;
    if (auto prepared = prepared_.find(position); prepared != prepared_.end()) {
        op = std::move(prepared->second);
        prepared_.erase(prepared);
    } else if (header.kind == storage::RecordKind::op) {
        // Prepared elsewhere (another primary): from the record itself.
        auto applied = apply_logged(record_bytes);
        if (!applied) {
            stop(applied.error());
            return applied.error();
        }
        machine_applied_ = position;
        // Admission's conflict window did not see this op: it is rebuilt before this replica
        // next prepares (Engine::prepare).
        admission_stale_ = true;
        if (header.client_id == kLocalClient) return Bytes();
        return encode_reply(applied_result(position, header.timestamp, std::move(**applied)));
    } else if (header.kind == storage::RecordKind::refusal) {
        // A logged refusal: no derived state; its payload is the reply (the AEAD tag checks it).
        machine_applied_ = position;
        return KB_TRY(storage::open_record_payload(record, &keys_));
    } else {
        machine_applied_ = position;  // genesis, attestations: no derived state
        return Bytes();
    }
    auto applied = kernel_->apply(
        *op, kernel::ApplyContext{position, header.timestamp, op->tenant, op->principal});
    if (!applied) {
        stop(applied.error());
        return applied.error();
    }
    admission_->applied(position);
    prepared_tenant_keys_.erase(position);
    machine_applied_ = position;
    SubmitResult result = applied_result(position, header.timestamp, std::move(*applied));
    if (header.client_id != kLocalClient) return encode_reply(result);
    if (auto local = local_.find(header.request_number); local != local_.end()) {
        local->second.answer = Result<SubmitResult>(std::move(result));
        local->second.applied = true;
    }
    return Bytes();
}

void Engine::discard_after(Position position) {
    admission_->truncate_after(position);
    prepared_.erase(prepared_.upper_bound(position), prepared_.end());
    for (auto it = prepared_tenant_keys_.upper_bound(position);
         it != prepared_tenant_keys_.end();) {
        keys_.remove_tenant(it->second);
        it = prepared_tenant_keys_.erase(it);
    }
}

}  // namespace kb::db
