// The settings table and the three sources that set it (server_config.h).
#include "server/server_config.h"

// toml++ as a header-only library without exceptions (core code never throws); the Debian
// shared library is built with exceptions, so it is not linked. Only this file includes it.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace kb::server {

namespace {

Status bad_value(std::string_view text, std::string_view expected) {
    return Status::invalid_argument("'" + std::string(text) + "' is not " + std::string(expected));
}

template <class Int>
Status parse_int(std::string_view text, Int& out, Int min = std::numeric_limits<Int>::min()) {
    Int value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < min) {
        return bad_value(text, "a whole number" + (min > 0 ? " >= " + std::to_string(min) : ""));
    }
    out = value;
    return {};
}

// "64MiB", "1 GiB", "4096", "512kB": byte sizes as people write them.
Status parse_bytes(std::string_view text, u64& out) {
    usize digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    u64 number = 0;
    if (Status s = parse_int(text.substr(0, digits), number); !s.is_ok()) {
        return bad_value(text, "a size (e.g. 4096, 512KiB, 64MiB, 1GiB)");
    }
    std::string_view unit = text.substr(digits);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    u64 scale = 1;
    if (unit == "" || unit == "B") {
        scale = 1;
    } else if (unit == "kB" || unit == "KB" || unit == "KiB") {
        scale = 1ull << 10;
    } else if (unit == "MB" || unit == "MiB") {
        scale = 1ull << 20;
    } else if (unit == "GB" || unit == "GiB") {
        scale = 1ull << 30;
    } else {
        return bad_value(text, "a size (e.g. 4096, 512KiB, 64MiB, 1GiB)");
    }
    if (number > std::numeric_limits<u64>::max() / scale) return bad_value(text, "a usable size");
    out = number * scale;
    return {};
}

// "30s", "500ms", "5min", "1d", "0": durations in milliseconds.
Status parse_millis(std::string_view text, u64& out) {
    usize digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    u64 number = 0;
    const std::string_view unit = text.substr(digits);
    const Status number_ok = parse_int(text.substr(0, digits), number);
    u64 scale = 0;
    if (unit == "" || unit == "ms") scale = 1;
    if (unit == "s") scale = 1000;
    if (unit == "min") scale = 60'000;
    if (unit == "h") scale = 3'600'000;
    if (unit == "d") scale = 86'400'000;
    if (!number_ok.is_ok() || scale == 0 || number > std::numeric_limits<u64>::max() / scale) {
        return bad_value(text, "a duration (e.g. 0, 500ms, 30s, 5min, 1h, 1d)");
    }
    out = number * scale;
    return {};
}

// statement_timeout's range in PostgreSQL: at most INT_MAX milliseconds (about 24 days).
Status parse_statement_timeout(std::string_view text, u64& out) {
    u64 ms = 0;
    KB_TRY(parse_millis(text, ms));
    if (ms > u64{std::numeric_limits<i32>::max()}) {
        return bad_value(text, "a duration of at most 2147483647ms (about 24 days)");
    }
    out = ms;
    return {};
}

Status parse_bool(std::string_view text, bool& out) {
    if (text == "true" || text == "on" || text == "yes" || text == "1") {
        out = true;
    } else if (text == "false" || text == "off" || text == "no" || text == "0") {
        out = false;
    } else {
        return bad_value(text, "a boolean (true/false, on/off)");
    }
    return {};
}

Status parse_choice(std::string_view text, std::string& out,
                    std::initializer_list<std::string_view> choices) {
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
        std::string list;
        for (std::string_view choice : choices)
            list += (list.empty() ? "" : ", ") + std::string(choice);
        return bad_value(text, "one of " + list);
    }
    out = std::string(text);
    return {};
}

std::string show_bytes(u64 bytes) {
    if (bytes != 0 && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
    if (bytes != 0 && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes != 0 && bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes);
}

std::string show_millis(u64 ms) {
    if (ms == 0) return "0";
    if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
    if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "min";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

// Table rows: a setting's name and help, and functions over one member of ServerConfig.
template <auto Member>
SettingInfo text_setting(std::string_view name, std::string_view help) {
    return {name, help,
            [](ServerConfig& c, std::string_view text) -> Status {
                c.*Member = std::string(text);
                return {};
            },
            [](const ServerConfig& c) { return std::string(c.*Member); }};
}
template <auto Member, auto Parse, auto Show>
SettingInfo parsed_setting(std::string_view name, std::string_view help) {
    return {name, help,
            [](ServerConfig& c, std::string_view text) { return Parse(text, c.*Member); },
            [](const ServerConfig& c) { return Show(c.*Member); }};
}

std::string show_number(u64 n) { return std::to_string(n); }
std::string show_bool(bool b) { return b ? "true" : "false"; }
Status parse_u64(std::string_view t, u64& out) { return parse_int<u64>(t, out); }
Status parse_u32_positive(std::string_view t, u32& out) { return parse_int<u32>(t, out, 1); }
Status parse_u32(std::string_view t, u32& out) { return parse_int<u32>(t, out); }
std::string show_u32(u32 n) { return std::to_string(n); }

const SettingInfo kSettings[] = {
    text_setting<&ServerConfig::data_dir>(
        "data-dir", "Directory of the log and the store (created and initialised when empty)"),
    text_setting<&ServerConfig::key_dir>(
        "key-dir",
        "Directory of master.key and node.key, outside the data dir (default "
        "KIMBERLITE_KEY_DIR, else ~/.config/kimberlite/keys)"),
    SettingInfo{"listen", "HOST:PORT for PostgreSQL clients (and the native protocol)",
                [](ServerConfig& c, std::string_view t) -> Status {
                    c.listen = KB_TRY(parse_listen_address(t, "listen"));
                    return {};
                },
                [](const ServerConfig& c) { return c.listen.to_string(); }},
    SettingInfo{"http-listen", "HOST:PORT of /metrics and /health, or 'off'",
                [](ServerConfig& c, std::string_view t) -> Status {
                    if (t == "off") {
                        c.http_listen.reset();
                        return {};
                    }
                    c.http_listen = KB_TRY(parse_listen_address(t, "http-listen"));
                    return {};
                },
                [](const ServerConfig& c) {
                    return c.http_listen ? c.http_listen->to_string() : std::string("off");
                }},
    text_setting<&ServerConfig::tls_cert>(
        "tls-cert",
        "PEM certificate for TLS (with tls-key; default: a self-signed pair made in "
        "DATA_DIR/tls on first start)"),
    text_setting<&ServerConfig::tls_key>("tls-key", "PEM private key of tls-cert"),
    parsed_setting<&ServerConfig::tls_required, parse_bool, show_bool>(
        "tls-required", "Refuse clients that do not start TLS (sslmode=require)"),
    parsed_setting<&ServerConfig::allow_cleartext_password, parse_bool, show_bool>(
        "allow-cleartext-password",
        "Offer cleartext password authentication, and only over TLS (SCRAM is "
        "always offered)"),
    parsed_setting<&ServerConfig::max_connections, parse_u32_positive, show_u32>(
        "max-connections", "Client connections at once; more are refused with 53300"),
    parsed_setting<&ServerConfig::max_message_bytes, parse_bytes, show_bytes>(
        "max-message-bytes", "Largest protocol message a client may send (08P01 beyond it)"),
    parsed_setting<&ServerConfig::max_statement_bytes, parse_bytes, show_bytes>(
        "max-statement-bytes", "Longest SQL text of one Query or Parse (54000 beyond it)"),
    parsed_setting<&ServerConfig::max_result_bytes, parse_bytes, show_bytes>(
        "max-result-bytes",
        "Most bytes of rows one statement may hold in memory: its result, sorts, groups "
        "(54000 beyond it); 0 = no limit"),
    parsed_setting<&ServerConfig::statement_timeout_ms, parse_statement_timeout, show_millis>(
        "statement-timeout",
        "Cancel a statement running this long (57014); the sessions' statement_timeout "
        "default, which SET changes; 0 = no limit"),
    parsed_setting<&ServerConfig::idle_in_transaction_timeout_ms, parse_millis, show_millis>(
        "idle-in-transaction-timeout",
        "Close a session idle inside a transaction this long (25P03); 0 = no "
        "limit"),
    parsed_setting<&ServerConfig::authentication_timeout_ms, parse_millis, show_millis>(
        "authentication-timeout",
        "Close a connection not logged in this long after it connected (startup, TLS and "
        "password exchange; 57014), so silent sockets cannot hold connection slots; 0 = no "
        "limit"),
    parsed_setting<&ServerConfig::max_failed_logins_per_minute, parse_u32, show_u32>(
        "max-failed-logins-per-minute",
        "Failed logins from one address before it is refused for a minute"),
    parsed_setting<&ServerConfig::checkpoint_every_ops, parse_u64, show_number>(
        "checkpoint-every-ops",
        "A store checkpoint after this many writes (bounds replay at start; one also starts "
        "once half of --cache-bytes is pages not yet checkpointed)"),
    parsed_setting<&ServerConfig::cache_bytes, parse_bytes, show_bytes>("cache-bytes",
                                                                        "Page cache of the store"),
    SettingInfo{"log-format", "Log lines as 'text' or 'json'",
                [](ServerConfig& c, std::string_view t) {
                    return parse_choice(t, c.log_format, {"text", "json"});
                },
                [](const ServerConfig& c) { return c.log_format; }},
    SettingInfo{"log-level", "Least severe log lines written: error, warn, info or debug",
                [](ServerConfig& c, std::string_view t) {
                    return parse_choice(t, c.log_level, {"error", "warn", "info", "debug"});
                },
                [](const ServerConfig& c) { return c.log_level; }},
};

std::string normalized(std::string_view name) {
    std::string out(name);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

}  // namespace

std::span<const SettingInfo> server_settings() { return kSettings; }

const SettingInfo* find_setting(std::string_view name) {
    const std::string wanted = normalized(name);
    for (const SettingInfo& setting : kSettings) {
        if (setting.name == wanted) return &setting;
    }
    return nullptr;
}

Status apply_setting(ServerConfig& config, std::string_view name, std::string_view text,
                     std::string_view source) {
    const SettingInfo* setting = find_setting(name);
    if (setting == nullptr) {
        return Status::invalid_argument(std::string(source) + ": unknown setting '" +
                                        std::string(name) + "' (kmb server --help lists them)");
    }
    if (Status s = setting->set(config, text); !s.is_ok()) {
        return Status::invalid_argument(std::string(source) + ": " + std::string(setting->name) +
                                        ": " + s.message());
    }
    return {};
}

Status apply_config_file(ServerConfig& config, const std::string& path) {
    toml::parse_result parsed = toml::parse_file(path);
    if (!parsed) {
        const toml::parse_error& error = parsed.error();
        const toml::source_position where = error.source().begin;
        return Status::invalid_argument(path + ":" + std::to_string(where.line) + ":" +
                                        std::to_string(where.column) + ": " +
                                        std::string(error.description()));
    }
    for (const auto& [key, node] : parsed.table()) {
        const std::string name(key.str());
        const std::string source = path + ": " + name;
        std::string text;
        if (const auto* s = node.as_string()) {
            text = s->get();
        } else if (const auto* i = node.as_integer()) {
            text = std::to_string(i->get());
        } else if (const auto* b = node.as_boolean()) {
            text = b->get() ? "true" : "false";
        } else {
            return Status::invalid_argument(source +
                                            ": expected a string, an integer or a boolean");
        }
        KB_TRY(apply_setting(config, name, text, path));
    }
    return {};
}

std::string environment_name(std::string_view setting) {
    std::string out = "KMB_";
    for (char c : setting) {
        out += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return out;
}

Status apply_environment(ServerConfig& config,
                         const std::function<const char*(const char*)>& getenv) {
    for (const SettingInfo& setting : kSettings) {
        const std::string variable = environment_name(setting.name);
        if (const char* value = getenv(variable.c_str()); value != nullptr) {
            KB_TRY(apply_setting(config, setting.name, value, variable));
        }
    }
    return {};
}

}  // namespace kb::server
