// `kmb digest`: exports the newest attestation of a log, with all its co-signatures, as the
// digest JSON a third party keeps (storage/digest.h), from a data directory or from a running
// server.
//
//     kmb digest [--data-dir DIR] [-o FILE]                 the log in DIR (default ./data)
//     kmb digest --server HOST:PORT [client options] [-o FILE]   a running server's
//
// The mode follows the options given: any client option (--server, --user, --tenant, --tls,
// --tls-ca) asks a running server (`SELECT kimberlite_digest()`, as a superuser; the password
// from KMB_PASSWORD or the terminal), otherwise the data directory is read; both at once is a
// usage error.
//
// From a data directory the log is verified first (signatures for validity; trust is the
// keeper's business), and only an attestation at or below the durable mark is exported: one
// beyond it may still be cut by recovery. Read-only and lock-free, like `kmb verify`. A server
// exports its newest durable attestation, whose signatures are checked here before it is
// written. Exit status: 0 exported, 1 the log is damaged or holds no attestation to export
// (or the server refused), 2 usage, IO or connection errors.
#pragma once

#include <string>

#include "cli/client_options.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct DigestCommandOptions {
    std::string data_dir = "./data";
    std::string output_path;  // empty: stdout
    ClientOptions client;
    CLI::App* command = nullptr;  // to see which options were given
};

CLI::App* add_digest_command(CLI::App& app, DigestCommandOptions* options);

// Runs it; returns the exit status. Never throws.
int run_digest_command(const DigestCommandOptions& options);

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a
// file and an existing one is replaced whole. false with *error naming the file otherwise.
bool write_file_atomically(const std::string& path, const std::string& text, std::string* error);

}  // namespace kb::cli
