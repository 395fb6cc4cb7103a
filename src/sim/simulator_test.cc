// Simulator tests: the echo state machine and workload, whole runs without faults (every op
// acknowledged and converged), determinism of the trace hash, and that a broken replica (a
// canary) is caught. The long runs are vopr's CTest entries (label sim) and soak.
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include <string>

#include "sim/sim_state_machine.h"
#include "sim/workload.h"

namespace kb::sim {
namespace {

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

TEST(SimDigest, StableAndSensitive) {
    const Bytes a = bytes_of("append 1:1 abc");
    const Bytes b = bytes_of("append 1:1 abd");
    EXPECT_EQ(digest64(a), digest64(a));
    EXPECT_NE(digest64(a), digest64(b));
    EXPECT_NE(digest64(a, 1), digest64(a, 2));
    EXPECT_NE(fold64(1, 2), fold64(2, 1));
}

TEST(EchoAppendWorkload, AcceptsTheRightReplyOnly) {
    EchoAppendWorkload workload;
    Prng prng(5);
    const Bytes request = workload.make_request(ClientId(1000), RequestNumber(3), prng);
    ASSERT_TRUE(workload.expects_op(request) || !workload.expects_op(request));
    const Bytes append = bytes_of("append 1000:3 xyz");
    const Bytes refuse = bytes_of("refuse 1000:4 xyz");
    ASSERT_TRUE(workload.expects_op(append));
    ASSERT_FALSE(workload.expects_op(refuse));

    const Bytes right = EchoLogStateMachine::reply_for(Position(9), append);
    EXPECT_TRUE(
        workload.check_reply(ClientId(1), RequestNumber(1), append, Position(9), right).is_ok());
    // Another position, another request's digest, no position at all: each is wrong.
    EXPECT_FALSE(
        workload.check_reply(ClientId(1), RequestNumber(1), append, Position(8), right).is_ok());
    EXPECT_FALSE(workload
                     .check_reply(ClientId(1), RequestNumber(1), append, Position(9),
                                  EchoLogStateMachine::reply_for(Position(9), refuse))
                     .is_ok());
    EXPECT_FALSE(
        workload.check_reply(ClientId(1), RequestNumber(1), append, Position(0), right).is_ok());

    // A refusal is logged too: answered with its record's position, and the refusal text.
    const Bytes refusal = EchoLogStateMachine::refusal_for(refuse);
    EXPECT_TRUE(
        workload.check_reply(ClientId(1), RequestNumber(1), refuse, Position(4), refusal).is_ok());
    EXPECT_FALSE(
        workload.check_reply(ClientId(1), RequestNumber(1), refuse, Position(0), refusal).is_ok());
    EXPECT_FALSE(
        workload.check_reply(ClientId(1), RequestNumber(1), refuse, Position(4), right).is_ok());
}

TEST(EchoAppendWorkload, MakesDistinctRequestsAndSomeRefusals) {
    EchoAppendWorkload workload;
    Prng prng(11);
    int refused = 0;
    Bytes previous;
    for (u64 i = 1; i <= 400; ++i) {
        const Bytes request = workload.make_request(ClientId(1001), RequestNumber(i), prng);
        EXPECT_NE(request, previous);
        refused += workload.expects_op(request) ? 0 : 1;
        previous = request;
    }
    EXPECT_GT(refused, 0);
    EXPECT_LT(refused, 40);
}

class NoFaults : public ::testing::TestWithParam<u8> {};

TEST_P(NoFaults, EveryOpIsAcknowledgedAndTheClusterConverges) {
    SimulatorOptions options;
    options.seed = 42;
    options.replicas = GetParam();
    options.faults = false;
    options.ticks = 200;  // 2 s simulated
    const SimulatorResult result = simulate(options);
    ASSERT_FALSE(result.failure.has_value()) << *result.failure;
    EXPECT_GT(result.acknowledged, 100u);
    // Every client registered once (no evictions), then every request was committed and
    // acknowledged (a refusal too, as a logged refusal).
    EXPECT_EQ(result.registrations, result.clients);
    EXPECT_EQ(result.committed, result.acknowledged + result.registrations);
    EXPECT_EQ(result.highest_view, 0u);
    EXPECT_EQ(result.crashes, 0u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, NoFaults, ::testing::Values(u8{1}, u8{3}, u8{5}));

TEST(Simulator, StopsAtTheOpsTarget) {
    SimulatorOptions options;
    options.seed = 3;
    options.faults = false;
    options.ticks = ~u64{0};
    options.ops_target = 500;
    const SimulatorResult result = simulate(options);
    ASSERT_FALSE(result.failure.has_value()) << *result.failure;
    EXPECT_GE(result.acknowledged, 500u);
    EXPECT_LT(result.acknowledged, 600u);
}

TEST(Simulator, SameSeedSameTraceOtherSeedOtherTrace) {
    SimulatorOptions options;
    options.seed = 9;
    options.ticks = 300;
    const SimulatorResult first = simulate(options);
    const SimulatorResult second = simulate(options);
    EXPECT_EQ(first.trace_hash, second.trace_hash);
    EXPECT_EQ(summary_line(first), summary_line(second));
    options.seed = 10;
    EXPECT_NE(simulate(options).trace_hash, first.trace_hash);
}

TEST(Simulator, FaultySeedsHoldEveryInvariant) {
    for (u64 seed = 1; seed <= 4; ++seed) {
        SimulatorOptions options;
        options.seed = seed;
        options.replicas = 3;
        options.ticks = 500;
        const SimulatorResult result = simulate(options);
        ASSERT_FALSE(result.failure.has_value()) << "seed " << seed << ": " << *result.failure;
        EXPECT_GT(result.acknowledged, 0u) << summary_line(result);
    }
}

// The checkers bite: a primary that commits without a quorum is caught within a few seeds.
TEST(Simulator, CatchesCommitWithoutQuorum) {
    std::optional<std::string> caught;
    for (u64 seed = 1; seed <= 20 && !caught; ++seed) {
        SimulatorOptions options;
        options.seed = seed;
        options.replicas = 3;
        options.ticks = 1000;
        options.canary = vsr::Canary::commit_without_quorum;
        caught = simulate(options).failure;
    }
    ASSERT_TRUE(caught.has_value());
    EXPECT_NE(caught->find("committed"), std::string::npos) << *caught;
}

// Client sessions under pressure: fewer sessions than clients, so registers evict sessions all
// the time and clients, told so, give up their unanswered request and register again, under
// every fault. The checkers must hold: no request applied twice (request numbers go on across
// a client's sessions), every reply at the position of its own request, linearizability, and
// the kernel workload's models (a given-up request may or may not have been applied).
// KB_SIM_EVICTION_SEEDS=N runs N seeds per workload and size (default 3).
TEST(Simulator, TinySessionTablesEvictAndClientsRegisterAgain) {
    const char* env = std::getenv("KB_SIM_EVICTION_SEEDS");
    const u64 seeds = env != nullptr ? std::strtoull(env, nullptr, 10) : 3;
    u64 evictions = 0;
    for (SimWorkload workload : {SimWorkload::echo, SimWorkload::kernel}) {
        for (u8 replicas : {u8{1}, u8{3}, u8{5}}) {
            for (u64 seed = 1; seed <= seeds; ++seed) {
                SimulatorOptions options;
                options.seed = 7000 + seed;
                options.workload = workload;
                options.replicas = replicas;
                options.ticks = 400;
                options.tolerate_eviction = true;
                options.client_sessions_max = 1 + seed % 2;
                const SimulatorResult result = simulate(options);
                ASSERT_FALSE(result.failure.has_value())
                    << summary_line(result) << ": " << *result.failure;
                evictions += result.evictions;
                if (env != nullptr) std::printf("%s\n", summary_line(result).c_str());
            }
        }
    }
    EXPECT_GT(evictions, 0u);
}

TEST(Simulator, CanaryNames) {
    EXPECT_EQ(canary_from_name("commit_without_quorum"), vsr::Canary::commit_without_quorum);
    EXPECT_EQ(canary_from_name("prepare_ok_before_durable"),
              vsr::Canary::prepare_ok_before_durable);
    EXPECT_EQ(canary_from_name("none"), vsr::Canary::none);
    EXPECT_FALSE(canary_from_name("nonsense").has_value());
    EXPECT_EQ(canary_name(vsr::Canary::commit_without_quorum), "commit_without_quorum");
}

}  // namespace
}  // namespace kb::sim
