// SimClient: a client of the simulated cluster. It registers first (docs/ARCHITECTURE.md
// "Client sessions"), then sends one request at a time in its session, resent (same request
// number, same bytes) until a reply comes back: first to the primary of the newest view it heard
// of, then to every replica, every retry interval. Then a pause (think time) and the next
// request. Each reply is reported to the host, which checks it against what the replicas did,
// then judged by the workload. Told its session was evicted, it asks the host whether to go on:
// if so it gives up on the unanswered request (whether it was applied stays unknown: the
// checkers accept either, and a late reply to it must still name the right position), registers
// again under the same id and carries on with the next request number (request numbers are
// never reused, across sessions too, so "applied at most once" stays checkable per id).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "base/prng.h"
#include "io/sim_event_loop.h"
#include "io/sim_network.h"
#include "sim/workload.h"
#include "types/ids.h"
#include "vsr/message.h"

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
    // request was first sent, or 0 for a reply to a request already answered or given up on.
    virtual void on_reply(ClientId client, RequestNumber request, Position op,
                          u64 first_sent_ns) = 0;
    // A reply to a register of `client`: its session is the register logged at `op`.
    virtual void on_registered(ClientId client, Position op) = 0;
    // The cluster told `client` its session is gone while `request` was unanswered. true: the
    // client gives the request up and registers again; false: the run failed.
    virtual bool on_eviction(ClientId client, RequestNumber request) = 0;
};

class SimClient {
public:
    // `host` must outlive the client.
    SimClient(ClientHost& host, ClientId id);
    ~SimClient();
    SimClient(const SimClient&) = delete;
    SimClient& operator=(const SimClient&) = delete;

    // Sends the first (next) request after `delay_ns`, registering first if needed.
    void start(u64 delay_ns);
    // A request or register is out and unanswered.
    bool waiting() const { return waiting_ || registering_; }
    // Answers still come in; no new requests (or registers) go out.
    void stop_new_requests() { stop_new_ = true; }

private:
    void send_next();
    void attempt();
    void send_to(u8 replica);
    void on_message(const Bytes& bytes);
    void on_register_reply(const vsr::Header& header);
    void on_eviction(const vsr::Header& header);
    void cancel_timer();

    ClientHost& host_;
    ClientId id_;
    io::MessageBus* bus_ = nullptr;
    u64 request_ = 0;  // the newest request number used, in any session
    Bytes body_;
    bool waiting_ = false;      // request_ is out
    bool registering_ = false;  // a register is out
    bool stop_new_ = false;
    vsr::SessionNumber session_;  // 0: none (not yet, or evicted)
    View session_view_;           // the view its register's reply came from
    u64 first_sent_ns_ = 0;
    u64 attempts_ = 0;
    View view_;  // the newest view a reply came from: whom to ask first
    io::TimerId timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kb::sim
