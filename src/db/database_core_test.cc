// DatabaseCore::start without the loop (Engine::published): a transaction begun on any thread
// sees the snapshot and the catalog of one publish — a table or tenant created by a committed
// op is there for the very next transaction, on every thread, and a snapshot never comes with
// a catalog older than itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
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

// submit_async: many ops in flight from one thread at once are admitted in the order they were
// submitted (appends with expected offsets in sequence all succeed), each callback gets its own
// op's result, and the commit metrics count them as the blocking submit does.
TEST(DatabaseCore, AsyncSubmitsFromOneThreadAreAdmittedInOrder) {
    Dirs dirs;
    auto db = Database::open(dirs.root + "/data", dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    db::DatabaseCore& core = (*db)->core();
    const TenantId tenant = *(*db)->tenant("default");
    auto created =
        core.submit(tenant, db::kAdminPrincipal, kernel::CreateStreamOp{"s", DataClass::internal});
    ASSERT_TRUE(created.has_value());
    ASSERT_EQ(created->outcome, kernel::Outcome::ok);
    const StreamId stream = created->applied.stream;
    const u64 committed_before = core.commit_metrics().ops_committed.load();
    const u64 refused_before = core.commit_metrics().ops_refused.load();

    constexpr u64 kAppends = 200;
    std::mutex mutex;
    std::condition_variable finished;
    std::vector<std::optional<Result<db::SubmitResult>>> results(kAppends + 1);
    u64 done = 0;
    for (u64 i = 0; i <= kAppends; ++i) {
        // The last one expects an offset already taken: refused.
        const u64 expected = i < kAppends ? i : 0;
        core.submit_async(
            tenant, db::kAdminPrincipal,
            kernel::AppendBatchOp{stream, Offset(expected), {}, {Bytes{static_cast<u8>(i)}}},
            [&, i](Result<db::SubmitResult> result) {
                std::lock_guard lock(mutex);
                results[i] = std::move(result);
                ++done;
                finished.notify_all();
            });
    }
    {
        std::unique_lock lock(mutex);
        finished.wait(lock, [&] { return done == kAppends + 1; });
    }
    Position previous = created->position;
    for (u64 i = 0; i < kAppends; ++i) {
        ASSERT_TRUE(results[i]->has_value()) << results[i]->status().to_string();
        const db::SubmitResult& result = **results[i];
        ASSERT_EQ(result.outcome, kernel::Outcome::ok) << "append " << i << ": " << result.detail;
        EXPECT_EQ(result.applied.first_offset, Offset(i));
        EXPECT_GT(result.position, previous);
        previous = result.position;
    }
    ASSERT_TRUE(results[kAppends]->has_value());
    EXPECT_NE((*results[kAppends])->outcome, kernel::Outcome::ok);
    EXPECT_EQ(core.commit_metrics().ops_committed.load() - committed_before, kAppends);
    EXPECT_EQ(core.commit_metrics().ops_refused.load() - refused_before, 1u);
}

}  // namespace
}  // namespace kb
