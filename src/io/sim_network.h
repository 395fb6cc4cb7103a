// SimNetwork: the deterministic network of one simulated cluster (DESIGN.md §2.3, §7).
//
// One SimNetwork carries every message between the replicas and clients of a simulated cluster;
// bus(peer) is the MessageBus a simulated process speaks through. Every message travels as a
// timer on the SimEventLoop after a one-way latency drawn from a seeded Prng, so independent
// latencies reorder messages, and the same seed with the same calls gives the same deliveries
// at the same times (all decisions walk ordered containers keyed by peers and sequence numbers,
// never by addresses).
//
// Faults, by probability (options) and on demand, in the style of SimStorage:
//   loss         a message is dropped at send
//   duplication  a message is delivered twice (each copy with its own latency)
//   queue bound  a path (from, to) with path_queue_max messages in flight drops the next one
//   partition    symmetric: messages between peers in different groups are dropped
//   block        one way: messages from one peer to another are dropped
//   clog         messages to and from a peer are held (not lost) until the clog ends, then sent
//                on with a fresh latency
// Partitions and blocks are checked at send and again on arrival (a link cut while a message is
// on it loses the message). heal() lifts partitions, blocks and clogs at once.
//
// reset(peer) models the peer's process restarting: everything in flight to or from it is
// dropped and its receiver cleared; the same MessageBus object serves the new process. A message
// to a peer whose bus does not exist yet (a client that never connected, a replica not started)
// is dropped. Messages a bus sends to itself are delivered with no latency and no faults.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "base/prng.h"
#include "base/time_units.h"
#include "io/network.h"
#include "io/sim_event_loop.h"

namespace kb::io {

// One-way latency: min_ns plus an exponential-like tail with the given mean, clamped at max_ns
// (so the mean is a little lower than mean_ns when max_ns cuts the tail). min <= mean <= max.
// The tail is drawn with integers only (a geometric count of doublings plus a uniform
// fraction), so the same seed gives the same latencies on every machine and libm.
struct SimLatency {
    u64 min_ns = 0;
    u64 mean_ns = 0;
    u64 max_ns = 0;
};

struct SimNetworkOptions {
    u64 seed = 1;
    // Defaults in the range of one datacenter.
    SimLatency latency{.min_ns = 50 * kNanosPerMicro,
                       .mean_ns = 300 * kNanosPerMicro,
                       .max_ns = 10 * kNanosPerMilli};
    // Probability of each fault per message sent, in millionths (0: never).
    u32 loss_per_million = 0;
    u32 duplication_per_million = 0;
    // Messages in flight (held ones included) on one (from, to) path; the next is dropped.
    u32 path_queue_max = 1024;
    usize max_message_bytes = kMessageBytesMaxDefault;
};

// Network-wide tallies, by what happened to each copy of a message.
struct SimNetworkStats {
    u64 delivered = 0;
    u64 duplicated = 0;           // extra copies made
    u64 held = 0;                 // times a message was held by a clog
    u64 dropped_loss = 0;         // injected loss
    u64 dropped_partition = 0;    // partition or block, at send or on arrival
    u64 dropped_queue = 0;        // path_queue_max reached
    u64 dropped_unreachable = 0;  // no bus for the peer, or no receiver installed
    u64 dropped_oversized = 0;    // larger than max_message_bytes
    u64 dropped_reset = 0;        // in flight to or from a peer when it was reset
};

class SimNetwork {
public:
    // `loop` must outlive the network.
    explicit SimNetwork(SimEventLoop& loop, SimNetworkOptions options = {});
    // Cancels every message in flight.
    ~SimNetwork();
    SimNetwork(const SimNetwork&) = delete;
    SimNetwork& operator=(const SimNetwork&) = delete;

    // The bus `peer` speaks through, created on first use; the reference stays valid for the
    // network's lifetime (across reset()).
    MessageBus& bus(Peer peer);
    bool has_bus(Peer peer) const { return endpoints_.count(peer) != 0; }
    // The peer's process restarted: drops what is in flight to and from it, clears its receiver
    // and zeroes its counters.
    void reset(Peer peer);

    // Replaces any earlier partition: messages between peers listed in different groups are
    // dropped. Peers not listed (often the clients) reach everyone. A peer in two groups is a
    // programmer error.
    void partition(const std::vector<std::vector<Peer>>& groups);
    // Drops messages from `from` to `to` (not the other way) until unblock() or heal().
    void block(Peer from, Peer to);
    void unblock(Peer from, Peer to);
    // Holds messages to and from `peer` for `duration_ns` from now (extending any clog already
    // on it), then sends them on.
    void clog(Peer peer, u64 duration_ns);
    // Lifts every partition, block and clog; held messages are sent on.
    void heal();

    // Messages (copies) in flight or held.
    usize in_flight() const { return in_flight_.size(); }
    const SimNetworkStats& stats() const { return stats_; }
    const SimNetworkOptions& options() const { return options_; }

private:
    class Endpoint;
    using Path = std::pair<Peer, Peer>;  // (from, to)
    struct InFlight {
        Peer from;
        Peer to;
        Message message;
        TimerId timer;      // the arrival (or clog-release) timer; zero while held
        bool held = false;  // waiting for a clog on `from` or `to` to end
    };

    void send(Peer from, Peer to, Message message);
    // Puts one copy on the wire: held if a clog applies, else due after a fresh latency.
    void launch(Peer from, Peer to, Message message);
    void schedule_arrival(u64 token, u64 delay_ns);
    void arrive(u64 token);
    // Sends on the held messages no longer covered by a clog, in the order they were sent.
    void release_held();
    void remove(std::map<u64, InFlight>::iterator entry);

    bool separated(Peer from, Peer to) const;
    bool clogged(Peer peer) const;
    u64 sample_latency();
    Endpoint& endpoint(Peer peer);

    SimEventLoop& loop_;
    const SimNetworkOptions options_;
    Prng prng_;
    std::map<Peer, std::unique_ptr<Endpoint>> endpoints_;
    std::map<u64, InFlight> in_flight_;  // by token, i.e. in send order
    std::map<Path, u32> path_counts_;
    u64 next_token_ = 1;
    std::map<Peer, u32> group_of_;
    std::set<Path> blocked_;
    std::map<Peer, u64> clogged_until_ns_;
    std::map<u64, TimerId> clog_timers_;  // clog token -> release timer
    u64 next_clog_token_ = 1;
    SimNetworkStats stats_;
};

}  // namespace kb::io
