// `kmb tenant create|list|drop`: tenants (PostgreSQL databases) over the wire protocol.
//
//     kmb tenant create NAME [client options] [--json]     CREATE DATABASE "NAME"
//     kmb tenant list [client options] [--json]            SELECT ... FROM pg_database
//     kmb tenant drop NAME [--if-exists] [client options] [--json]
//                                                          DROP DATABASE "NAME" (its history
//                                                          stays in the log)
//
// The connection goes to --tenant (default "default") as --user (default admin). NAME is taken
// literally (case and all). Exit statuses as client_options.h: 0 done, 1 the server refused
// (no privilege, exists, does not exist: the SQLSTATE says which), 2 usage or connection.
#pragma once

#include <string>

#include "cli/client_options.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct TenantCommandOptions {
    ClientOptions client;
    std::string name;
    bool if_exists = false;
    bool json = false;
    CLI::App* create = nullptr;
    CLI::App* list = nullptr;
    CLI::App* drop = nullptr;
};

CLI::App* add_tenant_command(CLI::App& app, TenantCommandOptions* options);

int run_tenant_command(const TenantCommandOptions& options);

}  // namespace kb::cli
