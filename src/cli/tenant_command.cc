// `kmb tenant` (tenant_command.h).
#include "cli/tenant_command.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/sql_output.h"
#include "cli/verify_command.h"

namespace kb::cli {

namespace {

using Json = nlohmann::ordered_json;

}  // namespace

CLI::App* add_tenant_command(CLI::App& app, TenantCommandOptions* options) {
    constexpr const char* kExitStatus =
        "Exit status: 0 ok, 1 the server refused (SQLSTATE printed), 2 usage or connection "
        "error.";
    auto* tenant = app.add_subcommand(
        "tenant", "Create, list and drop tenants (databases) on a running server");
    tenant->footer(std::string("Examples:\n"
                               "  kmb tenant create shop\n"
                               "  kmb tenant list --json\n"
                               "  kmb tenant drop shop              # its history stays in the "
                               "log\n\n") +
                   kExitStatus);
    tenant->require_subcommand(1);

    options->create = tenant->add_subcommand("create", "Create a tenant (CREATE DATABASE)");
    options->create->footer(std::string("Needs a superuser.\n\nExample:\n"
                                        "  kmb tenant create shop && kmb sql --tenant shop\n\n") +
                            kExitStatus);
    options->create->add_option("NAME", options->name, "The new tenant's name (taken literally)")
        ->required();
    add_admin_options(options->create, &options->client, &options->json);

    options->list = tenant->add_subcommand("list", "List the tenants (from pg_database)");
    options->list->footer(
        std::string("Examples:\n  kmb tenant list\n  kmb tenant list --json\n\n") + kExitStatus);
    add_admin_options(options->list, &options->client, &options->json);

    options->drop = tenant->add_subcommand("drop", "Drop a tenant (DROP DATABASE)");
    options->drop->footer(
        std::string("It can no longer be connected to; its history stays in the log. Run it "
                    "connected to\nanother tenant (--tenant) than the one dropped.\n\n"
                    "Examples:\n  kmb tenant drop shop\n  kmb tenant drop shop --if-exists "
                    "--json\n\n") +
        kExitStatus);
    options->drop->add_option("NAME", options->name, "The tenant to drop")->required();
    options->drop->add_flag("--if-exists", options->if_exists,
                            "No error when it does not exist (a notice instead)");
    add_admin_options(options->drop, &options->client, &options->json);
    return tenant;
}

int run_tenant_command(const TenantCommandOptions& options) {
    std::signal(SIGPIPE, SIG_IGN);
    const char* verb = options.create->parsed() ? "create"
                       : options.drop->parsed() ? "drop"
                                                : "list";
    const std::string command = std::string("tenant ") + verb;
    if (options.drop->parsed() && options.name == options.client.tenant) {
        std::fprintf(stderr,
                     "kmb %s: cannot drop the tenant the command is connected to (\"%s\"); "
                     "connect to another one with --tenant\n",
                     command.c_str(), options.name.c_str());
        return kExitUsage;
    }
    Connection connection = connect_client(options.client);
    if (!connection.client) {
        report_connection_error(connection, command, options.json);
        return connection.exit_code;
    }
    PgClient& client = *connection.client;
    int exit_code = kExitOk;

    if (options.create->parsed()) {
        auto result =
            run_admin_statement(client, "CREATE DATABASE " + quote_identifier(options.name),
                                command, options.json, &exit_code);
        if (!result) return exit_code;
        if (options.json) {
            print_json_line(Json{{"tenant", options.name}, {"created", true}});
        } else {
            std::printf("Created tenant \"%s\". Connect with: kmb sql --tenant %s\n",
                        options.name.c_str(), options.name.c_str());
        }
        return kExitOk;
    }
    if (options.drop->parsed()) {
        auto result = run_admin_statement(client,
                                          std::string("DROP DATABASE ") +
                                              (options.if_exists ? "IF EXISTS " : "") +
                                              quote_identifier(options.name),
                                          command, options.json, &exit_code);
        if (!result) return exit_code;
        // DROP ... IF EXISTS of a missing tenant succeeds with a notice.
        const bool dropped = result->notices.empty();
        if (options.json) {
            print_json_line(Json{{"tenant", options.name}, {"dropped", dropped}});
        } else if (dropped) {
            std::printf("Dropped tenant \"%s\" (its history stays in the log).\n",
                        options.name.c_str());
        }
        return kExitOk;
    }
    auto result = run_admin_statement(
        client, "SELECT datname AS tenant FROM pg_catalog.pg_database ORDER BY datname", command,
        options.json, &exit_code);
    if (!result) return exit_code;
    if (options.json) {
        Json names = Json::array();
        for (const auto& row : result->rows) {
            if (!row.empty() && row[0]) names.push_back(*row[0]);
        }
        print_json_line(Json{{"tenants", std::move(names)}});
    } else {
        std::fputs(format_aligned(*result).c_str(), stdout);
    }
    return kExitOk;
}

}  // namespace kb::cli
