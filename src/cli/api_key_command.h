// `kmb user api-key create|revoke|list`: API keys of the native protocol (kernel/api_keys.h,
// docs/SERVER.md "API keys"), over the wire protocol as a superuser.
//
//     kmb user api-key create USER --tenant T [--read-only] [--json]
//         SELECT kimberlite_create_api_key('USER', 'T', 'read_only' | 'read_write')
//         Prints the key (shown this once: the server keeps only its SHA-256) and its id.
//     kmb user api-key revoke KEY_ID [--json]
//         SELECT kimberlite_revoke_api_key('KEY_ID'): a 16-hex-digit id, or the whole key.
//     kmb user api-key list [--json]
//         SELECT kimberlite_api_keys(): id, user, tenant, mode, created (a log position).
//
// --tenant is the client option: the connection goes to that tenant, and the key is scoped to
// it. Exit statuses as client_options.h.
#pragma once

#include <string>

#include "cli/client_options.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct ApiKeyCommandOptions {
    ClientOptions client;
    bool json = false;
    std::string user;
    bool read_only = false;
    std::string key_id;
    CLI::App* group = nullptr;
    CLI::App* create = nullptr;
    CLI::App* revoke = nullptr;
    CLI::App* list = nullptr;
};

// Adds `api-key` and its subcommands under `user`.
CLI::App* add_api_key_command(CLI::App* user, ApiKeyCommandOptions* options);

int run_api_key_command(const ApiKeyCommandOptions& options);

}  // namespace kb::cli
