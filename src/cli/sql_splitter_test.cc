// SqlSplitter: statements end at the semicolons outside quotes, dollar quotes, comments and
// parentheses, whatever the pieces the input arrives in.
#include "cli/sql_splitter.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace kb::cli {
namespace {

// All statements of `input` fed in one piece, then finish().
std::vector<std::string> split(std::string_view input) {
    SqlSplitter splitter;
    splitter.feed(input);
    std::vector<std::string> out;
    while (auto statement = splitter.next()) out.push_back(statement->text);
    if (auto last = splitter.finish()) out.push_back(last->text);
    return out;
}

// The same, fed in pieces of `size` bytes.
std::vector<std::string> split_in_pieces(std::string_view input, std::size_t size) {
    SqlSplitter splitter;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < input.size(); i += size) {
        splitter.feed(input.substr(i, size));
        while (auto statement = splitter.next()) out.push_back(statement->text);
    }
    if (auto last = splitter.finish()) out.push_back(last->text);
    return out;
}

using Texts = std::vector<std::string>;

TEST(SqlSplitter, SplitsAtSemicolons) {
    EXPECT_EQ(split("SELECT 1; SELECT 2;"), (Texts{"SELECT 1;", "SELECT 2;"}));
    EXPECT_EQ(split("SELECT 1;\nSELECT\n  2;\n"), (Texts{"SELECT 1;", "SELECT\n  2;"}));
}

TEST(SqlSplitter, LastStatementWithoutSemicolonComesFromFinish) {
    SqlSplitter splitter;
    splitter.feed("SELECT 1; SELECT 2\n");
    auto first = splitter.next();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->text, "SELECT 1;");
    EXPECT_FALSE(splitter.next());
    EXPECT_TRUE(splitter.in_statement());
    auto last = splitter.finish();
    ASSERT_TRUE(last);
    EXPECT_EQ(last->text, "SELECT 2");
    EXPECT_FALSE(splitter.in_statement());
}

TEST(SqlSplitter, SemicolonsInsideStringsDoNotSplit) {
    EXPECT_EQ(split("INSERT INTO t VALUES ('a;b'); SELECT 1;"),
              (Texts{"INSERT INTO t VALUES ('a;b');", "SELECT 1;"}));
    // '' is a quote inside a standard string; backslash is ordinary there.
    EXPECT_EQ(split("SELECT 'it''s; fine', 'back\\'; SELECT 2;"),
              (Texts{"SELECT 'it''s; fine', 'back\\';", "SELECT 2;"}));
    // E'' strings escape with backslash.
    EXPECT_EQ(split("SELECT E'it\\'s; x'; SELECT 2;"),
              (Texts{"SELECT E'it\\'s; x';", "SELECT 2;"}));
    EXPECT_EQ(split("SELECT e'\\\\'; SELECT 2;"), (Texts{"SELECT e'\\\\';", "SELECT 2;"}));
    // An identifier ending in e before a quote is not an E string.
    EXPECT_EQ(split("SELECT type'a\\'; SELECT 2;"), (Texts{"SELECT type'a\\';", "SELECT 2;"}));
}

TEST(SqlSplitter, QuotedIdentifiers) {
    EXPECT_EQ(split("SELECT 1 AS \"a;\"\"b\"; SELECT 2;"),
              (Texts{"SELECT 1 AS \"a;\"\"b\";", "SELECT 2;"}));
}

TEST(SqlSplitter, DollarQuotes) {
    EXPECT_EQ(split("SELECT $$a;b$$; SELECT 2;"), (Texts{"SELECT $$a;b$$;", "SELECT 2;"}));
    EXPECT_EQ(split("SELECT $fn$ x $$; $ $fn$; SELECT 2;"),
              (Texts{"SELECT $fn$ x $$; $ $fn$;", "SELECT 2;"}));
    // $1 is a parameter, and a $ inside an identifier is not a quote.
    EXPECT_EQ(split("PREPARE p AS SELECT $1; SELECT a$b; SELECT 3;"),
              (Texts{"PREPARE p AS SELECT $1;", "SELECT a$b;", "SELECT 3;"}));
    // A tag that differs does not close the quote.
    EXPECT_EQ(split("SELECT $a$ $b$; $a$;"), (Texts{"SELECT $a$ $b$; $a$;"}));
}

TEST(SqlSplitter, Comments) {
    EXPECT_EQ(split("SELECT 1 -- a; comment\n, 2; SELECT 3;"),
              (Texts{"SELECT 1 -- a; comment\n, 2;", "SELECT 3;"}));
    EXPECT_EQ(split("SELECT /* a; /* nested; */ still; */ 1; SELECT 2;"),
              (Texts{"SELECT /* a; /* nested; */ still; */ 1;", "SELECT 2;"}));
    // Leading whitespace and line comments are dropped; statements of only comments vanish.
    EXPECT_EQ(split("  -- header\n\n  SELECT 1;"), (Texts{"SELECT 1;"}));
    EXPECT_EQ(split("-- nothing\n;  ;\n/* just a comment */;"), Texts{});
    EXPECT_EQ(split("-- only a comment\n"), Texts{});
    // A minus or slash alone is an operator.
    EXPECT_EQ(split("SELECT 3 - 1; SELECT 4 / 2;"), (Texts{"SELECT 3 - 1;", "SELECT 4 / 2;"}));
}

TEST(SqlSplitter, Parentheses) {
    EXPECT_EQ(split("CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2); SELECT 3;"),
              (Texts{"CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2);", "SELECT 3;"}));
}

TEST(SqlSplitter, UnterminatedQuoteGoesToTheServerAtTheEnd) {
    EXPECT_EQ(split("SELECT 'abc; SELECT 2;"), (Texts{"SELECT 'abc; SELECT 2;"}));
}

TEST(SqlSplitter, LineNumbers) {
    SqlSplitter splitter;
    splitter.feed("-- header\n");
    splitter.feed("\n");
    splitter.feed("SELECT 1;\n");
    splitter.feed("SELECT\n");
    splitter.feed("'a\nb';  SELECT 3\n");
    auto first = splitter.next();
    auto second = splitter.next();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->first_line, 3);
    EXPECT_EQ(second->first_line, 4);
    auto last = splitter.finish();
    ASSERT_TRUE(last);
    EXPECT_EQ(last->first_line, 6);
    EXPECT_EQ(last->text, "SELECT 3");
}

TEST(SqlSplitter, SkippedLinesCount) {
    SqlSplitter splitter;
    splitter.feed("COPY t FROM STDIN;\n");
    ASSERT_TRUE(splitter.next());
    splitter.skip_lines(3);  // the data and its "\\." line, read by the shell
    splitter.feed("SELECT 1;\n");
    auto statement = splitter.next();
    ASSERT_TRUE(statement);
    EXPECT_EQ(statement->first_line, 5);
}

TEST(SqlSplitter, StateCharForPrompts) {
    SqlSplitter splitter;
    EXPECT_FALSE(splitter.in_statement());
    splitter.feed("SELECT 'a\n");
    EXPECT_EQ(splitter.state_char(), '\'');
    splitter.feed("', \"x\n");
    EXPECT_EQ(splitter.state_char(), '"');
    splitter.feed("\", $$\n");
    EXPECT_EQ(splitter.state_char(), '$');
    splitter.feed("$$, /* \n");
    EXPECT_EQ(splitter.state_char(), '*');
    splitter.feed("*/ (\n");
    EXPECT_EQ(splitter.state_char(), '(');
    splitter.feed(")\n");
    EXPECT_EQ(splitter.state_char(), '-');
    EXPECT_TRUE(splitter.in_statement());
    splitter.reset_current();
    EXPECT_FALSE(splitter.in_statement());
    splitter.feed("SELECT 9;\n");
    auto statement = splitter.next();
    ASSERT_TRUE(statement);
    EXPECT_EQ(statement->text, "SELECT 9;");
    EXPECT_EQ(statement->first_line, 7);
}

TEST(SqlSplitter, PiecesSplittingTokensGiveTheSameStatements) {
    const std::string script =
        "SELECT 1 -- c;\n-- x\nSELECT $tag$ ;$ta$ $tag$, E'\\';', 'a''b;' /* ; /* ; */ */;\n"
        "SELECT \"q;\"\"\" - 2 / 3; SELECT $$ $ $$";
    const Texts whole = split(script);
    ASSERT_EQ(whole.size(), 3u);
    for (std::size_t size = 1; size <= 8; ++size) {
        EXPECT_EQ(split_in_pieces(script, size), whole) << "pieces of " << size;
    }
}

// Random statements built from tokens, joined with ';': splitting gives them back, in any
// piece size.
RC_GTEST_PROP(SqlSplitter, RandomTokenStatementsRoundTrip, ()) {
    static const std::vector<std::string> tokens = {
        "SELECT",     "1",       "'a;b'",   "'it''s'", "E'x\\';y'", "\"c;d\"",      "$$;$$",
        "$t$;$$;$t$", "-- c;\n", "/* ; */", "(1;2)",   "a$b",       "$1",           "-",
        "/",          "\n",      "x",       "e",       "'\\'",      "/* /* ; */ */"};
    const auto statement_count = *rc::gen::inRange<std::size_t>(1, 5);
    std::vector<std::string> statements;
    std::string script;
    for (std::size_t s = 0; s < statement_count; ++s) {
        std::string text = "SELECT";
        const auto count = *rc::gen::inRange<std::size_t>(0, 8);
        for (std::size_t i = 0; i < count; ++i) {
            text += " " + tokens[*rc::gen::inRange<std::size_t>(0, tokens.size())];
        }
        text += " 0;";
        statements.push_back(text);
        script += text + (s % 2 == 0 ? "\n" : " ");
    }
    const auto size = *rc::gen::inRange<std::size_t>(1, 12);
    RC_ASSERT(split_in_pieces(script, size) == statements);
}

}  // namespace
}  // namespace kb::cli
