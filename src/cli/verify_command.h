// `kmb verify`: checks a data directory's log end to end (storage/verifier.h) and says whether
// it is intact, and if not, the first bad place.
//
//     kmb verify --data-dir DIR [--digest FILE] [--trusted-keys FILE] [--json]
//
// Exit status: 0 intact, 1 damage found (the first bad place is named), 2 usage or IO errors
// (unreadable directory or file, malformed digest or trusted-keys file, unsupported format).
// The data directory is opened read-only and no lock is taken, so it runs beside a live
// server. A progress bar is drawn on stderr when it is a terminal; --json prints one JSON
// object on stdout for scripts instead of the human summary.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace kb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDamaged = 1;  // also: nothing to export (kmb digest)
inline constexpr int kExitUsage = 2;    // usage, IO, malformed input files

struct VerifyCommandOptions {
    std::string data_dir = "./data";
    std::string digest_path;        // empty: none
    std::string trusted_keys_path;  // empty: none
    bool json = false;
};

// Declares the subcommand and its options on `app`; the parsed values land in `*options`.
CLI::App* add_verify_command(CLI::App& app, VerifyCommandOptions* options);

// Runs it; returns the exit status. Never throws.
int run_verify_command(const VerifyCommandOptions& options);

// Reads a small text file (trusted keys, a digest) whole. invalid_argument beyond `max_bytes`.
// Shared by the commands.
struct TextFile {
    bool ok = false;
    std::string text;
    std::string error;  // what went wrong, naming the path
};
TextFile read_text_file(const std::string& path, std::size_t max_bytes);

}  // namespace kb::cli
