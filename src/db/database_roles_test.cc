// Roles and grants through the embedded Database: the superuser a server's genesis makes,
// lookups and CONNECT as of the latest state, grants on tables and all tables, drops refused
// while privileges remain, errors as Status codes, persistence across reopening, writes of a
// role checked at the primary, and no verifier or role name in clear in the data directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/random.h"
#include "crypto/scram.h"
#include "db/database_core.h"
#include "db/database_test_support.h"
#include "db/transaction.h"
#include "kernel/catalog_test_support.h"
#include "kernel/row_codec.h"
#include "kimberlite/database.h"

namespace kb {
namespace {

struct TempDirs : db::testing::TempDatabaseDirs {
    TempDirs() : TempDatabaseDirs("kmb-roles-test") {}
};

std::string verifier_of(std::string_view password) {
    const Bytes salt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    return crypto::make_scram_verifier(password, salt).to_string();
}

// A table "items" (id bigint primary key, c2 text) in `tenant`, made by the administrator.
kernel::TableSchema create_items(Database& db, TenantId tenant) {
    kernel::TableSchema table = kernel::testing::simple_table(1, "items", 1);
    auto txn = db::Transaction::begin(db.core(), tenant);
    EXPECT_TRUE(txn.has_value());
    table.id = kernel::TableId(txn->catalog().next_object_id().value());
    EXPECT_TRUE(txn->change_schema(kernel::CreateTableChange{.schema = table}).is_ok());
    EXPECT_TRUE(txn->commit().has_value());
    return table;
}

Status insert_as(Database& db, TenantId tenant, PrincipalId principal,
                 const kernel::TableSchema& table, i64 id) {
    auto txn = KB_TRY(db::Transaction::begin(db.core(), tenant, principal));
    const std::vector<kernel::Value> values = {kernel::Value::int64(id), kernel::Value::text("x")};
    Bytes key = KB_TRY(kernel::TableKeys(table, {}).primary_key(values));
    KB_TRY(txn.insert(table.id, std::move(key), kernel::encode_row(table, values)));
    return txn.commit().status();
}

TEST(DatabaseRoles, TheGenesisSuperuserAndItsLookups) {
    TempDirs dirs;
    const std::string verifier = verifier_of("s3cret");
    PrincipalId admin;
    {
        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        auto created =
            (*db)->create_role("admin", {.login = true, .superuser = true, .verifier = verifier});
        ASSERT_TRUE(created.has_value()) << created.status().to_string();
        admin = *created;
        EXPECT_GE(admin.value(), 16u) << "roles are not the built-in principals";
        auto found = (*db)->find_role("admin");
        ASSERT_TRUE(found.has_value() && found->has_value());
        EXPECT_EQ((*found)->principal, admin);
        EXPECT_TRUE((*found)->login);
        EXPECT_TRUE((*found)->superuser);
        EXPECT_EQ((*found)->verifier, verifier);
        EXPECT_TRUE(*(*db)->may_connect(admin, *(*db)->tenant("default")));
        EXPECT_FALSE(*(*db)->may_connect(admin, TenantId(77))) << "no such tenant";
        EXPECT_FALSE((*db)->find_role("nobody")->has_value());
        ASSERT_TRUE((*db)->close().is_ok());
    }
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    auto found = (*db)->find_role("admin");
    ASSERT_TRUE(found.has_value() && found->has_value()) << "roles persist";
    EXPECT_EQ((*found)->principal, admin);
    EXPECT_EQ((*found)->verifier, verifier);
    ASSERT_EQ((*db)->roles()->size(), 1u);
}

TEST(DatabaseRoles, ErrorsAreStatusCodes) {
    TempDirs dirs;
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    ASSERT_TRUE((*db)->create_role("alice").has_value());
    EXPECT_EQ((*db)->create_role("alice").status().code(), StatusCode::already_exists);
    EXPECT_EQ((*db)->create_role("public").status().code(), StatusCode::invalid_argument);
    EXPECT_EQ((*db)->create_role("bob", {.verifier = "hunter2"}).status().code(),
              StatusCode::invalid_argument)
        << "a password is never stored";
    EXPECT_EQ((*db)->create_role("bob", {.verifier = "SCRAM-SHA-256$nonsense"}).status().code(),
              StatusCode::invalid_argument);
    EXPECT_EQ((*db)->alter_role("nobody", {.login = true}).code(), StatusCode::not_found);
    EXPECT_EQ((*db)->drop_role("nobody").code(), StatusCode::not_found);
    EXPECT_EQ((*db)->grant_connect("nobody", *(*db)->tenant("default")).code(),
              StatusCode::not_found);
    EXPECT_EQ((*db)->grant_connect("alice", TenantId(42)).code(), StatusCode::not_found);
    EXPECT_EQ(
        (*db)
            ->grant_table("alice", *(*db)->tenant("default"), "missing", {TablePrivilege::select})
            .code(),
        StatusCode::not_found);
    EXPECT_EQ((*db)->roles()->size(), 1u) << "nothing refused was written";
}

TEST(DatabaseRoles, GrantsDecideWhatARoleMayWrite) {
    TempDirs dirs;
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    const TenantId tenant = *(*db)->tenant("default");
    const kernel::TableSchema items = create_items(**db, tenant);
    const PrincipalId alice = *(*db)->create_role("alice", {.login = true});

    EXPECT_FALSE(*(*db)->may_connect(alice, tenant));
    EXPECT_EQ(insert_as(**db, tenant, alice, items, 1).code(), StatusCode::permission_denied);
    ASSERT_TRUE((*db)->grant_connect("alice", tenant).is_ok());
    EXPECT_TRUE(*(*db)->may_connect(alice, tenant));
    const Status denied = insert_as(**db, tenant, alice, items, 1);
    EXPECT_EQ(denied.code(), StatusCode::permission_denied);
    EXPECT_EQ(denied.message(), "permission denied for table items");

    ASSERT_TRUE((*db)->grant_table("alice", tenant, "", {TablePrivilege::insert}).is_ok());
    EXPECT_TRUE(insert_as(**db, tenant, alice, items, 1).is_ok()) << "ALL TABLES";

    // Dropping a role that holds privileges is refused, naming them (PostgreSQL's 2BP01).
    const Status refused = (*db)->drop_role("alice");
    EXPECT_EQ(refused.code(), StatusCode::invalid_argument);
    EXPECT_NE(refused.message().find("cannot be dropped because some objects depend on it"),
              std::string::npos)
        << refused.message();
    EXPECT_NE(refused.message().find("privileges for table \"items\""), std::string::npos);

    ASSERT_TRUE((*db)->revoke_table("alice", tenant, "items", {TablePrivilege::insert}).is_ok());
    EXPECT_EQ(insert_as(**db, tenant, alice, items, 2).code(), StatusCode::permission_denied)
        << "a committed REVOKE stops later writes";
    ASSERT_TRUE((*db)->revoke_connect("alice", tenant).is_ok());
    ASSERT_TRUE((*db)->drop_role("alice").is_ok());
    EXPECT_FALSE((*db)->find_role("alice")->has_value());
    EXPECT_EQ(insert_as(**db, tenant, alice, items, 3).code(), StatusCode::permission_denied)
        << "a dropped role's principal may do nothing";

    // The administrator API and superuser roles are not bound by grants.
    ASSERT_TRUE((*db)->create_role("root", {.superuser = true}).has_value());
    EXPECT_TRUE(insert_as(**db, tenant, (*(*db)->find_role("root"))->principal, items, 4).is_ok());
    EXPECT_TRUE(insert_as(**db, tenant, db::kAdminPrincipal, items, 5).is_ok());
}

// Role ops are system records: the role's name and verifier are sealed in the log and the
// store's system pages, like every other byte written.
TEST(DatabaseRoles, NoVerifierOrRoleNameInClear) {
    TempDirs dirs;
    const std::string verifier = verifier_of("plaintext-check");
    const std::string name = "uniquerolename";
    {
        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        ASSERT_TRUE((*db)->create_role(name, {.login = true, .verifier = verifier}).has_value());
        ASSERT_TRUE((*db)->close().is_ok());
    }
    const std::string salt_part = verifier.substr(verifier.find(':') + 1, 20);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dirs.data)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string contents{std::istreambuf_iterator<char>(in), {}};
        EXPECT_EQ(contents.find(name), std::string::npos) << entry.path();
        EXPECT_EQ(contents.find(salt_part), std::string::npos) << entry.path();
        EXPECT_EQ(contents.find("SCRAM-SHA-256$"), std::string::npos) << entry.path();
    }
}

}  // namespace
}  // namespace kb
