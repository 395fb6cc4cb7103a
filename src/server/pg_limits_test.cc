// Limits over the wire, driven by client byte scripts: a CancelRequest's key stopping the
// statement another connection runs (57014, the connection usable after it), statement_timeout,
// max_statement_bytes for Query and Parse (54000, the connection goes on), the memory limit on
// a statement's rows (54000), and a Query of several statements as one implicit transaction.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server/pg_connection.h"
#include "server/pg_test_support.h"

namespace kb::server {
namespace {

using testing::describe_output;
using testing::PgScript;
using testing::TestPgHost;
using Lines = std::vector<std::string>;

// 4096 rows each building a 10 MB string: seconds of work unless stopped.
constexpr const char* kSlowQuery = "SELECT count(*) FROM big WHERE length(repeat(v, 100000)) < 0";

class PgLimitsTest : public ::testing::Test {
protected:
    void SetUp() override { connection = testing::connect(host); }

    Lines run(const PgScript& script, PgConnection* on = nullptr) {
        PgConnection& c = on ? *on : *connection;
        c.receive(script.bytes());
        return describe_output(c.take_output());
    }
    Lines query(std::string_view text, PgConnection* on = nullptr) {
        return run(PgScript().query(text), on);
    }
    void make_big() {
        ASSERT_EQ(query("CREATE TABLE big (id bigint PRIMARY KEY, v text)"),
                  (Lines{"C CREATE TABLE", "Z I"}));
        ASSERT_EQ(query("INSERT INTO big VALUES (1, repeat('x', 100))"),
                  (Lines{"C INSERT 0 1", "Z I"}));
        for (int rows = 1; rows < 4096; rows *= 2) {
            ASSERT_EQ(query("INSERT INTO big SELECT id + " + std::to_string(rows) + ", v FROM big"),
                      (Lines{"C INSERT 0 " + std::to_string(rows), "Z I"}));
        }
    }

    TestPgHost host;
    std::unique_ptr<PgConnection> connection;
};

TEST_F(PgLimitsTest, ACancelRequestStopsTheRunningStatement) {
    make_big();
    // The statement runs on this connection's thread; the CancelRequest arrives on another
    // connection (another thread), as a client's cancel does, until it lands.
    std::atomic<bool> finished{false};
    Lines lines;
    std::thread runner([&] {
        lines = query(kSlowQuery);
        finished.store(true);
    });
    while (!finished.load()) {
        PgConnection canceller(host);
        Bytes request;
        encode_cancel_request(
            request, PgCancelRequest{TestPgHost::kKey.process_id, TestPgHost::kKey.secret_key});
        canceller.receive(request);
        EXPECT_TRUE(canceller.closed());
        EXPECT_TRUE(canceller.take_output().empty()) << "a CancelRequest gets no reply";
        std::this_thread::yield();
    }
    runner.join();
    EXPECT_EQ(lines, (Lines{"E 57014 canceling statement due to user request", "Z I"}));
    // The connection goes on, and cancels that came after the statement ended are dropped.
    EXPECT_EQ(query("SELECT count(*) FROM big"),
              (Lines{"T count:20", "D 4096", "C SELECT 1", "Z I"}));
}

TEST_F(PgLimitsTest, StatementTimeout) {
    make_big();
    EXPECT_EQ(query("SET statement_timeout = '20ms'"), (Lines{"C SET", "Z I"}));
    EXPECT_EQ(query("SHOW statement_timeout"),
              (Lines{"T statement_timeout:25", "D 20ms", "C SHOW", "Z I"}));
    EXPECT_EQ(query(kSlowQuery),
              (Lines{"E 57014 canceling statement due to statement timeout", "Z I"}));
    EXPECT_EQ(query("BEGIN"), (Lines{"C BEGIN", "Z T"}));
    EXPECT_EQ(query(kSlowQuery),
              (Lines{"E 57014 canceling statement due to statement timeout", "Z E"}));
    EXPECT_EQ(query("ROLLBACK"), (Lines{"C ROLLBACK", "Z I"}));

    // The server's default (statement-timeout) is each new session's.
    PgConnectionOptions options;
    options.session.statement_timeout_ms = 20;
    auto configured = testing::connect(host, "admin", options);
    EXPECT_EQ(query("SHOW statement_timeout", configured.get()),
              (Lines{"T statement_timeout:25", "D 20ms", "C SHOW", "Z I"}));
    EXPECT_EQ(query(kSlowQuery, configured.get()),
              (Lines{"E 57014 canceling statement due to statement timeout", "Z I"}));
}

TEST_F(PgLimitsTest, StatementsOverMaxStatementBytes) {
    PgConnectionOptions options;
    options.max_statement_bytes = 64;
    auto limited = testing::connect(host, "admin", options);
    const std::string text = "SELECT '" + std::string(80, 'x') + "'";  // 89 bytes
    const std::string refused =
        "E 54000 statement of 89 bytes exceeds max-statement-bytes (64 bytes)";
    EXPECT_EQ(query(text, limited.get()), (Lines{refused, "Z I"}));
    EXPECT_EQ(query("SELECT 1", limited.get()),
              (Lines{"T ?column?:23", "D 1", "C SELECT 1", "Z I"}));
    // Parse: the extended protocol's error, skipping to Sync.
    EXPECT_EQ(
        run(PgScript().parse("", text).bind("", "", {}, {}, {}).execute("").sync(), limited.get()),
        (Lines{refused, "Z I"}));
    // Inside a block the error fails it, as every error does.
    EXPECT_EQ(query("BEGIN", limited.get()), (Lines{"C BEGIN", "Z T"}));
    EXPECT_EQ(query(text, limited.get()), (Lines{refused, "Z E"}));
    EXPECT_EQ(query("ROLLBACK", limited.get()), (Lines{"C ROLLBACK", "Z I"}));
}

TEST_F(PgLimitsTest, ResultsOverMaxResultBytes) {
    make_big();
    PgConnectionOptions options;
    options.session.max_result_bytes = 64 << 10;
    auto limited = testing::connect(host, "admin", options);
    const Lines lines = query("SELECT * FROM big", limited.get());
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(
        lines[0].starts_with("E 54000 statement result exceeds max-result-bytes (65536 bytes)"))
        << lines[0];
    EXPECT_EQ(lines[1], "Z I");
    EXPECT_EQ(query("SELECT count(*) FROM big", limited.get()),
              (Lines{"T count:20", "D 4096", "C SELECT 1", "Z I"}));
}

TEST_F(PgLimitsTest, AQueryOfSeveralStatementsIsOneTransaction) {
    ASSERT_EQ(query("CREATE TABLE t (id integer PRIMARY KEY)"), (Lines{"C CREATE TABLE", "Z I"}));
    EXPECT_EQ(query("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (1)"),
              (Lines{"C INSERT 0 1", "C INSERT 0 1",
                     "E 23505 duplicate key value violates unique constraint \"t_pkey\"", "Z I"}));
    EXPECT_EQ(query("SELECT count(*) FROM t"), (Lines{"T count:20", "D 0", "C SELECT 1", "Z I"}));
    EXPECT_EQ(query("INSERT INTO t VALUES (1); COMMIT; INSERT INTO t VALUES (1)"),
              (Lines{"C INSERT 0 1", "N there is no transaction in progress", "C COMMIT",
                     "E 23505 duplicate key value violates unique constraint \"t_pkey\"", "Z I"}));
    EXPECT_EQ(query("INSERT INTO t VALUES (2); BEGIN; INSERT INTO t VALUES (3)"),
              (Lines{"C INSERT 0 1", "C BEGIN", "C INSERT 0 1", "Z T"}));
    EXPECT_EQ(query("COMMIT"), (Lines{"C COMMIT", "Z I"}));
    EXPECT_EQ(query("SELECT count(*) FROM t"), (Lines{"T count:20", "D 3", "C SELECT 1", "Z I"}));
    EXPECT_EQ(query("SELECT 1; CREATE DATABASE shop"),
              (Lines{"T ?column?:23", "D 1", "C SELECT 1",
                     "E 25001 CREATE DATABASE cannot run inside a transaction block", "Z I"}));
}

}  // namespace
}  // namespace kb::server
