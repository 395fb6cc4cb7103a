// The catalog as state-hash entries (see catalog_entries.h).
#include "kernel/catalog_entries.h"

#include "base/endian.h"
#include "kernel/schema_codec.h"
#include "kernel/wire.h"

namespace kb::kernel {
namespace {

std::array<u8, 8> le64(u64 value) {
    std::array<u8, 8> bytes;
    store_le_u64(bytes.data(), value);
    return bytes;
}

Bytes encoded(const TableSchema& schema) {
    WireWriter out;
    encode_table_schema(out, schema);
    return out.take();
}

Bytes encoded(const IndexSchema& schema) {
    WireWriter out;
    encode_index_schema(out, schema);
    return out.take();
}

Bytes encoded(const SequenceSchema& schema) {
    WireWriter out;
    encode_sequence_schema(out, schema);
    return out.take();
}

}  // namespace

Bytes stream_entry(TenantId tenant, const StreamInfo& stream) {
    const u8 data_class = static_cast<u8>(stream.data_class);
    return state_entry(StateEntryKind::stream,
                       {le64(tenant.value()), le64(stream.id.value()), as_bytes(stream.name),
                        ByteSpan(&data_class, 1), le64(stream.created.value()),
                        le64(stream.deleted.value()), le64(stream.next_offset.value())});
}

std::vector<Bytes> tenant_catalog_entries(const TenantCatalog& tenant) {
    std::vector<Bytes> entries = tenant_schema_entries(tenant);
    for (const auto& [id, stream] : tenant.streams()) {
        entries.push_back(stream_entry(tenant.info().id, stream));
    }
    return entries;
}

std::vector<Bytes> tenant_schema_entries(const TenantCatalog& tenant) {
    const TenantInfo& info = tenant.info();
    const auto tenant_id = le64(info.id.value());
    std::vector<Bytes> entries;
    const auto kek = info.kek.encode();
    const auto root_key = info.root_key.encode();
    const auto created = le64(info.created.value());
    const auto catalog_version = le64(tenant.version());
    const auto next_object = le64(tenant.next_object_id().value());
    const auto next_stream = le64(tenant.next_stream_id().value());
    if (!info.is_dropped()) {
        entries.push_back(state_entry(StateEntryKind::tenant,
                                      {tenant_id, as_bytes(info.name), created, kek, root_key,
                                       catalog_version, next_object, next_stream}));
    } else {
        // The dropped position only once there is one: live tenants hash as they always did,
        // so states (and checkpoints) from before DROP DATABASE keep their hashes.
        entries.push_back(
            state_entry(StateEntryKind::tenant,
                        {tenant_id, as_bytes(info.name), created, kek, root_key, catalog_version,
                         next_object, next_stream, le64(info.dropped.value())}));
    }
    for (const auto& [id, versions] : tenant.table_versions()) {
        for (const auto& version : versions) {
            Bytes schema = encoded(version.value);
            entries.push_back(state_entry(
                StateEntryKind::table_version,
                {tenant_id, le64(version.created.value()), le64(version.ended.value()), schema}));
        }
    }
    for (const auto& [id, index] : tenant.index_versions()) {
        Bytes schema = encoded(index.value);
        entries.push_back(state_entry(
            StateEntryKind::index_version,
            {tenant_id, le64(index.created.value()), le64(index.ended.value()), schema}));
    }
    for (const auto& [id, entry] : tenant.sequence_versions()) {
        Bytes schema = encoded(entry.first.value);
        const u8 exhausted = entry.second.exhausted ? 1 : 0;
        entries.push_back(state_entry(
            StateEntryKind::sequence,
            {tenant_id, le64(entry.first.created.value()), le64(entry.first.ended.value()), schema,
             le64(static_cast<u64>(entry.second.next_value)), ByteSpan(&exhausted, 1)}));
    }
    return entries;
}

StateHash catalog_state_hash(const Catalog& catalog) {
    StateHash hash;
    for (const auto& [id, tenant] : catalog.tenants()) {
        for (const Bytes& entry : tenant_catalog_entries(tenant)) hash.add(entry);
    }
    return hash;
}

}  // namespace kb::kernel
