// COPY through a session on a simulated node: COPY FROM STDIN through INSERT's path (defaults,
// constraints, SQLSTATEs with CONTEXT), chunked commits outside a transaction block and
// atomicity inside one, CopyFail, statements after a COPY, COPY TO STDOUT, and refusals.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "kernel/access_reads.h"
#include "sql/bind_resolve.h"
#include "sql/copy_format.h"
#include "sql/session.h"
#include "sql/session_test_support.h"

namespace kb::sql {
namespace {

using testing::Lines;

class SessionCopyTest : public testing::SessionTestBase {
protected:
    SessionCopyTest() : SessionTestBase(47) {}

    void SetUp() override {
        SessionTestBase::SetUp();
        ok("CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL, qty integer DEFAULT 7 "
           "CHECK (qty >= 0), seen timestamptz DEFAULT now())");
    }

    std::unique_ptr<Session> make_session(SessionOptions options = {},
                                          PrincipalId principal = db::kAdminPrincipal) {
        return std::make_unique<Session>(node, tenant, principal, options);
    }

    // Runs a COPY ... FROM STDIN with `data` sent in pieces of `piece` bytes; the tag or the
    // error as "SQLSTATE message | CONTEXT".
    std::string copy_in(std::string_view sql, std::string_view data, usize piece = 0,
                        Session* on = nullptr) {
        Session& s = on ? *on : *session;
        auto results = s.execute(sql);
        if (results.empty() || !results.back()) {
            return results.empty() ? "nothing" : describe(results.back().error());
        }
        EXPECT_TRUE(results.back()->copy && results.back()->copy->from);
        EXPECT_TRUE(s.copy_in_progress());
        const usize step = piece == 0 ? std::max<usize>(data.size(), 1) : piece;
        for (usize at = 0; at < data.size(); at += step) {
            auto sent = s.copy_data(as_bytes(data.substr(at, step)));
            if (!sent) {
                EXPECT_FALSE(s.copy_in_progress());
                return describe(sent.error());
            }
        }
        auto done = s.copy_done();
        EXPECT_FALSE(s.copy_in_progress());
        if (!done) return describe(done.error());
        return done->tag;
    }

    static std::string describe(const SqlError& error) {
        std::string out = error.sqlstate + " " + error.message;
        if (!error.context.empty()) out += " | " + error.context;
        return out;
    }

    // COPY ... TO STDOUT's data as the client receives it.
    std::string copy_out(std::string_view sql) {
        StatementResult result = ok(sql);
        EXPECT_TRUE(result.copy && !result.copy->from);
        if (!result.copy) return "";
        CopyEncoder encoder(result.copy->options);
        std::string out;
        if (result.copy->options.header != CopyHeader::none) {
            encoder.header(result.copy->names, out);
        }
        for (const Row& row : result.rows) encoder.row(row, out);
        return out;
    }
};

TEST_F(SessionCopyTest, CopyFromTakesRowsThroughInsertsPath) {
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "1\tapple\n2\tpe\\tar\n3\t\\\\N\n"),
              "COPY 3");
    EXPECT_EQ(rows("SELECT id, name, qty, seen IS NOT NULL FROM t ORDER BY id"),
              (Lines{"1|apple|7|t", "2|pe\tar|7|t", "3|\\N|7|t"}));
    // All columns, CSV with quotes, NULLs and a header; any chunking.
    EXPECT_EQ(copy_in("COPY t FROM STDIN WITH (FORMAT csv, HEADER true)",
                      "id,name,qty,seen\n"
                      "4,\"comma, inside\",,2024-01-02 03:04:05+00\n"
                      "5,\"say \"\"hi\"\"\",0,\n",
                      3),
              "COPY 2");
    EXPECT_EQ(rows("SELECT id, name, qty, seen FROM t WHERE id >= 4 ORDER BY id"),
              (Lines{"4|comma, inside|NULL|2024-01-02 03:04:05+00", "5|say \"hi\"|0|NULL"}));
    // The old option syntax, and WHERE.
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN CSV WHERE id % 2 = 0", "6,six\n7,seven\n"),
              "COPY 1");
    EXPECT_EQ(rows("SELECT name FROM t WHERE id >= 6"), (Lines{"six"}));
    // The end-of-data marker.
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "8\teight\n\\.\n9\tnot read\n"), "COPY 1");
    EXPECT_EQ(rows("SELECT count(*) FROM t"), (Lines{"7"}));
}

TEST_F(SessionCopyTest, ErrorsCarryPostgresContext) {
    ok("INSERT INTO t (id, name) VALUES (1, 'one')");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "2\ttwo\nx\tbad\n"),
              "22P02 invalid input syntax for type bigint: \"x\" | COPY t, line 2, column id: "
              "\"x\"");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "3\tthree\n1\tagain\n"),
              "23505 duplicate key value violates unique constraint \"t_pkey\" | COPY t, line 2");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "4\t\\N\n"),
              "23502 null value in column \"name\" of relation \"t\" violates not-null "
              "constraint | COPY t, line 1: \"4\t\\N\"");
    EXPECT_EQ(copy_in("COPY t (id, name, qty) FROM STDIN", "5\tfive\t-1\n"),
              "23514 new row for relation \"t\" violates check constraint \"t_qty_check\" | COPY "
              "t, line 1: \"5\tfive\t-1\"");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "6\tsix\textra\n"),
              "22P04 extra data after last expected column | COPY t, line 1: \"6\tsix\textra\"");
    // One chunk: nothing of a failed COPY was committed.
    EXPECT_EQ(rows("SELECT id FROM t ORDER BY id"), (Lines{"1"}));
    // Refusals before any data.
    EXPECT_EQ(copy_in("COPY t (id, nope) FROM STDIN", ""),
              "42703 column \"nope\" of relation \"t\" does not exist");
    EXPECT_EQ(copy_in("COPY t (id, id) FROM STDIN", ""),
              "42701 column \"id\" specified more than once");
    EXPECT_EQ(copy_in("COPY missing FROM STDIN", "").substr(0, 5), "42P01");
    EXPECT_EQ(copy_in("COPY t FROM '/etc/passwd'", ""), "0A000 COPY FROM a file is not supported");
    EXPECT_EQ(copy_in("COPY t TO PROGRAM 'cat'", ""), "0A000 COPY TO PROGRAM is not supported");
    EXPECT_EQ(copy_in("COPY t FROM STDIN (FORMAT binary)", ""),
              "0A000 COPY BINARY is not supported");
    EXPECT_EQ(copy_in("COPY pg_catalog.pg_class FROM STDIN", "").substr(0, 5), "42501");
}

TEST_F(SessionCopyTest, CopyFailAndTheStatementsAfterACopy) {
    auto results = session->execute(
        "COPY t (id, name) FROM STDIN; INSERT INTO t (id, name) VALUES (100, 'after')");
    ASSERT_EQ(results.size(), 1u);
    ASSERT_TRUE(results[0] && results[0]->copy && results[0]->copy->from);
    EXPECT_EQ(results[0]->copy->columns, 2u);
    ASSERT_TRUE(session->copy_data(as_bytes(std::string_view("1\tone\n"))).has_value());
    ASSERT_TRUE(session->copy_done().has_value());
    auto rest = session->execute_rest();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0]->tag, "INSERT 0 1");
    EXPECT_EQ(rows("SELECT id FROM t ORDER BY id"), (Lines{"1", "100"}));

    // The client gives up: 57014, nothing of that COPY, and the rest of the text is skipped.
    results = session->execute("COPY t (id, name) FROM STDIN; DELETE FROM t");
    ASSERT_TRUE(session->copy_in_progress());
    ASSERT_TRUE(session->copy_data(as_bytes(std::string_view("2\ttwo\n"))).has_value());
    const SqlError failed = session->copy_fail("user said stop");
    EXPECT_EQ(failed.sqlstate, "57014");
    EXPECT_EQ(failed.message, "COPY from stdin failed: user said stop");
    EXPECT_TRUE(session->execute_rest().empty());
    EXPECT_EQ(rows("SELECT id FROM t ORDER BY id"), (Lines{"1", "100"}));
}

TEST_F(SessionCopyTest, InsideATransactionBlockCopyIsAtomic) {
    ok("BEGIN");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "1\tone\n2\ttwo\n"), "COPY 2");
    EXPECT_EQ(rows("SELECT count(*) FROM t"), (Lines{"2"}));
    ok("ROLLBACK");
    EXPECT_EQ(rows("SELECT count(*) FROM t"), (Lines{"0"}));

    ok("BEGIN");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "1\tone\n").substr(0, 6), "COPY 1");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "2\ttwo\n2\tagain\n").substr(0, 5), "23505");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::failed);
    EXPECT_EQ(ok("COMMIT").tag, "ROLLBACK");
    EXPECT_EQ(rows("SELECT count(*) FROM t"), (Lines{"0"}));
}

TEST_F(SessionCopyTest, OutsideATransactionBlockCopyCommitsInChunks) {
    ok("CREATE TABLE big (id serial PRIMARY KEY, v text NOT NULL)");
    auto chunky = make_session(SessionOptions{.copy_chunk_bytes = 4096});
    const Position before = node.engine().snapshot().applied();
    std::string data;
    for (int i = 0; i < 2000; ++i) data += "value " + std::to_string(i) + "\n";
    EXPECT_EQ(copy_in("COPY big (v) FROM STDIN", data, 1000, chunky.get()), "COPY 2000");
    // Many ops (chunks and sequence reservations), every row once, SERIAL values distinct.
    EXPECT_GT(node.engine().snapshot().applied().value(), before.value() + 20);
    EXPECT_EQ(rows("SELECT count(*), count(DISTINCT id), count(DISTINCT v) FROM big"),
              (Lines{"2000|2000|2000"}));

    // An error after some chunks: those stay, and the DETAIL says which.
    ok("CREATE TABLE keyed (id integer PRIMARY KEY)");
    data.clear();
    for (int i = 1; i <= 1500; ++i) data += std::to_string(i) + "\n";
    data += "1\n";
    auto results = chunky->execute("COPY keyed FROM STDIN");
    ASSERT_TRUE(results.back().has_value());
    auto sent = chunky->copy_data(as_bytes(std::string_view(data)));
    ASSERT_FALSE(sent.has_value());
    const SqlError error = sent.error();
    EXPECT_EQ(error.sqlstate, "23505");
    EXPECT_EQ(error.context, "COPY keyed, line 1501");
    const std::string committed = rows("SELECT count(*) FROM keyed")[0];
    EXPECT_GT(std::stoi(committed), 0);
    EXPECT_LT(std::stoi(committed), 1500);
    EXPECT_NE(error.detail.find("Key (id)=(1) already exists."), std::string::npos) << error.detail;
    EXPECT_NE(
        error.detail.find("COPY outside a transaction block commits every 4 KiB: " + committed +
                          " rows, through line " + committed + ", were committed"),
        std::string::npos)
        << error.detail;
    EXPECT_EQ(rows("SELECT max(id) FROM keyed"), (Lines{committed}));
}

// With an op size cap of 64 KiB: COPY outside a transaction block loads more than the cap in
// chunks below it; inside one it is atomic, and its COMMIT over the cap is 54000.
TEST(SessionCopyCap, ChunksStayBelowTheOpSizeCapAndBlocksHitIt) {
    db::EngineOptions options = db::testing::small_engine_options();
    options.op_size_max_bytes = 64 * 1024;
    db::testing::SimNode node(59, options);
    ASSERT_TRUE(node.open().is_ok());
    Session session(node, node.default_tenant(), db::kAdminPrincipal,
                    SessionOptions{.copy_chunk_bytes = 16 * 1024});
    auto run = [&](std::string_view sql) {
        auto results = session.execute(sql);
        EXPECT_TRUE(!results.empty() && results.back().has_value()) << sql;
        return results;
    };
    run("CREATE TABLE wide (id integer PRIMARY KEY, v text NOT NULL)");
    std::string data;
    for (int i = 0; i < 3000; ++i) data += std::to_string(i) + "\t" + std::string(40, 'v') + "\n";

    run("COPY wide FROM STDIN");
    ASSERT_TRUE(session.copy_data(as_bytes(std::string_view(data))).has_value());
    auto done = session.copy_done();
    ASSERT_TRUE(done.has_value()) << done.error().to_string();
    EXPECT_EQ(done->tag, "COPY 3000");

    run("BEGIN");
    run("TRUNCATE wide");
    run("COPY wide FROM STDIN");
    ASSERT_TRUE(session.copy_data(as_bytes(std::string_view(data))).has_value());
    ASSERT_TRUE(session.copy_done().has_value());
    auto committed = session.execute("COMMIT");
    ASSERT_FALSE(committed.back().has_value());
    EXPECT_EQ(committed.back().error().sqlstate, "54000") << committed.back().error().to_string();
    auto counted = session.execute("SELECT count(*) FROM wide");
    ASSERT_TRUE(counted.back().has_value());
    EXPECT_EQ(counted.back()->rows[0][0].as_int(), 3000);
}

TEST_F(SessionCopyTest, CopyToWritesPostgresFormats) {
    ok("INSERT INTO t (id, name, qty, seen) VALUES (1, 'tab\there', NULL, NULL), "
       "(2, 'comma, \"quoted\"', 3, '2024-05-06 07:08:09+00')");
    EXPECT_EQ(copy_out("COPY t TO STDOUT"),
              "1\ttab\\there\t\\N\t\\N\n"
              "2\tcomma, \"quoted\"\t3\t2024-05-06 07:08:09+00\n");
    EXPECT_EQ(copy_out("COPY t (name, id) TO STDOUT WITH (FORMAT csv, HEADER)"),
              "name,id\n"
              "tab\there,1\n"
              "\"comma, \"\"quoted\"\"\",2\n");
    EXPECT_EQ(copy_out("COPY (SELECT id, qty FROM t ORDER BY id DESC) TO STDOUT (FORMAT csv, "
                       "FORCE_QUOTE *)"),
              "\"2\",\"3\"\n"
              "\"1\",\n");
    StatementResult result = ok("COPY t TO STDOUT");
    EXPECT_EQ(result.tag, "COPY 2");
    EXPECT_FALSE(result.returns_rows);
    auto refused = session->execute("COPY t TO STDOUT (HEADER match)");
    ASSERT_FALSE(refused.back().has_value());
    EXPECT_EQ(refused.back().error().sqlstate, "0A000");
    refused = session->execute("COPY t TO STDOUT WHERE id = 1");
    ASSERT_FALSE(refused.back().has_value());
    EXPECT_EQ(refused.back().error().message, "WHERE clause not allowed with COPY TO");
}

TEST_F(SessionCopyTest, CopyNeedsTheTablePrivileges) {
    ok("INSERT INTO t (id, name) VALUES (1, 'one')");
    ok("CREATE ROLE clerk LOGIN");
    ok("GRANT CONNECT ON DATABASE \"default\" TO clerk");
    auto clerk_role = kernel::reads::find_role(node.engine().snapshot(), "clerk");
    ASSERT_TRUE(clerk_role.has_value() && clerk_role->has_value());
    auto clerk = make_session({}, (*clerk_role)->principal);
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "2\ttwo\n", 0, clerk.get()),
              "42501 permission denied for table t");
    auto out = clerk->execute("COPY t TO STDOUT");
    ASSERT_FALSE(out.back().has_value());
    EXPECT_EQ(out.back().error().sqlstate, "42501");
    ok("GRANT INSERT, SELECT ON t TO clerk");
    EXPECT_EQ(copy_in("COPY t (id, name) FROM STDIN", "2\ttwo\n", 0, clerk.get()), "COPY 1");
    EXPECT_TRUE(clerk->execute("COPY t TO STDOUT").back().has_value());
}

}  // namespace
}  // namespace kb::sql
