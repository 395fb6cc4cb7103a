// Engine: publishing, checkpoints and closing (see engine.h; the write path is in
// engine_machine.cc).
#include "db/engine.h"

#include <algorithm>

#include "base/assert.h"
#include "kernel/op_codec.h"
#include "storage/record_builder.h"
#include "vsr/client_table_file.h"

namespace kb::db {

Engine::Engine(io::Storage& storage, io::EventLoop& loop, const crypto::MasterKeyProvider& master,
               crypto::RandomSource& random, const io::Clock& clock,
               const kernel::PermissionChecker& permissions, EngineOptions options)
    : storage_(storage),
      loop_(loop),
      master_(master),
      random_(random),
      clock_(clock),
      permissions_(permissions),
      options_(std::move(options)),
      keys_(master) {}

Engine::~Engine() {
    *alive_ = false;
    replica_.reset();
    // The kernel and admission read the store; the store must go last of the three.
    admission_.reset();
    kernel_.reset();
    store_.reset();
    log_.reset();
}

Status Engine::run_until(const std::function<bool()>& done) {
    if (!loop_.run_until(done)) {
        return Status::internal("event loop stopped before the database finished opening");
    }
    return Status::ok();
}

std::optional<TenantId> Engine::tenant_id(std::string_view name) const {
    const kernel::TenantCatalog* tenant = kernel_->catalog().find_tenant(name);
    if (tenant == nullptr) return std::nullopt;
    return tenant->info().id;
}

Timestamp Engine::next_timestamp() {
    // Monotonic across ops and restarts even if the wall clock steps back.
    const u64 now = clock_.realtime().value();
    last_timestamp_ = Timestamp(std::max(now, last_timestamp_.value() + 1));
    return last_timestamp_;
}

Status Engine::publish() {
    std::lock_guard lock(published_mutex_);
    KB_TRY(kernel_->publish());
    refresh_published_catalogs(kernel_->published_schema_changes());
    return Status::ok();
}

void Engine::refresh_published_catalogs(const std::set<TenantId>& tenants) {
    // Copies only on schema changes (DDL, sequences, streams created or deleted): rare.
    for (TenantId tenant : tenants) {
        if (const kernel::TenantCatalog* found = kernel_->catalog().tenant(tenant)) {
            published_catalogs_[tenant] = std::make_shared<const kernel::TenantCatalog>(*found);
        } else {
            published_catalogs_.erase(tenant);
        }
    }
}

Engine::Published Engine::published(TenantId tenant) const {
    std::lock_guard lock(published_mutex_);
    Published out{store_->snapshot(), nullptr};
    if (auto found = published_catalogs_.find(tenant); found != published_catalogs_.end()) {
        out.catalog = found->second;
    }
    return out;
}

// Publish once per loop turn (every op committed in it, by any client, shares the publish),
// then answer the in-process callers; checkpoint now and then.
void Engine::schedule_publish() {
    if (publish_posted_) return;
    publish_posted_ = true;
    loop_.post([this, alive = alive_] {
        if (!*alive) return;
        publish_posted_ = false;
        Status published = publish();
        if (!published.is_ok()) stop(published);
        auto waiting = std::move(waiting_publish_);
        waiting_publish_.clear();
        for (auto& [callback, result] : waiting) {
            if (published.is_ok()) {
                callback(std::move(result));
            } else {
                callback(published);
            }
        }
        if (!checkpoint_running_ && checkpoint_due()) {
            checkpoint([](Status) {});
        }
    });
}

bool Engine::checkpoint_due() const {
    if (applied_since_checkpoint_ == 0) return false;
    return applied_since_checkpoint_ >= options_.checkpoint_every_ops ||
           store_->dirty_bytes() >= options_.store.cache_bytes / 2;
}

// The store's checkpoint, with the replica's client table as of it saved first (the store's
// gate, set in open_replica, saves it before the superblock that makes the checkpoint durable;
// docs/ARCHITECTURE.md "Client sessions"). Once the new checkpoint is durable the tables of
// the ones before it are no longer needed.
void Engine::checkpoint(io::UniqueFunction<void(Status)> done) {
    if (!failure_.is_ok()) {
        done(failure_);
        return;
    }
    Status published = publish();
    if (!published.is_ok()) {
        stop(published);
        done(published);
        return;
    }
    applied_since_checkpoint_ = 0;
    checkpoint_running_ = true;
    store_->checkpoint([this, alive = alive_, done = std::move(done)](Status status) mutable {
        if (!*alive) {
            done(std::move(status));
            return;
        }
        checkpoint_running_ = false;
        if (status.is_ok()) {
            // Best effort: a table left behind is never chosen (recovery goes by the store's
            // checkpoint position) and is removed after the next checkpoint.
            (void)vsr::remove_client_tables_before(storage_, store_->applied());
        } else if (status.code() == StatusCode::fatal) {
            stop(status);
        }
        done(std::move(status));
    });
}

Status Engine::close() {
    if (!failure_.is_ok()) return failure_;
    if (const usize live = store_->live_snapshots(); live > 0) {
        return Status::busy(std::to_string(live) +
                            " snapshots (transactions, readers) are still open; end them first");
    }
    // Let in-flight ops commit and apply, then make the store durable.
    KB_TRY(run_until([&] {
        return !replica_->failure().is_ok() || (log_->durable_position() == log_->last_position() &&
                                                machine_applied_ == log_->last_position());
    }));
    KB_TRY(replica_->failure());
    std::optional<Status> result;
    loop_.post([&] { checkpoint([&](Status status) { result = std::move(status); }); });
    KB_TRY(run_until([&] { return result.has_value(); }));
    return *result;
}

void Engine::stop(Status status) {
    if (failure_.is_ok()) failure_ = std::move(status);
}

Status status_of_outcome(kernel::Outcome outcome, const std::string& detail) {
    using kernel::Outcome;
    switch (outcome) {
        case Outcome::ok:
            return Status::ok();
        case Outcome::no_such_tenant:
        case Outcome::no_such_stream:
        case Outcome::no_such_table:
        case Outcome::no_such_column:
        case Outcome::no_such_index:
        case Outcome::no_such_sequence:
        case Outcome::stream_deleted:
        case Outcome::no_such_role:
        case Outcome::no_such_api_key:
            return Status::not_found(detail);
        case Outcome::tenant_exists:
        case Outcome::stream_exists:
        case Outcome::table_exists:
        case Outcome::column_exists:
        case Outcome::index_exists:
        case Outcome::sequence_exists:
        case Outcome::role_exists:
        case Outcome::api_key_exists:
            return Status::already_exists(detail);
        case Outcome::offset_mismatch:
        case Outcome::serialization_conflict:
        case Outcome::snapshot_too_old:
            return Status::conflict(detail);
        case Outcome::permission_denied:
            return Status::permission_denied(detail);
        case Outcome::op_too_large:
        case Outcome::sequence_exhausted:
            return Status::out_of_range(detail);
        default:
            return Status::invalid_argument(detail);
    }
}

}  // namespace kb::db
