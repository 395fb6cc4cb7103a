// Database: the embedded API over DatabaseCore (see include/kimberlite/database.h).
#include "kimberlite/database.h"

#include "db/database_core.h"
#include "db/stream_reads.h"
#include "kernel/kernel_reads.h"

namespace kb {

namespace {

// The Status of a write: an operating error, a refusal (its outcome), or ok.
Status write_status(const Result<db::SubmitResult>& result) {
    if (!result) return result.error();
    return db::status_of_outcome(result->outcome, result->detail);
}

StreamDescription describe(const kernel::StreamInfo& info) {
    StreamDescription out;
    out.id = info.id;
    out.name = info.name;
    out.data_class = info.data_class;
    out.created = info.created;
    if (info.deleted != Position::none()) out.deleted = info.deleted;
    out.next_offset = info.next_offset;
    return out;
}

}  // namespace

Database::Database(std::unique_ptr<db::DatabaseCore> core) : core_(std::move(core)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::open(const std::string& dir, DatabaseOptions options) {
    auto core = KB_TRY(db::DatabaseCore::open(dir, options));
    return std::unique_ptr<Database>(new Database(std::move(core)));
}

Status Database::close() { return core_->close(); }

Result<Position> Database::attest() { return core_->attest(); }

Result<TenantId> Database::create_tenant(std::string_view name) {
    kernel::CreateTenantOp create;
    create.name = std::string(name);
    auto result = core_->submit(store::kSystemTenant, db::kAdminPrincipal, std::move(create));
    KB_TRY(write_status(result));
    return result->applied.tenant;
}

Status Database::drop_tenant(std::string_view name) {
    const std::optional<TenantId> id = tenant(name);
    if (!id) return Status::not_found("no tenant named \"" + std::string(name) + "\"");
    return write_status(core_->submit(store::kSystemTenant, db::kAdminPrincipal,
                                      kernel::DropTenantOp{.tenant = *id}));
}

std::optional<TenantId> Database::tenant(std::string_view name) const {
    return core_->call<std::optional<TenantId>>([&] { return core_->engine().tenant_id(name); });
}

Result<StreamId> Database::create_stream(TenantId tenant, std::string_view name,
                                         DataClass data_class) {
    kernel::CreateStreamOp create;
    create.name = std::string(name);
    create.data_class = data_class;
    auto result = core_->submit(tenant, db::kAdminPrincipal, std::move(create));
    KB_TRY(write_status(result));
    return result->applied.stream;
}

Status Database::delete_stream(TenantId tenant, StreamId stream) {
    return write_status(
        core_->submit(tenant, db::kAdminPrincipal, kernel::DeleteStreamOp{.stream = stream}));
}

Result<Offset> Database::append(TenantId tenant, StreamId stream,
                                std::vector<std::vector<unsigned char>> events,
                                std::optional<Offset> expected_offset, IdempotencyId idempotency) {
    kernel::AppendBatchOp append;
    append.stream = stream;
    append.expected_offset = expected_offset;
    append.idempotency = idempotency;
    append.events.reserve(events.size());
    for (auto& event : events) append.events.emplace_back(std::move(event));
    auto result = core_->submit(tenant, db::kAdminPrincipal, std::move(append));
    KB_TRY(write_status(result));
    return result->applied.first_offset;
}

struct DatabaseSnapshot::Impl {
    store::Snapshot snapshot;
    db::DatabaseCore* core = nullptr;  // events are read from its log (valid while it is open)
};

Position DatabaseSnapshot::position() const { return impl_->snapshot.applied(); }

Result<std::vector<StreamEvent>> DatabaseSnapshot::read_events(TenantId tenant, StreamId stream,
                                                               Offset from,
                                                               unsigned long long max_bytes) const {
    auto events = KB_TRY(db::read_stream_events(*impl_->core, impl_->snapshot, tenant, stream, from,
                                                max_bytes, ~u64{0}));
    std::vector<StreamEvent> out;
    out.reserve(events.size());
    for (auto& event : events) {
        out.push_back(StreamEvent{
            .offset = event.offset, .position = event.position, .data = std::move(event.data)});
    }
    return out;
}

Result<StreamDescription> DatabaseSnapshot::stream_info(TenantId tenant, StreamId stream) const {
    auto info = KB_TRY(kernel::reads::stream_info(impl_->snapshot, tenant, stream));
    if (!info) {
        return Status::not_found("no stream " + std::to_string(stream.value()) + " in tenant " +
                                 std::to_string(tenant.value()));
    }
    return describe(*info);
}

Result<std::optional<Position>> DatabaseSnapshot::position_at(Timestamp timestamp) const {
    return kernel::reads::position_for_timestamp(impl_->snapshot, timestamp);
}

DatabaseSnapshot Database::snapshot() const {
    return DatabaseSnapshot(std::make_shared<const DatabaseSnapshot::Impl>(
        DatabaseSnapshot::Impl{core_->snapshot(), core_.get()}));
}

Result<std::vector<StreamEvent>> Database::read_events(TenantId tenant, StreamId stream,
                                                       Offset from,
                                                       unsigned long long max_bytes) const {
    return snapshot().read_events(tenant, stream, from, max_bytes);
}

Result<StreamDescription> Database::stream_info(TenantId tenant, StreamId stream) const {
    return snapshot().stream_info(tenant, stream);
}

Result<StreamDescription> Database::find_stream(TenantId tenant, std::string_view name) const {
    // Names are looked up in the kernel's catalog (loop thread), the record in the snapshot.
    const auto id = core_->call<std::optional<StreamId>>([&]() -> std::optional<StreamId> {
        const kernel::TenantCatalog* catalog = core_->engine().catalog().tenant(tenant);
        if (catalog == nullptr) return std::nullopt;
        const kernel::StreamInfo* found = catalog->find_stream(name);
        if (found == nullptr) return std::nullopt;
        return found->id;
    });
    if (!id) {
        return Status::not_found("no stream named " + std::string(name) + " in tenant " +
                                 std::to_string(tenant.value()));
    }
    return stream_info(tenant, *id);
}

Position Database::log_position() const { return core_->log_position(); }

Position Database::applied_position() const { return core_->applied_position(); }

}  // namespace kb
