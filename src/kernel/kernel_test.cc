// Kernel apply: tenants, streams, sequences, settings, publish and open, the timestamp index.
// Transactions are in kernel_transaction_test.cc, idempotency in idempotency_test.cc, random
// replays in kernel_replay_test.cc.
#include "kernel/kernel.h"

#include <gtest/gtest.h>

#include "kernel/catalog_codec.h"
#include "kernel/kernel_reads.h"
#include "kernel/kernel_state.h"
#include "kernel/kernel_test_support.h"
#include "kernel/kernel_trees.h"

namespace kb::kernel {
namespace {

using testing::bytes_of;
using testing::create_tenant_op;
using testing::expect_hash_recomputes;
using testing::KernelHarness;
using testing::tenant_op;

TEST(Kernel, EmptyStoreGivesAnEmptyKernel) {
    KernelHarness h(1);
    EXPECT_EQ(h.kernel->applied(), Position(0));
    EXPECT_TRUE(h.kernel->catalog().tenants().empty());
    EXPECT_TRUE(h.kernel->state_hash().is_empty());
    EXPECT_EQ(h.kernel->settings(), Settings{});
    EXPECT_TRUE(h.kernel->tenant_keys().empty());
    expect_hash_recomputes(h);
}

TEST(Kernel, TenantIdsCountUpAndNamesAreUnique) {
    KernelHarness h(2);
    ApplyResult first = h.apply(create_tenant_op("alpha"));
    ASSERT_EQ(first.outcome, Outcome::ok) << first.detail;
    EXPECT_EQ(first.tenant, TenantId(1));
    ApplyResult second = h.apply(create_tenant_op("beta"));
    EXPECT_EQ(second.tenant, TenantId(2));

    const InternalHash before = h.kernel->state_hash().digest();
    ApplyResult taken = h.apply(create_tenant_op("alpha"));
    EXPECT_EQ(taken.outcome, Outcome::tenant_exists);
    EXPECT_EQ(h.kernel->state_hash().digest(), before);
    EXPECT_EQ(h.kernel->catalog().tenants().size(), 2u);

    // The tenant's internal trees exist and its wrapped keys are what the op carried.
    for (u64 number : trees::kTenantTreeNumbers) {
        EXPECT_TRUE(h.store->has_tree({TenantId(2), number}).value());
    }
    auto keys = h.kernel->tenant_keys();
    ASSERT_EQ(keys.size(), 2u);
    const Op created = create_tenant_op("beta");
    const auto& op = std::get<CreateTenantOp>(created.body);
    EXPECT_EQ(keys[1].tenant, TenantId(2));
    EXPECT_EQ(keys[1].kek, op.kek);
    EXPECT_EQ(keys[1].root, op.root_key);
    expect_hash_recomputes(h);
}

TEST(Kernel, DroppedTenantsRefuseOpsFreeTheirNameAndKeepTheirHistory) {
    KernelHarness h(31);
    ASSERT_EQ(h.apply(create_tenant_op("t")).outcome, Outcome::ok);
    const TenantId id(1);
    ApplyResult stream = h.apply(tenant_op(id, CreateStreamOp{.name = "s"}));
    ASSERT_EQ(stream.outcome, Outcome::ok);
    ASSERT_EQ(
        h.apply(tenant_op(id, AppendBatchOp{.stream = stream.stream, .events = {bytes_of("kept")}}))
            .outcome,
        Outcome::ok);

    const Position dropped_at(h.kernel->applied().value() + 1);
    ApplyResult dropped = h.apply(testing::drop_tenant_op(id));
    ASSERT_EQ(dropped.outcome, Outcome::ok) << dropped.detail;
    EXPECT_EQ(h.kernel->catalog().tenant(id)->info().dropped, dropped_at);
    EXPECT_EQ(h.kernel->catalog().find_tenant("t"), nullptr);
    expect_hash_recomputes(h);

    // Nothing more is written to it, and a second drop finds nothing to drop.
    const InternalHash before = h.kernel->state_hash().digest();
    EXPECT_EQ(
        h.apply(tenant_op(id, AppendBatchOp{.stream = stream.stream, .events = {bytes_of("late")}}))
            .outcome,
        Outcome::no_such_tenant);
    EXPECT_EQ(h.apply(testing::drop_tenant_op(id)).outcome, Outcome::no_such_tenant);
    EXPECT_EQ(h.apply(testing::drop_tenant_op(TenantId(9))).outcome, Outcome::no_such_tenant);
    Op misplaced = testing::drop_tenant_op(id);
    misplaced.tenant = id;
    EXPECT_EQ(h.apply(misplaced).outcome, Outcome::invalid_definition);
    EXPECT_EQ(h.kernel->state_hash().digest(), before);

    // The name makes a new tenant; the old one's events are still there, and so are its keys.
    ApplyResult again = h.apply(create_tenant_op("t"));
    ASSERT_EQ(again.outcome, Outcome::ok);
    EXPECT_EQ(again.tenant, TenantId(2));
    EXPECT_EQ(h.kernel->tenant_keys().size(), 2u);
    ASSERT_TRUE(h.kernel->publish().is_ok());
    auto runs = reads::append_runs(h.published(), id, stream.stream, Offset(0), 1 << 20, 10);
    ASSERT_TRUE(runs.has_value()) << runs.error().to_string();
    ASSERT_EQ(runs->size(), 1u);

    // And it all survives a reopen (the tenant record carries the drop).
    h.reopen();
    EXPECT_EQ(h.kernel->catalog().tenant(id)->info().dropped, dropped_at);
    EXPECT_EQ(h.kernel->catalog().find_tenant("t")->info().id, TenantId(2));
    expect_hash_recomputes(h);
}

TEST(Kernel, SystemOpsMustBeLoggedForTenantZero) {
    KernelHarness h(3);
    Op op = create_tenant_op("t");
    op.tenant = TenantId(4);
    EXPECT_EQ(h.apply(op).outcome, Outcome::invalid_definition);
    Op configure = testing::configure_op(5);
    configure.tenant = TenantId(1);
    EXPECT_EQ(h.apply(configure).outcome, Outcome::invalid_definition);
    EXPECT_EQ(h.apply(tenant_op(TenantId(0), CreateStreamOp{.name = "s"})).outcome,
              Outcome::no_such_tenant);
    EXPECT_EQ(h.apply(tenant_op(TenantId(7), CreateStreamOp{.name = "s"})).outcome,
              Outcome::no_such_tenant);
    EXPECT_TRUE(h.kernel->state_hash().is_empty());
    EXPECT_EQ(h.kernel->applied(), Position(4));  // refused ops are applied all the same
}

TEST(Kernel, StreamsAppendAndReadBack) {
    KernelHarness h(4);
    h.apply(create_tenant_op("t"));
    const TenantId t(1);
    ApplyResult created = h.apply(tenant_op(t, CreateStreamOp{.name = "orders"}));
    ASSERT_EQ(created.outcome, Outcome::ok);
    EXPECT_EQ(created.stream, StreamId(1));
    EXPECT_EQ(h.apply(tenant_op(t, CreateStreamOp{.name = "orders"})).outcome,
              Outcome::stream_exists);

    ApplyResult appended = h.apply(tenant_op(
        t, AppendBatchOp{.stream = StreamId(1), .events = {bytes_of("a"), bytes_of("bb")}}));
    ASSERT_EQ(appended.outcome, Outcome::ok);
    EXPECT_EQ(appended.first_offset, Offset(0));
    EXPECT_EQ(appended.event_count, 2u);
    const Position first_append = h.kernel->applied();
    ApplyResult again = h.apply(tenant_op(
        t, AppendBatchOp{
               .stream = StreamId(1), .expected_offset = Offset(2), .events = {bytes_of("ccc")}}));
    EXPECT_EQ(again.first_offset, Offset(2));
    EXPECT_EQ(h.kernel->catalog().tenant(t)->stream(StreamId(1))->next_offset, Offset(3));

    const store::Snapshot view = h.published();
    auto info = reads::stream_info(view, t, StreamId(1));
    ASSERT_TRUE(info && *info);
    EXPECT_EQ((*info)->next_offset, Offset(3));
    EXPECT_EQ((*info)->name, "orders");
    // The store records each append (its events are in the log's record at its position).
    auto runs = reads::append_runs(view, t, StreamId(1), Offset(0), 1 << 20, 100);
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 2u);
    const std::vector<Bytes> first_events = {bytes_of("a"), bytes_of("bb")};
    EXPECT_EQ((*runs)[0], (reads::AppendRun{
                              Offset(0), trees::StoredAppend{first_append, 2, 3,
                                                             trees::events_digest(first_events)}}));
    EXPECT_EQ((*runs)[1].first, Offset(2));
    EXPECT_EQ((*runs)[1].append.position, h.kernel->applied());
    EXPECT_EQ((*runs)[1].append.count, 1u);
    EXPECT_EQ((*runs)[1].append.bytes, 3u);
    const auto runs_from = [&](u64 from, u64 max_bytes, u64 max_count) {
        return reads::append_runs(view, t, StreamId(1), Offset(from), max_bytes, max_count).value();
    };
    // Bounded by count and by bytes (whole appends, but never below one), and starting with the
    // append that holds the start offset.
    EXPECT_EQ(runs_from(0, 1 << 20, 2).size(), 1u);
    EXPECT_EQ(runs_from(0, 3, 10).size(), 1u);
    EXPECT_EQ(runs_from(0, 0, 10).size(), 1u);
    EXPECT_EQ(runs_from(1, 1 << 20, 1).size(), 1u);
    EXPECT_EQ(runs_from(1, 1 << 20, 2).size(), 2u);
    EXPECT_EQ(runs_from(1, 1 << 20, 2).front().first, Offset(0));
    EXPECT_EQ(runs_from(2, 1, 10).size(), 1u);
    EXPECT_EQ(runs_from(2, 1, 10).front().first, Offset(2));
    EXPECT_EQ(runs_from(3, 100, 10).size(), 0u);
    EXPECT_EQ(reads::append_runs(view, t, StreamId(2), Offset(0), 100, 10)->size(), 0u);
    EXPECT_FALSE(*reads::stream_info(view, t, StreamId(2)));
    expect_hash_recomputes(h);
}

TEST(Kernel, OffsetMismatchAndUnknownStreamsChangeNothing) {
    KernelHarness h(5);
    h.apply(create_tenant_op("t"));
    const TenantId t(1);
    h.apply(tenant_op(t, CreateStreamOp{.name = "s"}));
    const InternalHash before = h.kernel->state_hash().digest();
    ApplyResult mismatch = h.apply(tenant_op(
        t, AppendBatchOp{
               .stream = StreamId(1), .expected_offset = Offset(5), .events = {bytes_of("x")}}));
    EXPECT_EQ(mismatch.outcome, Outcome::offset_mismatch);
    EXPECT_NE(mismatch.detail.find("expected offset 5"), std::string::npos) << mismatch.detail;
    EXPECT_EQ(h.apply(tenant_op(t, AppendBatchOp{.stream = StreamId(9)})).outcome,
              Outcome::no_such_stream);
    EXPECT_EQ(h.kernel->state_hash().digest(), before);
    EXPECT_EQ(h.kernel->catalog().tenant(t)->stream(StreamId(1))->next_offset, Offset(0));
}

TEST(Kernel, DeletedStreamsKeepTheirEvents) {
    KernelHarness h(6);
    h.apply(create_tenant_op("t"));
    const TenantId t(1);
    h.apply(tenant_op(t, CreateStreamOp{.name = "s"}));
    h.apply(tenant_op(t, AppendBatchOp{.stream = StreamId(1), .events = {bytes_of("kept")}}));
    ASSERT_EQ(h.apply(tenant_op(t, DeleteStreamOp{.stream = StreamId(1)})).outcome, Outcome::ok);
    const Position deleted = h.kernel->applied();
    EXPECT_EQ(h.apply(tenant_op(t, AppendBatchOp{.stream = StreamId(1)})).outcome,
              Outcome::stream_deleted);
    EXPECT_EQ(h.apply(tenant_op(t, DeleteStreamOp{.stream = StreamId(1)})).outcome,
              Outcome::stream_deleted);
    // The name is free again; the new stream gets a new id.
    EXPECT_EQ(h.apply(tenant_op(t, CreateStreamOp{.name = "s"})).stream, StreamId(2));

    const store::Snapshot view = h.published();
    auto runs = reads::append_runs(view, t, StreamId(1), Offset(0), 100, 10);
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ((*runs)[0].append.digest, trees::events_digest(std::vector<Bytes>{bytes_of("kept")}));
    EXPECT_EQ((*reads::stream_info(view, t, StreamId(1)))->deleted, deleted);
    expect_hash_recomputes(h);
}

TEST(Kernel, SequenceReservationsPersist) {
    KernelHarness h(7);
    h.apply(create_tenant_op("t"));
    const TenantId t(1);
    TransactionOp create;
    create.ddl.push_back(CreateSequenceChange{.schema = {.id = SequenceId(1), .name = "seq"}});
    ASSERT_EQ(h.apply(tenant_op(t, create)).outcome, Outcome::ok);
    ApplyResult first =
        h.apply(tenant_op(t, ReserveSequenceOp{.sequence = SequenceId(1), .count = 10}));
    EXPECT_EQ(first.block, (SequenceBlock{.first = 1, .increment = 1, .count = 10}));
    EXPECT_EQ(
        h.apply(tenant_op(t, ReserveSequenceOp{.sequence = SequenceId(2), .count = 1})).outcome,
        Outcome::no_such_sequence);
    expect_hash_recomputes(h);
    h.reopen();
    ApplyResult second =
        h.apply(tenant_op(t, ReserveSequenceOp{.sequence = SequenceId(1), .count = 5}));
    EXPECT_EQ(second.block.first, 11);
    expect_hash_recomputes(h);
}

// Values a transaction drew from a sequence it created travel with its op: apply reserves
// them again, so the sequence continues after them; no other sequence can be advanced so.
TEST(Kernel, TransactionsAdvanceOnlySequencesTheyCreate) {
    KernelHarness h(9);
    h.apply(create_tenant_op("t"));
    const TenantId t(1);
    TransactionOp create;
    create.ddl.push_back(CreateSequenceChange{.schema = {.id = SequenceId(1), .name = "seq"}});
    create.ddl.push_back(AdvanceSequenceChange{.sequence = SequenceId(1), .count = 3});
    create.ddl.push_back(AdvanceSequenceChange{.sequence = SequenceId(1), .count = 2});
    ASSERT_EQ(h.apply(tenant_op(t, create)).outcome, Outcome::ok);
    ApplyResult next =
        h.apply(tenant_op(t, ReserveSequenceOp{.sequence = SequenceId(1), .count = 1}));
    EXPECT_EQ(next.block.first, 6);

    TransactionOp later;
    later.ddl.push_back(AdvanceSequenceChange{.sequence = SequenceId(1), .count = 100});
    EXPECT_EQ(h.apply(tenant_op(t, later)).outcome, Outcome::invalid_definition);
    TransactionOp missing;
    missing.ddl.push_back(AdvanceSequenceChange{.sequence = SequenceId(9), .count = 1});
    EXPECT_EQ(h.apply(tenant_op(t, missing)).outcome, Outcome::no_such_sequence);
    expect_hash_recomputes(h);
    h.reopen();
    EXPECT_EQ(
        h.apply(tenant_op(t, ReserveSequenceOp{.sequence = SequenceId(1), .count = 1})).block.first,
        7);
}

TEST(Kernel, SettingsAreReplicatedStateAndPersist) {
    KernelHarness h(8);
    EXPECT_EQ(h.apply(testing::configure_op(0)).outcome, Outcome::invalid_definition);
    EXPECT_TRUE(h.kernel->state_hash().is_empty());
    ASSERT_EQ(h.apply(testing::configure_op(77)).outcome, Outcome::ok);
    EXPECT_EQ(h.kernel->settings().idempotency_retention_positions, 77u);
    EXPECT_FALSE(h.kernel->state_hash().is_empty());
    expect_hash_recomputes(h);
    h.reopen();
    EXPECT_EQ(h.kernel->settings().idempotency_retention_positions, 77u);
    // Back to the default: the setting leaves the hash (so a new setting added later changes
    // no existing hash).
    h.apply(testing::configure_op(Settings{}.idempotency_retention_positions));
    EXPECT_TRUE(h.kernel->state_hash().is_empty());
    expect_hash_recomputes(h);
}

TEST(Kernel, ReopenRestoresEverything) {
    KernelHarness h(9);
    h.apply(create_tenant_op("t"));
    const TenantId t(1);
    h.apply(tenant_op(t, CreateStreamOp{.name = "s"}));
    h.apply(tenant_op(t, AppendBatchOp{.stream = StreamId(1), .events = {bytes_of("e")}}));
    h.apply(testing::configure_op(9));
    const Catalog catalog = h.kernel->catalog();
    const StateHash hash = h.kernel->state_hash();
    const Position applied = h.kernel->applied();
    h.reopen();
    EXPECT_EQ(h.kernel->applied(), applied);
    EXPECT_EQ(h.kernel->catalog(), catalog);
    EXPECT_EQ(h.kernel->state_hash(), hash);
    EXPECT_EQ(h.kernel->settings().idempotency_retention_positions, 9u);
    // It continues where it stopped.
    EXPECT_EQ(h.apply(tenant_op(t, AppendBatchOp{.stream = StreamId(1),
                                                 .expected_offset = Offset(1),
                                                 .events = {bytes_of("f")}}))
                  .first_offset,
              Offset(1));
    expect_hash_recomputes(h);
}

TEST(Kernel, CrashLosesOnlyWhatWasNotCheckpointed) {
    KernelHarness h(10);
    h.apply(create_tenant_op("t"));
    h.apply(tenant_op(TenantId(1), CreateStreamOp{.name = "s"}));
    ASSERT_TRUE(h.checkpoint().is_ok());
    const StateHash durable = h.kernel->state_hash();
    h.apply(tenant_op(TenantId(1), AppendBatchOp{.stream = StreamId(1), .events = {{1, 2}}}));
    (void)h.published();  // published but not durable
    h.crash_and_reopen();
    EXPECT_EQ(h.kernel->applied(), Position(2));
    EXPECT_EQ(h.kernel->state_hash(), durable);
}

TEST(Kernel, OpenRefusesUnknownMetaVersion) {
    KernelHarness h(11);
    h.apply(create_tenant_op("t"));
    ASSERT_TRUE(h.kernel->publish().is_ok());
    Bytes meta(h.store->snapshot().meta().begin(), h.store->snapshot().meta().end());
    meta[0] = 9;
    ASSERT_TRUE(h.store->publish(h.kernel->applied(), meta).is_ok());
    auto opened = Kernel::open(*h.store);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.status().code(), StatusCode::unsupported);
    // Version 1 counted every event in the state hash on its own, version 2 kept a copy of every
    // event in the events tree: both refused, with the way out.
    for (const u8 older : {u8{1}, u8{2}}) {
        meta[0] = older;
        ASSERT_TRUE(h.store->publish(h.kernel->applied(), meta).is_ok());
        opened = Kernel::open(*h.store);
        ASSERT_FALSE(opened);
        EXPECT_EQ(opened.status().code(), StatusCode::unsupported);
        EXPECT_NE(opened.status().message().find("kmb rebuild"), std::string::npos);
    }
    meta.resize(40);
    meta[0] = kKernelMetaFormatVersion;
    ASSERT_TRUE(h.store->publish(h.kernel->applied(), meta).is_ok());
    EXPECT_EQ(Kernel::open(*h.store).status().code(), StatusCode::corruption);
}

TEST(Kernel, TimestampIndexFindsTheNewestPositionAtOrBefore) {
    KernelHarness h(12);
    h.apply(create_tenant_op("a"), Timestamp(100));               // 1
    h.apply(create_tenant_op("b"), Timestamp(100));               // 2
    h.apply(create_tenant_op("c"), Timestamp(200), Position(5));  // 5
    h.apply(create_tenant_op("c"), Timestamp(300));               // 6 (refused)
    {
        const store::Snapshot view = h.published();
        auto at = [&](u64 t) { return reads::position_for_timestamp(view, Timestamp(t)).value(); };
        EXPECT_EQ(at(99), std::nullopt);
        EXPECT_EQ(at(100), Position(2));
        EXPECT_EQ(at(199), Position(2));
        EXPECT_EQ(at(200), Position(5));
        EXPECT_EQ(at(250), Position(5));
        EXPECT_EQ(at(300), Position(6));
        EXPECT_EQ(at(~u64{0}), Position(6));
    }
    // It survives a reopen, and later ops extend it.
    h.reopen();
    h.apply(create_tenant_op("d"), Timestamp(400));
    const store::Snapshot later = h.published();
    EXPECT_EQ(reads::position_for_timestamp(later, Timestamp(350)).value(), Position(6));
    EXPECT_EQ(reads::position_for_timestamp(later, Timestamp(400)).value(), Position(7));
}

TEST(Kernel, SnapshotsSeeOnlyWhatWasPublished) {
    KernelHarness h(13);
    h.apply(create_tenant_op("t"));
    h.apply(tenant_op(TenantId(1), CreateStreamOp{.name = "s"}));
    const store::Snapshot before = h.published();
    h.apply(tenant_op(TenantId(1), AppendBatchOp{.stream = StreamId(1), .events = {{7}}}));
    const store::Snapshot after = h.published();
    EXPECT_EQ((*reads::stream_info(before, TenantId(1), StreamId(1)).value()).next_offset,
              Offset(0));
    EXPECT_EQ((*reads::stream_info(after, TenantId(1), StreamId(1)).value()).next_offset,
              Offset(1));
    EXPECT_EQ(reads::append_runs(before, TenantId(1), StreamId(1), Offset(0), 10, 10)->size(), 0u);
    EXPECT_EQ(reads::append_runs(after, TenantId(1), StreamId(1), Offset(0), 10, 10)->size(), 1u);
    auto catalog = reads::catalog(after);
    ASSERT_TRUE(catalog);
    EXPECT_EQ(*catalog, h.kernel->catalog());
}

}  // namespace
}  // namespace kb::kernel
