// Checkpoints and client sessions: a replica recovers from a store checkpoint together with the
// client table saved for exactly that checkpoint (vsr/client_table_file.h), whatever point of a
// checkpoint a crash comes at. One engine (a cluster of one) serving a network client on a
// simulated disk, network and loop.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/engine.h"
#include "db/engine_wire.h"
#include "db/genesis.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_network.h"
#include "io/sim_storage.h"
#include "kernel/catalog_test_support.h"
#include "kernel/kernel_test_support.h"
#include "kernel/permissions.h"
#include "vsr/client_table_file.h"
#include "vsr/replica_test_support.h"

namespace kb::db {
namespace {

constexpr u64 kReplyTimeoutNs = 60'000'000'000;

// One replica on its own disk, with a network client; crashes and restarts on the same disk.
class NetworkedNode {
public:
    explicit NetworkedNode(u64 seed, u64 checkpoint_every_ops = 10'000)
        : seed_(seed),
          checkpoint_every_ops_(checkpoint_every_ops),
          loop_(clock_),
          network_(loop_, io::SimNetworkOptions{.seed = seed}),
          disk_(io::SimDiskOptions{.seed = seed}),
          master_(crypto::KeyId(1), crypto::random_secret_key<32>(key_random_)),
          random_(seed) {
        storage_ =
            std::make_unique<io::SimStorage>(disk_, loop_, io::SimStorageOptions{.seed = seed});
    }
    ~NetworkedNode() {
        client_.reset();
        engine_.reset();
    }

    Status open() {
        EngineOptions options;
        options.log.segment_capacity_bytes = 256 * 1024;
        options.log.zero_fill_segments = false;
        options.store.cache_bytes = 4 << 20;
        options.checkpoint_every_ops = checkpoint_every_ops_;
        options.replication.bus = &network_.bus(io::Peer::replica(0));
        auto opened =
            Engine::open(*storage_, loop_, master_, random_, clock_, permissions_, options);
        if (!opened) return opened.error();
        engine_ = std::move(*opened);
        if (!client_) {
            client_ = std::make_unique<vsr::testing::TestClient>(
                loop_, network_, ClientId(9), 1, cluster_number(engine_->genesis()));
        }
        return Status::ok();
    }
    // Power loss: the engine is dropped, unsynced writes are kept, lost or torn.
    void crash() {
        engine_.reset();
        storage_->crash();
        network_.reset(io::Peer::replica(0));
    }
    Status close() {
        Status closed = engine_->close();
        engine_.reset();
        return closed;
    }

    // The client's next request, and the engine's reply.
    SubmitResult request(const kernel::Op& op) {
        client_->send(*encode_request(op));
        return wait_reply();
    }
    // The client's last request again (it lost the reply).
    SubmitResult retry() {
        client_->retry();
        return wait_reply();
    }
    Status checkpoint() {
        std::optional<Status> done;
        engine_->checkpoint([&](Status status) { done = std::move(status); });
        loop_.run_until([&] { return done.has_value(); });
        return done.value_or(Status::internal("the checkpoint never finished"));
    }

    Engine& engine() { return *engine_; }
    io::SimEventLoop& loop() { return loop_; }
    io::SimStorage& storage() { return *storage_; }

private:
    SubmitResult wait_reply() {
        EXPECT_TRUE(loop_.run_until([&] { return client_->done(); }, kReplyTimeoutNs))
            << "no reply (seed " << seed_ << ")";
        if (!client_->done()) return {};
        const std::string& reply = client_->reply();
        auto decoded =
            decode_reply(ByteSpan(reinterpret_cast<const u8*>(reply.data()), reply.size()));
        EXPECT_TRUE(decoded.has_value()) << decoded.status().to_string();
        return decoded.has_value() ? *decoded : SubmitResult{};
    }

    u64 seed_;
    u64 checkpoint_every_ops_;
    io::ManualClock clock_;
    io::SimEventLoop loop_;
    io::SimNetwork network_;
    io::SimDisk disk_;
    crypto::SeededRandom key_random_{7};
    crypto::MemoryMasterKeyProvider master_;
    crypto::SeededRandom random_;
    kernel::GrantPermissions permissions_;
    std::unique_ptr<io::SimStorage> storage_;
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<vsr::testing::TestClient> client_;
};

kernel::Op append(TenantId tenant, StreamId stream, const std::string& event) {
    kernel::AppendBatchOp batch;
    batch.stream = stream;
    batch.events.push_back(Bytes(event.begin(), event.end()));
    return kernel::Op{tenant, kAdminPrincipal, std::move(batch)};
}

// What one run saw after its crash and restart.
struct Outcome {
    bool checkpoint_finished = false;      // before the crash
    bool store_had_last = false;           // the restarted store's checkpoint holds the last append
    bool new_table_without_store = false;  // the new checkpoint's table was durable, its store not
};

// A client appends, a first checkpoint is taken, the client appends more, then a second
// checkpoint runs for `tasks` loop tasks and the node loses power. After the restart the
// client's last request comes again: it must be answered from the client table (its original
// position and offsets), never applied a second time.
Outcome crash_into_checkpoint(u64 seed, u64 tasks) {
    Outcome outcome;
    NetworkedNode node(seed);
    EXPECT_TRUE(node.open().is_ok());
    const TenantId tenant = *node.engine().tenant_id("default");
    const SubmitResult stream =
        node.request(kernel::Op{tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"}});
    EXPECT_EQ(stream.outcome, kernel::Outcome::ok);
    for (int i = 0; i < 3; ++i) node.request(append(tenant, stream.applied.stream, "a"));
    EXPECT_TRUE(node.checkpoint().is_ok());
    SubmitResult last;
    for (int i = 0; i < 3; ++i) last = node.request(append(tenant, stream.applied.stream, "b"));
    EXPECT_EQ(last.outcome, kernel::Outcome::ok);

    std::optional<Status> finished;
    node.engine().checkpoint([&](Status status) { finished = std::move(status); });
    for (u64 i = 0; i < tasks && !finished; ++i) node.loop().run_once();
    outcome.checkpoint_finished = finished.has_value();
    node.crash();
    const bool new_table = node.storage().exists(vsr::client_table_path(last.position)).value();

    const Status reopened = node.open();
    EXPECT_TRUE(reopened.is_ok()) << reopened.to_string();
    if (!reopened.is_ok()) return outcome;
    // Nothing applied again at open: the store's checkpoint had everything.
    outcome.store_had_last = node.engine().replica().counters().commits == 0;
    outcome.new_table_without_store = new_table && !outcome.store_had_last;
    // Ops applied again at open are answered to their clients as well: let those replies
    // arrive (and be ignored: the client has its answer), so the retry's is the table's.
    node.loop().run_for(1'000'000'000);

    const SubmitResult repeated = node.retry();
    EXPECT_EQ(repeated.outcome, kernel::Outcome::ok);
    EXPECT_EQ(repeated.position, last.position) << "the retry was applied again";
    EXPECT_EQ(repeated.applied.first_offset, last.applied.first_offset);
    EXPECT_GE(node.engine().replica().counters().repeats_answered, 1u);
    // Nothing was appended twice: the next append lands right after the last one.
    const SubmitResult next = node.request(append(tenant, stream.applied.stream, "c"));
    EXPECT_EQ(next.outcome, kernel::Outcome::ok);
    EXPECT_EQ(next.applied.first_offset, Offset(last.applied.first_offset.value() + 1));
    return outcome;
}

TEST(EngineCheckpoint, ARetryAfterACrashAnywhereInACheckpointIsAnsweredFromTheClientTable) {
    bool store_had_last = false;
    bool store_had_not = false;
    bool new_table_without_store = false;
    for (u64 seed : {u64{1}, u64{2}}) {
        // Every point of the checkpoint, and a little after it.
        u64 finished_after = 0;
        for (u64 tasks = 0; tasks < 200; ++tasks) {
            SCOPED_TRACE("seed " + std::to_string(seed) + ", crash " + std::to_string(tasks) +
                         " loop tasks into the checkpoint");
            const Outcome outcome = crash_into_checkpoint(seed, tasks);
            if (::testing::Test::HasFailure()) return;
            store_had_last = store_had_last || outcome.store_had_last;
            store_had_not = store_had_not || !outcome.store_had_last;
            new_table_without_store = new_table_without_store || outcome.new_table_without_store;
            if (outcome.checkpoint_finished && ++finished_after > 2) break;
        }
    }
    // The runs crossed every case: the new checkpoint durable (only the table can answer), not
    // yet durable, and not yet durable with its table already saved.
    EXPECT_TRUE(store_had_last);
    EXPECT_TRUE(store_had_not);
    EXPECT_TRUE(new_table_without_store);
}

// Every committed op counts toward checkpoint_every_ops, network clients' included: a node
// serving only the network checkpoints, and a restart applies only what followed.
TEST(EngineCheckpoint, NetworkClientsOpsCountTowardCheckpoints) {
    NetworkedNode node(5, /*checkpoint_every_ops=*/10);
    ASSERT_TRUE(node.open().is_ok());
    const TenantId tenant = *node.engine().tenant_id("default");
    const SubmitResult stream =
        node.request(kernel::Op{tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"}});
    SubmitResult last;
    for (int i = 0; i < 25; ++i) last = node.request(append(tenant, stream.applied.stream, "x"));
    ASSERT_EQ(last.outcome, kernel::Outcome::ok);
    ASSERT_TRUE(node.loop().run_until([&] { return !node.engine().checkpoint_in_flight(); }));
    node.crash();
    ASSERT_TRUE(node.open().is_ok());
    EXPECT_LT(node.engine().replica().counters().commits, 12u)
        << "a restart applied more than the ops since the last checkpoint";
    const SubmitResult repeated = node.retry();
    EXPECT_EQ(repeated.position, last.position);
}

// Pages not yet checkpointed cannot leave the page cache: once they take half of it a
// checkpoint starts, however few ops came since the last one (big ops would otherwise pin
// memory without bound, and a restart would replay them all).
TEST(EngineCheckpoint, HalfTheCacheDirtyStartsACheckpoint) {
    NetworkedNode node(6, /*checkpoint_every_ops=*/1'000'000);  // cache 4 MiB
    ASSERT_TRUE(node.open().is_ok());
    const TenantId tenant = *node.engine().tenant_id("default");
    // Rows of 48 KiB (events would not do: the store keeps one small record per append).
    const kernel::TableSchema table = kernel::testing::simple_table(1, "big");
    const auto insert = [&](i64 id, kernel::TransactionOp op) {
        op.snapshot = node.engine().applied_position();
        const std::vector<kernel::Value> values = {
            kernel::Value::int64(id), kernel::Value::text(std::string(48 * 1024, 'r'))};
        op.effects.push_back(kernel::testing::insert_effect(table, values));
        return node.request(kernel::Op{tenant, kAdminPrincipal, std::move(op)});
    };
    ASSERT_EQ(insert(0, kernel::TransactionOp{.ddl = {kernel::CreateTableChange{.schema = table}}})
                  .outcome,
              kernel::Outcome::ok);
    constexpr int kInserts = 120;  // ~5.6 MiB of rows into the store
    SubmitResult last;
    for (int i = 1; i <= kInserts; ++i) last = insert(i, kernel::TransactionOp{});
    ASSERT_EQ(last.outcome, kernel::Outcome::ok) << last.detail;
    ASSERT_TRUE(node.loop().run_until([&] { return !node.engine().checkpoint_in_flight(); }));
    node.crash();
    ASSERT_TRUE(node.open().is_ok());
    EXPECT_LT(node.engine().replica().counters().commits, static_cast<u64>(kInserts))
        << "no checkpoint was taken although the ops filled the page cache";
}

// Without the table of its store's checkpoint a node serving network clients does not open: its
// sessions would be lost and a retry could be applied twice.
TEST(EngineCheckpoint, SessionsWithoutTheirTableAreNotSilentlyLost) {
    NetworkedNode node(6);
    ASSERT_TRUE(node.open().is_ok());
    const TenantId tenant = *node.engine().tenant_id("default");
    const SubmitResult stream =
        node.request(kernel::Op{tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"}});
    ASSERT_EQ(node.request(append(tenant, stream.applied.stream, "x")).outcome,
              kernel::Outcome::ok);
    ASSERT_TRUE(node.close().is_ok());
    auto entries = node.storage().list_directory("");
    ASSERT_TRUE(entries.has_value());
    usize removed = 0;
    for (const auto& entry : *entries) {
        if (entry.name.starts_with("client_table")) {
            ASSERT_TRUE(node.storage().remove(entry.name).is_ok());
            ++removed;
        }
    }
    EXPECT_EQ(removed, 1u);  // the table of the last checkpoint only
    const Status reopened = node.open();
    ASSERT_FALSE(reopened.is_ok());
    EXPECT_EQ(reopened.code(), StatusCode::corruption);
    EXPECT_NE(reopened.message().find("client table"), std::string::npos) << reopened.message();
}

// A data directory whose log holds no network client's request needs no table (an embedded
// database from before tables were saved with checkpoints): it opens with the empty table.
TEST(EngineCheckpoint, WithoutNetworkClientsNoTableIsNeeded) {
    NetworkedNode node(8);
    ASSERT_TRUE(node.open().is_ok());
    const TenantId tenant = *node.engine().tenant_id("default");
    std::optional<Result<SubmitResult>> created;
    node.engine().submit(tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "s"},
                         [&](Result<SubmitResult> done) { created = std::move(done); });
    ASSERT_TRUE(node.loop().run_until([&] { return created.has_value(); }));
    ASSERT_TRUE(created->has_value() && (*created)->outcome == kernel::Outcome::ok);
    ASSERT_TRUE(node.close().is_ok());
    auto entries = node.storage().list_directory("");
    ASSERT_TRUE(entries.has_value());
    for (const auto& entry : *entries) {
        if (entry.name.starts_with("client_table")) {
            ASSERT_TRUE(node.storage().remove(entry.name).is_ok());
        }
    }
    const Status reopened = node.open();
    ASSERT_TRUE(reopened.is_ok()) << reopened.to_string();
    EXPECT_EQ(node.engine().replica().counters().commits, 0u);
    // The next checkpoint saves its table again.
    ASSERT_TRUE(node.close().is_ok());
    ASSERT_TRUE(node.open().is_ok());
    const Position checkpoint = node.engine().applied_position();
    EXPECT_TRUE(node.storage().exists(vsr::client_table_path(checkpoint)).value());
}

}  // namespace
}  // namespace kb::db
