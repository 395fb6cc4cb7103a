// Kernel apply of role and grant ops: ids, the roles and grants trees as of any position, the
// state hash (incremental = recomputed), reopening and replaying, and the permission re-check
// every op passes at apply (a REVOKE stops writes applied after it).
#include <gtest/gtest.h>

#include "kernel/access_reads.h"
#include "kernel/kernel.h"
#include "kernel/kernel_test_support.h"

namespace kb::kernel {
namespace {

using testing::create_tenant_op;
using testing::expect_hash_recomputes;
using testing::insert_effect;
using testing::KernelHarness;
using testing::tenant_op;

const TenantId kTenant(1);
const std::string kVerifier = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy";

Op system_op(OpBody body, PrincipalId principal = kBootstrapPrincipal) {
    return Op{.tenant = TenantId(0), .principal = principal, .body = std::move(body)};
}
Op create_role(std::string name, RoleAttributes attributes = {}) {
    return system_op(
        RoleOp{.action = RoleAction::create, .name = std::move(name), .attributes = attributes});
}
Op grant(std::vector<Privilege> privileges, GrantTarget target, std::vector<TableId> tables,
         PrincipalId role, bool revoke = false) {
    return system_op(GrantOp{.revoke = revoke,
                             .target = target,
                             .tenant = kTenant,
                             .tables = std::move(tables),
                             .privileges = std::move(privileges),
                             .roles = {role}});
}

struct Fixture {
    explicit Fixture(u64 seed) : h(seed) {
        EXPECT_EQ(h.apply(create_tenant_op("app")).outcome, Outcome::ok);
        TransactionOp create;
        create.ddl.push_back(CreateTableChange{.schema = table});
        EXPECT_EQ(h.apply(tenant_op(kTenant, create)).outcome, Outcome::ok);
    }
    PrincipalId role(std::string name, RoleAttributes attributes = {}) {
        const ApplyResult result = h.apply(create_role(std::move(name), attributes));
        EXPECT_EQ(result.outcome, Outcome::ok) << result.detail;
        return result.principal;
    }
    ApplyResult insert(PrincipalId by, i64 id) {
        TransactionOp op;
        op.effects.push_back(insert_effect(table, {Value::int64(id), Value::text("x")}));
        Op logged = tenant_op(kTenant, std::move(op));
        logged.principal = by;
        return h.apply(logged);
    }

    KernelHarness h;
    TableSchema table = testing::simple_table(1, "accounts");
};

TEST(KernelRoles, RolesAndGrantsAreReadableAsOfEveryPosition) {
    Fixture f(1);
    const PrincipalId alice = f.role("alice", {.login = true, .verifier = kVerifier});
    EXPECT_EQ(alice, PrincipalId(kFirstRolePrincipal));
    const Position created = f.h.kernel->applied();
    ASSERT_EQ(f.h.apply(grant({Privilege::connect}, GrantTarget::database, {}, alice)).outcome,
              Outcome::ok);
    ASSERT_EQ(
        f.h.apply(grant({Privilege::select}, GrantTarget::tables, {f.table.id}, alice)).outcome,
        Outcome::ok);
    const Position granted = f.h.kernel->applied();
    ASSERT_EQ(f.h.apply(system_op(RoleOp{.action = RoleAction::alter,
                                         .roles = {alice},
                                         .attributes = {.superuser = true}}))
                  .outcome,
              Outcome::ok);
    const Position altered = f.h.kernel->applied();
    ASSERT_EQ(f.h.apply(grant({Privilege::select}, GrantTarget::tables, {f.table.id}, alice,
                              /*revoke=*/true))
                  .outcome,
              Outcome::ok);
    const Position revoked = f.h.kernel->applied();

    const store::Snapshot view = f.h.published();
    auto at_creation = reads::find_role(view, "alice", created);
    ASSERT_TRUE(at_creation && *at_creation);
    EXPECT_EQ((*at_creation)->principal, alice);
    EXPECT_FALSE((*at_creation)->superuser);
    EXPECT_EQ((*at_creation)->verifier, kVerifier);
    EXPECT_TRUE(*reads::is_superuser(view, alice, altered));
    EXPECT_FALSE(*reads::is_superuser(view, alice, granted));
    EXPECT_FALSE(*reads::find_role(view, "alice", created.prev())) << "not yet created";

    auto select = [&](Position as_of) {
        return *reads::holds(view, {alice, kTenant, f.table.id, Privilege::select}, as_of);
    };
    EXPECT_FALSE(select(created));
    EXPECT_TRUE(select(granted));
    EXPECT_FALSE(select(revoked));
    EXPECT_TRUE(
        *reads::has_table_privilege(view, alice, kTenant, f.table.id, Privilege::select, granted));
    EXPECT_FALSE(
        *reads::has_table_privilege(view, alice, kTenant, f.table.id, Privilege::insert, granted));
    EXPECT_TRUE(
        *reads::has_table_privilege(view, alice, kTenant, f.table.id, Privilege::insert, revoked))
        << "a superuser by then";
    EXPECT_EQ(reads::grants(view, alice, granted)->size(), 2u);
    EXPECT_EQ(reads::grants(view, PrincipalId(0), revoked)->size(), 1u);
    expect_hash_recomputes(f.h);
}

TEST(KernelRoles, TheStateHashCoversRolesAndGrants) {
    Fixture with(2);
    Fixture without(2);
    EXPECT_EQ(with.h.kernel->state_hash(), without.h.kernel->state_hash());
    const PrincipalId alice = with.role("alice");
    EXPECT_NE(with.h.kernel->state_hash(), without.h.kernel->state_hash());
    const StateHash after_role = with.h.kernel->state_hash();
    with.h.apply(grant({Privilege::insert}, GrantTarget::all_tables, {}, alice));
    EXPECT_NE(with.h.kernel->state_hash(), after_role);
    expect_hash_recomputes(with.h);
    with.h.apply(grant({Privilege::insert}, GrantTarget::all_tables, {}, alice, true));
    with.h.apply(system_op(RoleOp{.action = RoleAction::drop, .roles = {alice}}));
    expect_hash_recomputes(with.h);
}

TEST(KernelRoles, ReopeningRestoresRolesGrantsAndTheNextId) {
    Fixture f(3);
    const PrincipalId alice = f.role("alice");
    const PrincipalId bob = f.role("bob");
    f.h.apply(grant({Privilege::connect}, GrantTarget::database, {}, alice));
    f.h.apply(system_op(RoleOp{.action = RoleAction::drop, .roles = {bob}}));
    const AccessControl before = f.h.kernel->access();
    f.h.reopen();
    EXPECT_EQ(f.h.kernel->access(), before);
    EXPECT_EQ(f.role("carol").value(), bob.value() + 1) << "ids are never reused";
    expect_hash_recomputes(f.h);

    // Replaying the same log on a fresh kernel gives the same state.
    KernelHarness replay(4);
    for (const testing::LoggedOp& logged : f.h.log) replay.apply_logged(logged);
    EXPECT_EQ(replay.kernel->access(), f.h.kernel->access());
    EXPECT_EQ(replay.kernel->state_hash(), f.h.kernel->state_hash());
}

TEST(KernelRoles, ApplyRechecksGrantsAtTheOpsPosition) {
    Fixture f(5);
    const PrincipalId alice = f.role("alice");
    ApplyResult denied = f.insert(alice, 1);
    EXPECT_EQ(denied.outcome, Outcome::permission_denied);
    EXPECT_NE(denied.detail.find("CONNECT"), std::string::npos) << denied.detail;

    f.h.apply(grant({Privilege::connect}, GrantTarget::database, {}, alice));
    denied = f.insert(alice, 1);
    EXPECT_EQ(denied.outcome, Outcome::permission_denied);
    EXPECT_EQ(denied.detail, "permission denied for table accounts");

    f.h.apply(grant({Privilege::insert}, GrantTarget::tables, {f.table.id}, alice));
    EXPECT_EQ(f.insert(alice, 1).outcome, Outcome::ok);

    // A revoke applied before the next write stops it, and the refused op changed nothing.
    f.h.apply(grant({Privilege::insert}, GrantTarget::tables, {f.table.id}, alice, true));
    const StateHash before = f.h.kernel->state_hash();
    EXPECT_EQ(f.insert(alice, 2).outcome, Outcome::permission_denied);
    EXPECT_EQ(f.h.kernel->state_hash(), before);

    // Non-superusers may not manage roles or grants; a dropped role may do nothing.
    EXPECT_EQ(
        f.h.apply(system_op(RoleOp{.action = RoleAction::create, .name = "x"}, alice)).outcome,
        Outcome::permission_denied);
    EXPECT_EQ(f.h.apply(system_op(GrantOp{.target = GrantTarget::database,
                                          .tenant = kTenant,
                                          .privileges = {Privilege::connect},
                                          .roles = {alice}},
                                  alice))
                  .outcome,
              Outcome::permission_denied);
    EXPECT_EQ(f.insert(PrincipalId(500), 3).outcome, Outcome::permission_denied);
    expect_hash_recomputes(f.h);
}

TEST(KernelRoles, ARoleMaySetItsOwnPasswordOnly) {
    Fixture f(6);
    const PrincipalId alice = f.role("alice");
    const PrincipalId bob = f.role("bob");
    auto set_password = [&](PrincipalId by, PrincipalId of) {
        return f.h
            .apply(system_op(RoleOp{.action = RoleAction::alter,
                                    .roles = {of},
                                    .attributes = {.verifier = kVerifier}},
                             by))
            .outcome;
    };
    EXPECT_EQ(set_password(alice, alice), Outcome::ok);
    EXPECT_EQ(set_password(alice, bob), Outcome::permission_denied);
    EXPECT_EQ(f.h.apply(system_op(RoleOp{.action = RoleAction::alter,
                                         .roles = {alice},
                                         .attributes = {.superuser = true}},
                                  alice))
                  .outcome,
              Outcome::permission_denied)
        << "not a way to become superuser";
    EXPECT_FALSE(f.h.kernel->access().role(alice)->superuser);
}

TEST(KernelRoles, SystemOpsMustBeLoggedForTenantZero) {
    Fixture f(7);
    Op misplaced = create_role("alice");
    misplaced.tenant = kTenant;
    const ApplyResult result = f.h.apply(misplaced);
    EXPECT_EQ(result.outcome, Outcome::invalid_definition);
    EXPECT_TRUE(f.h.kernel->access().roles().empty());
}

}  // namespace
}  // namespace kb::kernel
