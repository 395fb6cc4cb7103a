// kmb: the Kimberlite command-line tool.
//
// Subcommands arrive with the issues that build them: `server`; the client commands `sql`,
// `tenant`, `user` and `attest` (over the wire protocol, cli/client_options.h); `stream` (over
// the native protocol, include/kimberlite/client.h); `verify`, `digest` and `rebuild` on a
// data directory (`digest` also from a running server). Exit statuses are shared by all
// subcommands: 0 success, 1 the data is damaged (or there is nothing to export) / the server
// refused a statement, 2 usage, IO or connection errors.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/attest_command.h"
#include "cli/digest_command.h"
#include "cli/rebuild_command.h"
#include "cli/server_command.h"
#include "cli/sql_command.h"
#include "cli/stream_command.h"
#include "cli/tenant_command.h"
#include "cli/user_command.h"
#include "cli/verify_command.h"

int main(int argc, char** argv) {
    CLI::App app{
        "kmb - Kimberlite, a compliance-first database.\n"
        "\n"
        "All data is an immutable, hash-chained log; all state is a derived view.\n"
        "Run `kmb server` and connect with any PostgreSQL client (psql, psycopg, ...) or\n"
        "`kmb sql`; `kmb tenant`, `kmb user` and `kmb attest` administer a running server;\n"
        "`kmb stream` appends to and reads event streams over the native protocol;\n"
        "verify, digest and rebuild work on a data directory directly (digest also on a\n"
        "running server).",
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
    kb::cli::ServerCommandOptions server_options;
    auto* server = kb::cli::add_server_command(app, &server_options);
    kb::cli::SqlCommandOptions sql_options;
    auto* sql = kb::cli::add_sql_command(app, &sql_options);
    kb::cli::TenantCommandOptions tenant_options;
    auto* tenant = kb::cli::add_tenant_command(app, &tenant_options);
    kb::cli::UserCommandOptions user_options;
    auto* user = kb::cli::add_user_command(app, &user_options);
    kb::cli::AttestCommandOptions attest_options;
    auto* attest = kb::cli::add_attest_command(app, &attest_options);
    kb::cli::StreamCommandOptions stream_options;
    auto* stream = kb::cli::add_stream_command(app, &stream_options);

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
    if (server->parsed()) return kb::cli::run_server_command(server_options);
    if (sql->parsed()) return kb::cli::run_sql_command(sql_options);
    if (tenant->parsed()) return kb::cli::run_tenant_command(tenant_options);
    if (user->parsed()) return kb::cli::run_user_command(user_options);
    if (attest->parsed()) return kb::cli::run_attest_command(attest_options);
    if (stream->parsed()) return kb::cli::run_stream_command(stream_options);
    std::fputs(app.help().c_str(), stdout);
    return 0;
}
