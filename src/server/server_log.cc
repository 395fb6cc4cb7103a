// Line formats of the server log (server_log.h).
#include "server/server_log.h"

#include <chrono>
#include <ctime>

namespace kb::server {

namespace {

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};

std::string_view level_name(LogLevel level) { return kLevelNames[static_cast<usize>(level)]; }

std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[96];  // room for any int the compiler imagines
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  static_cast<int>(millis));
    return text;
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

void append_text_value(std::string& out, std::string_view text) {
    const bool plain = !text.empty() && text.find_first_of(" \"=\t\n\r\\") == std::string::npos;
    if (plain) {
        out += text;
    } else {
        append_json_string(out, text);  // quoted, with the same escapes
    }
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
    for (usize i = 0; i < std::size(kLevelNames); ++i) {
        if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
    }
    return std::nullopt;
}

std::string ServerLog::format(LogLevel level, std::string_view event,
                              std::initializer_list<LogField> fields, std::string_view time) const {
    std::string line;
    if (json_) {
        line += "{\"time\":";
        append_json_string(line, time);
        line += ",\"level\":";
        append_json_string(line, level_name(level));
        line += ",\"event\":";
        append_json_string(line, event);
        for (const LogField& field : fields) {
            line += ',';
            append_json_string(line, field.key);
            line += ':';
            append_json_string(line, field.value);
        }
        line += '}';
        return line;
    }
    line += time;
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += event;
    for (const LogField& field : fields) {
        line += ' ';
        line += field.key;
        line += '=';
        append_text_value(line, field.value);
    }
    return line;
}

void ServerLog::write(LogLevel level, std::string_view event,
                      std::initializer_list<LogField> fields) {
    if (!enabled(level)) return;
    std::string line = format(level, event, fields, utc_now());
    line += '\n';
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
}

}  // namespace kb::server
