// `kmb digest` (see digest_command.h).
#include "cli/digest_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/attest_command.h"
#include "cli/progress.h"
#include "cli/verify_command.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "storage/digest.h"
#include "storage/verifier.h"

namespace kb::cli {

namespace {

int fail_with(int code, const std::string& message) {
    std::fprintf(stderr, "kmb digest: %s\n", message.c_str());
    return code;
}

int run(const DigestCommandOptions& options) {
    io::AsioEventLoop loop;
    auto storage = io::LinuxStorage::open(
        loop,
        io::LinuxStorageOptions{.root = options.data_dir, .read_only = true, .io_threads = 1});
    if (!storage) return fail_with(kExitUsage, storage.error().message());
    const std::string root = (*storage)->root();

    storage::VerifyOptions verify;
    ProgressBar progress("verifying");
    if (progress.enabled()) {
        verify.progress = [&progress](u64 done, u64 total) { progress.update(done, total); };
    }
    const storage::VerifyReport report = storage::verify_log(**storage, verify);
    progress.finish();
    if (!report.error.is_ok()) {
        return fail_with(kExitUsage,
                         "cannot read the log of " + root + ": " + report.error.message());
    }
    if (report.failure) {
        storage::VerifyFailure shown = *report.failure;
        shown.file = root + "/" + shown.file;
        return fail_with(kExitDamaged,
                         "the log is damaged, not exporting a digest: " + shown.to_string());
    }
    if (!report.newest_attestation) {
        return fail_with(kExitDamaged,
                         report.attestations_checked == 0
                             ? "the log of " + root + " holds no attestation to export (" +
                                   std::to_string(report.records) + " records)"
                             : "the log's attestations are all beyond its durable mark (not "
                               "yet acknowledged): try again later");
    }

    const storage::AttestationFound& found = *report.newest_attestation;
    storage::Digest digest;
    digest.statement = found.statement;
    digest.attestation_position = found.record_position;
    digest.signatures = found.signatures;
    const std::string text = storage::encode_digest_json(digest);
    if (options.output_path.empty()) {
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
        return kExitOk;
    }
    std::string error;
    if (!write_file_atomically(options.output_path, text, &error)) {
        return fail_with(kExitUsage, error);
    }
    std::fprintf(stderr,
                 "kmb digest: wrote the attestation at position %s (of position %s, %zu "
                 "signature%s) to %s\n",
                 to_string(found.record_position).c_str(),
                 to_string(found.statement.position).c_str(), found.signatures.size(),
                 found.signatures.size() == 1 ? "" : "s", options.output_path.c_str());
    return kExitOk;
}

// Server mode: what a running server exports.
int run_from_server(const DigestCommandOptions& options) {
    int exit_code = kExitOk;
    auto fetched =
        fetch_digest(options.client, "SELECT kimberlite_digest()", "digest", false, &exit_code);
    if (!fetched) return exit_code;
    if (options.output_path.empty()) {
        std::fputs(fetched->text.c_str(), stdout);
        std::fflush(stdout);
        return kExitOk;
    }
    std::string error;
    if (!write_file_atomically(options.output_path, fetched->text, &error)) {
        return fail_with(kExitUsage, error);
    }
    const storage::Digest& digest = fetched->digest;
    std::fprintf(stderr,
                 "kmb digest: wrote the attestation at position %s (of position %s, %zu "
                 "signature%s) from %s to %s\n",
                 to_string(digest.attestation_position).c_str(),
                 to_string(digest.statement.position).c_str(), digest.signatures.size(),
                 digest.signatures.size() == 1 ? "" : "s", options.client.server.c_str(),
                 options.output_path.c_str());
    return kExitOk;
}

bool given(const CLI::App* command, const char* name) {
    return command != nullptr && command->get_option(name)->count() > 0;
}

}  // namespace

bool write_file_atomically(const std::string& path, const std::string& text, std::string* error) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            *error = "cannot create " + temporary;
            return false;
        }
        out << text;
        out.flush();
        if (!out) {
            *error = "cannot write " + temporary;
            return false;
        }
    }
    std::error_code code;
    std::filesystem::rename(temporary, path, code);
    if (code) {
        *error = "cannot rename " + temporary + " to " + path + ": " + code.message();
        std::filesystem::remove(temporary, code);
        return false;
    }
    return true;
}

CLI::App* add_digest_command(CLI::App& app, DigestCommandOptions* options) {
    CLI::App* command = app.add_subcommand(
        "digest",
        "Export the newest attestation of a log, with its co-signatures, as a JSON digest for a "
        "third party to keep (`kmb verify --digest` later proves a log extends it): from a data "
        "directory, or from a running server with the client options. Exit 0 exported, 1 "
        "damaged log or nothing to export (or the server refused), 2 usage, IO or connection "
        "error.");
    command->footer(
        "Examples:\n"
        "  kmb digest --data-dir ./data -o digest.json\n"
        "  KMB_PASSWORD=... kmb digest --server 127.0.0.1:5432 -o digest.json\n\n"
        "Client options (--server, --user, --tenant, --tls, --tls-ca) select a running server; "
        "they do not mix with --data-dir.");
    options->command = command;
    command->add_option("--data-dir", options->data_dir, "Data directory to read")
        ->capture_default_str();
    command->add_option("-o,--output", options->output_path,
                        "Write the digest to this file (default: stdout)");
    add_client_options(command, &options->client);
    return command;
}

int run_digest_command(const DigestCommandOptions& options) {
    try {
        const bool server = given(options.command, "--server") ||
                            given(options.command, "--user") ||
                            given(options.command, "--tenant") || given(options.command, "--tls") ||
                            given(options.command, "--tls-ca");
        if (server && given(options.command, "--data-dir")) {
            return fail_with(kExitUsage,
                             "give either --data-dir (read a data directory) or the client "
                             "options (--server ...: ask a running server), not both");
        }
        if (server) return run_from_server(options);
        return run(options);
    } catch (const std::exception& error) {
        return fail_with(kExitUsage, std::string("internal error: ") + error.what());
    }
}

}  // namespace kb::cli
