// sql_output.h: aligned tables, error reports and JSON for `kmb sql`.
#include "cli/sql_output.h"

#include <cstdio>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace kb::cli {

namespace {

using Json = nlohmann::ordered_json;

// A cell cut at its newlines.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    for (;;) {
        const std::size_t newline = text.find('\n');
        if (newline == std::string_view::npos) {
            lines.push_back(text);
            return lines;
        }
        lines.push_back(text.substr(0, newline));
        text.remove_prefix(newline + 1);
    }
}

// The byte offsets at which each character of UTF-8 `text` starts, plus text.size() at the
// end. A byte that does not start a valid sequence is a character of its own.
std::vector<std::size_t> character_starts(std::string_view text) {
    std::vector<std::size_t> starts;
    std::size_t i = 0;
    while (i < text.size()) {
        starts.push_back(i);
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 1;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
        }
        if (i + length > text.size()) length = 1;
        for (std::size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
                length = 1;
                break;
            }
        }
        i += length;
    }
    starts.push_back(text.size());
    return starts;
}

void pad(std::string& out, std::size_t count) { out.append(count, ' '); }

struct Cell {
    std::vector<std::string_view> lines;
    std::vector<std::size_t> widths;
};

Cell make_cell(std::string_view text) {
    Cell cell;
    cell.lines = split_lines(text);
    for (std::string_view line : cell.lines) cell.widths.push_back(display_width(line));
    return cell;
}

// One physical line of a row of cells. `header` centres every cell and pads the last one.
void write_row_lines(std::string& out, const std::vector<Cell>& cells,
                     const std::vector<std::size_t>& widths, const std::vector<bool>& right,
                     bool header) {
    std::size_t height = 1;
    for (const Cell& cell : cells) height = std::max(height, cell.lines.size());
    for (std::size_t k = 0; k < height; ++k) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const Cell& cell = cells[i];
            const bool last = i + 1 == cells.size();
            const bool more = k + 1 < cell.lines.size();
            const std::string_view text = k < cell.lines.size() ? cell.lines[k] : "";
            const std::size_t width = k < cell.lines.size() ? cell.widths[k] : 0;
            const std::size_t space = widths[i] - width;
            if (i > 0) out += '|';
            out += ' ';
            if (header) {
                pad(out, space / 2);
                out += text;
                pad(out, (space + 1) / 2);
            } else if (right[i]) {
                pad(out, space);
                out += text;
            } else {
                out += text;
                if (!last || more) pad(out, space);
            }
            if (more) {
                out += '+';
            } else if (!last || header) {
                out += ' ';
            }
        }
        out += '\n';
    }
}

std::optional<Json> typed_json(u32 type, const std::string& text) {
    switch (type) {
        case 16:  // bool
            if (text == "t") return Json(true);
            if (text == "f") return Json(false);
            return std::nullopt;
        case 20:    // int8
        case 21:    // int2
        case 23:    // int4
        case 26: {  // oid
            long long value = 0;
            const auto [end, error] =
                std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
            return Json(value);
        }
        case 700:    // float4
        case 701: {  // float8
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
            return Json(value);
        }
        default:
            return std::nullopt;
    }
}

}  // namespace

std::size_t display_width(std::string_view text) { return character_starts(text).size() - 1; }

std::string type_name(u32 type_oid) {
    switch (type_oid) {
        case 16:
            return "bool";
        case 17:
            return "bytea";
        case 18:
            return "char";
        case 19:
            return "name";
        case 20:
            return "int8";
        case 21:
            return "int2";
        case 23:
            return "int4";
        case 25:
            return "text";
        case 26:
            return "oid";
        case 114:
            return "json";
        case 700:
            return "float4";
        case 701:
            return "float8";
        case 705:
            return "unknown";
        case 1042:
            return "bpchar";
        case 1043:
            return "varchar";
        case 1082:
            return "date";
        case 1083:
            return "time";
        case 1114:
            return "timestamp";
        case 1184:
            return "timestamptz";
        case 1186:
            return "interval";
        case 1700:
            return "numeric";
        case 2950:
            return "uuid";
        case 3802:
            return "jsonb";
        default:
            return "oid:" + std::to_string(type_oid);
    }
}

bool is_right_aligned_type(u32 type_oid) {
    // psql's column_type_alignment: int2, int4, int8, float4, float8, numeric, oid, xid, cid,
    // money, xid8.
    switch (type_oid) {
        case 20:
        case 21:
        case 23:
        case 700:
        case 701:
        case 1700:
        case 26:
        case 28:
        case 29:
        case 790:
        case 5069:
            return true;
        default:
            return false;
    }
}

std::string format_aligned(const PgStatementResult& result) {
    std::string out;
    const std::size_t count = result.columns.size();
    const std::size_t rows = result.rows.size();
    const std::string footer = "(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n");
    if (count == 0) return "--\n" + footer;

    std::vector<Cell> header;
    std::vector<std::size_t> widths(count, 0);
    std::vector<bool> right(count, false);
    for (std::size_t i = 0; i < count; ++i) {
        header.push_back(make_cell(result.columns[i]));
        for (std::size_t w : header.back().widths) widths[i] = std::max(widths[i], w);
        right[i] = i < result.column_types.size() && is_right_aligned_type(result.column_types[i]);
    }
    std::vector<std::vector<Cell>> body;
    body.reserve(rows);
    for (const auto& row : result.rows) {
        std::vector<Cell> cells;
        for (std::size_t i = 0; i < count; ++i) {
            const bool present = i < row.size() && row[i].has_value();
            cells.push_back(make_cell(present ? std::string_view(*row[i]) : std::string_view()));
            for (std::size_t w : cells.back().widths) widths[i] = std::max(widths[i], w);
        }
        body.push_back(std::move(cells));
    }

    write_row_lines(out, header, widths, right, true);
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) out += '+';
        out.append(widths[i] + 2, '-');
    }
    out += '\n';
    for (const auto& cells : body) write_row_lines(out, cells, widths, right, false);
    out += footer;
    return out;
}

std::string format_error_position(std::string_view statement, int position) {
    constexpr std::size_t kDisplaySize = 60;  // as libpq: the excerpt shown around the place
    constexpr std::size_t kMinRightCut = 10;
    if (position <= 0) return {};
    const std::vector<std::size_t> starts = character_starts(statement);
    const std::size_t characters = starts.size() - 1;
    const auto location = static_cast<std::size_t>(position - 1);
    if (location > characters) return {};

    int line = 1;
    std::size_t begin = 0;
    std::size_t end = characters;
    for (std::size_t i = 0; i < characters; ++i) {
        const char c = statement[starts[i]];
        if (c != '\n' && c != '\r') continue;
        if (i < location) {
            // "\r\n" is one line break.
            if (c == '\r' && i + 1 < characters && statement[starts[i + 1]] == '\n') {
                if (i + 1 < location) {
                    ++i;
                } else {
                    end = i;
                    break;
                }
            }
            ++line;
            begin = i + 1;
        } else {
            end = i;
            break;
        }
    }
    bool cut_begin = false;
    bool cut_end = false;
    if (end - begin > kDisplaySize) {
        if (begin + kDisplaySize >= location + kMinRightCut) {
            end = begin + kDisplaySize;
            cut_end = true;
        } else {
            if (location + kMinRightCut < end) {
                end = location + kMinRightCut;
                cut_end = true;
            }
            if (end - begin > kDisplaySize) {
                begin = end - kDisplaySize;
                cut_begin = true;
            }
        }
    }
    std::string prefix = "LINE " + std::to_string(line) + ": ";
    if (cut_begin) prefix += "...";
    std::string excerpt(statement.substr(starts[begin], starts[end] - starts[begin]));
    std::replace(excerpt.begin(), excerpt.end(), '\t', ' ');
    std::string out = prefix + excerpt;
    if (cut_end) out += "...";
    out += '\n';
    out.append(prefix.size() + (location - begin), ' ');
    out += "^\n";
    return out;
}

std::string format_server_message(const server::PgNotice& notice, std::string_view statement,
                                  std::string_view prefix) {
    std::string out(prefix);
    out += (notice.severity.empty() ? std::string("ERROR") : notice.severity) + ":  " +
           notice.message + "\n";
    if (!statement.empty()) out += format_error_position(statement, notice.position);
    if (!notice.detail.empty()) out += "DETAIL:  " + notice.detail + "\n";
    if (!notice.hint.empty()) out += "HINT:  " + notice.hint + "\n";
    if (!notice.context.empty()) out += "CONTEXT:  " + notice.context + "\n";
    return out;
}

Json notice_to_json(const server::PgNotice& notice) {
    Json out = Json::object();
    out["severity"] = notice.severity;
    out["sqlstate"] = notice.sqlstate;
    out["message"] = notice.message;
    if (!notice.detail.empty()) out["detail"] = notice.detail;
    if (!notice.hint.empty()) out["hint"] = notice.hint;
    if (!notice.context.empty()) out["context"] = notice.context;
    if (notice.position > 0) out["position"] = notice.position;
    return out;
}

Json error_to_json(const server::PgNotice& error, std::string_view statement) {
    Json out = Json::object();
    out["error"] = notice_to_json(error);
    if (!statement.empty()) out["statement"] = std::string(statement);
    return out;
}

Json result_to_json(const PgStatementResult& result) {
    Json out = Json::object();
    Json columns = Json::array();
    Json types = Json::array();
    for (std::size_t i = 0; i < result.columns.size(); ++i) {
        columns.push_back(result.columns[i]);
        types.push_back(type_name(i < result.column_types.size() ? result.column_types[i] : 0));
    }
    Json rows = Json::array();
    for (const auto& row : result.rows) {
        Json values = Json::array();
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (!row[i]) {
                values.push_back(nullptr);
                continue;
            }
            const u32 type = i < result.column_types.size() ? result.column_types[i] : 0;
            std::optional<Json> typed = typed_json(type, *row[i]);
            values.push_back(typed ? std::move(*typed) : Json(*row[i]));
        }
        rows.push_back(std::move(values));
    }
    out["columns"] = std::move(columns);
    out["types"] = std::move(types);
    out["rows"] = std::move(rows);
    out["tag"] = result.tag;
    if (!result.copy_out.empty()) out["copy"] = result.copy_out;
    if (!result.notices.empty()) {
        Json notices = Json::array();
        for (const auto& notice : result.notices) notices.push_back(notice_to_json(notice));
        out["notices"] = std::move(notices);
    }
    return out;
}

void print_json_line(const nlohmann::ordered_json& json) {
    std::printf("%s\n",
                json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace kb::cli
