// Helpers for the db layer's tests: an engine on a simulated machine (disk, loop, clock,
// fault-injecting storage) with in-memory master keys, that can be closed, crashed and
// reopened. Test-only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/engine.h"
#include "db/transaction.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"
#include "kernel/permissions.h"

namespace kb::db::testing {

inline EngineOptions small_engine_options() {
    EngineOptions options;
    options.log.segment_capacity_bytes = 256 * 1024;
    options.log.zero_fill_segments = false;
    options.store.cache_bytes = 4 * 1024 * 1024;
    return options;
}

class SimNode final : public TransactionHost {
public:
    explicit SimNode(u64 seed, EngineOptions options = small_engine_options())
        : seed_(seed),
          options_(std::move(options)),
          disk_(io::SimDiskOptions{.seed = seed}),
          loop_(clock_),
          random_(seed),
          master_(crypto::KeyId(1), master_key()),
          permissions_() {
        storage_ =
            std::make_unique<io::SimStorage>(disk_, loop_, io::SimStorageOptions{.seed = seed});
    }

    Status open() {
        auto opened =
            Engine::open(*storage_, loop_, master_, random_, clock_, permissions_, options_);
        if (!opened) return opened.error();
        engine_ = std::move(*opened);
        return Status::ok();
    }
    Status close() {
        Status status = engine_->close();
        engine_.reset();
        return status;
    }
    // Power loss: unsynced writes are lost; the engine is dropped without closing.
    void crash() {
        engine_.reset();
        storage_->crash();
    }

    // Submits and runs the loop until the callback ran.
    Result<SubmitResult> submit_op(TenantId tenant, kernel::OpBody body,
                                   PrincipalId principal = kAdminPrincipal) {
        std::optional<Result<SubmitResult>> result;
        engine_->submit(tenant, principal, std::move(body),
                        [&](Result<SubmitResult> done) { result = std::move(done); });
        loop_.run_until([&] { return result.has_value(); });
        if (!result) return Status::internal("the submit callback never ran");
        return std::move(*result);
    }

    // TransactionHost: transactions on this node (the test thread runs the loop).
    Start start(TenantId tenant) override {
        Start out;
        out.snapshot = engine_->snapshot();
        if (const auto* found = engine_->catalog().tenant(tenant)) {
            out.catalog = std::make_shared<const kernel::TenantCatalog>(*found);
        }
        return out;
    }
    Result<SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                kernel::OpBody body) override {
        return submit_op(tenant, std::move(body), principal);
    }
    Result<std::vector<LoggedAppend>> logged_appends(std::span<const Position> positions) override {
        return engine_->logged_appends(positions);
    }

    Engine& engine() { return *engine_; }
    bool is_open() const { return engine_ != nullptr; }
    io::SimEventLoop& loop() { return loop_; }
    io::ManualClock& clock() { return clock_; }
    io::SimStorage& storage() { return *storage_; }
    TenantId default_tenant() const { return *engine_->tenant_id("default"); }

private:
    static crypto::Key256 master_key() {
        crypto::Key256 key;
        for (usize i = 0; i < key.kSize; ++i) key.mutable_bytes()[i] = static_cast<u8>(i + 1);
        return key;
    }

    u64 seed_;
    EngineOptions options_;
    io::SimDisk disk_;
    io::ManualClock clock_;
    io::SimEventLoop loop_;
    crypto::SeededRandom random_;
    crypto::MemoryMasterKeyProvider master_;
    kernel::GrantPermissions permissions_;  // the database's rule, as a real node has
    std::unique_ptr<io::SimStorage> storage_;
    std::unique_ptr<Engine> engine_;
};

inline Bytes bytes_of(std::string_view text) {
    ByteSpan view = as_bytes(text);
    return Bytes(view.begin(), view.end());
}

}  // namespace kb::db::testing
