// Stopping statements and implicit transactions, through a session on a simulated node:
// cancellation (from another thread, while idle, during COPY), statement_timeout (SET, SHOW,
// RESET to the server's default, the 57014 error, nothing committed), the memory limit on rows
// held (results, sorts, groups), and a text of several statements as one implicit transaction
// (PostgreSQL's rules for BEGIN, COMMIT, ROLLBACK, SAVEPOINT and 25001 statements in it).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sql/session.h"
#include "sql/session_test_support.h"
#include "sql/statement_guard.h"

namespace kb::sql {
namespace {

using testing::Lines;

// A scan of 4096 rows whose every row builds a 10 MB string: seconds of work, and a
// cancellation point per row (the scan's).
constexpr const char* kSlowQuery = "SELECT count(*) FROM big WHERE length(repeat(v, 100000)) < 0";

class SessionLimitsTest : public testing::SessionTestBase {
protected:
    SessionLimitsTest() : SessionTestBase(71) {}

    std::unique_ptr<Session> make_session(SessionOptions options = {}) {
        return std::make_unique<Session>(node, tenant, db::kAdminPrincipal, options);
    }

    // `big`: 4096 rows of 100 characters, made by doubling.
    void make_big() {
        ok("CREATE TABLE big (id bigint PRIMARY KEY, v text, n integer)");
        ok("INSERT INTO big VALUES (1, repeat('x', 100), 0)");
        for (int rows = 1; rows < 4096; rows *= 2) {
            ok("INSERT INTO big SELECT id + " + std::to_string(rows) + ", v, n FROM big");
        }
        ASSERT_EQ(rows("SELECT count(*) FROM big"), (Lines{"4096"}));
    }

    // Runs `sql` on `on` in another thread, cancelling it from this one until the cancel
    // lands; the results.
    std::vector<SqlResult<StatementResult>> run_cancelled(Session& on, std::string sql) {
        std::atomic<bool> finished{false};
        std::vector<SqlResult<StatementResult>> results;
        std::thread runner([&] {
            results = on.execute(sql);
            finished.store(true);
        });
        bool landed = false;
        while (!landed && !finished.load()) {
            landed = on.cancel_signal()->cancel();
            if (!landed) std::this_thread::yield();
        }
        runner.join();
        EXPECT_TRUE(landed) << sql << " ended before a cancel landed";
        return results;
    }

    static std::string describe(const SqlResult<StatementResult>& result) {
        if (result) return result->tag;
        return result.error().sqlstate + " " + result.error().message;
    }
};

// --- CancelSignal and StatementGuard ---------------------------------------------------------

TEST(CancelSignal, OnlyARunningRequestIsCancelled) {
    CancelSignal signal;
    EXPECT_FALSE(signal.cancel()) << "nothing runs: dropped";
    EXPECT_FALSE(signal.cancelled());
    signal.enter();
    EXPECT_TRUE(signal.running());
    EXPECT_FALSE(signal.cancelled());
    EXPECT_TRUE(signal.cancel());
    EXPECT_TRUE(signal.cancelled());
    signal.enter();  // a request already running (a COPY's next message) keeps its cancel
    EXPECT_TRUE(signal.cancelled());
    signal.leave();
    EXPECT_FALSE(signal.running());
    signal.enter();  // the next request starts clean
    EXPECT_FALSE(signal.cancelled());
    signal.leave();
}

TEST(StatementGuard, TicksPollEveryFewRowsAndStopsForGood) {
    CancelSignal signal;
    signal.enter();
    StatementGuard guard;
    guard.arm(&signal, std::nullopt, 0);
    for (u32 i = 0; i < 3 * StatementGuard::kRowsPerPoll; ++i) ASSERT_FALSE(guard.tick());
    ASSERT_TRUE(signal.cancel());
    u32 rows = 0;
    while (!guard.tick()) ++rows;
    EXPECT_LT(rows, StatementGuard::kRowsPerPoll);
    EXPECT_TRUE(guard.poll()) << "stays stopped";
    EXPECT_EQ(guard.error().sqlstate, "57014");
    EXPECT_EQ(guard.error().message, "canceling statement due to user request");
    // A new statement of the same request still sees the cancel; a new request does not.
    guard.arm(&signal, std::nullopt, 0);
    EXPECT_FALSE(guard.check().has_value());
    signal.leave();
    signal.enter();
    guard.arm(&signal, std::nullopt, 0);
    EXPECT_TRUE(guard.check().has_value());
}

TEST(StatementGuard, DeadlinesAndMemory) {
    StatementGuard guard;
    guard.arm(nullptr, StatementGuard::Clock::now() - std::chrono::milliseconds(1), 0);
    auto checked = guard.check();
    ASSERT_FALSE(checked.has_value());
    EXPECT_EQ(checked.error().message, "canceling statement due to statement timeout");

    guard.arm(nullptr, std::nullopt, 1000);
    EXPECT_FALSE(guard.hold(600));
    EXPECT_TRUE(guard.hold(600));
    EXPECT_EQ(guard.error().sqlstate, "54000");
    EXPECT_NE(guard.error().message.find("max-result-bytes"), std::string::npos);
    guard.arm(nullptr, std::nullopt, 1000);
    EXPECT_FALSE(guard.hold(600));
    guard.release(600);
    EXPECT_FALSE(guard.hold(600)) << "released bytes are no longer held";
    guard.arm(nullptr, std::nullopt, 0);
    EXPECT_FALSE(guard.hold(u64{1} << 40)) << "0 is no limit";
}

TEST(StatementGuard, ValueBytesCountWhatIsHeld) {
    const kernel::Value small = kernel::Value::int64(7);
    const kernel::Value text = kernel::Value::text(std::string(1000, 'x'));
    EXPECT_EQ(value_bytes(small), sizeof(kernel::Value));
    EXPECT_GE(value_bytes(text), sizeof(kernel::Value) + 1000);
    const std::vector<kernel::Value> row{small, text};
    EXPECT_EQ(row_bytes(row), sizeof(row) + value_bytes(small) + value_bytes(text));
}

// --- cancellation ------------------------------------------------------------------------------

TEST_F(SessionLimitsTest, ACancelFromAnotherThreadStopsTheStatement) {
    make_big();
    auto results = run_cancelled(*session, kSlowQuery);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(describe(results[0]), "57014 canceling statement due to user request");
    // The session goes on, and an old cancel does not reach the next statement.
    EXPECT_EQ(rows("SELECT count(*) FROM big"), (Lines{"4096"}));
    EXPECT_EQ(session->transaction_status(), TransactionStatus::idle);
}

TEST_F(SessionLimitsTest, ACancelWhileIdleIsDropped) {
    ok("CREATE TABLE t (id bigint PRIMARY KEY)");
    EXPECT_FALSE(session->cancel_signal()->cancel());
    EXPECT_EQ(ok("INSERT INTO t VALUES (1)").tag, "INSERT 0 1");
    EXPECT_FALSE(session->cancel_signal()->cancel());
    EXPECT_EQ(rows("SELECT id FROM t"), (Lines{"1"}));
}

TEST_F(SessionLimitsTest, ACancelledUpdateCommitsNothing) {
    make_big();
    auto results =
        run_cancelled(*session, "UPDATE big SET n = n + 1 WHERE length(repeat(v, 100000)) > 0");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(describe(results[0]), "57014 canceling statement due to user request");
    EXPECT_EQ(rows("SELECT sum(n) FROM big"), (Lines{"0"}));
}

TEST_F(SessionLimitsTest, ACancelFailsTheTransactionBlock) {
    make_big();
    ok("BEGIN");
    ok("UPDATE big SET n = 1 WHERE id = 1");
    auto results = run_cancelled(*session, kSlowQuery);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].error().sqlstate, "57014");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::failed);
    EXPECT_EQ(error("SELECT 1").sqlstate, "25P02");
    EXPECT_EQ(ok("COMMIT").tag, "ROLLBACK");
    EXPECT_EQ(rows("SELECT sum(n) FROM big"), (Lines{"0"}));
}

TEST_F(SessionLimitsTest, ACancelDuringATextRollsBackAllOfIt) {
    make_big();
    ok("CREATE TABLE log (id bigint PRIMARY KEY)");
    auto results = run_cancelled(
        *session, std::string("INSERT INTO log VALUES (1); INSERT INTO log VALUES (2); ") +
                      kSlowQuery + "; INSERT INTO log VALUES (3)");
    // The cancel stops the text wherever it lands (at the latest in the slow query), and
    // the inserts before it are rolled back with the text's transaction.
    ASSERT_FALSE(results.empty());
    ASSERT_LE(results.size(), 3u);
    EXPECT_EQ(describe(results.back()), "57014 canceling statement due to user request");
    EXPECT_EQ(rows("SELECT count(*) FROM log"), (Lines{"0"}));
    EXPECT_EQ(session->transaction_status(), TransactionStatus::idle);
}

TEST_F(SessionLimitsTest, ACancelWhileCopyWaitsForDataEndsTheCopy) {
    ok("CREATE TABLE t (id bigint PRIMARY KEY)");
    auto started = session->execute("COPY t FROM STDIN");
    ASSERT_TRUE(started.back().has_value());
    ASSERT_TRUE(session->copy_in_progress());
    ASSERT_TRUE(session->copy_data(as_bytes(std::string_view("1\n2\n"))).has_value());
    // Between two CopyData messages the COPY is still the running request.
    EXPECT_TRUE(session->cancel_signal()->cancel());
    auto sent = session->copy_data(as_bytes(std::string_view("3\n")));
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().sqlstate, "57014");
    EXPECT_EQ(sent.error().message, "canceling statement due to user request");
    EXPECT_FALSE(session->copy_in_progress());
    EXPECT_FALSE(session->cancel_signal()->cancel()) << "the request is over";
    EXPECT_EQ(rows("SELECT count(*) FROM t"), (Lines{"0"}));
}

// --- statement_timeout --------------------------------------------------------------------------

TEST_F(SessionLimitsTest, StatementTimeoutIsASettingWithPostgresUnits) {
    EXPECT_EQ(rows("SHOW statement_timeout"), (Lines{"0"}));
    ok("SET statement_timeout = 5000");
    EXPECT_EQ(rows("SHOW statement_timeout"), (Lines{"5s"}));
    ok("SET statement_timeout = '2min'");
    EXPECT_EQ(rows("SHOW statement_timeout"), (Lines{"2min"}));
    ok("SET statement_timeout TO '250ms'");
    EXPECT_EQ(rows("SHOW statement_timeout"), (Lines{"250ms"}));
    EXPECT_EQ(error("SET statement_timeout = 'soon'").sqlstate, "22023");
    ok("RESET statement_timeout");
    EXPECT_EQ(rows("SHOW statement_timeout"), (Lines{"0"}));

    // The server's default: what a session starts with and what RESET goes back to.
    SessionOptions options;
    options.statement_timeout_ms = 1500;
    auto configured = make_session(options);
    EXPECT_EQ(rows("SHOW statement_timeout", configured.get()), (Lines{"1500ms"}));
    ok("SET statement_timeout = 0", configured.get());
    EXPECT_EQ(rows("SHOW statement_timeout", configured.get()), (Lines{"0"}));
    ok("RESET statement_timeout", configured.get());
    EXPECT_EQ(rows("SHOW statement_timeout", configured.get()), (Lines{"1500ms"}));
    ok("SET statement_timeout = 0; RESET ALL", configured.get());
    EXPECT_EQ(rows("SELECT current_setting('statement_timeout')", configured.get()),
              (Lines{"1500ms"}));
}

TEST_F(SessionLimitsTest, AStatementOverItsTimeoutIsCancelled) {
    make_big();
    ok("SET statement_timeout = '20ms'");
    const SqlError timed_out = error(kSlowQuery);
    EXPECT_EQ(timed_out.sqlstate, "57014");
    EXPECT_EQ(timed_out.message, "canceling statement due to statement timeout");
    // Quick statements are untouched; nothing of a timed-out write is committed.
    EXPECT_EQ(rows("SELECT count(*) FROM big"), (Lines{"4096"}));
    EXPECT_EQ(error("UPDATE big SET n = n + 1 WHERE length(repeat(v, 100000)) > 0").sqlstate,
              "57014");
    ok("SET statement_timeout = 0");
    EXPECT_EQ(rows("SELECT sum(n) FROM big"), (Lines{"0"}));
}

TEST_F(SessionLimitsTest, TheServerDefaultTimeoutApplies) {
    make_big();
    SessionOptions options;
    options.statement_timeout_ms = 20;
    auto configured = make_session(options);
    EXPECT_EQ(error(kSlowQuery, configured.get()).message,
              "canceling statement due to statement timeout");
    // Inside a block the timeout fails the transaction, as every error does.
    ok("BEGIN", configured.get());
    EXPECT_EQ(error(kSlowQuery, configured.get()).sqlstate, "57014");
    EXPECT_EQ(configured->transaction_status(), TransactionStatus::failed);
    ok("ROLLBACK", configured.get());
}

TEST_F(SessionLimitsTest, TheTimeoutAppliesToEachStatementOfATextAfterItsSet) {
    make_big();
    // Set in the text itself: the statements after it run under it (PostgreSQL 13+: each
    // statement of a simple Query has its own timeout).
    auto results = session->execute(std::string("SET statement_timeout = '20ms'; ") + kSlowQuery);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(describe(results[1]), "57014 canceling statement due to statement timeout");
}

// --- rows held in memory ------------------------------------------------------------------------

TEST_F(SessionLimitsTest, RowsHeldPastTheLimitFailWith54000) {
    make_big();  // 4096 rows of ~150 bytes: ~600 KB as a result
    SessionOptions options;
    options.max_result_bytes = 256 << 10;
    auto limited = make_session(options);
    const SqlError refused = error("SELECT id, v FROM big", limited.get());
    EXPECT_EQ(refused.sqlstate, "54000");
    EXPECT_NE(refused.message.find("max-result-bytes"), std::string::npos) << refused.message;
    EXPECT_NE(refused.hint.find("LIMIT"), std::string::npos);
    // Sort buffers and groups count too; rows only scanned do not.
    EXPECT_EQ(error("SELECT id FROM big ORDER BY v, id LIMIT 1", limited.get()).sqlstate, "54000");
    EXPECT_EQ(
        error("SELECT v || id, count(*) FROM big GROUP BY v || id LIMIT 1", limited.get()).sqlstate,
        "54000");
    EXPECT_EQ(rows("SELECT count(*), max(length(v)) FROM big", limited.get()), (Lines{"4096|100"}));
    EXPECT_EQ(ok("SELECT id, v FROM big WHERE id <= 100", limited.get()).rows.size(), 100u);
    // An UPDATE holds the rows it read: over the limit, nothing is written.
    EXPECT_EQ(error("UPDATE big SET n = 1", limited.get()).sqlstate, "54000");
    EXPECT_EQ(rows("SELECT sum(n) FROM big"), (Lines{"0"}));
    // The default session's limit (256 MiB) is far away.
    EXPECT_EQ(ok("SELECT id, v FROM big").rows.size(), 4096u);
}

// --- implicit transactions
// ------------------------------------------------------------------------

class ImplicitTransactionTest : public SessionLimitsTest {
protected:
    void SetUp() override {
        SessionLimitsTest::SetUp();
        ok("CREATE TABLE t (id bigint PRIMARY KEY)");
        ok("CREATE TABLE u (id bigint PRIMARY KEY, v integer)");
        ok("INSERT INTO u VALUES (1, 0)");
    }
    Lines ids() { return rows("SELECT id FROM t ORDER BY id"); }
};

TEST_F(ImplicitTransactionTest, AnErrorRollsBackTheWholeText) {
    auto results = session->execute(
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (1); "
        "INSERT INTO t VALUES (3)");
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(describe(results[0]), "INSERT 0 1");
    EXPECT_EQ(results[2].error().sqlstate, "23505");
    EXPECT_EQ(ids(), Lines{});
    EXPECT_EQ(session->transaction_status(), TransactionStatus::idle);
    // Without an error everything commits, together.
    ok("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); UPDATE u SET v = 2");
    EXPECT_EQ(ids(), (Lines{"1", "2"}));
    EXPECT_EQ(rows("SELECT v FROM u"), (Lines{"2"}));
}

TEST_F(ImplicitTransactionTest, StatementsSeeTheTextsEarlierWrites) {
    auto results = session->execute(
        "INSERT INTO t VALUES (5); SELECT count(*) FROM t; CREATE TABLE w (id bigint PRIMARY KEY); "
        "INSERT INTO w SELECT id FROM t; SELECT 1/0");
    ASSERT_EQ(results.size(), 5u) << results.back().error().to_string();
    EXPECT_EQ(results[1]->rows[0][0].as_int(), 1);
    EXPECT_EQ(results[4].error().sqlstate, "22012");
    EXPECT_EQ(ids(), Lines{});
    EXPECT_EQ(error("SELECT * FROM w").sqlstate, "42P01") << "the DDL was rolled back too";
}

TEST_F(ImplicitTransactionTest, BeginTurnsItIntoABlock) {
    auto results = session->execute("INSERT INTO t VALUES (1); BEGIN; INSERT INTO t VALUES (2)");
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[1]->notices.empty());
    EXPECT_EQ(session->transaction_status(), TransactionStatus::in_transaction);
    auto other = make_session();
    EXPECT_EQ(rows("SELECT count(*) FROM t", other.get()), (Lines{"0"}))
        << "the statement before BEGIN is part of the block";
    ok("ROLLBACK");
    EXPECT_EQ(ids(), Lines{});

    ok("INSERT INTO t VALUES (1); BEGIN; INSERT INTO t VALUES (2); COMMIT; INSERT INTO t VALUES "
       "(3)");
    EXPECT_EQ(ids(), (Lines{"1", "2", "3"}));
}

TEST_F(ImplicitTransactionTest, CommitAndRollbackEndItWithANotice) {
    auto results = session->execute(
        "INSERT INTO t VALUES (1); COMMIT; INSERT INTO t VALUES (2); INSERT INTO t VALUES (2)");
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(results[1]->tag, "COMMIT");
    EXPECT_EQ(results[1]->notices,
              (std::vector<std::string>{"there is no transaction in progress"}));
    EXPECT_EQ(results[3].error().sqlstate, "23505");
    EXPECT_EQ(ids(), (Lines{"1"})) << "committed before the error; the rest rolled back";

    results = session->execute("INSERT INTO t VALUES (7); ROLLBACK; INSERT INTO t VALUES (8)");
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[1]->tag, "ROLLBACK");
    EXPECT_EQ(results[1]->notices,
              (std::vector<std::string>{"there is no transaction in progress"}));
    EXPECT_EQ(ids(), (Lines{"1", "8"}));
}

TEST_F(ImplicitTransactionTest, SavepointsNeedABlock) {
    auto results =
        session->execute("INSERT INTO t VALUES (1); SAVEPOINT a; INSERT INTO t VALUES (2)");
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].error().sqlstate, "25P01");
    EXPECT_EQ(results[1].error().message, "SAVEPOINT can only be used in transaction blocks");
    EXPECT_EQ(ids(), Lines{});
    // Inside an explicit block of the same text they work.
    ok("BEGIN; INSERT INTO t VALUES (1); SAVEPOINT a; INSERT INTO t VALUES (2); ROLLBACK TO a; "
       "COMMIT");
    EXPECT_EQ(ids(), (Lines{"1"}));
}

TEST_F(ImplicitTransactionTest, OwnOpStatementsRefuseATextOfSeveral) {
    for (const char* text :
         {"CREATE DATABASE shop; SELECT 1", "SELECT 1; CREATE DATABASE shop",
          "INSERT INTO t VALUES (1); CREATE ROLE r", "GRANT SELECT ON t TO admin; SELECT 1"}) {
        auto results = session->execute(text);
        ASSERT_FALSE(results.empty());
        ASSERT_FALSE(results.back().has_value()) << text;
        EXPECT_EQ(results.back().error().sqlstate, "25001") << text;
        EXPECT_NE(results.back().error().message.find("cannot run inside a transaction block"),
                  std::string::npos);
    }
    EXPECT_EQ(ids(), Lines{});
    EXPECT_EQ(ok("CREATE DATABASE shop").tag, "CREATE DATABASE") << "alone it runs";
}

TEST_F(ImplicitTransactionTest, AConflictAtTheEndIs40001AndCommitsNothing) {
    // The text pauses at its COPY, inside its implicit transaction; another session commits a
    // write to the row the text read and wrote; the text's commit then conflicts.
    auto results =
        session->execute("UPDATE u SET v = v + 1 WHERE id = 1; COPY t FROM STDIN; SELECT 7");
    ASSERT_EQ(results.size(), 2u);
    ASSERT_TRUE(session->copy_in_progress());
    auto other = make_session();
    ok("UPDATE u SET v = 10 WHERE id = 1", other.get());
    ASSERT_TRUE(session->copy_data(as_bytes(std::string_view("1\n2\n"))).has_value());
    ASSERT_TRUE(session->copy_done().has_value());
    auto rest = session->execute_rest();
    ASSERT_EQ(rest.size(), 2u) << "the SELECT's result, then the commit's error";
    EXPECT_EQ(rest[0]->rows[0][0].as_int(), 7);
    EXPECT_EQ(rest[1].error().sqlstate, "40001");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::idle);
    EXPECT_EQ(ids(), Lines{}) << "the COPY was part of the text's transaction";
    EXPECT_EQ(rows("SELECT v FROM u"), (Lines{"10"}));
}

TEST_F(ImplicitTransactionTest, ACopyEndingTheTextCommitsIt) {
    auto results = session->execute("INSERT INTO t VALUES (9); COPY t FROM STDIN");
    ASSERT_TRUE(session->copy_in_progress());
    ASSERT_TRUE(session->copy_data(as_bytes(std::string_view("1\n2\n"))).has_value());
    auto done = session->copy_done();
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->tag, "COPY 2");
    EXPECT_TRUE(session->execute_rest().empty());
    EXPECT_EQ(ids(), (Lines{"1", "2", "9"}));
    // A failed COPY rolls the text back.
    session->execute("INSERT INTO t VALUES (20); COPY t FROM STDIN");
    ASSERT_TRUE(session->copy_in_progress());
    EXPECT_FALSE(session->copy_data(as_bytes(std::string_view("21\nx\n"))).has_value());
    EXPECT_EQ(ids(), (Lines{"1", "2", "9"}));
    EXPECT_EQ(session->transaction_status(), TransactionStatus::idle);
}

TEST_F(ImplicitTransactionTest, TimeTravelReadsRunOnTheirOwn) {
    ok("INSERT INTO t VALUES (1)");
    const Position position = node.engine().snapshot().applied();
    ok("INSERT INTO t VALUES (2)");
    // Reads through kimberlite.as_of_* in a text of several statements run as they do alone.
    auto results =
        session->execute("SET kimberlite.as_of_position = " + std::to_string(position.value()) +
                         "; SELECT count(*) FROM t; RESET kimberlite.as_of_position; "
                         "SELECT count(*) FROM t");
    ASSERT_EQ(results.size(), 4u);
    ASSERT_TRUE(results[1].has_value()) << results[1].error().to_string();
    EXPECT_EQ(results[1]->rows[0][0].as_int(), 1);
    ASSERT_TRUE(results[3].has_value()) << results[3].error().to_string();
    EXPECT_EQ(results[3]->rows[0][0].as_int(), 2);
}

}  // namespace
}  // namespace kb::sql
