// Roles and grants through SQL sessions on a simulated node: CREATE / ALTER / DROP ROLE and
// their PostgreSQL errors, passwords stored as SCRAM verifiers, and two roles showing what
// GRANT and REVOKE allow (42501 'permission denied for table t' for what they do not), down to
// a REVOKE committed while a transaction of the other role is open.
#include <gtest/gtest.h>

#include "crypto/scram.h"
#include "db/engine_test_support.h"
#include "kernel/access_reads.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

class SessionRolesTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        admin = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
        ok(*admin, "CREATE TABLE t (id bigint PRIMARY KEY, name text)");
        ok(*admin, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    }

    // Runs `sql`; every statement must succeed; the last result.
    StatementResult ok(Session& on, std::string_view sql) {
        auto results = on.execute(sql);
        EXPECT_FALSE(results.empty());
        for (const auto& result : results) {
            EXPECT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
            if (!result) return {};
        }
        return results.empty() ? StatementResult{} : *results.back();
    }
    // Runs `sql`; its last statement must fail; the error.
    SqlError error(Session& on, std::string_view sql) {
        auto results = on.execute(sql);
        if (results.empty() || results.back().has_value()) {
            ADD_FAILURE() << sql << " succeeded";
            return {};
        }
        return results.back().error();
    }
    std::optional<kernel::RoleInfo> role(std::string_view name) {
        auto found = kernel::reads::find_role(node.engine().snapshot(), name);
        EXPECT_TRUE(found.has_value()) << found.status().to_string();
        return found ? *found : std::nullopt;
    }
    // A session of the role `name`.
    std::unique_ptr<Session> session_of(std::string_view name) {
        auto found = role(name);
        EXPECT_TRUE(found.has_value()) << name;
        return std::make_unique<Session>(node, tenant, found ? found->principal : PrincipalId(999));
    }
    usize row_count(Session& on, std::string_view sql) { return ok(on, sql).rows.size(); }

    db::testing::SimNode node{43};
    TenantId tenant;
    std::unique_ptr<Session> admin;
};

TEST_F(SessionRolesTest, CreateAlterAndDropRoles) {
    EXPECT_EQ(ok(*admin, "CREATE ROLE alice LOGIN PASSWORD 'wonderland'").tag, "CREATE ROLE");
    auto alice = role("alice");
    ASSERT_TRUE(alice.has_value());
    EXPECT_TRUE(alice->login);
    EXPECT_FALSE(alice->superuser);
    // The log and the store hold a SCRAM verifier, never the password.
    EXPECT_EQ(alice->verifier.find("wonderland"), std::string::npos);
    auto verifier = crypto::ScramVerifier::parse(alice->verifier);
    ASSERT_TRUE(verifier.has_value()) << alice->verifier;
    EXPECT_TRUE(crypto::scram_password_matches(*verifier, "wonderland"));
    EXPECT_FALSE(crypto::scram_password_matches(*verifier, "looking-glass"));

    EXPECT_EQ(ok(*admin, "CREATE USER bob").tag, "CREATE ROLE");
    EXPECT_TRUE(role("bob")->login) << "USER implies LOGIN";
    ok(*admin, "CREATE USER carol NOLOGIN");
    EXPECT_FALSE(role("carol")->login) << "an explicit NOLOGIN wins";
    ok(*admin, "CREATE ROLE \"Mixed Case\"");
    EXPECT_TRUE(role("Mixed Case").has_value());

    // A verifier given as the password is stored as it is (pg_dumpall output works).
    const std::string given = crypto::make_scram_verifier("pw", Bytes{1, 2, 3, 4}).to_string();
    ok(*admin, "ALTER ROLE bob WITH PASSWORD '" + given + "'");
    EXPECT_EQ(role("bob")->verifier, given);
    StatementResult cleared = ok(*admin, "ALTER USER bob PASSWORD ''");
    EXPECT_EQ(cleared.notices,
              std::vector<std::string>{"empty string is not a valid password, clearing password"});
    EXPECT_TRUE(role("bob")->verifier.empty());
    ok(*admin, "ALTER ROLE alice NOLOGIN SUPERUSER");
    EXPECT_FALSE(role("alice")->login);
    EXPECT_TRUE(role("alice")->superuser);
    EXPECT_FALSE(role("alice")->verifier.empty()) << "ALTER changes only what it names";
    ok(*admin, "ALTER ROLE alice PASSWORD NULL");
    EXPECT_TRUE(role("alice")->verifier.empty());
    // pg_dumpall's role lines run.
    ok(*admin,
       "ALTER ROLE carol WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION "
       "NOBYPASSRLS");
    EXPECT_TRUE(role("carol")->login);

    EXPECT_EQ(ok(*admin, "DROP ROLE alice, \"Mixed Case\"").tag, "DROP ROLE");
    EXPECT_FALSE(role("alice").has_value());
    StatementResult skipped = ok(*admin, "DROP USER IF EXISTS alice, bob");
    EXPECT_EQ(skipped.notices, std::vector<std::string>{"role \"alice\" does not exist, skipping"});
    EXPECT_FALSE(role("bob").has_value());
}

TEST_F(SessionRolesTest, RoleErrorsAreAsPostgres) {
    ok(*admin, "CREATE ROLE alice");
    SqlError exists = error(*admin, "CREATE ROLE alice");
    EXPECT_EQ(exists.sqlstate, "42710");
    EXPECT_EQ(exists.message, "role \"alice\" already exists");
    SqlError missing = error(*admin, "DROP ROLE nobody");
    EXPECT_EQ(missing.sqlstate, "42704");
    EXPECT_EQ(missing.message, "role \"nobody\" does not exist");
    EXPECT_EQ(error(*admin, "ALTER ROLE nobody LOGIN").sqlstate, "42704");
    EXPECT_EQ(error(*admin, "CREATE ROLE public").sqlstate, "42939");
    SqlError reserved = error(*admin, "CREATE ROLE pg_admin");
    EXPECT_EQ(reserved.sqlstate, "42939");
    EXPECT_EQ(reserved.message, "role name \"pg_admin\" is reserved");
    EXPECT_EQ(error(*admin, "CREATE ROLE x PASSWORD 'md5" + std::string(32, 'a') + "'").sqlstate,
              "0A000");
    EXPECT_EQ(error(*admin, "GRANT SELECT ON missing TO alice").sqlstate, "42P01");
    EXPECT_EQ(error(*admin, "GRANT SELECT ON t TO nobody").sqlstate, "42704");
    SqlError no_database = error(*admin, "GRANT CONNECT ON DATABASE nope TO alice");
    EXPECT_EQ(no_database.sqlstate, "3D000");
    EXPECT_EQ(no_database.message, "database \"nope\" does not exist");
    SqlError wrong_kind = error(*admin, "GRANT SELECT ON DATABASE \"default\" TO alice");
    EXPECT_EQ(wrong_kind.sqlstate, "0LP01");
    EXPECT_EQ(wrong_kind.message, "invalid privilege type SELECT for database");
    EXPECT_EQ(error(*admin, "GRANT CONNECT ON t TO alice").sqlstate, "0LP01");
    EXPECT_EQ(error(*admin, "GRANT REFERENCES ON t TO alice").sqlstate, "0A000");
    EXPECT_EQ(error(*admin, "GRANT SELECT ON ALL TABLES IN SCHEMA other TO alice").sqlstate,
              "3F000");

    // Not inside a transaction block: each is its own op, logged at once.
    ok(*admin, "BEGIN");
    SqlError in_block = error(*admin, "CREATE ROLE bob");
    EXPECT_EQ(in_block.sqlstate, "25001");
    EXPECT_EQ(in_block.message, "CREATE ROLE cannot run inside a transaction block");
    EXPECT_EQ(admin->transaction_status(), TransactionStatus::failed);
    ok(*admin, "ROLLBACK");
    EXPECT_FALSE(role("bob").has_value());

    // A superuser role may not drop itself.
    ok(*admin, "CREATE ROLE root SUPERUSER");
    auto root = session_of("root");
    EXPECT_EQ(error(*root, "DROP ROLE root").sqlstate, "55006");
    EXPECT_EQ(ok(*root, "DROP ROLE alice").tag, "DROP ROLE") << "a superuser role manages roles";
}

TEST_F(SessionRolesTest, TwoRolesSeeWhatTheirGrantsAllow) {
    ok(*admin, "CREATE ROLE alice LOGIN");
    auto alice = session_of("alice");

    SqlError denied = error(*alice, "SELECT * FROM t");
    EXPECT_EQ(denied.sqlstate, "42501");
    EXPECT_EQ(denied.message, "permission denied for table t");
    ok(*admin, "GRANT SELECT ON t TO alice");
    EXPECT_EQ(error(*alice, "SELECT * FROM t").sqlstate, "42501") << "no CONNECT yet";
    EXPECT_EQ(ok(*admin, "GRANT CONNECT ON DATABASE \"default\" TO alice").tag, "GRANT");
    EXPECT_EQ(row_count(*alice, "SELECT * FROM t"), 2u);
    EXPECT_EQ(error(*alice, "SELECT * FROM missing").sqlstate, "42P01") << "42P01 comes first";

    // Writes need their own privileges, at the statement (and again at the primary).
    EXPECT_EQ(error(*alice, "INSERT INTO t VALUES (3, 'three')").sqlstate, "42501");
    EXPECT_EQ(error(*alice, "UPDATE t SET name = 'x' WHERE id = 1").sqlstate, "42501");
    EXPECT_EQ(error(*alice, "DELETE FROM t WHERE id = 1").sqlstate, "42501");
    EXPECT_EQ(error(*alice, "TRUNCATE t").sqlstate, "42501");
    ok(*admin, "GRANT INSERT, UPDATE ON TABLE t TO alice");
    EXPECT_EQ(ok(*alice, "INSERT INTO t VALUES (3, 'three')").tag, "INSERT 0 1");
    EXPECT_EQ(ok(*alice, "UPDATE t SET name = 'uno' WHERE id = 1").tag, "UPDATE 1");
    EXPECT_EQ(row_count(*alice, "INSERT INTO t VALUES (4, 'four') RETURNING id"), 1u);

    // Schema changes, roles and grants are for superusers.
    SqlError create = error(*alice, "CREATE TABLE u (id bigint PRIMARY KEY)");
    EXPECT_EQ(create.sqlstate, "42501");
    EXPECT_EQ(create.message, "permission denied for schema public");
    EXPECT_EQ(error(*alice, "DROP TABLE t").message, "must be owner of table t");
    EXPECT_EQ(error(*alice, "CREATE INDEX ON t (name)").sqlstate, "42501");
    EXPECT_EQ(error(*alice, "CREATE ROLE mallory").message, "permission denied to create role");
    EXPECT_EQ(error(*alice, "GRANT DELETE ON t TO alice").message, "permission denied for table t");
    EXPECT_EQ(error(*alice, "ALTER ROLE alice SUPERUSER").sqlstate, "42501");
    EXPECT_EQ(ok(*alice, "ALTER ROLE CURRENT_USER PASSWORD 'mine'").tag, "ALTER ROLE")
        << "a role may change its own password";
    EXPECT_FALSE(role("alice")->verifier.empty());

    // REVOKE takes effect for the next statement.
    EXPECT_EQ(ok(*admin, "REVOKE SELECT ON t FROM alice").tag, "REVOKE");
    EXPECT_EQ(error(*alice, "SELECT name FROM t").sqlstate, "42501");
    EXPECT_EQ(error(*alice, "UPDATE t SET name = 'x' WHERE id = 1").sqlstate, "42501")
        << "an UPDATE that reads needs SELECT too";
    EXPECT_EQ(ok(*alice, "UPDATE t SET name = 'all'").tag, "UPDATE 4");

    // ALL TABLES IN SCHEMA public: the tables of now, not later ones.
    ok(*admin, "GRANT ALL ON ALL TABLES IN SCHEMA public TO alice");
    EXPECT_EQ(ok(*alice, "DELETE FROM t WHERE id = 4").tag, "DELETE 1");
    ok(*admin, "CREATE TABLE later (id bigint PRIMARY KEY)");
    EXPECT_EQ(error(*alice, "SELECT * FROM later").message, "permission denied for table later");

    // A role that still holds privileges cannot be dropped (2BP01, PostgreSQL's message).
    SqlError depends = error(*admin, "DROP ROLE alice");
    EXPECT_EQ(depends.sqlstate, "2BP01");
    EXPECT_EQ(depends.message,
              "role \"alice\" cannot be dropped because some objects depend on it");
    EXPECT_EQ(depends.detail, "privileges for database \"default\"\nprivileges for table \"t\"");
    // One statement each: a text of several is one implicit transaction, which REVOKE is not
    // part of (25001).
    ok(*admin, "REVOKE ALL ON t FROM alice");
    ok(*admin, "REVOKE CONNECT ON DATABASE \"default\" FROM alice");
    ok(*admin, "DROP ROLE alice");
    EXPECT_EQ(error(*alice, "SELECT * FROM t").sqlstate, "42501")
        << "a session of a dropped role can do nothing";
}

// DESIGN.md §3: the primary checks grants at the op's position, so a REVOKE committed while a
// transaction is open stops its writes at COMMIT, though its statements passed.
TEST_F(SessionRolesTest, ACommittedRevokeStopsWritesOrderedAfterIt) {
    ok(*admin, "CREATE ROLE alice");
    ok(*admin, "GRANT CONNECT ON DATABASE \"default\" TO alice");
    ok(*admin, "GRANT SELECT, INSERT ON t TO alice");
    auto alice = session_of("alice");
    ok(*alice, "BEGIN");
    ok(*alice, "INSERT INTO t VALUES (10, 'ten')");
    ok(*admin, "REVOKE INSERT ON t FROM alice");
    SqlError refused = error(*alice, "COMMIT");
    EXPECT_EQ(refused.sqlstate, "42501");
    EXPECT_EQ(refused.message, "permission denied for table t");
    EXPECT_EQ(row_count(*admin, "SELECT * FROM t WHERE id = 10"), 0u) << "nothing was logged";
    // The statement level sees the revoke on the next snapshot.
    EXPECT_EQ(error(*alice, "INSERT INTO t VALUES (11, 'eleven')").sqlstate, "42501");
}

TEST_F(SessionRolesTest, PreparedStatementsAreCheckedWhenTheyRun) {
    ok(*admin, "CREATE ROLE alice");
    ok(*admin, "GRANT CONNECT ON DATABASE \"default\" TO alice");
    auto alice = session_of("alice");
    auto prepared = alice->prepare("SELECT name FROM t WHERE id = $1");
    ASSERT_TRUE(prepared.has_value()) << "describing needs no privilege, as PostgreSQL's Parse";
    const std::vector<Value> one = {Value::int64(1)};
    auto denied = alice->execute_prepared(**prepared, one);
    ASSERT_FALSE(denied.has_value());
    EXPECT_EQ(denied.error().sqlstate, "42501");
    ok(*admin, "GRANT SELECT ON t TO alice");
    auto allowed = alice->execute_prepared(**prepared, one);
    ASSERT_TRUE(allowed.has_value()) << allowed.error().to_string();
    EXPECT_EQ(allowed->rows.size(), 1u);
}

TEST_F(SessionRolesTest, RolesAndGrantsSurviveAReopen) {
    ok(*admin, "CREATE ROLE alice LOGIN PASSWORD 'pw'");
    ok(*admin, "GRANT CONNECT ON DATABASE \"default\" TO alice");
    ok(*admin, "GRANT SELECT ON t TO alice");
    const std::string verifier = role("alice")->verifier;
    admin.reset();
    ASSERT_TRUE(node.close().is_ok());
    ASSERT_TRUE(node.open().is_ok());
    EXPECT_EQ(role("alice")->verifier, verifier);
    auto alice = session_of("alice");
    EXPECT_EQ(row_count(*alice, "SELECT * FROM t"), 2u);
    EXPECT_EQ(error(*alice, "INSERT INTO t VALUES (5, 'x')").sqlstate, "42501");
}

}  // namespace
}  // namespace kb::sql
