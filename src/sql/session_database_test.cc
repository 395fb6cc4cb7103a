// CREATE DATABASE and DROP DATABASE through a session on a simulated node: tenants made (with
// their keys, by the primary) and dropped (history kept, name freed), options accepted or
// refused, PostgreSQL's errors, sessions of a dropped database failing cleanly.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "kernel/access_reads.h"
#include "kernel/kernel_reads.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

class SessionDatabaseTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        admin = std::make_unique<Session>(node, node.default_tenant(), db::kAdminPrincipal);
    }

    StatementResult ok(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *admin).execute(sql);
        EXPECT_FALSE(results.empty());
        for (const auto& result : results) {
            EXPECT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
            if (!result) return {};
        }
        return results.empty() ? StatementResult{} : *results.back();
    }
    // The error of the last statement as "SQLSTATE message".
    std::string error(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *admin).execute(sql);
        if (results.empty() || results.back().has_value()) {
            ADD_FAILURE() << sql << " succeeded";
            return "";
        }
        return results.back().error().sqlstate + " " + results.back().error().message;
    }
    std::optional<TenantId> tenant(std::string_view name) { return node.engine().tenant_id(name); }

    db::testing::SimNode node{53};
    std::unique_ptr<Session> admin;
};

TEST_F(SessionDatabaseTest, CreateUseAndDrop) {
    EXPECT_EQ(ok("CREATE DATABASE shop").tag, "CREATE DATABASE");
    const std::optional<TenantId> shop = tenant("shop");
    ASSERT_TRUE(shop.has_value());
    EXPECT_EQ(error("CREATE DATABASE shop"), "42P04 database \"shop\" already exists");

    // A session of the new database works in it alone.
    Session inside(node, *shop, db::kAdminPrincipal);
    ok("CREATE TABLE orders (id bigint PRIMARY KEY)", &inside);
    ok("INSERT INTO orders VALUES (1), (2)", &inside);
    EXPECT_EQ(error("SELECT * FROM orders").substr(0, 5), "42P01");
    EXPECT_EQ(error("DROP DATABASE shop", &inside),
              "55006 cannot drop the currently open database");

    EXPECT_EQ(ok("DROP DATABASE shop").tag, "DROP DATABASE");
    EXPECT_FALSE(tenant("shop").has_value());
    // Its session fails cleanly from its next statement on.
    EXPECT_EQ(error("SELECT 1", &inside).substr(0, 6), "3D000 ");
    EXPECT_EQ(error("DROP DATABASE shop"), "3D000 database \"shop\" does not exist");
    EXPECT_EQ(ok("DROP DATABASE IF EXISTS shop").notices,
              std::vector<std::string>{"database \"shop\" does not exist, skipping"});

    // Its history stays, by id; the name makes a new, empty database.
    auto catalog = kernel::reads::catalog(node.engine().snapshot());
    ASSERT_TRUE(catalog.has_value());
    const kernel::TenantCatalog* dropped = catalog->tenant(*shop);
    ASSERT_NE(dropped, nullptr);
    EXPECT_TRUE(dropped->info().is_dropped());
    EXPECT_NE(dropped->find_table("orders"), nullptr);
    ok("CREATE DATABASE shop");
    ASSERT_TRUE(tenant("shop").has_value());
    EXPECT_NE(*tenant("shop"), *shop);
    Session again(node, *tenant("shop"), db::kAdminPrincipal);
    EXPECT_EQ(error("SELECT * FROM orders", &again).substr(0, 5), "42P01");

    // All of it survives a restart (replayed from the log or read from a checkpoint).
    admin.reset();
    ASSERT_TRUE(node.close().is_ok());
    ASSERT_TRUE(node.open().is_ok());
    EXPECT_NE(*tenant("shop"), *shop);
    admin = std::make_unique<Session>(node, node.default_tenant(), db::kAdminPrincipal);
    EXPECT_EQ(error("CREATE DATABASE shop"), "42P04 database \"shop\" already exists");
}

TEST_F(SessionDatabaseTest, ATransactionOpenAcrossTheDropCannotCommit) {
    ok("CREATE DATABASE shop");
    Session inside(node, *tenant("shop"), db::kAdminPrincipal);
    ok("CREATE TABLE orders (id bigint PRIMARY KEY)", &inside);
    ok("BEGIN", &inside);
    ok("INSERT INTO orders VALUES (1)", &inside);
    ok("DROP DATABASE shop");
    EXPECT_EQ(error("COMMIT", &inside), "3D000 database \"shop\" does not exist");
    EXPECT_EQ(inside.transaction_status(), TransactionStatus::idle);
}

TEST_F(SessionDatabaseTest, OptionsAreAcceptedOrRefused) {
    ok("CREATE DATABASE a WITH ENCODING 'UTF8' TEMPLATE template0 LOCALE 'C' "
       "LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT -1 IS_TEMPLATE false "
       "ALLOW_CONNECTIONS true TABLESPACE pg_default STRATEGY wal_log OWNER admin");
    ok("CREATE DATABASE b ENCODING = DEFAULT");
    EXPECT_TRUE(tenant("a").has_value() && tenant("b").has_value());
    EXPECT_EQ(error("CREATE DATABASE c ENCODING 'LATIN1'"),
              "0A000 encoding \"LATIN1\" is not supported");
    EXPECT_EQ(error("CREATE DATABASE c TEMPLATE a"),
              "0A000 CREATE DATABASE ... TEMPLATE a is not supported");
    EXPECT_EQ(error("CREATE DATABASE c LOCALE 'en_US.UTF-8'"),
              "0A000 locale \"en_US.UTF-8\" is not supported");
    EXPECT_EQ(error("CREATE DATABASE c OWNER someone_else"),
              "0A000 CREATE DATABASE ... OWNER someone_else is not supported");
    EXPECT_EQ(error("CREATE DATABASE c ENCODING 'UTF8' ENCODING 'UTF8'"),
              "42601 conflicting or redundant options");
    EXPECT_EQ(error("CREATE DATABASE c STRATEGY fast"),
              "22023 invalid create database strategy \"fast\"");
    EXPECT_EQ(error("CREATE DATABASE c FLAVOUR vanilla"),
              "42601 option \"flavour\" not recognized");
    EXPECT_FALSE(tenant("c").has_value());
    ok("DROP DATABASE a WITH (FORCE)");
    EXPECT_FALSE(tenant("a").has_value());
}

TEST_F(SessionDatabaseTest, RefusedInsideTransactionsAndToOrdinaryRoles) {
    ok("BEGIN");
    EXPECT_EQ(error("CREATE DATABASE x"),
              "25001 CREATE DATABASE cannot run inside a transaction block");
    EXPECT_EQ(admin->transaction_status(), TransactionStatus::failed);
    ok("ROLLBACK");
    ok("BEGIN");
    EXPECT_EQ(error("DROP DATABASE x"),
              "25001 DROP DATABASE cannot run inside a transaction block");
    ok("ROLLBACK");

    ok("CREATE DATABASE x");
    ok("CREATE ROLE clerk LOGIN");
    ok("GRANT CONNECT ON DATABASE \"default\" TO clerk");
    auto clerk_role = kernel::reads::find_role(node.engine().snapshot(), "clerk");
    ASSERT_TRUE(clerk_role.has_value() && clerk_role->has_value());
    Session clerk(node, node.default_tenant(), (*clerk_role)->principal);
    EXPECT_EQ(error("CREATE DATABASE y", &clerk), "42501 permission denied to create database");
    EXPECT_EQ(error("DROP DATABASE x", &clerk), "42501 must be owner of database x");
    EXPECT_EQ(error("DROP DATABASE nope", &clerk), "3D000 database \"nope\" does not exist");
    EXPECT_TRUE(tenant("x").has_value());
}

}  // namespace
}  // namespace kb::sql
