// TcpMessageBus tests on loopback: three replicas and a client exchange messages both ways, a
// restarted replica is dialed again, hostile bytes from a raw socket close only their own
// connection, big messages arrive whole, and the bus can go away at any moment.
#include "io/tcp_network.h"

#include <gtest/gtest.h>

#include <array>
#include <asio/write.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/endian.h"

namespace kb::io {
namespace {

constexpr u64 kWait = 5 * kNanosPerSecond;
constexpr u64 kCluster = 77;

// FNV-1a: the tests' stand-in for crypto::crc32c (io may not link crypto).
u32 fnv1a(ByteSpan bytes) {
    u32 hash = 2166136261u;
    for (u8 byte : bytes) hash = (hash ^ byte) * 16777619u;
    return hash;
}

Message text_message(const std::string& text) {
    return std::make_shared<const Bytes>(text.begin(), text.end());
}

std::string endpoint_of(u16 port) { return "127.0.0.1:" + std::to_string(port); }

// A hello as a raw peer would write it, with fields to spoil.
struct RawHello {
    u32 magic = kTcpHelloMagic;
    u16 version = kTcpHelloVersion;
    u8 kind = 1;  // client
    u8 replica = 0;
    u64 cluster = kCluster;
    u64 client = 500;
    bool spoil_checksum = false;

    Bytes encode() const {
        Bytes bytes(kTcpHelloBytes);
        LeWriter writer(bytes);
        writer.put<u32>(magic);
        writer.put<u16>(version);
        writer.put<u8>(kind);
        writer.put<u8>(replica);
        writer.put<u64>(cluster);
        writer.put<u64>(client);
        writer.put<u32>(0);
        writer.put<u32>(fnv1a(ByteSpan(bytes).first(28)) ^ (spoil_checksum ? 1u : 0u));
        return bytes;
    }
};

Bytes frame(ByteSpan payload, u32 length, u32 checksum) {
    Bytes bytes(kTcpFrameHeaderBytes + payload.size());
    LeWriter writer(bytes);
    writer.put<u32>(length);
    writer.put<u32>(checksum);
    writer.put_bytes(payload);
    return bytes;
}

// A blocking socket on its own io_context: a peer that speaks bytes, not the protocol.
class RawPeer {
public:
    explicit RawPeer(u16 port) : socket_(context_) {
        asio::error_code error;
        socket_.connect({asio::ip::make_address("127.0.0.1"), port}, error);
        EXPECT_FALSE(error) << error.message();
    }
    void write(const Bytes& bytes) {
        asio::error_code error;
        asio::write(socket_, asio::buffer(bytes), error);
        EXPECT_FALSE(error) << error.message();
    }
    // Reads until the other side closes; true if it did (end of file or reset).
    bool closed_by_peer() {
        std::array<u8, 4096> buffer;
        asio::error_code error;
        while (!error) socket_.read_some(asio::buffer(buffer), error);
        return error == asio::error::eof || error == asio::error::connection_reset;
    }

private:
    asio::io_context context_;
    asio::ip::tcp::socket socket_;
};

class TcpMessageBusTest : public ::testing::Test {
protected:
    TcpMessageBusOptions options_for(Peer self) {
        return {.self = self,
                .cluster_id = kCluster,
                .listen_address = self.is_replica() ? "127.0.0.1:0" : "",
                .replica_addresses = addresses_,
                .max_message_bytes = 8 * 1024 * 1024,
                .send_queue_bytes_max = 64 * 1024 * 1024,
                .reconnect_backoff_min_ns = 5 * kNanosPerMilli,
                .reconnect_backoff_max_ns = 50 * kNanosPerMilli};
    }
    std::unique_ptr<TcpMessageBus> open(TcpMessageBusOptions options) {
        const Peer self = options.self;
        Result<std::unique_ptr<TcpMessageBus>> bus =
            TcpMessageBus::open(loop_, std::move(options), &fnv1a);
        EXPECT_TRUE(bus.has_value()) << bus.status().to_string();
        if (!bus.has_value()) return nullptr;
        std::unique_ptr<TcpMessageBus> opened = std::move(bus).value();
        opened->set_receiver([this, self](Peer from, Message message) {
            inbox_[self].emplace_back(from, std::string(as_chars(*message)));
        });
        return opened;
    }
    // Replica `index` listening on `port` (0: any); its address is recorded for later buses.
    void open_replica(u8 index, u16 port = 0) {
        TcpMessageBusOptions options = options_for(Peer::replica(index));
        options.listen_address = endpoint_of(port);
        replicas_[index] = open(std::move(options));
        ASSERT_NE(replicas_[index], nullptr);
        addresses_[index] = endpoint_of(replicas_[index]->listen_port());
    }
    // Highest index first: each replica dials only those above it, whose ports are then known.
    void start_cluster() {
        for (int index = 2; index >= 0; --index) open_replica(static_cast<u8>(index));
        client_ = open(options_for(client_peer_));
        ASSERT_TRUE(wait([&] { return fully_connected(); }));
    }
    bool fully_connected() const {
        for (u8 i = 0; i < 3; ++i) {
            if (!replicas_[i] || !client_->connected(Peer::replica(i))) return false;
            if (!replicas_[i]->connected(client_peer_)) return false;
            for (u8 j = 0; j < 3; ++j) {
                if (i != j && !replicas_[i]->connected(Peer::replica(j))) return false;
            }
        }
        return true;
    }
    bool wait(const std::function<bool()>& predicate) { return loop_.run_until(predicate, kWait); }
    usize count(Peer at, Peer from, const std::string& text) const {
        auto found = inbox_.find(at);
        if (found == inbox_.end()) return 0;
        usize matches = 0;
        for (const auto& [sender, body] : found->second) {
            if (sender == from && body == text) ++matches;
        }
        return matches;
    }
    usize inbox_size(Peer at) const {
        auto found = inbox_.find(at);
        return found == inbox_.end() ? 0 : found->second.size();
    }
    // r0 and r1 can still talk, both ways.
    void expect_replicas_0_and_1_talk(const std::string& tag) {
        const Peer r0 = Peer::replica(0);
        const Peer r1 = Peer::replica(1);
        replicas_[0]->send(r1, text_message("ping " + tag));
        replicas_[1]->send(r0, text_message("pong " + tag));
        EXPECT_TRUE(wait([&] {
            return count(r1, r0, "ping " + tag) == 1 && count(r0, r1, "pong " + tag) == 1;
        }));
    }

    AsioEventLoop loop_;
    std::vector<std::string> addresses_ = std::vector<std::string>(3);
    std::array<std::unique_ptr<TcpMessageBus>, 3> replicas_;
    const Peer client_peer_ = Peer::client(ClientId(9001));
    std::unique_ptr<TcpMessageBus> client_;
    std::map<Peer, std::vector<std::pair<Peer, std::string>>> inbox_;
};

TEST_F(TcpMessageBusTest, ThreeReplicasAndAClientExchangeMessagesBothWays) {
    start_cluster();
    std::vector<Peer> everyone{Peer::replica(0), Peer::replica(1), Peer::replica(2), client_peer_};
    auto bus_of = [&](Peer peer) -> TcpMessageBus& {
        return peer.is_client() ? *client_ : *replicas_[peer.replica_index()];
    };
    for (Peer from : everyone) {
        for (Peer to : everyone) {
            if (from.is_client() && to.is_client()) continue;  // clients only talk to replicas
            bus_of(from).send(to, text_message(from.describe() + ">" + to.describe()));
        }
    }
    EXPECT_TRUE(wait([&] {
        for (Peer from : everyone) {
            for (Peer to : everyone) {
                if (from.is_client() && to.is_client()) continue;
                if (count(to, from, from.describe() + ">" + to.describe()) != 1) return false;
            }
        }
        return true;
    }));
    EXPECT_EQ(inbox_size(client_peer_), 3u);  // the replies came over the client's connections
    EXPECT_EQ(replicas_[0]->counters().sent, 4u);
    EXPECT_EQ(replicas_[0]->counters().received, 4u);
    EXPECT_EQ(replicas_[0]->counters().dropped, 0u);
    // One connection per pair of replicas, opened by the lower index.
    EXPECT_EQ(replicas_[2]->stats().connect_attempts, 0u);
    EXPECT_EQ(replicas_[1]->stats().connect_attempts, 1u);
    EXPECT_EQ(replicas_[0]->stats().connect_attempts, 2u);
    EXPECT_EQ(replicas_[0]->stats().connections_accepted, 1u);  // the client
    EXPECT_EQ(replicas_[1]->stats().connections_accepted, 2u);  // replica 0 and the client
    EXPECT_EQ(replicas_[2]->stats().connections_accepted, 3u);
}

TEST_F(TcpMessageBusTest, MessagesToUnreachablePeersAndOversizedOnesAreDropped) {
    start_cluster();
    replicas_[0]->send(Peer::client(ClientId(4)), text_message("nobody"));
    replicas_[0]->send(Peer::replica(1), std::make_shared<const Bytes>(8 * 1024 * 1024 + 1));
    EXPECT_EQ(replicas_[0]->counters().dropped, 2u);
}

TEST_F(TcpMessageBusTest, ARestartedReplicaIsDialedAgain) {
    start_cluster();
    const Peer r1 = Peer::replica(1);
    const u16 port = replicas_[1]->listen_port();
    replicas_[1].reset();
    ASSERT_TRUE(wait([&] {
        return !replicas_[0]->connected(r1) && !replicas_[2]->connected(r1) &&
               !client_->connected(r1);
    }));
    open_replica(1, port);
    ASSERT_TRUE(wait([&] { return fully_connected(); }));
    expect_replicas_0_and_1_talk("after restart");
    replicas_[2]->send(r1, text_message("from 2"));
    client_->send(r1, text_message("from client"));
    EXPECT_TRUE(wait([&] {
        return count(r1, Peer::replica(2), "from 2") == 1 &&
               count(r1, client_peer_, "from client") == 1;
    }));
}

TEST_F(TcpMessageBusTest, BadHellosCloseOnlyTheirOwnConnection) {
    start_cluster();
    struct Case {
        const char* name;
        RawHello hello;
    };
    const std::vector<Case> cases{
        {"bad magic", {.magic = 0x12345678}},
        {"bad version", {.version = 9}},
        {"other cluster", {.cluster = kCluster + 1}},
        {"bad checksum", {.spoil_checksum = true}},
        {"replica out of range", {.kind = 0, .replica = 3, .client = 0}},
        {"higher replica dialing", {.kind = 0, .replica = 2, .client = 0}},
        {"unknown kind", {.kind = 7}},
    };
    TcpMessageBus& target = *replicas_[1];
    for (const Case& bad : cases) {
        SCOPED_TRACE(bad.name);
        const u64 rejected = target.stats().hellos_rejected;
        RawPeer raw(target.listen_port());
        raw.write(bad.hello.encode());
        EXPECT_TRUE(wait([&] { return target.stats().hellos_rejected == rejected + 1; }));
        EXPECT_TRUE(raw.closed_by_peer());
    }
    EXPECT_TRUE(fully_connected());
    EXPECT_EQ(target.stats().connections_closed, cases.size());
    expect_replicas_0_and_1_talk("after bad hellos");
}

TEST_F(TcpMessageBusTest, AnOversizedFrameClosesItsConnectionBeforeAllocating) {
    start_cluster();
    TcpMessageBus& target = *replicas_[1];
    RawPeer raw(target.listen_port());
    raw.write(RawHello{}.encode());
    const Bytes good = frame(as_bytes("hello"), 5, fnv1a(as_bytes("hello")));
    raw.write(good);
    // Claims 4 GiB - 1: refused on the length alone (nothing that large is ever allocated).
    raw.write(frame({}, 0xFFFFFFFF, 0));
    EXPECT_TRUE(wait([&] { return target.stats().frames_rejected == 1; }));
    EXPECT_TRUE(raw.closed_by_peer());
    EXPECT_EQ(count(Peer::replica(1), Peer::client(ClientId(500)), "hello"), 1u);
    EXPECT_NE(target.stats().last_close_reason.find("exceeds the limit"), std::string::npos)
        << target.stats().last_close_reason;
    EXPECT_TRUE(fully_connected());
    expect_replicas_0_and_1_talk("after oversized");
}

TEST_F(TcpMessageBusTest, AFrameWithABadChecksumClosesItsConnection) {
    start_cluster();
    TcpMessageBus& target = *replicas_[1];
    RawPeer raw(target.listen_port());
    raw.write(RawHello{}.encode());
    raw.write(frame(as_bytes("bent"), 4, fnv1a(as_bytes("bend"))));
    raw.write(frame(as_bytes("after"), 5, fnv1a(as_bytes("after"))));  // never read
    EXPECT_TRUE(wait([&] { return target.stats().frames_rejected == 1; }));
    EXPECT_TRUE(raw.closed_by_peer());
    EXPECT_EQ(inbox_size(Peer::replica(1)), 0u);
    EXPECT_FALSE(target.connected(Peer::client(ClientId(500))));
    EXPECT_TRUE(fully_connected());
    expect_replicas_0_and_1_talk("after bad checksum");
}

TEST_F(TcpMessageBusTest, AFrameArrivingInPiecesIsAssembledWhole) {
    start_cluster();
    TcpMessageBus& target = *replicas_[1];
    Bytes payload(2 * 1024 * 1024 + 77);
    Prng(3).fill(payload);
    Bytes bytes = RawHello{}.encode();
    Bytes framed = frame(payload, static_cast<u32>(payload.size()), fnv1a(payload));
    bytes.insert(bytes.end(), framed.begin(), framed.end());
    RawPeer raw(target.listen_port());
    // Cut inside the hello, inside the frame header, and several times inside the payload (in
    // pieces small enough for loopback socket buffers, since this side writes blocking).
    const std::vector<usize> cuts{0, 20, 36, 50'000, 600'000, 1'100'000, 1'600'000, bytes.size()};
    for (usize i = 0; i + 1 < cuts.size(); ++i) {
        raw.write(Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(cuts[i]),
                        bytes.begin() + static_cast<std::ptrdiff_t>(cuts[i + 1])));
        loop_.run_for(5 * kNanosPerMilli);
    }
    const std::string expected(as_chars(payload));
    EXPECT_TRUE(
        wait([&] { return count(Peer::replica(1), Peer::client(ClientId(500)), expected) == 1; }));
    EXPECT_EQ(target.stats().frames_rejected, 0u);
}

TEST_F(TcpMessageBusTest, AConnectionThatNeverSaysHelloIsClosed) {
    TcpMessageBusOptions options = options_for(Peer::replica(0));
    options.replica_addresses = {""};
    options.hello_timeout_ns = 50 * kNanosPerMilli;
    std::unique_ptr<TcpMessageBus> bus = open(std::move(options));
    ASSERT_NE(bus, nullptr);
    RawPeer raw(bus->listen_port());
    EXPECT_TRUE(wait([&] { return bus->stats().hello_timeouts == 1; }));
    EXPECT_TRUE(raw.closed_by_peer());
}

TEST_F(TcpMessageBusTest, BigMessagesArriveWhole) {
    start_cluster();
    const Peer r0 = Peer::replica(0);
    const Peer r2 = Peer::replica(2);
    Prng prng(5);
    std::vector<Message> sent;
    for (usize size : {usize{6} << 20, usize{65'536}, usize{3} << 20, usize{1}, usize{0}}) {
        auto bytes = std::make_shared<Bytes>(size);
        prng.fill(*bytes);
        sent.push_back(bytes);
    }
    std::vector<Message> got_at_2;
    std::vector<Message> got_at_0;
    replicas_[2]->set_receiver([&](Peer from, Message message) {
        EXPECT_EQ(from, r0);
        got_at_2.push_back(message);
    });
    replicas_[0]->set_receiver([&](Peer from, Message message) {
        EXPECT_EQ(from, r2);
        got_at_0.push_back(message);
    });
    for (const Message& message : sent) {
        replicas_[0]->send(r2, message);
        replicas_[2]->send(r0, message);
    }
    ASSERT_TRUE(
        wait([&] { return got_at_2.size() == sent.size() && got_at_0.size() == sent.size(); }));
    for (usize i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(*got_at_2[i], *sent[i]) << i;  // in order, byte for byte
        EXPECT_EQ(*got_at_0[i], *sent[i]) << i;
    }
}

TEST_F(TcpMessageBusTest, TheSendQueueBoundDropsWhatDoesNotFit) {
    start_cluster();
    TcpMessageBusOptions options = options_for(client_peer_);
    client_.reset();
    options.send_queue_bytes_max = 3 * (8 * 1024 * 1024 + 8);
    client_ = open(std::move(options));
    ASSERT_TRUE(wait([&] { return fully_connected(); }));
    auto big = std::make_shared<const Bytes>(8 * 1024 * 1024, u8{7});
    for (int i = 0; i < 5; ++i) client_->send(Peer::replica(0), big);
    EXPECT_EQ(client_->counters().dropped, 2u);  // queued synchronously; nothing written yet
    EXPECT_TRUE(wait([&] { return inbox_size(Peer::replica(0)) == 3; }));
}

TEST_F(TcpMessageBusTest, SelfSendsArriveThroughTheLoop) {
    start_cluster();
    replicas_[1]->send(Peer::replica(1), text_message("me"));
    EXPECT_EQ(inbox_size(Peer::replica(1)), 0u);  // never inline
    EXPECT_TRUE(wait([&] { return count(Peer::replica(1), Peer::replica(1), "me") == 1; }));
}

TEST_F(TcpMessageBusTest, TheBusCanBeDestroyedWhileConnectionsAreHalfOpen) {
    // A listener that accepts and never answers: our dial connects but no hello comes back.
    asio::ip::tcp::acceptor silent(loop_.context(), {asio::ip::make_address("127.0.0.1"), 0});
    addresses_ = {"127.0.0.1:1", endpoint_of(silent.local_endpoint().port())};
    std::unique_ptr<TcpMessageBus> bus = open(options_for(Peer::replica(0)));
    ASSERT_NE(bus, nullptr);
    RawPeer half(bus->listen_port());  // accepted, no hello sent yet
    bus->send(Peer::replica(1), text_message("not connected yet"));
    loop_.run_for(20 * kNanosPerMilli);
    EXPECT_FALSE(bus->connected(Peer::replica(1)));
    bus.reset();
    loop_.run_for(20 * kNanosPerMilli);  // aborted handlers run against nothing
    EXPECT_TRUE(half.closed_by_peer());
}

TEST_F(TcpMessageBusTest, AReceiverMayDestroyItsOwnBus) {
    start_cluster();
    bool destroyed = false;
    replicas_[2]->set_receiver([&](Peer, Message) {
        replicas_[2].reset();
        destroyed = true;
    });
    for (int i = 0; i < 3; ++i) replicas_[0]->send(Peer::replica(2), text_message("x"));
    ASSERT_TRUE(wait([&] { return destroyed; }));
    loop_.run_for(20 * kNanosPerMilli);
    expect_replicas_0_and_1_talk("after replica 2 went away");
}

TEST_F(TcpMessageBusTest, OpenRefusesBadOptionsAndBusyPorts) {
    start_cluster();
    TcpMessageBusOptions busy = options_for(Peer::replica(1));
    busy.listen_address = addresses_[1];
    Result<std::unique_ptr<TcpMessageBus>> clash = TcpMessageBus::open(loop_, busy, &fnv1a);
    ASSERT_FALSE(clash.has_value());
    EXPECT_EQ(clash.status().code(), StatusCode::io_error) << clash.status().to_string();

    TcpMessageBusOptions bad_address = options_for(Peer::replica(0));
    bad_address.replica_addresses[2] = "no-port-here";
    Result<std::unique_ptr<TcpMessageBus>> refused =
        TcpMessageBus::open(loop_, bad_address, &fnv1a);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.status().code(), StatusCode::invalid_argument);

    TcpMessageBusOptions outside = options_for(Peer::replica(3));
    EXPECT_FALSE(TcpMessageBus::open(loop_, outside, &fnv1a).has_value());
}

}  // namespace
}  // namespace kb::io
