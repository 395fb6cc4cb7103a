// The native protocol client's connection machinery (native_client.h).
#include "client/native_client.h"

#include <chrono>

#include "base/assert.h"
#include "crypto/scram.h"

namespace kb::client {
namespace {

using namespace kb::server;

constexpr usize kReadChunkBytes = 64 * 1024;
constexpr u64 kHandshakeRequestId = 1;

// The next frame off `transport` during the handshake (before the reader thread exists).
Result<NativeMessage> read_message(ClientTransport& transport, NativeFramer& framer,
                                   u64* request_id = nullptr) {
    Bytes chunk(kReadChunkBytes);
    for (;;) {
        auto next = framer.next();
        if (!next) {
            return Status::invalid_argument("malformed frame from the server: " +
                                            next.status().message());
        }
        if (next->has_value()) {
            if (request_id != nullptr) *request_id = (*next)->header.request_id;
            auto message = decode_native_message((*next)->header.type, (*next)->body);
            if (!message) {
                return Status::invalid_argument("malformed message from the server: " +
                                                message.status().message());
            }
            return std::move(*message);
        }
        const usize got = KB_TRY(transport.read_some(chunk));
        if (got == 0) return Status::io_error("the server closed the connection");
        framer.feed(ByteSpan(chunk.data(), got));
    }
}

Status send_message(ClientTransport& transport, u64 request_id, const NativeMessage& message) {
    Bytes body;
    encode_native_message(body, message);
    Bytes frame;
    encode_native_frame(frame, {request_id, static_cast<u16>(native_type_of(message)), 0}, body);
    return transport.write_all(frame);
}

}  // namespace

Status status_of_native_error(const NativeError& error) {
    std::string message = error.message;
    switch (error.code) {
        case NativeErrorCode::not_found:
            return Status::not_found(message);
        case NativeErrorCode::already_exists:
            return Status::already_exists(message);
        case NativeErrorCode::conflict:
            return Status::error(StatusCode::conflict, message);
        case NativeErrorCode::permission_denied:
        case NativeErrorCode::authentication_failed:
        case NativeErrorCode::tls_required:
            return Status::permission_denied(message);
        case NativeErrorCode::invalid_argument:
            return Status::invalid_argument(message);
        case NativeErrorCode::sql_error:
            if (error.sqlstate == "40001") {
                return Status::error(StatusCode::conflict, error.sqlstate + ": " + message);
            }
            return Status::invalid_argument(error.sqlstate + ": " + message);
        case NativeErrorCode::too_large:
            return Status::out_of_range(message);
        case NativeErrorCode::unavailable:
            return Status::busy(message);
        case NativeErrorCode::timeout:
            return Status::io_error(message);
        case NativeErrorCode::unsupported_version:
            return Status::unsupported(message);
        case NativeErrorCode::protocol_violation:
        case NativeErrorCode::flow_control:
        case NativeErrorCode::internal:
            break;
    }
    return Status::internal(std::string(native_error_code_name(error.code)) + ": " + message);
}

Result<std::unique_ptr<NativeClient>> NativeClient::connect(ClientOptions options) {
    std::unique_ptr<NativeClient> client(new NativeClient(std::move(options)));
    const HostPort where = KB_TRY(parse_host_port(client->options_.server, 5432));
    client->transport_options_.host = where.host;
    client->transport_options_.port = where.port;
    client->transport_options_.tls = KB_TRY(parse_tls_mode(client->options_.tls));
    client->transport_options_.tls_ca_file = client->options_.tls_ca_file;
    client->transport_options_.connect_timeout_ms = client->options_.connect_timeout_ms;
    KB_TRY(client->open_connection());
    client->connected_now_ = true;
    client->reader_ = std::thread([raw = client.get()] { raw->reader_loop(); });
    return client;
}

NativeClient::~NativeClient() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (transport_) transport_->shut_down();
    }
    if (reader_.joinable()) reader_.join();
    fail_all(Status::io_error("the client was closed"));
}

u64 NativeClient::reconnects() const {
    std::lock_guard lock(mutex_);
    return reconnects_;
}

Status NativeClient::open_connection() {
    std::shared_ptr<ClientTransport> transport =
        KB_TRY(ClientTransport::connect(transport_options_));
    const std::string where = transport->address();
    Bytes preface;
    encode_native_preface(preface, kNativeVersion);
    KB_TRY(transport->write_all(preface));
    Bytes answer;
    Bytes chunk(kNativePrefaceBytes);
    while (answer.size() < kNativePrefaceBytes) {
        const usize got = KB_TRY(transport->read_some(
            MutableByteSpan(chunk).first(kNativePrefaceBytes - answer.size())));
        if (got == 0) {
            return Status::io_error("the server at " + where +
                                    " closed the connection after the native preface (is it a "
                                    "Kimberlite server that speaks the native protocol?)");
        }
        answer.insert(answer.end(), chunk.begin(), chunk.begin() + static_cast<long>(got));
    }
    const NativeVersion version = KB_TRY(decode_native_preface(answer));
    if (version.major != kNativeVersion.major) {
        return Status::unsupported(
            "the server at " + where + " speaks native protocol " + std::to_string(version.major) +
            "." + std::to_string(version.minor) + ", this client " +
            std::to_string(kNativeVersion.major) + "." + std::to_string(kNativeVersion.minor));
    }

    // Hello and SCRAM, bound to the TLS channel when there is one.
    NativeFramer framer;
    crypto::ScramClient::Options scram_options;
    scram_options.tls_server_end_point = transport->tls_server_end_point();
    scram_options.server_offers_plus = !scram_options.tls_server_end_point.empty();
    crypto::ScramClient scram(options_.password, scram_options);
    NativeHello hello;
    hello.client_name = options_.client_name;
    hello.tenant = options_.tenant;
    hello.method = scram_options.server_offers_plus ? NativeAuthMethod::scram_sha_256_plus
                                                    : NativeAuthMethod::scram_sha_256;
    hello.user = options_.user;
    const std::string client_first = scram.client_first();
    hello.initial = Bytes(client_first.begin(), client_first.end());
    const bool by_key = !options_.api_key.empty();
    if (by_key) {  // an API key: one Hello, answered by Ready or an error
        hello.method = NativeAuthMethod::api_key;
        hello.user.clear();
        hello.initial = Bytes(options_.api_key.begin(), options_.api_key.end());
    }
    KB_TRY(send_message(*transport, kHandshakeRequestId, hello));
    bool sent_final = false;
    for (;;) {
        NativeMessage message = KB_TRY(read_message(*transport, framer));
        if (const auto* error = std::get_if<NativeError>(&message)) {
            return status_of_native_error(*error).with_context("logging in to " + where);
        }
        if (const auto* ready = std::get_if<NativeReady>(&message)) {
            if (!by_key && !scram.server_verified()) {
                return Status::crypto("the server at " + where +
                                      " accepted the login without proving it knows the "
                                      "password; refusing it");
            }
            // Requests are not sent on it yet: the caller says when (connected_now_).
            std::lock_guard lock(mutex_);
            ready_ = *ready;
            framer.set_max_body_bytes(std::max(ready->max_frame_body, kNativeFrameBodyMax));
            framer_ = std::move(framer);
            transport_ = std::move(transport);
            return Status::ok();
        }
        const auto* more = std::get_if<NativeAuthContinue>(&message);
        if (more == nullptr) {
            return Status::invalid_argument("unexpected " +
                                            std::string(native_type_name(native_type_of(message))) +
                                            " from the server during login");
        }
        const std::string_view data(reinterpret_cast<const char*>(more->data.data()),
                                    more->data.size());
        if (!sent_final) {
            auto client_final = scram.handle_server_first(data);
            if (!client_final) return client_final.status().with_context("SCRAM");
            KB_TRY(send_message(
                *transport, kHandshakeRequestId,
                NativeAuthContinue{Bytes(client_final->begin(), client_final->end())}));
            sent_final = true;
        } else {
            KB_TRY(scram.handle_server_final(data).with_context("SCRAM"));
        }
    }
}

std::future<Result<Answer>> NativeClient::call_async(const NativeMessage& request, bool resendable,
                                                     u64* request_id) {
    Bytes body;
    encode_native_message(body, request);
    Pending pending;
    pending.resendable = resendable;
    auto future = pending.promise.get_future();
    std::unique_lock lock(mutex_);
    if (failed_ || stopping_) {
        pending.promise.set_value(failed_ ? failure_ : Status::io_error("the client was closed"));
        return future;
    }
    const u64 id = next_request_id_++;
    if (request_id != nullptr) *request_id = id;
    encode_native_frame(pending.frame, {id, static_cast<u16>(native_type_of(request)), 0}, body);
    const Bytes frame = pending.frame;
    pending_.emplace(id, std::move(pending));
    if (!connected_now_) return future;  // sent by the reader thread once reconnected
    const std::shared_ptr<ClientTransport> transport = transport_;
    // A write may block on a full socket: the reader thread must still get mutex_ meanwhile.
    // Should the connection drop before the write, recovery has resent (or failed) the
    // request and this write fails on the closed transport: never a second copy.
    lock.unlock();
    std::lock_guard write_lock(write_mutex_);
    if (Status written = transport->write_all(frame); !written.is_ok()) {
        transport->shut_down();  // the reader thread sees the loss and recovers
    }
    return future;
}

Result<Answer> NativeClient::call(const NativeMessage& request, bool resendable) {
    int backoff = options_.backoff_initial_ms;
    for (int attempt = 0;; ++attempt) {
        u64 id = 0;
        auto future = call_async(request, resendable, &id);
        if (future.wait_for(std::chrono::milliseconds(options_.request_timeout_ms)) !=
            std::future_status::ready) {
            std::lock_guard lock(mutex_);
            pending_.erase(id);  // abandoned: a late answer is dropped, nothing is kept for it
            return Status::io_error("no answer from the server within " +
                                    std::to_string(options_.request_timeout_ms) + " ms");
        }
        Result<Answer> answer = future.get();
        if (!answer) return answer;
        const auto* error = answer->empty() ? nullptr : std::get_if<NativeError>(&answer->back());
        if (error == nullptr || error->code != NativeErrorCode::unavailable || !error->retry_safe ||
            attempt >= options_.max_retries) {
            return answer;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
        backoff = std::min(backoff * 2, options_.backoff_max_ms);
    }
}

void NativeClient::reader_loop() {
    for (;;) {
        Status lost = read_until_lost();
        if (!recover(lost)) return;
    }
}

Status NativeClient::read_until_lost() {
    std::shared_ptr<ClientTransport> transport;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return Status::io_error("the client was closed");
        transport = transport_;
    }
    Bytes chunk(kReadChunkBytes);
    for (;;) {
        for (;;) {
            auto next = framer_.next();
            if (!next) return Status::invalid_argument("malformed frame from the server");
            if (!next->has_value()) break;
            dispatch(**next);
        }
        auto got = transport->read_some(chunk);
        if (!got) return got.status();
        if (*got == 0) return Status::io_error("the server closed the connection");
        framer_.feed(ByteSpan(chunk.data(), *got));
    }
}

void NativeClient::dispatch(const NativeFrame& frame) {
    auto message = decode_native_message(frame.header.type, frame.body);
    std::lock_guard lock(mutex_);
    if (frame.header.request_id == 0) {
        // About the connection itself (e.g. the server is shutting down): the connection ends
        // next, and recovery decides what happens to what is pending.
        return;
    }
    if (const auto subscribed = subscriptions_.find(frame.header.request_id);
        subscribed != subscriptions_.end()) {
        SubscriptionQueue& queue = *subscribed->second.queue;
        std::lock_guard queue_lock(queue.mutex);
        auto* events = message ? std::get_if<NativeEvents>(&*message) : nullptr;
        if (events == nullptr) {
            queue.error = !message ? Status::invalid_argument("malformed events from the server")
                          : std::holds_alternative<NativeError>(*message)
                              ? status_of_native_error(std::get<NativeError>(*message))
                              : Status::invalid_argument("unexpected answer to a subscription");
            queue.ended = true;
            subscriptions_.erase(subscribed);
        } else {
            queue.opened = true;
            for (NativeEvent& event : events->events) {
                if (event.offset < queue.next_offset) continue;  // delivered before a reconnect
                queue.next_offset = event.offset + 1;
                queue.events.push_back(std::move(event));
            }
            if ((frame.header.flags & kNativeFlagMore) == 0) {
                queue.ended = true;  // unsubscribed
                subscriptions_.erase(subscribed);
            }
        }
        queue.changed.notify_all();
        return;
    }
    const auto found = pending_.find(frame.header.request_id);
    if (found == pending_.end()) return;  // timed out and abandoned, or a duplicate
    Pending& pending = found->second;
    if (!message) {
        pending.promise.set_value(Status::invalid_argument("malformed answer from the server: " +
                                                           message.status().message()));
        pending_.erase(found);
        return;
    }
    const bool error = std::holds_alternative<NativeError>(*message);
    pending.messages.push_back(std::move(*message));
    if (error || (frame.header.flags & kNativeFlagMore) == 0) {
        pending.promise.set_value(std::move(pending.messages));
        pending_.erase(found);
    }
}

bool NativeClient::recover(const Status& lost) {
    std::unique_lock lock(mutex_);
    connected_now_ = false;
    const std::shared_ptr<ClientTransport> dead = transport_;
    if (stopping_) return false;
    // What cannot be resent has an unknown outcome now.
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.resendable) {
            it->second.messages.clear();  // its answer starts over
            ++it;
            continue;
        }
        it->second.promise.set_value(Status::io_error(
            "the connection to the server was lost (" + lost.message() +
            ") before the answer came; the request may or may not have been applied"));
        it = pending_.erase(it);
    }
    lock.unlock();
    if (dead) {
        dead->shut_down();  // a writer blocked on it returns now
        std::lock_guard write_lock(write_mutex_);
        dead->close(false);
    }

    int backoff = options_.backoff_initial_ms;
    Status last = lost;
    for (int attempt = 0; attempt < std::max(options_.max_retries, 1); ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
        backoff = std::min(backoff * 2, options_.backoff_max_ms);
        {
            std::lock_guard check(mutex_);
            if (stopping_) return false;
        }
        last = open_connection();
        if (!last.is_ok()) continue;
        // Everything pending now was never sent on this connection; what arrives after
        // connected_now_ is set is written by its caller.
        lock.lock();
        ++reconnects_;
        std::vector<Bytes> resend;
        for (auto& [id, pending] : pending_) resend.push_back(pending.frame);
        // Subscriptions open again from the next offset they have not delivered.
        for (auto& [id, subscribed] : subscriptions_) {
            resend.push_back(resubscribe_frame(id, subscribed));
        }
        const std::shared_ptr<ClientTransport> transport = transport_;
        connected_now_ = true;
        lock.unlock();
        std::lock_guard write_lock(write_mutex_);
        for (const Bytes& frame : resend) {
            if (!transport->write_all(frame).is_ok()) break;  // read_until_lost will notice
        }
        return true;
    }
    fail_all(last.with_context("reconnecting to " + options_.server));
    return false;
}

void NativeClient::fail_all(const Status& status) {
    std::lock_guard lock(mutex_);
    failed_ = true;
    failure_ = status;
    for (auto& [id, pending] : pending_) pending.promise.set_value(status);
    pending_.clear();
    for (auto& [id, subscribed] : subscriptions_) {
        std::lock_guard queue_lock(subscribed.queue->mutex);
        subscribed.queue->ended = true;
        subscribed.queue->error = status;
        subscribed.queue->changed.notify_all();
    }
    subscriptions_.clear();
}

// --- subscriptions ----------------------------------------------------------------------------

Bytes NativeClient::resubscribe_frame(u64 id, const Subscribed& subscribed) {
    SubscriptionQueue& queue = *subscribed.queue;
    std::lock_guard queue_lock(queue.mutex);
    queue.consumed = 0;  // the new credits count what is queued now
    const u64 room =
        queue.capacity > queue.events.size() ? queue.capacity - queue.events.size() : 0;
    Bytes body;
    encode_native_message(
        body, NativeSubscribe{subscribed.stream, queue.next_offset, static_cast<u32>(room)});
    Bytes frame;
    encode_native_frame(frame, {id, static_cast<u16>(NativeType::subscribe), 0}, body);
    return frame;
}

void NativeClient::send_if_connected(const NativeMessage& message, u64 request_id) {
    Bytes body;
    encode_native_message(body, message);
    Bytes frame;
    encode_native_frame(frame, {request_id, static_cast<u16>(native_type_of(message)), 0}, body);
    std::unique_lock lock(mutex_);
    if (!connected_now_) return;
    const std::shared_ptr<ClientTransport> transport = transport_;
    lock.unlock();
    std::lock_guard write_lock(write_mutex_);
    if (!transport->write_all(frame).is_ok()) transport->shut_down();
}

Result<std::pair<u64, std::shared_ptr<SubscriptionQueue>>> NativeClient::subscribe(u64 stream,
                                                                                   u64 from,
                                                                                   u32 credits) {
    auto queue = std::make_shared<SubscriptionQueue>();
    queue->next_offset = from;
    queue->capacity = std::max<u32>(credits, 1);
    u64 id = 0;
    {
        std::lock_guard lock(mutex_);
        if (failed_ || stopping_) {
            return failed_ ? failure_ : Status::io_error("the client was closed");
        }
        id = next_request_id_++;
        subscriptions_[id] = Subscribed{stream, queue};
    }
    send_if_connected(NativeSubscribe{stream, from, static_cast<u32>(queue->capacity)}, id);
    std::unique_lock queue_lock(queue->mutex);
    const bool answered =
        queue->changed.wait_for(queue_lock, std::chrono::milliseconds(options_.request_timeout_ms),
                                [&] { return queue->opened || queue->ended; });
    if (!answered) return Status::io_error("the server did not confirm the subscription");
    if (queue->ended) return queue->error;
    return std::make_pair(id, queue);
}

void NativeClient::grant_credits(u64 subscription, SubscriptionQueue& queue) {
    u64 grant = 0;
    {
        std::lock_guard queue_lock(queue.mutex);
        // Grant in batches: half the buffer at a time keeps Credit frames rare.
        if (queue.consumed * 2 < queue.capacity) return;
        grant = queue.consumed;
        queue.consumed = 0;
    }
    u64 id = 0;
    {
        std::lock_guard lock(mutex_);
        if (!subscriptions_.contains(subscription)) return;
        id = next_request_id_++;
    }
    send_if_connected(NativeCredit{subscription, static_cast<u32>(grant)}, id);
}

Status NativeClient::unsubscribe(u64 subscription) {
    {
        std::lock_guard lock(mutex_);
        const auto found = subscriptions_.find(subscription);
        if (found == subscriptions_.end()) return Status::ok();  // already ended
        std::lock_guard queue_lock(found->second.queue->mutex);
        found->second.queue->ended = true;
        found->second.queue->changed.notify_all();
        subscriptions_.erase(found);
    }
    auto answer = call(NativeUnsubscribe{subscription}, true);
    if (!answer) return answer.status();
    if (const auto* error = std::get_if<NativeError>(&answer->back());
        error != nullptr && error->code != NativeErrorCode::not_found) {
        return status_of_native_error(*error);
    }
    return Status::ok();
}

}  // namespace kb::client
