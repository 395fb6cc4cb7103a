// pg_database (what `kmb tenant list` and psql's \l read) through SQL sessions on a simulated
// node: the databases the role may connect to, live at the read position, and nothing else;
// and the operations functions kimberlite_attest() / kimberlite_digest(), superusers only.
#include <gtest/gtest.h>

#include "kernel/access_reads.h"
#include "sql/session.h"
#include "sql/session_test_support.h"

namespace kb::sql {
namespace {

using testing::Lines;

class CatalogDatabaseTest : public testing::SessionTestBase {
protected:
    CatalogDatabaseTest() : SessionTestBase(71) {}

    std::unique_ptr<Session> session_of_role(std::string_view name) {
        auto role = kernel::reads::find_role(node.engine().snapshot(), name);
        EXPECT_TRUE(role.has_value() && role->has_value()) << name;
        return std::make_unique<Session>(node, tenant,
                                         role && *role ? (**role).principal : PrincipalId(999));
    }
    std::string code(std::string_view sql, Session* on = nullptr) {
        return error(sql, on).sqlstate;
    }
};

TEST_F(CatalogDatabaseTest, ASuperuserSeesEveryLiveTenantAndNoDroppedOne) {
    EXPECT_EQ(rows("SELECT datname FROM pg_database"), (Lines{"default"}));
    ok("CREATE DATABASE shop");
    ok("CREATE DATABASE archive");
    const Position with_both = node.engine().snapshot().applied();
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname"),
              (Lines{"archive", "default", "shop"}));
    // Oids are 16384 + the tenant id, distinct, and the connected one is current_database().
    EXPECT_EQ(rows("SELECT count(DISTINCT oid) FROM pg_database WHERE oid >= 16384"), (Lines{"3"}));
    EXPECT_EQ(rows("SELECT datname FROM pg_database WHERE datname = current_database()"),
              (Lines{"default"}));

    ok("DROP DATABASE archive");
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname"), (Lines{"default", "shop"}));
    // A new tenant may take the dropped one's name: listed once, as the live tenant.
    ok("CREATE DATABASE archive");
    EXPECT_EQ(rows("SELECT datname, count(*) FROM pg_database GROUP BY datname ORDER BY datname"),
              (Lines{"archive|1", "default|1", "shop|1"}));

    // Per snapshot: as of a past position, the tenants live then.
    ok("SET kimberlite.as_of_position = " + std::to_string(with_both.value()));
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname"),
              (Lines{"archive", "default", "shop"}));
    ok("RESET kimberlite.as_of_position");
}

TEST_F(CatalogDatabaseTest, AnotherRoleSeesOnlyTheTenantsItMayConnectTo) {
    ok("CREATE DATABASE shop");
    ok("CREATE DATABASE secret_db");
    ok("CREATE USER clerk PASSWORD 'pw'");
    ok("GRANT CONNECT ON DATABASE \"default\" TO clerk");
    std::unique_ptr<Session> clerk = session_of_role("clerk");
    EXPECT_EQ(rows("SELECT datname FROM pg_database", clerk.get()), (Lines{"default"}));
    ok("GRANT CONNECT ON DATABASE shop TO clerk");
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname", clerk.get()),
              (Lines{"default", "shop"}));
    ok("REVOKE CONNECT ON DATABASE shop FROM clerk");
    EXPECT_EQ(rows("SELECT datname FROM pg_database", clerk.get()), (Lines{"default"}));
    // A superuser role sees them all.
    ok("CREATE ROLE boss SUPERUSER");
    std::unique_ptr<Session> boss = session_of_role("boss");
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname", boss.get()),
              (Lines{"default", "secret_db", "shop"}));
}

TEST_F(CatalogDatabaseTest, OperationsFunctionsAreForSuperusersOnly) {
    ok("CREATE USER clerk PASSWORD 'pw'");
    ok("GRANT CONNECT ON DATABASE \"default\" TO clerk");
    std::unique_ptr<Session> clerk = session_of_role("clerk");
    SqlError refused = error("SELECT kimberlite_attest()", clerk.get());
    EXPECT_EQ(refused.sqlstate, "42501");
    EXPECT_EQ(refused.message, "permission denied for function kimberlite_attest");
    EXPECT_EQ(code("SELECT kimberlite_digest()", clerk.get()), "42501");
    // The simulated node offers no attestations: a superuser is told so (55000, naming the
    // setting a server needs), not refused for privileges.
    SqlError unsupported = error("SELECT kimberlite_attest()");
    EXPECT_EQ(unsupported.sqlstate, "55000");
    EXPECT_NE(unsupported.hint.find("--key-dir"), std::string::npos) << unsupported.hint;
    EXPECT_EQ(code("SELECT kimberlite_digest()"), "55000");
    EXPECT_EQ(code("SELECT kimberlite_attest(1)"), "42883");
}

}  // namespace
}  // namespace kb::sql
