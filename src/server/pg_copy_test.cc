// COPY and CREATE / DROP DATABASE over the wire, driven by client byte scripts: the COPY
// message flows of the simple and extended protocols (CopyInResponse, CopyData in any
// chunking, CopyDone, CopyFail, Flush and Sync during COPY, errors mid-COPY and the messages
// dropped after them), COPY TO STDOUT, and connecting to databases made and dropped.
#include <gtest/gtest.h>

#include "server/pg_connection.h"
#include "server/pg_test_support.h"

namespace kb::server {
namespace {

using testing::describe_output;
using testing::PgScript;
using testing::TestPgHost;
using Lines = std::vector<std::string>;

class PgCopyTest : public ::testing::Test {
protected:
    void SetUp() override {
        connection = testing::connect(host);
        ASSERT_EQ(query("CREATE TABLE t (id integer PRIMARY KEY, name text)"),
                  (Lines{"C CREATE TABLE", "Z I"}));
    }
    Lines run(const PgScript& script, PgConnection* on = nullptr) {
        PgConnection& c = on ? *on : *connection;
        c.receive(script.bytes());
        return describe_output(c.take_output());
    }
    Lines query(std::string_view text, PgConnection* on = nullptr) {
        return run(PgScript().query(text), on);
    }

    TestPgHost host;
    std::unique_ptr<PgConnection> connection;
};

TEST_F(PgCopyTest, CopyFromStdinInTheSimpleProtocol) {
    EXPECT_EQ(query("COPY t FROM STDIN"), (Lines{"G 2"}));
    EXPECT_TRUE(connection->in_transaction() == false);
    // Lines split across CopyData messages anywhere.
    EXPECT_EQ(run(PgScript().copy_data("1\tap").copy_data("ple\n2\t").copy_data("\\N\n")), Lines{});
    EXPECT_EQ(run(PgScript().copy_done()), (Lines{"C COPY 2", "Z I"}));
    EXPECT_EQ(query("SELECT id, name FROM t ORDER BY id"),
              (Lines{"T id:23 name:25", "D 1|apple", "D 2|NULL", "C SELECT 2", "Z I"}));

    // The statements after a COPY in the same Query run once it is done; Flush and Sync in
    // the middle are ignored (libpq sends them without noticing the command was COPY).
    EXPECT_EQ(query("COPY t FROM STDIN (FORMAT csv); SELECT count(*) FROM t"), (Lines{"G 2"}));
    EXPECT_EQ(run(PgScript().flush().copy_data("3,\"three, quoted\"\n").sync().copy_done()),
              (Lines{"C COPY 1", "T count:20", "D 3", "C SELECT 1", "Z I"}));
}

TEST_F(PgCopyTest, ErrorsMidCopyAndCopyFail) {
    EXPECT_EQ(query("COPY t FROM STDIN"), (Lines{"G 2"}));
    EXPECT_EQ(run(PgScript().copy_data("1\tone\nx\ttwo\n")),
              (Lines{"E 22P02 invalid input syntax for type integer: \"x\" | COPY t, line 2, "
                     "column id: \"x\"",
                     "Z I"}));
    // What the client still sends of that COPY is dropped.
    EXPECT_EQ(run(PgScript().copy_data("3\tthree\n").copy_done()), Lines{});
    EXPECT_EQ(query("SELECT count(*) FROM t"), (Lines{"T count:20", "D 0", "C SELECT 1", "Z I"}));

    EXPECT_EQ(query("COPY t FROM STDIN; SELECT 1"), (Lines{"G 2"}));
    EXPECT_EQ(run(PgScript().copy_data("1\tone\n").copy_fail("changed my mind")),
              (Lines{"E 57014 COPY from stdin failed: changed my mind", "Z I"}));

    // Any other message ends the COPY as a protocol violation; the connection carries on.
    EXPECT_EQ(query("COPY t FROM STDIN"), (Lines{"G 2"}));
    EXPECT_EQ(query("SELECT 1"),
              (Lines{"E 08P01 unexpected message type 0x51 during COPY from stdin", "Z I"}));
    EXPECT_EQ(query("SELECT count(*) FROM t"), (Lines{"T count:20", "D 0", "C SELECT 1", "Z I"}));

    // Inside a transaction block an error fails it.
    EXPECT_EQ(query("BEGIN"), (Lines{"C BEGIN", "Z T"}));
    EXPECT_EQ(query("COPY t FROM STDIN"), (Lines{"G 2"}));
    EXPECT_EQ(run(PgScript().copy_data("1\tone\n").copy_done()), (Lines{"C COPY 1", "Z T"}));
    EXPECT_EQ(query("COPY t FROM STDIN"), (Lines{"G 2"}));
    EXPECT_EQ(run(PgScript().copy_data("1\tagain\n")),
              (Lines{"E 23505 duplicate key value violates unique constraint \"t_pkey\" | COPY "
                     "t, line 1",
                     "Z E"}));
    EXPECT_EQ(query("ROLLBACK"), (Lines{"C ROLLBACK", "Z I"}));
}

TEST_F(PgCopyTest, CopyInTheExtendedProtocol) {
    // As libpq sends it: a Sync right after Execute (ignored during COPY), another after
    // CopyDone.
    EXPECT_EQ(run(PgScript()
                      .parse("", "COPY t FROM STDIN (FORMAT csv)")
                      .bind("", "", {}, {}, {})
                      .describe(PgTarget::portal, "")
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "n", "G 2"}));
    EXPECT_EQ(run(PgScript().copy_data("1,one\n2,two\n").copy_done().sync()),
              (Lines{"C COPY 2", "Z I"}));

    // An error: skipped up to the client's next Sync.
    EXPECT_EQ(
        run(PgScript().parse("", "COPY t FROM STDIN").bind("", "", {}, {}, {}).execute("").sync()),
        (Lines{"1", "2", "G 2"}));
    EXPECT_EQ(run(PgScript().copy_data("3\tthree\n1\tdup\n")),
              (Lines{"E 23505 duplicate key value violates unique constraint \"t_pkey\" | COPY "
                     "t, line 2"}));
    EXPECT_EQ(run(PgScript().copy_data("4\tfour\n").copy_done().sync()), (Lines{"Z I"}));

    // COPY TO: every row whatever the row limit.
    EXPECT_EQ(run(PgScript()
                      .parse("out", "COPY t TO STDOUT (FORMAT csv, HEADER)")
                      .bind("", "out", {}, {}, {})
                      .describe(PgTarget::portal, "")
                      .execute("", 1)
                      .sync()),
              (Lines{"1", "2", "n", "H 2", "d id,name\n", "d 1,one\n", "d 2,two\n", "c", "C COPY 2",
                     "Z I"}));
}

TEST_F(PgCopyTest, CopyToStdout) {
    EXPECT_EQ(query("INSERT INTO t VALUES (1, 'tab\there'), (2, NULL)"),
              (Lines{"C INSERT 0 2", "Z I"}));
    EXPECT_EQ(query("COPY t TO STDOUT"),
              (Lines{"H 2", "d 1\ttab\\there\n", "d 2\t\\N\n", "c", "C COPY 2", "Z I"}));
    EXPECT_EQ(query("COPY (SELECT name FROM t WHERE id = 1) TO STDOUT WITH CSV"),
              (Lines{"H 1", "d tab\there\n", "c", "C COPY 1", "Z I"}));
    EXPECT_EQ(query("COPY t TO STDOUT (FORMAT binary)"),
              (Lines{"E 0A000 COPY BINARY is not supported", "Z I"}));
}

TEST_F(PgCopyTest, DatabasesAreMadeAndDroppedOverTheWire) {
    EXPECT_EQ(query("CREATE DATABASE shop"), (Lines{"C CREATE DATABASE", "Z I"}));
    auto shop = std::make_unique<PgConnection>(host);
    Lines started = run(PgScript().startup("admin", "shop"), shop.get());
    ASSERT_FALSE(started.empty());
    EXPECT_EQ(started.back(), "Z I");
    EXPECT_EQ(query("CREATE TABLE orders (id integer PRIMARY KEY)", shop.get()),
              (Lines{"C CREATE TABLE", "Z I"}));
    EXPECT_EQ(query("DROP DATABASE shop", shop.get()),
              (Lines{"E 55006 cannot drop the currently open database", "Z I"}));
    EXPECT_EQ(
        query("BEGIN; DROP DATABASE shop"),
        (Lines{"C BEGIN", "E 25001 DROP DATABASE cannot run inside a transaction block", "Z E"}));
    EXPECT_EQ(query("ROLLBACK"), (Lines{"C ROLLBACK", "Z I"}));
    EXPECT_EQ(query("DROP DATABASE shop"), (Lines{"C DROP DATABASE", "Z I"}));

    // The connection to it fails cleanly; new ones are refused.
    const Lines after = query("SELECT 1", shop.get());
    ASSERT_EQ(after.size(), 2u);
    EXPECT_TRUE(after[0].starts_with("E 3D000 database \"shop\" does not exist")) << after[0];
    auto refused = std::make_unique<PgConnection>(host);
    EXPECT_EQ(run(PgScript().startup("admin", "shop"), refused.get()),
              (Lines{"E FATAL 3D000 database \"shop\" does not exist"}));
    EXPECT_EQ(query("DROP DATABASE IF EXISTS shop"),
              (Lines{"N database \"shop\" does not exist, skipping", "C DROP DATABASE", "Z I"}));
}

}  // namespace
}  // namespace kb::server
