// The native protocol's messages (docs/PROTOCOL.md §3-5): one struct per message type, the
// body encoder, and the decoder of untrusted bodies.
//
// decode_native_message() checks everything the specification says about a body — field
// lengths within the body, presence bytes 0 or 1, valid UTF-8 strings, known value kinds and data
// classes, no trailing bytes — and reports the first problem as invalid_argument; the caller
// answers with Error `protocol_violation`. An unknown type is `unsupported` (the same answer,
// but a newer peer may have sent it).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "kernel/value.h"
#include "kimberlite/status.h"
#include "types/data_class.h"
#include "types/hash.h"

namespace kb::server {

enum class NativeType : u16 {
    error = 1,
    hello = 2,
    auth_continue = 3,
    ready = 4,
    ping = 101,
    pong = 102,
    server_info = 103,
    server_info_reply = 104,
    stream_create = 105,
    stream_created = 106,
    stream_list = 107,
    stream_list_reply = 108,
    stream_describe = 109,
    stream_describe_reply = 110,
    append = 111,
    appended = 112,
    read = 113,
    events = 114,
    subscribe = 115,
    credit = 117,
    unsubscribe = 119,
    unsubscribed = 120,
    query = 121,
    rows = 122,
    attest = 123,
    attestation = 124,
    digest = 125,
};

// Stable error codes (docs/PROTOCOL.md §3): never renumber.
enum class NativeErrorCode : u16 {
    protocol_violation = 1,
    unsupported_version = 2,
    tls_required = 3,
    authentication_failed = 4,
    permission_denied = 5,
    not_found = 6,
    already_exists = 7,
    conflict = 8,
    invalid_argument = 9,
    too_large = 10,
    unavailable = 11,
    timeout = 12,
    sql_error = 13,
    internal = 14,
    flow_control = 15,
};
inline constexpr NativeErrorCode kNativeErrorCodeMax = NativeErrorCode::flow_control;

enum class NativeAuthMethod : u8 { scram_sha_256 = 1, scram_sha_256_plus = 2, api_key = 3 };

struct NativeError {
    static constexpr NativeType kType = NativeType::error;
    NativeErrorCode code = NativeErrorCode::internal;
    bool retry_safe = false;
    std::string sqlstate{};
    std::string message{};
    friend bool operator==(const NativeError&, const NativeError&) = default;
};

struct NativeHello {
    static constexpr NativeType kType = NativeType::hello;
    std::string client_name{};
    std::string tenant{};
    NativeAuthMethod method = NativeAuthMethod::scram_sha_256;
    std::string user{};
    Bytes initial{};  // SCRAM client-first-message, or the API key
    friend bool operator==(const NativeHello&, const NativeHello&) = default;
};

struct NativeAuthContinue {
    static constexpr NativeType kType = NativeType::auth_continue;
    Bytes data{};
    friend bool operator==(const NativeAuthContinue&, const NativeAuthContinue&) = default;
};

struct NativeReady {
    static constexpr NativeType kType = NativeType::ready;
    std::string server_version{};
    u32 max_frame_body = 0;
    u32 max_in_flight = 0;
    u64 tenant_id = 0;
    bool read_only = false;
    friend bool operator==(const NativeReady&, const NativeReady&) = default;
};

// Requests and responses without fields.
template <NativeType kMessageType>
struct NativeEmpty {
    static constexpr NativeType kType = kMessageType;
    friend bool operator==(const NativeEmpty&, const NativeEmpty&) = default;
};
using NativePing = NativeEmpty<NativeType::ping>;
using NativePong = NativeEmpty<NativeType::pong>;
using NativeServerInfo = NativeEmpty<NativeType::server_info>;
using NativeStreamList = NativeEmpty<NativeType::stream_list>;
using NativeAttest = NativeEmpty<NativeType::attest>;
using NativeDigest = NativeEmpty<NativeType::digest>;

struct NativeServerInfoReply {
    static constexpr NativeType kType = NativeType::server_info_reply;
    std::string version{};
    u64 applied_position = 0;
    friend bool operator==(const NativeServerInfoReply&, const NativeServerInfoReply&) = default;
};

struct NativeStreamCreate {
    static constexpr NativeType kType = NativeType::stream_create;
    std::string name{};
    DataClass data_class{};
    friend bool operator==(const NativeStreamCreate&, const NativeStreamCreate&) = default;
};

struct NativeStreamCreated {
    static constexpr NativeType kType = NativeType::stream_created;
    u64 stream_id = 0;
    friend bool operator==(const NativeStreamCreated&, const NativeStreamCreated&) = default;
};

struct NativeStreamInfo {
    u64 id = 0;
    std::string name{};
    DataClass data_class{};
    u64 next_offset = 0;
    std::optional<u64> deleted_at{};
    friend bool operator==(const NativeStreamInfo&, const NativeStreamInfo&) = default;
};

struct NativeStreamListReply {
    static constexpr NativeType kType = NativeType::stream_list_reply;
    std::vector<NativeStreamInfo> streams{};
    friend bool operator==(const NativeStreamListReply&, const NativeStreamListReply&) = default;
};

struct NativeStreamDescribe {
    static constexpr NativeType kType = NativeType::stream_describe;
    std::string name{};
    friend bool operator==(const NativeStreamDescribe&, const NativeStreamDescribe&) = default;
};

struct NativeStreamDescribeReply {
    static constexpr NativeType kType = NativeType::stream_describe_reply;
    NativeStreamInfo stream{};
    friend bool operator==(const NativeStreamDescribeReply&,
                           const NativeStreamDescribeReply&) = default;
};

struct NativeAppend {
    static constexpr NativeType kType = NativeType::append;
    u64 stream_id = 0;
    std::optional<u64> expected_offset{};
    IdempotencyId idempotency{};  // all zeros: none
    std::vector<Bytes> events{};
    friend bool operator==(const NativeAppend&, const NativeAppend&) = default;
};

struct NativeAppended {
    static constexpr NativeType kType = NativeType::appended;
    u64 first_offset = 0;
    u32 count = 0;
    u64 position = 0;
    friend bool operator==(const NativeAppended&, const NativeAppended&) = default;
};

struct NativeRead {
    static constexpr NativeType kType = NativeType::read;
    u64 stream_id = 0;
    u64 from_offset = 0;
    u64 max_events = 0;  // 0: to the end
    friend bool operator==(const NativeRead&, const NativeRead&) = default;
};

struct NativeEvent {
    u64 offset = 0;
    u64 position = 0;
    Bytes data{};
    friend bool operator==(const NativeEvent&, const NativeEvent&) = default;
};

struct NativeEvents {
    static constexpr NativeType kType = NativeType::events;
    std::vector<NativeEvent> events{};
    u64 next_offset = 0;
    friend bool operator==(const NativeEvents&, const NativeEvents&) = default;
};

struct NativeSubscribe {
    static constexpr NativeType kType = NativeType::subscribe;
    u64 stream_id = 0;
    u64 from_offset = 0;
    u32 credits = 0;
    friend bool operator==(const NativeSubscribe&, const NativeSubscribe&) = default;
};

struct NativeCredit {
    static constexpr NativeType kType = NativeType::credit;
    u64 subscription = 0;  // the Subscribe request's id
    u32 credits = 0;
    friend bool operator==(const NativeCredit&, const NativeCredit&) = default;
};

struct NativeUnsubscribe {
    static constexpr NativeType kType = NativeType::unsubscribe;
    u64 subscription = 0;
    friend bool operator==(const NativeUnsubscribe&, const NativeUnsubscribe&) = default;
};

struct NativeUnsubscribed {
    static constexpr NativeType kType = NativeType::unsubscribed;
    u64 next_offset = 0;
    friend bool operator==(const NativeUnsubscribed&, const NativeUnsubscribed&) = default;
};

struct NativeColumn {
    std::string name{};
    kernel::ValueKind kind = kernel::ValueKind::null;
    u32 type_oid = 0;
    friend bool operator==(const NativeColumn&, const NativeColumn&) = default;
};

struct NativeQuery {
    static constexpr NativeType kType = NativeType::query;
    std::string sql{};
    std::vector<kernel::Value> parameters{};
    friend bool operator==(const NativeQuery&, const NativeQuery&) = default;
};

struct NativeRows {
    static constexpr NativeType kType = NativeType::rows;
    std::vector<NativeColumn> columns{};  // first frame of a result only
    std::vector<std::vector<kernel::Value>> rows{};
    std::string tag{};  // last frame only
    friend bool operator==(const NativeRows&, const NativeRows&) = default;
};

struct NativeAttestation {
    static constexpr NativeType kType = NativeType::attestation;
    std::string document{};  // the digest document (JSON)
    friend bool operator==(const NativeAttestation&, const NativeAttestation&) = default;
};

using NativeMessage =
    std::variant<NativeError, NativeHello, NativeAuthContinue, NativeReady, NativePing, NativePong,
                 NativeServerInfo, NativeServerInfoReply, NativeStreamCreate, NativeStreamCreated,
                 NativeStreamList, NativeStreamListReply, NativeStreamDescribe,
                 NativeStreamDescribeReply, NativeAppend, NativeAppended, NativeRead, NativeEvents,
                 NativeSubscribe, NativeCredit, NativeUnsubscribe, NativeUnsubscribed, NativeQuery,
                 NativeRows, NativeAttest, NativeAttestation, NativeDigest>;

NativeType native_type_of(const NativeMessage& message);
std::string_view native_type_name(NativeType type);  // "append", "stream_list_reply", ...
std::string_view native_error_code_name(NativeErrorCode code);

// Appends `message`'s body (without the frame header) to `body`.
void encode_native_message(Bytes& body, const NativeMessage& message);

// The message of type `type` in `body` (see the top for what is checked).
Result<NativeMessage> decode_native_message(u16 type, ByteSpan body);

}  // namespace kb::server
