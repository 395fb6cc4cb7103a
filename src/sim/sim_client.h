// SimClient: a client of the simulated cluster. One request at a time, resent (same request
// number, same bytes) until a reply comes back: first to the primary of the newest view it
// heard of, then to every replica, every retry interval. Then a pause (think time) and the next
// request. Each reply is reported to the host, which checks it against what the replicas did,
// then judged by the workload. Told its session was evicted, it asks the host whether to go
// on, under a new client id (a new session).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/prng.h"
#include "io/sim_event_loop.h"
#include "io/sim_network.h"
#include "sim/workload.h"
#include "types/ids.h"

namespace kb::sim {

// What a client needs from the simulator that runs it.
class ClientHost {
public:
    virtual ~ClientHost() = default;
    virtual io::SimEventLoop& loop() = 0;
    virtual io::SimNetwork& network() = 0;
    virtual Prng& client_prng() = 0;
    virtual Workload& workload() = 0;
    virtual u64& trace() = 0;
    virtual u64 cluster() const = 0;
    virtual u8 replicas() const = 0;
    virtual u64 retry_ns() const = 0;
    virtual u64 think_max_ns() const = 0;
    // Something broke (the run ends with `what`).
    virtual void fail(std::string what) = 0;
    virtual bool failed() const = 0;
    // A reply to (client, request) logged at `op` (0: refused). first_sent_ns is when the
    // request was first sent, or 0 for a repeated reply to an answered request.
    virtual void on_reply(ClientId client, RequestNumber request, Position op,
                          u64 first_sent_ns) = 0;
    // The cluster told `client` its session is gone while `request` was its newest. Returns
    // the id to start a new session under, or nullopt (the run failed).
    virtual std::optional<ClientId> on_eviction(ClientId client, RequestNumber request) = 0;
};

class SimClient {
public:
    // `host` must outlive the client.
    SimClient(ClientHost& host, ClientId id);
    ~SimClient();
    SimClient(const SimClient&) = delete;
    SimClient& operator=(const SimClient&) = delete;

    // Sends the first (next) request after `delay_ns`.
    void start(u64 delay_ns);
    // A request is out and unanswered.
    bool waiting() const { return waiting_; }
    // Answers still come in; no new requests go out.
    void stop_new_requests() { stop_new_ = true; }

private:
    void send_next();
    void attempt();
    void send_to(u8 replica);
    void on_message(const Bytes& bytes);
    void on_eviction();
    // Speaks through the bus of id_.
    void attach();

    ClientHost& host_;
    ClientId id_;
    io::MessageBus* bus_ = nullptr;
    u64 request_ = 0;
    Bytes body_;
    bool waiting_ = false;
    bool stop_new_ = false;
    u64 first_sent_ns_ = 0;
    u64 attempts_ = 0;
    View view_;  // the newest view a reply came from: whom to ask first
    io::TimerId timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kb::sim
