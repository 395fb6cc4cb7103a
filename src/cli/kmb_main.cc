// kmb: the Kimberlite command-line tool.
//
// Subcommands arrive with the issues that build them (server, sql, verify, digest, ...);
// until then this prints what exists and what is planned, so `make run` shows something true.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{
        "kmb - Kimberlite, a compliance-first database.\n"
        "\n"
        "All data is an immutable, hash-chained log; all state is a derived view.\n"
        "This build has the foundation (types, cryptography, IO seams); the server,\n"
        "SQL shell, verify and digest commands arrive in later releases.",
        "kmb"};
    app.require_subcommand(0, 1);
    bool show_version = false;
    app.add_flag("--version", show_version, "Print the version and exit");

    auto* version = app.add_subcommand("version", "Print the version and exit");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }
    if (show_version || version->parsed()) {
        std::printf("kmb %s\n", KB_VERSION);
        return 0;
    }
    std::fputs(app.help().c_str(), stdout);
    return 0;
}
