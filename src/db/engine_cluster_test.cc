// The engine as the state machine of a three-replica cluster: real engines (admission, sealing,
// the kernel, the store) on simulated disks, one simulated network and loop, a network client
// sending encoded ops (engine_wire.h). Writes commit on every replica with equal state hashes;
// the primary crashes and a new view keeps committing; the old primary restarts and catches up.
#include <gtest/gtest.h>

#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/engine.h"
#include "db/engine_wire.h"
#include "db/genesis.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_network.h"
#include "io/sim_storage.h"
#include "kernel/permissions.h"
#include "store/types.h"
#include "vsr/replica_test_support.h"

namespace kb::db {
namespace {

class EngineCluster {
public:
    static constexpr u8 kReplicas = 3;

    EngineCluster()
        : loop_(clock_),
          network_(loop_, io::SimNetworkOptions{.seed = 21}),
          master_(crypto::KeyId(1), crypto::random_secret_key<32>(key_random_)),
          permissions_({kSystemPrincipal, kAdminPrincipal}) {
        crypto::SeededRandom random(5);
        genesis_ = *make_genesis_record(master_, random, kReplicas, clock_.realtime());
        for (u8 index = 0; index < kReplicas; ++index) {
            auto node = std::make_unique<Node>(index);
            node->storage = std::make_unique<io::SimStorage>(
                node->disk, loop_, io::SimStorageOptions{.seed = 100u + index});
            nodes_.push_back(std::move(node));
            open(index);
        }
    }
    ~EngineCluster() {
        for (auto& node : nodes_) node->engine.reset();
    }

    void open(u8 index) {
        Node& node = *nodes_[index];
        EngineOptions options;
        options.log.segment_capacity_bytes = 256 * 1024;
        options.log.zero_fill_segments = false;
        options.store.cache_bytes = 4 << 20;
        options.replication.replica = index;
        options.replication.replica_count = kReplicas;
        options.replication.bus = &network_.bus(io::Peer::replica(index));
        options.replication.genesis_record = genesis_;
        auto engine =
            Engine::open(*node.storage, loop_, master_, node.random, clock_, permissions_, options);
        ASSERT_TRUE(engine.has_value()) << engine.status().to_string();
        node.engine = std::move(*engine);
    }
    void crash(u8 index) {
        nodes_[index]->engine.reset();
        nodes_[index]->storage->crash();
        network_.reset(io::Peer::replica(index));
    }

    Engine& engine(u8 index) { return *nodes_[index]->engine; }
    io::SimEventLoop& loop() { return loop_; }
    io::SimNetwork& network() { return network_; }
    u64 cluster() { return cluster_number(engine(0).genesis()); }

private:
    struct Node {
        explicit Node(u8 index) : disk(io::SimDiskOptions{.seed = 200u + index}), random(index) {}
        io::SimDisk disk;
        crypto::SeededRandom random;
        std::unique_ptr<io::SimStorage> storage;
        std::unique_ptr<Engine> engine;
    };

    io::ManualClock clock_;
    io::SimEventLoop loop_;
    io::SimNetwork network_;
    crypto::SeededRandom key_random_{7};
    crypto::MemoryMasterKeyProvider master_;
    kernel::AdminPermissions permissions_;
    Bytes genesis_;
    std::vector<std::unique_ptr<Node>> nodes_;
};

// Sends `op` and waits for the engine's reply.
SubmitResult request(EngineCluster& cluster, vsr::testing::TestClient& client, kernel::Op op) {
    client.send(*encode_request(op));
    EXPECT_TRUE(cluster.loop().run_until([&] { return client.done(); }, 120'000'000'000))
        << "no reply";
    if (!client.done()) return {};
    const std::string& reply = client.reply();
    auto decoded = decode_reply(ByteSpan(reinterpret_cast<const u8*>(reply.data()), reply.size()));
    EXPECT_TRUE(decoded.has_value()) << decoded.status().to_string();
    return decoded.has_value() ? *decoded : SubmitResult{};
}

// A tenant created in-process at the primary of view 0, which makes its keys.
TenantId create_tenant(EngineCluster& cluster) {
    std::optional<Result<SubmitResult>> tenant;
    cluster.engine(0).submit(store::kSystemTenant, kAdminPrincipal,
                             kernel::CreateTenantOp{.name = "t"},
                             [&](Result<SubmitResult> done) { tenant = std::move(done); });
    EXPECT_TRUE(cluster.loop().run_until([&] { return tenant.has_value(); }));
    EXPECT_TRUE(tenant.has_value() && tenant->has_value() &&
                (*tenant)->outcome == kernel::Outcome::ok);
    return tenant && tenant->has_value() ? (*tenant)->applied.tenant : TenantId();
}

// A tenant (in-process at the primary) and a stream in it (from the network client).
std::pair<TenantId, SubmitResult> create_tenant_and_stream(EngineCluster& cluster,
                                                           vsr::testing::TestClient& client) {
    const TenantId tenant = create_tenant(cluster);
    const SubmitResult stream = request(
        cluster, client, kernel::Op{tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"}});
    EXPECT_EQ(stream.outcome, kernel::Outcome::ok) << stream.detail;
    return {tenant, stream};
}

kernel::Op append(TenantId tenant, StreamId stream, const std::string& event) {
    kernel::AppendBatchOp batch;
    batch.stream = stream;
    batch.events.push_back(Bytes(event.begin(), event.end()));
    return kernel::Op{tenant, kAdminPrincipal, std::move(batch)};
}

TEST(EngineCluster, ThreeEnginesReplicateAndSurviveThePrimary) {
    EngineCluster cluster;
    vsr::testing::TestClient client(cluster.loop(), cluster.network(), ClientId(9),
                                    EngineCluster::kReplicas, cluster.cluster());
    const auto [t, stream] = create_tenant_and_stream(cluster, client);
    for (int i = 0; i < 10; ++i) {
        const SubmitResult appended =
            request(cluster, client, append(t, stream.applied.stream, "e" + std::to_string(i)));
        ASSERT_EQ(appended.outcome, kernel::Outcome::ok);
        EXPECT_EQ(appended.applied.first_offset, Offset(static_cast<u64>(i)));
    }
    // A refusal comes back as one, with nothing logged.
    const SubmitResult duplicate = request(
        cluster, client, kernel::Op{t, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"}});
    EXPECT_EQ(duplicate.outcome, kernel::Outcome::stream_exists);

    auto converged = [&](std::initializer_list<u8> replicas) {
        return cluster.loop().run_until(
            [&] {
                const Engine& first = cluster.engine(*replicas.begin());
                for (u8 index : replicas) {
                    const Engine& other = cluster.engine(index);
                    if (other.applied_position() != first.applied_position() ||
                        other.log_position() != first.log_position()) {
                        return false;
                    }
                }
                return true;
            },
            10'000'000'000);
    };
    ASSERT_TRUE(converged({0, 1, 2}));
    EXPECT_EQ(cluster.engine(1).kernel().state_hash(), cluster.engine(0).kernel().state_hash());
    EXPECT_EQ(cluster.engine(2).kernel().state_hash(), cluster.engine(0).kernel().state_hash());

    // The primary of view 0 crashes; a new view commits more appends through the kernel.
    cluster.crash(0);
    for (int i = 10; i < 15; ++i) {
        const SubmitResult appended =
            request(cluster, client, append(t, stream.applied.stream, "e" + std::to_string(i)));
        ASSERT_EQ(appended.outcome, kernel::Outcome::ok);
        EXPECT_EQ(appended.applied.first_offset, Offset(static_cast<u64>(i)));
    }
    EXPECT_GE(cluster.engine(1).replica().view(), View(1));
    // It comes back and catches up to the same state.
    cluster.open(0);
    ASSERT_TRUE(converged({0, 1, 2}));
    EXPECT_EQ(cluster.engine(0).kernel().state_hash(), cluster.engine(1).kernel().state_hash());
    EXPECT_EQ(cluster.engine(2).kernel().state_hash(), cluster.engine(1).kernel().state_hash());
}

// A retry of a request applied before every replica's checkpoint, after every replica
// restarted: the replicas re-apply nothing before their checkpoints, so only the saved client
// table (vsr/client_table_file.h) can answer it — and must, rather than apply it again.
TEST(EngineCluster, RetryAfterAFullRestartIsAnsweredFromTheSavedClientTable) {
    EngineCluster cluster;
    vsr::testing::TestClient client(cluster.loop(), cluster.network(), ClientId(9),
                                    EngineCluster::kReplicas, cluster.cluster());
    const auto [t, stream] = create_tenant_and_stream(cluster, client);
    SubmitResult last;
    for (int i = 0; i < 4; ++i) {
        last = request(cluster, client, append(t, stream.applied.stream, "e" + std::to_string(i)));
        ASSERT_EQ(last.outcome, kernel::Outcome::ok);
    }
    // Every replica has applied everything, then checkpoints (store and client table).
    ASSERT_TRUE(cluster.loop().run_until([&] {
        for (u8 i = 0; i < EngineCluster::kReplicas; ++i) {
            if (cluster.engine(i).applied_position() < last.position) return false;
        }
        return true;
    }));
    for (u8 i = 0; i < EngineCluster::kReplicas; ++i) {
        std::optional<Status> done;
        cluster.engine(i).checkpoint([&](Status status) { done = status; });
        ASSERT_TRUE(cluster.loop().run_until([&] { return done.has_value(); }));
        ASSERT_TRUE(done->is_ok()) << done->to_string();
    }
    for (u8 i = 0; i < EngineCluster::kReplicas; ++i) cluster.crash(i);
    for (u8 i = 0; i < EngineCluster::kReplicas; ++i) cluster.open(i);

    client.retry();  // the last append again, same request number
    ASSERT_TRUE(cluster.loop().run_until([&] { return client.done(); }, 120'000'000'000));
    const std::string& reply = client.reply();
    auto repeated = decode_reply(ByteSpan(reinterpret_cast<const u8*>(reply.data()), reply.size()));
    ASSERT_TRUE(repeated.has_value()) << repeated.status().to_string();
    EXPECT_EQ(repeated->position, last.position);
    EXPECT_EQ(repeated->applied.first_offset, last.applied.first_offset);
    // Nothing was appended twice: the next append lands right after the last one.
    const SubmitResult next = request(cluster, client, append(t, stream.applied.stream, "next"));
    ASSERT_EQ(next.outcome, kernel::Outcome::ok);
    EXPECT_EQ(next.applied.first_offset, Offset(last.applied.first_offset.value() + 1));
}

// A network client asks for a tenant by name (engine_wire.h): the primary makes the tenant's
// keys and logs them wrapped in the op, so every replica applies the same keys and none but the
// primary makes any. The backups learn the keys from the log: after the primary crashes, a new
// primary seals the tenant's next ops, and the old one, restarted, unwraps them at open.
TEST(EngineCluster, ANetworkClientCreatesATenantByName) {
    EngineCluster cluster;
    vsr::testing::TestClient client(cluster.loop(), cluster.network(), ClientId(9),
                                    EngineCluster::kReplicas, cluster.cluster());
    const SubmitResult created = request(
        cluster, client,
        kernel::Op{store::kSystemTenant, kAdminPrincipal, kernel::CreateTenantOp{.name = "net"}});
    ASSERT_EQ(created.outcome, kernel::Outcome::ok) << created.detail;
    const TenantId t = created.applied.tenant;
    ASSERT_NE(t, TenantId());
    const SubmitResult stream = request(
        cluster, client, kernel::Op{t, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"}});
    ASSERT_EQ(stream.outcome, kernel::Outcome::ok) << stream.detail;
    ASSERT_EQ(request(cluster, client, append(t, stream.applied.stream, "first")).outcome,
              kernel::Outcome::ok);
    // The same name again: refused (and the refusal logged), no second tenant.
    const SubmitResult again = request(
        cluster, client,
        kernel::Op{store::kSystemTenant, kAdminPrincipal, kernel::CreateTenantOp{.name = "net"}});
    EXPECT_EQ(again.outcome, kernel::Outcome::tenant_exists);

    // Every replica holds the tenant, with the same keys (the tenant records, wrapped keys
    // included, are in the state hash).
    ASSERT_TRUE(cluster.loop().run_until(
        [&] {
            for (u8 index = 0; index < EngineCluster::kReplicas; ++index) {
                if (cluster.engine(index).applied_position() < again.position) return false;
            }
            return true;
        },
        10'000'000'000));
    for (u8 index = 0; index < EngineCluster::kReplicas; ++index) {
        EXPECT_EQ(cluster.engine(index).tenant_id("net"), std::optional<TenantId>(t));
        EXPECT_EQ(cluster.engine(index).kernel().state_hash(),
                  cluster.engine(0).kernel().state_hash());
    }

    // A backup that never made the keys leads and seals the tenant's ops with them.
    cluster.crash(0);
    const SubmitResult after = request(cluster, client, append(t, stream.applied.stream, "second"));
    ASSERT_EQ(after.outcome, kernel::Outcome::ok) << after.detail;
    EXPECT_EQ(after.applied.first_offset, Offset(1));
    EXPECT_GE(cluster.engine(1).replica().view(), View(1));
    // The old primary opens again (the tenant's keys unwrapped from what it holds) and catches up.
    cluster.open(0);
    ASSERT_TRUE(cluster.loop().run_until(
        [&] { return cluster.engine(0).applied_position() >= after.position; }, 10'000'000'000));
    EXPECT_EQ(cluster.engine(0).tenant_id("net"), std::optional<TenantId>(t));
}

}  // namespace
}  // namespace kb::db
