// Rebuilding the store from the log (see rebuild.h).
#include "db/rebuild.h"

#include <filesystem>

#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/engine.h"
#include "db/genesis.h"
#include "db/key_manager.h"
#include "io/asio_event_loop.h"
#include "io/clock.h"
#include "io/linux_storage.h"
#include "kernel/kernel.h"
#include "kernel/permissions.h"
#include "store/store.h"

namespace kb::db {

namespace {

constexpr std::string_view kOldDir = "rebuild-old";

// What the old store's last checkpoint recorded.
struct OldCheckpoint {
    Position applied;
    kernel::StateHash state_hash;
};

// Reads the old store's checkpoint (position and state hash) under DIR/rebuild-old. Needs only
// the system page key, which the genesis record gives.
Result<OldCheckpoint> read_old_checkpoint(io::EventLoop& loop, const std::string& old_root,
                                          const crypto::MasterKeyProvider& master,
                                          const Genesis& genesis, crypto::RandomSource& random) {
    KeyManager keys(master);
    KB_TRY(keys.set_system_root(genesis.system_root));
    auto storage = KB_TRY(io::LinuxStorage::open(
        loop, io::LinuxStorageOptions{.root = old_root, .read_only = true, .io_threads = 2}));
    auto store = KB_TRY(store::Store::open(*storage, loop, {}, keys.page_keys(), random));
    OldCheckpoint old{.applied = store->applied(), .state_hash = {}};
    old.state_hash = KB_TRY(kernel::state_hash_in_meta(store->meta()));
    return old;
}

Result<Genesis> genesis_of(io::Storage& storage, io::EventLoop& loop) {
    storage::LogOptions options;
    options.zero_fill_segments = false;
    auto log = KB_TRY(storage::Log::open(storage, loop, options));
    if (log->last_position() == Position::none()) {
        return Status::not_found("the log is empty: nothing to rebuild from");
    }
    return read_genesis(*log);
}

}  // namespace

Result<RebuildReport> rebuild_store(const RebuildOptions& options) {
    RebuildReport report;
    io::AsioEventLoop loop;
    crypto::SystemRandom random;
    io::LinuxClock clock;
    if (!std::filesystem::exists(std::filesystem::path(options.key_dir) / "master.key")) {
        return Status::not_found("no master.key in " + options.key_dir +
                                 ": the store cannot be rebuilt without the cluster's keys");
    }
    auto master = KB_TRY(crypto::FileMasterKeyProvider::open(options.key_dir, random));
    auto storage =
        KB_TRY(io::LinuxStorage::open(loop, io::LinuxStorageOptions{.root = options.data_dir}));
    KB_TRY(storage->lock_exclusive().with_context("locking " + options.data_dir));
    const Genesis genesis = KB_TRY(genesis_of(*storage, loop));

    // Move the old store aside and read what its checkpoint recorded.
    if (KB_TRY(storage->exists(kOldDir))) {
        return Status::already_exists(
            options.data_dir + "/" + std::string(kOldDir) +
            " exists (left by an earlier rebuild): remove it, or move it back to store/");
    }
    std::optional<OldCheckpoint> old;
    if (KB_TRY(storage->exists("store"))) {
        KB_TRY(storage->create_directory(kOldDir));
        KB_TRY(storage->rename("store", std::string(kOldDir) + "/store"));
        KB_TRY(storage->sync_directory(""));
        KB_TRY(storage->sync_directory(kOldDir));
        report.old_store_kept_at = storage->root() + "/" + std::string(kOldDir);
        auto read = read_old_checkpoint(loop, report.old_store_kept_at, *master, genesis, random);
        if (read) {
            old = *read;
            report.old_applied = old->applied;
        } else if (read.error().code() == StatusCode::unsupported) {
            // A store of an older layout (kernel meta version) has nothing comparable: its
            // hash was computed another way. Replacing it is what the rebuild is for.
            report.old_store_problem =
                "it is of an older layout than this build's, which the rebuilt store replaces: " +
                read.error().message();
        } else {
            report.old_store_problem = read.error().to_string();
        }
    } else {
        report.old_store_problem = "there was no store";
    }

    // Replay the whole log into a fresh store, comparing at the old checkpoint's position.
    kernel::GrantPermissions permissions;
    EngineOptions engine_options;
    engine_options.log.zero_fill_segments = false;
    u64 replayed = 0;
    engine_options.replay_at_open = true;
    engine_options.after_replayed_op = [&](Position position, const kernel::Kernel& kernel) {
        ++replayed;
        if (options.progress && replayed % 1024 == 0) options.progress(replayed, 0);
        if (old && position == old->applied)
            report.matched = kernel.state_hash() == old->state_hash;
        return Status::ok();
    };
    auto opened = Engine::open(*storage, loop, *master, random, clock, permissions,
                               std::move(engine_options));
    if (!opened) {
        if (report.old_store_kept_at.empty()) return opened.error();
        return opened.error().with_context("rebuilding (the old store is kept at " +
                                           report.old_store_kept_at + ")");
    }
    auto engine = std::move(*opened);
    if (old && old->applied <= Position(1)) {
        report.matched = old->state_hash == kernel::StateHash();  // nothing was ever applied
    }
    report.ops_replayed = replayed;
    report.applied = engine->applied_position();
    report.state_hash = engine->kernel().state_hash().digest();
    KB_TRY(engine->close());
    engine.reset();

    if (old && report.matched && !options.keep_old) {
        std::error_code error;
        std::filesystem::remove_all(report.old_store_kept_at, error);
        if (!error) report.old_store_kept_at.clear();
    }
    return report;
}

}  // namespace kb::db
