// COPY's text and CSV formats, as PostgreSQL 15 writes (COPY TO) and reads (COPY FROM) them.
//
// Text: one line per row, fields separated by the delimiter (tab), NULL as the null string
// (\N). Writing escapes backslash and the delimiter with a backslash and \b \f \n \r \t \v as
// such; reading takes a backslash followed by b f n r t v as those characters, by 1-3 octal
// digits or x and 1-2 hex digits as that byte, and by any other character as that character.
// A field whose raw text is the null string is NULL. A line "\." ends the data.
//
// CSV: fields separated by the delimiter (,); a field is quoted ("...") when it holds the
// delimiter, the quote, a newline or carriage return, equals the null string (the empty string
// by default, so '' is written "") or is "\." alone, or its column is FORCE_QUOTE; inside
// quotes the quote and the escape are preceded by the escape (by default the quote itself, so
// " is written ""). Reading: an unquoted field equal to the null string is NULL (unless its
// column is FORCE_NOT_NULL), a quoted one is text (unless FORCE_NULL and equal to it); quoted
// fields may hold newlines; "\." alone on a line ends the data.
//
// Lines end with \n, \r\n or \r (the first line decides; reading refuses a mix, as PostgreSQL
// does); writing ends lines with \n. Errors are PostgreSQL's, SQLSTATE 22P04 (bad COPY file
// format): "extra data after last expected column", "missing data for column \"c\"",
// "unterminated CSV quoted field", "literal carriage return found in data", "end-of-copy marker
// corrupt", ..., with PostgreSQL's CONTEXT ("COPY t, line 3: \"...\""). Field text must be
// valid UTF-8 without NUL (22021).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "sql/copy_options.h"
#include "sql/error.h"
#include "sql/exec.h"

namespace kb::sql {

// PostgreSQL's CONTEXT text for COPY errors: "COPY t, line 3", with ": \"line\"" or ", column c:
// \"value\"" (values and lines cut at 100 bytes with "..."), or ", column c: null input".
std::string copy_context(std::string_view relation, u64 line);
std::string copy_context_line(std::string_view relation, u64 line, std::string_view text);
std::string copy_context_column(std::string_view relation, u64 line, std::string_view column,
                                const std::optional<std::string>& value);

class CopyEncoder {
public:
    explicit CopyEncoder(const CopyOptions& options) : options_(options) {}

    // Appends the header line (the column names) and its newline.
    void header(const std::vector<std::string>& names, std::string& out) const;
    // Appends one row (values in their text output form) and its newline.
    void row(const Row& row, std::string& out) const;
    // Appends one field, as text (nullopt: NULL) for column `column` of `columns`.
    void field(const std::optional<std::string_view>& value, usize column, usize columns,
               std::string& out) const;

private:
    void text_field(std::string_view value, std::string& out) const;
    void csv_field(std::string_view value, bool force_quote, bool single_column,
                   std::string& out) const;

    const CopyOptions& options_;
};

// One line of COPY FROM data split into its fields, NULLs resolved.
struct CopyRecord {
    u64 line = 0;      // the (last physical) line it ends on, 1-based as PostgreSQL counts
    std::string text;  // the line as received, without its end of line (for CONTEXT)
    std::vector<std::optional<std::string>> fields;  // one per COPY column
};

// Splits COPY FROM data, received in chunks of any size, into records. The header line is
// skipped (or matched against the column names with HEADER MATCH). Each error carries its
// CONTEXT (error.detail is untouched: the context goes to SqlError::context).
class CopyDecoder {
public:
    // `relation`: the table's name for CONTEXT; `columns`: the COPY's column names, in order.
    CopyDecoder(const CopyOptions& options, std::string relation, std::vector<std::string> columns);

    // Takes more data and appends the records of the lines it completes.
    SqlStatus feed(ByteSpan data, std::vector<CopyRecord>& out);
    // The data is complete (CopyDone): a last line without an end of line is a record too.
    SqlStatus finish(std::vector<CopyRecord>& out);
    // The end-of-data marker "\." was read: everything after it is ignored.
    bool ended() const { return ended_; }
    // Lines read so far (the line number of the last one).
    u64 line() const { return line_; }

private:
    enum class LineEnd : u8 { unknown, nl, cr, crnl };
    SqlStatus take_lines(bool at_end, std::vector<CopyRecord>& out);
    // Finds the end of the line that starts at data[0] (scanning on from scanned_); false when
    // more data is needed (or, at the end, there is none). Sets *length (the line without its
    // end), *consumed (with it) and *marker (the line ends with the "\." marker).
    SqlResult<bool> next_line(std::string_view data, bool at_end, usize* length, usize* consumed,
                              bool* marker);
    SqlStatus take_line(std::string_view line, bool marker, std::vector<CopyRecord>& out);
    SqlStatus match_header(const std::vector<std::optional<std::string>>& fields,
                           std::string_view line) const;
    SqlResult<std::vector<std::optional<std::string>>> split(std::string_view line,
                                                             u64 number) const;
    SqlResult<std::vector<std::optional<std::string>>> split_text(std::string_view line) const;
    SqlResult<std::vector<std::optional<std::string>>> split_csv(std::string_view line) const;
    SqlError line_error(SqlError error, u64 number, std::string_view line) const;
    SqlError data_error(std::string message, const char* hint) const;

    const CopyOptions& options_;
    std::string relation_;
    std::vector<std::string> columns_;
    std::string buffer_;
    // Scanning state of the line in buffer_, kept across feeds so a long line is scanned once.
    usize scanned_ = 0;
    bool in_quote_ = false;
    bool last_was_escape_ = false;
    u64 embedded_lines_ = 0;  // newlines inside quotes in the current line
    LineEnd line_end_ = LineEnd::unknown;
    u64 line_ = 0;
    bool header_done_ = false;
    bool ended_ = false;
};

}  // namespace kb::sql
