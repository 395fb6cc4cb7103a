// The options every client command of `kmb` takes (DESIGN.md section 5) and the connection
// they make: --server HOST:PORT (default 127.0.0.1:5432), --user (default admin), --tenant
// (default "default"), --tls require|prefer|disable (default prefer), --tls-ca FILE. The
// password comes from env KMB_PASSWORD, else is asked for on the terminal (only when the
// server wants one).
//
// Exit statuses of the client commands (sql, tenant, user):
//     0  success
//     1  the server refused a statement (an SQL error: its SQLSTATE is printed)
//     2  usage errors, unreadable files, and connection failures: cannot connect, TLS,
//        authentication (wrong password, unknown tenant), the connection lost.
#pragma once

#include <memory>
#include <string>

#include "cli/pg_client.h"

namespace CLI {
class App;
}

namespace kb::cli {

inline constexpr int kExitSqlError = 1;

struct ClientOptions {
    std::string server = "127.0.0.1:5432";
    std::string user = "admin";
    std::string tenant = "default";
    std::string tls = "prefer";
    std::string tls_ca;
};

// Declares the options on `command`.
void add_client_options(CLI::App* command, ClientOptions* options);
// The client options plus --json: what every admin subcommand (tenant, user) takes.
void add_admin_options(CLI::App* command, ClientOptions* options, bool* json);

// Reads a password with the terminal's echo off, from /dev/tty. unsupported when there is no
// terminal to ask on (stdin and stderr both not terminals).
Result<std::string> prompt_password(const std::string& prompt);

// Whether a person can be asked: stdin or stderr is a terminal.
bool can_prompt();

// Connect options from the command line: the address parsed, the password provider (env
// KMB_PASSWORD, else the prompt). invalid_argument for a bad --server or --tls.
Result<PgConnectOptions> connect_options(const ClientOptions& options);

// The outcome of connecting: the client, or what to tell the user.
struct Connection {
    std::unique_ptr<PgClient> client;
    std::string error;  // "cannot connect to ...", "FATAL:  password ..."
    std::optional<server::PgNotice> server_error;  // when the server refused the login
    int exit_code = 0;                             // kExitUsage for failures
};
Connection connect_client(const ClientOptions& options, std::atomic<bool>* cancel = nullptr);

// SQL quoting: "name" (doubling '"') and 'text' (doubling '\'').
std::string quote_identifier(std::string_view name);
std::string quote_literal(std::string_view text);

// Prints a connection failure to stderr as "kmb COMMAND: ERROR" with a hint for the common
// cases; with `json` also one {"error": {...}} object on stdout.
void report_connection_error(const Connection& connection, const std::string& command, bool json);

// Runs one statement of an admin command (`kmb tenant`, `kmb user`). On an SQL error prints it
// to stderr as "kmb COMMAND: ERROR:  ..." (and as JSON on stdout with `json`) and returns
// nullopt with *exit_code = 1; on a lost connection 2. The statement text is not echoed (it may
// hold a password verifier).
std::optional<PgStatementResult> run_admin_statement(PgClient& client, const std::string& sql,
                                                     const std::string& command, bool json,
                                                     int* exit_code);

}  // namespace kb::cli
