// DatabaseCore::start without the loop (Engine::published): a transaction begun on any thread
// sees the snapshot and the catalog of one publish — a table or tenant created by a committed
// op is there for the very next transaction, on every thread, and a snapshot never comes with
// a catalog older than itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
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

// Creates table t<id>; the position it was logged at.
Result<Position> create_table(Database& db, TenantId tenant, u64 id) {
    auto txn = KB_TRY(db::Transaction::begin(db.core(), tenant));
    KB_TRY(txn.change_schema(kernel::CreateTableChange{
        .schema = kernel::testing::simple_table(id, "t" + std::to_string(id), 1)}));
    auto committed = KB_TRY(txn.commit());
    return committed.position;
}

TEST(DatabaseCore, CommittedSchemaIsInTheNextTransactionOnEveryThread) {
    Dirs dirs;
    auto db = Database::open(dirs.root + "/data", dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    const TenantId tenant = *(*db)->tenant("default");
    constexpr u64 kTables = 20;
    std::array<std::atomic<u64>, kTables + 1> created_at{};  // 0: not committed yet
    std::atomic<bool> stop{false};
    std::atomic<u64> checked{0};
    std::atomic<u64> missing{0};
    // Readers on other threads: a table committed at or before a transaction's snapshot is in
    // the catalog it started with.
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&] {
            while (!stop) {
                auto txn = db::Transaction::begin((*db)->core(), tenant);
                if (!txn) continue;
                for (u64 id = 1; id <= kTables; ++id) {
                    const u64 at = created_at[id].load();
                    if (at == 0 || at > txn->snapshot_position().value()) continue;
                    if (txn->catalog().find_table("t" + std::to_string(id)) == nullptr) ++missing;
                    ++checked;
                }
            }
        });
    }
    for (u64 id = 1; id <= kTables; ++id) {
        auto position = create_table(**db, tenant, id);
        ASSERT_TRUE(position.has_value()) << position.status().to_string();
        created_at[id] = position->value();
        auto next = db::Transaction::begin((*db)->core(), tenant);
        ASSERT_TRUE(next.has_value());
        EXPECT_NE(next->catalog().find_table("t" + std::to_string(id)), nullptr)
            << "a committed CREATE TABLE is missing from the next transaction's catalog";
    }
    stop = true;
    for (std::thread& reader : readers) reader.join();
    EXPECT_EQ(missing.load(), 0u);
    EXPECT_GT(checked.load(), 0u);

    // A tenant made after open gets its catalog published with it.
    auto created = (*db)->create_tenant("second");
    ASSERT_TRUE(created.has_value()) << created.status().to_string();
    auto in_new = db::Transaction::begin((*db)->core(), *created);
    ASSERT_TRUE(in_new.has_value()) << in_new.status().to_string();
    EXPECT_EQ(in_new->catalog().find_table("t1"), nullptr);
}

TEST(DatabaseCore, ReopenedCatalogsArePublished) {
    Dirs dirs;
    TenantId tenant;
    {
        auto db = Database::open(dirs.root + "/data", dirs.options());
        ASSERT_TRUE(db.has_value());
        tenant = *(*db)->tenant("default");
        ASSERT_TRUE(create_table(**db, tenant, 7).has_value());
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
