// The native protocol's conversation: prefaces, handshake, authentication and dispatch
// (native_session.h). The request handlers are in native_requests.cc.
#include "server/native_session.h"

#include <algorithm>

#include "base/assert.h"
#include "sql/session.h"

namespace kb::server {
namespace {

// Frames before authentication are small (Hello, SCRAM messages): a stranger cannot make the
// server buffer more than this.
constexpr u32 kUnauthenticatedFrameBodyMax = 64 << 10;

constexpr std::string_view kScram = "SCRAM-SHA-256";
constexpr std::string_view kScramPlus = "SCRAM-SHA-256-PLUS";

NativeErrorCode login_error_code(const std::string& sqlstate) {
    if (sqlstate == "3D000") return NativeErrorCode::not_found;
    if (sqlstate == "42501") return NativeErrorCode::permission_denied;
    return NativeErrorCode::authentication_failed;
}

bool is_request(NativeType type) {
    const auto number = static_cast<u16>(type);
    return number >= 101 && number % 2 == 1;
}

}  // namespace

NativeSession::NativeSession(PgConnectionHost& host, NativeSessionOptions options)
    : host_(host), options_(std::move(options)), framer_(kUnauthenticatedFrameBodyMax) {}

NativeSession::NativeSession(std::unique_ptr<PgConnectionHost> host, NativeSessionOptions options)
    : owned_host_(std::move(host)),
      host_(*owned_host_),
      options_(std::move(options)),
      framer_(kUnauthenticatedFrameBodyMax) {}

NativeSession::~NativeSession() {
    // Writes still in flight commit all the same; their answers have nobody to go to.
    std::lock_guard lock(finished_->mutex);
    finished_->closed = true;
    finished_->waker = nullptr;
}

void NativeSession::set_waker(std::function<void()> waker) {
    std::lock_guard lock(finished_->mutex);
    finished_->waker = std::move(waker);
}

bool NativeSession::wants_input() const {
    return phase_ != Phase::ready || in_flight_ < kMaxInFlight;
}

Bytes NativeSession::take_output() { return std::exchange(output_, {}); }

Bytes NativeSession::goodbye(const char*, const char* message) {
    if (phase_ == Phase::preface || phase_ == Phase::closed) return {};
    Bytes out;
    Bytes body;
    encode_native_message(body, NativeError{NativeErrorCode::unavailable, true, "", message});
    encode_native_frame(out, NativeFrameHeader{0, static_cast<u16>(NativeType::error), 0}, body);
    phase_ = Phase::closed;
    return out;
}

void NativeSession::receive(ByteSpan bytes) {
    if (phase_ == Phase::closed) return;
    if (phase_ == Phase::preface) {
        const usize wanted = kNativePrefaceBytes - preface_.size();
        const usize taken = std::min(wanted, bytes.size());
        preface_.insert(preface_.end(), bytes.begin(), bytes.begin() + static_cast<long>(taken));
        bytes = bytes.subspan(taken);
        if (preface_.size() < kNativePrefaceBytes) return;
        auto client = decode_native_preface(preface_);
        if (!client) {
            phase_ = Phase::closed;  // not our protocol: nothing we could say is understood
            return;
        }
        const NativeVersion chosen = negotiate_native_version(*client, kNativeVersion);
        encode_native_preface(output_, chosen);
        if (chosen.major != client->major) {
            phase_ = Phase::closed;  // the client reports both versions
            return;
        }
        phase_ = Phase::hello;
        if (options_.refusal)
            return fail_connection(NativeErrorCode::unavailable, *options_.refusal);
    }
    framer_.feed(bytes);
    handle_frames();
    // Writes that finished meanwhile (at once, with a host that waits in submit_async).
    if (phase_ == Phase::ready && finish_writes()) push_subscriptions();
}

void NativeSession::handle_frames() {
    while (phase_ != Phase::closed) {
        if (in_flight_ >= kMaxInFlight) {
            // The rest waits in the framer (and, since wants_input() is false, in TCP).
            finish_writes();
            if (in_flight_ >= kMaxInFlight) return;
        }
        auto frame = framer_.next();
        if (!frame)
            return fail_connection(NativeErrorCode::protocol_violation, frame.status().message());
        if (!frame->has_value()) return;
        handle_frame(**frame);
    }
}

void NativeSession::handle_frame(const NativeFrame& frame) {
    const u64 id = frame.header.request_id;
    auto message = decode_native_message(frame.header.type, frame.body);
    if (!message) {
        // The frame layer is intact, so the conversation can go on once the client knows.
        if (phase_ != Phase::ready) {
            return fail_connection(NativeErrorCode::protocol_violation, message.status().message());
        }
        return send_error(id, NativeErrorCode::protocol_violation, false,
                          message.status().message());
    }
    const NativeType type = native_type_of(*message);
    switch (phase_) {
        case Phase::hello:
            if (const auto* hello = std::get_if<NativeHello>(&*message)) {
                return handle_hello(id, *hello);
            }
            return fail_connection(NativeErrorCode::protocol_violation,
                                   "expected hello, got " + std::string(native_type_name(type)));
        case Phase::authenticating:
            if (const auto* more = std::get_if<NativeAuthContinue>(&*message)) {
                return handle_auth_continue(*more);
            }
            return fail_connection(
                NativeErrorCode::protocol_violation,
                "expected auth_continue, got " + std::string(native_type_name(type)));
        case Phase::ready:
            if (!is_request(type)) {
                return send_error(id, NativeErrorCode::protocol_violation, false,
                                  std::string(native_type_name(type)) + " is not a request");
            }
            return handle_request(id, std::move(*message));
        case Phase::preface:
        case Phase::closed:
            break;
    }
}

// --- authentication ---------------------------------------------------------------------------

void NativeSession::handle_hello(u64 request_id, const NativeHello& hello) {
    hello_request_id_ = request_id;
    if (hello.method == NativeAuthMethod::api_key) return login_with_api_key(hello);
    auto login = host_.find_login(hello.user, hello.tenant);
    if (!login) {
        return fail_connection(login_error_code(login.error().sqlstate), login.error().message);
    }
    login_ = std::move(*login);
    authenticator_ = host_.authenticator(*login_, options_.tls_active);
    KB_ASSERT(authenticator_ != nullptr);
    phase_ = Phase::authenticating;
    PgAuthStep step = authenticator_->start();
    if (step.kind != PgAuthStep::Kind::sasl) return apply_auth_step(std::move(step));
    const std::string_view mechanism =
        hello.method == NativeAuthMethod::scram_sha_256_plus ? kScramPlus : kScram;
    if (std::find(step.mechanisms.begin(), step.mechanisms.end(), mechanism) ==
        step.mechanisms.end()) {
        return fail_connection(NativeErrorCode::authentication_failed,
                               std::string(mechanism) + " is not offered" +
                                   (mechanism == kScramPlus ? " (it needs TLS)" : ""));
    }
    apply_auth_step(authenticator_->respond(
        PgAuthMessage(PgSaslInitialResponse{mechanism, ByteSpan(hello.initial)})));
}

void NativeSession::handle_auth_continue(const NativeAuthContinue& message) {
    apply_auth_step(authenticator_->respond(PgAuthMessage(PgSaslResponse{message.data})));
}

void NativeSession::apply_auth_step(PgAuthStep step) {
    switch (step.kind) {
        case PgAuthStep::Kind::sasl_continue:
            return send(hello_request_id_, NativeAuthContinue{std::move(step.data)});
        case PgAuthStep::Kind::sasl_final:
            send(hello_request_id_, NativeAuthContinue{std::move(step.data)});
            [[fallthrough]];
        case PgAuthStep::Kind::ok: {
            authenticator_.reset();
            framer_.set_max_body_bytes(options_.max_frame_body);
            phase_ = Phase::ready;
            return send(hello_request_id_,
                        NativeReady{options_.server_version, options_.max_frame_body,
                                    static_cast<u32>(kMaxInFlight), login_->tenant.value(),
                                    login_->read_only});
        }
        case PgAuthStep::Kind::fail:
            return fail_connection(login_error_code(step.sqlstate), step.message);
        case PgAuthStep::Kind::sasl:
        case PgAuthStep::Kind::cleartext_password:
            break;
    }
    fail_connection(NativeErrorCode::authentication_failed,
                    "the native protocol authenticates with SCRAM only");
}

// --- requests ---------------------------------------------------------------------------------

void NativeSession::handle_request(u64 request_id, NativeMessage request) {
    std::visit(
        [&](auto& message) {
            using Message = std::decay_t<decltype(message)>;
            if constexpr (std::is_same_v<Message, NativePing>) {
                send(request_id, NativePong{});
            } else if constexpr (std::is_same_v<Message, NativeServerInfo>) {
                server_info(request_id);
            } else if constexpr (std::is_same_v<Message, NativeStreamCreate>) {
                stream_create(request_id, message);
            } else if constexpr (std::is_same_v<Message, NativeStreamList>) {
                stream_list(request_id);
            } else if constexpr (std::is_same_v<Message, NativeStreamDescribe>) {
                stream_describe(request_id, message);
            } else if constexpr (std::is_same_v<Message, NativeAppend>) {
                append(request_id, std::move(message));
            } else if constexpr (std::is_same_v<Message, NativeRead>) {
                read(request_id, message);
            } else if constexpr (std::is_same_v<Message, NativeQuery>) {
                query(request_id, message);
            } else if constexpr (std::is_same_v<Message, NativeAttest>) {
                attest(request_id, true);
            } else if constexpr (std::is_same_v<Message, NativeDigest>) {
                attest(request_id, false);
            } else if constexpr (std::is_same_v<Message, NativeSubscribe>) {
                subscribe(request_id, message);
            } else if constexpr (std::is_same_v<Message, NativeCredit>) {
                credit(request_id, message);
            } else if constexpr (std::is_same_v<Message, NativeUnsubscribe>) {
                unsubscribe(request_id, message);
            } else {
                send_error(request_id, NativeErrorCode::invalid_argument, true,
                           std::string(native_type_name(Message::kType)) +
                               " is not supported by this server yet");
            }
        },
        request);
    // A request may have appended to a subscribed stream, or granted credits.
    push_subscriptions();
}

// --- writes in flight -------------------------------------------------------------------------

void NativeSession::submit_write(u64 request_id, WriteKind kind, u64 events, kernel::OpBody body) {
    ++in_flight_;
    host_.transactions().submit_async(
        login_->tenant, login_->principal, std::move(body),
        [finished = finished_, request_id, kind, events](Result<db::SubmitResult> result) {
            // The database's thread (or this one): hand the result over and wake the loop —
            // once per batch: results queued after the first are taken by the same wake.
            std::lock_guard lock(finished->mutex);
            if (finished->closed) return;
            const bool first = finished->done.empty();
            finished->done.push_back(FinishedWrite{request_id, kind, events, std::move(result)});
            if (first && finished->waker) finished->waker();
        });
}

bool NativeSession::finish_writes() {
    std::vector<FinishedWrite> done;
    {
        std::lock_guard lock(finished_->mutex);
        done.swap(finished_->done);
    }
    for (FinishedWrite& write : done) {
        KB_ASSERT(in_flight_ > 0);
        --in_flight_;
        if (phase_ == Phase::ready) answer_write(write);  // closed: nobody to tell
    }
    return !done.empty();
}

// --- output -----------------------------------------------------------------------------------

void NativeSession::send(u64 request_id, const NativeMessage& message, u16 flags) {
    Bytes body;
    encode_native_message(body, message);
    KB_ASSERT_MSG(body.size() <= kNativeFrameBodyMax, "a response larger than a frame");
    encode_native_frame(
        output_, NativeFrameHeader{request_id, static_cast<u16>(native_type_of(message)), flags},
        body);
}

void NativeSession::send_error(u64 request_id, NativeErrorCode code, bool retry_safe,
                               std::string message, std::string sqlstate) {
    send(request_id, NativeError{code, retry_safe, std::move(sqlstate), std::move(message)});
}

void NativeSession::send_status(u64 request_id, const Status& status) {
    KB_ASSERT(!status.is_ok());
    NativeErrorCode code = NativeErrorCode::internal;
    bool retry_safe = true;  // a refusal: nothing was applied
    switch (status.code()) {
        case StatusCode::invalid_argument:
            code = NativeErrorCode::invalid_argument;
            break;
        case StatusCode::not_found:
            code = NativeErrorCode::not_found;
            break;
        case StatusCode::already_exists:
            code = NativeErrorCode::already_exists;
            break;
        case StatusCode::permission_denied:
            code = NativeErrorCode::permission_denied;
            break;
        case StatusCode::conflict:
            code = NativeErrorCode::conflict;
            break;
        case StatusCode::out_of_range:
            code = NativeErrorCode::too_large;
            break;
        case StatusCode::unsupported:
            code = NativeErrorCode::invalid_argument;
            break;
        case StatusCode::busy:
            code = NativeErrorCode::unavailable;
            break;
        default:
            // I/O and internal failures: whether the request took effect is unknown.
            retry_safe = false;
            break;
    }
    send_error(request_id, code, retry_safe, status.message());
}

void NativeSession::fail_connection(NativeErrorCode code, std::string message) {
    send_error(0, code, code == NativeErrorCode::authentication_failed, std::move(message));
    authenticator_.reset();
    phase_ = Phase::closed;
}

}  // namespace kb::server
