// COPY's text and CSV formats (see copy_format.h), written after PostgreSQL 15's
// CopyAttributeOutText / CopyAttributeOutCSV and read after CopyReadLineText,
// CopyReadAttributesText and CopyReadAttributesCSV.
#include "sql/copy_format.h"

#include "sql/value_io.h"

namespace kb::sql {
namespace {

// PostgreSQL shows at most 100 bytes of a line or value in CONTEXT (limit_printout_length),
// cut on a character boundary.
constexpr usize kContextBytesMax = 100;

std::string limited(std::string_view text) {
    if (text.size() <= kContextBytesMax) return std::string(text);
    usize cut = kContextBytesMax;
    while (cut > 0 && (static_cast<u8>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string copy_context(std::string_view relation, u64 line) {
    return "COPY " + std::string(relation) + ", line " + std::to_string(line);
}

std::string copy_context_line(std::string_view relation, u64 line, std::string_view text) {
    return copy_context(relation, line) + ": \"" + limited(text) + "\"";
}

std::string copy_context_column(std::string_view relation, u64 line, std::string_view column,
                                const std::optional<std::string>& value) {
    std::string out = copy_context(relation, line) + ", column " + std::string(column) + ": ";
    if (!value) return out + "null input";
    return out + "\"" + limited(*value) + "\"";
}

// --- writing ----------------------------------------------------------------------------------

void CopyEncoder::header(const std::vector<std::string>& names, std::string& out) const {
    for (usize i = 0; i < names.size(); ++i) {
        if (i > 0) out.push_back(options_.delimiter);
        if (options_.format == CopyFormat::csv) {
            csv_field(names[i], false, names.size() == 1, out);
        } else {
            text_field(names[i], out);
        }
    }
    out.push_back('\n');
}

void CopyEncoder::row(const Row& row, std::string& out) const {
    for (usize i = 0; i < row.size(); ++i) {
        if (row[i].is_null()) {
            field(std::nullopt, i, row.size(), out);
        } else {
            field(std::string_view(value_output(row[i])), i, row.size(), out);
        }
    }
    out.push_back('\n');
}

void CopyEncoder::field(const std::optional<std::string_view>& value, usize column, usize columns,
                        std::string& out) const {
    if (column > 0) out.push_back(options_.delimiter);
    if (!value) {
        out += options_.null;
        return;
    }
    if (options_.format == CopyFormat::csv) {
        const bool force = column < options_.quote_column.size() && options_.quote_column[column];
        csv_field(*value, force, columns == 1, out);
    } else {
        text_field(*value, out);
    }
}

void CopyEncoder::text_field(std::string_view value, std::string& out) const {
    const char delimiter = options_.delimiter;
    for (char c : value) {
        const auto byte = static_cast<u8>(c);
        if (byte < 0x20) {
            char letter = 0;
            switch (c) {
                case '\b':
                    letter = 'b';
                    break;
                case '\f':
                    letter = 'f';
                    break;
                case '\n':
                    letter = 'n';
                    break;
                case '\r':
                    letter = 'r';
                    break;
                case '\t':
                    letter = 't';
                    break;
                case '\v':
                    letter = 'v';
                    break;
                default:
                    break;
            }
            if (letter != 0) {
                out.push_back('\\');
                out.push_back(letter);
                continue;
            }
            // Other control characters go as they are, unless one is the delimiter.
            if (c == delimiter) out.push_back('\\');
            out.push_back(c);
            continue;
        }
        if (c == '\\' || c == delimiter) out.push_back('\\');
        out.push_back(c);
    }
}

void CopyEncoder::csv_field(std::string_view value, bool force_quote, bool single_column,
                            std::string& out) const {
    const char delimiter = options_.delimiter;
    const char quote = options_.quote;
    const char escape = options_.escape;
    // Quoted when it must be to read back as itself: it equals the null string, it is the
    // end-of-data marker alone on its line, or it holds a character CSV treats specially.
    bool quoted = force_quote || value == options_.null || (single_column && value == "\\.");
    if (!quoted) {
        for (char c : value) {
            if (c == delimiter || c == quote || c == '\n' || c == '\r') {
                quoted = true;
                break;
            }
        }
    }
    if (!quoted) {
        out += value;
        return;
    }
    out.push_back(quote);
    for (char c : value) {
        if (c == quote || c == escape) out.push_back(escape);
        out.push_back(c);
    }
    out.push_back(quote);
}

// --- reading ----------------------------------------------------------------------------------

CopyDecoder::CopyDecoder(const CopyOptions& options, std::string relation,
                         std::vector<std::string> columns)
    : options_(options), relation_(std::move(relation)), columns_(std::move(columns)) {}

SqlError CopyDecoder::data_error(std::string message, const char* hint) const {
    SqlError error(sqlstate::kBadCopyFileFormat, std::move(message));
    if (hint != nullptr) error.with_hint(hint);
    return error.with_context(copy_context(relation_, line_ + 1 + embedded_lines_));
}

SqlError CopyDecoder::line_error(SqlError error, u64 number, std::string_view line) const {
    if (error.context.empty()) error.with_context(copy_context_line(relation_, number, line));
    return error;
}

SqlResult<bool> CopyDecoder::next_line(std::string_view data, bool at_end, usize* length,
                                       usize* consumed, bool* marker) {
    const bool csv = options_.format == CopyFormat::csv;
    const char quote = options_.quote;
    // An escape equal to the quote needs no special handling: the quote toggles.
    const bool has_escape = csv && options_.escape != options_.quote;
    const char escape = options_.escape;
    const usize size = data.size();
    *marker = false;
    // The byte at `at`, or NUL past the end of the data (PostgreSQL pads its buffer so).
    auto peek = [&](usize at) { return at < size ? data[at] : '\0'; };
    auto wait = [&](usize at) {
        scanned_ = at;
        return false;
    };
    auto carriage_return_error = [&] {
        return csv ? data_error("unquoted carriage return found in data",
                                "Use quoted CSV field to represent carriage return.")
                   : data_error("literal carriage return found in data",
                                "Use \"\\r\" to represent carriage return.");
    };
    usize i = scanned_;
    while (true) {
        if (i >= size) {
            if (!at_end) return wait(i);
            if (size == 0) return false;
            *length = size;
            *consumed = size;
            return true;
        }
        const char c = data[i];
        const bool crlf_possible = line_end_ == LineEnd::unknown || line_end_ == LineEnd::crnl;
        if (c == '\r' && crlf_possible && i + 1 >= size && !at_end) return wait(i);
        // "\." ends the data: anywhere in text format (PostgreSQL's rule), only alone at the
        // start of a line in CSV, where a backslash is data.
        if (c == '\\' && (!csv || i == 0)) {
            if (i + 1 >= size) {
                if (!at_end) return wait(i);
                *length = size;
                *consumed = size;
                return true;
            }
            if (data[i + 1] == '.') {
                const usize after = line_end_ == LineEnd::crnl ? 2 : 1;
                if (i + 1 + after >= size && !at_end) return wait(i);
                usize at = i + 2;
                bool is_marker = true;
                if (line_end_ == LineEnd::crnl) {
                    const char c2 = peek(at++);
                    if (c2 == '\n') {
                        if (!csv) {
                            return data_error(
                                "end-of-copy marker does not match previous newline style",
                                nullptr);
                        }
                        is_marker = false;
                    } else if (c2 != '\r') {
                        if (!csv) return data_error("end-of-copy marker corrupt", nullptr);
                        is_marker = false;
                    }
                }
                char c2 = 0;
                if (is_marker) {
                    c2 = peek(at++);
                    if (c2 != '\r' && c2 != '\n') {
                        if (!csv) return data_error("end-of-copy marker corrupt", nullptr);
                        is_marker = false;
                    }
                }
                if (is_marker) {
                    if ((line_end_ == LineEnd::nl && c2 != '\n') ||
                        (line_end_ == LineEnd::crnl && c2 != '\n') ||
                        (line_end_ == LineEnd::cr && c2 != '\r')) {
                        return data_error(
                            "end-of-copy marker does not match previous newline style", nullptr);
                    }
                    *length = i;
                    *consumed = std::min(at, size);
                    *marker = true;
                    return true;
                }
            } else if (!csv) {
                // Whatever follows a backslash is data in text format (an escaped newline
                // too), so "\\." is a backslash and a period, not the end.
                i += 2;
                continue;
            }
        }
        if (csv) {
            if (in_quote_ && has_escape && c == escape) last_was_escape_ = !last_was_escape_;
            if (c == quote && !last_was_escape_) in_quote_ = !in_quote_;
            if (!has_escape || c != escape) last_was_escape_ = false;
            // PostgreSQL counts the newlines inside quotes (physical lines) for CONTEXT.
            if (in_quote_ && c == (line_end_ == LineEnd::nl ? '\n' : '\r')) ++embedded_lines_;
        }
        if (c == '\r' && (!csv || !in_quote_)) {
            if (crlf_possible) {
                if (peek(i + 1) == '\n') {
                    line_end_ = LineEnd::crnl;
                    *length = i;
                    *consumed = i + 2;
                    return true;
                }
                if (line_end_ == LineEnd::crnl) return carriage_return_error();
                line_end_ = LineEnd::cr;
            } else if (line_end_ == LineEnd::nl) {
                return carriage_return_error();
            }
            *length = i;
            *consumed = i + 1;
            return true;
        }
        if (c == '\n' && (!csv || !in_quote_)) {
            if (line_end_ == LineEnd::cr || line_end_ == LineEnd::crnl) {
                return csv ? data_error("unquoted newline found in data",
                                        "Use quoted CSV field to represent newline.")
                           : data_error("literal newline found in data",
                                        "Use \"\\n\" to represent newline.");
            }
            line_end_ = LineEnd::nl;
            *length = i;
            *consumed = i + 1;
            return true;
        }
        ++i;
    }
}

SqlStatus CopyDecoder::feed(ByteSpan data, std::vector<CopyRecord>& out) {
    if (ended_) return sql_ok();
    buffer_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return take_lines(false, out);
}

SqlStatus CopyDecoder::finish(std::vector<CopyRecord>& out) {
    if (!ended_) KB_SQL_TRY(take_lines(true, out));
    ended_ = true;
    return sql_ok();
}

SqlStatus CopyDecoder::take_lines(bool at_end, std::vector<CopyRecord>& out) {
    // Lines are cut from the front of buffer_, which is shifted once at the end.
    usize start = 0;
    SqlStatus status = sql_ok();
    while (!ended_) {
        const std::string_view rest = std::string_view(buffer_).substr(start);
        usize length = 0, consumed = 0;
        bool marker = false;
        auto found = next_line(rest, at_end, &length, &consumed, &marker);
        if (!found) {
            status = found.error();
            break;
        }
        if (!*found) break;
        status = take_line(rest.substr(0, length), marker, out);
        start += consumed;
        if (!status) break;
    }
    if (ended_ || !status) {
        buffer_.clear();
    } else {
        buffer_.erase(0, start);
    }
    return status;
}

SqlStatus CopyDecoder::take_line(std::string_view line, bool marker, std::vector<CopyRecord>& out) {
    // The next line starts afresh.
    scanned_ = 0;
    in_quote_ = false;
    last_was_escape_ = false;
    if (marker) {
        ended_ = true;
        // Text format keeps what came before "\." on its line as a last line of data.
        if (line.empty()) {
            embedded_lines_ = 0;
            return sql_ok();
        }
    }
    const u64 number = line_ + 1 + embedded_lines_;
    line_ = number;
    embedded_lines_ = 0;
    const bool header = !header_done_ && options_.header != CopyHeader::none;
    header_done_ = true;
    if (header && options_.header == CopyHeader::present) return sql_ok();  // not even split
    auto fields = split(line, number);
    if (!fields) return line_error(fields.error(), number, line);
    if (header) return match_header(*fields, line);
    if (fields->size() > columns_.size()) {
        return line_error(
            SqlError(sqlstate::kBadCopyFileFormat, "extra data after last expected column"), number,
            line);
    }
    if (fields->size() < columns_.size()) {
        return line_error(SqlError(sqlstate::kBadCopyFileFormat,
                                   "missing data for column \"" + columns_[fields->size()] + "\""),
                          number, line);
    }
    if (options_.format == CopyFormat::csv) {
        for (usize i = 0; i < fields->size(); ++i) {
            std::optional<std::string>& field = (*fields)[i];
            if (!field && i < options_.not_null_column.size() && options_.not_null_column[i]) {
                field = options_.null;
            } else if (field && i < options_.null_column.size() && options_.null_column[i] &&
                       *field == options_.null) {
                field.reset();
            }
        }
    }
    out.push_back(
        CopyRecord{.line = line_, .text = std::string(line), .fields = std::move(*fields)});
    return sql_ok();
}

SqlStatus CopyDecoder::match_header(const std::vector<std::optional<std::string>>& fields,
                                    std::string_view line) const {
    auto mismatch = [&](std::string message) {
        return SqlError(sqlstate::kBadCopyFileFormat, std::move(message))
            .with_context(copy_context_line(relation_, line_, line));
    };
    if (fields.size() != columns_.size()) {
        return mismatch("wrong number of fields in header line: got " +
                        std::to_string(fields.size()) + ", expected " +
                        std::to_string(columns_.size()));
    }
    for (usize i = 0; i < fields.size(); ++i) {
        const std::string number = std::to_string(i + 1);
        if (!fields[i]) {
            return mismatch("column name mismatch in header line field " + number +
                            ": got null value (\"" + options_.null + "\"), expected \"" +
                            columns_[i] + "\"");
        }
        if (*fields[i] != columns_[i]) {
            return mismatch("column name mismatch in header line field " + number + ": got \"" +
                            *fields[i] + "\", expected \"" + columns_[i] + "\"");
        }
    }
    return sql_ok();
}

SqlResult<std::vector<std::optional<std::string>>> CopyDecoder::split(std::string_view line,
                                                                      u64 number) const {
    auto fields = options_.format == CopyFormat::csv ? split_csv(line) : split_text(line);
    if (!fields) return fields;
    // The data must be UTF-8 without NUL, as the server encoding: checked on each field's
    // final bytes (escapes can make any byte), without the line in CONTEXT (it is not text).
    for (const auto& field : *fields) {
        if (!field) continue;
        if (auto valid = check_text(*field); !valid) {
            SqlError error = valid.error();
            return error.with_context(copy_context(relation_, number));
        }
    }
    return fields;
}

SqlResult<std::vector<std::optional<std::string>>> CopyDecoder::split_text(
    std::string_view line) const {
    std::vector<std::optional<std::string>> fields;
    const char delimiter = options_.delimiter;
    usize at = 0;
    while (true) {
        const usize start = at;
        usize end = at;
        std::string value;
        bool found_delimiter = false;
        while (true) {
            end = at;
            if (at >= line.size()) break;
            char c = line[at++];
            if (c == delimiter) {
                found_delimiter = true;
                break;
            }
            if (c == '\\') {
                if (at >= line.size()) break;
                c = line[at++];
                switch (c) {
                    case '0':
                    case '1':
                    case '2':
                    case '3':
                    case '4':
                    case '5':
                    case '6':
                    case '7': {
                        int code = c - '0';
                        for (int digits = 1; digits < 3 && at < line.size() && is_octal(line[at]);
                             ++digits) {
                            code = code * 8 + (line[at++] - '0');
                        }
                        c = static_cast<char>(code & 0xff);
                        break;
                    }
                    case 'x':
                        if (at < line.size() && hex_value(line[at]) >= 0) {
                            int code = hex_value(line[at++]);
                            if (at < line.size() && hex_value(line[at]) >= 0) {
                                code = code * 16 + hex_value(line[at++]);
                            }
                            c = static_cast<char>(code & 0xff);
                        }
                        break;
                    case 'b':
                        c = '\b';
                        break;
                    case 'f':
                        c = '\f';
                        break;
                    case 'n':
                        c = '\n';
                        break;
                    case 'r':
                        c = '\r';
                        break;
                    case 't':
                        c = '\t';
                        break;
                    case 'v':
                        c = '\v';
                        break;
                    default:
                        break;  // any other character after a backslash is itself
                }
            }
            value.push_back(c);
        }
        // NULL is the raw text equal to the null string, before any escape is undone.
        if (line.substr(start, end - start) == options_.null) {
            fields.emplace_back();
        } else {
            fields.emplace_back(std::move(value));
        }
        if (!found_delimiter) break;
    }
    return fields;
}

SqlResult<std::vector<std::optional<std::string>>> CopyDecoder::split_csv(
    std::string_view line) const {
    std::vector<std::optional<std::string>> fields;
    const char delimiter = options_.delimiter;
    const char quote = options_.quote;
    const char escape = options_.escape;
    usize at = 0;
    while (true) {
        const usize start = at;
        usize end = at;
        std::string value;
        bool found_delimiter = false;
        bool saw_quote = false;
        bool done = false;
        while (!done) {
            // Outside quotes.
            while (true) {
                end = at;
                if (at >= line.size()) {
                    done = true;
                    break;
                }
                const char c = line[at++];
                if (c == delimiter) {
                    found_delimiter = true;
                    done = true;
                    break;
                }
                if (c == quote) {
                    saw_quote = true;
                    break;
                }
                value.push_back(c);
            }
            if (done) break;
            // Inside quotes.
            while (true) {
                end = at;
                if (at >= line.size()) {
                    return SqlError(sqlstate::kBadCopyFileFormat, "unterminated CSV quoted field");
                }
                const char c = line[at++];
                if (c == escape && at < line.size() && (line[at] == escape || line[at] == quote)) {
                    value.push_back(line[at++]);
                    continue;
                }
                if (c == quote) break;  // after the escape test: they are often the same
                value.push_back(c);
            }
        }
        if (!saw_quote && line.substr(start, end - start) == options_.null) {
            fields.emplace_back();
        } else {
            fields.emplace_back(std::move(value));
        }
        if (!found_delimiter) break;
    }
    return fields;
}

}  // namespace kb::sql
