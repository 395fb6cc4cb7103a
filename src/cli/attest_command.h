// `kmb attest`: asks a running server to log an attestation now — its node key's signature
// over the log's newest position and chain hash — and shows it.
//
//     kmb attest [client options] [--json] [-o FILE]
//
// Over the wire protocol, as a superuser: `SELECT kimberlite_attest()` returns the digest
// document (storage/digest.h). Human output by default; --json prints the digest document on
// one line (itself a valid digest file); -o FILE also writes it to FILE, as `kmb digest` does.
// Exit statuses as client_options.h: 0 done, 1 the server refused (not a superuser 42501, no
// node key 55000: the message says which), 2 usage, connection or file errors.
#pragma once

#include <optional>
#include <string>

#include "cli/client_options.h"
#include "storage/digest.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct AttestCommandOptions {
    ClientOptions client;
    bool json = false;
    std::string output_path;  // empty: none
};

CLI::App* add_attest_command(CLI::App& app, AttestCommandOptions* options);

// Runs it; returns the exit status. Never throws.
int run_attest_command(const AttestCommandOptions& options);

// Shared with `kmb digest` in server mode: runs `sql` (one of the operations functions, which
// return the digest document as text), checks that what came back is a digest whose signatures
// verify, and returns it with its text. On failure prints why ("kmb COMMAND: ...", and as JSON
// on stdout with `json`) and sets *exit_code (1 the server refused, 2 otherwise).
struct FetchedDigest {
    storage::Digest digest;
    std::string text;  // the document as the server sent it
};
std::optional<FetchedDigest> fetch_digest(const ClientOptions& client, const std::string& sql,
                                          const std::string& command, bool json, int* exit_code);

}  // namespace kb::cli
