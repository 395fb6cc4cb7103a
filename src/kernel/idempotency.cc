// Idempotency records: layout, codec, lookup and deterministic pruning (see idempotency.h).
#include "kernel/idempotency.h"

#include <algorithm>

#include "base/endian.h"
#include "kernel/kernel_trees.h"
#include "kernel/wire.h"

namespace kb::kernel::idempotency {
namespace {

constexpr usize kExpiryKeySize = 1 + 8 + IdempotencyId::kSize;

std::array<u8, 8> le64(u64 value) {
    std::array<u8, 8> bytes;
    store_le_u64(bytes.data(), value);
    return bytes;
}

Position expiry_position(ByteSpan key) { return Position(trees::load_be64(key.data() + 1)); }

}  // namespace

Bytes record_key(const IdempotencyId& id) {
    Bytes key(1 + IdempotencyId::kSize);
    key[0] = kRecordPrefix;
    std::copy(id.bytes().begin(), id.bytes().end(), key.begin() + 1);
    return key;
}

Bytes expiry_key(Position position, const IdempotencyId& id) {
    Bytes key(kExpiryKeySize);
    key[0] = kExpiryPrefix;
    const auto be = trees::be64(position.value());
    std::copy(be.begin(), be.end(), key.begin() + 1);
    std::copy(id.bytes().begin(), id.bytes().end(), key.begin() + 9);
    return key;
}

Bytes encode_record(const IdempotencyRecord& record) {
    const ApplyResult& result = record.result;
    WireWriter out;
    out.u8(kRecordFormatVersion);
    out.u64(record.position.value());
    out.u8(static_cast<u8>(record.kind));
    out.u16(static_cast<u16>(result.outcome));
    out.string(result.detail);
    out.u64(result.tenant.value());
    out.u64(result.stream.value());
    out.u64(result.first_offset.value());
    out.u64(result.event_count);
    out.i64(result.block.first);
    out.i64(result.block.increment);
    out.u64(result.block.count);
    out.u64(result.row_versions);
    return out.take();
}

Result<IdempotencyRecord> decode_record(ByteSpan bytes) {
    if (bytes.empty() || bytes[0] != kRecordFormatVersion) {
        return Status::unsupported(
            "idempotency record: format version " +
            (bytes.empty() ? std::string("missing") : std::to_string(bytes[0])));
    }
    WireReader in(bytes.subspan(1), "idempotency record");
    IdempotencyRecord record;
    ApplyResult& result = record.result;
    record.position = Position(in.u64("position"));
    const u8 kind = in.u8("op kind");
    const u16 outcome = in.u16("outcome");
    result.detail = in.string("detail");
    result.tenant = TenantId(in.u64("tenant"));
    result.stream = StreamId(in.u64("stream"));
    result.first_offset = Offset(in.u64("first offset"));
    result.event_count = in.u64("event count");
    result.block.first = in.i64("block first");
    result.block.increment = in.i64("block increment");
    result.block.count = in.u64("block count");
    result.row_versions = in.u64("row versions");
    if (in.ok() && (kind == 0 || kind > static_cast<u8>(kOpKindMax))) {
        in.fail("unknown op kind " + std::to_string(kind));
    }
    const auto decoded_outcome = outcome_from_number(outcome);
    if (in.ok() && !decoded_outcome) in.fail("unknown outcome " + std::to_string(outcome));
    KB_TRY(in.finish());
    record.kind = static_cast<OpKind>(kind);
    result.outcome = *decoded_outcome;
    return record;
}

Bytes record_entry(TenantId tenant, const IdempotencyId& id, ByteSpan record_bytes) {
    return state_entry(StateEntryKind::idempotency,
                       {le64(tenant.value()), id.bytes(), record_bytes});
}

Result<std::optional<IdempotencyRecord>> find(const store::Snapshot& view, TenantId tenant,
                                              const IdempotencyId& id) {
    const store::TreeId tree = trees::idempotency(tenant);
    if (!KB_TRY(view.has_tree(tree))) return std::optional<IdempotencyRecord>();
    auto bytes = KB_TRY(view.get(tree, record_key(id)));
    if (!bytes) return std::optional<IdempotencyRecord>();
    auto record = decode_record(*bytes);
    if (!record) {
        return record.error().with_context("tenant " + std::to_string(tenant.value()) +
                                           " idempotency id " + id.to_hex());
    }
    return std::optional<IdempotencyRecord>(std::move(*record));
}

Status put(store::Store& store, StateHash& hash, TenantId tenant, const IdempotencyId& id,
           const IdempotencyRecord& record, const std::optional<IdempotencyRecord>& replaced) {
    const store::TreeId tree = trees::idempotency(tenant);
    if (replaced) {
        hash.remove(record_entry(tenant, id, encode_record(*replaced)));
        KB_TRY(store.erase(tree, expiry_key(replaced->position, id)));
    }
    const Bytes bytes = encode_record(record);
    KB_TRY(store.put(tree, record_key(id), bytes));
    KB_TRY(store.put(tree, expiry_key(record.position, id), ByteSpan()));
    hash.add(record_entry(tenant, id, bytes));
    return Status::ok();
}

Result<std::optional<Position>> oldest(const store::Store& store, TenantId tenant) {
    Bytes key;
    Bytes value;
    const u8 lower[] = {kExpiryPrefix};
    if (!KB_TRY(store.seek(trees::idempotency(tenant), lower, key, value)) ||
        key.size() != kExpiryKeySize || key[0] != kExpiryPrefix) {
        return std::optional<Position>();
    }
    return std::optional<Position>(expiry_position(key));
}

Result<std::optional<Position>> prune(store::Store& store, StateHash& hash, TenantId tenant,
                                      Position at, u64 retention, usize max) {
    const store::TreeId tree = trees::idempotency(tenant);
    // Collected first: erasing invalidates a cursor over the writer's view.
    std::vector<Bytes> expired;
    std::optional<Position> left;
    {
        const u8 lower[] = {kExpiryPrefix};
        const u8 upper[] = {kExpiryPrefix + 1};
        auto cursor = KB_TRY(store.scan(tree, lower, upper));
        for (; cursor.valid(); KB_TRY(cursor.next())) {
            const ByteSpan key = cursor.key();
            if (key.size() != kExpiryKeySize) {
                return Status::corruption("tenant " + std::to_string(tenant.value()) +
                                          ": an idempotency expiry key of " +
                                          std::to_string(key.size()) + " bytes");
            }
            const Position position = expiry_position(key);
            if (expired.size() == max || within_retention(position, at, retention)) {
                left = position;
                break;
            }
            expired.emplace_back(key.begin(), key.end());
        }
    }
    for (const Bytes& key : expired) {
        const IdempotencyId id = IdempotencyId::from_bytes(ByteSpan(key).subspan(9));
        const Bytes record = record_key(id);
        auto bytes = KB_TRY(store.get(tree, record));
        if (!bytes) {
            return Status::corruption("tenant " + std::to_string(tenant.value()) +
                                      ": idempotency id " + id.to_hex() +
                                      " is in the expiry index without a record");
        }
        hash.remove(record_entry(tenant, id, *bytes));
        KB_TRY(store.erase(tree, record));
        KB_TRY(store.erase(tree, key));
    }
    return left;
}

}  // namespace kb::kernel::idempotency
