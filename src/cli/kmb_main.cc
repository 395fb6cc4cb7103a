// kmb: the Kimberlite command-line tool.
//
// Subcommands arrive with the issues that build them (server, sql, ...); this build has
// `verify` and `digest` for the log. Exit statuses are shared by all subcommands: 0 success,
// 1 the data is damaged (or there is nothing to export), 2 usage or IO errors.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/digest_command.h"
#include "cli/rebuild_command.h"
#include "cli/verify_command.h"

int main(int argc, char** argv) {
    CLI::App app{
        "kmb - Kimberlite, a compliance-first database.\n"
        "\n"
        "All data is an immutable, hash-chained log; all state is a derived view.\n"
        "This build has the log tools (verify, digest) and rebuilding the derived state\n"
        "from the log (rebuild); the server and SQL shell arrive in later releases.",
        "kmb"};
    app.require_subcommand(0, 1);
    bool show_version = false;
    app.add_flag("--version", show_version, "Print the version and exit");

    auto* version = app.add_subcommand("version", "Print the version and exit");
    kb::cli::VerifyCommandOptions verify_options;
    auto* verify = kb::cli::add_verify_command(app, &verify_options);
    kb::cli::DigestCommandOptions digest_options;
    auto* digest = kb::cli::add_digest_command(app, &digest_options);
    kb::cli::RebuildCommandOptions rebuild_options;
    auto* rebuild = kb::cli::add_rebuild_command(app, &rebuild_options);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // --help and friends exit 0; every real parse error is a usage error (2).
        const int code = app.exit(error);
        return code == 0 ? 0 : kb::cli::kExitUsage;
    }
    if (show_version || version->parsed()) {
        std::printf("kmb %s\n", KB_VERSION);
        return 0;
    }
    if (verify->parsed()) return kb::cli::run_verify_command(verify_options);
    if (digest->parsed()) return kb::cli::run_digest_command(digest_options);
    if (rebuild->parsed()) return kb::cli::run_rebuild_command(rebuild_options);
    std::fputs(app.help().c_str(), stdout);
    return 0;
}
