// Engine: opening — genesis, keys, store and kernel; the replica then applies the log past the
// store's checkpoint (engine_machine.cc) (see engine.h).
#include <optional>

#include "base/assert.h"
#include "crypto/key_hierarchy.h"
#include "db/engine.h"
#include "kernel/catalog_codec.h"
#include "kernel/kernel_trees.h"
#include "kernel/op_codec.h"
#include "storage/record_builder.h"

namespace kb::db {

Result<std::unique_ptr<Engine>> Engine::open(io::Storage& storage, io::EventLoop& loop,
                                             const crypto::MasterKeyProvider& master,
                                             crypto::RandomSource& random, const io::Clock& clock,
                                             const kernel::PermissionChecker& permissions,
                                             EngineOptions options) {
    std::unique_ptr<Engine> engine(
        new Engine(storage, loop, master, random, clock, permissions, std::move(options)));
    engine->log_ = KB_TRY(storage::Log::open(storage, loop, engine->options_.log));
    KB_TRY(engine->initialise_or_load_genesis());
    KB_TRY(engine->open_store_and_kernel());
    engine->admission_ = std::make_unique<kernel::Admission>(*engine->kernel_, *engine->store_,
                                                             engine->permissions_);
    KB_TRY(engine->open_replica());
    {
        // Every tenant's catalog as of the state the store opened with and the replica applied.
        KB_TRY(engine->publish());
        std::set<TenantId> tenants;
        for (const auto& [id, tenant] : engine->kernel_->catalog().tenants()) tenants.insert(id);
        std::lock_guard lock(engine->published_mutex_);
        engine->refresh_published_catalogs(tenants);
    }
    if (engine->options_.replay_at_open && engine->machine_applied_ > engine->store_->applied()) {
        // `kmb rebuild`: what was replayed is made durable now.
        std::optional<Status> done;
        engine->checkpoint([&](Status status) { done = std::move(status); });
        KB_TRY(engine->run_until([&] { return done.has_value(); }));
        KB_TRY(*done);
    }
    // A new cluster of one gets its first tenant (also when a crash came between genesis and
    // it); a larger cluster's first client creates it through the primary.
    if (engine->options_.replication.replica_count == 1 &&
        engine->kernel_->catalog().tenants().empty()) {
        KB_TRY(engine->create_default_tenant());
    }
    return engine;
}

Status Engine::initialise_or_load_genesis() {
    if (log_->last_position() == Position::none()) {
        // A new replica: the cluster's identity and system root key, in clear at position 1 —
        // given (every replica of a cluster starts with the same record) or, for a cluster of
        // one, made here.
        const ReplicationOptions& replication = options_.replication;
        Bytes record;
        if (replication.genesis_record) {
            record = *replication.genesis_record;
        } else if (replication.replica_count == 1) {
            record = KB_TRY(make_genesis_record(master_, random_, 1, next_timestamp()));
        } else {
            return Status::invalid_argument(
                "a replica of a cluster of " + std::to_string(replication.replica_count) +
                " starts from the cluster's genesis record, and none was given");
        }
        std::optional<Status> durable;
        std::vector<Bytes> records;
        records.push_back(std::move(record));
        KB_TRY(log_->append(std::move(records), [&](Status status) { durable = status; }));
        KB_TRY(run_until([&] { return durable.has_value(); }));
        KB_TRY(*durable);
        genesis_ = KB_TRY(read_genesis(*log_));
        if (genesis_.replica_count != replication.replica_count) {
            return Status::invalid_argument(
                "the genesis record is for a cluster of " + std::to_string(genesis_.replica_count) +
                " replicas, not " + std::to_string(replication.replica_count));
        }
    } else {
        genesis_ = KB_TRY(read_genesis(*log_));
        // The newest op's time: timestamps stay monotonic across restarts.
        auto last = KB_TRY(log_->read(log_->durable_position(), log_->durable_position(), 1));
        auto tail = KB_TRY(storage::parse_record(last.at(0)));
        last_timestamp_ = tail.header.timestamp;
    }
    return keys_.set_system_root(genesis_.system_root)
        .with_context("unwrapping the system root key (is --key-dir the cluster's?)");
}

Status Engine::open_store_and_kernel() {
    store_ =
        KB_TRY(store::Store::open(storage_, loop_, options_.store, keys_.page_keys(), random_));
    // The kernel reads every tenant's trees as it opens, so their page keys come first: from
    // the tenant records in the system tree (sealed with the system page key).
    store::Snapshot view = store_->working_view();
    if (KB_TRY(view.has_tree(kernel::trees::kTenants))) {
        auto cursor = KB_TRY(view.scan(kernel::trees::kTenants, {}, {}));
        for (; cursor.valid(); KB_TRY(cursor.next())) {
            const ByteSpan record = KB_TRY(cursor.value());
            const kernel::TenantInfo info = KB_TRY(kernel::decode_tenant_info(record));
            KB_TRY(keys_.add_tenant(crypto::TenantWrappedKeys{info.id, info.kek, info.root_key})
                       .with_context("unwrapping the keys of tenant " +
                                     std::to_string(info.id.value())));
        }
    }
    kernel_ = KB_TRY(kernel::Kernel::open(*store_));
    return Status::ok();
}

Result<std::optional<kernel::ApplyResult>> Engine::apply_logged(ByteSpan record_bytes) {
    auto record = KB_TRY(storage::parse_record(record_bytes));
    const storage::RecordHeader& header = record.header;
    if (header.kind != storage::RecordKind::op) {
        // Genesis, attestations and co-signatures change no derived state.
        return std::optional<kernel::ApplyResult>();
    }
    auto payload = KB_TRY(storage::open_record_payload(record, &keys_));
    auto op = KB_TRY(kernel::decode_op(payload));
    if (op.tenant != header.tenant || op.principal != header.principal) {
        return Status::corruption("log position " + to_string(header.position) +
                                  ": the op's tenant or principal differs from its record's");
    }
    auto applied = KB_TRY(kernel_->apply(
        op, kernel::ApplyContext{header.position, header.timestamp, op.tenant, op.principal}));
    if (const auto* create = std::get_if<kernel::CreateTenantOp>(&op.body);
        create != nullptr && applied.outcome == kernel::Outcome::ok) {
        KB_TRY(keys_.add_tenant(
            crypto::TenantWrappedKeys{applied.tenant, create->kek, create->root_key}));
    }
    return std::optional<kernel::ApplyResult>(std::move(applied));
}

Status Engine::create_default_tenant() {
    std::optional<Result<SubmitResult>> result;
    kernel::CreateTenantOp create;
    create.name = options_.default_tenant;
    submit(store::kSystemTenant, kSystemPrincipal, std::move(create),
           [&](Result<SubmitResult> done) { result = std::move(done); });
    KB_TRY(run_until([&] { return result.has_value(); }));
    SubmitResult submitted = KB_TRY(std::move(*result));
    if (submitted.outcome != kernel::Outcome::ok) {
        return Status::internal("creating tenant " + options_.default_tenant + ": " +
                                std::string(kernel::outcome_name(submitted.outcome)));
    }
    return Status::ok();
}

}  // namespace kb::db
