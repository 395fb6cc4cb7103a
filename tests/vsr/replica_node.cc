// kb_replica_node: one replica of a cluster as its own process, on real files and real TCP, or
// a client of such a cluster. The multi-process replication test (replication_test.py) starts
// three of these on loopback, kills and restarts them, and checks what they printed.
//
//   kb_replica_node replica --data-dir DIR --index I --replicas A0,A1,A2
//       Runs replica I (creating its log and replica.state in DIR on first start, recovering
//       them afterwards) with the echo state machine. Prints "ready" once listening, then one
//       line per applied op: "commit POSITION CLIENT REQUEST CHAINHASH", and "view VIEW STATUS"
//       when its view or status changes. Runs until killed.
//   kb_replica_node client --id C --replicas A0,A1,A2 --first R --count N [--timeout-ms T]
//       Registers (docs/ARCHITECTURE.md "Client sessions"; prints "session NUMBER"), then sends
//       requests R..R+N-1 in that session one at a time, each retried to every replica until
//       answered; prints "ack REQUEST POSITION" per reply. Exit 0 when all are answered, 1 on
//       timeout or eviction. A client id registers once: each run takes its own id.
//
// Keys are the tests' fixed keyring (storage/test_keys.h), the same in every process: this is
// a test tool.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/crc32c.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "io/tcp_network.h"
#include "storage/key_source.h"
#include "storage/log.h"
#include "storage/test_keys.h"
#include "vsr/echo_state_machine.h"
#include "vsr/replica.h"
#include "vsr/superblock.h"

namespace kb {
namespace {

constexpr u64 kCluster = 4242;
constexpr TenantId kTenant = storage::testing::kTestTenant;

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream stream(list);
    for (std::string item; std::getline(stream, item, ',');) out.push_back(item);
    return out;
}

u32 frame_checksum(ByteSpan bytes) { return crypto::crc32c(bytes); }

// The echo state machine, printing every applied op.
class PrintingStateMachine final : public vsr::StateMachine {
public:
    explicit PrintingStateMachine(storage::KeySource* keys) : echo_(keys, kTenant, 5) {}
    Result<vsr::Prepared> prepare(const vsr::PrepareInput& input) override {
        return echo_.prepare(input);
    }
    Result<Bytes> commit(Position position, ByteSpan record) override {
        auto reply = echo_.commit(position, record);
        if (reply) {
            const auto& [client, request] = echo_.requests.back();
            std::printf("commit %llu %llu %llu %s\n",
                        static_cast<unsigned long long>(position.value()),
                        static_cast<unsigned long long>(client.value()),
                        static_cast<unsigned long long>(request.value()),
                        echo_.chains.back().to_hex().c_str());
            std::fflush(stdout);
        }
        return reply;
    }
    void discard_after(Position position) override { echo_.discard_after(position); }
    Position applied() const override { return echo_.applied(); }

private:
    vsr::EchoStateMachine echo_;
};

int fail(const Status& status) {
    std::fprintf(stderr, "kb_replica_node: %s\n", status.to_string().c_str());
    return 2;
}

int run_replica(const std::string& data_dir, u8 index, const std::vector<std::string>& replicas) {
    io::AsioEventLoop loop;
    auto storage = io::LinuxStorage::open(loop, {.root = data_dir, .create_root = true});
    if (!storage) return fail(storage.error());
    if (Status locked = (*storage)->lock_exclusive(); !locked.is_ok()) return fail(locked);
    auto log = storage::Log::open(**storage, loop);
    if (!log) return fail(log.error());
    auto superblock = vsr::Superblock::open(**storage, loop);
    if (!superblock && superblock.error().code() == StatusCode::not_found) {
        superblock = vsr::Superblock::create(
            **storage, loop,
            vsr::ReplicaState{.cluster = kCluster,
                              .replica = index,
                              .replica_count = static_cast<u8>(replicas.size()),
                              .view = View(),
                              .log_view = View(),
                              .head_limit = std::nullopt});
    }
    if (!superblock) return fail(superblock.error());
    io::TcpMessageBusOptions bus_options;
    bus_options.self = io::Peer::replica(index);
    bus_options.cluster_id = kCluster;
    bus_options.listen_address = replicas[index];
    bus_options.replica_addresses = replicas;
    bus_options.seed = index + 1;
    auto bus = io::TcpMessageBus::open(loop, bus_options, &frame_checksum);
    if (!bus) return fail(bus.error());
    auto keys = storage::testing::make_test_keys();
    PrintingStateMachine machine(keys.get());
    vsr::ReplicaOptions options;
    options.heartbeat_ns = 50'000'000;
    options.view_change_timeout_ns = 600'000'000;
    vsr::Replica replica(loop, **bus, **log, **superblock, machine, options);
    replica.start();
    std::printf("ready\n");
    std::fflush(stdout);
    // Report view and status changes (the test waits for them).
    View shown_view{~u64{0}};
    vsr::ReplicaStatus shown_status = vsr::ReplicaStatus::recovering;
    std::function<void()> watch = [&] {
        if (replica.view() != shown_view || replica.status() != shown_status) {
            shown_view = replica.view();
            shown_status = replica.status();
            std::printf("view %llu %s\n", static_cast<unsigned long long>(shown_view.value()),
                        std::string(vsr::replica_status_name(shown_status)).c_str());
            std::fflush(stdout);
        }
        loop.schedule_after(20'000'000, [&] { watch(); });
    };
    watch();
    while (replica.failure().is_ok() && loop.run_once()) {
    }
    return fail(replica.failure());
}

int run_client(u64 id, const std::vector<std::string>& replicas, u64 first, u64 count,
               u64 timeout_ms) {
    io::AsioEventLoop loop;
    io::TcpMessageBusOptions bus_options;
    bus_options.self = io::Peer::client(ClientId(id));
    bus_options.cluster_id = kCluster;
    bus_options.replica_addresses = replicas;
    auto bus = io::TcpMessageBus::open(loop, bus_options, &frame_checksum);
    if (!bus) return fail(bus.error());
    const vsr::MessageLimits limits{.cluster = kCluster,
                                    .replica_count = static_cast<u8>(replicas.size()),
                                    .body_size_max = 1 << 20};
    u64 request = 0;  // 0: the register
    vsr::SessionNumber session;
    View session_view;
    std::optional<Position> answered;
    bool evicted = false;
    (*bus)->set_receiver([&](io::Peer, io::Message message) {
        auto decoded = vsr::decode_message(*message, limits);
        if (!decoded) return;
        const vsr::Header& header = decoded->header;
        if (header.command == vsr::Command::eviction) {
            // Not from a deposed primary of a view before the register's reply.
            if (session.value() != 0 && header.session == session && header.view >= session_view) {
                evicted = true;
            }
            return;
        }
        if (header.command != vsr::Command::reply || header.request.value() != request) return;
        if (request == 0) {
            session = header.session;
            session_view = header.view;
        }
        answered = header.op;
    });
    auto send_all = [&] {
        const std::string body = request == 0 ? std::string()
                                              : "request " + std::to_string(request) +
                                                    " of client " + std::to_string(id);
        vsr::Header header;
        header.cluster = kCluster;
        header.command = vsr::Command::request;
        header.replica = vsr::kClientReplica;
        header.client = ClientId(id);
        header.request = RequestNumber(request);
        header.session = request == 0 ? vsr::SessionNumber() : session;
        header.size = static_cast<u32>(vsr::kHeaderSize + body.size());
        auto message = std::make_shared<const Bytes>(vsr::encode_message(
            header, ByteSpan(reinterpret_cast<const u8*>(body.data()), body.size())));
        for (u8 replica = 0; replica < replicas.size(); ++replica) {
            (*bus)->send(io::Peer::replica(replica), message);
        }
    };
    const u64 deadline = loop.clock().monotonic_ns() + timeout_ms * 1'000'000;
    // The register (request 0), then requests first..first+count-1 in its session.
    auto await_answer = [&]() -> bool {
        answered.reset();
        while (!answered) {
            send_all();
            loop.run_until([&] { return answered.has_value() || evicted; }, 300'000'000);
            if (evicted) {
                std::fprintf(stderr, "kb_replica_node: request %llu: session evicted\n",
                             static_cast<unsigned long long>(request));
                return false;
            }
            if (loop.clock().monotonic_ns() > deadline) {
                std::fprintf(stderr, "kb_replica_node: request %llu not answered in time\n",
                             static_cast<unsigned long long>(request));
                return false;
            }
        }
        return true;
    };
    if (!await_answer()) return 1;
    std::printf("session %llu\n", static_cast<unsigned long long>(session.value()));
    std::fflush(stdout);
    for (request = first; request < first + count; ++request) {
        if (!await_answer()) return 1;
        std::printf("ack %llu %llu\n", static_cast<unsigned long long>(request),
                    static_cast<unsigned long long>(answered->value()));
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace
}  // namespace kb

int main(int argc, char** argv) {
    CLI::App app{"kb_replica_node: a replica process or a client, for replication tests"};
    app.require_subcommand(1);
    std::string data_dir, replicas;
    unsigned index = 0;
    auto* replica = app.add_subcommand("replica", "run one replica");
    replica->add_option("--data-dir", data_dir, "the replica's data directory")->required();
    replica->add_option("--index", index, "this replica's index")->required();
    replica->add_option("--replicas", replicas, "every replica's host:port, by index")->required();
    unsigned long long id = 0, first = 1, count = 1, timeout_ms = 30'000;
    auto* client = app.add_subcommand("client", "send requests and print the answers");
    client->add_option("--id", id, "client id (> 0)")->required();
    client->add_option("--replicas", replicas, "every replica's host:port, by index")->required();
    client->add_option("--first", first, "first request number (> 0)");
    client->add_option("--count", count, "how many requests");
    client->add_option("--timeout-ms", timeout_ms, "give up after this long");
    CLI11_PARSE(app, argc, argv);
    const auto addresses = kb::split(replicas);
    if (replica->parsed()) {
        if (index >= addresses.size()) {
            std::fprintf(stderr, "kb_replica_node: --index %u but %zu replicas\n", index,
                         addresses.size());
            return 2;
        }
        return kb::run_replica(data_dir, static_cast<kb::u8>(index), addresses);
    }
    return kb::run_client(id, addresses, first, count, timeout_ms);
}
