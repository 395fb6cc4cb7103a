// `kmb server` (server_command.h): settings from file, environment and flags, then the
// server until a signal.
#include "cli/server_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>

#include "cli/verify_command.h"
#include "server/server_config.h"
#include "server/server_main.h"

namespace kb::cli {

CLI::App* add_server_command(CLI::App& app, ServerCommandOptions* options) {
    auto* command = app.add_subcommand(
        "server",
        "Run the database server: PostgreSQL clients (psql, psycopg, pgbench, ...) connect to "
        "--listen.\nAn empty --data-dir is initialised (tenant 'default', user 'admin'; the "
        "password is\nKMB_ADMIN_PASSWORD, else generated into DATA_DIR/admin-password).\n"
        "Settings: flags > KMB_* environment variables > --config file (TOML) > defaults.");
    command->add_option("--config", options->config_file,
                        "TOML file of settings (keys as the flags without '--'; env KMB_CONFIG)");
    const server::ServerConfig defaults;
    for (const server::SettingInfo& setting : server::server_settings()) {
        const std::string name(setting.name);
        std::string help(setting.help);
        const std::string shown = setting.show(defaults);
        help += " [env " + server::environment_name(name) + "; default " +
                (shown.empty() ? "none" : shown) + "]";
        options->flags[name] = command->add_option("--" + name, options->flag_values[name], help);
    }
    return command;
}

int run_server_command(const ServerCommandOptions& options) {
    server::ServerConfig config;
    std::string config_file = options.config_file;
    if (config_file.empty()) {
        if (const char* from_env = std::getenv("KMB_CONFIG")) config_file = from_env;
    }
    Status status;
    if (!config_file.empty()) status = server::apply_config_file(config, config_file);
    if (status.is_ok()) status = server::apply_environment(config, std::getenv);
    for (const auto& [name, flag] : options.flags) {
        if (!status.is_ok()) break;
        if (flag->count() == 0) continue;
        status = server::apply_setting(config, name, options.flag_values.at(name), "--" + name);
    }
    if (!status.is_ok()) {
        std::fprintf(stderr, "kmb server: %s\n", status.message().c_str());
        return kExitUsage;
    }
    return server::run_server(config);
}

}  // namespace kb::cli
