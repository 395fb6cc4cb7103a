// `kmb rebuild` (see rebuild_command.h).
#include "cli/rebuild_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/verify_command.h"
#include "db/database_core.h"
#include "db/rebuild.h"

namespace kb::cli {

namespace {

int run(const RebuildCommandOptions& options) {
    db::RebuildOptions rebuild;
    rebuild.data_dir = options.data_dir;
    rebuild.key_dir = options.key_dir.empty() ? db::default_key_dir() : options.key_dir;
    rebuild.keep_old = options.keep_old;
    if (!options.json) {
        rebuild.progress = [](u64 done, u64) {
            std::fprintf(stderr, "\rkmb rebuild: %llu ops replayed",
                         static_cast<unsigned long long>(done));
        };
    }
    auto report = db::rebuild_store(rebuild);
    if (!options.json) std::fputc('\n', stderr);
    if (!report) {
        std::fprintf(stderr, "kmb rebuild: %s\n", report.error().to_string().c_str());
        return kExitUsage;
    }
    const bool compared = report->old_applied.has_value();
    const bool differs = compared && !report->matched;
    if (options.json) {
        nlohmann::json out;
        out["applied_position"] = report->applied.value();
        out["state_hash"] = report->state_hash.to_hex();
        out["ops_replayed"] = report->ops_replayed;
        out["compared"] = compared;
        if (compared) out["old_applied_position"] = report->old_applied->value();
        out["matched"] = report->matched;
        if (!report->old_store_problem.empty())
            out["old_store_problem"] = report->old_store_problem;
        if (!report->old_store_kept_at.empty())
            out["old_store_kept_at"] = report->old_store_kept_at;
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("rebuilt the store at position %llu (%llu ops replayed), state hash %s\n",
                    static_cast<unsigned long long>(report->applied.value()),
                    static_cast<unsigned long long>(report->ops_replayed),
                    report->state_hash.to_hex().c_str());
        if (compared) {
            std::printf("old store at position %llu: %s\n",
                        static_cast<unsigned long long>(report->old_applied->value()),
                        report->matched ? "same state hash" : "DIFFERENT state hash");
        } else {
            std::printf("old store not compared: %s\n", report->old_store_problem.c_str());
        }
        if (!report->old_store_kept_at.empty()) {
            std::printf("old store kept at %s\n", report->old_store_kept_at.c_str());
        }
    }
    return differs ? kExitDamaged : kExitOk;
}

}  // namespace

CLI::App* add_rebuild_command(CLI::App& app, RebuildCommandOptions* options) {
    CLI::App* command = app.add_subcommand(
        "rebuild",
        "Rebuild the store (the derived state) by replaying the whole log, and check it against "
        "the old store's last checkpoint. Takes the data directory's lock: stop the server "
        "first. Exit 0 rebuilt, 1 the old store differed from the log, 2 usage or IO error.");
    command->add_option("--data-dir", options->data_dir, "Data directory to rebuild")
        ->capture_default_str();
    command->add_option("--key-dir", options->key_dir,
                        "Directory holding master.key (default: $KIMBERLITE_KEY_DIR, else "
                        "~/.config/kimberlite/keys)");
    command->add_flag("--keep-old", options->keep_old,
                      "Keep the old store in DATA_DIR/rebuild-old even when it matched");
    command->add_flag("--json", options->json, "Print the report as JSON on stdout");
    return command;
}

int run_rebuild_command(const RebuildCommandOptions& options) {
    try {
        return run(options);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "kmb rebuild: internal error: %s\n", error.what());
        return kExitUsage;
    }
}

}  // namespace kb::cli
