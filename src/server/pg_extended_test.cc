// The extended query protocol through PgConnection against a real (simulated-disk) database:
// Parse / Bind / Describe / Execute / Close / Sync with named and unnamed statements and
// portals, text and binary parameters and results for every type, row limits with
// PortalSuspended, and PostgreSQL's error behaviour (skip to Sync).
#include <gtest/gtest.h>

#include "server/pg_connection.h"
#include "server/pg_test_support.h"
#include "server/pg_types.h"
#include "sql/value_io.h"

namespace kb::server {
namespace {

using testing::describe_output;
using testing::PgScript;
using testing::TestPgHost;
using testing::text_bytes;
using Lines = std::vector<std::string>;
using sql::SqlType;
using P = PgTarget;

class PgExtendedTest : public ::testing::Test {
protected:
    void SetUp() override {
        connection = testing::connect(host);
        run(PgScript().query(
            "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2));"
            "INSERT INTO items VALUES (1, 'one', 1.50), (2, 'two', NULL), (3, 'three', 3), "
            "(4, 'four', 4.25), (5, 'five', 5)"));
    }
    Lines run(const PgScript& script, bool binary_values = false) {
        connection->receive(script.bytes());
        return describe_output(connection->take_output(), false, binary_values);
    }

    TestPgHost host;
    std::unique_ptr<PgConnection> connection;
};

Bytes binary(const kernel::Value& value) {
    Bytes out;
    pg_encode_binary(value, out);
    return out;
}

TEST_F(PgExtendedTest, UnnamedStatementWithTextParameters) {
    EXPECT_EQ(run(PgScript()
                      .parse("", "SELECT name, price FROM items WHERE id = $1")
                      .bind("", "", {}, {text_bytes("1")}, {})
                      .describe(P::portal, "")
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "T name:25 price:1700", "D one|1.50", "C SELECT 1", "Z I"}));
}

TEST_F(PgExtendedTest, DescribeStatement) {
    EXPECT_EQ(run(PgScript()
                      .parse("by_id", "SELECT id, name FROM items WHERE id = $1 AND name <> $2")
                      .describe(P::statement, "by_id")
                      .parse("ins", "INSERT INTO items VALUES ($1, $2, $3)")
                      .describe(P::statement, "ins")
                      .sync()),
              (Lines{"1", "t 23 25", "T id:23 name:25", "1", "t 23 25 1700", "n", "Z I"}));
    // Declared types win over inference; 0 leaves one to inference.
    EXPECT_EQ(
        run(PgScript()
                .parse("typed", "SELECT $1 + id FROM items WHERE name = $2", {pg_oid::kInt8, 0})
                .describe(P::statement, "typed")
                .sync()),
        (Lines{"1", "t 20 25", "T ?column?:20", "Z I"}));
    // The modifier shows in RowDescription (numeric(8,2): typmod (8 << 16 | 2) + 4).
    connection->receive(PgScript().describe(P::statement, "by_id").sync().bytes());
    connection->take_output();
    connection->receive(PgScript()
                            .parse("p", "SELECT price FROM items")
                            .describe(P::statement, "p")
                            .sync()
                            .bytes());
    const Bytes output = connection->take_output();
    bool found = false;
    for (usize at = 0; at < output.size();) {
        const u32 length = load_be_u32(output.data() + at + 1);
        if (output[at] == 'T') {
            auto message =
                decode_backend_message('T', ByteSpan(output).subspan(at + 5, length - 4));
            ASSERT_TRUE(message.has_value());
            const auto& field = std::get<PgRowDescription>(*message).fields.at(0);
            EXPECT_EQ(field.type_modifier, (8 << 16 | 2) + 4);
            EXPECT_EQ(field.type_length, -1);
            found = true;
        }
        at += 1 + length;
    }
    EXPECT_TRUE(found);
}

TEST_F(PgExtendedTest, NamedStatementsAndPortals) {
    EXPECT_EQ(run(PgScript().parse("q", "SELECT name FROM items WHERE id = $1").sync()),
              (Lines{"1", "Z I"}));
    // Reused with different parameters, in two portals at once.
    EXPECT_EQ(
        run(PgScript()
                .query("BEGIN")
                .bind("a", "q", {}, {text_bytes("2")}, {})
                .bind("b", "q", {}, {text_bytes("3")}, {})
                .execute("b")
                .execute("a")
                .sync()),
        (Lines{"C BEGIN", "Z T", "2", "2", "D three", "C SELECT 1", "D two", "C SELECT 1", "Z T"}));
    // Portals end with the transaction; statements stay.
    EXPECT_EQ(run(PgScript().query("COMMIT").execute("a").sync()),
              (Lines{"C COMMIT", "Z I", "E 34000 portal \"a\" does not exist", "Z I"}));
    EXPECT_EQ(run(PgScript().parse("q", "SELECT 1").sync()),
              (Lines{"E 42P05 prepared statement \"q\" already exists", "Z I"}));
    EXPECT_EQ(run(PgScript().close(P::statement, "q").close(P::statement, "never").sync()),
              (Lines{"3", "3", "Z I"}));
    EXPECT_EQ(run(PgScript().bind("", "q", {}, {}, {}).sync()),
              (Lines{"E 26000 prepared statement \"q\" does not exist", "Z I"}));
    EXPECT_EQ(run(PgScript().describe(P::statement, "").sync()),
              (Lines{"E 26000 unnamed prepared statement does not exist", "Z I"}));
    EXPECT_EQ(run(PgScript().describe(P::portal, "zz").sync()),
              (Lines{"E 34000 portal \"zz\" does not exist", "Z I"}));
    // A named portal cannot be bound twice.
    EXPECT_EQ(run(PgScript()
                      .query("BEGIN")
                      .parse("q2", "SELECT 1")
                      .bind("c", "q2", {}, {}, {})
                      .bind("c", "q2", {}, {}, {})
                      .sync()
                      .query("ROLLBACK")),
              (Lines{"C BEGIN", "Z T", "1", "2", "E 42P03 cursor \"c\" already exists", "Z E",
                     "C ROLLBACK", "Z I"}));
}

// As in PostgreSQL 15 (checked against a server): a portal outlives the statement it was
// bound from.
TEST_F(PgExtendedTest, PortalsOutliveTheirStatement) {
    EXPECT_EQ(
        run(PgScript()
                .query("BEGIN")
                .parse("s", "SELECT id FROM items WHERE id < 3 ORDER BY id")
                .bind("p", "s", {}, {}, {})
                .close(P::statement, "s")
                .execute("p")
                .bind("q", "s", {}, {}, {})
                .sync()
                .query("ROLLBACK")),
        (Lines{"C BEGIN", "Z T", "1", "2", "3", "D 1", "D 2", "C SELECT 2",
               "E 26000 prepared statement \"s\" does not exist", "Z E", "C ROLLBACK", "Z I"}));
}

TEST_F(PgExtendedTest, ErrorsSkipToSync) {
    // The bad Parse fails; Bind, Describe and Execute after it are dropped; Sync answers.
    EXPECT_EQ(run(PgScript()
                      .parse("", "SELECT * FROM nowhere")
                      .bind("", "", {}, {}, {})
                      .describe(P::portal, "")
                      .execute("")
                      .query("SELECT 1")
                      .sync()
                      .query("SELECT 2 AS two")),
              (Lines{"E 42P01 relation \"nowhere\" does not exist @15", "Z I", "T two:23", "D 2",
                     "C SELECT 1", "Z I"}));
    // An execution error, and the failed transaction state through Sync.
    EXPECT_EQ(run(PgScript()
                      .query("BEGIN")
                      .parse("", "SELECT 10 / id FROM items WHERE id = $1")
                      .bind("", "", {}, {text_bytes("1")}, {})
                      .execute("")
                      .sync()
                      .parse("", "SELECT 10 / (id - 1) FROM items WHERE id = $1")
                      .bind("", "", {}, {text_bytes("1")}, {})
                      .execute("")
                      .execute("")
                      .sync()
                      .parse("", "SELECT 1")
                      .sync()
                      .query("ROLLBACK")),
              (Lines{"C BEGIN", "Z T", "1", "2", "D 10", "C SELECT 1", "Z T", "1", "2",
                     "E 22012 division by zero @11", "Z E",
                     "E 25P02 current transaction is aborted, commands ignored until end of "
                     "transaction block",
                     "Z E", "C ROLLBACK", "Z I"}));
}

TEST_F(PgExtendedTest, MalformedMessagesAreErrorsThatSkipToSync) {
    using namespace std::string_literals;
    // A Describe with a bad subtype: an error (not fatal), then everything up to Sync is
    // dropped, including a simple Query.
    EXPECT_EQ(run(PgScript()
                      .raw(as_bytes("D\0\0\0\x06X\0"s))
                      .parse("", "SELECT 1")
                      .query("SELECT 2")
                      .sync()
                      .query("SELECT 3 AS three")),
              (Lines{"E 08P01 invalid DESCRIBE message subtype 88", "Z I", "T three:23", "D 3",
                     "C SELECT 1", "Z I"}));
    // A Sync with a body is an error answered at once.
    EXPECT_EQ(run(PgScript().raw(as_bytes("S\0\0\0\x05x"s))),
              (Lines{"E 08P01 invalid message format: Sync message has trailing bytes", "Z I"}));
    // Terminate is honoured even while skipping.
    EXPECT_EQ(run(PgScript().parse("", "SELEC").terminate().sync()),
              (Lines{"E 42601 syntax error at or near \"SELEC\" @1"}));
    EXPECT_TRUE(connection->closed());
}

TEST_F(PgExtendedTest, BindChecks) {
    const auto bind_error = [&](std::vector<i16> formats, std::vector<std::optional<Bytes>> values,
                                std::vector<i16> result_formats) {
        const Lines lines =
            run(PgScript()
                    .parse("", "SELECT name, price FROM items WHERE id = $1")
                    .bind("", "", std::move(formats), std::move(values), std::move(result_formats))
                    .sync());
        EXPECT_EQ(lines.size(), 3u);
        return lines.size() == 3 ? lines[1] : "?";
    };
    EXPECT_EQ(bind_error({0, 0}, {text_bytes("1")}, {}),
              "E 08P01 bind message has 2 parameter formats but 1 parameters");
    EXPECT_EQ(bind_error({}, {}, {}),
              "E 08P01 bind message supplies 0 parameters, but prepared statement \"\" requires 1");
    EXPECT_EQ(bind_error({2}, {text_bytes("1")}, {}), "E 22023 unsupported format code: 2");
    EXPECT_EQ(bind_error({}, {text_bytes("1")}, {0, 1, 0}),
              "E 08P01 bind message has 3 result formats but query has 2 columns");
    EXPECT_EQ(bind_error({}, {text_bytes("1")}, {-1}), "E 22023 unsupported format code: -1");
    EXPECT_EQ(bind_error({1}, {Bytes{0, 0, 0, 1, 0}}, {}),
              "E 22P03 incorrect binary data format in bind parameter 1");
    EXPECT_EQ(bind_error({1}, {Bytes{0, 1}}, {}), "E 08P01 insufficient data left in message");
    EXPECT_EQ(bind_error({0}, {text_bytes("one")}, {}),
              "E 22P02 invalid input syntax for type integer: \"one\"");
    // NULL parameters are fine (and match nothing here).
    EXPECT_EQ(run(PgScript()
                      .parse("", "SELECT name FROM items WHERE id = $1")
                      .bind("", "", {}, {std::nullopt}, {})
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "C SELECT 0", "Z I"}));
}

TEST_F(PgExtendedTest, RowLimitsSuspendThePortal) {
    EXPECT_EQ(run(PgScript()
                      .parse("", "SELECT id FROM items ORDER BY id")
                      .bind("", "", {}, {}, {})
                      .execute("", 2)
                      .execute("", 2)
                      .execute("", 2)
                      .execute("", 2)
                      .sync()),
              (Lines{"1", "2", "D 1", "D 2", "s", "D 3", "D 4", "s", "D 5", "C SELECT 1",
                     "C SELECT 0", "Z I"}));
    // A limit equal to the rows left completes without suspending.
    EXPECT_EQ(run(PgScript()
                      .parse("", "SELECT id FROM items WHERE id < 3 ORDER BY id")
                      .bind("", "", {}, {}, {})
                      .execute("", 2)
                      .sync()),
              (Lines{"1", "2", "D 1", "D 2", "C SELECT 2", "Z I"}));
    // Inside a transaction a portal survives Sync and continues where it stopped; the
    // statement ran once (rows inserted meanwhile do not appear).
    EXPECT_EQ(run(PgScript()
                      .query("BEGIN")
                      .parse("all", "SELECT id FROM items ORDER BY id")
                      .bind("cursor", "all", {}, {}, {})
                      .execute("cursor", 3)
                      .sync()
                      .query("INSERT INTO items VALUES (6, 'six', 6)")
                      .execute("cursor", 3)
                      .sync()
                      .query("COMMIT")),
              (Lines{"C BEGIN", "Z T", "1", "2", "D 1", "D 2", "D 3", "s", "Z T", "C INSERT 0 1",
                     "Z T", "D 4", "D 5", "C SELECT 2", "Z T", "C COMMIT", "Z I"}));
    // INSERT ... RETURNING in batches: the count is the batch's, as PostgreSQL reports it.
    EXPECT_EQ(run(PgScript()
                      .parse("",
                             "INSERT INTO items VALUES (7, 'a', 1), (8, 'b', 2), (9, 'c', 3) "
                             "RETURNING id")
                      .bind("", "", {}, {}, {})
                      .execute("", 2)
                      .execute("", 2)
                      .sync()),
              (Lines{"1", "2", "D 7", "D 8", "s", "D 9", "C INSERT 0 1", "Z I"}));
}

TEST_F(PgExtendedTest, CommandsRunOnce) {
    EXPECT_EQ(run(PgScript()
                      .query("BEGIN")
                      .parse("", "UPDATE items SET price = price + 1 WHERE id = 1")
                      .bind("p", "", {}, {}, {})
                      .describe(P::portal, "p")
                      .execute("p")
                      .execute("p")
                      .sync()
                      .query("ROLLBACK")),
              (Lines{"C BEGIN", "Z T", "1", "2", "n", "C UPDATE 1",
                     "E 55000 portal \"p\" cannot be run", "Z E", "C ROLLBACK", "Z I"}));
}

TEST_F(PgExtendedTest, EmptyStatement) {
    EXPECT_EQ(run(PgScript()
                      .parse("", "")
                      .bind("", "", {}, {}, {})
                      .describe(P::portal, "")
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "n", "I", "Z I"}));
}

TEST_F(PgExtendedTest, SimpleQueryDropsTheUnnamedStatement) {
    EXPECT_EQ(run(PgScript()
                      .parse("", "SELECT 1")
                      .parse("kept", "SELECT 2 AS two")
                      .sync()
                      .query("SELECT 3 AS three")
                      .bind("", "", {}, {}, {})
                      .sync()
                      .bind("", "kept", {}, {}, {})
                      .execute("")
                      .sync()),
              (Lines{"1", "1", "Z I", "T three:23", "D 3", "C SELECT 1", "Z I",
                     "E 26000 unnamed prepared statement does not exist", "Z I", "2", "D 2",
                     "C SELECT 1", "Z I"}));
}

TEST_F(PgExtendedTest, TransactionStatusThroughExtendedMessages) {
    EXPECT_EQ(run(PgScript()
                      .parse("", "BEGIN")
                      .bind("", "", {}, {}, {})
                      .execute("")
                      .sync()
                      .parse("", "SELECT 1/0")
                      .bind("", "", {}, {}, {})
                      .execute("")
                      .sync()
                      .parse("", "ROLLBACK")
                      .bind("", "", {}, {}, {})
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "C BEGIN", "Z T", "1", "2", "E 22012 division by zero @9", "Z E",
                     "1", "2", "C ROLLBACK", "Z I"}));
}

TEST_F(PgExtendedTest, SetReportsParameterStatus) {
    EXPECT_EQ(run(PgScript()
                      .parse("", "SET application_name = 'batch'")
                      .bind("", "", {}, {}, {})
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "C SET", "S application_name=batch", "Z I"}));
}

// Every type in and out in binary: parameters decoded, stored, read back and encoded exactly.
TEST_F(PgExtendedTest, BinaryParametersAndResultsForEveryType) {
    run(PgScript().query(
        "CREATE TABLE every (k int PRIMARY KEY, b boolean, s smallint, i integer, l bigint, "
        "r real, d double precision, n numeric, t text, v varchar(10), c char(3), y bytea, "
        "dt date, ts timestamp, tz timestamptz, iv interval, u uuid, j jsonb)"));
    struct Column {
        SqlType type;
        std::string text;
    };
    const std::vector<Column> columns = {
        {SqlType::integer, "1"},
        {SqlType::boolean, "true"},
        {SqlType::smallint, "-32768"},
        {SqlType::integer, "2147483647"},
        {SqlType::bigint, "-9223372036854775808"},
        {SqlType::real, "-Infinity"},
        {SqlType::double_precision, "NaN"},
        {SqlType::numeric, "-12345678901234567890.000000000000000000001"},
        {SqlType::text, "h\xc3\xa9llo"},
        {SqlType::varchar, "abc"},
        {SqlType::character, "xy "},
        {SqlType::bytea, "\\x00ff"},
        {SqlType::date, "-infinity"},
        {SqlType::timestamp, "1999-12-31 23:59:59.999999"},
        {SqlType::timestamptz, "infinity"},
        {SqlType::interval, "1 year -2 days 00:00:00.000001"},
        {SqlType::uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        {SqlType::jsonb, R"({"a": [1, 2.50, null]})"},
    };
    std::vector<kernel::Value> values;
    std::vector<std::optional<Bytes>> parameters;
    std::string placeholders;
    std::vector<u32> oids;
    for (usize i = 0; i < columns.size(); ++i) {
        auto value = sql::value_input(columns[i].text, columns[i].type);
        ASSERT_TRUE(value.has_value()) << columns[i].text;
        values.push_back(*value);
        parameters.emplace_back(binary(*value));
        placeholders += (i ? ", $" : "$") + std::to_string(i + 1);
        oids.push_back(pg_type_oid(sql::Type::of(columns[i].type)));
    }
    // The parameters' types come from the columns (no declared OIDs).
    EXPECT_EQ(run(PgScript()
                      .parse("ins", "INSERT INTO every VALUES (" + placeholders + ")")
                      .bind("", "ins", {1}, parameters, {})
                      .execute("")
                      .sync()),
              (Lines{"1", "2", "C INSERT 0 1", "Z I"}));

    // Read back with all-binary results: RowDescription's OIDs and each value's exact bytes.
    connection->receive(PgScript()
                            .parse("sel", "SELECT * FROM every")
                            .describe(P::statement, "sel")
                            .bind("", "sel", {}, {}, {1})
                            .execute("")
                            .sync()
                            .bytes());
    const Lines lines = describe_output(connection->take_output(), false, true);
    ASSERT_EQ(lines.size(), 7u) << ::testing::PrintToString(lines);
    std::string expected_oids = "t";
    std::string expected_row = "D ";
    std::string expected_description = "T";
    const std::vector<std::string> names = {"k", "b", "s", "i",  "l",  "r",  "d",  "n", "t",
                                            "v", "c", "y", "dt", "ts", "tz", "iv", "u", "j"};
    for (usize i = 0; i < columns.size(); ++i) {
        expected_row += (i ? "|\\x" : "\\x") + to_hex(binary(values[i]));
        expected_description += " " + names[i] + ":" + std::to_string(oids[i]);
    }
    EXPECT_EQ(lines[0], "1");
    EXPECT_EQ(lines[1], "t");
    EXPECT_EQ(lines[2], expected_description);
    EXPECT_EQ(lines[3], "2");
    EXPECT_EQ(lines[4], expected_row);
    EXPECT_EQ(lines[5], "C SELECT 1");

    // Mixed formats: one code per column, and text parameters of every type.
    std::vector<std::optional<Bytes>> text_parameters;
    for (usize i = 0; i < columns.size(); ++i) {
        text_parameters.emplace_back(text_bytes(i == 0 ? "2" : columns[i].text));
    }
    EXPECT_EQ(run(PgScript().bind("", "ins", {0}, text_parameters, {}).execute("").sync()),
              (Lines{"2", "C INSERT 0 1", "Z I"}));
    std::vector<i16> alternate;
    for (usize i = 0; i < columns.size(); ++i) alternate.push_back(static_cast<i16>(i % 2));
    connection->receive(PgScript()
                            .parse("", "SELECT * FROM every WHERE k = $1", {pg_oid::kInt8})
                            .bind("", "", {1}, {binary(kernel::Value::int64(2))}, alternate)
                            .describe(P::portal, "")
                            .execute("")
                            .sync()
                            .bytes());
    const Bytes output = connection->take_output();
    // Decode the DataRow and compare each column in its own format.
    std::optional<PgDataRow> row;
    std::optional<PgRowDescription> description;
    for (usize at = 0; at < output.size();) {
        const u32 length = load_be_u32(output.data() + at + 1);
        auto message = decode_backend_message(static_cast<char>(output[at]),
                                              ByteSpan(output).subspan(at + 5, length - 4));
        ASSERT_TRUE(message.has_value());
        if (auto* r = std::get_if<PgDataRow>(&*message)) row = *r;
        if (auto* d = std::get_if<PgRowDescription>(&*message)) description = *d;
        at += 1 + length;
    }
    ASSERT_TRUE(row.has_value());
    ASSERT_TRUE(description.has_value());
    ASSERT_EQ(row->values.size(), columns.size());
    for (usize i = 1; i < columns.size(); ++i) {
        const PgFormat format = i % 2 ? PgFormat::binary : PgFormat::text;
        EXPECT_EQ(description->fields[i].format, format);
        Bytes expected;
        pg_encode_value(values[i], format, expected);
        ASSERT_TRUE(row->values[i].has_value());
        EXPECT_EQ(to_hex(*row->values[i]), to_hex(expected)) << names[i];
    }
}

}  // namespace
}  // namespace kb::server
