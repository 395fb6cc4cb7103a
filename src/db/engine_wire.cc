// Engine requests and replies on the wire (see engine_wire.h).
//
// Reply, little-endian: u8 version = 1 | u8 kind (0 result, 1 error) | then for a result:
// u16 outcome | u64 position | u64 timestamp | u16 applied outcome | u64 tenant | u64 stream |
// u64 first offset | u64 event count | i64 block first | i64 block increment | u64 block count |
// u64 row versions | u8 repeated | u64 original | u32 detail length | detail bytes (UTF-8);
// for an error: u8 status code | u32 message length | message bytes.
#include "db/engine_wire.h"

#include <cstring>

#include "base/endian.h"
#include "kernel/op_codec.h"

namespace kb::db {

namespace {

constexpr u8 kReplyVersion = 1;
constexpr u8 kResult = 0;
constexpr u8 kError = 1;
// Details and messages are short texts; bound what a reply can make us allocate.
constexpr u32 kTextMax = 64 * 1024;

void put_text(Bytes& out, const std::string& text) {
    const u32 size = static_cast<u32>(std::min<usize>(text.size(), kTextMax));
    u8 length[4];
    store_le_u32(length, size);
    out.insert(out.end(), length, length + 4);
    out.insert(out.end(), text.begin(), text.begin() + size);
}

template <std::unsigned_integral T>
void put(Bytes& out, T value) {
    u8 bytes[sizeof(T)];
    store_le<T>(bytes, value);
    out.insert(out.end(), bytes, bytes + sizeof(T));
}

std::optional<std::string> get_text(LeReader& reader) {
    const u32 size = reader.get<u32>();
    if (!reader.ok() || size > kTextMax) return std::nullopt;
    const auto bytes = reader.get_bytes(size);
    if (!reader.ok()) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

Result<Bytes> encode_request(const kernel::Op& op) { return kernel::encode_op(op); }

Result<kernel::Op> decode_request(ByteSpan body) {
    auto op = kernel::decode_op(body);
    if (!op) {
        return Status::invalid_argument("the request is not an operation: " + op.error().message());
    }
    return op;
}

Bytes encode_reply(const Result<SubmitResult>& result) {
    Bytes out;
    put<u8>(out, kReplyVersion);
    if (!result) {
        put<u8>(out, kError);
        put<u8>(out, static_cast<u8>(result.error().code()));
        put_text(out, result.error().message());
        return out;
    }
    const SubmitResult& r = *result;
    put<u8>(out, kResult);
    put<u16>(out, static_cast<u16>(r.outcome));
    put<u64>(out, r.position.value());
    put<u64>(out, r.timestamp.value());
    put<u16>(out, static_cast<u16>(r.applied.outcome));
    put<u64>(out, r.applied.tenant.value());
    put<u64>(out, r.applied.stream.value());
    put<u64>(out, r.applied.first_offset.value());
    put<u64>(out, r.applied.event_count);
    put<u64>(out, static_cast<u64>(r.applied.block.first));
    put<u64>(out, static_cast<u64>(r.applied.block.increment));
    put<u64>(out, r.applied.block.count);
    put<u64>(out, r.applied.row_versions);
    put<u8>(out, r.applied.repeated ? 1 : 0);
    put<u64>(out, r.applied.original.value());
    put_text(out, r.detail.empty() ? r.applied.detail : r.detail);
    return out;
}

Result<SubmitResult> decode_reply(ByteSpan body) {
    LeReader reader(body);
    const u8 version = reader.get<u8>();
    const u8 kind = reader.get<u8>();
    if (!reader.ok() || version != kReplyVersion || (kind != kResult && kind != kError)) {
        return Status::invalid_argument("not an engine reply (version or kind)");
    }
    if (kind == kError) {
        const u8 code = reader.get<u8>();
        auto message = get_text(reader);
        if (!message || reader.remaining() != 0 || code == 0 ||
            code > static_cast<u8>(StatusCode::conflict)) {
            return Status::invalid_argument("a malformed error reply");
        }
        return Status::error(static_cast<StatusCode>(code), *message);
    }
    SubmitResult r;
    r.outcome = static_cast<kernel::Outcome>(reader.get<u16>());
    r.position = Position(reader.get<u64>());
    r.timestamp = Timestamp(reader.get<u64>());
    r.applied.outcome = static_cast<kernel::Outcome>(reader.get<u16>());
    r.applied.tenant = TenantId(reader.get<u64>());
    r.applied.stream = StreamId(reader.get<u64>());
    r.applied.first_offset = Offset(reader.get<u64>());
    r.applied.event_count = reader.get<u64>();
    r.applied.block.first = static_cast<i64>(reader.get<u64>());
    r.applied.block.increment = static_cast<i64>(reader.get<u64>());
    r.applied.block.count = reader.get<u64>();
    r.applied.row_versions = reader.get<u64>();
    r.applied.repeated = reader.get<u8>() != 0;
    r.applied.original = Position(reader.get<u64>());
    auto detail = get_text(reader);
    if (!detail || !reader.ok() || reader.remaining() != 0) {
        return Status::invalid_argument("a malformed engine reply");
    }
    r.detail = *detail;
    r.applied.detail = *detail;
    return r;
}

}  // namespace kb::db
