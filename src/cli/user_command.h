// `kmb user create|grant|revoke|list|drop`: roles and their privileges over the wire protocol.
//
//     kmb user create NAME [--superuser] [--password-stdin] [client options] [--json]
//         CREATE ROLE "NAME" LOGIN [SUPERUSER] PASSWORD '<SCRAM-SHA-256 verifier>'
//         The password comes from stdin (--password-stdin, its first line), env
//         KMB_NEW_PASSWORD, or is asked for twice on the terminal. Only a SCRAM verifier made
//         here (crypto/scram.h) goes to the server: the password never leaves this process.
//     kmb user grant NAME --tenant T [--tables A,B | --all] [--privileges select,insert,...]
//         GRANT CONNECT ON DATABASE "T" TO "NAME", then with --tables / --all
//         GRANT <privileges> ON "A", "B" | ALL TABLES IN SCHEMA public TO "NAME"
//         (privileges default to select; "all" is every table privilege).
//     kmb user revoke NAME --tenant T [--tables A,B | --all] [--privileges ...]
//         with --tables / --all: REVOKE those table privileges; without: REVOKE CONNECT.
//     kmb user list [--json]     from pg_roles
//     kmb user drop NAME [--if-exists]
//     kmb user api-key create|revoke|list   API keys (api_key_command.h)
//
// The connection goes to --tenant as --user (default admin; a superuser is needed for all but
// list). Names are taken literally (quoted). Exit statuses as client_options.h.
#pragma once

#include <string>
#include <vector>

#include "cli/api_key_command.h"
#include "cli/client_options.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct UserCommandOptions {
    ClientOptions client;
    std::string name;
    bool superuser = false;
    bool password_stdin = false;
    std::vector<std::string> tables;
    bool all_tables = false;
    std::vector<std::string> privileges;
    bool if_exists = false;
    bool json = false;
    CLI::App* create = nullptr;
    CLI::App* grant = nullptr;
    CLI::App* revoke = nullptr;
    CLI::App* list = nullptr;
    CLI::App* drop = nullptr;
    ApiKeyCommandOptions api_key;  // `kmb user api-key` (api_key_command.h)
};

CLI::App* add_user_command(CLI::App& app, UserCommandOptions* options);

int run_user_command(const UserCommandOptions& options);

// "select", " Insert " ... -> "SELECT", "INSERT"; "all" -> "ALL PRIVILEGES". invalid_argument
// naming an unknown privilege. Empty input: {"SELECT"}.
Result<std::vector<std::string>> parse_privileges(const std::vector<std::string>& names);

// "accounts" -> "\"accounts\"", "audit.log" -> "\"audit\".\"log\"".
std::string quote_table_name(std::string_view name);

}  // namespace kb::cli
