// sql_output.h: the aligned tables and error reports match what psql 15 prints for the same
// results (the expected texts below were printed by psql against kmb server), and the JSON
// forms carry typed values.
#include "cli/sql_output.h"

#include <gtest/gtest.h>

#include "cli/pg_client.h"

namespace kb::cli {
namespace {

constexpr u32 kInt4 = 23;
constexpr u32 kText = 25;
constexpr u32 kNumeric = 1700;
constexpr u32 kBool = 16;
constexpr u32 kInt8 = 20;
constexpr u32 kFloat8 = 701;

PgStatementResult result_of(std::vector<std::string> columns, std::vector<u32> types,
                            std::vector<std::vector<std::optional<std::string>>> rows) {
    PgStatementResult result;
    result.has_rows = true;
    result.columns = std::move(columns);
    result.column_types = std::move(types);
    result.rows = std::move(rows);
    result.tag = "SELECT " + std::to_string(result.rows.size());
    return result;
}

TEST(SqlOutput, AlignedTableAsPsql) {
    const auto result =
        result_of({"id", "name", "n", "b", "j"}, {kInt4, kText, kNumeric, kBool, kText},
                  {{"1", "h\xC3\xA9llo w\xC3\xB6rld", "1.5", "t", "a\nbc"},
                   {"22", std::nullopt, "-3", "f", "x"}});
    EXPECT_EQ(format_aligned(result),
              " id |    name     |  n  | b | j  \n"
              "----+-------------+-----+---+----\n"
              "  1 | h\xC3\xA9llo w\xC3\xB6rld | 1.5 | t | a +\n"
              "    |             |     |   | bc\n"
              " 22 |             |  -3 | f | x\n"
              "(2 rows)\n");
}

TEST(SqlOutput, RightAlignedLastColumnAndWideHeader) {
    const auto result = result_of({"a long header", "name"}, {kInt4, kText},
                                  {{"1", "h\xC3\xA9llo w\xC3\xB6rld"}, {"22", std::nullopt}});
    EXPECT_EQ(format_aligned(result),
              " a long header |    name     \n"
              "---------------+-------------\n"
              "             1 | h\xC3\xA9llo w\xC3\xB6rld\n"
              "            22 | \n"
              "(2 rows)\n");
    const auto count = result_of({"count"}, {kInt8}, {{"5"}});
    EXPECT_EQ(format_aligned(count), " count \n-------\n     5\n(1 row)\n");
    const auto none = result_of({"?column?"}, {kInt4}, {});
    EXPECT_EQ(format_aligned(none), " ?column? \n----------\n(0 rows)\n");
}

TEST(SqlOutput, ErrorsAsPsql) {
    server::PgNotice error;
    error.severity = "ERROR";
    error.sqlstate = "23505";
    error.message = "duplicate key value violates unique constraint \"u_pkey\"";
    error.detail = "Key (id)=(1) already exists.";
    EXPECT_EQ(format_server_message(error, "insert into u values (1)"),
              "ERROR:  duplicate key value violates unique constraint \"u_pkey\"\n"
              "DETAIL:  Key (id)=(1) already exists.\n");

    server::PgNotice missing;
    missing.message = "column \"nope\" does not exist";
    missing.position = 11;
    missing.hint = "Perhaps you meant something else.";
    EXPECT_EQ(format_server_message(missing, "\nselect\n  nope\nfrom u", "s.sql:4: "),
              "s.sql:4: ERROR:  column \"nope\" does not exist\n"
              "LINE 3:   nope\n"
              "          ^\n"
              "HINT:  Perhaps you meant something else.\n");

    server::PgNotice copy;
    copy.sqlstate = "22P04";
    copy.message = "extra data after last expected column";
    copy.context = "COPY c, line 1: \"3\tx\ty\"";
    EXPECT_EQ(format_server_message(copy, "COPY c FROM STDIN"),
              "ERROR:  extra data after last expected column\n"
              "CONTEXT:  COPY c, line 1: \"3\tx\ty\"\n");

    missing.position = 10;
    EXPECT_EQ(format_error_position("select 1/0", 10), "LINE 1: select 1/0\n                 ^\n");
    // Positions count characters, not bytes.
    EXPECT_EQ(format_error_position("select '\xC3\xA9', nope", 14),
              "LINE 1: select '\xC3\xA9', nope\n                     ^\n");
    // Just past the end (an error at the end of the input).
    EXPECT_EQ(format_error_position("select (", 9), "LINE 1: select (\n                ^\n");
    EXPECT_EQ(format_error_position("select 1", 0), "");
    EXPECT_EQ(format_error_position("select 1", 20), "");
}

TEST(SqlOutput, LongLinesAreCutAroundThePosition) {
    std::string line = "select ";
    for (int i = 0; i < 30; ++i) line += "col" + std::to_string(i) + ", ";
    line += "nope from t";
    const int position = static_cast<int>(line.find("nope")) + 1;
    const std::string shown = format_error_position(line, position);
    const std::size_t newline = shown.find('\n');
    const std::string first = shown.substr(0, newline);
    EXPECT_EQ(first.rfind("LINE 1: ...", 0), 0u) << shown;
    EXPECT_NE(first.find("nope fro"), std::string::npos) << shown;
    EXPECT_LE(first.size(), std::string("LINE 1: ......").size() + 60) << shown;
    // The caret sits under the 'n' of nope.
    const std::string caret = shown.substr(newline + 1);
    EXPECT_EQ(first[caret.find('^')], 'n') << shown;
}

TEST(SqlOutput, JsonCarriesTypedValues) {
    auto result =
        result_of({"id", "ok", "x", "price", "note"}, {kInt8, kBool, kFloat8, kNumeric, kText},
                  {{"-9223372036854775808", "t", "1.5", "12.30", std::nullopt},
                   {"7", "f", "NaN", "1e400", "x"}});
    const auto json = result_to_json(result);
    EXPECT_EQ(
        json.dump(),
        R"({"columns":["id","ok","x","price","note"],"types":["int8","bool","float8","numeric","text"],)"
        R"("rows":[[-9223372036854775808,true,1.5,"12.30",null],[7,false,"NaN","1e400","x"]],)"
        R"("tag":"SELECT 2"})");
    server::PgNotice error;
    error.sqlstate = "42P01";
    error.message = "relation \"nope\" does not exist";
    error.position = 15;
    EXPECT_EQ(
        error_to_json(error, "SELECT * FROM nope").dump(),
        R"({"error":{"severity":"ERROR","sqlstate":"42P01","message":"relation \"nope\" does not exist","position":15},"statement":"SELECT * FROM nope"})");
}

TEST(SqlOutput, DisplayWidthCountsCharacters) {
    EXPECT_EQ(display_width("abc"), 3u);
    EXPECT_EQ(display_width("h\xC3\xA9"), 2u);
    EXPECT_EQ(display_width("\xE2\x98\x83"), 1u);  // snowman
    EXPECT_EQ(display_width("\xFF\xFE"), 2u);      // not UTF-8: a byte each
}

TEST(PgClientParsing, HostPort) {
    auto plain = parse_host_port("127.0.0.1:5432", 1);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->host, "127.0.0.1");
    EXPECT_EQ(plain->port, 5432);
    auto bare = parse_host_port("db.example", 5432);
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->host, "db.example");
    EXPECT_EQ(bare->port, 5432);
    auto v6 = parse_host_port("[::1]:6000", 5432);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 6000);
    auto bare_v6 = parse_host_port("::1", 5432);
    ASSERT_TRUE(bare_v6);
    EXPECT_EQ(bare_v6->host, "::1");
    EXPECT_FALSE(parse_host_port("host:0", 1));
    EXPECT_FALSE(parse_host_port("host:70000", 1));
    EXPECT_FALSE(parse_host_port("host:", 1));
    EXPECT_FALSE(parse_host_port(":5432", 1));
    EXPECT_FALSE(parse_host_port("[::1", 1));
    EXPECT_FALSE(parse_host_port("host:12x", 1));

    EXPECT_EQ(*parse_tls_mode("require"), TlsMode::require);
    EXPECT_EQ(*parse_tls_mode("prefer"), TlsMode::prefer);
    EXPECT_EQ(*parse_tls_mode("disable"), TlsMode::disable);
    EXPECT_FALSE(parse_tls_mode("verify-full"));
}

}  // namespace
}  // namespace kb::cli
