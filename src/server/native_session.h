// NativeSession: one client conversation in the native protocol (docs/PROTOCOL.md), as the
// server's connection loop drives it (ProtocolSession): the prefaces, the handshake and its
// SCRAM exchange, then requests — streams, appends, reads, SQL queries, attestations.
//
// Authentication reuses pgwire's rules and authenticators through the same PgConnectionHost
// (tenant by name, SCRAM-SHA-256 and -PLUS, mock exchanges for unknown users, CONNECT after
// the password, failed-login limits), so the two protocols cannot disagree about who gets in.
//
// Requests are handled in the order they arrive, each answered before the next is read (a
// valid order for a pipelining client: responses may come back in any order). Writes carry
// the login's principal, so the kernel's grant checks apply to them (streams: superusers only
// for now); reading a stream needs only CONNECT on its tenant (checked at login).
//
// Subscriptions (Subscribe, Credit, Unsubscribe; native_subscriptions.cc): a subscription
// sends the stream's events from its offset on as Events frames under the Subscribe's request
// id (flag `more` until it ends), as many as the client's credits allow; new events are found
// when the connection loop wakes the session (wake_after_ms, while any subscription is open) and
// after every request. A slow consumer costs the server one entry per subscription, whatever
// the stream's length.
//
// Not yet: API keys.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "server/native_frame.h"
#include "server/native_messages.h"
#include "server/pg_connection.h"
#include "server/protocol_session.h"

namespace kb::server {

struct NativeSessionOptions {
    // The largest frame body a client may send once authenticated (before: 64 KiB).
    u32 max_frame_body = kNativeFrameBodyMax;
    // Whether the bytes arrive through TLS (channel binding; cleartext rules).
    bool tls_active = false;
    // What ServerInfo and Ready report.
    std::string server_version = "kimberlite";
    // Set when the connection is one too many: after the prefaces the client is told so
    // (Error `unavailable`) and the connection closes.
    std::optional<std::string> refusal{};
};

class NativeSession final : public ProtocolSession {
public:
    // `host` must outlive the session.
    NativeSession(PgConnectionHost& host, NativeSessionOptions options);
    // The session owns its host (a server connection's PgPeerHost).
    NativeSession(std::unique_ptr<PgConnectionHost> host, NativeSessionOptions options);
    ~NativeSession() override;

    void receive(ByteSpan bytes) override;
    Bytes take_output() override;
    bool wants_tls() const override { return false; }  // negotiated before (dispatcher)
    void tls_started() override {}
    bool closed() const override { return phase_ == Phase::closed; }
    bool in_transaction() const override { return false; }
    Bytes goodbye(const char* sqlstate, const char* message) override;
    std::optional<u64> wake_after_ms() const override;
    bool logged_in() const override { return phase_ == Phase::ready; }
    void wake() override;

    // How often an open subscription looks for new events while the connection is quiet.
    static constexpr u64 kSubscriptionPollMs = 20;
    static constexpr usize kMaxSubscriptions = 16;

private:
    struct Subscription {
        StreamId stream;
        u64 next = 0;     // the next offset to send
        u64 credits = 0;  // events the client will take now
    };

    enum class Phase : u8 { preface, hello, authenticating, ready, closed };

    void handle_frame(const NativeFrame& frame);
    void handle_hello(u64 request_id, const NativeHello& hello);
    void handle_auth_continue(const NativeAuthContinue& message);
    void apply_auth_step(PgAuthStep step);
    void handle_request(u64 request_id, NativeMessage request);

    // Request handlers (native_requests.cc): each sends its response or an Error.
    void server_info(u64 request_id);
    void stream_create(u64 request_id, const NativeStreamCreate& request);
    void stream_list(u64 request_id);
    void stream_describe(u64 request_id, const NativeStreamDescribe& request);
    void append(u64 request_id, NativeAppend request);
    void read(u64 request_id, const NativeRead& request);
    void query(u64 request_id, const NativeQuery& request);
    void attest(u64 request_id, bool make_new);
    void subscribe(u64 request_id, const NativeSubscribe& request);
    void credit(u64 request_id, const NativeCredit& request);
    void unsubscribe(u64 request_id, const NativeUnsubscribe& request);
    // Sends every open subscription what its credits allow of what is there now.
    void push_subscriptions();
    // Up to `max_count` events of `stream` from `from` on as of `snapshot`, as many as fit one
    // frame (empty when there are none): what Read and subscriptions send. out_of_range (Error
    // too_large) when one event alone does not fit a frame.
    Result<NativeEvents> events_chunk(const store::Snapshot& snapshot, StreamId stream, u64 from,
                                      u64 max_count);

    void send(u64 request_id, const NativeMessage& message, u16 flags = 0);
    void send_error(u64 request_id, NativeErrorCode code, bool retry_safe, std::string message,
                    std::string sqlstate = {});
    void send_status(u64 request_id, const Status& status);
    // Sends Error with request id 0 and closes the conversation.
    void fail_connection(NativeErrorCode code, std::string message);

    std::unique_ptr<PgConnectionHost> owned_host_;  // before host_, which may refer to it
    PgConnectionHost& host_;
    NativeSessionOptions options_;
    Phase phase_ = Phase::preface;
    Bytes preface_;  // the client's preface while it is incomplete
    NativeFramer framer_;
    Bytes output_;
    std::optional<PgLogin> login_;
    std::unique_ptr<PgAuthenticator> authenticator_;
    u64 hello_request_id_ = 0;
    std::unique_ptr<sql::Session> sql_;          // made on the first Query
    std::map<u64, Subscription> subscriptions_;  // by the Subscribe's request id
};

}  // namespace kb::server
