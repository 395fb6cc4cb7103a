// The checkpoint gate (Store::set_checkpoint_gate): the superblock that makes a checkpoint
// durable waits for it; an error from it fails the checkpoint and leaves the previous one
// durable and the store usable; a checkpoint with nothing new does not call it.
#include <gtest/gtest.h>

#include <optional>

#include "crypto/random.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace kb::store {
namespace {

using testing::bytes_of;
using testing::checkpoint_and_wait;
using testing::SimMachine;
using testing::text;

const TreeId kTree{TenantId(1), 1};

class GatedStore {
public:
    explicit GatedStore(u64 seed)
        : machine_(seed), keys_(testing::make_test_keys()), random_(seed) {
        open();
    }

    void open() {
        auto opened = Store::open(*machine_.storage, machine_.loop, {}, *keys_, random_);
        ASSERT_TRUE(opened.has_value()) << opened.status().to_string();
        store_ = std::move(*opened);
        store_->set_checkpoint_gate(
            [this](Position applied, io::UniqueFunction<void(Status)> ready) {
                gate_calls_.push_back(applied);
                ready_ = std::move(ready);
            });
    }
    void crash() {
        store_.reset();
        machine_.storage->crash();
    }
    // Puts a key and publishes as of `position`.
    void write(u64 position) {
        ASSERT_TRUE(store_->put(kTree, text("k" + std::to_string(position)), text("v")).is_ok());
        ASSERT_TRUE(store_->publish(Position(position), {}).is_ok());
    }
    // Starts a checkpoint and runs the loop until nothing more happens without the gate.
    void start_checkpoint() {
        done_.reset();
        store_->checkpoint([this](Status status) { done_ = std::move(status); });
        machine_.loop.run_until_idle();
    }
    void open_gate(Status status) {
        ASSERT_TRUE(ready_);
        auto ready = std::move(ready_);
        ready_ = nullptr;
        ready(std::move(status));
        machine_.loop.run_until([&] { return done_.has_value(); });
    }

    Store& store() { return *store_; }
    const std::vector<Position>& gate_calls() const { return gate_calls_; }
    const std::optional<Status>& done() const { return done_; }
    io::SimEventLoop& loop() { return machine_.loop; }

private:
    SimMachine machine_;
    std::unique_ptr<DerivedPageKeys> keys_;
    crypto::SeededRandom random_;
    std::unique_ptr<Store> store_;
    std::vector<Position> gate_calls_;
    io::UniqueFunction<void(Status)> ready_;
    std::optional<Status> done_;
};

TEST(StoreGate, TheSuperblockWaitsForTheGate) {
    GatedStore gated(1);
    ASSERT_TRUE(gated.store().create_tree(kTree).is_ok());
    gated.write(5);
    gated.start_checkpoint();
    ASSERT_EQ(gated.gate_calls(), std::vector<Position>{Position(5)});
    // Pages written and synced; no superblock without the gate.
    EXPECT_FALSE(gated.done().has_value());
    EXPECT_EQ(gated.store().applied(), Position::none());
    gated.crash();
    gated.open();
    EXPECT_EQ(gated.store().applied(), Position::none()) << "durable before the gate opened";

    ASSERT_TRUE(gated.store().create_tree(kTree).is_ok());
    gated.write(6);
    gated.start_checkpoint();
    gated.open_gate(Status::ok());
    ASSERT_TRUE(gated.done().has_value());
    EXPECT_TRUE(gated.done()->is_ok()) << gated.done()->to_string();
    EXPECT_EQ(gated.store().applied(), Position(6));
    gated.crash();
    gated.open();
    EXPECT_EQ(gated.store().applied(), Position(6));
}

TEST(StoreGate, AGateErrorFailsTheCheckpointAndLeavesThePreviousOne) {
    GatedStore gated(2);
    ASSERT_TRUE(gated.store().create_tree(kTree).is_ok());
    gated.write(3);
    gated.start_checkpoint();
    gated.open_gate(Status::ok());
    ASSERT_TRUE(gated.done()->is_ok());

    gated.write(4);
    gated.start_checkpoint();
    gated.open_gate(Status::io_error("the table could not be saved"));
    ASSERT_TRUE(gated.done().has_value());
    EXPECT_EQ(gated.done()->code(), StatusCode::io_error);
    EXPECT_TRUE(gated.store().failure().is_ok());
    EXPECT_EQ(gated.store().applied(), Position(3));

    // The next checkpoint writes everything again, and nothing leaks.
    gated.start_checkpoint();
    gated.open_gate(Status::ok());
    ASSERT_TRUE(gated.done()->is_ok()) << gated.done()->to_string();
    EXPECT_EQ(gated.store().applied(), Position(4));
    auto report = gated.store().check_integrity();
    ASSERT_TRUE(report.has_value()) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);
    gated.crash();
    gated.open();
    EXPECT_EQ(gated.store().applied(), Position(4));
    auto value = gated.store().get(kTree, text("k4"));
    ASSERT_TRUE(value.has_value() && value->has_value());
    EXPECT_EQ(**value, bytes_of("v"));
}

TEST(StoreGate, NothingNewCallsNoGate) {
    GatedStore gated(3);
    ASSERT_TRUE(gated.store().create_tree(kTree).is_ok());
    gated.write(2);
    gated.start_checkpoint();
    gated.open_gate(Status::ok());
    ASSERT_EQ(gated.gate_calls().size(), 1u);
    EXPECT_TRUE(checkpoint_and_wait(gated.store(), gated.loop()).is_ok());
    EXPECT_EQ(gated.gate_calls().size(), 1u);
}

}  // namespace
}  // namespace kb::store
