// Test support for replicas: a cluster of real replicas (real log, superblock and replica code)
// on simulated disks, a simulated network and one SimEventLoop, with a simple state machine
// whose records carry the request bytes (echo_state_machine.h). Test-only; not part of kb_vsr.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_network.h"
#include "io/sim_storage.h"
#include "storage/log.h"
#include "storage/log_test_support.h"
#include "storage/record_builder.h"
#include "vsr/echo_state_machine.h"
#include "vsr/replica.h"

namespace kb::vsr::testing {

inline constexpr u64 kCluster = 77;

// A client on the simulated network: one request at a time, retried to every replica until a
// reply comes back. It registers before its first request (docs/ARCHITECTURE.md "Client
// sessions") and its requests carry the session number the register's reply gave.
class TestClient {
public:
    TestClient(io::SimEventLoop& loop, io::SimNetwork& network, ClientId id, u8 replicas,
               u64 cluster = kCluster)
        : loop_(loop),
          bus_(network.bus(io::Peer::client(id))),
          id_(id),
          replicas_(replicas),
          cluster_(cluster) {
        bus_.set_receiver([this](io::Peer, io::Message message) { on_reply(*message); });
    }
    ~TestClient() { *alive_ = false; }

    // Sends the next request (registering first when the client has no session); done()
    // becomes true once its reply arrived.
    void send(std::string body) { send(Bytes(body.begin(), body.end())); }
    void send(Bytes body) {
        ++request_;
        body_ = std::move(body);
        reply_.reset();
        evicted_ = false;
        if (session_.value() == 0) {
            send_after_register_ = true;
            start_register();
            return;
        }
        attempt(0);
    }
    bool done() const { return reply_.has_value(); }
    // A replica said the session of this client's current request is gone (eviction): the
    // request was not applied, and the client stops sending it.
    bool evicted() const { return evicted_; }
    const std::string& reply() const { return *reply_; }
    Position reply_op() const { return reply_op_; }
    RequestNumber request() const { return RequestNumber(request_); }
    // The session its requests carry (0: none yet), and how many registers were answered.
    SessionNumber session() const { return session_; }
    u64 registrations() const { return registrations_; }
    bool registered() const { return session_.value() != 0 && !registering_; }
    // Sends the current request again, waiting for a reply anew (a client that lost its reply).
    void retry() {
        reply_.reset();
        evicted_ = false;
        attempt(1);
    }
    // Sends the current request again to every replica (a client that lost its reply).
    void resend() {
        for (u8 replica = 0; replica < replicas_; ++replica) send_to(replica);
    }
    // Registers anew (after an eviction), leaving the current request unanswered: the next
    // send() goes in the new session.
    void register_again() {
        session_ = SessionNumber();
        send_after_register_ = false;
        start_register();
    }
    // A copy of a register (a network duplicate, a late retry) to every replica, now.
    void resend_register() {
        for (u8 replica = 0; replica < replicas_; ++replica) send_register_to(replica);
    }
    // From now on its requests name `session` (to play a client with a stale session).
    void use_session(SessionNumber session) { session_ = session; }

private:
    void start_register() {
        registering_ = true;
        register_attempt(0);
    }
    void register_attempt(u64 round) {
        if (!registering_) return;
        if (round == 0) {
            send_register_to(0);
        } else {
            resend_register();
        }
        loop_.schedule_after(200'000'000, [this, alive = alive_, round] {
            if (*alive) register_attempt(round + 1);
        });
    }
    void attempt(u64 round) {
        if (reply_ || evicted_ || registering_) return;
        // First the primary of view 0, then everyone: the client does not track views.
        if (round == 0) {
            send_to(0);
        } else {
            resend();
        }
        loop_.schedule_after(200'000'000, [this, alive = alive_, round, request = request_] {
            if (*alive && request == request_) attempt(round + 1);
        });
    }
    Header header(RequestNumber request, SessionNumber session, usize body_size) const {
        Header out;
        out.cluster = cluster_;
        out.command = Command::request;
        out.replica = kClientReplica;
        out.client = id_;
        out.request = request;
        out.session = session;
        out.size = static_cast<u32>(kHeaderSize + body_size);
        return out;
    }
    void send_to(u8 replica) {
        bus_.send(io::Peer::replica(replica),
                  std::make_shared<const Bytes>(encode_message(
                      header(RequestNumber(request_), session_, body_.size()), body_)));
    }
    void send_register_to(u8 replica) {
        bus_.send(io::Peer::replica(replica),
                  std::make_shared<const Bytes>(
                      encode_message(header(RequestNumber(0), SessionNumber(), 0), {})));
    }
    void on_reply(const Bytes& bytes) {
        auto decoded = decode_message(
            bytes, MessageLimits{
                       .cluster = cluster_, .replica_count = replicas_, .body_size_max = 1 << 20});
        if (!decoded) return;
        const Header& got = decoded->header;
        if (got.command == Command::eviction) {
            // Only for the session it has, and not from a view before its register's reply (a
            // deposed primary that never saw the register).
            if (got.session == session_ && got.view >= session_view_ && !registering_) {
                evicted_ = true;
            }
            return;
        }
        if (got.command != Command::reply) return;
        if (got.request.value() == 0) {
            if (!registering_) return;  // a late copy
            registering_ = false;
            session_ = got.session;
            session_view_ = got.view;
            ++registrations_;
            if (send_after_register_) {
                send_after_register_ = false;
                attempt(0);
            }
            return;
        }
        if (got.request.value() != request_ || reply_) return;
        reply_ = std::string(decoded->body.begin(), decoded->body.end());
        reply_op_ = got.op;
    }

    io::SimEventLoop& loop_;
    io::MessageBus& bus_;
    ClientId id_;
    u8 replicas_;
    u64 cluster_;
    u64 request_ = 0;
    Bytes body_;
    std::optional<std::string> reply_;
    bool evicted_ = false;
    Position reply_op_;
    SessionNumber session_;
    View session_view_;
    bool registering_ = false;
    bool send_after_register_ = false;
    u64 registrations_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct ClusterOptions {
    u8 replicas = 3;
    u64 seed = 1;
    bool node_keys = false;  // give each replica a node key (attestations, co-signatures)
    io::SimNetworkOptions network{};
    ReplicaOptions replica{};
};

// N replicas, each on its own simulated disk, all on one loop and network.
class TestCluster {
public:
    explicit TestCluster(ClusterOptions options)
        : options_(options),
          loop_(clock_),
          network_(loop_, network_options(options)),
          keys_(storage::testing::make_test_keys()) {
        for (u8 index = 0; index < options.replicas; ++index) {
            auto node = std::make_unique<Node>();
            if (options.node_keys) {
                crypto::SeededRandom random(options.seed * 1000 + index);
                node->key = std::make_unique<crypto::Ed25519SigningKey>(
                    crypto::Ed25519SigningKey::generate(random));
            }
            node->disk = std::make_unique<io::SimDisk>();
            io::SimStorageOptions storage_options;
            storage_options.seed = options.seed * 31 + index;
            node->storage = std::make_unique<io::SimStorage>(*node->disk, loop_, storage_options);
            nodes_.push_back(std::move(node));
            start(index, /*fresh=*/true);
        }
    }
    ~TestCluster() {
        for (auto& node : nodes_) stop(*node);
    }

    io::SimEventLoop& loop() { return loop_; }
    io::SimNetwork& network() { return network_; }
    Replica& replica(u8 index) { return *nodes_[index]->replica; }
    EchoStateMachine& state(u8 index) { return *nodes_[index]->state; }
    storage::Log& log(u8 index) { return *nodes_[index]->log; }
    const crypto::Ed25519SigningKey& key(u8 index) { return *nodes_[index]->key; }
    bool running(u8 index) const { return nodes_[index]->replica != nullptr; }
    u8 size() const { return options_.replicas; }

    // Power loss of one replica: unsynced writes lost or torn, messages in flight dropped.
    void crash(u8 index) {
        Node& node = *nodes_[index];
        stop(node);
        node.storage->crash();
        network_.reset(io::Peer::replica(index));
    }
    void restart(u8 index) { start(index, /*fresh=*/false); }

    // The primary of the newest view any running replica is primary of (an old primary cut
    // off from the others may still believe it leads an older view).
    std::optional<u8> primary() const {
        std::optional<u8> found;
        for (u8 index = 0; index < size(); ++index) {
            const Replica* replica = nodes_[index]->replica.get();
            if (replica == nullptr || !replica->is_primary()) continue;
            if (!found || replica->view() > nodes_[*found]->replica->view()) found = index;
        }
        return found;
    }

    // Runs until `predicate` holds or `limit_ns` of simulated time passes.
    bool run_until(const std::function<bool()>& predicate, u64 limit_ns = 60'000'000'000) {
        return loop_.run_until(predicate, limit_ns);
    }

    // Every pair of running replicas agrees on the chain hash at every position both applied.
    void expect_same_history() const {
        for (u8 a = 0; a < size(); ++a) {
            for (u8 b = static_cast<u8>(a + 1); b < size(); ++b) {
                if (!nodes_[a]->state || !nodes_[b]->state) continue;
                const auto& left = nodes_[a]->state->chains;
                const auto& right = nodes_[b]->state->chains;
                const usize common = std::min(left.size(), right.size());
                for (usize i = 0; i < common; ++i) {
                    ASSERT_EQ(left[i], right[i]) << "replicas " << int(a) << " and " << int(b)
                                                 << " differ at position " << i + 1;
                }
            }
        }
    }

private:
    struct Node {
        std::unique_ptr<crypto::Ed25519SigningKey> key;
        std::unique_ptr<io::SimDisk> disk;
        std::unique_ptr<io::SimStorage> storage;
        std::unique_ptr<storage::Log> log;
        std::unique_ptr<Superblock> superblock;
        std::unique_ptr<EchoStateMachine> state;
        std::unique_ptr<Replica> replica;
    };

    static io::SimNetworkOptions network_options(const ClusterOptions& options) {
        io::SimNetworkOptions network = options.network;
        network.seed = options.seed;
        return network;
    }

    void start(u8 index, bool fresh) {
        Node& node = *nodes_[index];
        auto log = storage::Log::open(*node.storage, loop_, log_options());
        ASSERT_TRUE(log.has_value()) << log.status().to_string();
        node.log = std::move(*log);
        if (fresh) {
            auto created = Superblock::create(*node.storage, loop_,
                                              ReplicaState{.cluster = kCluster,
                                                           .replica = index,
                                                           .replica_count = size(),
                                                           .view = View(),
                                                           .log_view = View(),
                                                           .head_limit = std::nullopt});
            ASSERT_TRUE(created.has_value()) << created.status().to_string();
            node.superblock = std::move(*created);
        } else {
            auto opened = Superblock::open(*node.storage, loop_);
            ASSERT_TRUE(opened.has_value()) << opened.status().to_string();
            node.superblock = std::move(*opened);
        }
        node.state = std::make_unique<EchoStateMachine>(keys_.get(), storage::testing::kTestTenant);
        ReplicaOptions replica_options = options_.replica;
        replica_options.signing_key = node.key.get();
        node.replica =
            std::make_unique<Replica>(loop_, network_.bus(io::Peer::replica(index)), *node.log,
                                      *node.superblock, *node.state, replica_options);
        node.replica->start();
    }

    static storage::LogOptions log_options() {
        storage::LogOptions options;
        options.segment_capacity_bytes = 1 << 20;  // the simulated disk keeps space in memory
        options.zero_fill_segments = false;
        return options;
    }

    void stop(Node& node) {
        node.replica.reset();
        node.state.reset();
        node.superblock.reset();
        node.log.reset();
    }

    ClusterOptions options_;
    io::ManualClock clock_;
    io::SimEventLoop loop_;
    io::SimNetwork network_;
    std::unique_ptr<storage::KeyringKeySource> keys_;
    std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace kb::vsr::testing
