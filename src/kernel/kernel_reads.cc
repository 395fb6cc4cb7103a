// Reads of the kernel's state on a snapshot (see kernel_reads.h).
#include "kernel/kernel_reads.h"

#include "kernel/catalog_codec.h"
#include "kernel/kernel_trees.h"
#include "kernel/key_encoding.h"

namespace kb::kernel::reads {
namespace {

std::string tenant_name(TenantId tenant) { return "tenant " + std::to_string(tenant.value()); }

// One tenant's catalog from its three parts.
Result<TenantCatalog> tenant_catalog(const store::Snapshot& snapshot, TenantInfo info) {
    const TenantId id = info.id;
    auto schema = KB_TRY(snapshot.get(trees::catalog(id), trees::kCatalogKey));
    if (!schema) return Status::corruption(tenant_name(id) + ": no schema record");
    std::vector<StreamInfo> streams;
    auto cursor = KB_TRY(snapshot.scan(trees::streams(id), {}, {}));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const ByteSpan key = cursor.key();
        const ByteSpan value = KB_TRY(cursor.value());
        auto stream = decode_stream_info(value);
        if (!stream) return stream.error().with_context(tenant_name(id));
        if (key.size() != 8 || trees::load_be64(key.data()) != stream->id.value()) {
            return Status::corruption(tenant_name(id) + ": stream record " +
                                      std::to_string(stream->id.value()) + " under another key");
        }
        streams.push_back(std::move(*stream));
    }
    auto tenant = decode_tenant_catalog(std::move(info), *schema, std::move(streams));
    if (!tenant) return tenant.error().with_context(tenant_name(id));
    return tenant;
}

}  // namespace

Result<Catalog> catalog(const store::Snapshot& snapshot) {
    std::vector<TenantCatalog> tenants;
    if (!KB_TRY(snapshot.has_tree(trees::kTenants))) return Catalog{};
    auto cursor = KB_TRY(snapshot.scan(trees::kTenants, {}, {}));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const ByteSpan key = cursor.key();
        const ByteSpan value = KB_TRY(cursor.value());
        auto info = decode_tenant_info(value);
        if (!info) return info.error().with_context("tenants tree");
        if (key.size() != 8 || trees::load_be64(key.data()) != info->id.value() ||
            info->id.value() == 0) {
            return Status::corruption("tenants tree: the record of tenant " +
                                      std::to_string(info->id.value()) + " under another key");
        }
        tenants.push_back(KB_TRY(tenant_catalog(snapshot, std::move(*info))));
    }
    return assemble_catalog(std::move(tenants));
}

Result<std::optional<StreamInfo>> stream_info(const store::Snapshot& snapshot, TenantId tenant,
                                              StreamId stream) {
    const store::TreeId tree = trees::streams(tenant);
    if (!KB_TRY(snapshot.has_tree(tree))) return std::optional<StreamInfo>();
    auto bytes = KB_TRY(snapshot.get(tree, trees::stream_key(stream)));
    if (!bytes) return std::optional<StreamInfo>();
    auto info = decode_stream_info(*bytes);
    if (!info) return info.error().with_context(tenant_name(tenant));
    return std::optional<StreamInfo>(std::move(*info));
}

Result<std::vector<AppendRun>> append_runs(const store::Snapshot& snapshot, TenantId tenant,
                                           StreamId stream, Offset from, u64 max_bytes,
                                           u64 max_count) {
    std::vector<AppendRun> runs;
    const store::TreeId tree = trees::events(tenant);
    if (max_count == 0 || !KB_TRY(snapshot.has_tree(tree))) return runs;
    const auto prefix = trees::stream_key(stream);
    const auto from_key = trees::append_key(stream, from);
    const auto take = [&](store::Cursor& cursor) -> Result<AppendRun> {
        const ByteSpan key = cursor.key();
        if (key.size() != 16) {
            return Status::corruption(tenant_name(tenant) + " stream " +
                                      std::to_string(stream.value()) + ": an event key of " +
                                      std::to_string(key.size()) + " bytes");
        }
        const Offset first(trees::load_be64(key.data() + 8));
        const ByteSpan value = KB_TRY(cursor.value());
        return AppendRun{first, KB_TRY(trees::parse_append_value(value, stream, first))};
    };
    u64 events = 0;
    u64 bytes = 0;
    // The append holding `from`: the last one starting at or before it (key || 00 is above the
    // key and below the next one).
    Bytes through_from(from_key.begin(), from_key.end());
    through_from.push_back(0);
    auto before = KB_TRY(snapshot.scan(tree, prefix, through_from, store::Direction::backward));
    if (before.valid()) {
        AppendRun run = KB_TRY(take(before));
        if (run.end() > from) {
            events += run.end().value() - from.value();
            bytes += run.append.bytes;
            runs.push_back(run);
        }
    }
    const Bytes upper = prefix_end(prefix);
    auto after = KB_TRY(snapshot.scan(tree, through_from, upper));
    for (; after.valid() && (runs.empty() || (events < max_count && bytes < max_bytes));
         KB_TRY(after.next())) {
        AppendRun run = KB_TRY(take(after));
        events += run.append.count;
        bytes += run.append.bytes;
        runs.push_back(run);
    }
    return runs;
}

Result<std::optional<Position>> position_for_timestamp(const store::Snapshot& snapshot,
                                                       Timestamp timestamp) {
    if (!KB_TRY(snapshot.has_tree(trees::kTimestamps))) return std::optional<Position>();
    // Keys are exactly 8 bytes, so key || 00 is above the key and below the next one.
    const auto key = trees::timestamp_key(timestamp);
    Bytes upper(key.begin(), key.end());
    upper.push_back(0);
    auto cursor = KB_TRY(snapshot.scan(trees::kTimestamps, {}, upper, store::Direction::backward));
    if (!cursor.valid()) return std::optional<Position>();
    const ByteSpan value = KB_TRY(cursor.value());
    return std::optional<Position>(KB_TRY(trees::parse_timestamp_value(value)));
}

Result<std::optional<Bytes>> row_get(const store::Snapshot& snapshot, TenantId tenant,
                                     TableId table, ByteSpan key, Position as_of) {
    return store::mvcc_get(snapshot, trees::table(tenant, table), key, as_of);
}

Result<store::MvccCursor> row_scan(const store::Snapshot& snapshot, TenantId tenant, TableId table,
                                   ByteSpan lower, ByteSpan upper, Position as_of,
                                   store::Direction direction) {
    return store::MvccCursor::open(snapshot, trees::table(tenant, table), lower, upper, as_of,
                                   direction);
}

Result<std::optional<Bytes>> index_get(const store::Snapshot& snapshot, TenantId tenant,
                                       IndexId index, ByteSpan key, Position as_of) {
    return store::mvcc_get(snapshot, trees::index(tenant, index), key, as_of);
}

Result<store::MvccCursor> index_scan(const store::Snapshot& snapshot, TenantId tenant,
                                     IndexId index, ByteSpan lower, ByteSpan upper, Position as_of,
                                     store::Direction direction) {
    return store::MvccCursor::open(snapshot, trees::index(tenant, index), lower, upper, as_of,
                                   direction);
}

}  // namespace kb::kernel::reads
