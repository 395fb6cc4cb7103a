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

Op role_op(RoleOp op, PrincipalId by) {
    return Op{.tenant = TenantId(0), .principal = by, .body = std::move(op)};
}

TEST(Permissions, RoleAndGrantOpsAreAccessesToRolesAndTenants) {
    EXPECT_EQ(permission_request_for(role_op({.action = RoleAction::create, .name = "x"}, kAdmin),
                                     nullptr, Position(1))
                  .objects,
              (std::vector<ObjectAccess>{{ObjectKind::role, 0, Access::create}}));
    RoleOp password{.action = RoleAction::alter, .roles = {kAlice}};
    password.attributes.verifier = "SCRAM-SHA-256$x";
    EXPECT_EQ(permission_request_for(role_op(password, kAlice), nullptr, Position(1)).objects,
              (std::vector<ObjectAccess>{{ObjectKind::role, 7, Access::password}}));
    password.attributes.login = true;
    EXPECT_EQ(permission_request_for(role_op(password, kAlice), nullptr, Position(1)).objects,
              (std::vector<ObjectAccess>{{ObjectKind::role, 7, Access::alter}}));
    Op grant{.tenant = TenantId(0),
             .principal = kAdmin,
             .body = GrantOp{.tenant = TenantId(3), .privileges = {Privilege::connect}}};
    EXPECT_EQ(permission_request_for(grant, nullptr, Position(1)).objects,
              (std::vector<ObjectAccess>{{ObjectKind::tenant, 3, Access::grant}}));
}

TEST(Permissions, ASequenceOwnedByATableIsThatTablesUsage) {
    Catalog catalog = catalog_with_table();
    SequenceSchema owned{.id = SequenceId(5), .name = "accounts_id_seq"};
    owned.owner_table = TableId(3);
    owned.owner_column = ColumnId(1);
    ASSERT_EQ(catalog.tenant(TenantId(1))->create_sequence(owned, Position(3)), Outcome::ok);
    Op reserve{.tenant = TenantId(1), .body = ReserveSequenceOp{SequenceId(5), 10}};
    EXPECT_EQ(permission_request_for(reserve, catalog.tenant(TenantId(1)), Position(4)).objects,
              (std::vector<ObjectAccess>{{ObjectKind::table, 3, Access::usage}}));
}

// The database's rule, object by object, for a role without SUPERUSER.
TEST(Permissions, GrantRules) {
    Catalog catalog = catalog_with_table();
    AccessControl access;
    std::string detail;
    ASSERT_EQ(access.apply(RoleOp{.action = RoleAction::create, .name = "alice"}, Position(3),
                           catalog, &detail, nullptr),
              Outcome::ok);
    ASSERT_EQ(
        access.apply(
            RoleOp{.action = RoleAction::create, .name = "root", .attributes = {.superuser = true}},
            Position(4), catalog, &detail, nullptr),
        Outcome::ok);
    const PrincipalId alice = access.find_role("alice")->principal;
    const PrincipalId root = access.find_role("root")->principal;
    const GrantPermissions rule;
    const PermissionContext context{.access = &access, .catalog = &catalog};
    auto decide = [&](PrincipalId who, TenantId tenant, std::vector<ObjectAccess> objects) {
        PermissionRequest request{.principal = who, .tenant = tenant, .position = Position(9)};
        request.objects = std::move(objects);
        return rule.check(request, context);
    };
    auto grant = [&](Privilege privilege, u64 table) {
        GrantOp op{.target = table == 0 ? GrantTarget::database : GrantTarget::tables,
                   .tenant = TenantId(1),
                   .privileges = {privilege},
                   .roles = {alice}};
        if (table != 0) op.tables = {TableId(table)};
        ASSERT_EQ(access.apply(op, kAdmin, Position(5), catalog, &detail, nullptr), Outcome::ok)
            << detail;
    };
    const ObjectAccess insert{ObjectKind::table, 3, Access::insert};
    const ObjectAccess read{ObjectKind::table, 3, Access::read};
    const ObjectAccess usage{ObjectKind::table, 3, Access::usage};

    EXPECT_TRUE(decide(kAdmin, TenantId(1), {insert}).allowed()) << "built in";
    EXPECT_TRUE(decide(root, TenantId(1), {insert}).allowed()) << "superuser";
    EXPECT_FALSE(decide(PrincipalId(99), TenantId(1), {}).allowed()) << "no role";
    PermissionDecision no_connect = decide(alice, TenantId(1), {read});
    EXPECT_FALSE(no_connect.allowed()) << "anything in a tenant needs CONNECT";
    EXPECT_NE(no_connect.reason.find("database default"), std::string::npos) << no_connect.reason;

    grant(Privilege::connect, 0);
    EXPECT_TRUE(decide(alice, TenantId(1), {read}).allowed()) << "reads are the session's check";
    EXPECT_EQ(decide(alice, TenantId(1), {insert}).reason, "permission denied for table accounts");
    EXPECT_FALSE(decide(alice, TenantId(1), {usage}).allowed());
    grant(Privilege::insert, 3);
    EXPECT_TRUE(decide(alice, TenantId(1), {read, insert, usage}).allowed());
    EXPECT_FALSE(decide(alice, TenantId(1), {{ObjectKind::table, 3, Access::remove}}).allowed());
    EXPECT_FALSE(decide(alice, TenantId(1), {{ObjectKind::table, 3, Access::truncate}}).allowed());
    grant(Privilege::truncate, 3);
    EXPECT_TRUE(decide(alice, TenantId(1), {{ObjectKind::table, 3, Access::truncate}}).allowed());

    // Superusers only: schema changes, streams, sequences, tenants, settings, roles, grants.
    for (const ObjectAccess& object :
         std::vector<ObjectAccess>{{ObjectKind::tenant, 1, Access::create},
                                   {ObjectKind::table, 3, Access::drop},
                                   {ObjectKind::table, 3, Access::alter},
                                   {ObjectKind::stream, 1, Access::append},
                                   {ObjectKind::sequence, 5, Access::usage},
                                   {ObjectKind::tenant, 1, Access::grant},
                                   {ObjectKind::role, 0, Access::create},
                                   {ObjectKind::role, root.value(), Access::password}}) {
        EXPECT_FALSE(decide(alice, TenantId(1), {object}).allowed())
            << object_kind_name(object.kind) << " " << access_name(object.access);
    }
    EXPECT_FALSE(decide(alice, TenantId(0), {{ObjectKind::tenant, 0, Access::alter}}).allowed());
    EXPECT_TRUE(
        decide(alice, TenantId(0), {{ObjectKind::role, alice.value(), Access::password}}).allowed())
        << "a role may set its own password";
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
