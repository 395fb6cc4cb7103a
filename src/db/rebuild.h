// Rebuilding the store from the log (`kmb rebuild`): the store is a derived view, so it can
// always be thrown away and derived again by replaying every op.
//
// The old store is moved aside (DIR/rebuild-old/store), a fresh one is built by opening the
// database over it (which replays the whole log), and the result is checked against the old
// one when the old one can still be read: the state hash after replaying up to the old
// store's checkpoint position must equal the hash that checkpoint recorded. On success the old
// store is removed (kept with keep_old); on a mismatch it is kept and the report says so.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::db {

struct RebuildOptions {
    std::string data_dir;
    std::string key_dir;  // where master.key is
    bool keep_old = false;
    // Called now and then while replaying: (ops replayed, ops to replay).
    std::function<void(u64, u64)> progress{};
};

struct RebuildReport {
    Position applied{};  // the rebuilt store's position (the log's durable tail)
    InternalHash state_hash{};
    u64 ops_replayed = 0;
    // The old store's checkpoint, if it could be read, and whether the rebuild matched it.
    std::optional<Position> old_applied{};
    bool matched = false;
    std::string old_store_problem{};  // why the old store could not be compared, if it could not
    std::string old_store_kept_at{};  // where the old store is, when it was kept
};

Result<RebuildReport> rebuild_store(const RebuildOptions& options);

}  // namespace kb::db
