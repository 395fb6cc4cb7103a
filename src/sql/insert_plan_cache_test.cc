// Kept bound forms of prepared INSERTs (exec_dml.h InsertPlan, plan_cache.h): reused across
// runs and transactions while the schema is the same, bound afresh after ALTER TABLE or DROP +
// CREATE TABLE; parameter values, defaults and sequences are computed per run; constraint
// errors, ON CONFLICT and RETURNING behave as unprepared; and an insert's primary-key probe
// still lands in the read set (a concurrent insert of the same key conflicts at commit).
#include <gtest/gtest.h>

#include "sql/plan_cache.h"
#include "sql/session_test_support.h"

namespace kb::sql {
namespace {

using testing::Lines;

class InsertPlanCacheTest : public testing::SessionTestBase {
protected:
    InsertPlanCacheTest() : SessionTestBase(45) {}

    void SetUp() override {
        SessionTestBase::SetUp();
        ok("CREATE TABLE t (a int PRIMARY KEY, b text NOT NULL)");
    }

    SqlResult<StatementResult> run(const PreparedStatement& prepared, std::vector<Value> values) {
        return session->execute_prepared(prepared, values);
    }

    // The statement's tag, or its error's SQLSTATE.
    std::string tag(const PreparedStatement& prepared, std::vector<Value> values) {
        auto result = run(prepared, std::move(values));
        return result ? result->tag : result.error().sqlstate;
    }

    // RETURNING rows as "v1|v2" lines (empty on an error, which fails the test).
    Lines returned(const PreparedStatement& prepared, std::vector<Value> values) {
        auto result = run(prepared, std::move(values));
        EXPECT_TRUE(result.has_value()) << prepared.text() << ": " << result.error().to_string();
        return result ? lines(*result) : Lines{};
    }
};

TEST_F(InsertPlanCacheTest, ReusesTheBoundInsertAcrossRunsAndTransactions) {
    auto insert = prepare("INSERT INTO t (a, b) VALUES ($1, $2)");
    EXPECT_EQ(tag(*insert, {Value::int32(1), Value::text("one")}), "INSERT 0 1");
    EXPECT_EQ(insert->plan_cache().reuses(), 0U);
    EXPECT_EQ(tag(*insert, {Value::int32(2), Value::text("two")}), "INSERT 0 1");
    ok("BEGIN");
    EXPECT_EQ(tag(*insert, {Value::int32(3), Value::text("three")}), "INSERT 0 1");
    EXPECT_EQ(tag(*insert, {Value::int32(4), Value::text("four")}), "INSERT 0 1");
    ok("COMMIT");
    ok("BEGIN");
    EXPECT_EQ(tag(*insert, {Value::int32(5), Value::text("five")}), "INSERT 0 1");
    ok("ROLLBACK");
    EXPECT_EQ(insert->plan_cache().reuses(), 4U);
    EXPECT_EQ(rows("SELECT a, b FROM t ORDER BY a"),
              (Lines{"1|one", "2|two", "3|three", "4|four"}));
}

TEST_F(InsertPlanCacheTest, ConstraintErrorsComeFromAKeptPlanAsFromAFreshOne) {
    ok("ALTER TABLE t ADD COLUMN c int CHECK (c > 0)");
    auto insert = prepare("INSERT INTO t VALUES ($1, $2, $3)");
    EXPECT_EQ(tag(*insert, {Value::int32(1), Value::text("one"), Value::int32(1)}), "INSERT 0 1");
    // The duplicate key, in the snapshot and then in the transaction's own writes.
    auto duplicate = run(*insert, {Value::int32(1), Value::text("again"), Value::int32(1)});
    ASSERT_FALSE(duplicate.has_value());
    EXPECT_EQ(duplicate.error().sqlstate, "23505");
    EXPECT_EQ(duplicate.error().message,
              "duplicate key value violates unique constraint \"t_pkey\"");
    EXPECT_EQ(duplicate.error().detail, "Key (a)=(1) already exists.");
    ok("BEGIN");
    EXPECT_EQ(tag(*insert, {Value::int32(2), Value::text("two"), Value::int32(2)}), "INSERT 0 1");
    EXPECT_EQ(tag(*insert, {Value::int32(2), Value::text("two"), Value::int32(2)}), "23505");
    ok("ROLLBACK");
    EXPECT_EQ(tag(*insert, {Value::int32(3), Value::null(), Value::int32(3)}), "23502");
    auto check = run(*insert, {Value::int32(3), Value::text("three"), Value::int32(-3)});
    ASSERT_FALSE(check.has_value());
    EXPECT_EQ(check.error().sqlstate, "23514");
    EXPECT_EQ(check.error().detail, "Failing row contains (3, three, -3).");
    EXPECT_GE(insert->plan_cache().reuses(), 5U);
    EXPECT_EQ(rows("SELECT a, b, c FROM t ORDER BY a"), (Lines{"1|one|1"}));

    // Bound again after the column it names is dropped: the binding error, at its position.
    auto named = prepare("INSERT INTO t (a, c) VALUES ($1, $2)");
    EXPECT_EQ(tag(*named, {Value::int32(5), Value::int32(5)}), "23502");  // b is NOT NULL
    ok("ALTER TABLE t DROP COLUMN c");
    auto dropped = run(*named, {Value::int32(5), Value::int32(5)});
    ASSERT_FALSE(dropped.has_value());
    EXPECT_EQ(dropped.error().sqlstate, "42703");
    EXPECT_EQ(dropped.error().position, 19);  // "c" in INSERT INTO t (a, c)
}

TEST_F(InsertPlanCacheTest, AddedColumnsAndRecreatedTablesAreBoundAfresh) {
    auto insert = prepare("INSERT INTO t (a, b) VALUES ($1, $2)");
    auto all = prepare("INSERT INTO t VALUES ($1, $2)");
    EXPECT_EQ(tag(*insert, {Value::int32(1), Value::text("one")}), "INSERT 0 1");
    EXPECT_EQ(tag(*all, {Value::int32(2), Value::text("two")}), "INSERT 0 1");
    ok("ALTER TABLE t ADD COLUMN c int DEFAULT 7");
    EXPECT_EQ(tag(*insert, {Value::int32(3), Value::text("three")}), "INSERT 0 1");
    EXPECT_EQ(tag(*all, {Value::int32(4), Value::text("four")}), "INSERT 0 1");
    EXPECT_EQ(tag(*insert, {Value::int32(5), Value::text("five")}), "INSERT 0 1");
    EXPECT_EQ(rows("SELECT a, b, c FROM t ORDER BY a"),
              (Lines{"1|one|7", "2|two|7", "3|three|7", "4|four|7", "5|five|7"}));

    // The same name, another table: other columns in another order, a CHECK of its own.
    ok("DROP TABLE t");
    EXPECT_EQ(tag(*insert, {Value::int32(6), Value::text("six")}), "42P01");
    ok("CREATE TABLE t (b text, a int PRIMARY KEY CHECK (a < 100), d text DEFAULT 'd')");
    EXPECT_EQ(tag(*insert, {Value::int32(6), Value::text("six")}), "INSERT 0 1");
    EXPECT_EQ(tag(*insert, {Value::int32(7), Value::text("seven")}), "INSERT 0 1");
    EXPECT_EQ(tag(*insert, {Value::int32(100), Value::text("big")}), "23514");
    EXPECT_EQ(rows("SELECT b, a, d FROM t ORDER BY a"), (Lines{"six|6|d", "seven|7|d"}));
    // Without a column list the values go to the new table's columns in its order: $1 (an
    // int4 when prepared) is no text for column b.
    EXPECT_EQ(tag(*all, {Value::int32(8), Value::text("eight")}), "42804");
}

TEST_F(InsertPlanCacheTest, SequencesAdvanceAndReturningIsComputedPerRun) {
    ok("CREATE TABLE s (id serial PRIMARY KEY, v text, at timestamptz DEFAULT now())");
    auto insert = prepare("INSERT INTO s (v) VALUES ($1) RETURNING id, v, upper(v)");
    EXPECT_EQ(returned(*insert, {Value::text("x")}), (Lines{"1|x|X"}));
    EXPECT_EQ(returned(*insert, {Value::text("y")}), (Lines{"2|y|Y"}));
    ok("BEGIN");
    EXPECT_EQ(returned(*insert, {Value::text("z")}), (Lines{"3|z|Z"}));
    EXPECT_EQ(returned(*insert, {Value::text("w")}), (Lines{"4|w|W"}));
    ok("ROLLBACK");  // sequence values are not given back
    EXPECT_EQ(returned(*insert, {Value::text("v")}), (Lines{"5|v|V"}));
    EXPECT_GE(insert->plan_cache().reuses(), 4U);
    EXPECT_EQ(rows("SELECT id, v, at IS NOT NULL FROM s ORDER BY id"),
              (Lines{"1|x|t", "2|y|t", "5|v|t"}));

    auto defaults = prepare("INSERT INTO s DEFAULT VALUES RETURNING id, v");
    EXPECT_EQ(returned(*defaults, {}), (Lines{"6|NULL"}));
    EXPECT_EQ(returned(*defaults, {}), (Lines{"7|NULL"}));
    EXPECT_EQ(defaults->plan_cache().reuses(), 1U);

    // RETURNING * after a column is added: the result's shape changed (as PostgreSQL: the
    // client must prepare again).
    auto star = prepare("INSERT INTO s (v) VALUES ($1) RETURNING *");
    ASSERT_EQ(run(*star, {Value::text("a")}).has_value(), true);
    ok("ALTER TABLE s ADD COLUMN extra int");
    EXPECT_EQ(tag(*star, {Value::text("b")}), "0A000");
}

TEST_F(InsertPlanCacheTest, OnConflictRunsFromAKeptPlan) {
    auto upsert = prepare(
        "INSERT INTO t VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = t.b || '+' || "
        "excluded.b WHERE t.b <> 'frozen' RETURNING a, b");
    EXPECT_EQ(returned(*upsert, {Value::int32(1), Value::text("one")}), (Lines{"1|one"}));
    EXPECT_EQ(returned(*upsert, {Value::int32(1), Value::text("uno")}), (Lines{"1|one+uno"}));
    ok("INSERT INTO t VALUES (2, 'frozen')");
    EXPECT_EQ(returned(*upsert, {Value::int32(2), Value::text("two")}), (Lines{}));
    auto nothing = prepare("INSERT INTO t VALUES ($1, $2) ON CONFLICT DO NOTHING");
    EXPECT_EQ(tag(*nothing, {Value::int32(1), Value::text("x")}), "INSERT 0 0");
    EXPECT_EQ(tag(*nothing, {Value::int32(3), Value::text("three")}), "INSERT 0 1");
    EXPECT_GE(upsert->plan_cache().reuses(), 2U);
    EXPECT_EQ(nothing->plan_cache().reuses(), 1U);
    EXPECT_EQ(rows("SELECT a, b FROM t ORDER BY a"), (Lines{"1|one+uno", "2|frozen", "3|three"}));
}

TEST_F(InsertPlanCacheTest, AnInsertsKeyProbeStaysInTheReadSet) {
    // The insert checks the key is free and writes it in one probe: the key is still recorded
    // as read, so another transaction's commit of the same key makes this one conflict.
    auto insert = prepare("INSERT INTO t VALUES ($1, $2)");
    ok("BEGIN");
    EXPECT_EQ(tag(*insert, {Value::int32(1), Value::text("mine")}), "INSERT 0 1");
    auto other = new_session();
    ok("INSERT INTO t VALUES (1, 'theirs')", other.get());
    auto committed = session->execute("COMMIT");
    ASSERT_EQ(committed.size(), 1U);
    ASSERT_FALSE(committed[0].has_value());
    EXPECT_EQ(committed[0].error().sqlstate, "40001");
    EXPECT_EQ(rows("SELECT a, b FROM t"), (Lines{"1|theirs"}));
}

}  // namespace
}  // namespace kb::sql
