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
        if (bytes[0] != kCatalogFormatVersion) {
            return Status::unsupported("catalog: format version " + std::to_string(bytes[0]) +
                                       " (this build reads version " +
                                       std::to_string(kCatalogFormatVersion) + ")");
        }
        WireReader in(bytes.subspan(1), "catalog");
        Catalog catalog;
        usize tenants = in.count("tenants", kMinTenantBytes);
        std::optional<TenantId> previous;
        for (usize i = 0; i < tenants && in.ok(); ++i) {
            TenantCatalog tenant = decode_tenant(in);
            if (!in_order(in, previous, tenant.info_.id, "tenant")) break;
            TenantId id = tenant.info_.id;
            catalog.tenants_.emplace(id, std::move(tenant));
        }
        KB_TRY(in.finish());
        return catalog;
    }

private:
    static TenantCatalog decode_tenant(WireReader& in) {
        TenantCatalog tenant;
        tenant.info_.id = TenantId(in.u64("tenant id"));
        tenant.info_.name = in.string("tenant name");
        tenant.info_.created = Position(in.u64("tenant created"));
        tenant.info_.kek = decode_wrapped_key(in, "tenant KEK");
        tenant.info_.root_key = decode_wrapped_key(in, "tenant root key");
        tenant.version_ = in.u64("catalog version");
        tenant.next_object_id_ = ObjectId(in.u64("next object id"));
        tenant.next_stream_id_ = StreamId(in.u64("next stream id"));
        tenant.last_change_ = Position(in.u64("last change"));

        usize streams = in.count("streams", kMinStreamBytes);
        std::optional<StreamId> previous_stream;
        for (usize i = 0; i < streams && in.ok(); ++i) {
            StreamInfo stream;
            stream.id = StreamId(in.u64("stream id"));
            stream.name = in.string("stream name");
            stream.data_class = static_cast<DataClass>(
                decode_enum_byte(in, "stream data class", 0, static_cast<u8>(kDataClassMax)));
            stream.created = Position(in.u64("stream created"));
            stream.deleted = Position(in.u64("stream deleted"));
            stream.next_offset = Offset(in.u64("stream next offset"));
            if (!in_order(in, previous_stream, stream.id, "stream")) break;
            tenant.streams_.emplace(stream.id, std::move(stream));
        }

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
        return tenant;
    }
};

Bytes encode_catalog(const Catalog& catalog) {
    WireWriter out;
    out.u8(kCatalogFormatVersion);
    out.count(catalog.tenants().size());
    for (const auto& [tenant_id, tenant] : catalog.tenants()) {
        const TenantInfo& info = tenant.info();
        out.u64(info.id.value());
        out.string(info.name);
        out.u64(info.created.value());
        encode_wrapped_key(out, info.kek);
        encode_wrapped_key(out, info.root_key);
        out.u64(tenant.version());
        out.u64(tenant.next_object_id().value());
        out.u64(tenant.next_stream_id().value());
        out.u64(tenant.last_change().value());

        out.count(tenant.streams().size());
        for (const auto& [id, stream] : tenant.streams()) {
            out.u64(stream.id.value());
            out.string(stream.name);
            out.u8(static_cast<u8>(stream.data_class));
            out.u64(stream.created.value());
            out.u64(stream.deleted.value());
            out.u64(stream.next_offset.value());
        }
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
    return out.take();
}

Result<Catalog> decode_catalog(ByteSpan bytes) { return CatalogDecoder::decode(bytes); }

}  // namespace kb::kernel
