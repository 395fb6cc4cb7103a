// Sessions end to end on a simulated node: DDL, writes with constraints and their SQLSTATEs,
// queries, transactions (savepoints, the failed state, serialization failures between two
// sessions), and everything surviving a reopen.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

class SessionTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        session = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
    }

    // Runs `sql`; every statement must succeed; the last result.
    StatementResult ok(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *session).execute(sql);
        EXPECT_FALSE(results.empty());
        for (const auto& result : results) {
            EXPECT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
            if (!result) return {};
        }
        return results.empty() ? StatementResult{} : *results.back();
    }

    // Runs `sql`; its last statement must fail; the SQLSTATE.
    std::string error(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *session).execute(sql);
        EXPECT_FALSE(results.empty());
        if (results.empty() || results.back().has_value()) {
            ADD_FAILURE() << sql << " succeeded";
            return "";
        }
        return results.back().error().sqlstate;
    }

    // Rows as text lines "v1|v2" (NULL as "NULL").
    std::vector<std::string> rows(std::string_view sql) {
        StatementResult result = ok(sql);
        std::vector<std::string> out;
        for (const Row& row : result.rows) {
            std::string line;
            for (usize i = 0; i < row.size(); ++i) {
                if (i > 0) line += "|";
                line += row[i].is_null() ? "NULL" : value_to_text(row[i], result.columns[i].type);
            }
            out.push_back(line);
        }
        return out;
    }

    void reopen() {
        session.reset();
        ASSERT_TRUE(node.close().is_ok());
        ASSERT_TRUE(node.open().is_ok());
        session = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
    }

    db::testing::SimNode node{41};
    TenantId tenant;
    std::unique_ptr<Session> session;
};

using Lines = std::vector<std::string>;

TEST_F(SessionTest, CreateInsertSelectUpdateDelete) {
    ok("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty integer)");
    EXPECT_EQ(ok("INSERT INTO items VALUES (1, 'apple', 3), (2, 'pear', NULL)").tag, "INSERT 0 2");
    EXPECT_EQ(rows("SELECT * FROM items ORDER BY id"), (Lines{"1|apple|3", "2|pear|NULL"}));
    EXPECT_EQ(rows("SELECT name FROM items WHERE id = 2"), (Lines{"pear"}));
    EXPECT_EQ(rows("UPDATE items SET qty = 7 WHERE id = 2 RETURNING id, qty"), (Lines{"2|7"}));
    EXPECT_EQ(ok("DELETE FROM items WHERE id = 1").tag, "DELETE 1");
    EXPECT_EQ(rows("SELECT id, name, qty FROM items"), (Lines{"2|pear|7"}));
    EXPECT_EQ(rows("INSERT INTO items (id, name) VALUES (5, 'fig') RETURNING *"),
              (Lines{"5|fig|NULL"}));
    EXPECT_EQ(rows("SELECT id FROM items ORDER BY id DESC LIMIT 1"), (Lines{"5"}));
    EXPECT_EQ(rows("SELECT id FROM items ORDER BY 1 LIMIT 1 OFFSET 1"), (Lines{"5"}));
}

TEST_F(SessionTest, ErrorsCarryPostgresSqlstates) {
    ok("CREATE TABLE t (id integer PRIMARY KEY, v text NOT NULL, c integer CHECK (c <> 0), "
       "u text UNIQUE)");
    EXPECT_EQ(error("CREATE TABLE t (id integer PRIMARY KEY)"), "42P07");
    EXPECT_EQ(error("CREATE TABLE nokey (a integer)"), "0A000");
    EXPECT_EQ(error("SELECT * FROM missing"), "42P01");
    EXPECT_EQ(error("SELECT nope FROM t"), "42703");
    ok("INSERT INTO t VALUES (1, 'a', 1, 'x')");
    EXPECT_EQ(error("INSERT INTO t VALUES (1, 'b', 1, 'y')"), "23505");
    EXPECT_EQ(error("INSERT INTO t VALUES (2, NULL, 1, 'y')"), "23502");
    EXPECT_EQ(error("INSERT INTO t VALUES (3, 'c', 0, 'z')"), "23514");
    EXPECT_EQ(error("INSERT INTO t VALUES (4, 'd', 1, 'x')"), "23505");
    EXPECT_EQ(error("INSERT INTO t VALUES (5, 'e', 1, 'w', 9)"), "42601");
    EXPECT_EQ(error("SELEC 1"), "42601");
    EXPECT_EQ(rows("SELECT count(*) FROM t").size(), 1u);
}

TEST_F(SessionTest, ForeignKeysRestrictAndCascade) {
    ok("CREATE TABLE parents (id integer PRIMARY KEY)");
    ok("CREATE TABLE kids (id integer PRIMARY KEY, parent integer REFERENCES parents ON DELETE "
       "CASCADE)");
    ok("CREATE TABLE pets (id integer PRIMARY KEY, parent integer REFERENCES parents(id))");
    ok("INSERT INTO parents VALUES (1), (2)");
    EXPECT_EQ(error("INSERT INTO kids VALUES (10, 3)"), "23503");
    ok("INSERT INTO kids VALUES (10, 1), (11, 1), (12, 2)");
    ok("INSERT INTO pets VALUES (20, 2)");
    ok("DELETE FROM parents WHERE id = 1");
    EXPECT_EQ(rows("SELECT id FROM kids ORDER BY id"), (Lines{"12"}));
    EXPECT_EQ(error("DELETE FROM parents WHERE id = 2"), "23503");
    EXPECT_EQ(rows("SELECT id FROM parents"), (Lines{"2"}));
}

TEST_F(SessionTest, TransactionsSavepointsAndTheFailedState) {
    ok("CREATE TABLE t (id integer PRIMARY KEY)");
    ok("BEGIN");
    ok("INSERT INTO t VALUES (1)");
    ok("SAVEPOINT s");
    ok("INSERT INTO t VALUES (2)");
    ok("ROLLBACK TO SAVEPOINT s");
    ok("INSERT INTO t VALUES (3)");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::in_transaction);
    EXPECT_EQ(error("INSERT INTO t VALUES (3)"), "23505");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::failed);
    EXPECT_EQ(error("SELECT * FROM t"), "25P02");
    ok("ROLLBACK TO s");
    ok("INSERT INTO t VALUES (4)");
    EXPECT_EQ(ok("COMMIT").tag, "COMMIT");
    EXPECT_EQ(rows("SELECT id FROM t ORDER BY id"), (Lines{"1", "4"}));

    // A failed transaction's COMMIT rolls back.
    ok("BEGIN");
    ok("INSERT INTO t VALUES (5)");
    EXPECT_EQ(error("INSERT INTO t VALUES (5)"), "23505");
    EXPECT_EQ(ok("COMMIT").tag, "ROLLBACK");
    EXPECT_EQ(rows("SELECT id FROM t ORDER BY id"), (Lines{"1", "4"}));
    // DDL and DML in one transaction, rolled back together.
    ok("BEGIN; CREATE TABLE u (id integer PRIMARY KEY); INSERT INTO u VALUES (1); ROLLBACK");
    EXPECT_EQ(error("SELECT * FROM u"), "42P01");
}

TEST_F(SessionTest, ConcurrentTransactionsConflict) {
    ok("CREATE TABLE accounts (id integer PRIMARY KEY, balance integer)");
    ok("INSERT INTO accounts VALUES (1, 100)");
    Session other(node, tenant, db::kAdminPrincipal);
    ok("BEGIN");
    ok("BEGIN", &other);
    ok("UPDATE accounts SET balance = 90 WHERE id = 1");
    ok("UPDATE accounts SET balance = 80 WHERE id = 1", &other);
    ok("COMMIT");
    EXPECT_EQ(error("COMMIT", &other), "40001");
    EXPECT_EQ(rows("SELECT balance FROM accounts"), (Lines{"90"}));
}

TEST_F(SessionTest, SerialDefaultsAndOnConflict) {
    ok("CREATE TABLE tags (id serial PRIMARY KEY, name text UNIQUE, hits integer DEFAULT 0)");
    EXPECT_EQ(rows("INSERT INTO tags (name) VALUES ('a'), ('b') RETURNING id, hits"),
              (Lines{"1|0", "2|0"}));
    EXPECT_EQ(ok("INSERT INTO tags (name) VALUES ('a') ON CONFLICT DO NOTHING").tag, "INSERT 0 0");
    EXPECT_EQ(rows("INSERT INTO tags (name) VALUES ('a') ON CONFLICT (name) DO UPDATE SET hits = "
                   "tags.hits + 1 RETURNING name, hits")
                  .size(),
              1u);
    EXPECT_EQ(rows("INSERT INTO tags (name) VALUES ('c') RETURNING id"), (Lines{"5"}));  // gaps
}

TEST_F(SessionTest, EverythingSurvivesAReopen) {
    ok("CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL)");
    ok("INSERT INTO t (v) VALUES ('one'), ('two')");
    reopen();
    EXPECT_EQ(rows("SELECT id, v FROM t ORDER BY id"), (Lines{"1|one", "2|two"}));
    EXPECT_EQ(error("INSERT INTO t (v) VALUES (NULL)"), "23502");
    // The failed insert consumed 3 (defaults come before constraint checks, as in PostgreSQL).
    EXPECT_EQ(rows("INSERT INTO t (v) VALUES ('three') RETURNING id"), (Lines{"4"}));
}

TEST_F(SessionTest, TimeTravelReadsRowsAndSchemaOfAPosition) {
    ok("CREATE TABLE t (id integer PRIMARY KEY, v text)");
    ok("INSERT INTO t VALUES (1, 'first')");
    const std::string before_update = std::to_string(node.engine().applied_position().value());
    ok("UPDATE t SET v = 'second' WHERE id = 1");
    ok("ALTER TABLE t ADD COLUMN extra integer");
    ok("INSERT INTO t VALUES (2, 'later', 7)");
    ok("SET kimberlite.as_of_position = " + before_update);
    EXPECT_EQ(rows("SELECT * FROM t"), (Lines{"1|first"}));  // the schema of then: two columns
    EXPECT_EQ(error("INSERT INTO t VALUES (3, 'no')"), "25006");
    EXPECT_EQ(error("SELECT extra FROM t"), "42703");
    ok("SET kimberlite.as_of_position = 999999");
    EXPECT_EQ(error("SELECT * FROM t"), "22023");
    ok("RESET kimberlite.as_of_position");
    EXPECT_EQ(rows("SELECT id, v, extra FROM t ORDER BY id"),
              (Lines{"1|second|NULL", "2|later|7"}));
    ok("SET kimberlite.as_of_timestamp = '1999-01-01 00:00:00+00'");
    EXPECT_EQ(error("SELECT * FROM t"), "22023");
}

TEST_F(SessionTest, SettingsAndShow) {
    EXPECT_EQ(rows("SHOW server_version"), (Lines{"15.8"}));
    ok("SET application_name = 'tests'");
    EXPECT_EQ(rows("SHOW application_name"), (Lines{"tests"}));
    ok("RESET application_name");
    EXPECT_EQ(rows("SHOW application_name"), (Lines{""}));
    EXPECT_EQ(error("SET no_such_setting = 1"), "42704");
}

}  // namespace
}  // namespace kb::sql
