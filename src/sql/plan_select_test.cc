// Plans end to end on a simulated node: the access path EXPLAIN shows, and the serializability
// of reads through indexes between two sessions — a phantom inserted into an index range a
// transaction read makes its commit fail with 40001, a write outside the range does not, and
// two transactions inserting one unique value cannot both commit.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

using Lines = std::vector<std::string>;

class PlanSelectTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        session = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
        other = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
    }

    // Runs `sql` on `on`; every statement must succeed; the last result.
    StatementResult ok(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *session).execute(sql);
        EXPECT_FALSE(results.empty());
        for (const auto& result : results) {
            EXPECT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
            if (!result) return {};
        }
        return results.empty() ? StatementResult{} : *results.back();
    }

    std::string error(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *session).execute(sql);
        if (results.empty() || results.back().has_value()) {
            ADD_FAILURE() << sql << " succeeded";
            return "";
        }
        return results.back().error().sqlstate;
    }

    Lines rows(std::string_view sql, Session* on = nullptr) {
        StatementResult result = ok(sql, on);
        Lines out;
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

    db::testing::SimNode node{43};
    TenantId tenant;
    std::unique_ptr<Session> session, other;
};

TEST_F(PlanSelectTest, ExplainShowsTheAccessPath) {
    ok("CREATE TABLE t (id int PRIMARY KEY, k int, u text UNIQUE, v text)");
    ok("CREATE INDEX t_k_idx ON t (k)");
    EXPECT_EQ(
        rows("EXPLAIN SELECT v FROM t WHERE id = 3"),
        (Lines{"Project", "  ->  Index Scan using t_pkey on t", "        Index Cond: (id = 3)"}));
    EXPECT_EQ(rows("EXPLAIN SELECT * FROM t WHERE k >= 2 AND v = 'x' ORDER BY k DESC LIMIT 5"),
              (Lines{"Limit 5", "  ->  Project", "        ->  Filter: (v = x)",
                     "              ->  Index Scan Backward using t_k_idx on t",
                     "                    Index Cond: (k >= 2)"}));
    EXPECT_EQ(rows("EXPLAIN SELECT * FROM t ORDER BY v"),
              (Lines{"Sort: v", "  ->  Project", "        ->  Seq Scan on t"}));
    EXPECT_EQ(rows("EXPLAIN SELECT id FROM t ORDER BY v"),
              (Lines{"Project", "  ->  Sort: v", "        ->  Project",
                     "              ->  Seq Scan on t"}));
    EXPECT_EQ(rows("EXPLAIN DELETE FROM t WHERE u = 'a'"),
              (Lines{"Delete on t", "  ->  Index Scan using t_u_key on t",
                     "        Index Cond: (u = a)"}));
}

TEST_F(PlanSelectTest, PhantomInAnIndexRangeIsASerializationFailure) {
    ok("CREATE TABLE doctors (id int PRIMARY KEY, shift int, on_call boolean)");
    ok("CREATE INDEX doctors_shift ON doctors (shift)");
    ok("INSERT INTO doctors VALUES (1, 1, true), (2, 1, true), (3, 2, true)");

    // Write skew through an index: the check reads shift 1's doctors by the index; another
    // transaction adds a doctor to shift 1 meanwhile; the first must not commit.
    ok("BEGIN");
    EXPECT_EQ(rows("SELECT count(*) FROM doctors WHERE shift = 1 AND on_call"), (Lines{"2"}));
    ok("INSERT INTO doctors VALUES (4, 1, false)", other.get());
    ok("UPDATE doctors SET on_call = false WHERE id = 1");
    EXPECT_EQ(error("COMMIT"), "40001");

    // The same with the other transaction writing outside the range read: no conflict.
    ok("BEGIN");
    EXPECT_EQ(rows("SELECT count(*) FROM doctors WHERE shift = 1 AND on_call"), (Lines{"2"}));
    ok("INSERT INTO doctors VALUES (5, 3, true)", other.get());
    ok("UPDATE doctors SET on_call = false WHERE id = 1");
    ok("COMMIT");
    EXPECT_EQ(rows("SELECT id FROM doctors WHERE shift = 1 AND on_call"), (Lines{"2"}));
}

TEST_F(PlanSelectTest, ConcurrentInsertsOfOneUniqueValueCannotBothCommit) {
    ok("CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE)");
    ok("BEGIN");
    ok("INSERT INTO users VALUES (1, 'a@example.com')");
    ok("BEGIN", other.get());
    ok("INSERT INTO users VALUES (2, 'a@example.com')", other.get());
    ok("COMMIT", other.get());
    EXPECT_EQ(error("COMMIT"), "40001");
    EXPECT_EQ(rows("SELECT id FROM users WHERE email = 'a@example.com'"), (Lines{"2"}));
    EXPECT_EQ(error("INSERT INTO users VALUES (3, 'a@example.com')"), "23505");
}

TEST_F(PlanSelectTest, AnIndexCreatedInTheTransactionServesItsQueries) {
    ok("CREATE TABLE t (id int PRIMARY KEY, k int)");
    ok("INSERT INTO t VALUES (1, 10), (2, 20), (3, 20)");
    ok("BEGIN");
    ok("CREATE INDEX t_k ON t (k)");
    ok("INSERT INTO t VALUES (4, 20)");
    ok("DELETE FROM t WHERE id = 2");
    EXPECT_EQ(rows("SELECT id FROM t WHERE k = 20 ORDER BY id"), (Lines{"3", "4"}));
    EXPECT_EQ(rows("EXPLAIN SELECT id FROM t WHERE k = 20")[1], "  ->  Index Scan using t_k on t");
    ok("COMMIT");
    EXPECT_EQ(rows("SELECT id FROM t WHERE k = 20 ORDER BY id"), (Lines{"3", "4"}));
}

}  // namespace
}  // namespace kb::sql
