// `kmb digest`: exports the newest attestation of a data directory's log, with all its
// co-signatures, as the digest JSON a third party keeps (storage/digest.h).
//
//     kmb digest --data-dir DIR [--output FILE]
//
// The log is verified first (signatures for validity; trust is the keeper's business), and
// only an attestation at or below the durable mark is exported: one beyond it may still be
// cut by recovery. Exit status: 0 exported, 1 the log is damaged or holds no attestation to
// export, 2 usage or IO errors. Read-only and lock-free, like `kmb verify`. (A digest from a
// running server arrives with the server.)
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace kb::cli {

struct DigestCommandOptions {
    std::string data_dir = "./data";
    std::string output_path;  // empty: stdout
};

CLI::App* add_digest_command(CLI::App& app, DigestCommandOptions* options);

// Runs it; returns the exit status. Never throws.
int run_digest_command(const DigestCommandOptions& options);

}  // namespace kb::cli
