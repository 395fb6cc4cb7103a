// Tests of the role and grant rules (access_control.h): names, ids, attributes, drops and their
// dependencies, grants on databases, tables and all tables, revokes, and the records' codecs.
#include "kernel/access_control.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kernel/catalog_test_support.h"

namespace kb::kernel {
namespace {

using testing::simple_table;

const std::string kVerifier = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";

RoleOp create(std::string name, RoleAttributes attributes = {}) {
    return RoleOp{.action = RoleAction::create, .name = std::move(name), .attributes = attributes};
}
RoleOp alter(PrincipalId role, RoleAttributes attributes) {
    return RoleOp{.action = RoleAction::alter, .roles = {role}, .attributes = attributes};
}
RoleOp drop(std::vector<PrincipalId> roles) {
    return RoleOp{.action = RoleAction::drop, .roles = std::move(roles)};
}
GrantOp on_tables(std::vector<Privilege> privileges, std::vector<TableId> tables,
                  std::vector<PrincipalId> roles, bool revoke = false) {
    return GrantOp{.revoke = revoke,
                   .target = GrantTarget::tables,
                   .tenant = TenantId(1),
                   .tables = std::move(tables),
                   .privileges = std::move(privileges),
                   .roles = std::move(roles)};
}
GrantOp connect(std::vector<PrincipalId> roles, bool revoke = false) {
    return GrantOp{.revoke = revoke,
                   .target = GrantTarget::database,
                   .tenant = TenantId(1),
                   .privileges = {Privilege::connect},
                   .roles = std::move(roles)};
}

class AccessControlTest : public ::testing::Test {
protected:
    void SetUp() override {
        KB_ASSERT(catalog.create_tenant(testing::test_tenant(1, "app"), Position(1)) ==
                  Outcome::ok);
        KB_ASSERT(catalog.tenant(TenantId(1))
                      ->create_table(simple_table(3, "accounts"), {}, Position(2)) == Outcome::ok);
        KB_ASSERT(
            catalog.tenant(TenantId(1))->create_table(simple_table(4, "orders"), {}, Position(3)) ==
            Outcome::ok);
    }

    Outcome role_op(const RoleOp& op, AccessChanges* changes = nullptr) {
        detail.clear();
        return access.apply(op, next(), catalog, &detail, changes);
    }
    Outcome grant_op(const GrantOp& op, AccessChanges* changes = nullptr) {
        detail.clear();
        return access.apply(op, kBootstrapPrincipal, next(), catalog, &detail, changes);
    }
    PrincipalId create_role(std::string name, RoleAttributes attributes = {}) {
        AccessChanges changes;
        EXPECT_EQ(role_op(create(std::move(name), attributes), &changes), Outcome::ok) << detail;
        return changes.roles_written.at(0);
    }
    Position next() { return at = at.next(); }

    Catalog catalog;
    AccessControl access;
    std::string detail;
    Position at{10};
};

TEST_F(AccessControlTest, RolesGetIncreasingIdsThatAreNeverReused) {
    const PrincipalId alice = create_role("alice");
    EXPECT_EQ(alice, PrincipalId(kFirstRolePrincipal));
    const PrincipalId bob = create_role("bob");
    EXPECT_EQ(bob.value(), alice.value() + 1);
    EXPECT_EQ(role_op(drop({bob})), Outcome::ok) << detail;
    EXPECT_EQ(create_role("bob").value(), alice.value() + 2) << "a dropped role's id stays taken";
    EXPECT_EQ(access.find_role("bob")->principal.value(), alice.value() + 2);
    EXPECT_EQ(access.role(bob), nullptr);
}

TEST_F(AccessControlTest, CreateChecksNamesAndDefaults) {
    EXPECT_EQ(role_op(create("")), Outcome::invalid_definition);
    EXPECT_EQ(role_op(create(std::string(64, 'x'))), Outcome::name_too_long);
    EXPECT_EQ(role_op(create(std::string(63, 'x'))), Outcome::ok);
    for (const char* reserved : {"public", "none", "pg_monitor"}) {
        EXPECT_EQ(role_op(create(reserved)), Outcome::reserved_name) << reserved;
        EXPECT_EQ(detail, "role name \"" + std::string(reserved) + "\" is reserved");
    }
    const PrincipalId alice = create_role("alice");
    EXPECT_EQ(role_op(create("alice")), Outcome::role_exists);
    EXPECT_EQ(detail, "role \"alice\" already exists");
    EXPECT_EQ(role_op(create("Alice")), Outcome::ok) << "names are case-sensitive once parsed";

    const RoleInfo& role = *access.role(alice);
    EXPECT_EQ(role.name, "alice");
    EXPECT_FALSE(role.login);
    EXPECT_FALSE(role.superuser);
    EXPECT_TRUE(role.verifier.empty());
    EXPECT_EQ(role.created, role.altered);
}

TEST_F(AccessControlTest, VerifiersOnlyNeverPasswords) {
    EXPECT_EQ(role_op(create("a", {.verifier = "hunter2"})), Outcome::invalid_definition);
    EXPECT_EQ(role_op(create("a", {.verifier = "SCRAM-SHA-256$" + std::string(2000, 'x')})),
              Outcome::invalid_definition);
    const PrincipalId a = create_role("a", {.login = true, .verifier = kVerifier});
    EXPECT_EQ(access.role(a)->verifier, kVerifier);
    EXPECT_EQ(role_op(alter(a, {.verifier = "md5abc"})), Outcome::invalid_definition);
    EXPECT_EQ(role_op(alter(a, {.verifier = ""})), Outcome::ok) << "PASSWORD NULL clears it";
    EXPECT_TRUE(access.role(a)->verifier.empty());
}

TEST_F(AccessControlTest, AlterSetsOnlyWhatItNames) {
    const PrincipalId a = create_role("a", {.login = true, .verifier = kVerifier});
    const Position created = access.role(a)->created;
    EXPECT_EQ(role_op(alter(a, {.superuser = true})), Outcome::ok);
    const RoleInfo& role = *access.role(a);
    EXPECT_TRUE(role.login);
    EXPECT_TRUE(role.superuser);
    EXPECT_EQ(role.verifier, kVerifier);
    EXPECT_EQ(role.created, created);
    EXPECT_EQ(role.altered, at);
    EXPECT_TRUE(access.is_superuser(a));
    EXPECT_EQ(role_op(alter(PrincipalId(999), {.login = false})), Outcome::no_such_role);
    EXPECT_EQ(detail, "role with principal id 999 does not exist");
    RoleOp two = alter(a, {});
    two.roles.push_back(a);
    EXPECT_EQ(role_op(two), Outcome::invalid_definition);
}

TEST_F(AccessControlTest, BuiltInPrincipalsAreSuperusersAndNoRoles) {
    EXPECT_TRUE(access.is_superuser(kSystemPrincipal));
    EXPECT_TRUE(access.is_superuser(kBootstrapPrincipal));
    EXPECT_TRUE(access.may_connect(kBootstrapPrincipal, TenantId(1)));
    EXPECT_FALSE(access.is_superuser(PrincipalId(kFirstRolePrincipal)));
    EXPECT_EQ(grant_op(connect({kBootstrapPrincipal})), Outcome::no_such_role);
}

TEST_F(AccessControlTest, GrantsAndRevokesOnTablesAndTheDatabase) {
    const PrincipalId alice = create_role("alice");
    EXPECT_FALSE(access.has_table_privilege(alice, TenantId(1), TableId(3), Privilege::select));
    AccessChanges changes;
    EXPECT_EQ(grant_op(on_tables({Privilege::select, Privilege::insert}, {TableId(3)}, {alice}),
                       &changes),
              Outcome::ok);
    EXPECT_EQ(changes.grants_added.size(), 2u);
    EXPECT_EQ(changes.grants_added[0].second, kBootstrapPrincipal) << "the grantor is recorded";
    EXPECT_FALSE(access.has_table_privilege(alice, TenantId(1), TableId(3), Privilege::select))
        << "no CONNECT yet";
    EXPECT_EQ(grant_op(connect({alice})), Outcome::ok);
    EXPECT_TRUE(access.may_connect(alice, TenantId(1)));
    EXPECT_TRUE(access.has_table_privilege(alice, TenantId(1), TableId(3), Privilege::select));
    EXPECT_FALSE(access.has_table_privilege(alice, TenantId(1), TableId(3), Privilege::update));
    EXPECT_FALSE(access.has_table_privilege(alice, TenantId(1), TableId(4), Privilege::select));

    // Granting again changes nothing; revoking what is not held is no error.
    AccessChanges again;
    EXPECT_EQ(grant_op(on_tables({Privilege::select}, {TableId(3)}, {alice}), &again), Outcome::ok);
    EXPECT_TRUE(again.grants_added.empty());
    AccessChanges none;
    EXPECT_EQ(grant_op(on_tables({Privilege::update}, {TableId(3)}, {alice}, true), &none),
              Outcome::ok);
    EXPECT_TRUE(none.grants_removed.empty());

    AccessChanges revoked;
    EXPECT_EQ(grant_op(on_tables({Privilege::select}, {TableId(3)}, {alice}, true), &revoked),
              Outcome::ok);
    EXPECT_EQ(revoked.grants_removed.size(), 1u);
    EXPECT_FALSE(access.has_table_privilege(alice, TenantId(1), TableId(3), Privilege::select));
    EXPECT_TRUE(access.has_table_privilege(alice, TenantId(1), TableId(3), Privilege::insert));
}

TEST_F(AccessControlTest, GrantsNameWhatExists) {
    const PrincipalId alice = create_role("alice");
    EXPECT_EQ(grant_op(on_tables({Privilege::select}, {TableId(77)}, {alice})),
              Outcome::no_such_table);
    EXPECT_EQ(grant_op(on_tables({Privilege::select}, {TableId(3)}, {PrincipalId(99)})),
              Outcome::no_such_role);
    GrantOp elsewhere = connect({alice});
    elsewhere.tenant = TenantId(8);
    EXPECT_EQ(grant_op(elsewhere), Outcome::no_such_tenant);
    EXPECT_EQ(grant_op(on_tables({Privilege::connect}, {TableId(3)}, {alice})),
              Outcome::invalid_definition);
    EXPECT_EQ(detail, "invalid privilege type CONNECT for relation");
    GrantOp select_database = connect({alice});
    select_database.privileges = {Privilege::select};
    EXPECT_EQ(grant_op(select_database), Outcome::invalid_definition);
    EXPECT_EQ(grant_op(on_tables({}, {TableId(3)}, {alice})), Outcome::invalid_definition);
    EXPECT_EQ(grant_op(on_tables({Privilege::select}, {}, {alice})), Outcome::invalid_definition);
    EXPECT_TRUE(access.grants().empty()) << "refusals change nothing";
}

TEST_F(AccessControlTest, AllTablesMeansTheTablesThatExistNow) {
    const PrincipalId alice = create_role("alice");
    GrantOp all{.target = GrantTarget::all_tables,
                .tenant = TenantId(1),
                .privileges = {Privilege::select},
                .roles = {alice}};
    EXPECT_EQ(grant_op(all), Outcome::ok);
    EXPECT_TRUE(access.holds({alice, TenantId(1), TableId(3), Privilege::select}));
    EXPECT_TRUE(access.holds({alice, TenantId(1), TableId(4), Privilege::select}));
    KB_ASSERT(catalog.tenant(TenantId(1))->create_table(simple_table(5, "later"), {}, next()) ==
              Outcome::ok);
    EXPECT_FALSE(access.holds({alice, TenantId(1), TableId(5), Privilege::select}))
        << "as PostgreSQL: not a default for tables created later";
    all.revoke = true;
    EXPECT_EQ(grant_op(all), Outcome::ok);
    EXPECT_TRUE(access.grants().empty());
}

TEST_F(AccessControlTest, DropIsRefusedWhileRolesHoldPrivileges) {
    const PrincipalId alice = create_role("alice");
    const PrincipalId bob = create_role("bob");
    ASSERT_EQ(grant_op(connect({alice})), Outcome::ok);
    ASSERT_EQ(grant_op(on_tables({Privilege::select, Privilege::update}, {TableId(3)}, {alice})),
              Outcome::ok);
    EXPECT_EQ(role_op(drop({bob, alice})), Outcome::dependent_objects_exist);
    EXPECT_EQ(detail,
              "role \"alice\" cannot be dropped because some objects depend on it\n"
              "privileges for database \"app\"\n"
              "privileges for table \"accounts\"");
    EXPECT_NE(access.role(bob), nullptr) << "all or none";
    EXPECT_EQ(role_op(drop({alice, alice})), Outcome::invalid_definition);
    EXPECT_EQ(role_op(drop({PrincipalId(500)})), Outcome::no_such_role);

    // A privilege on a table dropped since is no dependency, and goes with the role.
    ASSERT_EQ(grant_op(connect({alice}, true)), Outcome::ok);
    KB_ASSERT(catalog.tenant(TenantId(1))->drop_table(TableId(3), next()) == Outcome::ok);
    AccessChanges changes;
    EXPECT_EQ(role_op(drop({alice, bob}), &changes), Outcome::ok) << detail;
    EXPECT_EQ(changes.roles_dropped.size(), 2u);
    EXPECT_EQ(changes.grants_removed.size(), 2u);
    EXPECT_TRUE(access.grants().empty());
    EXPECT_TRUE(access.roles().empty());
}

TEST(AccessRecords, RoleRecordsAndGrantKeysRoundTrip) {
    const RoleInfo role{.principal = PrincipalId(17),
                        .name = "alice",
                        .login = true,
                        .superuser = false,
                        .verifier = kVerifier,
                        .created = Position(4),
                        .altered = Position(9)};
    const Bytes record = encode_role_record(role);
    auto decoded = decode_role_record(record);
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    EXPECT_EQ(*decoded, role);
    for (usize size = 0; size < record.size(); ++size) {
        EXPECT_FALSE(decode_role_record(ByteSpan(record).first(size))) << size;
    }

    const GrantKey key{PrincipalId(17), TenantId(2), TableId(0x0102), Privilege::remove};
    const auto bytes = encode_grant_key(key);
    EXPECT_EQ(bytes[0], 0) << "big-endian: a principal's grants sort together";
    EXPECT_EQ(bytes[7], 17);
    EXPECT_EQ(bytes[22], 0x01);
    EXPECT_EQ(bytes[24], static_cast<u8>(Privilege::remove));
    EXPECT_EQ(*decode_grant_key(bytes), key);
    auto bad = bytes;
    bad[24] = 0;
    EXPECT_FALSE(decode_grant_key(bad));
    EXPECT_EQ(*decode_grantor(encode_grantor(PrincipalId(5))), PrincipalId(5));
}

// Grant keys order as their fields do, so a principal's grants are one range of the tree.
RC_GTEST_PROP(AccessRecords, GrantKeyBytesOrderAsKeys, (u64 a, u64 b, u64 t, u64 u)) {
    const GrantKey x{PrincipalId(a % 50), TenantId(t % 5), TableId(u % 7), Privilege::select};
    const GrantKey y{PrincipalId(b % 50), TenantId(u % 5), TableId(t % 7), Privilege::insert};
    const auto ex = encode_grant_key(x);
    const auto ey = encode_grant_key(y);
    RC_ASSERT((x < y) == (ex < ey));
}

}  // namespace
}  // namespace kb::kernel
