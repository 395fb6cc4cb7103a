// ServerLog: the server's structured log — one line per event, an event name plus key=value
// fields, as text for people or JSON for log collectors (`--log-format`).
//
//     log.info("listening", {{"address", "127.0.0.1:5432"}, {"tls", "on"}});
//     text: 2026-11-29T04:20:00.123Z info listening address=127.0.0.1:5432 tls=on
//     json: {"time":"2026-11-29T04:20:00.123Z","level":"info","event":"listening",
//            "address":"127.0.0.1:5432","tls":"on"}
//
// Text values with spaces, quotes or '=' are quoted. Thread-safe: lines never interleave.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/ints.h"

namespace kb::server {

enum class LogLevel : u8 { error = 0, warn = 1, info = 2, debug = 3 };
std::optional<LogLevel> parse_log_level(std::string_view name);

struct LogField {
    std::string_view key;
    std::string value;
};

class ServerLog {
public:
    // `json`: JSON lines instead of text. Lines less severe than `level` are dropped.
    ServerLog(bool json, LogLevel level, std::FILE* out = stderr)
        : json_(json), level_(level), out_(out) {}

    bool enabled(LogLevel level) const { return level <= level_; }
    void write(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);
    void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
        write(LogLevel::error, event, fields);
    }
    void warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
        write(LogLevel::warn, event, fields);
    }
    void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
        write(LogLevel::info, event, fields);
    }
    void debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
        write(LogLevel::debug, event, fields);
    }

    // The line write() would print, without its newline (for tests).
    std::string format(LogLevel level, std::string_view event,
                       std::initializer_list<LogField> fields, std::string_view time) const;

private:
    bool json_;
    LogLevel level_;
    std::FILE* out_;
    std::mutex mutex_;
};

}  // namespace kb::server
