// A replica of the kernel mode (engine_node.h).
#include "sim/engine_node.h"

#include "base/endian.h"
#include "kernel/kernel_reads.h"
#include "kernel/row_codec.h"

namespace kb::sim {

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

Status create_accounts(db::Engine& primary, TenantId tenant, usize accounts, BankWorkload& bank,
                       const LoopRunner& run) {
    const kernel::TenantCatalog* catalog = primary.catalog().tenant(tenant);
    if (catalog == nullptr) return Status::internal("no tenant " + std::to_string(tenant.value()));
    const kernel::TableId table(catalog->next_object_id().value());
    const db::SubmitResult made = KB_TRY(submit_and_wait(
        primary, tenant, bank.setup_op(table, accounts, primary.applied_position()), run));
    bank.set_up(tenant, made.position);
    return Status::ok();
}

namespace {

// The accounts as `engine` has them as of `as_of`.
Result<std::map<i64, i64>> read_accounts(const store::Snapshot& snapshot, const BankWorkload& bank,
                                         Position as_of) {
    std::map<i64, i64> accounts;
    auto cursor =
        KB_TRY(kernel::reads::row_scan(snapshot, bank.tenant(), bank.table(), {}, {}, as_of));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const auto values = KB_TRY(kernel::decode_row(bank.schema(), cursor.row()));
        if (values.size() != 2 || values[0].is_null() || values[1].is_null()) {
            return Status::internal("an account row " + to_hex(cursor.key()) + " lacks a value");
        }
        accounts.emplace(values[0].as_int(), values[1].as_int());
    }
    return accounts;
}

std::string accounts_text(const std::map<i64, i64>& accounts) {
    std::string text = "{";
    for (const auto& [id, balance] : accounts) {
        text += (text.size() > 1 ? " " : "") + std::to_string(id) + ":" + std::to_string(balance);
    }
    return text + "}";
}

}  // namespace

Status check_accounts(const db::Engine& engine, const BankWorkload& bank) {
    if (!bank.ready()) return Status::ok();
    const store::Snapshot snapshot = engine.snapshot();
    const Position newest = std::min(snapshot.applied(), bank.newest());
    if (newest < bank.created()) {
        return Status::internal("the accounts table was made at position " +
                                std::to_string(bank.created().value()) +
                                " but the engine has published only up to " +
                                std::to_string(snapshot.applied().value()));
    }
    // The newest state, the table's first, and three between.
    const u64 first = bank.created().value();
    const u64 span = newest.value() - first;
    for (u64 step = 0; step <= 4; ++step) {
        const Position as_of(first + span * step / 4);
        auto held = read_accounts(snapshot, bank, as_of);
        if (!held) {
            return Status::internal("reading the accounts as of position " +
                                    std::to_string(as_of.value()) + ": " +
                                    held.status().to_string());
        }
        const auto expected = bank.accounts(as_of);
        if (*held != expected) {
            return Status::internal("the accounts as of position " + std::to_string(as_of.value()) +
                                    " are " + accounts_text(*held) + " but the model has " +
                                    accounts_text(expected));
        }
    }
    return Status::ok();
}

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
