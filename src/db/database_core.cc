// DatabaseCore: the embedded database's parts and its loop thread (see database_core.h).
#include "db/database_core.h"

#include "crypto/node_key.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace kb::db {

namespace {

storage::FsyncPolicy log_policy(FsyncPolicy policy) {
    switch (policy) {
        case FsyncPolicy::every_record:
            return storage::FsyncPolicy::every_record;
        case FsyncPolicy::every_batch:
            return storage::FsyncPolicy::every_batch;
        case FsyncPolicy::group_commit:
            return storage::FsyncPolicy::group_commit;
    }
    return storage::FsyncPolicy::group_commit;
}

}  // namespace

std::string default_key_dir() {
    if (const char* dir = std::getenv("KIMBERLITE_KEY_DIR"); dir != nullptr && *dir != '\0') {
        return dir;
    }
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : ".") + "/.config/kimberlite/keys";
}

Result<std::unique_ptr<DatabaseCore>> DatabaseCore::open(const std::string& dir,
                                                         const DatabaseOptions& options) {
    std::unique_ptr<DatabaseCore> core(new DatabaseCore());
    const std::string key_dir = options.key_dir.empty() ? default_key_dir() : options.key_dir;
    core->master_ = KB_TRY(crypto::FileMasterKeyProvider::open(key_dir, core->random_));
    core->node_key_ = std::make_unique<crypto::Ed25519SigningKey>(
        KB_TRY(crypto::load_or_create_node_key(key_dir, core->random_)));
    core->storage_ = KB_TRY(io::LinuxStorage::open(
        core->loop_, io::LinuxStorageOptions{.root = dir, .create_root = true}));
    KB_TRY(core->storage_->lock_exclusive().with_context("opening the database in " + dir));
    core->permissions_ = std::make_unique<kernel::GrantPermissions>();
    EngineOptions engine_options;
    engine_options.log.fsync = log_policy(options.fsync);
    engine_options.store.cache_bytes = options.cache_bytes;
    engine_options.checkpoint_every_ops = options.checkpoint_every_ops;
    engine_options.node_key = core->node_key_.get();
    engine_options.attestation_every_ops = options.attestation_every_ops;
    // Opening runs the loop on this thread; the loop thread starts after.
    core->engine_ =
        KB_TRY(Engine::open(*core->storage_, core->loop_, *core->master_, core->random_,
                            core->clock_, *core->permissions_, std::move(engine_options)));
    core->start_thread();
    return core;
}

void DatabaseCore::start_thread() {
    thread_ = std::thread([this] {
        while (loop_.run_once()) {
        }
    });
}

DatabaseCore::~DatabaseCore() { (void)close(); }

Result<Position> DatabaseCore::attest() {
    KB_ASSERT_MSG(!closed_, "database used after close");
    std::promise<Result<Position>> promise;
    auto answer = promise.get_future();
    loop_.post([&] {
        engine_->attest([&](Result<Position> done) { promise.set_value(std::move(done)); });
    });
    Result<Position> attested = answer.get();
    if (!attested && attested.status().code() == StatusCode::unsupported) {
        return Status::unsupported(
            "this database has no node key to sign attestations with (node.key in the key "
            "directory, --key-dir): " +
            attested.status().message());
    }
    return attested;
}

Result<storage::Digest> DatabaseCore::attest_digest() {
    const Position at = KB_TRY(attest());
    auto newest = KB_TRY(newest_digest());
    if (!newest || newest->attestation_position < at) {
        return Status::internal("the attestation at position " + to_string(at) +
                                " was committed but the log does not show it");
    }
    return std::move(*newest);
}

Result<std::optional<storage::Digest>> DatabaseCore::newest_digest() {
    if (closed_) return Status::invalid_argument("the database is closed");
    return call<Result<std::optional<storage::Digest>>>(
        [this] { return engine_->log().newest_digest(); });
}

Result<std::vector<LoggedAppend>> DatabaseCore::logged_appends(
    std::span<const Position> positions) {
    if (closed_) return Status::invalid_argument("the database is closed");
    return call<Result<std::vector<LoggedAppend>>>(
        [this, positions] { return engine_->logged_appends(positions); });
}

DatabaseCore::LogStatistics DatabaseCore::log_statistics() const {
    if (closed_.load()) return closed_statistics_;
    return call<LogStatistics>([this] {
        storage::Log& log = engine_->log();
        LogStatistics out;
        out.durable = log.durable_position();
        for (const storage::SegmentSummary& segment : log.segments()) {
            out.bytes += segment.end_offset;
        }
        out.segments = log.segments().size();
        return out;
    });
}

u64 DatabaseCore::storage_syncs() const {
    if (closed_.load()) return closed_syncs_;
    return storage_->syncs();
}

Position DatabaseCore::log_position() const {
    if (closed_.load()) return closed_log_;
    return call<Position>([this] { return engine_->log_position(); });
}

Position DatabaseCore::applied_position() const {
    if (closed_.load()) return closed_applied_;
    return snapshot().applied();
}

Result<SubmitResult> DatabaseCore::submit(TenantId tenant, PrincipalId principal,
                                          kernel::OpBody body) {
    std::promise<Result<SubmitResult>> promise;
    auto answer = promise.get_future();
    submit_async(tenant, principal, std::move(body),
                 [&promise](Result<SubmitResult> result) { promise.set_value(std::move(result)); });
    return answer.get();
}

void DatabaseCore::count_commit(const Result<SubmitResult>& result,
                                std::chrono::steady_clock::time_point submitted) {
    if (!result) return;
    if (result->position != Position::none() && result->outcome == kernel::Outcome::ok) {
        const auto took = std::chrono::steady_clock::now() - submitted;
        commit_metrics_.ops_committed.fetch_add(1, std::memory_order_relaxed);
        commit_metrics_.commit_latency.observe(
            static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
    } else {
        commit_metrics_.ops_refused.fetch_add(1, std::memory_order_relaxed);
    }
}

void DatabaseCore::submit_async(TenantId tenant, PrincipalId principal, kernel::OpBody body,
                                SubmitCallback done) {
    if (closed_) return done(Status::invalid_argument("the database is closed"));
    const auto submitted = std::chrono::steady_clock::now();
    // One post per op, FIFO: ops posted from one thread reach the engine in that order.
    loop_.post([this, tenant, principal, submitted, body = std::move(body),
                done = std::move(done)]() mutable {
        engine_->submit(
            tenant, principal, std::move(body),
            [this, submitted, done = std::move(done)](Result<SubmitResult> result) mutable {
                count_commit(result, submitted);
                done(std::move(result));
            });
    });
}

TransactionHost::Start DatabaseCore::start(TenantId tenant) {
    KB_ASSERT_MSG(!closed_, "database used after close");
    // On this thread: published() pairs the snapshot and catalog without the loop.
    Engine::Published published = engine_->published(tenant);
    Start out;
    out.snapshot = std::move(published.snapshot);
    out.catalog = std::move(published.catalog);
    return out;
}

Status DatabaseCore::close() {
    std::lock_guard lock(close_mutex_);
    if (closed_) return close_status_;
    if (engine_ == nullptr) return close_status_;
    if (const usize live = call<usize>([&] { return engine_->live_snapshots(); }); live > 0) {
        return Status::busy("cannot close the database: " + std::to_string(live) +
                            " snapshots (transactions, readers) are still open");
    }
    closed_ = true;
    // Stop the loop thread, then finish on this one: the engine's close runs the loop itself.
    if (thread_.joinable()) {
        loop_.stop();
        thread_.join();
        loop_.clear_stop();
    }
    closed_log_ = engine_->log_position();  // final: no write runs any more
    closed_applied_ = engine_->snapshot().applied();
    closed_statistics_.durable = closed_log_;
    for (const storage::SegmentSummary& segment : engine_->log().segments()) {
        closed_statistics_.bytes += segment.end_offset;
    }
    closed_statistics_.segments = engine_->log().segments().size();
    close_status_ = engine_->close();
    closed_syncs_ = storage_->syncs();
    engine_.reset();
    storage_.reset();
    return close_status_;
}

}  // namespace kb::db
