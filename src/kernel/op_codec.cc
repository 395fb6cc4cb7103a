// The binary form of ops (see op_codec.h; layouts in docs/FORMATS.md, "Ops").
#include "kernel/op_codec.h"

#include "base/assert.h"
#include "kernel/schema_codec.h"
#include "kernel/wire.h"

namespace kb::kernel {
namespace {

// Lower bounds of encoded item sizes, so a forged count is refused before reserving memory.
constexpr usize kMinEventBytes = 4;
constexpr usize kMinKeyRefBytes = 8 + 4;
constexpr usize kMinKeyRangeBytes = 8 + 4 + 4;
constexpr usize kMinDdlBytes = 1 + 8;
constexpr usize kMinEffectBytes = 1 + 8 + 4;
constexpr usize kUuidBytes = 16;
constexpr usize kHeaderBytes = 1 + 1 + 8 + 8;
constexpr usize kIdBytes = 8;
constexpr usize kPrivilegeBytes = 1;

// DDL tags in the encoding: the variant's alternatives in order, numbered from 1. Stable.
enum class DdlTag : u8 {
    create_table = 1,
    drop_table = 2,
    create_index = 3,
    drop_index = 4,
    add_column = 5,
    drop_column = 6,
    create_sequence = 7,
    truncate_table = 8,
    advance_sequence = 9,
};
static_assert(std::variant_size_v<DdlChange> == 9, "give a new DDL change a new tag");

// --- encoding --------------------------------------------------------------------------------

void encode_idempotency(WireWriter& out, const IdempotencyId& id) { out.raw(id.bytes()); }

void encode_key_ref(WireWriter& out, const KeyRef& ref) {
    out.u64(ref.object.value());
    out.bytes(ref.key);
}

void encode_key_refs(WireWriter& out, const std::vector<KeyRef>& refs) {
    out.count(refs.size());
    for (const KeyRef& ref : refs) encode_key_ref(out, ref);
}

void encode_read_set(WireWriter& out, const ReadSet& reads) {
    out.boolean(reads.catalog_version.has_value());
    if (reads.catalog_version.has_value()) out.u64(*reads.catalog_version);
    encode_key_refs(out, reads.keys);
    out.count(reads.ranges.size());
    for (const KeyRange& range : reads.ranges) {
        out.u64(range.object.value());
        out.bytes(range.start);
        out.bytes(range.end);
    }
    encode_key_refs(out, reads.absent_keys);
    encode_key_refs(out, reads.parent_keys);
}

void encode_ddl(WireWriter& out, const DdlChange& change) {
    out.u8(static_cast<u8>(change.index() + 1));
    std::visit(
        [&out](const auto& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, CreateTableChange>) {
                encode_table_schema(out, c.schema);
                out.count(c.sequences.size());
                for (const SequenceSchema& sequence : c.sequences) {
                    encode_sequence_schema(out, sequence);
                }
            } else if constexpr (std::is_same_v<T, DropTableChange>) {
                out.u64(c.table.value());
            } else if constexpr (std::is_same_v<T, CreateIndexChange>) {
                encode_index_schema(out, c.schema);
            } else if constexpr (std::is_same_v<T, DropIndexChange>) {
                out.u64(c.index.value());
            } else if constexpr (std::is_same_v<T, AddColumnChange>) {
                out.u64(c.table.value());
                encode_column_def(out, c.column);
                out.boolean(c.sequence.has_value());
                if (c.sequence.has_value()) encode_sequence_schema(out, *c.sequence);
                encode_added_constraints(out, c.constraints);
            } else if constexpr (std::is_same_v<T, DropColumnChange>) {
                out.u64(c.table.value());
                out.u32(c.column.value());
            } else if constexpr (std::is_same_v<T, CreateSequenceChange>) {
                encode_sequence_schema(out, c.schema);
            } else if constexpr (std::is_same_v<T, AdvanceSequenceChange>) {
                out.u64(c.sequence.value());
                out.u64(c.count);
            } else {
                static_assert(std::is_same_v<T, TruncateTableChange>);
                out.u64(c.table.value());
            }
        },
        change);
}

void encode_transaction(WireWriter& out, const TransactionOp& txn) {
    out.u64(txn.snapshot.value());
    encode_idempotency(out, txn.idempotency);
    encode_read_set(out, txn.reads);
    out.count(txn.ddl.size());
    for (const DdlChange& change : txn.ddl) encode_ddl(out, change);
    out.count(txn.effects.size());
    for (const RowEffect& effect : txn.effects) {
        out.u8(static_cast<u8>(effect.kind));
        out.u64(effect.table.value());
        out.bytes(effect.key);
        // A remove has no image; asserting keeps encode from writing what decode refuses.
        if (effect.kind == RowEffectKind::remove) {
            KB_ASSERT(effect.row.empty());
        } else {
            out.bytes(effect.row);
        }
    }
    out.boolean(txn.fixed.transaction_timestamp_us.has_value());
    if (txn.fixed.transaction_timestamp_us.has_value()) {
        out.i64(*txn.fixed.transaction_timestamp_us);
    }
    out.count(txn.fixed.random_uuids.size());
    for (const auto& uuid : txn.fixed.random_uuids) out.raw(uuid);
}

void encode_ids(WireWriter& out, const auto& ids) {
    out.count(ids.size());
    for (const auto& id : ids) out.u64(id.value());
}

void encode_optional_bool(WireWriter& out, const std::optional<bool>& value) {
    out.boolean(value.has_value());
    if (value.has_value()) out.boolean(*value);
}

void encode_role(WireWriter& out, const RoleOp& role) {
    out.u8(static_cast<u8>(role.action));
    out.string(role.name);
    encode_ids(out, role.roles);
    encode_optional_bool(out, role.attributes.login);
    encode_optional_bool(out, role.attributes.superuser);
    out.boolean(role.attributes.verifier.has_value());
    if (role.attributes.verifier.has_value()) out.string(*role.attributes.verifier);
}

void encode_grant(WireWriter& out, const GrantOp& grant) {
    out.boolean(grant.revoke);
    out.u8(static_cast<u8>(grant.target));
    out.u64(grant.tenant.value());
    encode_ids(out, grant.tables);
    out.count(grant.privileges.size());
    for (Privilege privilege : grant.privileges) out.u8(static_cast<u8>(privilege));
    encode_ids(out, grant.roles);
}

void encode_api_key(WireWriter& out, const ApiKeyOp& key) {
    out.u8(static_cast<u8>(key.action));
    out.u64(key.key_id);
    out.u64(key.role.value());
    out.u64(key.tenant.value());
    out.boolean(key.read_only);
    out.raw(key.secret_hash);
}

void encode_into(WireWriter& out, const Op& op) {
    out.u8(kOpFormatVersion);
    out.u8(static_cast<u8>(op.kind()));
    out.u64(op.tenant.value());
    out.u64(op.principal.value());
    std::visit(
        [&out](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, CreateTenantOp>) {
                out.string(body.name);
                out.raw(body.kek.encode());
                out.raw(body.root_key.encode());
            } else if constexpr (std::is_same_v<T, CreateStreamOp>) {
                out.string(body.name);
                out.u8(static_cast<u8>(body.data_class));
            } else if constexpr (std::is_same_v<T, DeleteStreamOp>) {
                out.u64(body.stream.value());
            } else if constexpr (std::is_same_v<T, AppendBatchOp>) {
                out.u64(body.stream.value());
                out.boolean(body.expected_offset.has_value());
                if (body.expected_offset.has_value()) out.u64(body.expected_offset->value());
                encode_idempotency(out, body.idempotency);
                out.count(body.events.size());
                for (const Bytes& event : body.events) out.bytes(event);
            } else if constexpr (std::is_same_v<T, ReserveSequenceOp>) {
                out.u64(body.sequence.value());
                out.u64(body.count);
            } else if constexpr (std::is_same_v<T, ConfigureOp>) {
                out.u16(static_cast<u16>(body.setting));
                out.u64(body.value);
            } else if constexpr (std::is_same_v<T, RoleOp>) {
                encode_role(out, body);
            } else if constexpr (std::is_same_v<T, GrantOp>) {
                encode_grant(out, body);
            } else if constexpr (std::is_same_v<T, DropTenantOp>) {
                out.u64(body.tenant.value());
            } else if constexpr (std::is_same_v<T, ApiKeyOp>) {
                encode_api_key(out, body);
            } else {
                static_assert(std::is_same_v<T, TransactionOp>);
                encode_transaction(out, body);
            }
        },
        op.body);
}

// --- decoding --------------------------------------------------------------------------------

IdempotencyId decode_idempotency(WireReader& in, std::string_view field) {
    ByteSpan bytes = in.raw(IdempotencyId::kSize, field);
    return in.ok() ? IdempotencyId::from_bytes(bytes) : IdempotencyId();
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

std::vector<KeyRef> decode_key_refs(WireReader& in, std::string_view field) {
    std::vector<KeyRef> refs(in.count(field, kMinKeyRefBytes));
    for (KeyRef& ref : refs) {
        ref.object = ObjectId(in.u64(field));
        ref.key = in.bytes(field);
        if (!in.ok()) break;
    }
    return refs;
}

ReadSet decode_read_set(WireReader& in) {
    ReadSet reads;
    if (in.boolean("read set has catalog version")) {
        reads.catalog_version = in.u64("read set catalog version");
    }
    reads.keys = decode_key_refs(in, "read keys");
    reads.ranges.resize(in.count("read ranges", kMinKeyRangeBytes));
    for (KeyRange& range : reads.ranges) {
        range.object = ObjectId(in.u64("read range object"));
        range.start = in.bytes("read range start");
        range.end = in.bytes("read range end");
        if (!in.ok()) break;
    }
    reads.absent_keys = decode_key_refs(in, "absent keys");
    reads.parent_keys = decode_key_refs(in, "parent keys");
    return reads;
}

DdlChange decode_ddl(WireReader& in) {
    auto tag = static_cast<DdlTag>(decode_enum_byte(in, "DDL change kind", 1, 9));
    switch (tag) {
        case DdlTag::create_table: {
            CreateTableChange change;
            change.schema = decode_table_schema(in);
            change.sequences.resize(in.count("owned sequences", kMinDdlBytes));
            for (SequenceSchema& sequence : change.sequences) {
                sequence = decode_sequence_schema(in);
                if (!in.ok()) break;
            }
            return change;
        }
        case DdlTag::drop_table:
            return DropTableChange{.table = TableId(in.u64("drop table id"))};
        case DdlTag::create_index:
            return CreateIndexChange{.schema = decode_index_schema(in)};
        case DdlTag::drop_index:
            return DropIndexChange{.index = IndexId(in.u64("drop index id"))};
        case DdlTag::add_column: {
            AddColumnChange change;
            change.table = TableId(in.u64("add column table"));
            change.column = decode_column_def(in);
            if (in.boolean("add column has sequence")) {
                change.sequence = decode_sequence_schema(in);
            }
            change.constraints = decode_added_constraints(in);
            return change;
        }
        case DdlTag::drop_column: {
            DropColumnChange change;
            change.table = TableId(in.u64("drop column table"));
            change.column = ColumnId(in.u32("drop column id"));
            return change;
        }
        case DdlTag::create_sequence:
            return CreateSequenceChange{.schema = decode_sequence_schema(in)};
        case DdlTag::truncate_table:
            return TruncateTableChange{.table = TableId(in.u64("truncate table id"))};
        case DdlTag::advance_sequence: {
            AdvanceSequenceChange change;
            change.sequence = SequenceId(in.u64("advanced sequence id"));
            change.count = in.u64("advanced sequence count");
            return change;
        }
    }
    return DropTableChange{};  // unreachable: decode_enum_byte keeps the tag in range
}

TransactionOp decode_transaction(WireReader& in) {
    TransactionOp txn;
    txn.snapshot = Position(in.u64("snapshot position"));
    txn.idempotency = decode_idempotency(in, "transaction idempotency id");
    txn.reads = decode_read_set(in);
    const usize ddl_count = in.count("DDL changes", kMinDdlBytes);
    txn.ddl.reserve(ddl_count);
    for (usize i = 0; i < ddl_count && in.ok(); ++i) txn.ddl.push_back(decode_ddl(in));
    txn.effects.resize(in.count("row effects", kMinEffectBytes));
    for (RowEffect& effect : txn.effects) {
        effect.kind = static_cast<RowEffectKind>(
            decode_enum_byte(in, "row effect kind", 1, static_cast<u8>(RowEffectKind::remove)));
        effect.table = TableId(in.u64("row effect table"));
        effect.key = in.bytes("row effect key");
        if (effect.kind != RowEffectKind::remove) effect.row = in.bytes("row effect image");
        if (!in.ok()) break;
    }
    if (in.boolean("has transaction timestamp")) {
        txn.fixed.transaction_timestamp_us = in.i64("transaction timestamp");
    }
    txn.fixed.random_uuids.resize(in.count("random uuids", kUuidBytes));
    for (auto& uuid : txn.fixed.random_uuids) {
        ByteSpan bytes = in.raw(kUuidBytes, "random uuid");
        if (!in.ok()) break;
        std::copy(bytes.begin(), bytes.end(), uuid.begin());
    }
    return txn;
}

template <class Id>
std::vector<Id> decode_ids(WireReader& in, std::string_view field) {
    std::vector<Id> ids(in.count(field, kIdBytes));
    for (Id& id : ids) id = Id(in.u64(field));
    return ids;
}

std::optional<bool> decode_optional_bool(WireReader& in, std::string_view field) {
    if (!in.boolean(field)) return std::nullopt;
    return in.boolean(field);
}

RoleOp decode_role(WireReader& in) {
    RoleOp role;
    role.action = static_cast<RoleAction>(
        decode_enum_byte(in, "role action", 1, static_cast<u8>(kRoleActionMax)));
    role.name = in.string("role name");
    role.roles = decode_ids<PrincipalId>(in, "roles");
    role.attributes.login = decode_optional_bool(in, "role login");
    role.attributes.superuser = decode_optional_bool(in, "role superuser");
    if (in.boolean("role has verifier")) role.attributes.verifier = in.string("role verifier");
    return role;
}

GrantOp decode_grant(WireReader& in) {
    GrantOp grant;
    grant.revoke = in.boolean("grant revoke");
    grant.target = static_cast<GrantTarget>(
        decode_enum_byte(in, "grant target", 1, static_cast<u8>(kGrantTargetMax)));
    grant.tenant = TenantId(in.u64("grant tenant"));
    grant.tables = decode_ids<TableId>(in, "grant tables");
    grant.privileges.resize(in.count("privileges", kPrivilegeBytes));
    for (Privilege& privilege : grant.privileges) {
        privilege = static_cast<Privilege>(
            decode_enum_byte(in, "privilege", 1, static_cast<u8>(kPrivilegeMax)));
        if (!in.ok()) break;
    }
    grant.roles = decode_ids<PrincipalId>(in, "grantees");
    return grant;
}

ApiKeyOp decode_api_key(WireReader& in) {
    ApiKeyOp key;
    key.action = static_cast<ApiKeyAction>(
        decode_enum_byte(in, "API key action", 1, static_cast<u8>(kApiKeyActionMax)));
    const usize at = in.offset();
    key.key_id = in.u64("API key id");
    if (in.ok() && key.key_id == 0) in.fail("API key id at byte " + std::to_string(at) + " is 0");
    key.role = PrincipalId(in.u64("API key role"));
    key.tenant = TenantId(in.u64("API key tenant"));
    key.read_only = in.boolean("API key read only");
    const ByteSpan hash = in.raw(kApiKeySecretHashBytes, "API key secret hash");
    if (in.ok()) std::copy(hash.begin(), hash.end(), key.secret_hash.begin());
    return key;
}

}  // namespace

std::string_view api_key_action_name(ApiKeyAction action) {
    switch (action) {
        case ApiKeyAction::create:
            return "create";
        case ApiKeyAction::revoke:
            return "revoke";
    }
    KB_UNREACHABLE();
}

std::string_view role_action_name(RoleAction action) {
    switch (action) {
        case RoleAction::create:
            return "create";
        case RoleAction::alter:
            return "alter";
        case RoleAction::drop:
            return "drop";
    }
    KB_UNREACHABLE();
}

std::string_view privilege_name(Privilege privilege) {
    switch (privilege) {
        case Privilege::connect:
            return "CONNECT";
        case Privilege::select:
            return "SELECT";
        case Privilege::insert:
            return "INSERT";
        case Privilege::update:
            return "UPDATE";
        case Privilege::remove:
            return "DELETE";
        case Privilege::truncate:
            return "TRUNCATE";
    }
    KB_UNREACHABLE();
}

std::string_view op_kind_name(OpKind kind) {
    switch (kind) {
        case OpKind::create_tenant:
            return "create tenant";
        case OpKind::create_stream:
            return "create stream";
        case OpKind::delete_stream:
            return "delete stream";
        case OpKind::append_batch:
            return "append batch";
        case OpKind::reserve_sequence:
            return "reserve sequence";
        case OpKind::transaction:
            return "transaction";
        case OpKind::configure:
            return "configure";
        case OpKind::role:
            return "role";
        case OpKind::grant:
            return "grant";
        case OpKind::drop_tenant:
            return "drop tenant";
        case OpKind::api_key:
            return "api key";
    }
    KB_UNREACHABLE();
}

std::string_view setting_name(Setting setting) {
    switch (setting) {
        case Setting::idempotency_retention_positions:
            return "idempotency retention positions";
    }
    KB_UNREACHABLE();
}

OpKind Op::kind() const {
    // The body's alternatives are in kind order, numbered from 1.
    static_assert(std::variant_size_v<OpBody> == static_cast<usize>(kOpKindMax));
    return static_cast<OpKind>(body.index() + 1);
}

bool KeyRange::contains(ByteSpan key) const {
    auto less = [](ByteSpan a, ByteSpan b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
    };
    return !less(key, start) && (end.empty() || less(key, end));
}

u64 encoded_op_size(const Op& op) {
    WireWriter counter = WireWriter::measuring();
    encode_into(counter, op);
    return counter.size();
}

Result<Bytes> encode_op(const Op& op, u64 size_cap_bytes) {
    const u64 size = encoded_op_size(op);
    if (size > size_cap_bytes) {
        return Status::out_of_range("op of " + std::to_string(size) +
                                    " bytes exceeds the op size cap of " +
                                    std::to_string(size_cap_bytes) + " bytes");
    }
    WireWriter out;
    out.reserve(size);
    encode_into(out, op);
    KB_ASSERT(out.size() == size);
    return out.take();
}

Result<Op> decode_op(ByteSpan bytes) {
    if (bytes.empty()) return Status::corruption("op: empty");
    if (bytes[0] != kOpFormatVersion) {
        return Status::unsupported("op: format version " + std::to_string(bytes[0]) +
                                   " (this build reads version " +
                                   std::to_string(kOpFormatVersion) + ")");
    }
    if (bytes.size() > limits::kOpSizeBytesMax) {
        return Status::corruption("op: " + std::to_string(bytes.size()) +
                                  " bytes, above the hard maximum");
    }
    WireReader in(bytes, "op");
    (void)in.u8("format version");
    auto kind =
        static_cast<OpKind>(decode_enum_byte(in, "op kind", 1, static_cast<u8>(kOpKindMax)));
    Op op;
    op.tenant = TenantId(in.u64("tenant"));
    op.principal = PrincipalId(in.u64("principal"));
    KB_ASSERT(in.offset() == kHeaderBytes || !in.ok());
    switch (kind) {
        case OpKind::create_tenant: {
            CreateTenantOp body;
            body.name = in.string("tenant name");
            body.kek = decode_wrapped_key(in, "tenant KEK");
            body.root_key = decode_wrapped_key(in, "tenant root key");
            op.body = std::move(body);
            break;
        }
        case OpKind::create_stream: {
            CreateStreamOp body;
            body.name = in.string("stream name");
            body.data_class = static_cast<DataClass>(
                decode_enum_byte(in, "stream data class", 0, static_cast<u8>(kDataClassMax)));
            op.body = std::move(body);
            break;
        }
        case OpKind::delete_stream:
            op.body = DeleteStreamOp{.stream = StreamId(in.u64("stream"))};
            break;
        case OpKind::append_batch: {
            AppendBatchOp body;
            body.stream = StreamId(in.u64("stream"));
            if (in.boolean("has expected offset")) {
                body.expected_offset = Offset(in.u64("expected offset"));
            }
            body.idempotency = decode_idempotency(in, "append idempotency id");
            body.events.resize(in.count("events", kMinEventBytes));
            for (Bytes& event : body.events) {
                event = in.bytes("event");
                if (!in.ok()) break;
            }
            op.body = std::move(body);
            break;
        }
        case OpKind::reserve_sequence: {
            ReserveSequenceOp body;
            body.sequence = SequenceId(in.u64("sequence"));
            usize at = in.offset();
            body.count = in.u64("reservation count");
            if (in.ok() && body.count == 0) {
                in.fail("reservation count at byte " + std::to_string(at) + " is 0");
            }
            op.body = body;
            break;
        }
        case OpKind::transaction:
            op.body = decode_transaction(in);
            break;
        case OpKind::configure: {
            ConfigureOp body;
            const usize at = in.offset();
            const u16 setting = in.u16("setting");
            if (in.ok() && (setting == 0 || setting > static_cast<u16>(kSettingMax))) {
                in.fail("unknown setting " + std::to_string(setting) + " at byte " +
                        std::to_string(at));
            }
            body.setting = static_cast<Setting>(setting);
            body.value = in.u64("setting value");
            op.body = body;
            break;
        }
        case OpKind::role:
            op.body = decode_role(in);
            break;
        case OpKind::grant:
            op.body = decode_grant(in);
            break;
        case OpKind::drop_tenant:
            op.body = DropTenantOp{.tenant = TenantId(in.u64("dropped tenant"))};
            break;
        case OpKind::api_key:
            op.body = decode_api_key(in);
            break;
    }
    KB_TRY(in.finish());
    return op;
}

}  // namespace kb::kernel
