// Admission: decisions against applied state plus pending ops, undone by abandon and
// truncate_after, idempotent repeats answered without logging, grants, and the index keys a
// transaction's write set carries.
#include <gtest/gtest.h>

#include "kernel/admission.h"
#include "kernel/catalog_test_support.h"
#include "kernel/kernel_test_support.h"

namespace kb::kernel {
namespace {

using testing::create_tenant_op;
using testing::KernelHarness;
using testing::tenant_op;

class AdmissionTest : public ::testing::Test {
protected:
    void SetUp() override {
        harness.apply(create_tenant_op("t"));
        tenant = harness.kernel->catalog().find_tenant("t")->info().id;
        harness.apply(tenant_op(tenant, CreateStreamOp{.name = "s"}));
        stream = harness.kernel->catalog().tenant(tenant)->find_stream("s")->id;
        admission = std::make_unique<Admission>(*harness.kernel, *harness.store, permissions);
    }

    Op append(std::optional<Offset> expected, IdempotencyId id = {}) {
        AppendBatchOp op;
        op.stream = stream;
        op.expected_offset = expected;
        op.idempotency = id;
        op.events.push_back(testing::bytes_of("event"));
        return tenant_op(tenant, std::move(op));
    }

    Position next() { return Position(harness.kernel->applied().value() + 1 + admitted_); }

    // Admits at the next free position; on ok counts it as pending.
    AdmitResult admit(const Op& op) {
        const Position at = next();
        auto result = admission->admit(op, at);
        EXPECT_TRUE(result.has_value()) << result.status().to_string();
        if (result && result->admitted()) {
            pending.push_back({op, at});
            ++admitted_;
        }
        return result ? *result : AdmitResult{};
    }

    // Applies every pending op, as the engine does once they are durable.
    void apply_pending() {
        for (const auto& [op, at] : pending) {
            harness.apply(op, std::nullopt, at);
            admission->applied(at);
        }
        pending.clear();
        admitted_ = 0;
    }

    KernelHarness harness{3};
    AdminPermissions permissions{{PrincipalId(0), PrincipalId(1)}};
    std::unique_ptr<Admission> admission;
    TenantId tenant;
    StreamId stream;
    std::vector<std::pair<Op, Position>> pending;
    u64 admitted_ = 0;
};

TEST_F(AdmissionTest, PendingOpsCountBeforeTheyAreApplied) {
    EXPECT_TRUE(admit(append(Offset(0))).admitted());
    // The first append is not applied yet, but the next offset already moved.
    EXPECT_EQ(admit(append(Offset(0))).outcome, Outcome::offset_mismatch);
    EXPECT_TRUE(admit(append(Offset(1))).admitted());
    EXPECT_TRUE(admit(tenant_op(tenant, CreateStreamOp{.name = "new"})).admitted());
    EXPECT_EQ(admit(tenant_op(tenant, CreateStreamOp{.name = "new"})).outcome,
              Outcome::stream_exists);
    EXPECT_EQ(admission->pending_ops(), 3u);
    apply_pending();
    EXPECT_EQ(admission->pending_ops(), 0u);
    EXPECT_EQ(harness.kernel->catalog().tenant(tenant)->stream(stream)->next_offset, Offset(2));
    EXPECT_TRUE(admit(append(Offset(2))).admitted());
}

TEST_F(AdmissionTest, AbandonAndTruncateUndoPendingState) {
    EXPECT_TRUE(admit(append(Offset(0))).admitted());
    EXPECT_TRUE(admit(tenant_op(tenant, CreateStreamOp{.name = "x"})).admitted());
    // The newest op was never logged.
    admission->abandon(pending.back().second);
    pending.pop_back();
    --admitted_;
    EXPECT_TRUE(admit(tenant_op(tenant, CreateStreamOp{.name = "x"})).admitted());
    // A view change drops everything after the first op.
    admission->truncate_after(pending.front().second);
    pending.resize(1);
    admitted_ = 1;
    EXPECT_EQ(admission->pending_ops(), 1u);
    EXPECT_EQ(admit(append(Offset(0))).outcome, Outcome::offset_mismatch);  // the first stays
    EXPECT_TRUE(admit(tenant_op(tenant, CreateStreamOp{.name = "x"})).admitted());
    apply_pending();
}

TEST_F(AdmissionTest, AppliedRepeatsAreAnsweredWithoutLogging) {
    const IdempotencyId id = testing::idempotency_id(5);
    EXPECT_TRUE(admit(append(Offset(0), id)).admitted());
    // In flight: logged as is, whatever its expected offset; apply returns the original.
    EXPECT_TRUE(admit(append(Offset(0), id)).admitted());
    apply_pending();
    auto repeat = admit(append(Offset(0), id));
    ASSERT_TRUE(repeat.repeat.has_value());
    EXPECT_FALSE(repeat.admitted());
    EXPECT_TRUE(repeat.repeat->repeated);
    EXPECT_EQ(repeat.repeat->first_offset, Offset(0));
    EXPECT_EQ(harness.kernel->catalog().tenant(tenant)->stream(stream)->next_offset, Offset(1));
}

TEST_F(AdmissionTest, GrantsAreCheckedAndTenantsMustExist) {
    Op denied = append(std::nullopt);
    denied.principal = PrincipalId(42);
    auto result = admit(denied);
    EXPECT_EQ(result.outcome, Outcome::permission_denied);
    EXPECT_FALSE(result.detail.empty());
    EXPECT_EQ(admit(tenant_op(TenantId(99), CreateStreamOp{.name = "s"})).outcome,
              Outcome::no_such_tenant);
    EXPECT_EQ(admit(create_tenant_op("t")).outcome, Outcome::tenant_exists);
    EXPECT_EQ(admission->next_tenant_id(), TenantId(tenant.value() + 1));
}

TEST_F(AdmissionTest, TransactionsAreCheckedAgainstTheirTablesAndPendingRows) {
    const TableSchema table = testing::simple_table(1, "items", 1);
    IndexSchema index;
    index.id = IndexId(2);
    index.table = table.id;
    index.name = "items_c2";
    index.columns = {IndexColumn{.column = ColumnId(2)}};
    TransactionOp ddl;
    ddl.snapshot = harness.kernel->applied();
    ddl.ddl = {CreateTableChange{.schema = table}, CreateIndexChange{.schema = index}};
    ASSERT_TRUE(admit(tenant_op(tenant, ddl)).admitted());

    // Rows into the table created by the pending op; its second insert of a key is refused.
    auto row = [&](i64 id, std::string value) {
        return std::vector<Value>{Value::int64(id), Value::text(std::move(value))};
    };
    TransactionOp insert;
    insert.snapshot = harness.kernel->applied();
    insert.effects = {testing::insert_effect(table, row(1, "one"))};
    ASSERT_TRUE(admit(tenant_op(tenant, insert)).admitted());
    EXPECT_EQ(admit(tenant_op(tenant, insert)).outcome, Outcome::unique_violation);
    apply_pending();

    // An update of the row: its write set holds the old index key (from the applied row) as
    // well as the new one, so a transaction that read the old index key on a snapshot before
    // the update conflicts, though it never read the row itself.
    TransactionOp reader;
    reader.snapshot = harness.kernel->applied();
    TableKeys keys(table, {&index});
    const auto old_values = row(1, "one");
    reader.reads.keys.push_back(
        KeyRef{object_of(index.id),
               *keys.index_key(0, old_values, testing::primary_key(table, old_values))});
    TransactionOp update;
    update.snapshot = harness.kernel->applied();
    update.effects = {testing::update_effect(table, row(1, "uno"))};
    ASSERT_TRUE(admit(tenant_op(tenant, update)).admitted());
    EXPECT_EQ(admit(tenant_op(tenant, reader)).outcome, Outcome::serialization_conflict);

    // Effects that contradict their table never reach the log.
    TransactionOp bad_key;
    bad_key.snapshot = harness.kernel->applied();
    RowEffect effect = testing::insert_effect(table, row(2, "two"));
    effect.key = testing::primary_key(table, row(3, "three"));
    bad_key.effects = {effect};
    EXPECT_EQ(admit(tenant_op(tenant, bad_key)).outcome, Outcome::invalid_effect);
    TransactionOp missing;
    missing.snapshot = harness.kernel->applied();
    missing.effects = {testing::remove_effect(table, row(9, ""))};
    EXPECT_EQ(admit(tenant_op(tenant, missing)).outcome, Outcome::invalid_effect);
    TransactionOp no_table;
    no_table.snapshot = harness.kernel->applied();
    no_table.effects = {testing::insert_effect(testing::simple_table(7, "nope", 1), row(1, ""))};
    EXPECT_EQ(admit(tenant_op(tenant, no_table)).outcome, Outcome::no_such_table);

    // What admission let through applies cleanly.
    const Position last = pending.back().second;
    apply_pending();
    EXPECT_EQ(harness.kernel->applied(), last);
    auto stored = reads::row_get(harness.published(), tenant, table.id,
                                 testing::primary_key(table, row(1, "")), last);
    ASSERT_TRUE(stored.has_value() && stored->has_value());
    EXPECT_EQ(**stored, testing::image(table, row(1, "uno")));
}

// Pending rows view the bytes of the ops that wrote them: a row written by two pending ops must
// keep the newer op's image (and key) once the older op is applied and gone.
TEST_F(AdmissionTest, PendingRowsOutliveTheOpsTheyReplaced) {
    const TableSchema table = testing::simple_table(1, "items", 1);
    TransactionOp ddl;
    ddl.snapshot = harness.kernel->applied();
    ddl.ddl = {CreateTableChange{.schema = table}};
    ASSERT_TRUE(admit(tenant_op(tenant, ddl)).admitted());
    apply_pending();
    auto row = [&](i64 id, std::string value) {
        return std::vector<Value>{Value::int64(id), Value::text(std::move(value))};
    };
    auto txn = [&](std::vector<RowEffect> effects) {
        TransactionOp op;
        op.snapshot = harness.kernel->applied();
        op.effects = std::move(effects);
        return tenant_op(tenant, op);
    };
    {
        // Admitted from a temporary: admission keeps its own copy.
        ASSERT_TRUE(admit(txn({testing::insert_effect(table, row(1, "one")),
                               testing::insert_effect(table, row(2, "two"))}))
                        .admitted());
    }
    ASSERT_TRUE(admit(txn({testing::update_effect(table, row(1, "uno"))})).admitted());
    // Apply only the first op: the second's pending image of row 1 must stay readable.
    const auto first = pending.front();
    harness.apply(first.first, std::nullopt, first.second);
    admission->applied(first.second);
    pending.erase(pending.begin());
    EXPECT_EQ(admission->pending_ops(), 1u);
    EXPECT_EQ(admit(txn({testing::insert_effect(table, row(1, "again"))})).outcome,
              Outcome::unique_violation);
    ASSERT_TRUE(admit(txn({testing::remove_effect(table, row(1, ""))})).admitted());
    // Removed by a pending op: an update is refused, an insert admitted.
    EXPECT_EQ(admit(txn({testing::update_effect(table, row(1, "x"))})).outcome,
              Outcome::invalid_effect);
    ASSERT_TRUE(admit(txn({testing::insert_effect(table, row(1, "back"))})).admitted());
    // Two effects on one key are refused whatever their order.
    EXPECT_EQ(admit(txn({testing::insert_effect(table, row(3, "a")),
                         testing::insert_effect(table, row(4, "b")),
                         testing::insert_effect(table, row(3, "c"))}))
                  .outcome,
              Outcome::invalid_effect);
    EXPECT_EQ(admit(txn({testing::update_effect(table, row(2, "a")),
                         testing::update_effect(table, row(2, "b"))}))
                  .outcome,
              Outcome::invalid_effect);
    apply_pending();
    auto stored =
        reads::row_get(harness.published(), tenant, table.id,
                       testing::primary_key(table, row(1, "")), harness.kernel->applied());
    ASSERT_TRUE(stored.has_value() && stored->has_value());
    EXPECT_EQ(**stored, testing::image(table, row(1, "back")));
}

// A pending truncate hides the rows before it (applied or pending), not the rows its own op
// and later ops write.
TEST_F(AdmissionTest, PendingTruncatesHideOlderRows) {
    const TableSchema table = testing::simple_table(1, "items", 1);
    auto row = [&](i64 id, std::string value) {
        return std::vector<Value>{Value::int64(id), Value::text(std::move(value))};
    };
    auto txn = [&](std::vector<DdlChange> ddl, std::vector<RowEffect> effects) {
        TransactionOp op;
        op.snapshot = harness.kernel->applied();
        op.ddl = std::move(ddl);
        op.effects = std::move(effects);
        return tenant_op(tenant, op);
    };
    ASSERT_TRUE(admit(txn({CreateTableChange{.schema = table}},
                          {testing::insert_effect(table, row(1, "applied"))}))
                    .admitted());
    apply_pending();
    ASSERT_TRUE(admit(txn({}, {testing::insert_effect(table, row(2, "pending"))})).admitted());
    ASSERT_TRUE(admit(txn({TruncateTableChange{.table = table.id}},
                          {testing::insert_effect(table, row(3, "after"))}))
                    .admitted());
    // Rows 1 and 2 are gone as of the truncate; row 3 is there.
    EXPECT_EQ(admit(txn({}, {testing::update_effect(table, row(1, "x"))})).outcome,
              Outcome::invalid_effect);
    EXPECT_EQ(admit(txn({}, {testing::remove_effect(table, row(2, ""))})).outcome,
              Outcome::invalid_effect);
    EXPECT_EQ(admit(txn({}, {testing::insert_effect(table, row(3, "again"))})).outcome,
              Outcome::unique_violation);
    // Effects out of key order are looked up all the same.
    ASSERT_TRUE(admit(txn({}, {testing::insert_effect(table, row(9, "nine")),
                               testing::insert_effect(table, row(1, "one")),
                               testing::insert_effect(table, row(5, "five"))}))
                    .admitted());
    EXPECT_EQ(admit(txn({}, {testing::insert_effect(table, row(5, "x"))})).outcome,
              Outcome::unique_violation);
    ASSERT_TRUE(admit(txn({}, {testing::update_effect(table, row(1, "uno")),
                               testing::update_effect(table, row(9, "nueve"))}))
                    .admitted());
    apply_pending();
    EXPECT_TRUE(admit(txn({}, {testing::insert_effect(table, row(2, "two"))})).admitted());
    apply_pending();
}

// With the database's grant rules: role and grant ops are admitted against the pending roles
// and grants, and a REVOKE admitted before a write refuses it though the REVOKE is not applied
// (committed) yet; once it is gone again (a view change dropped it), the write passes.
class AdmissionGrantsTest : public AdmissionTest {
protected:
    void SetUp() override {
        harness.apply(create_tenant_op("t"));
        tenant = harness.kernel->catalog().find_tenant("t")->info().id;
        TransactionOp ddl;
        ddl.ddl = {CreateTableChange{.schema = table}};
        harness.apply(tenant_op(tenant, ddl));
        admission = std::make_unique<Admission>(*harness.kernel, *harness.store, grants);
    }
    Op system(OpBody body, PrincipalId by = kBootstrapPrincipal) {
        return Op{.tenant = TenantId(0), .principal = by, .body = std::move(body)};
    }
    Op grant_op(std::vector<Privilege> privileges, PrincipalId role, bool revoke = false) {
        const bool database = privileges.front() == Privilege::connect;
        return system(
            GrantOp{.revoke = revoke,
                    .target = database ? GrantTarget::database : GrantTarget::tables,
                    .tenant = tenant,
                    .tables = database ? std::vector<TableId>{} : std::vector<TableId>{table.id},
                    .privileges = std::move(privileges),
                    .roles = {role}});
    }
    Op insert_by(PrincipalId by, i64 id) {
        TransactionOp op;
        op.snapshot = harness.kernel->applied();
        op.effects = {testing::insert_effect(table, {Value::int64(id), Value::text("x")})};
        Op logged = tenant_op(tenant, op);
        logged.principal = by;
        return logged;
    }

    GrantPermissions grants;
    TableSchema table = testing::simple_table(1, "items", 1);
};

TEST_F(AdmissionGrantsTest, RoleAndGrantOpsCountWhilePending) {
    ASSERT_TRUE(admit(system(RoleOp{.action = RoleAction::create, .name = "alice"})).admitted());
    const PrincipalId alice = admission->pending_access().find_role("alice")->principal;
    EXPECT_EQ(admit(system(RoleOp{.action = RoleAction::create, .name = "alice"})).outcome,
              Outcome::role_exists);
    // A pending role can be granted to, and a pending grant lets its write through.
    ASSERT_TRUE(admit(grant_op({Privilege::connect}, alice)).admitted());
    EXPECT_EQ(admit(insert_by(alice, 1)).outcome, Outcome::permission_denied);
    ASSERT_TRUE(admit(grant_op({Privilege::insert}, alice)).admitted());
    ASSERT_TRUE(admit(insert_by(alice, 1)).admitted());
    EXPECT_EQ(admit(system(RoleOp{.action = RoleAction::drop, .roles = {alice}})).outcome,
              Outcome::dependent_objects_exist);
    apply_pending();
    EXPECT_EQ(harness.kernel->access(), admission->pending_access())
        << "apply reached what admission foresaw";
}

TEST_F(AdmissionGrantsTest, APendingRevokeStopsWritesOrderedAfterIt) {
    harness.apply(system(RoleOp{.action = RoleAction::create, .name = "alice"}));
    const PrincipalId alice = harness.kernel->access().find_role("alice")->principal;
    harness.apply(grant_op({Privilege::connect}, alice));
    harness.apply(grant_op({Privilege::insert}, alice));
    admission = std::make_unique<Admission>(*harness.kernel, *harness.store, grants);

    ASSERT_TRUE(admit(insert_by(alice, 1)).admitted()) << "before the revoke";
    ASSERT_TRUE(admit(grant_op({Privilege::insert}, alice, /*revoke=*/true)).admitted());
    const Position revoke_at = pending.back().second;
    const auto refused = admit(insert_by(alice, 2));
    EXPECT_EQ(refused.outcome, Outcome::permission_denied) << "the revoke is not applied yet";
    EXPECT_EQ(refused.detail, "permission denied for table items");
    // Non-superusers may not grant themselves anything back.
    EXPECT_EQ(admit(system(GrantOp{.target = GrantTarget::tables,
                                   .tenant = tenant,
                                   .tables = {table.id},
                                   .privileges = {Privilege::insert},
                                   .roles = {alice}},
                           alice))
                  .outcome,
              Outcome::permission_denied);

    // A view change drops the revoke: the write passes again.
    admission->truncate_after(revoke_at.prev());
    pending.pop_back();
    --admitted_;
    ASSERT_TRUE(admit(insert_by(alice, 2)).admitted());
    apply_pending();
    EXPECT_TRUE(harness.kernel->access().holds({alice, tenant, table.id, Privilege::insert}));
}

}  // namespace
}  // namespace kb::kernel
