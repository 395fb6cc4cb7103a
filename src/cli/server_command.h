// `kmb server`: runs the database server (DESIGN.md §5).
//
//     kmb server [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--key-dir DIR] ...
//
// Every setting of server/server_config.h is a flag, a KMB_* variable and a key of the TOML
// file; `kmb server --help` lists them with their defaults. Exit status: 0 after a clean stop
// (SIGTERM / SIGINT), 2 for bad settings or when the server cannot start (the message says
// what to fix), 1 when it stopped because the database failed.
#pragma once

#include <map>
#include <string>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace kb::cli {

struct ServerCommandOptions {
    std::string config_file;                         // --config, else KMB_CONFIG
    std::map<std::string, std::string> flag_values;  // setting name -> flag text
    std::map<std::string, CLI::Option*> flags;       // setting name -> its flag
};

CLI::App* add_server_command(CLI::App& app, ServerCommandOptions* options);

// Runs the server until a signal stops it; returns the exit status. Never throws.
int run_server_command(const ServerCommandOptions& options);

}  // namespace kb::cli
