// Network: the message bus between the replicas of a cluster and their clients (DESIGN.md §2.3).
//
// Each process has one MessageBus. It moves whole messages (opaque byte strings; vsr/message.h
// gives them meaning) between peers: the replicas of the cluster, numbered 0..n-1, and clients,
// named by their ClientId. Two implementations:
//   * TcpMessageBus (tcp_network.h): TCP on the AsioEventLoop, length-prefixed frames, a hello
//     naming the sender and its cluster on every connection, reconnection with backoff.
//   * SimNetwork (sim_network.h): deterministic, on a SimEventLoop, with seeded latency, loss,
//     duplication, reordering, partitions (symmetric and one-way) and clogging.
//
// Contract (both implementations):
//   * Best effort. A message may arrive late, more than once, out of order or never; the
//     protocol above retries and deduplicates. A message that arrives is exactly what was sent
//     (TCP frames are checked; the simulation never alters bytes — bit-rot on the wire is
//     modelled, when wanted, above the bus), and it arrives whole.
//   * send() never blocks and never runs the receiver inline; delivery is a task on the loop.
//     Messages to a peer the bus cannot reach (no route, not connected yet, over the bus's
//     queue bound) are dropped, never queued without bound.
//   * The receiver runs on the loop thread with the peer the message came from as the bus knows
//     it (the identity the connection declared in its hello). A replica must still check the
//     message's own header: the bus vouches for the connection, not for the contents.
//   * Bounds: a message larger than max_message_bytes is refused at send (dropped, counted) and,
//     arriving, closes the connection that carried it.
//   * A message a bus sends to itself is delivered by a task on its loop, with no faults.
//   * Counters: `sent` counts send() calls, `received` messages handed to this bus's receiver,
//     `dropped` messages this bus sent (or, TCP, received) that no receiver will see.
#pragma once

#include <compare>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "io/unique_function.h"
#include "types/ids.h"

namespace kb::io {

// One end of the bus: a replica by index, or a client by id.
class Peer {
public:
    static Peer replica(u8 index) { return Peer(Kind::replica, index, ClientId{}); }
    static Peer client(ClientId id) { return Peer(Kind::client, 0, id); }

    bool is_replica() const { return kind_ == Kind::replica; }
    bool is_client() const { return kind_ == Kind::client; }
    u8 replica_index() const { return replica_; }
    ClientId client_id() const { return client_; }
    // "replica 2", "client 17": for logs and error messages.
    std::string describe() const;

    friend auto operator<=>(const Peer&, const Peer&) = default;

private:
    enum class Kind : u8 { replica, client };
    Peer(Kind kind, u8 replica, ClientId client)
        : kind_(kind), replica_(replica), client_(client) {}

    Kind kind_;
    u8 replica_;
    ClientId client_;
};

// Messages are shared so one prepare can go to every backup without copies.
using Message = std::shared_ptr<const Bytes>;
using MessageReceiver = UniqueFunction<void(Peer from, Message message)>;

// The default bound on one message: a 64 MiB batch of ops plus room for its headers.
inline constexpr usize kMessageBytesMaxDefault = 64 * 1024 * 1024 + 64 * 1024;

struct MessageBusCounters {
    u64 sent = 0;
    u64 received = 0;
    u64 dropped = 0;  // unreachable peer, queue bound, oversized, or (simulation) injected loss
};

class MessageBus {
public:
    virtual ~MessageBus() = default;

    // Who this bus speaks as.
    virtual Peer self() const = 0;
    // Queues `message` for `to` (see the contract above). Loop thread only.
    virtual void send(Peer to, Message message) = 0;
    // Installs the function every arriving message is given to (replacing any before it; safe
    // to call from inside the receiver). Messages arriving while none is installed are dropped.
    virtual void set_receiver(MessageReceiver receiver) = 0;
    virtual MessageBusCounters counters() const = 0;
};

// A bus with nobody else on it: a one-replica cluster whose only client is in-process (the
// embedded database). Sends are dropped and counted; nothing ever arrives.
class DetachedMessageBus final : public MessageBus {
public:
    explicit DetachedMessageBus(Peer self) : self_(self) {}
    Peer self() const override { return self_; }
    void send(Peer, Message) override { ++counters_.dropped; }
    void set_receiver(MessageReceiver) override {}
    MessageBusCounters counters() const override { return counters_; }

private:
    Peer self_;
    MessageBusCounters counters_;
};

}  // namespace kb::io
