// A replica of the kernel mode (engine_node.h).
#include "sim/engine_node.h"

#include "base/endian.h"

namespace kb::sim {

namespace {

// Submits `body` in-process at `engine` and waits for its answer: the applied result, or why not.
Result<db::SubmitResult> submit_and_wait(db::Engine& engine, TenantId tenant, kernel::OpBody body,
                                         const LoopRunner& run) {
    std::optional<Result<db::SubmitResult>> answer;
    engine.submit(tenant, db::kAdminPrincipal, std::move(body),
                  [&](Result<db::SubmitResult> done) { answer = std::move(done); });
    run([&] { return answer.has_value(); });
    if (!answer) return Status::internal("no answer from the primary");
    if (!answer->has_value()) return answer->error();
    if ((*answer)->outcome != kernel::Outcome::ok) {
        return Status::internal(std::string(kernel::outcome_name((*answer)->outcome)) + ": " +
                                (*answer)->detail);
    }
    return std::move(**answer);
}

}  // namespace

Result<std::pair<TenantId, std::vector<StreamId>>> create_streams(db::Engine& primary, usize count,
                                                                  const LoopRunner& run) {
    const db::SubmitResult tenant = KB_TRY(
        submit_and_wait(primary, store::kSystemTenant, kernel::CreateTenantOp{.name = "sim"}, run));
    std::vector<StreamId> streams;
    for (usize i = 0; i < count; ++i) {
        const db::SubmitResult stream =
            KB_TRY(submit_and_wait(primary, tenant.applied.tenant,
                                   kernel::CreateStreamOp{.name = "s" + std::to_string(i)}, run));
        streams.push_back(stream.applied.stream);
    }
    return std::make_pair(tenant.applied.tenant, std::move(streams));
}

Status check_stream_ends(const db::Engine& engine, TenantId tenant,
                         const std::vector<StreamId>& streams, const std::vector<u64>& expected) {
    const kernel::TenantCatalog* catalog = engine.catalog().tenant(tenant);
    for (usize i = 0; i < streams.size(); ++i) {
        const kernel::StreamInfo* stream =
            catalog == nullptr ? nullptr : catalog->stream(streams[i]);
        const u64 next = stream == nullptr ? ~u64{0} : stream->next_offset.value();
        if (next != expected[i]) {
            return Status::internal("stream " + std::to_string(streams[i].value()) +
                                    " ends at offset " + std::to_string(next) +
                                    " but the model's at " + std::to_string(expected[i]));
        }
    }
    return Status::ok();
}

u64 state_hash64(const kernel::Kernel& kernel) {
    return load_le_u64(kernel.state_hash().digest().bytes().data());
}

Result<std::unique_ptr<EngineNode>> EngineNode::open(const EngineNodeEnvironment& environment,
                                                     u8 index, io::Storage& storage,
                                                     io::MessageBus& bus, u64 seed) {
    std::unique_ptr<EngineNode> node(new EngineNode(seed));
    db::EngineOptions options;
    options.log.segment_capacity_bytes = 256 << 10;
    options.log.zero_fill_segments = false;
    options.store.cache_bytes = 2 << 20;
    options.checkpoint_every_ops = environment.checkpoint_every_ops;
    options.attestation_every_ops = 0;
    options.replication.replica = index;
    options.replication.replica_count = environment.replica_count;
    options.replication.bus = &bus;
    options.replication.genesis_record = environment.genesis_record;
    options.replication.protocol = environment.protocol;
    EngineNode* raw = node.get();
    options.after_commit = [raw](Position position, ByteSpan record, const kernel::Kernel& kernel) {
        raw->record(position, record, kernel);
    };
    options.after_replayed_op = [raw](Position position, const kernel::Kernel& kernel) {
        raw->replayed_.emplace_back(position, state_hash64(kernel));
        return Status::ok();
    };
    node->engine_ =
        KB_TRY(db::Engine::open(storage, *environment.loop, *environment.master, node->random_,
                                *environment.clock, *environment.permissions, std::move(options)));
    KB_TRY(node->record_replayed());
    if (!node->started_) {
        node->started_ = true;
        node->first_ = node->engine_->replica().commit_min().next();
    }
    return node;
}

EngineNode::~EngineNode() { engine_.reset(); }

Status EngineNode::record_replayed() {
    // A cluster of one replays at open what it logged past its checkpoint (applied, or durable
    // and so committed, before the crash): this incarnation's first applies.
    if (replayed_.empty()) return Status::ok();
    std::vector<AppliedOp> ops;
    Position from = replayed_.front().first;
    const Position to = replayed_.back().first;
    while (from <= to) {
        auto records = KB_TRY(engine_->log().read(from, to, u64{8} << 20));
        if (records.empty()) return Status::internal("sim: the log read nothing it replayed");
        for (const Bytes& record : records) {
            const u64 hash =
                replayed_[static_cast<usize>(from.value() - replayed_.front().first.value())]
                    .second;
            ops.push_back(KB_TRY(applied_op_of(from, record, hash)));
            from = from.next();
        }
    }
    ops.insert(ops.end(), ops_.begin(), ops_.end());
    ops_ = std::move(ops);
    started_ = true;
    first_ = replayed_.front().first;
    replayed_.clear();
    return Status::ok();
}

void EngineNode::record(Position position, ByteSpan record, const kernel::Kernel& kernel) {
    if (!started_) {
        // Commits while the engine opens (past its checkpoint) belong to this incarnation.
        started_ = true;
        first_ = position;
    }
    // A record without a readable header is left out: the checker then finds the applied
    // position ahead of what was recorded.
    auto op = applied_op_of(position, record, state_hash64(kernel));
    if (op) ops_.push_back(*op);
}

}  // namespace kb::sim
