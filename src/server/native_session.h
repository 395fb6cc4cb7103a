// NativeSession: one client conversation in the native protocol (docs/PROTOCOL.md), as the
// server's connection loop drives it (ProtocolSession): the prefaces, the handshake and its
// SCRAM exchange, then requests — streams, appends, reads, SQL queries, attestations.
//
// Authentication reuses pgwire's rules and authenticators through the same PgConnectionHost
// (tenant by name, SCRAM-SHA-256 and -PLUS, mock exchanges for unknown users, CONNECT after
// the password, failed-login limits), so the two protocols cannot disagree about who gets in.
//
// Requests are taken in the order they arrive, but answered out of order: Append and
// StreamCreate are submitted to the database without waiting (TransactionHost::submit_async)
// and answered once durable (or refused), while the requests after them are served meanwhile —
// pings, reads, queries, more appends, whose commits then share group commits. The database
// admits one connection's writes in the order they arrived (so appends with expected offsets
// in sequence, pipelined, all succeed); nothing else about the order of responses is promised.
// A write's result comes back on the database's thread into a queue the session shares (a
// shared_ptr: a result arriving after the session is gone is dropped), which then calls the
// waker the connection loop gave (set_waker); the loop calls wake(), which sends the answers.
// At most kMaxInFlight writes are in flight: at the limit the session takes no further
// requests (wants_input() is false, so the loop stops reading the socket and the client's
// bytes wait in TCP) until answers come back. A connection that closes with writes in flight
// drops their answers; the writes still commit. Everything else is answered before the next
// request is taken. Writes carry the login's principal, so the kernel's grant checks apply to
// them (streams: superusers only for now); reading a stream needs only CONNECT on its tenant
// (checked at login).
//
// Subscriptions (Subscribe, Credit, Unsubscribe; native_subscriptions.cc): a subscription
// sends the stream's events from its offset on as Events frames under the Subscribe's request
// id (flag `more` until it ends), as many as the client's credits allow; new events are found
// when the connection loop wakes the session (wake_after_ms, while any subscription is open) and
// after every request. A slow consumer costs the server one entry per subscription, whatever
// the stream's length.
//
// API keys (Hello method 3; native_api_key.h): the key's role logs in to the key's tenant; a
// read-only key's writes are refused (permission_denied) by the host's transactions, and every
// write of a key's session checks that the key is still live, so a revocation stops them at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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
    // Any thread may call `waker` once a write finished; the loop then calls wake().
    void set_waker(std::function<void()> waker) override;
    // False while kMaxInFlight writes are in flight.
    bool wants_input() const override;

    // How often an open subscription looks for new events while the connection is quiet.
    static constexpr u64 kSubscriptionPollMs = 20;
    static constexpr usize kMaxSubscriptions = 16;
    // Writes (Append, StreamCreate) in flight per connection at most (Ready's max_in_flight).
    static constexpr usize kMaxInFlight = 256;
    // Writes submitted and not answered yet.
    usize in_flight() const { return in_flight_; }

private:
    struct Subscription {
        StreamId stream;
        u64 next = 0;     // the next offset to send
        u64 credits = 0;  // events the client will take now
    };

    enum class Phase : u8 { preface, hello, authenticating, ready, closed };

    // A write the database finished, waiting to be answered.
    enum class WriteKind : u8 { append, stream_create };
    struct FinishedWrite {
        u64 request_id = 0;
        WriteKind kind = WriteKind::append;
        u64 events = 0;  // an append's batch size
        Result<db::SubmitResult> result;
    };
    // Shared with the callbacks of writes in flight (which may outlive the session).
    struct FinishedWrites {
        std::mutex mutex;
        std::vector<FinishedWrite> done;  // in the order they finished
        std::function<void()> waker;
        bool closed = false;  // the session is gone: drop what finishes
    };

    // Handles the frames the framer holds, until it holds no whole frame or kMaxInFlight
    // writes are in flight.
    void handle_frames();
    void handle_frame(const NativeFrame& frame);
    void handle_hello(u64 request_id, const NativeHello& hello);
    void login_with_api_key(const NativeHello& hello);  // native_api_key.cc
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
    // Submits a write without waiting; finish_writes() answers it.
    void submit_write(u64 request_id, WriteKind kind, u64 events, kernel::OpBody body);
    // Answers the writes that finished since the last call; whether there were any.
    bool finish_writes();
    void answer_write(FinishedWrite& write);
    // Sends every open subscription what its credits allow of what is there now.
    void push_subscriptions();
    // The stream `stream_id` of the login's tenant as of `start`; nullptr, with Error
    // not_found sent, when there is none (Read and Subscribe).
    const kernel::StreamInfo* stream_or_not_found(u64 request_id,
                                                  const db::TransactionHost::Start& start,
                                                  u64 stream_id);
    // Up to `max_count` events of `stream` from `from` on as of `snapshot`, as many as fit one
    // frame (empty when there are none): what Read and subscriptions send. out_of_range (Error
    // too_large) when one event alone does not fit a frame. The events come from the log's
    // records of their appends, checked against the store's record of each
    // (db::read_stream_events): corruption (Error internal, not retry-safe) when one differs or
    // the log refuses the record.
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
    std::shared_ptr<FinishedWrites> finished_ = std::make_shared<FinishedWrites>();
    usize in_flight_ = 0;  // writes submitted, not answered yet
};

}  // namespace kb::server
