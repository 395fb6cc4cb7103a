// Engine requests and replies on the wire (see engine_wire.h).
//
// Request, in the kernel's wire encoding: u8 version = 1 | u8 kind, then for kind 0 (an op) the
// op's bytes (kernel::encode_op); for kind 1 (create a tenant): u64 tenant | u64 principal | u32
// name length | name bytes.
//
// Reply, in the kernel's wire encoding (kernel/wire.h, little-endian): u8 version = 1 | u8 kind
// (0 result, 1 error) | then for a result: u16 outcome | u64 position | u64 timestamp | u16
// applied outcome | u64 tenant | u64 stream | u64 first offset | u64 event count | i64 block
// first | i64 block increment | u64 block count | u64 row versions | u8 repeated | u64 original
// | u32 detail length | detail bytes (UTF-8); for an error: u8 status code | u32 message length
// | message bytes.
#include "db/engine_wire.h"

#include "kernel/op_codec.h"
#include "kernel/wire.h"

namespace kb::db {

namespace {

constexpr u8 kRequestVersion = 1;
constexpr u8 kRequestOp = 0;
constexpr u8 kRequestCreateTenant = 1;
constexpr u8 kReplyVersion = 1;
constexpr u8 kResult = 0;
constexpr u8 kError = 1;

}  // namespace

Result<Bytes> encode_request(const kernel::Op& op) {
    kernel::WireWriter out;
    out.u8(kRequestVersion);
    if (const auto* create = std::get_if<kernel::CreateTenantOp>(&op.body)) {
        // By name: the keys are the primary's to make.
        out.u8(kRequestCreateTenant);
        out.u64(op.tenant.value());
        out.u64(op.principal.value());
        out.string(create->name);
        return out.take();
    }
    out.u8(kRequestOp);
    Bytes bytes = out.take();
    const Bytes encoded = KB_TRY(kernel::encode_op(op));
    bytes.insert(bytes.end(), encoded.begin(), encoded.end());
    return bytes;
}

Result<kernel::Op> decode_request(ByteSpan body) {
    if (body.size() < 2) {
        return Status::invalid_argument("the request is " + std::to_string(body.size()) +
                                        " bytes, shorter than its version and kind");
    }
    if (body[0] != kRequestVersion) {
        return Status::invalid_argument("request format version " + std::to_string(body[0]) +
                                        ", this build reads " + std::to_string(kRequestVersion));
    }
    if (body[1] == kRequestOp) {
        auto op = kernel::decode_op(body.subspan(2));
        if (!op) {
            return Status::invalid_argument("the request is not an operation: " +
                                            op.error().message());
        }
        return op;
    }
    if (body[1] != kRequestCreateTenant) {
        return Status::invalid_argument("unknown request kind " + std::to_string(body[1]));
    }
    kernel::WireReader in(body.subspan(2), "create-tenant request");
    kernel::Op op;
    op.tenant = TenantId(in.u64("tenant"));
    op.principal = PrincipalId(in.u64("principal"));
    op.body = kernel::CreateTenantOp{.name = in.string("tenant name")};
    if (Status finished = in.finish(); !finished.is_ok()) {
        return Status::invalid_argument("the request is not a create-tenant: " +
                                        finished.message());
    }
    return op;
}

Bytes encode_reply(const Result<SubmitResult>& result) {
    kernel::WireWriter out;
    out.u8(kReplyVersion);
    if (!result) {
        out.u8(kError);
        out.u8(static_cast<u8>(result.error().code()));
        out.string(result.error().message());
        return out.take();
    }
    const SubmitResult& r = *result;
    out.u8(kResult);
    out.u16(static_cast<u16>(r.outcome));
    out.u64(r.position.value());
    out.u64(r.timestamp.value());
    out.u16(static_cast<u16>(r.applied.outcome));
    out.u64(r.applied.tenant.value());
    out.u64(r.applied.stream.value());
    out.u64(r.applied.first_offset.value());
    out.u64(r.applied.event_count);
    out.i64(r.applied.block.first);
    out.i64(r.applied.block.increment);
    out.u64(r.applied.block.count);
    out.u64(r.applied.row_versions);
    out.boolean(r.applied.repeated);
    out.u64(r.applied.original.value());
    out.string(r.detail.empty() ? r.applied.detail : r.detail);
    return out.take();
}

Result<SubmitResult> decode_reply(ByteSpan body) {
    kernel::WireReader in(body, "engine reply");
    const u8 version = in.u8("version");
    const u8 kind = in.u8("kind");
    if (!in.ok() || version != kReplyVersion || (kind != kResult && kind != kError)) {
        return Status::invalid_argument("not an engine reply (version or kind)");
    }
    if (kind == kError) {
        const u8 code = in.u8("status code");
        std::string message = in.string("message");
        if (!in.finish().is_ok() || code == 0 || code > static_cast<u8>(StatusCode::conflict)) {
            return Status::invalid_argument("a malformed error reply");
        }
        return Status::error(static_cast<StatusCode>(code), std::move(message));
    }
    SubmitResult r;
    r.outcome = static_cast<kernel::Outcome>(in.u16("outcome"));
    r.position = Position(in.u64("position"));
    r.timestamp = Timestamp(in.u64("timestamp"));
    r.applied.outcome = static_cast<kernel::Outcome>(in.u16("applied outcome"));
    r.applied.tenant = TenantId(in.u64("tenant"));
    r.applied.stream = StreamId(in.u64("stream"));
    r.applied.first_offset = Offset(in.u64("first offset"));
    r.applied.event_count = in.u64("event count");
    r.applied.block.first = in.i64("block first");
    r.applied.block.increment = in.i64("block increment");
    r.applied.block.count = in.u64("block count");
    r.applied.row_versions = in.u64("row versions");
    r.applied.repeated = in.boolean("repeated");
    r.applied.original = Position(in.u64("original"));
    r.detail = in.string("detail");
    if (!in.finish().is_ok()) return Status::invalid_argument("a malformed engine reply");
    r.applied.detail = r.detail;
    return r;
}

}  // namespace kb::db
