// DatabaseCore: what a kb::Database is made of (include/kimberlite/database.h) — the OS seams
// (Linux storage, clock, randomness, the master key file), the event loop and its thread, and
// the engine — plus the calls the layers above use: submit an op and wait for its result, take
// a snapshot, run a task on the loop.
//
// The loop thread runs every engine task. Callers on other threads hand work over with call(),
// which posts a task and waits for its answer; reads take a snapshot and run where they are.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/assert.h"
#include "crypto/ed25519.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/database_metrics.h"
#include "db/engine.h"
#include "db/transaction.h"
#include "io/asio_event_loop.h"
#include "io/clock.h"
#include "io/linux_storage.h"
#include "kernel/permissions.h"
#include "kimberlite/database.h"
#include "storage/digest.h"

namespace kb::db {

// Where master.key lives when no key directory is given: $KIMBERLITE_KEY_DIR, else
// ~/.config/kimberlite/keys.
std::string default_key_dir();

class DatabaseCore final : public TransactionHost {
public:
    static Result<std::unique_ptr<DatabaseCore>> open(const std::string& dir,
                                                      const DatabaseOptions& options);
    ~DatabaseCore();
    DatabaseCore(const DatabaseCore&) = delete;
    DatabaseCore& operator=(const DatabaseCore&) = delete;

    // Runs `task` on the loop thread and returns what it returns. `task` must not block.
    template <class T>
    T call(std::function<T()> task) const {
        KB_ASSERT_MSG(!closed_, "database used after close");
        std::promise<T> promise;
        auto answer = promise.get_future();
        loop_.post([&] { promise.set_value(task()); });
        return answer.get();
    }

    // Admits, logs and applies `body` and waits for the result (any thread but the loop's).
    Result<SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                kernel::OpBody body) override;
    // The same without waiting (any thread, the loop's too): `done` runs on the loop thread
    // (on this one, at once, when the database is closed). Counted in commit_metrics() as
    // submit() is.
    void submit_async(TenantId tenant, PrincipalId principal, kernel::OpBody body,
                      SubmitCallback done) override;
    // The snapshot and the tenant's catalog as of it (Engine::published: any thread, no loop
    // round trip).
    Start start(TenantId tenant) override;

    // The latest published state (any thread).
    store::Snapshot snapshot() const { return engine_->snapshot(); }
    // Loop thread only (inside call()).
    Engine& engine() { return *engine_; }
    const Engine& engine() const { return *engine_; }

    // The newest durable and the newest applied position; after close(), those it closed at.
    Position log_position() const;
    // Logs an attestation and waits until it is committed (any thread but the loop's).
    // unsupported, naming the key directory, when there is no node key to sign with.
    Result<Position> attest();
    Position applied_position() const;

    // TransactionHost's operations (any thread but the loop's): attest() and the digest of
    // the newest attestation (the one just made, or a newer one); the newest durable
    // attestation with its co-signatures (storage::Log::newest_digest), nullopt when the log
    // holds none. The search runs on the loop thread (it reads record headers of the tail
    // segment: about a millisecond per 8 MiB) and holds writes up meanwhile.
    Result<storage::Digest> attest_digest() override;
    Result<std::optional<storage::Digest>> newest_digest() override;
    // The appends logged at `positions` (Engine::logged_appends, on the loop thread: one round
    // trip; the log's reads hold writes up meanwhile).
    Result<std::vector<LoggedAppend>> logged_appends(std::span<const Position> positions) override;

    // For /metrics. Any thread; after close(), what they were at close.
    struct LogStatistics {
        Position durable;  // the newest durable position
        u64 bytes = 0;     // segment bytes up to the last record (headers included)
        u64 segments = 0;  // segment files
    };
    LogStatistics log_statistics() const;  // one loop round trip
    // fdatasync/fsync calls of the data directory's storage since open.
    u64 storage_syncs() const;
    const CommitMetrics& commit_metrics() const { return commit_metrics_; }

    // Stops the loop thread, checkpoints, closes. Idempotent.
    Status close();

private:
    DatabaseCore() = default;
    void start_thread();
    // commit_metrics_ for one finished submit (loop thread).
    void count_commit(const Result<SubmitResult>& result,
                      std::chrono::steady_clock::time_point submitted);

    mutable io::AsioEventLoop loop_;
    crypto::SystemRandom random_;
    io::LinuxClock clock_;
    std::unique_ptr<crypto::FileMasterKeyProvider> master_;
    std::unique_ptr<crypto::Ed25519SigningKey> node_key_;
    std::unique_ptr<io::LinuxStorage> storage_;
    std::unique_ptr<kernel::GrantPermissions> permissions_;
    std::unique_ptr<Engine> engine_;
    std::thread thread_;
    std::mutex close_mutex_;
    std::atomic<bool> closed_{false};
    Status close_status_;
    Position closed_applied_{};  // what the position calls answer after close()
    Position closed_log_{};
    LogStatistics closed_statistics_{};
    u64 closed_syncs_ = 0;
    CommitMetrics commit_metrics_;
};

}  // namespace kb::db
