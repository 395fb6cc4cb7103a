// TcpMessageBus: the production MessageBus, TCP on the AsioEventLoop (DESIGN.md §2.3).
//
// Who connects to whom. A replica listens; between two replicas exactly one connection is kept,
// opened by the lower index to the higher, and it carries messages both ways. A client listens
// on nothing: it connects to every replica, and the replies to it travel back over the
// connection it opened (the replica learns the client's id from the client's hello). The side
// that opened a connection redials it after it closes, with a jittered exponential backoff;
// the accepting side just waits. A newer connection from the same peer replaces an older one
// (the peer restarted; the old socket may not have noticed yet).
//
// Wire format (docs/FORMATS.md, "Replication transport"). Both sides send a hello first:
//
//   offset size  field
//        0    4  magic "KBNH" (4B 42 4E 48)
//        4    2  version, u16 LE = 1
//        6    1  sender kind: 0 replica, 1 client
//        7    1  sender replica index (0 for a client)
//        8    8  cluster id, u64 LE
//       16    8  sender client id, u64 LE (0 for a replica)
//       24    4  reserved, zero
//       28    4  checksum of bytes [0, 28), u32 LE
//
// then any number of frames, each
//
//        0    4  payload length n, u32 LE (at most max_message_bytes)
//        4    4  checksum of the payload, u32 LE
//        8    n  payload: one message
//
// The checksum function is given to the bus (FrameChecksum): io sits below crypto (DESIGN.md
// §4), so vsr passes crypto::crc32c (CRC32C, Castagnoli) and tests may pass something simpler;
// both ends of a cluster must use the same one. A hello that is malformed, from another cluster
// or version, from a replica index out of range, from a replica that should not be dialing us
// (only lower indexes dial), or (on a dialed connection) from anyone but the replica we dialed
// closes the connection; so does a frame longer than max_message_bytes (checked before anything
// is allocated) or with a wrong checksum. These are counted (TcpBusStats), never asserted. A
// connection whose hello has not arrived within hello_timeout_ns (for one we dial, counted from
// the dial, so a connect that hangs is abandoned too) is closed as well.
//
// Bounds: at most connections_max connections (more are accepted and closed at once); per
// connection, messages beyond send_queue_bytes_max of queued frames are dropped; one read
// buffer of 64 KiB plus, while one is arriving, one message of at most max_message_bytes,
// filled (and its memory touched) 1 MiB at a time as its bytes arrive.
//
// Addresses are "host:port" ("[v6]:port" for IPv6 literals), resolved once by open(). Everything
// but open() runs on the loop thread. close() (also run by the destructor) closes the listener
// and every socket and cancels the bus's timers; the bus may be destroyed at any time, with
// connections half-open, from inside its own receiver too. The loop must outlive the bus.
#pragma once

#include <asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/prng.h"
#include "base/time_units.h"
#include "io/asio_event_loop.h"
#include "io/network.h"
#include "kimberlite/status.h"

namespace kb::io {

// Checksums a hello or a frame payload (vsr passes crypto::crc32c).
using FrameChecksum = u32 (*)(ByteSpan bytes);

inline constexpr u32 kTcpHelloMagic = 0x484E424B;  // "KBNH" read as u32 LE
inline constexpr u16 kTcpHelloVersion = 1;
inline constexpr usize kTcpHelloBytes = 32;
inline constexpr usize kTcpFrameHeaderBytes = 8;

struct TcpMessageBusOptions {
    Peer self = Peer::replica(0);
    u64 cluster_id = 0;
    // Replicas: where to listen, "host:port"; port 0 picks a free port (see listen_port()).
    // Clients: empty (they listen on nothing).
    std::string listen_address;
    // Every replica's address, by index; the size is the replica count (1..255). A replica
    // dials only the ones above its own index; a client dials all.
    std::vector<std::string> replica_addresses;
    usize max_message_bytes = kMessageBytesMaxDefault;
    // Frames queued on one connection, in bytes (headers included); more are dropped.
    usize send_queue_bytes_max = 2 * kMessageBytesMaxDefault;
    // Redial delay: starts at min, doubles per failed attempt up to max, each delay drawn
    // uniformly from [d/2, d] so restarted peers do not redial in lockstep.
    u64 reconnect_backoff_min_ns = 10 * kNanosPerMilli;
    u64 reconnect_backoff_max_ns = 2 * kNanosPerSecond;
    u64 hello_timeout_ns = 5 * kNanosPerSecond;
    u32 connections_max = 1024;
    u64 seed = 1;  // for the backoff jitter
};

// What happened to connections, for metrics and tests.
struct TcpBusStats {
    u64 connections_accepted = 0;
    u64 connections_refused = 0;  // accepted beyond connections_max, closed at once
    u64 connect_attempts = 0;
    u64 connect_failures = 0;
    u64 connections_established = 0;  // hello received and valid: the peer is reachable
    u64 connections_replaced = 0;     // an older connection of the same peer, closed
    u64 hellos_rejected = 0;
    u64 hello_timeouts = 0;
    u64 frames_rejected = 0;  // oversized or checksum mismatch
    u64 connections_closed = 0;
    std::string last_close_reason;  // "replica 1 (127.0.0.1:4000): checksum mismatch ..."
};

class TcpMessageBus final : public MessageBus {
public:
    // Resolves the addresses, starts listening (a replica) and dialing. invalid_argument for bad
    // options or addresses, io_error if the listen address cannot be bound.
    static Result<std::unique_ptr<TcpMessageBus>> open(AsioEventLoop& loop,
                                                       TcpMessageBusOptions options,
                                                       FrameChecksum checksum);
    ~TcpMessageBus() override;
    TcpMessageBus(const TcpMessageBus&) = delete;
    TcpMessageBus& operator=(const TcpMessageBus&) = delete;

    // Stops everything (see the top of the file); later sends are dropped. Idempotent.
    void close();
    // The port the listener is bound to (0 for a client).
    u16 listen_port() const { return listen_port_; }
    // True while a connection to `peer` has exchanged hellos (a send would be queued).
    bool connected(Peer peer) const { return routes_.count(peer) != 0; }
    const TcpBusStats& stats() const { return stats_; }

    Peer self() const override { return options_.self; }
    void send(Peer to, Message message) override;
    void set_receiver(MessageReceiver receiver) override;
    MessageBusCounters counters() const override { return counters_; }

private:
    class Connection;
    friend class Connection;
    struct Dial {
        asio::ip::tcp::endpoint endpoint;
        std::string address;
        u64 connection_id = 0;  // the connection dialing or dialed, 0 while waiting to redial
        u64 backoff_ns = 0;
        TimerId redial_timer;
    };

    TcpMessageBus(AsioEventLoop& loop, TcpMessageBusOptions options, FrameChecksum checksum);
    Status listen();
    void accept_next();
    void dial(u8 replica);
    void schedule_redial(u8 replica);
    std::shared_ptr<Connection> add_connection(asio::ip::tcp::socket socket,
                                               std::optional<u8> dialed);
    // A valid hello arrived on `connection`: route the peer to it.
    void established(Connection& connection);
    void closed(Connection& connection, const std::string& reason);
    void deliver(Peer from, Message message);
    Bytes hello() const;
    // Why a hello is refused ("" if it is fine); `dialed` is the replica we dialed, if we did.
    std::string check_hello(ByteSpan hello, std::optional<u8> dialed, Peer* sender) const;

    AsioEventLoop& loop_;
    const TcpMessageBusOptions options_;
    const FrameChecksum checksum_;
    Prng prng_;
    asio::ip::tcp::acceptor acceptor_;
    u16 listen_port_ = 0;
    std::map<u8, Dial> dials_;  // by replica index
    std::map<u64, std::shared_ptr<Connection>> connections_;
    u64 next_connection_id_ = 1;
    std::map<Peer, u64> routes_;  // peer -> connection id, once hellos are exchanged
    std::shared_ptr<MessageReceiver> receiver_;
    MessageBusCounters counters_;
    TcpBusStats stats_;
    bool closed_ = false;
    // Handlers that cannot be cancelled (an accept already completed, a posted self-delivery)
    // hold a weak reference and do nothing once the bus is gone.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace kb::io
