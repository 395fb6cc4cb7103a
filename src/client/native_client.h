// NativeClient: the connection machinery behind kb::Client (include/kimberlite/client.h) — one
// native-protocol connection with pipelined requests, a reader thread that matches answers to
// requests by id, and reconnection with backoff that resends the requests it may.
//
// call() sends a request and returns every message that answers it (several for a read or a
// query, in order; one Error when it failed). A request is resendable when applying it twice is
// impossible or harmless (reads, pings, appends — which always carry an idempotency id); after
// the connection drops, resendable requests in flight are sent again on the new connection,
// others fail with io_error saying their outcome is unknown.
//
// Threads: call() and call_async() from any thread. The reader thread owns reconnecting.
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "client/client_transport.h"
#include "kimberlite/client.h"
#include "server/native_frame.h"
#include "server/native_messages.h"

namespace kb::client {

using Answer = std::vector<server::NativeMessage>;

// One subscription's delivery queue, shared by the reader thread (which fills it) and the
// consumer (ClientSubscription). Events are delivered in offset order, each once: after a
// reconnect the subscription is opened again from the next undelivered offset, and anything
// older that arrives is dropped.
struct SubscriptionQueue {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<server::NativeEvent> events;
    u64 next_offset = 0;  // the offset the queue expects next
    u64 capacity = 0;     // the credits it was opened with: events queued + in flight
    u64 consumed = 0;     // taken since credits were last granted back
    bool opened = false;  // the server confirmed it
    bool ended = false;
    Status error;  // why it ended, when not by unsubscribe
};

class NativeClient {
public:
    static Result<std::unique_ptr<NativeClient>> connect(ClientOptions options);
    ~NativeClient();
    NativeClient(const NativeClient&) = delete;
    NativeClient& operator=(const NativeClient&) = delete;

    // Sends `request`; the future gets the whole answer, or the Status that stopped it.
    // `request_id`, when given, gets the id the request was sent under.
    std::future<Result<Answer>> call_async(const server::NativeMessage& request, bool resendable,
                                           u64* request_id = nullptr);
    // call_async() waited for, up to the request timeout; retried (as a new request) after
    // backoff while the server answers `unavailable` and attempts remain.
    Result<Answer> call(const server::NativeMessage& request, bool resendable);

    // Opens a subscription (docs/PROTOCOL.md §5) with `credits` events of buffer; the queue
    // gets its events. Waits for the server to confirm it.
    Result<std::pair<u64, std::shared_ptr<SubscriptionQueue>>> subscribe(u64 stream, u64 from,
                                                                         u32 credits);
    // Grants the server the credits the consumer freed (call after taking events).
    void grant_credits(u64 subscription, SubscriptionQueue& queue);
    Status unsubscribe(u64 subscription);

    const server::NativeReady& ready() const { return ready_; }
    u64 reconnects() const;
    const ClientOptions& options() const { return options_; }

private:
    struct Subscribed {
        u64 stream = 0;
        std::shared_ptr<SubscriptionQueue> queue;
    };

    // Writes one frame now if connected (a request that wants no answer, e.g. Credit).
    void send_if_connected(const server::NativeMessage& message, u64 request_id);
    // The Subscribe frame that reopens `subscribed` from where its queue stands.
    Bytes resubscribe_frame(u64 id, const Subscribed& subscribed);

    struct Pending {
        std::promise<Result<Answer>> promise;
        Answer messages;
        Bytes frame;  // as sent, for resending
        bool resendable = false;
    };

    explicit NativeClient(ClientOptions options) : options_(std::move(options)) {}

    // Connects and runs the handshake (prefaces, Hello, SCRAM); the new transport and framer.
    Status open_connection();
    void reader_loop();
    // Frames off the transport until it fails; dispatches each to its pending request.
    Status read_until_lost();
    void dispatch(const server::NativeFrame& frame);
    // After the connection dropped: fail what may not be resent, reconnect with backoff, resend
    // the rest. False when the client gave up (everything pending has failed).
    bool recover(const Status& lost);
    void fail_all(const Status& status);

    ClientOptions options_;
    TransportOptions transport_options_;
    server::NativeReady ready_;

    mutable std::mutex mutex_;                    // everything below
    std::shared_ptr<ClientTransport> transport_;  // shared: writers hold it while writing
    server::NativeFramer framer_;                 // reader thread only
    bool connected_now_ = false;
    bool stopping_ = false;
    bool failed_ = false;
    Status failure_;
    u64 next_request_id_ = 2;  // 1 is the handshake's
    std::map<u64, Pending> pending_;
    std::map<u64, Subscribed> subscriptions_;  // by their Subscribe request id
    u64 reconnects_ = 0;
    std::mutex write_mutex_;  // one frame at a time on the socket
    std::thread reader_;
};

// The Status a native Error stands for (client.h "Errors").
Status status_of_native_error(const server::NativeError& error);

}  // namespace kb::client
