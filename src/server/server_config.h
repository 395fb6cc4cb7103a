// ServerConfig: every setting of `kmb server`, with one description per setting that the
// flags, the `KMB_*` environment variables, the TOML file and `kmb server --help` all read, so
// they cannot drift apart.
//
// Precedence (DESIGN.md §5): flags > environment > file > defaults. The caller applies them in
// the opposite order, each overriding what came before:
//
//     ServerConfig config;                                   // defaults
//     KB_TRY(apply_config_file(config, "kimberlite.toml"));  // listen = "0.0.0.0:5432"
//     KB_TRY(apply_environment(config, std::getenv));        // KMB_LISTEN=...
//     KB_TRY(apply_setting(config, "listen", flag_text));    // --listen ...
//
// A setting's name is its TOML key ("max-connections"; "max_connections" is accepted too), its
// flag ("--max-connections") and, upper-cased with '_' for '-', its variable
// ("KMB_MAX_CONNECTIONS"). Every value is parsed from text the same way wherever it comes from,
// and an error names the setting and where the bad value came from.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/ints.h"
#include "kimberlite/status.h"
#include "server/listen_address.h"

namespace kb::server {

struct ServerConfig {
    std::string data_dir = "./data";
    std::string key_dir;  // empty: KIMBERLITE_KEY_DIR, else ~/.config/kimberlite/keys
    ListenAddress listen{"127.0.0.1", 5432};
    std::optional<ListenAddress> http_listen = ListenAddress{"127.0.0.1", 9187};  // nullopt: off
    // TLS: both empty means a self-signed pair in DATA_DIR/tls, made on first start.
    std::string tls_cert;
    std::string tls_key;
    bool tls_required = false;              // refuse connections that do not start TLS
    bool allow_cleartext_password = false;  // only ever offered over TLS
    u32 max_connections = 100;
    u64 max_message_bytes = 64ull << 20;     // one protocol message (pgwire caps at 1 GiB)
    u64 max_statement_bytes = 16ull << 20;   // one Query's or Parse's SQL text
    u64 max_result_bytes = 256ull << 20;     // rows one statement holds in memory; 0: no limit
    u64 statement_timeout_ms = 0;            // sessions' statement_timeout default; 0: none
    u64 idle_in_transaction_timeout_ms = 0;  // 0: none
    u64 authentication_timeout_ms = 60'000;  // from connect to logged in; 0: none
    u32 max_failed_logins_per_minute = 30;   // per client address, then 53300 for a minute
    u64 checkpoint_every_ops = 200'000;
    u64 cache_bytes = 256ull << 20;
    std::string log_format = "text";  // text or json
    std::string log_level = "info";   // error, warn, info, debug
};

// One setting: its name, what --help says, and how text sets it and shows it.
struct SettingInfo {
    std::string_view name;
    std::string_view help;
    Status (*set)(ServerConfig& config, std::string_view text);
    std::string (*show)(const ServerConfig& config);
};

std::span<const SettingInfo> server_settings();
const SettingInfo* find_setting(std::string_view name);  // '-' or '_' between words

// Sets `name` from `text`; `source` names where the text came from for errors
// ("--listen", "KMB_LISTEN", "kimberlite.toml").
Status apply_setting(ServerConfig& config, std::string_view name, std::string_view text,
                     std::string_view source);

// A TOML file of top-level keys (strings, integers and booleans; values are taken as their
// text). Unknown keys are errors, so a typo does not silently keep a default.
Status apply_config_file(ServerConfig& config, const std::string& path);

// Every KMB_<NAME> variable that `getenv` knows.
Status apply_environment(ServerConfig& config,
                         const std::function<const char*(const char*)>& getenv);

// "KMB_MAX_CONNECTIONS" for "max-connections".
std::string environment_name(std::string_view setting);

}  // namespace kb::server
