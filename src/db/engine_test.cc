// The engine end to end on a simulated machine: admission refuses without logging, appends and
// idempotent retries, state surviving close/reopen and power loss (replay from the log), and a
// store rebuilt from the log equal to the live one.
#include <gtest/gtest.h>

#include "base/prng.h"
#include "db/engine_test_support.h"
#include "db/stream_reads.h"

namespace kb::db {
namespace {

using testing::bytes_of;
using testing::SimNode;

// Every event of a stream in the engine's published state, as text (read as readers read
// them: from the log, where the store says each append is).
std::vector<std::string> events_of(SimNode& node, TenantId tenant, StreamId stream) {
    std::vector<std::string> out;
    auto events = read_stream_events(node, node.engine().snapshot(), tenant, stream, Offset(0),
                                     ~u64{0}, ~u64{0});
    EXPECT_TRUE(events.has_value()) << events.status().to_string();
    if (!events) return out;
    for (const kernel::reads::Event& event : *events) {
        EXPECT_EQ(event.offset.value(), out.size()) << "offsets are dense from 0";
        out.emplace_back(event.data.begin(), event.data.end());
    }
    return out;
}

kernel::AppendBatchOp append_of(StreamId stream, std::vector<std::string> events,
                                std::optional<Offset> expected = std::nullopt,
                                IdempotencyId idempotency = {}) {
    kernel::AppendBatchOp append;
    append.stream = stream;
    append.expected_offset = expected;
    append.idempotency = idempotency;
    for (const std::string& event : events) append.events.push_back(bytes_of(event));
    return append;
}

StreamId create_stream(SimNode& node, std::string name) {
    auto created =
        node.submit_op(node.default_tenant(), kernel::CreateStreamOp{.name = std::move(name)});
    EXPECT_TRUE(created.has_value()) << created.status().to_string();
    EXPECT_EQ(created->outcome, kernel::Outcome::ok) << created->detail;
    return created->applied.stream;
}

IdempotencyId id_of(u8 seed) {
    std::array<u8, 16> bytes{};
    bytes.fill(seed);
    return IdempotencyId::from_bytes(bytes);
}

TEST(Engine, InitialisesANewDataDirectoryWithTheDefaultTenant) {
    SimNode node(1);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    ASSERT_TRUE(node.engine().tenant_id("default").has_value());
    EXPECT_EQ(node.engine().log_position(), Position(2));  // genesis, create tenant
    EXPECT_EQ(node.engine().applied_position(), Position(2));
    EXPECT_EQ(node.engine().genesis().replica_count, 1);
}

TEST(Engine, AppendsReadBackInOrder) {
    SimNode node(2);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    const StreamId stream = create_stream(node, "orders");
    auto first = node.submit_op(node.default_tenant(), append_of(stream, {"a", "b", "c"}));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->applied.first_offset, Offset(0));
    auto second = node.submit_op(node.default_tenant(), append_of(stream, {"d"}, Offset(3)));
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->outcome, kernel::Outcome::ok) << second->detail;
    EXPECT_EQ(second->applied.first_offset, Offset(3));
    EXPECT_EQ(events_of(node, node.default_tenant(), stream),
              (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(Engine, RefusedOpsAreNotLogged) {
    SimNode node(3);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    const StreamId stream = create_stream(node, "orders");
    const Position before = node.engine().log_position();

    auto duplicate =
        node.submit_op(node.default_tenant(), kernel::CreateStreamOp{.name = "orders"});
    ASSERT_TRUE(duplicate.has_value());
    EXPECT_EQ(duplicate->outcome, kernel::Outcome::stream_exists);

    auto mismatch = node.submit_op(node.default_tenant(), append_of(stream, {"x"}, Offset(5)));
    ASSERT_TRUE(mismatch.has_value());
    EXPECT_EQ(mismatch->outcome, kernel::Outcome::offset_mismatch);
    EXPECT_NE(mismatch->detail.find("next is 0"), std::string::npos) << mismatch->detail;

    auto missing = node.submit_op(node.default_tenant(), append_of(StreamId(99), {"x"}));
    ASSERT_TRUE(missing.has_value());
    EXPECT_EQ(missing->outcome, kernel::Outcome::no_such_stream);

    auto denied = node.submit_op(node.default_tenant(), append_of(stream, {"x"}), PrincipalId(77));
    ASSERT_TRUE(denied.has_value());
    EXPECT_EQ(denied->outcome, kernel::Outcome::permission_denied);

    EXPECT_EQ(node.engine().log_position(), before);
    EXPECT_TRUE(events_of(node, node.default_tenant(), stream).empty());
}

TEST(Engine, AnIdempotentRetryReturnsTheOriginalOffsetsAndAppendsNothing) {
    SimNode node(4);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    const StreamId stream = create_stream(node, "payments");
    ASSERT_TRUE(node.submit_op(node.default_tenant(), append_of(stream, {"p0"})).has_value());
    auto original =
        node.submit_op(node.default_tenant(), append_of(stream, {"p1", "p2"}, Offset(1), id_of(7)));
    ASSERT_TRUE(original.has_value());
    ASSERT_EQ(original->outcome, kernel::Outcome::ok) << original->detail;
    const Position logged = node.engine().log_position();

    // The retry carries the same expected offset, which the original has moved past.
    auto retry =
        node.submit_op(node.default_tenant(), append_of(stream, {"p1", "p2"}, Offset(1), id_of(7)));
    ASSERT_TRUE(retry.has_value());
    EXPECT_EQ(retry->outcome, kernel::Outcome::ok) << retry->detail;
    EXPECT_TRUE(retry->applied.repeated);
    EXPECT_EQ(retry->applied.first_offset, Offset(1));
    EXPECT_EQ(retry->applied.original, original->position);
    EXPECT_EQ(node.engine().log_position(), logged);
    EXPECT_EQ(events_of(node, node.default_tenant(), stream),
              (std::vector<std::string>{"p0", "p1", "p2"}));
}

TEST(Engine, RetriesInFlightTogetherApplyOnce) {
    SimNode node(5);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    const StreamId stream = create_stream(node, "s");
    // Two submissions of one id before either is applied: both are logged, apply sees the
    // second as a repeat.
    std::vector<Result<SubmitResult>> results;
    for (int i = 0; i < 2; ++i) {
        node.engine().submit(node.default_tenant(), kAdminPrincipal,
                             append_of(stream, {"once"}, Offset(0), id_of(9)),
                             [&](Result<SubmitResult> r) { results.push_back(std::move(r)); });
    }
    node.loop().run_until([&] { return results.size() == 2; });
    ASSERT_EQ(results.size(), 2u);
    ASSERT_TRUE(results[0].has_value() && results[1].has_value());
    EXPECT_FALSE(results[0]->applied.repeated);
    EXPECT_TRUE(results[1]->applied.repeated);
    EXPECT_EQ(results[1]->applied.first_offset, Offset(0));
    EXPECT_EQ(events_of(node, node.default_tenant(), stream), (std::vector<std::string>{"once"}));
}

// Admission decides against applied state plus the ops in flight: two creates of one name, or
// two appends expecting one offset, submitted before either is applied, are told apart before
// either is logged.
TEST(Engine, AdmissionSeesOpsInFlight) {
    SimNode node(8);
    ASSERT_TRUE(node.open().is_ok());
    const StreamId stream = create_stream(node, "ledger");
    const TenantId tenant = node.default_tenant();
    std::vector<Result<SubmitResult>> results;
    auto collect = [&](Result<SubmitResult> r) { results.push_back(std::move(r)); };
    node.engine().submit(tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "twice"}, collect);
    node.engine().submit(tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = "twice"}, collect);
    node.engine().submit(tenant, kAdminPrincipal, append_of(stream, {"a"}, Offset(0)), collect);
    node.engine().submit(tenant, kAdminPrincipal, append_of(stream, {"b"}, Offset(0)), collect);
    node.engine().submit(tenant, kAdminPrincipal, append_of(stream, {"c"}, Offset(1)), collect);
    node.loop().run_until([&] { return results.size() == 5; });
    ASSERT_EQ(results.size(), 5u);
    std::map<kernel::Outcome, int> outcomes;
    for (const auto& result : results) {
        ASSERT_TRUE(result.has_value());
        ++outcomes[result->outcome];
    }
    EXPECT_EQ(outcomes[kernel::Outcome::ok], 3);
    EXPECT_EQ(outcomes[kernel::Outcome::stream_exists], 1);
    EXPECT_EQ(outcomes[kernel::Outcome::offset_mismatch], 1);
    EXPECT_EQ(events_of(node, tenant, stream), (std::vector<std::string>{"a", "c"}));
}

// A write the log cannot make durable (the disk fails under it) stops the engine: the op is not
// acknowledged, every later call fails with the same status, and a restart recovers exactly
// what was acknowledged before.
TEST(Engine, AFailedLogWriteStopsTheEngine) {
    SimNode node(9);
    ASSERT_TRUE(node.open().is_ok());
    const StreamId stream = create_stream(node, "s");
    const TenantId tenant = node.default_tenant();
    ASSERT_TRUE(node.submit_op(tenant, append_of(stream, {"a"}, Offset(0))).has_value());
    const auto hash = node.engine().kernel().state_hash();

    node.storage().inject(io::SimFault::write_error, "log/segment-0000000001.kbl", 1);
    auto failed = node.submit_op(tenant, append_of(stream, {"b"}, Offset(1)));
    ASSERT_FALSE(failed.has_value());
    EXPECT_FALSE(node.engine().failure().is_ok());
    auto after = node.submit_op(tenant, append_of(stream, {"c"}));
    ASSERT_FALSE(after.has_value());
    EXPECT_EQ(after.status().code(), node.engine().failure().code());

    node.crash();
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    const auto events = events_of(node, tenant, stream);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front(), "a");
    if (events.size() == 1) {
        EXPECT_EQ(node.engine().kernel().state_hash(), hash);
    }
    auto next = node.submit_op(tenant, append_of(stream, {"d"}, Offset(events.size())));
    ASSERT_TRUE(next.has_value()) << next.status().to_string();
    EXPECT_EQ(next->outcome, kernel::Outcome::ok) << next->detail;
}

TEST(Engine, OpsOverTheSizeCapAreRefusedBeforeLogging) {
    EngineOptions options = testing::small_engine_options();
    options.op_size_max_bytes = 4096;
    SimNode node(12, options);
    ASSERT_TRUE(node.open().is_ok());
    const StreamId stream = create_stream(node, "s");
    const Position before = node.engine().log_position();
    auto refused =
        node.submit_op(node.default_tenant(), append_of(stream, {std::string(5000, 'x')}));
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->outcome, kernel::Outcome::op_too_large);
    EXPECT_NE(refused->detail.find("over the limit of 4096"), std::string::npos);
    EXPECT_EQ(node.engine().log_position(), before);
    auto fits = node.submit_op(node.default_tenant(), append_of(stream, {std::string(3000, 'x')}));
    ASSERT_TRUE(fits.has_value());
    EXPECT_EQ(fits->outcome, kernel::Outcome::ok);
}

// A workload of streams and appends, some refused; returns the events each stream must hold.
std::map<u64, std::vector<std::string>> run_workload(SimNode& node, u64 seed, int ops) {
    Prng prng(seed);
    std::map<u64, std::vector<std::string>> expected;
    std::vector<StreamId> streams;
    for (int i = 0; i < ops; ++i) {
        if (streams.empty() || prng.uniform(10) == 0) {
            streams.push_back(create_stream(
                node, "w" + std::to_string(seed) + "-stream-" + std::to_string(streams.size())));
            expected[streams.back().value()];
            continue;
        }
        const StreamId stream = streams[prng.uniform(streams.size())];
        auto& events = expected[stream.value()];
        std::vector<std::string> batch;
        const u64 count = 1 + prng.uniform(4);
        for (u64 e = 0; e < count; ++e) {
            batch.push_back("event " + std::to_string(i) + "." + std::to_string(e));
        }
        const bool wrong_offset = prng.uniform(5) == 0;
        const Offset expect(events.size() + (wrong_offset ? 1 : 0));
        auto result = node.submit_op(node.default_tenant(), append_of(stream, batch, expect));
        EXPECT_TRUE(result.has_value());
        if (!result) break;
        if (wrong_offset) {
            EXPECT_EQ(result->outcome, kernel::Outcome::offset_mismatch);
        } else {
            EXPECT_EQ(result->outcome, kernel::Outcome::ok) << result->detail;
            events.insert(events.end(), batch.begin(), batch.end());
        }
    }
    return expected;
}

void expect_events(SimNode& node, const std::map<u64, std::vector<std::string>>& expected) {
    for (const auto& [stream, events] : expected) {
        EXPECT_EQ(events_of(node, node.default_tenant(), StreamId(stream)), events)
            << "stream " << stream;
    }
}

TEST(Engine, CloseAndReopenRestoresEverything) {
    SimNode node(6);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    auto expected = run_workload(node, 6, 120);
    const auto hash = node.engine().kernel().state_hash();
    const auto catalog = node.engine().catalog();
    const Position applied = node.engine().applied_position();
    ASSERT_TRUE(node.close().is_ok());

    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    EXPECT_EQ(node.engine().applied_position(), applied);
    EXPECT_EQ(node.engine().kernel().state_hash(), hash);
    EXPECT_EQ(node.engine().catalog(), catalog);
    expect_events(node, expected);
    // And it goes on where it stopped.
    auto more = run_workload(node, 66, 20);
    EXPECT_FALSE(more.empty());
}

TEST(Engine, PowerLossReplaysAcknowledgedOpsFromTheLog) {
    for (u64 seed = 10; seed < 20; ++seed) {
        EngineOptions options = testing::small_engine_options();
        options.checkpoint_every_ops = 7 + seed;  // some ops after the last checkpoint
        SimNode node(seed, options);
        {
            Status opened = node.open();
            ASSERT_TRUE(opened.is_ok()) << opened.to_string();
        }
        auto expected = run_workload(node, seed, 60);
        const auto hash = node.engine().kernel().state_hash();
        node.crash();

        {
            Status opened = node.open();
            ASSERT_TRUE(opened.is_ok()) << "seed " << seed << ": " << opened.to_string();
        }
        // Every op was acknowledged (durable) before the crash, so all of them survive.
        EXPECT_EQ(node.engine().kernel().state_hash(), hash) << "seed " << seed;
        expect_events(node, expected);
    }
}

TEST(Engine, AStoreRebuiltFromTheLogEqualsTheLiveOne) {
    SimNode node(30);
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    auto expected = run_workload(node, 30, 150);
    const auto hash = node.engine().kernel().state_hash();
    const auto catalog = node.engine().catalog();
    ASSERT_TRUE(node.close().is_ok());

    // Throw the store away: opening replays the whole log into a new one.
    ASSERT_TRUE(node.storage().remove("store/pages.kbs").is_ok());
    ASSERT_TRUE(node.storage().remove("store/superblock.kbs").is_ok());
    {
        Status opened = node.open();
        ASSERT_TRUE(opened.is_ok()) << opened.to_string();
    }
    EXPECT_EQ(node.engine().kernel().state_hash(), hash);
    EXPECT_EQ(node.engine().catalog(), catalog);
    expect_events(node, expected);
    auto full = kernel::compute_state_hash(node.engine().snapshot());
    ASSERT_TRUE(full.has_value()) << full.status().to_string();
    EXPECT_EQ(*full, hash);
}

}  // namespace
}  // namespace kb::db
