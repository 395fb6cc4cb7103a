// Session::execute_prepared_into: running prepared statements into a result the caller keeps
// (its rows refilled in place) gives exactly what execute_prepared gives into a fresh result —
// whatever the earlier executions left in it (more or fewer rows, other kinds per column,
// NULLs, longer or shorter text), after errors midway through a scan, after other statements
// (INSERT, another SELECT) ran into it, and inside transactions.
#include <gtest/gtest.h>

#include "base/prng.h"
#include "sql/bind_resolve.h"
#include "sql/prepared.h"
#include "sql/session_test_support.h"

namespace kb::sql {
namespace {

class PreparedIntoTest : public testing::SessionTestBase {
protected:
    PreparedIntoTest() : SessionTestBase(44) {}

    void SetUp() override {
        SessionTestBase::SetUp();
        ok("CREATE TABLE t (a int PRIMARY KEY, b text, c bigint)");
    }

    // Runs `prepared` both ways — into `kept` and into a fresh result — and expects the same
    // outcome. Returns whether it succeeded.
    bool run_both(const PreparedStatement& prepared, std::span<const Value> parameters,
                  StatementResult& kept) {
        auto fresh = session->execute_prepared(prepared, parameters);
        auto into = session->execute_prepared_into(prepared, parameters, kept);
        EXPECT_EQ(fresh.has_value(), into.has_value()) << prepared.text();
        if (!fresh || !into) {
            if (!fresh && !into) {
                EXPECT_EQ(fresh.error().sqlstate, into.error().sqlstate);
                EXPECT_EQ(fresh.error().message, into.error().message);
            }
            if (!into) expect_empty(kept);
            return false;
        }
        expect_same(*fresh, kept);
        return true;
    }

    static void expect_same(const StatementResult& expected, const StatementResult& actual) {
        EXPECT_EQ(expected.tag, actual.tag);
        EXPECT_EQ(expected.returns_rows, actual.returns_rows);
        EXPECT_EQ(expected.columns, actual.columns);
        EXPECT_EQ(expected.notices, actual.notices);
        ASSERT_EQ(expected.rows.size(), actual.rows.size());
        for (usize i = 0; i < expected.rows.size(); ++i) {
            ASSERT_EQ(expected.rows[i].size(), actual.rows[i].size()) << "row " << i;
            for (usize j = 0; j < expected.rows[i].size(); ++j) {
                EXPECT_TRUE(expected.rows[i][j] == actual.rows[i][j])
                    << "row " << i << " column " << j << ": "
                    << value_to_text(expected.rows[i][j], expected.columns[j].type) << " vs "
                    << (actual.rows[i][j].is_null()
                            ? std::string("NULL")
                            : value_to_text(actual.rows[i][j], actual.columns[j].type));
            }
        }
    }

    static void expect_empty(const StatementResult& result) {
        EXPECT_EQ(result.tag, "");
        EXPECT_FALSE(result.returns_rows);
        EXPECT_TRUE(result.columns.empty());
        EXPECT_TRUE(result.rows.empty());
        EXPECT_TRUE(result.notices.empty());
    }
};

TEST_F(PreparedIntoTest, SameRowsAsAFreshResultWhateverTheLastExecutionLeft) {
    // Rows with NULLs and text of many lengths (short strings and heap strings).
    for (int a = 0; a < 60; ++a) {
        const std::string b =
            a % 7 == 0 ? "NULL" : "'" + std::string(static_cast<usize>(a), 'x') + "'";
        const std::string c = a % 5 == 0 ? "NULL" : std::to_string(a * 1000);
        ok("INSERT INTO t VALUES (" + std::to_string(a) + ", " + b + ", " + c + ")");
    }
    auto scan = prepare("SELECT a, b, c FROM t WHERE a >= $1 ORDER BY a LIMIT $2");
    ASSERT_NE(scan, nullptr);
    StatementResult kept;
    // More rows, fewer, none, all, then more again.
    const std::vector<std::pair<i32, i64>> runs = {{0, 10}, {5, 3},  {30, 0}, {0, 100},
                                                   {59, 5}, {70, 5}, {2, 40}, {1, 40}};
    for (const auto& [from, limit] : runs) {
        const Value parameters[] = {Value::int32(from), Value::int64(limit)};
        EXPECT_TRUE(run_both(*scan, parameters, kept)) << from << " " << limit;
    }
    // The rows change between executions: text grows and shrinks, values turn NULL and back.
    ok("UPDATE t SET b = b || b || b WHERE a % 2 = 0");
    ok("UPDATE t SET b = 'y', c = NULL WHERE a % 3 = 0");
    ok("UPDATE t SET b = NULL, c = 7 WHERE a % 4 = 1");
    const Value all[] = {Value::int32(0), Value::int64(100)};
    EXPECT_TRUE(run_both(*scan, all, kept));
    ok("DELETE FROM t WHERE a % 2 = 1");
    EXPECT_TRUE(run_both(*scan, all, kept));
    EXPECT_EQ(kept.rows.size(), 30u);
    EXPECT_EQ(kept.tag, "SELECT 30");
}

TEST_F(PreparedIntoTest, OtherStatementsIntoTheSameResult) {
    ok("INSERT INTO t VALUES (1, 'one', 10), (2, NULL, 20), (3, 'three three three three', NULL)");
    auto forward = prepare("SELECT a, b, c FROM t ORDER BY a");
    // The same positions hold other kinds: text where an int was, and so on.
    auto shuffled = prepare("SELECT b, c, a, a + 1 AS d FROM t WHERE a >= $1 ORDER BY a DESC");
    auto insert = prepare("INSERT INTO t VALUES ($1, $2, $3)");
    auto empty = prepare("");
    ASSERT_TRUE(forward && shuffled && insert && empty);
    StatementResult kept;
    const Value from_one[] = {Value::int32(1)};
    const Value from_three[] = {Value::int32(3)};
    EXPECT_TRUE(run_both(*forward, {}, kept));
    EXPECT_TRUE(run_both(*shuffled, from_one, kept));
    EXPECT_TRUE(run_both(*forward, {}, kept));
    EXPECT_TRUE(run_both(*shuffled, from_three, kept));
    // A statement without rows replaces the result whole.
    const Value row[] = {Value::int32(4), Value::text("four"), Value::int64(40)};
    ASSERT_TRUE(session->execute_prepared_into(*insert, row, kept).has_value());
    EXPECT_EQ(kept.tag, "INSERT 0 1");
    EXPECT_FALSE(kept.returns_rows);
    EXPECT_TRUE(kept.rows.empty());
    EXPECT_TRUE(kept.columns.empty());
    EXPECT_TRUE(run_both(*forward, {}, kept));
    EXPECT_EQ(kept.rows.size(), 4u);
    ASSERT_TRUE(session->execute_prepared_into(*empty, {}, kept).has_value());
    EXPECT_TRUE(kept.rows.empty());
    EXPECT_TRUE(run_both(*shuffled, from_one, kept));
}

TEST_F(PreparedIntoTest, AnErrorMidwayLeavesAResultTheNextCallReuses) {
    for (int a = 0; a < 50; ++a) {
        ok("INSERT INTO t VALUES (" + std::to_string(a) + ", 'row " + std::to_string(a) +
           " of the table t', " + std::to_string(a) + ")");
    }
    // Division by zero at the row whose c equals $1: rows before it were already produced.
    auto divide = prepare("SELECT a, b, 100 / (c - $1) AS q FROM t ORDER BY a");
    ASSERT_NE(divide, nullptr);
    StatementResult kept;
    const Value none[] = {Value::int64(-1)};
    const Value midway[] = {Value::int64(30)};
    EXPECT_TRUE(run_both(*divide, none, kept));
    EXPECT_EQ(kept.rows.size(), 50u);
    EXPECT_FALSE(run_both(*divide, midway, kept));  // 22012, and `kept` is empty
    auto error = session->execute_prepared_into(*divide, midway, kept);
    ASSERT_FALSE(error.has_value());
    EXPECT_EQ(error.error().sqlstate, "22012");
    expect_empty(kept);
    EXPECT_TRUE(run_both(*divide, none, kept));
    EXPECT_EQ(kept.rows.size(), 50u);
    // A parameter count error and an error inside a transaction block, then reuse.
    auto counted = session->execute_prepared_into(*divide, {}, kept);
    ASSERT_FALSE(counted.has_value());
    EXPECT_EQ(counted.error().sqlstate, "08P01");
    expect_empty(kept);
    ok("BEGIN");
    auto inside = session->execute_prepared_into(*divide, midway, kept);
    ASSERT_FALSE(inside.has_value());
    EXPECT_EQ(inside.error().sqlstate, "22012");
    expect_empty(kept);
    auto failed = session->execute_prepared_into(*divide, none, kept);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().sqlstate, "25P02");
    ok("ROLLBACK");
    EXPECT_TRUE(run_both(*divide, none, kept));
    EXPECT_EQ(kept.rows.size(), 50u);
}

TEST_F(PreparedIntoTest, InsideATransactionItSeesItsOwnWrites) {
    ok("INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2)");
    auto scan = prepare("SELECT a, b, c FROM t WHERE a >= $1 ORDER BY a");
    ASSERT_NE(scan, nullptr);
    StatementResult kept;
    const Value from[] = {Value::int32(0)};
    ok("BEGIN");
    EXPECT_TRUE(run_both(*scan, from, kept));
    ok("INSERT INTO t VALUES (0, 'zero', NULL)");
    ok("UPDATE t SET b = 'a much longer text than before, on the heap' WHERE a = 1");
    ok("DELETE FROM t WHERE a = 2");
    EXPECT_TRUE(run_both(*scan, from, kept));
    ASSERT_EQ(kept.rows.size(), 2u);
    EXPECT_EQ(kept.rows[0][1].as_text(), "zero");
    EXPECT_EQ(kept.rows[1][1].as_text(), "a much longer text than before, on the heap");
    ok("ROLLBACK");
    EXPECT_TRUE(run_both(*scan, from, kept));
    ASSERT_EQ(kept.rows.size(), 2u);
    EXPECT_EQ(kept.rows[0][1].as_text(), "a");
}

TEST_F(PreparedIntoTest, RandomSequencesMatchFreshResults) {
    Prng prng(7);
    auto scan = prepare("SELECT a, b, c FROM t WHERE a >= $1 ORDER BY a LIMIT $2");
    auto backward = prepare("SELECT c, b FROM t WHERE a < $1 ORDER BY a DESC LIMIT $2");
    ASSERT_TRUE(scan && backward);
    StatementResult kept;
    for (int step = 0; step < 200; ++step) {
        const i32 key = static_cast<i32>(prng.uniform(40));
        switch (prng.uniform(4)) {
            case 0: {
                const usize length = static_cast<usize>(prng.uniform(40));
                const std::string b =
                    prng.coin()
                        ? "NULL"
                        : "'" + std::string(length, static_cast<char>('a' + step % 26)) + "'";
                const std::string c = prng.coin() ? "NULL" : std::to_string(prng.uniform(1000));
                ok("INSERT INTO t VALUES (" + std::to_string(key) + ", " + b + ", " + c +
                   ") ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = excluded.c");
                break;
            }
            case 1:
                ok("DELETE FROM t WHERE a = " + std::to_string(key));
                break;
            default: {
                const Value parameters[] = {Value::int32(key),
                                            Value::int64(static_cast<i64>(prng.uniform(30)))};
                EXPECT_TRUE(run_both(prng.coin() ? *scan : *backward, parameters, kept))
                    << "step " << step;
                break;
            }
        }
    }
}

}  // namespace
}  // namespace kb::sql
