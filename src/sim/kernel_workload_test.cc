// The kernel workload: its sequential model of streams judges replies and committed ops (a
// wrong offset, a refusal later logged are caught), and whole runs with real engines as the
// replicas, appending and running bank transactions (bank_workload_test.cc has that model's
// checks), hold every invariant without faults and with them.
#include "sim/kernel_workload.h"

#include <gtest/gtest.h>

#include <functional>

#include "db/engine_wire.h"
#include "kernel/op.h"
#include "sim/simulator.h"

namespace kb::sim {
namespace {

constexpr TenantId kTenant{3};
constexpr StreamId kStream{1};
constexpr ClientId kClient{1000};

// The first request the workload makes that `wanted` accepts (its decoded append).
std::pair<RequestNumber, kernel::AppendBatchOp> find_request(
    KernelWorkload& workload, Prng& prng,
    const std::function<bool(const kernel::AppendBatchOp&)>& wanted, u64& request) {
    for (;;) {
        ++request;
        const Bytes body = workload.make_request(kClient, RequestNumber(request), prng);
        auto op = db::decode_request(body);
        EXPECT_TRUE(op.has_value());
        auto append = std::get<kernel::AppendBatchOp>(op->body);
        if (wanted(append)) return {RequestNumber(request), append};
        // Not wanted: refused, so the model forgets it.
        db::SubmitResult refused;
        refused.outcome = append.stream == kStream ? kernel::Outcome::offset_mismatch
                                                   : kernel::Outcome::no_such_stream;
        (void)workload.check_reply(kClient, RequestNumber(request), body, Position(0),
                                   db::encode_reply(refused));
    }
}

Bytes applied_reply(Position position, u64 first_offset, u64 events) {
    db::SubmitResult result;
    result.position = position;
    result.applied.first_offset = Offset(first_offset);
    result.applied.event_count = events;
    return db::encode_reply(result);
}

TEST(KernelWorkload, AcceptsTheModelsOffsetsOnly) {
    KernelWorkload workload;
    workload.set_streams(kTenant, {kStream});
    Prng prng(4);
    u64 request = 0;
    auto plain = [](const kernel::AppendBatchOp& append) {
        return append.stream == kStream && !append.expected_offset;
    };
    const auto [first, first_op] = find_request(workload, prng, plain, request);
    ASSERT_TRUE(workload.on_committed(Position(7), kClient, first, false).is_ok());
    const u64 events = first_op.events.size();
    // The first append takes offset 0; offset 1 or another count is wrong.
    EXPECT_FALSE(
        workload.check_reply(kClient, first, {}, Position(7), applied_reply(Position(7), 1, events))
            .is_ok());
    EXPECT_TRUE(
        workload.check_reply(kClient, first, {}, Position(7), applied_reply(Position(7), 0, events))
            .is_ok());
    EXPECT_EQ(workload.next_offsets(), std::vector<u64>{events});

    // A logged append expecting an offset the stream is not at breaks the model.
    const auto [second, second_op] = find_request(
        workload, prng,
        [](const kernel::AppendBatchOp& append) {
            return append.stream == kStream && append.expected_offset.has_value();
        },
        request);
    const bool matches = second_op.expected_offset->value() == events;
    EXPECT_EQ(workload.on_committed(Position(8), kClient, second, false).is_ok(), matches);
}

TEST(KernelWorkload, ARefusalLaterLoggedIsCaughtOrCounted) {
    for (const bool tolerate : {false, true}) {
        KernelWorkload workload(tolerate);
        workload.set_streams(kTenant, {kStream});
        Prng prng(8);
        u64 request = 0;
        const auto [number, op] = find_request(
            workload, prng,
            [](const kernel::AppendBatchOp& append) {
                return append.stream == kStream && append.expected_offset.has_value() &&
                       append.expected_offset->value() == 0 && append.idempotency.is_none();
            },
            request);
        db::SubmitResult mismatch;
        mismatch.outcome = kernel::Outcome::offset_mismatch;
        ASSERT_TRUE(
            workload.check_reply(kClient, number, {}, Position(0), db::encode_reply(mismatch))
                .is_ok());
        EXPECT_EQ(workload.on_committed(Position(5), kClient, number, false).is_ok(), tolerate);
        EXPECT_EQ(workload.counts().session_bugs, tolerate ? 1u : 0u);
    }
}

class KernelNoFaults : public ::testing::TestWithParam<u8> {};

TEST_P(KernelNoFaults, EveryRequestIsAnsweredRightAndTheClusterConverges) {
    SimulatorOptions options;
    options.seed = 42;
    options.workload = SimWorkload::kernel;
    options.replicas = GetParam();
    options.faults = false;
    options.ticks = 200;
    const SimulatorResult result = simulate(options);
    ASSERT_FALSE(result.failure.has_value()) << *result.failure;
    EXPECT_GT(result.appends, 50u) << summary_line(result);
    EXPECT_GT(result.conflicts + result.repeats, 0u) << summary_line(result);
    // Transactions ran, some of them refused for what concurrent ones wrote; with no view
    // change and no restart every snapshot is inside the primary's window.
    EXPECT_GT(result.transactions, 50u) << summary_line(result);
    EXPECT_GT(result.transaction_refusals, 0u) << summary_line(result);
    EXPECT_EQ(result.transaction_too_old, 0u) << summary_line(result);
    // Every reply names a logged record now: the appends and transactions, and the refusals
    // (conflicts, repeats, missing streams) logged so every replica's client table knows them.
    EXPECT_GE(result.acknowledged, result.appends + result.conflicts + result.repeats +
                                       result.transactions + result.transaction_refusals);
    EXPECT_EQ(result.session_bugs, 0u);
}

// End to end: transactions sent without their read sets get past the primary's conflict check,
// and the model catches the first one that relied on a value another had changed.
TEST(KernelSimulator, TransactionsWithoutReadSetsAreCaught) {
    SimulatorOptions options;
    options.seed = 42;
    options.workload = SimWorkload::kernel;
    options.replicas = 3;
    options.faults = false;
    options.ticks = 200;
    options.canary_no_read_sets = true;
    const SimulatorResult result = simulate(options);
    ASSERT_TRUE(result.failure.has_value()) << summary_line(result);
    EXPECT_NE(result.failure->find("not serializable"), std::string::npos) << *result.failure;
}

INSTANTIATE_TEST_SUITE_P(Sizes, KernelNoFaults, ::testing::Values(u8{1}, u8{3}, u8{5}));

TEST(KernelSimulator, FaultySeedsHoldEveryOtherInvariant) {
    for (u64 seed = 1; seed <= 3; ++seed) {
        SimulatorOptions options;
        options.seed = seed;
        options.workload = SimWorkload::kernel;
        options.replicas = 3;
        options.ticks = 500;
        options.tolerate_session_bugs = true;
        const SimulatorResult first = simulate(options);
        ASSERT_FALSE(first.failure.has_value()) << "seed " << seed << ": " << *first.failure;
        EXPECT_GT(first.appends, 0u) << summary_line(first);
        EXPECT_GT(first.transactions, 0u) << summary_line(first);
        EXPECT_EQ(simulate(options).trace_hash, first.trace_hash);
    }
}

}  // namespace
}  // namespace kb::sim
