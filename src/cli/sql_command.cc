// `kmb sql` (sql_command.h): options, the statement loop over a line source, backslash
// commands, and printing results.
#include "cli/sql_command.h"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "cli/line_reader.h"
#include "cli/sql_output.h"
#include "cli/sql_splitter.h"
#include "cli/verify_command.h"

namespace kb::cli {

namespace {

using Json = nlohmann::ordered_json;

std::atomic<bool> g_interrupt{false};

extern "C" void on_sigint(int) { g_interrupt.store(true); }

// Ctrl-C interrupts blocking reads (no SA_RESTART) so the prompt can drop the line and a
// running statement can be cancelled.
void install_sigint_handler() {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, nullptr);
}

std::string dump(const Json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view trim_left(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    return text;
}

std::string_view trim(std::string_view text) {
    text = trim_left(text);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

enum class Outcome : unsigned char { ok, sql_error, usage_error, fatal };

int exit_code(Outcome outcome) {
    switch (outcome) {
        case Outcome::ok:
            return kExitOk;
        case Outcome::sql_error:
            return kExitSqlError;
        default:
            return kExitUsage;
    }
}

// The worse of two outcomes (fatal > usage > sql error > ok).
Outcome worse(Outcome a, Outcome b) {
    return static_cast<unsigned char>(a) > static_cast<unsigned char>(b) ? a : b;
}

constexpr const char* kHelpText =
    "General\n"
    "  \\q                     quit (also: quit, exit, Ctrl-D)\n"
    "  \\timing [on|off]       show how long each statement takes\n"
    "  \\conninfo              show the server, tenant, user and TLS in use\n"
    "  \\echo TEXT             print TEXT\n"
    "  \\?                     this help\n"
    "\n"
    "Statements end with ';' (outside quotes, dollar quotes, comments and parentheses) and\n"
    "may span lines. Ctrl-C drops the statement being typed, or asks the server to cancel\n"
    "the one running. COPY ... FROM STDIN reads the lines that follow, up to \\.\n";

class Shell {
public:
    Shell(PgClient& client, const SqlCommandOptions& options, bool interactive)
        : client_(client),
          json_(options.json),
          timing_(options.timing),
          keep_going_(options.keep_going),
          interactive_(interactive) {}

    bool quit() const { return quit_; }

    void print_banner() const {
        std::string security = client_.tls() ? client_.tls_version() : std::string("no TLS");
        security += ", " + client_.auth_method();
        std::printf("kmb sql %s (server %s): tenant \"%s\" as %s at %s:%u (%s)\n", KB_VERSION,
                    client_.parameter("server_version").c_str(), client_.options().database.c_str(),
                    client_.options().user.c_str(), client_.options().host.c_str(),
                    static_cast<unsigned>(client_.options().port), security.c_str());
        std::printf("Type \\? for help, \\q to quit.\n\n");
        std::fflush(stdout);
    }

    // Sends `sql` as one Query and prints its results. COPY FROM STDIN data comes from
    // `copy_source` (nullptr: refused).
    Outcome run_sql(std::string_view sql, const std::string& prefix, LineReader* copy_source) {
        PgCopyHooks hooks;
        if (copy_source != nullptr) {
            hooks.copy_in = [this, copy_source]() -> Result<std::optional<std::string>> {
                if (interactive_ && !copy_prompted_) {
                    std::printf(
                        "Enter data to be copied followed by a newline.\n"
                        "End with a backslash and a period on a line by itself, or an EOF "
                        "signal.\n");
                    std::fflush(stdout);
                    copy_prompted_ = true;
                }
                LineInput input = copy_source->read_line(interactive_ ? ">> " : "");
                if (input.kind == LineInput::Kind::interrupted) {
                    return Status::invalid_argument("canceled by user");
                }
                if (input.kind == LineInput::Kind::end) return std::optional<std::string>();
                ++copy_lines_;
                if (input.text == "\\.") return std::optional<std::string>();
                return std::optional<std::string>(input.text + "\n");
            };
        }
        if (!json_) {
            hooks.copy_out = [](std::string_view data) {
                std::fwrite(data.data(), 1, data.size(), stdout);
            };
        }
        copy_prompted_ = false;
        const auto start = std::chrono::steady_clock::now();
        auto results = client_.query(sql, hooks);
        const double elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (!results) {
            std::fflush(stdout);
            std::fprintf(stderr, "kmb sql: %s%s\n", prefix.c_str(),
                         results.status().message().c_str());
            if (json_) {
                server::PgNotice notice;
                notice.severity = "FATAL";
                notice.sqlstate = "08006";  // connection_failure
                notice.message = results.status().message();
                std::printf("%s\n", dump(error_to_json(notice, sql)).c_str());
            }
            std::fflush(stdout);
            return Outcome::fatal;
        }
        Outcome outcome = Outcome::ok;
        for (const PgStatementResult& result : *results) {
            if (result.error) outcome = Outcome::sql_error;
            if (json_) {
                print_json(result, sql, elapsed_ms);
            } else {
                print_human(result, sql, prefix);
            }
        }
        if (timing_ && !json_) std::printf("Time: %.3f ms\n", elapsed_ms);
        std::fflush(stdout);
        return outcome;
    }

    // A backslash command (or quit / exit / help typed alone in the interactive shell).
    Outcome run_meta(std::string_view line, const std::string& prefix) {
        line = trim(line);
        std::string_view command = line;
        std::string_view argument;
        const std::size_t space = line.find_first_of(" \t");
        if (space != std::string_view::npos) {
            command = line.substr(0, space);
            argument = trim(line.substr(space + 1));
        }
        if (command == "\\q" || command == "\\quit" || command == "quit" || command == "exit") {
            quit_ = true;
            return Outcome::ok;
        }
        if (command == "\\?" || command == "help") {
            std::fputs(kHelpText, stdout);
            std::fflush(stdout);
            return Outcome::ok;
        }
        if (command == "\\timing") {
            if (argument.empty()) {
                timing_ = !timing_;
            } else if (argument == "on") {
                timing_ = true;
            } else if (argument == "off") {
                timing_ = false;
            } else {
                std::fprintf(stderr, "kmb sql: %s\\timing: expected on or off, not \"%.*s\"\n",
                             prefix.c_str(), static_cast<int>(argument.size()), argument.data());
                return Outcome::usage_error;
            }
            if (!json_) std::printf("Timing is %s.\n", timing_ ? "on" : "off");
            std::fflush(stdout);
            return Outcome::ok;
        }
        if (command == "\\conninfo") {
            std::printf("Connected to tenant \"%s\" as user \"%s\" at %s:%u, %s%s%s.\n",
                        client_.options().database.c_str(), client_.options().user.c_str(),
                        client_.options().host.c_str(),
                        static_cast<unsigned>(client_.options().port),
                        client_.tls() ? "TLS " : "no TLS",
                        client_.tls() ? client_.tls_version().c_str() : "",
                        (", authenticated with " + client_.auth_method()).c_str());
            std::fflush(stdout);
            return Outcome::ok;
        }
        if (command == "\\echo") {
            std::printf("%.*s\n", static_cast<int>(argument.size()), argument.data());
            std::fflush(stdout);
            return Outcome::ok;
        }
        std::fprintf(stderr, "kmb sql: %sinvalid command %.*s. Try \\? for help.\n", prefix.c_str(),
                     static_cast<int>(command.size()), command.data());
        return Outcome::usage_error;
    }

    // Runs the statements and backslash commands of `reader` (a script named `name`, or the
    // terminal).
    Outcome run_reader(LineReader& reader, const std::string& name) {
        SqlSplitter splitter;
        std::string history_entry;
        Outcome worst = Outcome::ok;
        auto prefix = [&](int line) {
            return name.empty() ? std::string() : name + ":" + std::to_string(line) + ": ";
        };
        // Runs what the splitter has complete; false when the reader must stop.
        int line_number = 0;
        auto run_ready = [&]() {
            while (auto statement = splitter.next()) {
                copy_lines_ = 0;
                const Outcome outcome =
                    run_sql(statement->text, prefix(statement->first_line), &reader);
                // COPY FROM STDIN data lines were read past the splitter.
                splitter.skip_lines(copy_lines_);
                line_number += copy_lines_;
                worst = worse(worst, outcome);
                if (outcome == Outcome::fatal) return false;
                if (outcome != Outcome::ok && !interactive_ && !keep_going_) return false;
            }
            return true;
        };
        for (;;) {
            LineInput input = reader.read_line(interactive_ ? prompt(splitter) : std::string());
            if (input.kind == LineInput::Kind::interrupted) {
                splitter.reset_current();
                history_entry.clear();
                continue;
            }
            if (input.kind == LineInput::Kind::end) break;
            ++line_number;
            if (!splitter.in_statement()) {
                const std::string_view word = trim(input.text);
                const bool meta = !word.empty() && word.front() == '\\';
                const bool bare = interactive_ && (word == "quit" || word == "exit" ||
                                                   word == "help" || word == "\\q");
                if (meta || bare) {
                    splitter.feed("\n");  // keeps the line count
                    reader.add_history(std::string(word));
                    const Outcome outcome = run_meta(word, prefix(line_number));
                    worst = worse(worst, outcome);
                    if (quit_) break;
                    if (outcome != Outcome::ok && !interactive_ && !keep_going_) return worst;
                    continue;
                }
            }
            splitter.feed(input.text);
            splitter.feed("\n");
            if (!trim(input.text).empty() || !history_entry.empty()) {
                history_entry += (history_entry.empty() ? "" : "\n") + input.text;
            }
            if (!run_ready()) return worst;
            if (!splitter.in_statement() && !history_entry.empty()) {
                reader.add_history(history_entry);
                history_entry.clear();
            }
        }
        if (!interactive_ && !quit_) {
            // A last statement without ';' runs too (psql does the same with a script).
            if (auto last = splitter.finish()) {
                const Outcome outcome = run_sql(last->text, prefix(last->first_line), &reader);
                worst = worse(worst, outcome);
            }
        }
        return worst;
    }

private:
    std::string prompt(const SqlSplitter& splitter) const {
        std::string text = client_.options().database;
        text += splitter.in_statement() ? splitter.state_char() : '=';
        switch (client_.transaction_status()) {
            case server::PgTransactionStatus::in_transaction:
                text += '*';
                break;
            case server::PgTransactionStatus::failed:
                text += '!';
                break;
            default:
                break;
        }
        return text + "> ";
    }

    void print_human(const PgStatementResult& result, std::string_view sql,
                     const std::string& prefix) {
        if (!result.notices.empty()) {
            std::fflush(stdout);
            for (const server::PgNotice& notice : result.notices) {
                std::fputs(format_server_message(notice, sql).c_str(), stderr);
            }
        }
        if (result.error) {
            std::fflush(stdout);
            std::fputs(format_server_message(*result.error, sql, prefix).c_str(), stderr);
            return;
        }
        if (result.has_rows) {
            std::fputs(format_aligned(result).c_str(), stdout);
            std::fputs("\n", stdout);
        } else if (!result.tag.empty()) {
            std::printf("%s\n", result.tag.c_str());
        }
    }

    void print_json(const PgStatementResult& result, std::string_view sql, double elapsed_ms) {
        if (result.empty_query) return;
        Json out;
        if (result.error) {
            out = error_to_json(*result.error, sql);
            if (!result.notices.empty()) {
                Json notices = Json::array();
                for (const auto& notice : result.notices) notices.push_back(notice_to_json(notice));
                out["notices"] = std::move(notices);
            }
        } else {
            out = result_to_json(result);
        }
        if (timing_) out["time_ms"] = elapsed_ms;
        std::printf("%s\n", dump(out).c_str());
    }

    PgClient& client_;
    bool json_;
    bool timing_;
    bool keep_going_;
    bool interactive_;
    bool quit_ = false;
    bool copy_prompted_ = false;
    int copy_lines_ = 0;  // lines the running COPY FROM STDIN read from the script
};

}  // namespace

CLI::App* add_sql_command(CLI::App& app, SqlCommandOptions* options) {
    auto* command = app.add_subcommand(
        "sql", "SQL shell over the PostgreSQL wire protocol (interactive, -c, -f, scripts)");
    command->footer(
        "Interactive when stdin is a terminal (history, multi-line statements, \\q \\timing "
        "\\?);\notherwise runs -c / -f in the order given, or the script on stdin, stopping at "
        "the first\nfailing statement. The password is KMB_PASSWORD, else asked for on the "
        "terminal.\n"
        "\n"
        "Examples:\n"
        "  kmb sql                                  # interactive: tenant 'default' as admin\n"
        "  kmb sql --tenant shop --user app\n"
        "  kmb sql -c 'SELECT count(*) FROM orders'\n"
        "  kmb sql -f schema.sql -f seed.sql\n"
        "  kmb sql < migrate.sql\n"
        "  kmb sql --json -c 'SELECT * FROM t' | jq .rows\n"
        "\n"
        "Exit status: 0 ok, 1 a statement failed (SQL error), 2 usage, file or connection "
        "error.");
    add_client_options(command, &options->client);
    auto* actions = &options->actions;
    command
        ->add_option_function<std::string>(
            "-c,--command",
            [actions](const std::string& text) {
                actions->push_back({'c', text});
            },
            "Run this SQL (may repeat; one message: its statements run as one transaction)")
        ->trigger_on_parse()
        ->type_name("SQL");
    command
        ->add_option_function<std::string>(
            "-f,--file",
            [actions](const std::string& path) {
                actions->push_back({'f', path});
            },
            "Run the statements of this file ('-' for stdin; may repeat)")
        ->trigger_on_parse()
        ->type_name("FILE");
    command->add_flag("--json", options->json,
                      "One JSON object per statement on stdout (errors included) for scripts");
    command->add_flag("--timing", options->timing, "Show each statement's time (as \\timing)");
    command->add_flag("--keep-going", options->keep_going,
                      "Scripts: run the remaining statements after one fails (exit 1 at the "
                      "end)");
    return command;
}

int run_sql_command(const SqlCommandOptions& options) {
    std::signal(SIGPIPE, SIG_IGN);
    const bool interactive = options.actions.empty() && isatty(STDIN_FILENO) != 0;
    if (interactive) install_sigint_handler();
    Connection connection = connect_client(options.client, interactive ? &g_interrupt : nullptr);
    if (!connection.client) {
        report_connection_error(connection, "sql", options.json);
        return connection.exit_code;
    }
    Shell shell(*connection.client, options, interactive);

    if (interactive) {
        shell.print_banner();
        std::unique_ptr<LineReader> terminal = make_terminal_reader(&g_interrupt);
        // Errors typed at the prompt were shown and are over; only a lost connection counts.
        const Outcome outcome = shell.run_reader(*terminal, "");
        return outcome == Outcome::fatal ? kExitUsage : kExitOk;
    }
    if (options.actions.empty()) {
        std::unique_ptr<LineReader> input = make_file_reader(stdin);
        return exit_code(shell.run_reader(*input, "<stdin>"));
    }
    Outcome worst = Outcome::ok;
    std::unique_ptr<LineReader> stdin_reader = make_file_reader(stdin);
    for (const auto& [kind, value] : options.actions) {
        Outcome outcome = Outcome::ok;
        if (kind == 'c') {
            const std::string_view text = trim(value);
            if (!text.empty() && text.front() == '\\') {
                outcome = shell.run_meta(text, "");
            } else {
                outcome = shell.run_sql(value, "", stdin_reader.get());
            }
        } else if (value == "-") {
            outcome = shell.run_reader(*stdin_reader, "<stdin>");
        } else {
            std::FILE* file = std::fopen(value.c_str(), "r");
            if (file == nullptr) {
                std::fprintf(stderr, "kmb sql: cannot open %s: %s\n", value.c_str(),
                             std::strerror(errno));
                outcome = Outcome::usage_error;
            } else {
                std::unique_ptr<LineReader> reader = make_file_reader(file);
                outcome = shell.run_reader(*reader, value);
                std::fclose(file);
            }
        }
        worst = worse(worst, outcome);
        if (outcome == Outcome::fatal) break;
        if (outcome != Outcome::ok && !options.keep_going) break;
        if (shell.quit()) break;
    }
    return exit_code(worst);
}

}  // namespace kb::cli
