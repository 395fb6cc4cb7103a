// kb::Client (include/kimberlite/client.h): each call is one native request through
// NativeClient, its answer turned into the public result types.
#include "kimberlite/client.h"

#include <algorithm>
#include <cstdint>
#include "client/native_client.h"

#include "crypto/random.h"

namespace kb {
namespace {

// The public kinds are the protocol's, which are the stored values' (never renumbered).
static_assert(static_cast<u8>(ClientValueKind::numeric) ==
              static_cast<u8>(kernel::ValueKind::numeric));
static_assert(static_cast<u8>(ClientValueKind::interval) ==
              static_cast<u8>(kernel::ValueKind::interval));
static_assert(static_cast<u8>(ClientValueKind::jsonb) == static_cast<u8>(kernel::kValueKindMax));

using namespace kb::server;
using client::Answer;

// The one message of type T that answers a request, or the Status its Error stands for.
template <class T>
Result<T> single(Result<Answer> answer) {
    if (!answer) return answer.status();
    if (answer->size() != 1) {
        return Status::invalid_argument("the server answered with " +
                                        std::to_string(answer->size()) + " messages, expected 1");
    }
    if (const auto* error = std::get_if<NativeError>(&answer->front())) {
        return client::status_of_native_error(*error);
    }
    if (auto* message = std::get_if<T>(&answer->front())) return std::move(*message);
    return Status::invalid_argument("the server answered with " +
                                    std::string(native_type_name(native_type_of(answer->front()))) +
                                    ", expected " + std::string(native_type_name(T::kType)));
}

// Every message of type T of a multi-frame answer, or the Status of the Error that ended it.
template <class T>
Result<std::vector<T>> all_of(Result<Answer> answer) {
    if (!answer) return answer.status();
    std::vector<T> out;
    for (NativeMessage& message : *answer) {
        if (const auto* error = std::get_if<NativeError>(&message)) {
            return client::status_of_native_error(*error);
        }
        auto* typed = std::get_if<T>(&message);
        if (typed == nullptr) {
            return Status::invalid_argument("the server answered with " +
                                            std::string(native_type_name(native_type_of(message))) +
                                            ", expected " +
                                            std::string(native_type_name(T::kType)));
        }
        out.push_back(std::move(*typed));
    }
    return out;
}

ClientStreamInfo stream_info_of(const NativeStreamInfo& info) {
    ClientStreamInfo out;
    out.id = StreamId(info.id);
    out.name = info.name;
    out.data_class = info.data_class;
    out.next_offset = Offset(info.next_offset);
    if (info.deleted_at) out.deleted = Position(*info.deleted_at);
    return out;
}

NativeAppend append_request(StreamId stream, std::vector<std::vector<unsigned char>> events,
                            std::optional<Offset> expected_offset, IdempotencyId idempotency) {
    NativeAppend request;
    request.stream_id = stream.value();
    if (expected_offset) request.expected_offset = expected_offset->value();
    if (idempotency.is_none()) {
        // A retry after a lost answer must not append twice: every append carries an id.
        Bytes random(IdempotencyId::kSize);
        crypto::system_random().fill(random);
        idempotency = IdempotencyId::from_bytes(random);
    }
    request.idempotency = idempotency;
    request.events = std::move(events);
    return request;
}

// A parameter as the protocol carries it; invalid_argument for one it cannot carry.
Result<kernel::Value> value_of(const ClientValue& value, usize index) {
    using kernel::Value;
    const std::string where = "parameter $" + std::to_string(index + 1);
    switch (value.kind) {
        case ClientValueKind::null:
            return Value::null();
        case ClientValueKind::boolean:
            return Value::boolean(value.integer != 0);
        case ClientValueKind::smallint:
            if (value.integer < -32768 || value.integer > 32767) {
                return Status::invalid_argument(where + ": smallint out of range");
            }
            return Value::int16(static_cast<i16>(value.integer));
        case ClientValueKind::integer:
            if (value.integer < INT32_MIN || value.integer > INT32_MAX) {
                return Status::invalid_argument(where + ": integer out of range");
            }
            return Value::int32(static_cast<i32>(value.integer));
        case ClientValueKind::bigint:
            return Value::int64(value.integer);
        case ClientValueKind::real:
            return Value::float32(static_cast<float>(value.real));
        case ClientValueKind::double_precision:
            return Value::float64(value.real);
        case ClientValueKind::numeric: {
            auto numeric = kernel::Numeric::parse(value.text);
            if (!numeric) return numeric.status().with_context(where);
            return Value::numeric(std::move(*numeric));
        }
        case ClientValueKind::text:
            return Value::text(value.text);
        case ClientValueKind::bytea:
            return Value::bytea(value.bytes);
        case ClientValueKind::date:
            if (value.integer < INT32_MIN || value.integer > INT32_MAX) {
                return Status::invalid_argument(where + ": date out of range");
            }
            return Value::date(static_cast<i32>(value.integer));
        case ClientValueKind::timestamp:
            return Value::timestamp(value.integer);
        case ClientValueKind::timestamptz:
            return Value::timestamptz(value.integer);
        case ClientValueKind::interval: {
            kernel::Interval interval;
            interval.months = value.months;
            interval.days = value.days;
            interval.microseconds = value.integer;
            return Value::interval(interval);
        }
        case ClientValueKind::uuid: {
            if (value.bytes.size() != 16) {
                return Status::invalid_argument(where + ": a uuid is 16 bytes");
            }
            kernel::Uuid uuid{};
            std::copy(value.bytes.begin(), value.bytes.end(), uuid.begin());
            return Value::uuid(uuid);
        }
        case ClientValueKind::jsonb:
            if (value.text.empty()) return Status::invalid_argument(where + ": empty jsonb");
            return Value::jsonb(value.text);
    }
    return Status::invalid_argument(where + ": unknown kind");
}

ClientValue client_value_of(const kernel::Value& value) {
    using kernel::ValueKind;
    ClientValue out;
    out.kind = static_cast<ClientValueKind>(value.kind());
    switch (value.kind()) {
        case ValueKind::null:
            break;
        case ValueKind::boolean:
            out.integer = value.as_bool() ? 1 : 0;
            break;
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
        case ValueKind::date:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            out.integer = value.as_int();
            break;
        case ValueKind::float32:
            out.real = value.as_float32();
            break;
        case ValueKind::float64:
            out.real = value.as_float64();
            break;
        case ValueKind::numeric:
            out.text = value.as_numeric().to_string();
            break;
        case ValueKind::text:
        case ValueKind::jsonb:
            out.text = value.as_text();
            break;
        case ValueKind::bytea:
            out.bytes = value.as_bytea();
            break;
        case ValueKind::interval:
            out.months = value.as_interval().months;
            out.days = value.as_interval().days;
            out.integer = value.as_interval().microseconds;
            break;
        case ValueKind::uuid:
            out.bytes.assign(value.as_uuid().begin(), value.as_uuid().end());
            break;
    }
    return out;
}

Result<ClientAppended> appended_of(Result<Answer> answer) {
    const NativeAppended appended = KB_TRY(single<NativeAppended>(std::move(answer)));
    return ClientAppended{Offset(appended.first_offset), appended.count,
                          Position(appended.position)};
}

}  // namespace

Client::Client(std::unique_ptr<client::NativeClient> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::connect(ClientOptions options) {
    auto impl = KB_TRY(client::NativeClient::connect(std::move(options)));
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Result<StreamId> Client::create_stream(std::string_view name, DataClass data_class) {
    const auto created = KB_TRY(single<NativeStreamCreated>(
        impl_->call(NativeStreamCreate{std::string(name), data_class}, false)));
    return StreamId(created.stream_id);
}

Result<std::vector<ClientStreamInfo>> Client::list_streams() {
    const auto list = KB_TRY(single<NativeStreamListReply>(impl_->call(NativeStreamList{}, true)));
    std::vector<ClientStreamInfo> out;
    for (const NativeStreamInfo& info : list.streams) out.push_back(stream_info_of(info));
    return out;
}

Result<ClientStreamInfo> Client::describe_stream(std::string_view name) {
    const auto described = KB_TRY(single<NativeStreamDescribeReply>(
        impl_->call(NativeStreamDescribe{std::string(name)}, true)));
    return stream_info_of(described.stream);
}

Result<ClientAppended> Client::append(StreamId stream,
                                      std::vector<std::vector<unsigned char>> events,
                                      std::optional<Offset> expected_offset,
                                      IdempotencyId idempotency) {
    return appended_of(
        impl_->call(append_request(stream, std::move(events), expected_offset, idempotency), true));
}

std::future<Result<ClientAppended>> Client::append_async(
    StreamId stream, std::vector<std::vector<unsigned char>> events,
    std::optional<Offset> expected_offset, IdempotencyId idempotency) {
    auto answer = impl_->call_async(
        append_request(stream, std::move(events), expected_offset, idempotency), true);
    return std::async(std::launch::deferred,
                      [answer = std::move(answer)]() mutable { return appended_of(answer.get()); });
}

Result<std::vector<ClientEvent>> Client::read(StreamId stream, Offset from,
                                              unsigned long long max_events) {
    auto chunks = KB_TRY(all_of<NativeEvents>(
        impl_->call(NativeRead{stream.value(), from.value(), max_events}, true)));
    std::vector<ClientEvent> out;
    for (NativeEvents& chunk : chunks) {
        for (NativeEvent& event : chunk.events) {
            out.push_back(
                ClientEvent{Offset(event.offset), Position(event.position), std::move(event.data)});
        }
    }
    return out;
}

Result<ClientRows> Client::query(std::string_view sql, std::vector<ClientValue> parameters) {
    NativeQuery request{std::string(sql), {}};
    for (usize i = 0; i < parameters.size(); ++i) {
        request.parameters.push_back(KB_TRY(value_of(parameters[i], i)));
    }
    auto frames = KB_TRY(all_of<NativeRows>(impl_->call(request, false)));
    ClientRows out;
    for (NativeRows& frame : frames) {
        for (const NativeColumn& column : frame.columns) {
            out.columns.push_back(ClientColumn{
                column.name, static_cast<ClientValueKind>(column.kind), column.type_oid});
        }
        for (const auto& row : frame.rows) {
            std::vector<ClientValue> values;
            values.reserve(row.size());
            for (const kernel::Value& value : row) values.push_back(client_value_of(value));
            out.rows.push_back(std::move(values));
        }
        if (!frame.tag.empty()) out.tag = frame.tag;
    }
    return out;
}

Result<std::string> Client::attest() {
    auto attestation = KB_TRY(single<NativeAttestation>(impl_->call(NativeAttest{}, false)));
    return std::move(attestation.document);
}

Result<std::string> Client::digest() {
    auto attestation = KB_TRY(single<NativeAttestation>(impl_->call(NativeDigest{}, true)));
    return std::move(attestation.document);
}

Result<std::unique_ptr<ClientSubscription>> Client::subscribe(StreamId stream, Offset from,
                                                              unsigned credits) {
    auto [id, queue] = KB_TRY(impl_->subscribe(stream.value(), from.value(), credits));
    auto subscription =
        std::unique_ptr<ClientSubscription>(new ClientSubscription(*impl_, id, std::move(queue)));
    subscription->delivered_next_ = from;
    return subscription;
}

ClientSubscription::ClientSubscription(client::NativeClient& client, unsigned long long id,
                                       std::shared_ptr<client::SubscriptionQueue> queue)
    : client_(client), id_(id), queue_(std::move(queue)) {}

ClientSubscription::~ClientSubscription() { (void)close(); }

Result<std::optional<ClientEvent>> ClientSubscription::next(int timeout_ms) {
    std::unique_lock lock(queue_->mutex);
    const auto ready = [&] { return !queue_->events.empty() || queue_->ended; };
    if (timeout_ms < 0) {
        queue_->changed.wait(lock, ready);
    } else if (!queue_->changed.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready)) {
        return std::optional<ClientEvent>();
    }
    if (queue_->events.empty()) {
        return queue_->error.is_ok() ? Status::not_found("the subscription has ended")
                                     : queue_->error;
    }
    NativeEvent event = std::move(queue_->events.front());
    queue_->events.pop_front();
    ++queue_->consumed;
    lock.unlock();
    client_.grant_credits(id_, *queue_);
    delivered_next_ = Offset(event.offset + 1);
    return std::optional<ClientEvent>(
        ClientEvent{Offset(event.offset), Position(event.position), std::move(event.data)});
}

Offset ClientSubscription::next_offset() const { return delivered_next_; }

unsigned long long ClientSubscription::buffered() const {
    std::lock_guard lock(queue_->mutex);
    return queue_->events.size();
}

Status ClientSubscription::close() {
    if (closed_) return Status::ok();
    closed_ = true;
    return client_.unsubscribe(id_);
}

Status Client::ping() { return single<NativePong>(impl_->call(NativePing{}, true)).status(); }

const std::string& Client::server_version() const { return impl_->ready().server_version; }

TenantId Client::tenant() const { return TenantId(impl_->ready().tenant_id); }

unsigned long long Client::reconnects() const { return impl_->reconnects(); }

}  // namespace kb
