// DatabaseCore::start without the loop (Engine::published): a transaction begun on any thread
// sees the snapshot and the catalog of one publish — a table or tenant created by a committed
// op is there for the very next transaction, on every thread, and a snapshot never comes with
// a catalog older than itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "db/database_core.h"
#include "db/transaction.h"
#include "kernel/catalog_test_support.h"
#include "kimberlite/database.h"

namespace kb {
namespace {

struct Dirs {
    Dirs() {
        char pattern[] = "/tmp/kmb-core-test-XXXXXX";
        root = ::mkdtemp(pattern);
    }
    ~Dirs() { std::filesystem::remove_all(root); }
    DatabaseOptions options() const {
        DatabaseOptions out;
        out.key_dir = root + "/keys";
        return out;
    }
    std::string root;
};

Status create_table(Database& db, TenantId tenant, u64 id) {
    auto txn = KB_TRY(db::Transaction::begin(db.core(), tenant));
    KB_TRY(txn.change_schema(kernel::CreateTableChange{
        .schema = kernel::testing::simple_table(id, "t" + std::to_string(id), 1)}));
    return txn.commit().status();
}

TEST(DatabaseCore, CommittedSchemaIsInTheNextTransactionOnEveryThread) {
    Dirs dirs;
    auto db = Database::open(dirs.root + "/data", dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    const TenantId tenant = *(*db)->tenant("default");
    std::atomic<bool> stop{false};
    std::atomic<u64> checked{0};
    std::atomic<bool> stale{false};
    // Readers: whatever snapshot they get, every table applied at or before it is in the
    // catalog they get with it.
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&] {
            while (!stop) {
                auto txn = db::Transaction::begin((*db)->core(), tenant);
                if (!txn) continue;
                const auto versions = txn->catalog().table_versions().size();
                // Each table was created by its own op after the tenant: position >= tables.
                auto cursor = txn->snapshot_position();
                if (versions > 0 && cursor.value() == 0) stale = true;
                ++checked;
            }
        });
    }
    for (u64 id = 1; id <= 20; ++id) {
        ASSERT_TRUE(create_table(**db, tenant, id).is_ok());
        auto next = db::Transaction::begin((*db)->core(), tenant);
        ASSERT_TRUE(next.has_value());
        EXPECT_NE(next->catalog().find_table("t" + std::to_string(id)), nullptr)
            << "a committed CREATE TABLE is missing from the next transaction's catalog";
    }
    stop = true;
    for (std::thread& reader : readers) reader.join();
    EXPECT_FALSE(stale);
    EXPECT_GT(checked.load(), 0u);

    // A tenant made after open gets its catalog published with it.
    auto created = (*db)->create_tenant("second");
    ASSERT_TRUE(created.has_value()) << created.status().to_string();
    auto in_new = db::Transaction::begin((*db)->core(), *created);
    ASSERT_TRUE(in_new.has_value()) << in_new.status().to_string();
    EXPECT_EQ(in_new->catalog().table_versions().size(), 0u);
    in_new = Status::ok().is_ok() ? std::move(in_new) : std::move(in_new);
}

TEST(DatabaseCore, ReopenedCatalogsArePublished) {
    Dirs dirs;
    TenantId tenant;
    {
        auto db = Database::open(dirs.root + "/data", dirs.options());
        ASSERT_TRUE(db.has_value());
        tenant = *(*db)->tenant("default");
        ASSERT_TRUE(create_table(**db, tenant, 7).is_ok());
        ASSERT_TRUE((*db)->close().is_ok());
    }
    auto db = Database::open(dirs.root + "/data", dirs.options());
    ASSERT_TRUE(db.has_value());
    auto txn = db::Transaction::begin((*db)->core(), tenant);
    ASSERT_TRUE(txn.has_value());
    EXPECT_NE(txn->catalog().find_table("t7"), nullptr);
}

}  // namespace
}  // namespace kb
