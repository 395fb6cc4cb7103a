// The native protocol's message bodies (native_messages.h, docs/PROTOCOL.md §3-5). Each message
// has an encode and a decode overload below, field for field in the order of the
// specification's tables; the variant's alternatives carry their type numbers (kType), which
// drive dispatch in both directions.
#include "server/native_messages.h"

#include <utility>

#include "base/assert.h"
#include "server/native_codec.h"

namespace kb::server {
namespace {

using kernel::Value;

// Smallest encodings of list elements, for NativeReader::get_count.
constexpr usize kMinBytes = 4;  // `bytes`: its length
constexpr usize kMinValue = 1;  // a Value: its kind
constexpr usize kMinEvent = 8 + 8 + 4;
constexpr usize kMinColumn = 4 + 1 + 4;
constexpr usize kMinStreamInfo = 8 + 4 + 1 + 8 + 1;

DataClass get_data_class(NativeReader& reader, const char* field) {
    const u8 byte = reader.get<u8>(field);
    const auto data_class = data_class_from_byte(byte);
    if (!data_class && !reader.failed()) {
        reader.fail(std::string(field) + " " + std::to_string(byte) + " names no data class");
    }
    return data_class.value_or(DataClass{});
}

std::vector<Value> get_values(NativeReader& reader, const char* field) {
    std::vector<Value> values;
    const usize count = reader.get_count(kMinValue, field);
    values.reserve(count);
    for (usize i = 0; i < count && !reader.failed(); ++i) values.push_back(reader.get_value(field));
    return values;
}

void put_values(NativeWriter& writer, const std::vector<Value>& values) {
    writer.put_count(values.size());
    for (const Value& value : values) writer.put_value(value);
}

// --- per message ------------------------------------------------------------------------------

void encode(NativeWriter& w, const NativeError& m) {
    w.put(static_cast<u16>(m.code));
    w.put_bool(m.retry_safe);
    w.put_string(m.sqlstate);
    w.put_string(m.message);
}
void decode(NativeReader& r, NativeError& m) {
    const u16 code = r.get<u16>("error code");
    if (!r.failed() && (code == 0 || code > static_cast<u16>(kNativeErrorCodeMax))) {
        // A newer peer's code: keep the message, report it as internal.
        m.code = NativeErrorCode::internal;
    } else {
        m.code = static_cast<NativeErrorCode>(code);
    }
    m.retry_safe = r.get_bool("retry_safe");
    m.sqlstate = r.get_string("sqlstate");
    m.message = r.get_string("message");
}

void encode(NativeWriter& w, const NativeHello& m) {
    w.put_string(m.client_name);
    w.put_string(m.tenant);
    w.put(static_cast<u8>(m.method));
    w.put_string(m.user);
    w.put_bytes(m.initial);
}
void decode(NativeReader& r, NativeHello& m) {
    m.client_name = r.get_string("client_name");
    m.tenant = r.get_string("tenant");
    const u8 method = r.get<u8>("method");
    if (!r.failed() && (method < 1 || method > 3)) {
        r.fail("method " + std::to_string(method) + " is not 1, 2 or 3");
    }
    m.method = static_cast<NativeAuthMethod>(method);
    m.user = r.get_string("user");
    m.initial = r.get_bytes("initial");
}

void encode(NativeWriter& w, const NativeAuthContinue& m) { w.put_bytes(m.data); }
void decode(NativeReader& r, NativeAuthContinue& m) { m.data = r.get_bytes("data"); }

void encode(NativeWriter& w, const NativeReady& m) {
    w.put_string(m.server_version);
    w.put(m.max_frame_body);
    w.put(m.max_in_flight);
    w.put(m.tenant_id);
    w.put_bool(m.read_only);
}
void decode(NativeReader& r, NativeReady& m) {
    m.server_version = r.get_string("server_version");
    m.max_frame_body = r.get<u32>("max_frame_body");
    m.max_in_flight = r.get<u32>("max_in_flight");
    m.tenant_id = r.get<u64>("tenant_id");
    m.read_only = r.get_bool("read_only");
}

template <NativeType kType>
void encode(NativeWriter&, const NativeEmpty<kType>&) {}
template <NativeType kType>
void decode(NativeReader&, NativeEmpty<kType>&) {}

void encode(NativeWriter& w, const NativeServerInfoReply& m) {
    w.put_string(m.version);
    w.put(m.applied_position);
}
void decode(NativeReader& r, NativeServerInfoReply& m) {
    m.version = r.get_string("version");
    m.applied_position = r.get<u64>("applied_position");
}

void encode(NativeWriter& w, const NativeStreamCreate& m) {
    w.put_string(m.name);
    w.put(static_cast<u8>(m.data_class));
}
void decode(NativeReader& r, NativeStreamCreate& m) {
    m.name = r.get_string("name");
    m.data_class = get_data_class(r, "data_class");
}

void encode(NativeWriter& w, const NativeStreamCreated& m) { w.put(m.stream_id); }
void decode(NativeReader& r, NativeStreamCreated& m) { m.stream_id = r.get<u64>("stream_id"); }

void encode(NativeWriter& w, const NativeStreamInfo& m) {
    w.put(m.id);
    w.put_string(m.name);
    w.put(static_cast<u8>(m.data_class));
    w.put(m.next_offset);
    w.put_optional_u64(m.deleted_at);
}
void decode(NativeReader& r, NativeStreamInfo& m) {
    m.id = r.get<u64>("stream id");
    m.name = r.get_string("stream name");
    m.data_class = get_data_class(r, "data_class");
    m.next_offset = r.get<u64>("next_offset");
    m.deleted_at = r.get_optional_u64("deleted_at");
}

void encode(NativeWriter& w, const NativeStreamListReply& m) {
    w.put_count(m.streams.size());
    for (const NativeStreamInfo& stream : m.streams) encode(w, stream);
}
void decode(NativeReader& r, NativeStreamListReply& m) {
    const usize count = r.get_count(kMinStreamInfo, "streams");
    m.streams.resize(count);
    for (NativeStreamInfo& stream : m.streams) decode(r, stream);
}

void encode(NativeWriter& w, const NativeStreamDescribe& m) { w.put_string(m.name); }
void decode(NativeReader& r, NativeStreamDescribe& m) { m.name = r.get_string("name"); }

void encode(NativeWriter& w, const NativeStreamDescribeReply& m) { encode(w, m.stream); }
void decode(NativeReader& r, NativeStreamDescribeReply& m) { decode(r, m.stream); }

void encode(NativeWriter& w, const NativeAppend& m) {
    w.put(m.stream_id);
    w.put_optional_u64(m.expected_offset);
    w.put_raw(m.idempotency.bytes());
    w.put_count(m.events.size());
    for (const Bytes& event : m.events) w.put_bytes(event);
}
void decode(NativeReader& r, NativeAppend& m) {
    m.stream_id = r.get<u64>("stream_id");
    m.expected_offset = r.get_optional_u64("expected_offset");
    const ByteSpan idempotency = r.get_raw(IdempotencyId::kSize, "idempotency id");
    if (!r.failed()) m.idempotency = IdempotencyId::from_bytes(idempotency);
    const usize count = r.get_count(kMinBytes, "events");
    m.events.reserve(count);
    for (usize i = 0; i < count && !r.failed(); ++i) m.events.push_back(r.get_bytes("event"));
}

void encode(NativeWriter& w, const NativeAppended& m) {
    w.put(m.first_offset);
    w.put(m.count);
    w.put(m.position);
}
void decode(NativeReader& r, NativeAppended& m) {
    m.first_offset = r.get<u64>("first_offset");
    m.count = r.get<u32>("count");
    m.position = r.get<u64>("position");
}

void encode(NativeWriter& w, const NativeRead& m) {
    w.put(m.stream_id);
    w.put(m.from_offset);
    w.put(m.max_events);
}
void decode(NativeReader& r, NativeRead& m) {
    m.stream_id = r.get<u64>("stream_id");
    m.from_offset = r.get<u64>("from_offset");
    m.max_events = r.get<u64>("max_events");
}

void encode(NativeWriter& w, const NativeEvents& m) {
    w.put_count(m.events.size());
    for (const NativeEvent& event : m.events) {
        w.put(event.offset);
        w.put(event.position);
        w.put_bytes(event.data);
    }
    w.put(m.next_offset);
}
void decode(NativeReader& r, NativeEvents& m) {
    const usize count = r.get_count(kMinEvent, "events");
    m.events.resize(count);
    for (NativeEvent& event : m.events) {
        event.offset = r.get<u64>("event offset");
        event.position = r.get<u64>("event position");
        event.data = r.get_bytes("event data");
    }
    m.next_offset = r.get<u64>("next_offset");
}

void encode(NativeWriter& w, const NativeSubscribe& m) {
    w.put(m.stream_id);
    w.put(m.from_offset);
    w.put(m.credits);
}
void decode(NativeReader& r, NativeSubscribe& m) {
    m.stream_id = r.get<u64>("stream_id");
    m.from_offset = r.get<u64>("from_offset");
    m.credits = r.get<u32>("credits");
}

void encode(NativeWriter& w, const NativeCredit& m) {
    w.put(m.subscription);
    w.put(m.credits);
}
void decode(NativeReader& r, NativeCredit& m) {
    m.subscription = r.get<u64>("subscription");
    m.credits = r.get<u32>("credits");
}

void encode(NativeWriter& w, const NativeUnsubscribe& m) { w.put(m.subscription); }
void decode(NativeReader& r, NativeUnsubscribe& m) { m.subscription = r.get<u64>("subscription"); }

void encode(NativeWriter& w, const NativeUnsubscribed& m) { w.put(m.next_offset); }
void decode(NativeReader& r, NativeUnsubscribed& m) { m.next_offset = r.get<u64>("next_offset"); }

void encode(NativeWriter& w, const NativeQuery& m) {
    w.put_string(m.sql);
    put_values(w, m.parameters);
}
void decode(NativeReader& r, NativeQuery& m) {
    m.sql = r.get_string("sql");
    m.parameters = get_values(r, "parameter");
}

void encode(NativeWriter& w, const NativeRows& m) {
    w.put_count(m.columns.size());
    for (const NativeColumn& column : m.columns) {
        w.put_string(column.name);
        w.put(static_cast<u8>(column.kind));
        w.put(column.type_oid);
    }
    w.put_count(m.rows.size());
    for (const std::vector<Value>& row : m.rows) put_values(w, row);
    w.put_string(m.tag);
}
void decode(NativeReader& r, NativeRows& m) {
    const usize columns = r.get_count(kMinColumn, "columns");
    m.columns.resize(columns);
    for (NativeColumn& column : m.columns) {
        column.name = r.get_string("column name");
        const u8 kind = r.get<u8>("column kind");
        if (!r.failed() && kind > static_cast<u8>(kernel::kValueKindMax)) {
            r.fail("column kind " + std::to_string(kind) + " is unknown");
        }
        column.kind = static_cast<kernel::ValueKind>(kind);
        column.type_oid = r.get<u32>("column type oid");
    }
    const usize rows = r.get_count(4, "rows");  // each row: at least its count
    m.rows.reserve(rows);
    for (usize i = 0; i < rows && !r.failed(); ++i) m.rows.push_back(get_values(r, "row value"));
    m.tag = r.get_string("tag");
}

void encode(NativeWriter& w, const NativeAttestation& m) { w.put_string(m.document); }
void decode(NativeReader& r, NativeAttestation& m) { m.document = r.get_string("document"); }

// Decodes the alternative whose kType is `type`, trying each in turn (a fold over the variant).
template <usize... kIndex>
std::optional<Result<NativeMessage>> decode_alternative(u16 type, ByteSpan body,
                                                        std::index_sequence<kIndex...>) {
    std::optional<Result<NativeMessage>> decoded;
    auto attempt = [&]<usize kI>() {
        using Message = std::variant_alternative_t<kI, NativeMessage>;
        if (decoded || static_cast<u16>(Message::kType) != type) return;
        Message message;
        NativeReader reader(body);
        decode(reader, message);
        if (auto problem = reader.finish()) {
            decoded = Status::invalid_argument(std::string(native_type_name(Message::kType)) +
                                               " message: " + *problem);
        } else {
            decoded = NativeMessage(std::move(message));
        }
    };
    (attempt.template operator()<kIndex>(), ...);
    return decoded;
}

}  // namespace

NativeType native_type_of(const NativeMessage& message) {
    return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

std::string_view native_type_name(NativeType type) {
    switch (type) {
        case NativeType::error:
            return "error";
        case NativeType::hello:
            return "hello";
        case NativeType::auth_continue:
            return "auth_continue";
        case NativeType::ready:
            return "ready";
        case NativeType::ping:
            return "ping";
        case NativeType::pong:
            return "pong";
        case NativeType::server_info:
            return "server_info";
        case NativeType::server_info_reply:
            return "server_info_reply";
        case NativeType::stream_create:
            return "stream_create";
        case NativeType::stream_created:
            return "stream_created";
        case NativeType::stream_list:
            return "stream_list";
        case NativeType::stream_list_reply:
            return "stream_list_reply";
        case NativeType::stream_describe:
            return "stream_describe";
        case NativeType::stream_describe_reply:
            return "stream_describe_reply";
        case NativeType::append:
            return "append";
        case NativeType::appended:
            return "appended";
        case NativeType::read:
            return "read";
        case NativeType::events:
            return "events";
        case NativeType::subscribe:
            return "subscribe";
        case NativeType::credit:
            return "credit";
        case NativeType::unsubscribe:
            return "unsubscribe";
        case NativeType::unsubscribed:
            return "unsubscribed";
        case NativeType::query:
            return "query";
        case NativeType::rows:
            return "rows";
        case NativeType::attest:
            return "attest";
        case NativeType::attestation:
            return "attestation";
        case NativeType::digest:
            return "digest";
    }
    return "unknown";
}

std::string_view native_error_code_name(NativeErrorCode code) {
    switch (code) {
        case NativeErrorCode::protocol_violation:
            return "protocol_violation";
        case NativeErrorCode::unsupported_version:
            return "unsupported_version";
        case NativeErrorCode::tls_required:
            return "tls_required";
        case NativeErrorCode::authentication_failed:
            return "authentication_failed";
        case NativeErrorCode::permission_denied:
            return "permission_denied";
        case NativeErrorCode::not_found:
            return "not_found";
        case NativeErrorCode::already_exists:
            return "already_exists";
        case NativeErrorCode::conflict:
            return "conflict";
        case NativeErrorCode::invalid_argument:
            return "invalid_argument";
        case NativeErrorCode::too_large:
            return "too_large";
        case NativeErrorCode::unavailable:
            return "unavailable";
        case NativeErrorCode::timeout:
            return "timeout";
        case NativeErrorCode::sql_error:
            return "sql_error";
        case NativeErrorCode::internal:
            return "internal";
        case NativeErrorCode::flow_control:
            return "flow_control";
    }
    return "unknown";
}

void encode_native_message(Bytes& body, const NativeMessage& message) {
    NativeWriter writer(body);
    std::visit([&](const auto& m) { encode(writer, m); }, message);
}

Result<NativeMessage> decode_native_message(u16 type, ByteSpan body) {
    auto decoded = decode_alternative(
        type, body, std::make_index_sequence<std::variant_size_v<NativeMessage>>());
    if (!decoded) {
        return Status::unsupported("unknown native message type " + std::to_string(type));
    }
    return std::move(*decoded);
}

}  // namespace kb::server
