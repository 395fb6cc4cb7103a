// `kmb user api-key` (api_key_command.h).
#include "cli/api_key_command.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/sql_output.h"
#include "cli/verify_command.h"
#include "kernel/api_keys.h"

namespace kb::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kExitStatus =
    "Exit status: 0 ok, 1 the server refused (SQLSTATE printed), 2 usage or connection error.";

// The one text value of a result (empty when there is none).
std::string single_value(const PgStatementResult& result) {
    if (result.rows.empty() || result.rows[0].empty() || !result.rows[0][0]) return {};
    return *result.rows[0][0];
}

int run_create(PgClient& client, const ApiKeyCommandOptions& options, const std::string& command) {
    int exit_code = kExitOk;
    auto result =
        run_admin_statement(client,
                            "SELECT kimberlite_create_api_key(" + quote_literal(options.user) +
                                ", " + quote_literal(options.client.tenant) + ", " +
                                quote_literal(options.read_only ? "read_only" : "read_write") + ")",
                            command, options.json, &exit_code);
    if (!result) return exit_code;
    const std::string key = single_value(*result);
    const auto parsed = kernel::parse_api_key(key);
    if (!parsed) {
        std::fprintf(stderr, "kmb %s: the server answered with no valid key\n", command.c_str());
        return kExitUsage;
    }
    const std::string id = kernel::api_key_id_hex(parsed->key_id);
    const char* mode = options.read_only ? "read_only" : "read_write";
    if (options.json) {
        print_json_line(Json{{"id", id},
                             {"key", key},
                             {"user", options.user},
                             {"tenant", options.client.tenant},
                             {"mode", mode}});
    } else {
        std::printf("%s\n", key.c_str());
        std::fprintf(stderr,
                     "Created API key %s for user \"%s\" on tenant \"%s\" (%s). It is shown only "
                     "this once: store it now.\n",
                     id.c_str(), options.user.c_str(), options.client.tenant.c_str(), mode);
    }
    return kExitOk;
}

int run_revoke(PgClient& client, const ApiKeyCommandOptions& options, const std::string& command) {
    // A whole key is turned into its id here, so the key's secret never travels or is logged.
    const auto key_id = kernel::parse_api_key_id(options.key_id);
    if (!key_id) {
        std::fprintf(stderr, "kmb %s: '%s' is neither a key id (16 hex digits) nor a key\n",
                     command.c_str(),
                     options.key_id.starts_with("kmb_") ? "kmb_..." : options.key_id.c_str());
        return kExitUsage;
    }
    int exit_code = kExitOk;
    auto result = run_admin_statement(
        client,
        "SELECT kimberlite_revoke_api_key(" + quote_literal(kernel::api_key_id_hex(*key_id)) + ")",
        command, options.json, &exit_code);
    if (!result) return exit_code;
    const std::string id = single_value(*result);
    if (options.json) {
        print_json_line(Json{{"id", id}, {"revoked", true}});
    } else {
        std::printf("Revoked API key %s.\n", id.c_str());
    }
    return kExitOk;
}

int run_list(PgClient& client, const ApiKeyCommandOptions& options, const std::string& command) {
    int exit_code = kExitOk;
    auto result = run_admin_statement(client, "SELECT kimberlite_api_keys()", command, options.json,
                                      &exit_code);
    if (!result) return exit_code;
    const Json keys = Json::parse(single_value(*result), nullptr, false);
    if (!keys.is_array()) {
        std::fprintf(stderr, "kmb %s: the server's list is not a JSON array\n", command.c_str());
        return kExitUsage;
    }
    if (options.json) {
        Json out = Json::array();
        for (const Json& key : keys) {
            out.push_back(Json{{"id", key.value("id", "")},
                               {"user", key.value("role", "")},
                               {"tenant", key.value("database", "")},
                               {"mode", key.value("mode", "")},
                               {"created", key.value("created", 0ULL)}});
        }
        print_json_line(Json{{"api_keys", std::move(out)}});
        return kExitOk;
    }
    std::printf("%-16s  %-20s  %-20s  %-10s  %s\n", "id", "user", "tenant", "mode", "created");
    for (const Json& key : keys) {
        std::printf("%-16s  %-20s  %-20s  %-10s  %llu\n", key.value("id", "").c_str(),
                    key.value("role", "").c_str(), key.value("database", "").c_str(),
                    key.value("mode", "").c_str(), key.value("created", 0ULL));
    }
    return kExitOk;
}

}  // namespace

CLI::App* add_api_key_command(CLI::App* user, ApiKeyCommandOptions* options) {
    options->group = user->add_subcommand(
        "api-key", "Create, revoke and list API keys (native protocol logins; superusers)");
    options->group->footer(
        std::string(
            "An API key logs in over the native protocol (kmb stream --api-key, env "
            "KMB_API_KEY;\nkb::ClientOptions::api_key) as its user, on one tenant, read-only or "
            "read-write.\nThe server keeps only its SHA-256: the key is shown once, at "
            "creation.\n\n"
            "Examples:\n"
            "  kmb user api-key create app --tenant shop --read-only\n"
            "  kmb user api-key create app --tenant shop --json\n"
            "  kmb user api-key list\n"
            "  kmb user api-key revoke 3f2a9c0d11e04b7a\n\n") +
        kExitStatus);
    options->group->require_subcommand(1);

    options->create = options->group->add_subcommand(
        "create", "Make a key for USER on --tenant; prints the key (once) and its id");
    options->create->add_option("USER", options->user, "The user the key logs in as")->required();
    options->create->add_flag("--read-only", options->read_only,
                              "The key may read but never write (appends, SQL writes refused)");
    add_admin_options(options->create, &options->client, &options->json);

    options->revoke = options->group->add_subcommand(
        "revoke", "Revoke a key: new logins fail, open sessions can no longer write");
    options->revoke->add_option("KEY_ID", options->key_id, "The key's id (16 hex digits) or key")
        ->required();
    add_admin_options(options->revoke, &options->client, &options->json);

    options->list = options->group->add_subcommand("list", "List the live keys (no secrets)");
    add_admin_options(options->list, &options->client, &options->json);
    return options->group;
}

int run_api_key_command(const ApiKeyCommandOptions& options) {
    std::signal(SIGPIPE, SIG_IGN);
    const char* verb = options.create->parsed()   ? "create"
                       : options.revoke->parsed() ? "revoke"
                                                  : "list";
    const std::string command = std::string("user api-key ") + verb;
    Connection connection = connect_client(options.client);
    if (!connection.client) {
        report_connection_error(connection, command, options.json);
        return connection.exit_code;
    }
    PgClient& client = *connection.client;
    if (options.create->parsed()) return run_create(client, options, command);
    if (options.revoke->parsed()) return run_revoke(client, options, command);
    return run_list(client, options, command);
}

}  // namespace kb::cli
