// Deterministic bytes for the whole catalog (see catalog_codec.h).
#include "kernel/catalog_codec.h"

#include "kernel/schema_codec.h"
#include "kernel/wire.h"

namespace kb::kernel {
namespace {

constexpr usize kMinTenantBytes = 8 + 4 + 8 + 2 * crypto::WrappedKey::kEncodedSize;
constexpr usize kMinStreamBytes = 8 + 4 + 1 + 8 + 8 + 8;
constexpr usize kMinVersionBytes = 8 + 8 + 8;

void encode_wrapped_key(WireWriter& out, const crypto::WrappedKey& key) {
    auto bytes = key.encode();
    out.raw(bytes);
}

crypto::WrappedKey decode_wrapped_key(WireReader& in, std::string_view field) {
    ByteSpan bytes = in.raw(crypto::WrappedKey::kEncodedSize, field);
    if (!in.ok()) return {};
    auto key = crypto::WrappedKey::decode(bytes);
    if (!key) {
        in.fail(std::string(field) + ": " + key.error().message());
        return {};
    }
    return *key;
}

bool readable_version(u8 version) {
    return version >= kCatalogFormatVersionOldest && version <= kCatalogFormatVersion;
}

std::string unreadable_version(std::string_view what, ByteSpan bytes) {
    return std::string(what) + ": format version " +
           (bytes.empty() ? std::string("missing") : std::to_string(bytes[0])) +
           " (this build reads versions " + std::to_string(kCatalogFormatVersionOldest) + " to " +
           std::to_string(kCatalogFormatVersion) + ")";
}

// Refuses ids that are not strictly increasing: the encoding of a map has one order.
template <class Id>
bool in_order(WireReader& in, std::optional<Id>& previous, Id id, std::string_view what) {
    if (previous.has_value() && !(*previous < id)) {
        in.fail(std::string(what) + " ids are not in increasing order at " +
                std::to_string(id.value()));
        return false;
    }
    previous = id;
    return true;
}

}  // namespace

// Reads the catalog straight into the private members (it is the catalog's own format).
class CatalogDecoder {
public:
    static Result<Catalog> decode(ByteSpan bytes) {
        if (bytes.empty()) return Status::corruption("catalog: empty");
        if (!readable_version(bytes[0])) {
            return Status::unsupported(unreadable_version("catalog", bytes));
        }
        WireReader in(bytes.subspan(1), "catalog");
        Catalog catalog;
        usize tenants = in.count("tenants", kMinTenantBytes);
        std::optional<TenantId> previous;
        for (usize i = 0; i < tenants && in.ok(); ++i) {
            TenantCatalog tenant = decode_tenant(in, bytes[0]);
            if (!in_order(in, previous, tenant.info_.id, "tenant")) break;
            TenantId id = tenant.info_.id;
            catalog.tenants_.emplace(id, std::move(tenant));
        }
        KB_TRY(in.finish());
        return catalog;
    }

    // One tenant from its parts (the kernel stores them apart).
    static Result<TenantCatalog> decode_parts(TenantInfo info, ByteSpan schema,
                                              std::vector<StreamInfo> streams) {
        if (schema.empty()) return Status::corruption("tenant schema: empty");
        if (!readable_version(schema[0])) {
            return Status::unsupported(unreadable_version("tenant schema", schema));
        }
        WireReader in(schema.subspan(1), "tenant " + std::to_string(info.id.value()) + " schema");
        TenantCatalog tenant;
        tenant.info_ = std::move(info);
        decode_schema(in, tenant);
        KB_TRY(in.finish());
        std::optional<StreamId> previous;
        for (StreamInfo& stream : streams) {
            if (previous.has_value() && !(*previous < stream.id)) {
                return Status::corruption("tenant " + std::to_string(tenant.info_.id.value()) +
                                          ": stream ids not increasing at " +
                                          std::to_string(stream.id.value()));
            }
            previous = stream.id;
            const StreamId id = stream.id;
            tenant.streams_.emplace(id, std::move(stream));
        }
        return tenant;
    }

    static Catalog assemble(std::vector<TenantCatalog> tenants) {
        Catalog catalog;
        for (TenantCatalog& tenant : tenants) {
            const TenantId id = tenant.info_.id;
            KB_ASSERT(!catalog.tenants_.contains(id));
            catalog.tenants_.emplace(id, std::move(tenant));
        }
        return catalog;
    }

    static TenantInfo decode_info(WireReader& in, u8 version) {
        TenantInfo info;
        info.id = TenantId(in.u64("tenant id"));
        info.name = in.string("tenant name");
        info.created = Position(in.u64("tenant created"));
        info.kek = decode_wrapped_key(in, "tenant KEK");
        info.root_key = decode_wrapped_key(in, "tenant root key");
        if (version >= 2) info.dropped = Position(in.u64("tenant dropped"));
        return info;
    }

    static StreamInfo decode_stream(WireReader& in) {
        StreamInfo stream;
        stream.id = StreamId(in.u64("stream id"));
        stream.name = in.string("stream name");
        stream.data_class = static_cast<DataClass>(
            decode_enum_byte(in, "stream data class", 0, static_cast<u8>(kDataClassMax)));
        stream.created = Position(in.u64("stream created"));
        stream.deleted = Position(in.u64("stream deleted"));
        stream.next_offset = Offset(in.u64("stream next offset"));
        return stream;
    }

private:
    static TenantCatalog decode_tenant(WireReader& in, u8 version) {
        TenantCatalog tenant;
        tenant.info_ = decode_info(in, version);
        tenant.version_ = in.u64("catalog version");
        tenant.next_object_id_ = ObjectId(in.u64("next object id"));
        tenant.next_stream_id_ = StreamId(in.u64("next stream id"));
        tenant.last_change_ = Position(in.u64("last change"));

        usize streams = in.count("streams", kMinStreamBytes);
        std::optional<StreamId> previous_stream;
        for (usize i = 0; i < streams && in.ok(); ++i) {
            StreamInfo stream = decode_stream(in);
            if (!in_order(in, previous_stream, stream.id, "stream")) break;
            tenant.streams_.emplace(stream.id, std::move(stream));
        }
        decode_lists(in, tenant);
        return tenant;
    }

    // The counters and lists of a tenant schema part.
    static void decode_schema(WireReader& in, TenantCatalog& tenant) {
        tenant.version_ = in.u64("catalog version");
        tenant.next_object_id_ = ObjectId(in.u64("next object id"));
        tenant.next_stream_id_ = StreamId(in.u64("next stream id"));
        tenant.last_change_ = Position(in.u64("last change"));
        decode_lists(in, tenant);
    }

    static void decode_lists(WireReader& in, TenantCatalog& tenant) {
        usize tables = in.count("tables", kMinVersionBytes);
        std::optional<TableId> previous_table;
        for (usize i = 0; i < tables && in.ok(); ++i) {
            TableId id(in.u64("table id"));
            if (!in_order(in, previous_table, id, "table")) break;
            auto& versions = tenant.tables_[id];
            versions.resize(in.count("table versions", kMinVersionBytes));
            for (auto& version : versions) {
                version.created = Position(in.u64("table version created"));
                version.ended = Position(in.u64("table version ended"));
                version.value = decode_table_schema(in);
                if (!in.ok()) break;
                if (version.value.id != id) in.fail("table version of another table id");
            }
            if (in.ok() && versions.empty()) in.fail("table without versions");
        }

        usize indexes = in.count("indexes", kMinVersionBytes);
        std::optional<IndexId> previous_index;
        for (usize i = 0; i < indexes && in.ok(); ++i) {
            Versioned<IndexSchema> index;
            index.created = Position(in.u64("index created"));
            index.ended = Position(in.u64("index ended"));
            index.value = decode_index_schema(in);
            if (!in_order(in, previous_index, index.value.id, "index")) break;
            tenant.indexes_.emplace(index.value.id, std::move(index));
        }

        usize sequences = in.count("sequences", kMinVersionBytes);
        std::optional<SequenceId> previous_sequence;
        for (usize i = 0; i < sequences && in.ok(); ++i) {
            Versioned<SequenceSchema> sequence;
            sequence.created = Position(in.u64("sequence created"));
            sequence.ended = Position(in.u64("sequence ended"));
            sequence.value = decode_sequence_schema(in);
            SequenceState state;
            state.next_value = in.i64("sequence next value");
            state.exhausted = in.boolean("sequence exhausted");
            if (!in_order(in, previous_sequence, sequence.value.id, "sequence")) break;
            SequenceId id = sequence.value.id;
            tenant.sequences_.emplace(id, std::make_pair(std::move(sequence), state));
        }
    }
};

namespace {

void encode_info(WireWriter& out, const TenantInfo& info) {
    out.u64(info.id.value());
    out.string(info.name);
    out.u64(info.created.value());
    encode_wrapped_key(out, info.kek);
    encode_wrapped_key(out, info.root_key);
    out.u64(info.dropped.value());
}

void encode_stream(WireWriter& out, const StreamInfo& stream) {
    out.u64(stream.id.value());
    out.string(stream.name);
    out.u8(static_cast<u8>(stream.data_class));
    out.u64(stream.created.value());
    out.u64(stream.deleted.value());
    out.u64(stream.next_offset.value());
}

void encode_counters(WireWriter& out, const TenantCatalog& tenant) {
    out.u64(tenant.version());
    out.u64(tenant.next_object_id().value());
    out.u64(tenant.next_stream_id().value());
    out.u64(tenant.last_change().value());
}

void encode_lists(WireWriter& out, const TenantCatalog& tenant) {
    out.count(tenant.table_versions().size());
    for (const auto& [id, versions] : tenant.table_versions()) {
        out.u64(id.value());
        out.count(versions.size());
        for (const auto& version : versions) {
            out.u64(version.created.value());
            out.u64(version.ended.value());
            encode_table_schema(out, version.value);
        }
    }
    out.count(tenant.index_versions().size());
    for (const auto& [id, index] : tenant.index_versions()) {
        out.u64(index.created.value());
        out.u64(index.ended.value());
        encode_index_schema(out, index.value);
    }
    out.count(tenant.sequence_versions().size());
    for (const auto& [id, entry] : tenant.sequence_versions()) {
        out.u64(entry.first.created.value());
        out.u64(entry.first.ended.value());
        encode_sequence_schema(out, entry.first.value);
        out.i64(entry.second.next_value);
        out.boolean(entry.second.exhausted);
    }
}

}  // namespace

Bytes encode_catalog(const Catalog& catalog) {
    WireWriter out;
    out.u8(kCatalogFormatVersion);
    out.count(catalog.tenants().size());
    for (const auto& [tenant_id, tenant] : catalog.tenants()) {
        encode_info(out, tenant.info());
        encode_counters(out, tenant);
        out.count(tenant.streams().size());
        for (const auto& [id, stream] : tenant.streams()) encode_stream(out, stream);
        encode_lists(out, tenant);
    }
    return out.take();
}

Bytes encode_tenant_info(const TenantInfo& info) {
    WireWriter out;
    out.u8(kCatalogFormatVersion);
    encode_info(out, info);
    return out.take();
}

Result<TenantInfo> decode_tenant_info(ByteSpan bytes) {
    if (bytes.empty() || !readable_version(bytes[0])) {
        return Status::unsupported(unreadable_version("tenant record", bytes));
    }
    WireReader in(bytes.subspan(1), "tenant record");
    TenantInfo info = CatalogDecoder::decode_info(in, bytes[0]);
    KB_TRY(in.finish());
    return info;
}

Bytes encode_stream_info(const StreamInfo& stream) {
    WireWriter out;
    out.u8(kCatalogFormatVersion);
    encode_stream(out, stream);
    return out.take();
}

Result<StreamInfo> decode_stream_info(ByteSpan bytes) {
    if (bytes.empty() || !readable_version(bytes[0])) {
        return Status::unsupported(unreadable_version("stream record", bytes));
    }
    WireReader in(bytes.subspan(1), "stream record");
    StreamInfo stream = CatalogDecoder::decode_stream(in);
    KB_TRY(in.finish());
    return stream;
}

Bytes encode_tenant_schema(const TenantCatalog& tenant) {
    WireWriter out;
    out.u8(kCatalogFormatVersion);
    encode_counters(out, tenant);
    encode_lists(out, tenant);
    return out.take();
}

Result<TenantCatalog> decode_tenant_catalog(TenantInfo info, ByteSpan schema,
                                            std::vector<StreamInfo> streams) {
    return CatalogDecoder::decode_parts(std::move(info), schema, std::move(streams));
}

Catalog assemble_catalog(std::vector<TenantCatalog> tenants) {
    return CatalogDecoder::assemble(std::move(tenants));
}

Result<Catalog> decode_catalog(ByteSpan bytes) { return CatalogDecoder::decode(bytes); }

}  // namespace kb::kernel
