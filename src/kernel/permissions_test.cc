// Tests of the permission hook: what each op is described as, the admin default and the
// scripted test double.
#include "kernel/permissions.h"

#include <gtest/gtest.h>

#include "kernel/catalog_test_support.h"

namespace kb::kernel {
namespace {

using testing::simple_table;

constexpr PrincipalId kAdmin(1);
constexpr PrincipalId kAlice(7);

Catalog catalog_with_table() {
    Catalog catalog;
    KB_ASSERT(catalog.create_tenant(testing::test_tenant(1, "default"), Position(1)) ==
              Outcome::ok);
    TableSchema accounts = simple_table(3, "accounts");
    accounts.uniques.push_back(
        {.name = "accounts_c2_key", .columns = {ColumnId(2)}, .index = IndexId(4)});
    KB_ASSERT(catalog.tenant(TenantId(1))->create_table(accounts, {}, Position(2)) == Outcome::ok);
    return catalog;
}

TEST(Permissions, StreamAndSequenceOps) {
    Op append{
        .tenant = TenantId(1), .principal = kAlice, .body = AppendBatchOp{.stream = StreamId(5)}};
    PermissionRequest request = permission_request_for(append, nullptr, Position(9));
    EXPECT_EQ(request.principal, kAlice);
    EXPECT_EQ(request.tenant, TenantId(1));
    EXPECT_EQ(request.op, OpKind::append_batch);
    EXPECT_EQ(request.position, Position(9));
    EXPECT_EQ(request.objects,
              (std::vector<ObjectAccess>{{ObjectKind::stream, 5, Access::append}}));

    Op reserve{.tenant = TenantId(1), .body = ReserveSequenceOp{SequenceId(6), 10}};
    EXPECT_EQ(permission_request_for(reserve, nullptr, Position(9)).objects,
              (std::vector<ObjectAccess>{{ObjectKind::sequence, 6, Access::usage}}));
    Op create{.tenant = TenantId(1), .body = CreateStreamOp{.name = "s"}};
    EXPECT_EQ(permission_request_for(create, nullptr, Position(9)).objects,
              (std::vector<ObjectAccess>{{ObjectKind::tenant, 1, Access::create}}));
}

TEST(Permissions, TransactionTouchesTablesNotIndexes) {
    Catalog catalog = catalog_with_table();
    TransactionOp txn{.snapshot = Position(2)};
    txn.reads.keys.push_back({.object = ObjectId(4), .key = {1}});  // the unique index
    txn.reads.ranges.push_back({.object = ObjectId(3)});
    txn.reads.absent_keys.push_back({.object = ObjectId(4), .key = {2}});
    txn.reads.parent_keys.push_back({.object = ObjectId(8), .key = {2}});
    txn.effects.push_back({.kind = RowEffectKind::insert, .table = TableId(3), .key = {2}});
    txn.effects.push_back({.kind = RowEffectKind::insert, .table = TableId(3), .key = {3}});
    txn.effects.push_back({.kind = RowEffectKind::remove, .table = TableId(3), .key = {1}});
    txn.ddl.push_back(CreateTableChange{.schema = simple_table(5, "new")});
    txn.ddl.push_back(DropIndexChange{.index = IndexId(4)});
    txn.ddl.push_back(TruncateTableChange{.table = TableId(9)});
    Op op{.tenant = TenantId(1), .principal = kAlice, .body = txn};

    PermissionRequest request =
        permission_request_for(op, catalog.tenant(TenantId(1)), Position(10));
    const std::vector<ObjectAccess> expected = {
        {ObjectKind::tenant, 1, Access::create}, {ObjectKind::table, 3, Access::read},
        {ObjectKind::table, 3, Access::insert},  {ObjectKind::table, 3, Access::remove},
        {ObjectKind::table, 3, Access::alter},   {ObjectKind::table, 9, Access::truncate},
    };
    EXPECT_EQ(request.objects, expected);
    EXPECT_EQ(permission_request_for(op, catalog.tenant(TenantId(1)), Position(10)), request)
        << "deterministic";
}

TEST(Permissions, AdminsMayDoEverythingOthersNothingYet) {
    AdminPermissions checker({kAdmin});
    Op op{.tenant = TenantId(1), .principal = kAdmin, .body = DeleteStreamOp{StreamId(1)}};
    EXPECT_TRUE(checker.check(permission_request_for(op, nullptr, Position(3))).allowed());
    op.principal = kAlice;
    PermissionDecision denied = checker.check(permission_request_for(op, nullptr, Position(3)));
    EXPECT_EQ(denied.outcome, Outcome::permission_denied);
    EXPECT_NE(denied.reason.find("principal 7"), std::string::npos) << denied.reason;
}

TEST(Permissions, ScriptedDoubleDeniesWhatItIsTold) {
    ScriptedPermissions checker;
    checker.deny(kAlice, {ObjectKind::table, 3, Access::insert});
    checker.deny(PrincipalId(0), {ObjectKind::stream, 2, Access::append});

    TransactionOp insert;
    insert.effects.push_back({.kind = RowEffectKind::insert, .table = TableId(3), .key = {1}});
    Op alice{.tenant = TenantId(1), .principal = kAlice, .body = insert};
    PermissionDecision decision =
        checker.check(permission_request_for(alice, nullptr, Position(4)));
    EXPECT_EQ(decision.outcome, Outcome::permission_denied);
    EXPECT_EQ(decision.reason, "principal 7 may not insert into table 3");

    Op admin = alice;
    admin.principal = kAdmin;
    EXPECT_TRUE(checker.check(permission_request_for(admin, nullptr, Position(4))).allowed());

    Op append{.tenant = TenantId(1), .principal = kAdmin, .body = AppendBatchOp{StreamId(2)}};
    EXPECT_FALSE(checker.check(permission_request_for(append, nullptr, Position(5))).allowed())
        << "a rule for principal 0 applies to everyone";
    ASSERT_EQ(checker.requests().size(), 3u);
    EXPECT_EQ(checker.requests()[2].op, OpKind::append_batch);
}

}  // namespace
}  // namespace kb::kernel
