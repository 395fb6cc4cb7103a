// client_options.h: the client commands' shared options, the password prompt and connecting.
#include "cli/client_options.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/sql_output.h"
#include "cli/verify_command.h"

namespace kb::cli {

void add_client_options(CLI::App* command, ClientOptions* options) {
    command->add_option("--server", options->server, "Server address HOST:PORT")
        ->capture_default_str();
    command->add_option("--user", options->user, "Role to log in as")->capture_default_str();
    command->add_option("--tenant", options->tenant, "Tenant (database) to connect to")
        ->capture_default_str();
    command
        ->add_option("--tls", options->tls,
                     "TLS: prefer (use it when the server offers it), require, disable")
        ->capture_default_str();
    command->add_option("--tls-ca", options->tls_ca,
                        "PEM certificate(s) to verify the server against (e.g. the server's "
                        "DATA_DIR/tls/server.crt); without it TLS is not verified");
}

bool can_prompt() { return isatty(STDIN_FILENO) != 0 || isatty(STDERR_FILENO) != 0; }

Result<std::string> prompt_password(const std::string& prompt) {
    if (!can_prompt()) {
        return Status::unsupported("no terminal to ask for the password on");
    }
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) return Status::unsupported("no terminal to ask for the password on");
    termios saved{};
    const bool have_termios = tcgetattr(tty, &saved) == 0;
    if (have_termios) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    (void)!::write(tty, prompt.data(), prompt.size());
    std::string line;
    bool ended = false;
    char c = 0;
    for (;;) {
        const ssize_t got = ::read(tty, &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (c == '\n' || c == '\r') {
            ended = true;
            break;
        }
        line += c;
    }
    if (have_termios) tcsetattr(tty, TCSAFLUSH, &saved);
    ::close(tty);
    if (!ended && line.empty()) return Status::invalid_argument("no password entered");
    return line;
}

Result<PgConnectOptions> connect_options(const ClientOptions& options) {
    PgConnectOptions out;
    auto address = parse_host_port(options.server, 5432);
    if (!address) return address.status().with_context("--server");
    out.host = address->host;
    out.port = address->port;
    auto tls = parse_tls_mode(options.tls);
    if (!tls) return tls.status();
    out.tls = *tls;
    out.tls_ca_file = options.tls_ca;
    if (out.tls == TlsMode::disable && !options.tls_ca.empty()) {
        return Status::invalid_argument("--tls-ca needs TLS (not --tls disable)");
    }
    if (options.user.empty()) return Status::invalid_argument("--user is empty");
    if (options.tenant.empty()) return Status::invalid_argument("--tenant is empty");
    out.user = options.user;
    out.database = options.tenant;
    const std::string user = options.user;
    out.password = [user]() -> Result<std::string> {
        if (const char* from_env = std::getenv("KMB_PASSWORD")) return std::string(from_env);
        auto typed = prompt_password("Password for user " + user + ": ");
        if (!typed && typed.status().code() == StatusCode::unsupported) {
            return Status::invalid_argument(
                "the server asks for a password: set KMB_PASSWORD, or run on a terminal to "
                "be asked");
        }
        return typed;
    };
    return out;
}

Connection connect_client(const ClientOptions& options, std::atomic<bool>* cancel) {
    Connection out;
    auto connect = connect_options(options);
    if (!connect) {
        out.error = connect.status().message();
        out.exit_code = kExitUsage;
        return out;
    }
    connect->cancel_requested = cancel;
    server::PgNotice server_error;
    server_error.severity.clear();
    auto client = PgClient::connect(*connect, &server_error);
    if (!client) {
        out.error = client.status().message();
        if (!server_error.severity.empty()) out.server_error = server_error;
        out.exit_code = kExitUsage;
        return out;
    }
    out.client = std::move(*client);
    return out;
}

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

void report_connection_error(const Connection& connection, const std::string& command, bool json) {
    std::string hint;
    if (connection.server_error) {
        const std::string& code = connection.server_error->sqlstate;
        if (code == "28P01") {
            hint =
                "check the user and KMB_PASSWORD (the first admin password is "
                "KMB_ADMIN_PASSWORD of the server's first start, or DATA_DIR/admin-password)";
        } else if (code == "3D000") {
            hint = "create the tenant with `kmb tenant create NAME`, or pick one with --tenant";
        } else if (code == "42501") {
            hint = "an admin can allow it with `kmb user grant USER --tenant TENANT`";
        }
    }
    std::fprintf(stderr, "kmb %s: %s\n", command.c_str(), connection.error.c_str());
    if (!hint.empty() && connection.server_error && connection.server_error->hint.empty()) {
        std::fprintf(stderr, "HINT:  %s\n", hint.c_str());
    }
    if (json) {
        server::PgNotice notice;
        if (connection.server_error) {
            notice = *connection.server_error;
        } else {
            notice.severity = "FATAL";
            notice.sqlstate = "08001";  // sqlclient_unable_to_establish_sqlconnection
            notice.message = connection.error;
        }
        std::printf("%s\n", error_to_json(notice, {})
                                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                                .c_str());
        std::fflush(stdout);
    }
}

std::optional<PgStatementResult> run_admin_statement(PgClient& client, const std::string& sql,
                                                     const std::string& command, bool json,
                                                     int* exit_code) {
    auto results = client.query(sql);
    if (!results || results->empty()) {
        const std::string message =
            results ? std::string("the server sent no result") : results.status().message();
        std::fprintf(stderr, "kmb %s: %s\n", command.c_str(), message.c_str());
        if (json) {
            server::PgNotice notice;
            notice.severity = "FATAL";
            notice.sqlstate = "08006";  // connection_failure
            notice.message = message;
            std::printf("%s\n", error_to_json(notice, {})
                                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                                    .c_str());
            std::fflush(stdout);
        }
        *exit_code = kExitUsage;
        return std::nullopt;
    }
    PgStatementResult& result = results->back();
    if (result.error) {
        std::fputs(format_server_message(*result.error, {}, "kmb " + command + ": ").c_str(),
                   stderr);
        if (json) {
            std::printf("%s\n", error_to_json(*result.error, {})
                                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                                    .c_str());
            std::fflush(stdout);
        }
        *exit_code = kExitSqlError;
        return std::nullopt;
    }
    if (!json) {
        for (const server::PgNotice& notice : result.notices) {
            std::fputs(format_server_message(notice, {}).c_str(), stderr);
        }
    }
    *exit_code = kExitOk;
    return std::move(result);
}

void add_admin_options(CLI::App* command, ClientOptions* options, bool* json) {
    add_client_options(command, options);
    command->add_flag("--json", *json, "Print one JSON object on stdout for scripts");
}

}  // namespace kb::cli
