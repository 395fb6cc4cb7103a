// `kmb rebuild`: throws the store away and derives it again from the log.
//
//     kmb rebuild --data-dir DIR [--key-dir DIR] [--keep-old] [--json]
//
// Takes the data directory's lock (stop the server first). The old store is moved to
// DIR/rebuild-old and compared with the rebuilt one at its checkpoint position (state hash);
// it is removed when they match (kept with --keep-old, and always kept on a mismatch or when
// it could not be read). Exit status: 0 rebuilt (and matched, or there was nothing readable
// to compare with), 1 rebuilt but the old store's state differs from the log's, 2 usage or IO
// errors (nothing is changed when the lock, keys or log are missing).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace kb::cli {

struct RebuildCommandOptions {
    std::string data_dir = "./data";
    std::string key_dir;  // empty: KIMBERLITE_KEY_DIR, else ~/.config/kimberlite/keys
    bool keep_old = false;
    bool json = false;
};

CLI::App* add_rebuild_command(CLI::App& app, RebuildCommandOptions* options);

// Runs it; returns the exit status. Never throws.
int run_rebuild_command(const RebuildCommandOptions& options);

}  // namespace kb::cli
