// Tenants of the embedded Database on a real file system: create_tenant and drop_tenant — a
// dropped tenant takes no more writes, frees its name and keeps its history (readable, and
// there again after a reopen, which replays the drop from the log or reads it from a
// checkpoint).
#include <gtest/gtest.h>

#include "db/database_test_support.h"
#include "kimberlite/database.h"

namespace kb {
namespace {

TEST(DatabaseTenants, DropFreesTheNameAndKeepsTheHistory) {
    db::testing::TempDatabaseDirs dirs("kmb-db-tenants-test");
    TenantId first;
    StreamId stream;
    {
        auto db = Database::open(dirs.data, dirs.options(50));
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        auto created = (*db)->create_tenant("shop");
        ASSERT_TRUE(created.has_value()) << created.status().to_string();
        first = *created;
        EXPECT_EQ((*db)->create_tenant("shop").status().code(), StatusCode::already_exists);
        stream = *(*db)->create_stream(first, "orders");
        ASSERT_TRUE((*db)->append(first, stream, {{'a'}}).has_value());

        ASSERT_TRUE((*db)->drop_tenant("shop").is_ok());
        EXPECT_FALSE((*db)->tenant("shop").has_value());
        EXPECT_EQ((*db)->drop_tenant("shop").code(), StatusCode::not_found);
        // No more writes; its history stays readable by id.
        EXPECT_EQ((*db)->append(first, stream, {{'b'}}).status().code(), StatusCode::not_found);
        auto events = (*db)->read_events(first, stream, Offset(0));
        ASSERT_TRUE(events.has_value()) << events.status().to_string();
        ASSERT_EQ(events->size(), 1u);

        // The name makes a new tenant.
        auto again = (*db)->create_tenant("shop");
        ASSERT_TRUE(again.has_value()) << again.status().to_string();
        EXPECT_NE(*again, first);
        ASSERT_TRUE((*db)->close().is_ok());
    }
    auto db = Database::open(dirs.data, dirs.options(50));
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    ASSERT_TRUE((*db)->tenant("shop").has_value());
    EXPECT_NE(*(*db)->tenant("shop"), first);
    auto events = (*db)->read_events(first, stream, Offset(0));
    ASSERT_TRUE(events.has_value()) << events.status().to_string();
    EXPECT_EQ(events->size(), 1u);
    EXPECT_EQ((*db)->append(first, stream, {{'c'}}).status().code(), StatusCode::not_found);
}

}  // namespace
}  // namespace kb
