// `kmb attest` (attest_command.h), and fetching a digest from a running server.
#include "cli/attest_command.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/digest_command.h"
#include "cli/sql_output.h"
#include "cli/verify_command.h"

namespace kb::cli {

namespace {

int fail_with(const std::string& command, bool json, int code, const std::string& message) {
    std::fprintf(stderr, "kmb %s: %s\n", command.c_str(), message.c_str());
    if (json) {
        server::PgNotice notice;
        notice.severity = "ERROR";
        notice.sqlstate = "XX000";
        notice.message = message;
        print_json_line(error_to_json(notice, {}));
    }
    return code;
}

void print_human(const storage::Digest& digest) {
    std::printf("Attested position %s, chain hash %s, at %s\n",
                to_string(digest.statement.position).c_str(),
                digest.statement.chain_hash.to_hex().c_str(),
                to_string(digest.statement.timestamp).c_str());
    std::printf("Attestation record at position %s, %zu signature%s:\n",
                to_string(digest.attestation_position).c_str(), digest.signatures.size(),
                digest.signatures.size() == 1 ? "" : "s");
    for (const storage::DigestSignature& signature : digest.signatures) {
        std::printf("  %s\n", signature.public_key.to_hex().c_str());
    }
}

int run(const AttestCommandOptions& options) {
    std::signal(SIGPIPE, SIG_IGN);
    int exit_code = kExitOk;
    auto fetched = fetch_digest(options.client, "SELECT kimberlite_attest()", "attest",
                                options.json, &exit_code);
    if (!fetched) return exit_code;
    if (!options.output_path.empty()) {
        std::string error;
        if (!write_file_atomically(options.output_path, fetched->text, &error)) {
            return fail_with("attest", options.json, kExitUsage, error);
        }
    }
    if (options.json) {
        auto document = nlohmann::ordered_json::parse(fetched->text, nullptr, false);
        print_json_line(document);
    } else {
        print_human(fetched->digest);
        if (!options.output_path.empty()) {
            std::printf("Digest written to %s\n", options.output_path.c_str());
        }
    }
    return kExitOk;
}

}  // namespace

std::optional<FetchedDigest> fetch_digest(const ClientOptions& client, const std::string& sql,
                                          const std::string& command, bool json, int* exit_code) {
    Connection connection = connect_client(client);
    if (!connection.client) {
        report_connection_error(connection, command, json);
        *exit_code = connection.exit_code;
        return std::nullopt;
    }
    auto result = run_admin_statement(*connection.client, sql, command, json, exit_code);
    if (!result) return std::nullopt;
    if (result->rows.size() != 1 || result->rows[0].size() != 1 || !result->rows[0][0]) {
        *exit_code = fail_with(command, json, kExitUsage,
                               "the server's answer to " + sql + " is not one digest");
        return std::nullopt;
    }
    FetchedDigest out;
    out.text = *result->rows[0][0];
    auto digest = storage::parse_digest_json(out.text, "the server's digest");
    if (!digest) {
        *exit_code = fail_with(command, json, kExitUsage, digest.status().message());
        return std::nullopt;
    }
    if (Status signatures = storage::verify_digest_signatures(*digest); !signatures.is_ok()) {
        *exit_code = fail_with(command, json, kExitDamaged,
                               "the server's digest does not verify: " + signatures.message());
        return std::nullopt;
    }
    out.digest = std::move(*digest);
    *exit_code = kExitOk;
    return out;
}

CLI::App* add_attest_command(CLI::App& app, AttestCommandOptions* options) {
    CLI::App* command = app.add_subcommand(
        "attest",
        "Ask a running server to log an attestation now (its node key's signature over the "
        "log's newest position and chain hash) and show it. Needs a superuser.");
    command->footer(
        "Examples:\n"
        "  kmb attest\n"
        "  kmb attest --json\n"
        "  kmb attest -o digest.json        # and keep it: kmb verify --digest digest.json\n\n"
        "Exit status: 0 ok, 1 the server refused (SQLSTATE printed), 2 usage, connection or "
        "file error.");
    add_admin_options(command, &options->client, &options->json);
    command->add_option("-o,--output", options->output_path,
                        "Also write the attestation as a digest file (as kmb digest does)");
    return command;
}

int run_attest_command(const AttestCommandOptions& options) {
    try {
        return run(options);
    } catch (const std::exception& error) {
        return fail_with("attest", options.json, kExitUsage,
                         std::string("internal error: ") + error.what());
    }
}

}  // namespace kb::cli
