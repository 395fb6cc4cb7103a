// `kmb user` (user_command.h).
#include "cli/user_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/sql_output.h"
#include "cli/verify_command.h"
#include "crypto/scram.h"

namespace kb::cli {

namespace {

using Json = nlohmann::ordered_json;

void add_table_options(CLI::App* command, UserCommandOptions* options) {
    auto* tables = command
                       ->add_option("--tables", options->tables,
                                    "Tables (comma-separated, may repeat; schema.table works)")
                       ->delimiter(',');
    auto* all = command->add_flag("--all", options->all_tables,
                                  "Every table of schema public (present and future)");
    tables->excludes(all);
    command
        ->add_option("--privileges", options->privileges,
                     "select, insert, update, delete, truncate or all (comma-separated; "
                     "default select)")
        ->delimiter(',');
}

// The new user's password: stdin, KMB_NEW_PASSWORD, or asked twice on the terminal.
Result<std::string> new_password(const UserCommandOptions& options) {
    std::string password;
    if (options.password_stdin) {
        if (!std::getline(std::cin, password) && password.empty()) {
            return Status::invalid_argument("--password-stdin: stdin is empty");
        }
        if (!password.empty() && password.back() == '\r') password.pop_back();
    } else if (const char* from_env = std::getenv("KMB_NEW_PASSWORD")) {
        password = from_env;
    } else if (can_prompt()) {
        auto first = prompt_password("Password for the new user " + options.name + ": ");
        if (!first) return first.status();
        auto second = prompt_password("Enter it again: ");
        if (!second) return second.status();
        if (*first != *second) return Status::invalid_argument("the passwords do not match");
        password = std::move(*first);
    } else {
        return Status::invalid_argument(
            "no password for the new user: give --password-stdin, set KMB_NEW_PASSWORD, or run "
            "on a terminal to be asked");
    }
    if (password.empty()) return Status::invalid_argument("the password is empty");
    return password;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& part : parts) {
        if (!out.empty()) out += separator;
        out += part;
    }
    return out;
}

int run_create(PgClient& client, const UserCommandOptions& options, const std::string& command,
               const std::string& password) {
    const std::string verifier =
        crypto::make_scram_verifier(password, crypto::system_random()).to_string();
    int exit_code = kExitOk;
    auto result = run_admin_statement(client,
                                      "CREATE ROLE " + quote_identifier(options.name) + " LOGIN" +
                                          (options.superuser ? " SUPERUSER" : "") + " PASSWORD " +
                                          quote_literal(verifier),
                                      command, options.json, &exit_code);
    if (!result) return exit_code;
    if (options.json) {
        print_json_line(
            Json{{"user", options.name}, {"created", true}, {"superuser", options.superuser}});
    } else {
        std::printf("Created user \"%s\"%s.", options.name.c_str(),
                    options.superuser ? " (superuser)" : "");
        if (!options.superuser) {
            std::printf(" Let it in with: kmb user grant %s --tenant TENANT", options.name.c_str());
        }
        std::printf("\n");
    }
    return kExitOk;
}

int run_grant(PgClient& client, const UserCommandOptions& options, const std::string& command,
              bool revoke) {
    const bool on_tables = !options.tables.empty() || options.all_tables;
    if (!on_tables && !options.privileges.empty()) {
        std::fprintf(stderr, "kmb %s: --privileges needs --tables or --all\n", command.c_str());
        return kExitUsage;
    }
    auto privileges = parse_privileges(options.privileges);
    if (!privileges) {
        std::fprintf(stderr, "kmb %s: %s\n", command.c_str(),
                     privileges.status().message().c_str());
        return kExitUsage;
    }
    const std::string role = quote_identifier(options.name);
    const std::string to = revoke ? " FROM " : " TO ";
    const std::string verb = revoke ? "REVOKE " : "GRANT ";
    int exit_code = kExitOk;
    // GRANT does not run inside a transaction block, so the statements go one by one: a
    // failure part way leaves the earlier ones done (each is idempotent; run it again).
    if (!revoke || !on_tables) {
        auto result = run_admin_statement(
            client,
            verb + "CONNECT ON DATABASE " + quote_identifier(options.client.tenant) + to + role,
            command, options.json, &exit_code);
        if (!result) return exit_code;
    }
    std::vector<std::string> tables;
    if (on_tables) {
        std::string object;
        if (options.all_tables) {
            object = "ALL TABLES IN SCHEMA public";
        } else {
            for (const std::string& table : options.tables)
                tables.push_back(quote_table_name(table));
            object = join(tables, ", ");
        }
        auto result = run_admin_statement(
            client, verb + join(*privileges, ", ") + " ON " + object + to + role, command,
            options.json, &exit_code);
        if (!result) return exit_code;
    }
    if (options.json) {
        Json out{{"user", options.name}, {"tenant", options.client.tenant}};
        out[revoke ? "revoked" : "granted"] = true;
        out["connect"] = !revoke || !on_tables;
        Json names = Json::array();
        if (on_tables) {
            for (const std::string& privilege : *privileges) names.push_back(privilege);
        }
        out["privileges"] = std::move(names);
        if (options.all_tables) {
            out["tables"] = "all";
        } else {
            out["tables"] = options.tables;
        }
        print_json_line(out);
        return kExitOk;
    }
    std::string what =
        (!revoke || !on_tables) ? "CONNECT on tenant \"" + options.client.tenant + "\"" : "";
    if (on_tables) {
        if (!what.empty()) what += "; ";
        what += join(*privileges, ", ") + " on " +
                (options.all_tables ? std::string("all tables of schema public")
                                    : join(options.tables, ", "));
        if (revoke) what += " of tenant \"" + options.client.tenant + "\"";
    }
    std::printf("%s %s %s \"%s\".\n", revoke ? "Revoked" : "Granted", what.c_str(),
                revoke ? "from" : "to", options.name.c_str());
    return kExitOk;
}

int run_list(PgClient& client, const UserCommandOptions& options, const std::string& command) {
    int exit_code = kExitOk;
    auto result = run_admin_statement(
        client,
        "SELECT rolname AS \"user\", rolsuper AS superuser, rolcanlogin AS login "
        "FROM pg_catalog.pg_roles ORDER BY rolname",
        command, options.json, &exit_code);
    if (!result) return exit_code;
    if (options.json) {
        Json users = Json::array();
        for (const auto& row : result->rows) {
            if (row.size() < 3 || !row[0]) continue;
            users.push_back(Json{{"name", *row[0]},
                                 {"superuser", row[1].value_or("f") == "t"},
                                 {"login", row[2].value_or("f") == "t"}});
        }
        print_json_line(Json{{"users", std::move(users)}});
    } else {
        std::fputs(format_aligned(*result).c_str(), stdout);
    }
    return kExitOk;
}

int run_drop(PgClient& client, const UserCommandOptions& options, const std::string& command) {
    int exit_code = kExitOk;
    auto result =
        run_admin_statement(client,
                            std::string("DROP ROLE ") + (options.if_exists ? "IF EXISTS " : "") +
                                quote_identifier(options.name),
                            command, options.json, &exit_code);
    if (!result) return exit_code;
    const bool dropped = result->notices.empty();
    if (options.json) {
        print_json_line(Json{{"user", options.name}, {"dropped", dropped}});
    } else if (dropped) {
        std::printf("Dropped user \"%s\".\n", options.name.c_str());
    }
    return kExitOk;
}

}  // namespace

Result<std::vector<std::string>> parse_privileges(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const std::string& raw : names) {
        std::string name;
        for (char c : raw) {
            if (c == ' ' || c == '\t') continue;
            name += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        if (name.empty()) continue;
        std::string privilege;
        if (name == "all") {
            privilege = "ALL PRIVILEGES";
        } else if (name == "select" || name == "insert" || name == "update" || name == "delete" ||
                   name == "truncate") {
            for (char c : name) privilege += static_cast<char>(c - 'a' + 'A');
        } else {
            return Status::invalid_argument("--privileges: unknown privilege '" + raw +
                                            "' (select, insert, update, delete, truncate, all)");
        }
        if (std::find(out.begin(), out.end(), privilege) == out.end()) out.push_back(privilege);
    }
    if (std::find(out.begin(), out.end(), "ALL PRIVILEGES") != out.end())
        return std::vector<std::string>{"ALL PRIVILEGES"};
    if (out.empty()) out.push_back("SELECT");
    return out;
}

std::string quote_table_name(std::string_view name) {
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) return quote_identifier(name);
    return quote_identifier(name.substr(0, dot)) + "." + quote_identifier(name.substr(dot + 1));
}

CLI::App* add_user_command(CLI::App& app, UserCommandOptions* options) {
    constexpr const char* kExitStatus =
        "Exit status: 0 ok, 1 the server refused (SQLSTATE printed), 2 usage or connection "
        "error.";
    auto* user = app.add_subcommand(
        "user", "Create users, grant them tenants and tables, list and drop them");
    user->footer(
        std::string("Examples:\n"
                    "  KMB_NEW_PASSWORD=s3cret kmb user create app\n"
                    "  kmb user grant app --tenant shop --all --privileges "
                    "select,insert,update,delete\n"
                    "  kmb user grant analyst --tenant shop --tables orders,customers   # select\n"
                    "  kmb user revoke app --tenant shop --tables orders --privileges delete\n"
                    "  kmb user list --json\n"
                    "  kmb user api-key create app --tenant shop --read-only\n\n") +
        kExitStatus);
    user->require_subcommand(1);

    options->create = user->add_subcommand(
        "create", "Create a user that can log in (CREATE ROLE ... LOGIN PASSWORD)");
    options->create->footer(
        std::string("The password comes from --password-stdin, env KMB_NEW_PASSWORD, or a "
                    "prompt on the\nterminal; only its SCRAM-SHA-256 verifier is sent to the "
                    "server.\n\n"
                    "Examples:\n"
                    "  kmb user create app                          # asks for the password\n"
                    "  printf '%s\\n' \"$PW\" | kmb user create app --password-stdin\n"
                    "  KMB_NEW_PASSWORD=... kmb user create ops --superuser\n\n") +
        kExitStatus);
    options->create->add_option("NAME", options->name, "The user's name (taken literally)")
        ->required();
    options->create->add_flag("--superuser", options->superuser,
                              "Make it a superuser (all tenants, roles and grants)");
    options->create->add_flag("--password-stdin", options->password_stdin,
                              "Read the password from the first line of stdin");
    add_admin_options(options->create, &options->client, &options->json);

    options->grant =
        user->add_subcommand("grant", "Let a user connect to a tenant and use its tables (GRANT)");
    options->grant->footer(
        std::string("Grants CONNECT on the tenant given with --tenant and, with --tables or "
                    "--all, the\n--privileges (default select) on those tables.\n\n"
                    "Examples:\n"
                    "  kmb user grant app --tenant shop\n"
                    "  kmb user grant app --tenant shop --all --privileges all\n"
                    "  kmb user grant app --tenant shop --tables orders,public.items "
                    "--privileges select,insert\n\n") +
        kExitStatus);
    options->grant->add_option("NAME", options->name, "The user")->required();
    add_table_options(options->grant, options);
    add_admin_options(options->grant, &options->client, &options->json);

    options->revoke = user->add_subcommand(
        "revoke", "Take back table privileges, or CONNECT on a tenant (REVOKE)");
    options->revoke->footer(
        std::string("With --tables or --all: REVOKE those --privileges; without: REVOKE "
                    "CONNECT on the\ntenant given with --tenant.\n\n"
                    "Examples:\n"
                    "  kmb user revoke app --tenant shop --all --privileges delete,truncate\n"
                    "  kmb user revoke app --tenant shop              # no more connecting\n\n") +
        kExitStatus);
    options->revoke->add_option("NAME", options->name, "The user")->required();
    add_table_options(options->revoke, options);
    add_admin_options(options->revoke, &options->client, &options->json);

    options->list = user->add_subcommand("list", "List the users (from pg_roles)");
    options->list->footer(std::string("Examples:\n  kmb user list\n  kmb user list --json\n\n") +
                          kExitStatus);
    add_admin_options(options->list, &options->client, &options->json);

    options->drop = user->add_subcommand("drop", "Drop a user (DROP ROLE)");
    options->drop->footer(std::string("Example:\n  kmb user drop app --if-exists\n\n") +
                          kExitStatus);
    options->drop->add_option("NAME", options->name, "The user")->required();
    options->drop->add_flag("--if-exists", options->if_exists,
                            "No error when it does not exist (a notice instead)");
    add_admin_options(options->drop, &options->client, &options->json);
    add_api_key_command(user, &options->api_key);
    return user;
}

int run_user_command(const UserCommandOptions& options) {
    if (options.api_key.group != nullptr && options.api_key.group->parsed()) {
        return run_api_key_command(options.api_key);
    }
    std::signal(SIGPIPE, SIG_IGN);
    const char* verb = options.create->parsed()   ? "create"
                       : options.grant->parsed()  ? "grant"
                       : options.revoke->parsed() ? "revoke"
                       : options.drop->parsed()   ? "drop"
                                                  : "list";
    const std::string command = std::string("user ") + verb;
    // Ask for the new password before the login password, so the prompts come in order and
    // a mistyped password costs no connection.
    std::string password;
    if (options.create->parsed()) {
        auto typed = new_password(options);
        if (!typed) {
            std::fprintf(stderr, "kmb %s: %s\n", command.c_str(), typed.status().message().c_str());
            return kExitUsage;
        }
        password = std::move(*typed);
    }
    Connection connection = connect_client(options.client);
    if (!connection.client) {
        report_connection_error(connection, command, options.json);
        return connection.exit_code;
    }
    PgClient& client = *connection.client;
    if (options.create->parsed()) return run_create(client, options, command, password);
    if (options.grant->parsed()) return run_grant(client, options, command, false);
    if (options.revoke->parsed()) return run_grant(client, options, command, true);
    if (options.drop->parsed()) return run_drop(client, options, command);
    return run_list(client, options, command);
}

}  // namespace kb::cli
