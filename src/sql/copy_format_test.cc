// COPY's options and its text and CSV formats, against what PostgreSQL 15 writes and reads:
// escapes, quoting, NULLs, line ends, the end marker, headers, errors with their CONTEXT, any
// chunking of the data, and random rows surviving a round trip.
#include "sql/copy_format.h"

#include <gtest/gtest.h>

#include "base/prng.h"

namespace kb::sql {
namespace {

using Fields = std::vector<std::optional<std::string>>;

// An option as the grammar makes it: without an argument, or with a string (or other) one.
ast::GenericOption option(std::string name) {
    ast::GenericOption out;
    out.name = std::move(name);
    return out;
}
ast::GenericOption option(std::string name, std::string value,
                          ast::GenericOption::Kind kind = ast::GenericOption::Kind::string) {
    ast::GenericOption out;
    out.name = std::move(name);
    out.kind = kind;
    out.value = std::move(value);
    return out;
}

CopyOptions options_of(std::vector<ast::GenericOption> given, bool from,
                       std::vector<std::string> columns = {"a", "b"}) {
    auto options = copy_options(given, from);
    EXPECT_TRUE(options.has_value()) << options.error().to_string();
    if (!options) return {};
    EXPECT_TRUE(resolve_copy_columns(*options, columns).has_value());
    return *options;
}

SqlError option_error(std::vector<ast::GenericOption> given, bool from) {
    auto options = copy_options(given, from);
    if (options.has_value()) {
        ADD_FAILURE() << "options accepted";
        return {};
    }
    return options.error();
}

// Decodes `data` fed in pieces of `piece` bytes (0: all at once); the records' fields, or the
// error as "SQLSTATE message | CONTEXT".
struct Decoded {
    std::vector<Fields> rows;
    std::vector<u64> lines;
    std::string error;
};

Decoded decode(const CopyOptions& options, std::string_view data, usize piece = 0,
               std::vector<std::string> columns = {"a", "b"}) {
    CopyDecoder decoder(options, "t", std::move(columns));
    std::vector<CopyRecord> records;
    Decoded out;
    auto fail = [&](const SqlError& error) {
        out.error = error.sqlstate + " " + error.message + " | " + error.context;
    };
    const usize step = piece == 0 ? std::max<usize>(data.size(), 1) : piece;
    for (usize at = 0; at < data.size(); at += step) {
        auto fed = decoder.feed(as_bytes(data.substr(at, step)), records);
        if (!fed) {
            fail(fed.error());
            break;
        }
    }
    if (out.error.empty()) {
        if (auto finished = decoder.finish(records); !finished) fail(finished.error());
    }
    for (const CopyRecord& record : records) {
        out.rows.push_back(record.fields);
        out.lines.push_back(record.line);
    }
    return out;
}

Fields row(std::initializer_list<std::optional<std::string>> values) { return Fields(values); }
const std::optional<std::string> kNull;

// --- options ----------------------------------------------------------------------------------

TEST(CopyOptions, DefaultsFollowTheFormat) {
    const CopyOptions text = options_of({}, true);
    EXPECT_EQ(text.format, CopyFormat::text);
    EXPECT_EQ(text.delimiter, '\t');
    EXPECT_EQ(text.null, "\\N");
    const CopyOptions csv = options_of({option("format", "csv")}, true);
    EXPECT_EQ(csv.delimiter, ',');
    EXPECT_EQ(csv.null, "");
    EXPECT_EQ(csv.quote, '"');
    EXPECT_EQ(csv.escape, '"');
    const CopyOptions custom =
        options_of({option("format", "csv"), option("delimiter", ";"), option("quote", "'"),
                    option("escape", "\\"), option("null", "NULL"), option("header", "match")},
                   true);
    EXPECT_EQ(custom.delimiter, ';');
    EXPECT_EQ(custom.quote, '\'');
    EXPECT_EQ(custom.escape, '\\');
    EXPECT_EQ(custom.null, "NULL");
    EXPECT_EQ(custom.header, CopyHeader::match);
    EXPECT_EQ(options_of({option("header", "true")}, false).header, CopyHeader::present);
    EXPECT_EQ(options_of({option("header", "0", ast::GenericOption::Kind::number)}, true).header,
              CopyHeader::none);
    EXPECT_EQ(options_of({option("header")}, true).header, CopyHeader::present);
    EXPECT_TRUE(copy_options(std::vector{option("encoding", "UTF8")}, true).has_value());
    EXPECT_TRUE(copy_options(std::vector{option("freeze", "true")}, true).has_value());
}

TEST(CopyOptions, RefusalsAreAsPostgres) {
    const auto message = [](std::vector<ast::GenericOption> given, bool from) {
        const SqlError error = option_error(std::move(given), from);
        return error.sqlstate + " " + error.message;
    };
    EXPECT_EQ(message({option("format", "csv"), option("format", "text")}, true),
              "42601 conflicting or redundant options");
    EXPECT_EQ(message({option("format", "xml")}, true), "22023 COPY format \"xml\" not recognized");
    EXPECT_EQ(message({option("format", "binary")}, true), "0A000 COPY BINARY is not supported");
    EXPECT_EQ(message({option("colour", "red")}, true), "42601 option \"colour\" not recognized");
    EXPECT_EQ(message({option("delimiter", "ab")}, true),
              "0A000 COPY delimiter must be a single one-byte character");
    EXPECT_EQ(message({option("delimiter", "\n")}, true),
              "22023 COPY delimiter cannot be newline or carriage return");
    EXPECT_EQ(message({option("delimiter", "\\")}, true), "22023 COPY delimiter cannot be \"\\\"");
    EXPECT_EQ(message({option("delimiter", "x")}, true), "22023 COPY delimiter cannot be \"x\"");
    EXPECT_EQ(message({option("null", "a\rb")}, true),
              "22023 COPY null representation cannot use newline or carriage return");
    EXPECT_EQ(message({option("quote", "'")}, true), "0A000 COPY quote available only in CSV mode");
    EXPECT_EQ(message({option("escape", "'")}, true),
              "0A000 COPY escape available only in CSV mode");
    EXPECT_EQ(message({option("format", "csv"), option("quote", ",")}, true),
              "22023 COPY delimiter and quote must be different");
    EXPECT_EQ(message({option("format", "csv"), option("quote", "ab")}, true),
              "0A000 COPY quote must be a single one-byte character");
    EXPECT_EQ(message({option("header", "match")}, false),
              "0A000 cannot use \"match\" with HEADER in COPY TO");
    EXPECT_EQ(message({option("header", "maybe")}, true),
              "42601 header requires a Boolean value or \"match\"");
    EXPECT_EQ(message({option("format", "csv"),
                       option("force_quote", "", ast::GenericOption::Kind::star)},
                      true),
              "0A000 COPY force quote only available using COPY TO");
    EXPECT_EQ(message({option("force_quote", "", ast::GenericOption::Kind::star)}, false),
              "0A000 COPY force quote available only in CSV mode");
    EXPECT_EQ(message({option("format", "csv"), option("force_not_null", "a")}, true),
              "42601 argument to option \"force_not_null\" must be a list of column names");
    EXPECT_EQ(message({option("null", "a,b"), option("format", "csv")}, true),
              "22023 COPY delimiter must not appear in the NULL specification");
    EXPECT_EQ(message({option("format", "csv"), option("null", "\"")}, false),
              "22023 CSV quote character must not appear in the NULL specification");
    EXPECT_EQ(message({option("encoding", "LATIN1")}, true).substr(0, 5), "0A000");

    CopyOptions csv = *copy_options(std::vector{option("format", "csv")}, false);
    csv.force_quote = {"z"};
    std::vector<std::string> names{"a"};
    auto resolved = resolve_copy_columns(csv, names);
    ASSERT_FALSE(resolved.has_value());
    EXPECT_EQ(resolved.error().sqlstate, "42P10");
    EXPECT_EQ(resolved.error().message, "FORCE_QUOTE column \"z\" not referenced by COPY");
}

// --- writing ----------------------------------------------------------------------------------

std::string encode(const CopyOptions& options, const std::vector<Fields>& rows) {
    CopyEncoder encoder(options);
    std::string out;
    for (const Fields& fields : rows) {
        for (usize i = 0; i < fields.size(); ++i) {
            std::optional<std::string_view> value;
            if (fields[i]) value = *fields[i];
            encoder.field(value, i, fields.size(), out);
        }
        out.push_back('\n');
    }
    return out;
}

TEST(CopyEncoder, TextEscapesAsPostgres) {
    const CopyOptions text = options_of({}, false);
    EXPECT_EQ(encode(text, {row({"plain", kNull}), row({"tab\there", "new\nline\rcr"}),
                            row({"back\\slash", "\b\f\v\x01"}), row({"", "\\N"})}),
              "plain\t\\N\n"
              "tab\\there\tnew\\nline\\rcr\n"
              "back\\\\slash\t\\b\\f\\v\x01\n"
              "\t\\\\N\n");
    const CopyOptions pipes = options_of({option("delimiter", "|"), option("null", "")}, false);
    EXPECT_EQ(encode(pipes, {row({"a|b", kNull})}), "a\\|b|\n");
    CopyEncoder encoder(text);
    std::string header;
    encoder.header({"id", "the\tname"}, header);
    EXPECT_EQ(header, "id\tthe\\tname\n");
}

TEST(CopyEncoder, CsvQuotesAsPostgres) {
    CopyOptions csv = options_of({option("format", "csv")}, false);
    EXPECT_EQ(encode(csv, {row({"plain", kNull}), row({"a,b", "say \"hi\""}),
                           row({"", "two\nlines"}), row({" spaced ", "cr\r"})}),
              "plain,\n"
              "\"a,b\",\"say \"\"hi\"\"\"\n"
              "\"\",\"two\nlines\"\n"
              " spaced ,\"cr\r\"\n");
    // "\." alone on a line would end the data: quoted when it is a row's only field.
    EXPECT_EQ(encode(csv, {row({"\\."})}), "\"\\.\"\n");
    EXPECT_EQ(encode(csv, {row({"\\.", "x"})}), "\\.,x\n");
    // FORCE_QUOTE, a separate escape character, a null string that must be quoted.
    csv =
        options_of({option("format", "csv"), option("escape", "\\"), option("null", "NA")}, false);
    csv.quote_column = {true, false};
    EXPECT_EQ(encode(csv, {row({"x", "a\"b\\c"}), row({kNull, "NA"})}),
              "\"x\",\"a\\\"b\\\\c\"\n"
              "NA,\"NA\"\n");
}

// --- reading ----------------------------------------------------------------------------------

TEST(CopyDecoder, TextUnescapesAsPostgres) {
    const CopyOptions text = options_of({}, true);
    const Decoded decoded = decode(text,
                                   "1\tplain\n"
                                   "2\t\\N\n"
                                   "3\t\\\\N\n"
                                   "4\ta\\tb\\nc\\\\d\\\te\n"
                                   "5\t\\101\\x42\\x4a\\x\\q\\7\n"
                                   "6\t\n"
                                   "7\ttail");
    ASSERT_EQ(decoded.error, "");
    EXPECT_EQ(decoded.rows,
              (std::vector<Fields>{row({"1", "plain"}), row({"2", kNull}), row({"3", "\\N"}),
                                   row({"4", "a\tb\nc\\d\te"}), row({"5", "ABJxq\a"}),
                                   row({"6", ""}), row({"7", "tail"})}));
    EXPECT_EQ(decoded.lines, (std::vector<u64>{1, 2, 3, 4, 5, 6, 7}));
    // An empty null string makes empty fields NULL; an escaped newline is data.
    const CopyOptions empty_null = options_of({option("null", "")}, true);
    EXPECT_EQ(decode(empty_null, "\tx\\\ny\n").rows, (std::vector<Fields>{row({kNull, "x\ny"})}));
}

TEST(CopyDecoder, AnyChunkingReadsTheSame) {
    const CopyOptions csv = options_of({option("format", "csv")}, true);
    const std::string data =
        "1,\"quoted, with comma\"\r\n"
        "2,\"multi\r\nline \"\"x\"\"\"\r\n"
        "3,\r\n"
        "4,\"\"\r\n"
        "\\.\r\n"
        "ignored,after the end\r\n";
    const Decoded whole = decode(csv, data);
    ASSERT_EQ(whole.error, "");
    EXPECT_EQ(whole.rows, (std::vector<Fields>{row({"1", "quoted, with comma"}),
                                               row({"2", "multi\r\nline \"x\""}), row({"3", kNull}),
                                               row({"4", ""})}));
    // The quoted line break counts as a line, as PostgreSQL counts them for CONTEXT.
    EXPECT_EQ(whole.lines, (std::vector<u64>{1, 3, 4, 5}));
    for (usize piece = 1; piece <= 7; ++piece) {
        const Decoded pieces = decode(csv, data, piece);
        EXPECT_EQ(pieces.error, "") << piece;
        EXPECT_EQ(pieces.rows, whole.rows) << piece;
        EXPECT_EQ(pieces.lines, whole.lines) << piece;
    }
    const CopyOptions text = options_of({}, true);
    const std::string text_data = "a\\\\.\tb\\\tc\r\nd\te\r\n\\.\r\nx\ty\r\n";
    const Decoded text_whole = decode(text, text_data);
    ASSERT_EQ(text_whole.error, "");
    EXPECT_EQ(text_whole.rows, (std::vector<Fields>{row({"a\\.", "b\tc"}), row({"d", "e"})}));
    for (usize piece = 1; piece <= 5; ++piece) {
        EXPECT_EQ(decode(text, text_data, piece).rows, text_whole.rows) << piece;
    }
}

TEST(CopyDecoder, CsvNullsAndForcedColumns) {
    CopyOptions csv = options_of({option("format", "csv"), option("null", "NA")}, true);
    EXPECT_EQ(decode(csv, "NA,\"NA\"\n,x\n").rows,
              (std::vector<Fields>{row({kNull, "NA"}), row({"", "x"})}));
    csv.not_null_column = {true, false};
    csv.null_column = {false, true};
    EXPECT_EQ(decode(csv, "NA,\"NA\"\n").rows, (std::vector<Fields>{row({"NA", kNull})}));
    // A quote inside a field, a separate escape character, "\." that is data in CSV.
    const CopyOptions escaped = options_of({option("format", "csv"), option("escape", "\\")}, true);
    EXPECT_EQ(decode(escaped, "a\"b,c\"d,\"x\\\"y\\\\z\"\n\\.x,\\.\n").rows,
              (std::vector<Fields>{row({"ab,cd", "x\"y\\z"}), row({"\\.x", "\\."})}));
}

TEST(CopyDecoder, HeadersAreSkippedOrMatched) {
    const CopyOptions skip = options_of({option("format", "csv"), option("header")}, true);
    EXPECT_EQ(decode(skip, "any,number,of,fields\n1,2\n").rows,
              (std::vector<Fields>{row({"1", "2"})}));
    const CopyOptions match = options_of({option("header", "match")}, true);
    Decoded matched = decode(match, "a\tb\n1\t2\n");
    EXPECT_EQ(matched.rows, (std::vector<Fields>{row({"1", "2"})}));
    EXPECT_EQ(matched.lines, (std::vector<u64>{2}));
    EXPECT_EQ(decode(match, "a\tc\n").error,
              "22P04 column name mismatch in header line field 2: got \"c\", expected \"b\" | "
              "COPY t, line 1: \"a\tc\"");
    EXPECT_EQ(decode(match, "a\n").error,
              "22P04 wrong number of fields in header line: got 1, expected 2 | COPY t, line 1: "
              "\"a\"");
    EXPECT_EQ(decode(match, "\\N\tb\n").error,
              "22P04 column name mismatch in header line field 1: got null value (\"\\N\"), "
              "expected \"a\" | COPY t, line 1: \"\\N\tb\"");
}

TEST(CopyDecoder, BadDataIsRefusedAsPostgres) {
    const CopyOptions text = options_of({}, true);
    const CopyOptions csv = options_of({option("format", "csv")}, true);
    EXPECT_EQ(decode(text, "1\t2\n3\t4\t5\n").error,
              "22P04 extra data after last expected column | COPY t, line 2: \"3\t4\t5\"");
    EXPECT_EQ(decode(text, "1\t2\n3\n").error,
              "22P04 missing data for column \"b\" | COPY t, line 2: \"3\"");
    EXPECT_EQ(decode(text, "1\t2\n3\t4\r\n").error,
              "22P04 literal carriage return found in data | COPY t, line 2");
    EXPECT_EQ(decode(text, "1\t2\r\n3\t4\n").error,
              "22P04 literal newline found in data | COPY t, line 2");
    EXPECT_EQ(decode(csv, "1,2\n3,4\r\n").error,
              "22P04 unquoted carriage return found in data | COPY t, line 2");
    EXPECT_EQ(decode(text, "1\t2\n\\.x\n").error,
              "22P04 end-of-copy marker corrupt | COPY t, line 2");
    EXPECT_EQ(decode(text, "1\t2\r\n\\.\n").error,
              "22P04 end-of-copy marker does not match previous newline style | COPY t, line 2");
    // The open quote takes the rest of the data into the line, as PostgreSQL reads it.
    EXPECT_EQ(decode(csv, "1,\"open\n2,3\n").error,
              "22P04 unterminated CSV quoted field | COPY t, line 1: \"1,\"open\n2,3\n\"");
    EXPECT_EQ(decode(text, "1\t\xff\n").error.substr(0, 52),
              "22021 invalid byte sequence for encoding \"UTF8\": 0xf");
    EXPECT_EQ(decode(text, "1\ta\\0b\n").error.substr(0, 5), "22021");
    // Lines before a bad one were taken.
    EXPECT_EQ(decode(text, "1\t2\n3\n").rows, (std::vector<Fields>{row({"1", "2"})}));
    // A long line shows its first 100 bytes.
    const std::string long_value(150, 'x');
    EXPECT_EQ(decode(text, "1\t" + long_value + "\t3\n").error,
              "22P04 extra data after last expected column | COPY t, line 1: \"1\t" +
                  std::string(98, 'x') + "...\"");
}

// Random rows of awkward characters are read back as written, in both formats and with any
// chunking.
TEST(CopyFormat, RandomRowsRoundTrip) {
    Prng prng(2015);
    static constexpr std::string_view kAlphabet[] = {"a",  "Z", "0", ",", "\t", "\n",  "\r", "\"",
                                                     "\\", ".", "N", " ", "é",  "\\.", "|",  "'"};
    for (int round = 0; round < 300; ++round) {
        std::vector<ast::GenericOption> given;
        const bool csv = prng.coin();
        if (csv) given.push_back(option("format", "csv"));
        if (prng.chance(1, 3)) given.push_back(option("delimiter", prng.coin() ? "|" : ";"));
        // Text format cannot tell a value from a null string without a backslash (PostgreSQL
        // neither): other null strings only in CSV, which quotes such values.
        if (csv && prng.chance(1, 3)) given.push_back(option("null", prng.coin() ? "" : "NULL"));
        const usize columns = 1 + prng.uniform(3);
        std::vector<std::string> names;
        for (usize c = 0; c < columns; ++c) names.push_back("c" + std::to_string(c));
        auto parsed = copy_options(given, true);
        if (!parsed) continue;  // e.g. an empty null string with the text delimiter
        CopyOptions options = *parsed;
        ASSERT_TRUE(resolve_copy_columns(options, names).has_value());
        std::vector<Fields> rows(1 + prng.uniform(6));
        for (Fields& fields : rows) {
            for (usize c = 0; c < columns; ++c) {
                if (prng.chance(1, 6)) {
                    fields.emplace_back();
                    continue;
                }
                std::string value;
                for (u64 k = prng.uniform(6); k > 0; --k) {
                    value += kAlphabet[prng.uniform(std::size(kAlphabet))];
                }
                fields.emplace_back(std::move(value));
            }
        }
        const std::string data = encode(options, rows);
        const Decoded decoded = decode(options, data, 1 + prng.uniform(9), names);
        ASSERT_EQ(decoded.error, "") << "round " << round << ": " << data;
        ASSERT_EQ(decoded.rows, rows) << "round " << round << ": " << data;
    }
}

}  // namespace
}  // namespace kb::sql
