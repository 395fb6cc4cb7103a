// kb_make_test_db: writes a small database with the embedded API for the end-to-end tests
// (streams with events, a table with rows), then closes it and prints a JSON report:
//     {"applied_position": N, "state_hash": "...", "events": E, "rows": R}
//
//     kb_make_test_db --data-dir DIR --key-dir DIR [--streams S] [--events E] [--rows R]
//                     [--checkpoint-every N]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "db/database_core.h"
#include "db/transaction.h"
#include "kernel/catalog_test_support.h"
#include "kernel/row_codec.h"
#include "kimberlite/database.h"

namespace {

int fail(const kb::Status& status) {
    std::fprintf(stderr, "kb_make_test_db: %s\n", status.to_string().c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Writes a small Kimberlite database for tests", "kb_make_test_db"};
    std::string data_dir, key_dir;
    unsigned streams = 3, events = 200, rows = 100;
    unsigned long long checkpoint_every = 64;
    app.add_option("--data-dir", data_dir)->required();
    app.add_option("--key-dir", key_dir)->required();
    app.add_option("--streams", streams);
    app.add_option("--events", events, "events per stream");
    app.add_option("--rows", rows);
    app.add_option("--checkpoint-every", checkpoint_every);
    CLI11_PARSE(app, argc, argv);

    kb::DatabaseOptions options;
    options.key_dir = key_dir;
    options.checkpoint_every_ops = checkpoint_every;
    auto db = kb::Database::open(data_dir, options);
    if (!db) return fail(db.error());
    const kb::TenantId tenant = *(*db)->tenant("default");
    for (unsigned s = 0; s < streams; ++s) {
        auto stream = (*db)->create_stream(tenant, "stream-" + std::to_string(s));
        if (!stream) return fail(stream.error());
        for (unsigned e = 0; e < events; ++e) {
            const std::string text =
                "event " + std::to_string(e) + " of stream " + std::to_string(s);
            auto appended = (*db)->append(tenant, *stream, {{text.begin(), text.end()}});
            if (!appended) return fail(appended.error());
        }
    }
    const kb::kernel::TableSchema table = kb::kernel::testing::simple_table(1, "items", 1);
    kb::kernel::TableKeys keys(table, {});
    {
        auto ddl = kb::db::Transaction::begin((*db)->core(), tenant);
        if (!ddl) return fail(ddl.error());
        if (auto created = ddl->change_schema(kb::kernel::CreateTableChange{.schema = table});
            !created.is_ok()) {
            return fail(created);
        }
        if (auto committed = ddl->commit(); !committed) return fail(committed.error());
    }
    for (unsigned r = 0; r < rows; ++r) {
        auto txn = kb::db::Transaction::begin((*db)->core(), tenant);
        if (!txn) return fail(txn.error());
        std::vector<kb::kernel::Value> values{kb::kernel::Value::int64(r),
                                              kb::kernel::Value::text("item " + std::to_string(r))};
        auto inserted =
            txn->insert(table.id, *keys.primary_key(values), kb::kernel::encode_row(table, values));
        if (!inserted.is_ok()) return fail(inserted);
        if (auto committed = txn->commit(); !committed) return fail(committed.error());
    }
    const kb::Position applied = (*db)->applied_position();
    if (auto closed = (*db)->close(); !closed.is_ok()) return fail(closed);

    nlohmann::json out;
    out["applied_position"] = applied.value();
    out["events"] = streams * events;
    out["rows"] = rows;
    std::printf("%s\n", out.dump().c_str());
    return 0;
}
