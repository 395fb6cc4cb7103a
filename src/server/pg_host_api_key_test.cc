// PgHost's logins by API key over a real Database: a key logs in as its role (and its
// connection's transactions become the key's), bad keys count against the failed-login limit
// and lock the address out, and --tls-required refuses keys on plain connections.
#include <gtest/gtest.h>

#include "db/database_core.h"
#include "db/database_test_support.h"
#include "kernel/api_keys.h"
#include "server/pg_host.h"
#include "sql/session.h"

namespace kb::server {
namespace {

struct KeyHostFixture {
    db::testing::TempDatabaseDirs dirs{"kb-pg-host-api-key-test"};
    std::unique_ptr<Database> db;
    std::unique_ptr<PgHost> host;

    explicit KeyHostFixture(PgHostOptions options = {}) {
        auto opened = Database::open(dirs.data, dirs.options());
        EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
        db = std::move(*opened);
        host = std::make_unique<PgHost>(*db, options);
        sql("CREATE ROLE keyed LOGIN SUPERUSER");
    }
    std::string sql(const std::string& text) {
        sql::Session admin(db->core(), *db->tenant("default"), db::kAdminPrincipal);
        auto results = admin.execute(text);
        EXPECT_TRUE(results.size() == 1 && results[0].has_value()) << text;
        if (results.size() != 1 || !results[0] || results[0]->rows.empty()) return {};
        return results[0]->rows[0][0].as_text();
    }
    std::string create_key(const char* mode = "read_write") {
        return sql(std::string("SELECT kimberlite_create_api_key('keyed', 'default', '") + mode +
                   "')");
    }
};

TEST(PgHostApiKey, AKeyLogsInAsItsRoleAndItsConnectionWritesAsTheKey) {
    KeyHostFixture f;
    const std::string key = f.create_key("read_only");
    auto login = f.host->login_with_api_key(key, "default", false, "10.0.0.1");
    ASSERT_TRUE(login.has_value()) << login.error().message;
    EXPECT_EQ(login->user, "keyed");
    EXPECT_EQ(login->database, "default");
    EXPECT_TRUE(login->superuser);
    EXPECT_TRUE(login->read_only);
    EXPECT_EQ(login->api_key, kernel::parse_api_key(key)->key_id);

    PgPeerHost peer(*f.host, "10.0.0.1");
    db::TransactionHost* before = &peer.transactions();
    ASSERT_TRUE(peer.login_with_api_key(key, "", false).has_value());
    EXPECT_NE(&peer.transactions(), before) << "the key's transactions from now on";
    auto write = peer.transactions().submit(
        *f.db->tenant("default"), login->principal,
        kernel::CreateStreamOp{.name = "s", .data_class = DataClass::internal});
    ASSERT_TRUE(write.has_value());
    EXPECT_EQ(write->outcome, kernel::Outcome::permission_denied);
}

TEST(PgHostApiKey, BadKeysCountAsFailedLogins) {
    PgHostOptions options;
    options.max_failed_logins_per_minute = 3;
    KeyHostFixture f(options);
    const std::string key = f.create_key();
    kernel::ApiKeyText wrong = *kernel::parse_api_key(key);
    wrong.secret[0] ^= 0x80;
    const auto t0 = PgHost::Clock::now();
    for (int i = 0; i < 3; ++i) {
        auto attempt =
            f.host->login_with_api_key(kernel::format_api_key(wrong), "", false, "10.0.0.9", t0);
        ASSERT_FALSE(attempt.has_value());
        EXPECT_EQ(attempt.error().sqlstate, "28P01") << i;
    }
    // Locked out: even the right key is refused without being looked at.
    auto locked =
        f.host->login_with_api_key(key, "", false, "10.0.0.9", t0 + std::chrono::seconds(30));
    ASSERT_FALSE(locked.has_value());
    EXPECT_EQ(locked.error().sqlstate, "28000");
    EXPECT_TRUE(
        f.host->login_with_api_key(key, "", false, "10.0.0.10", t0 + std::chrono::seconds(30))
            .has_value());
    EXPECT_TRUE(
        f.host->login_with_api_key(key, "", false, "10.0.0.9", t0 + std::chrono::seconds(61))
            .has_value());
}

TEST(PgHostApiKey, KeysNeedTlsWhenTheServerRequiresIt) {
    PgHostOptions options;
    options.tls_required = true;
    KeyHostFixture f(options);
    const std::string key = f.create_key();
    auto plain = f.host->login_with_api_key(key, "", false, "10.0.0.1");
    ASSERT_FALSE(plain.has_value());
    EXPECT_EQ(plain.error().sqlstate, "28000");
    EXPECT_TRUE(f.host->login_with_api_key(key, "", true, "10.0.0.1").has_value());
}

}  // namespace
}  // namespace kb::server
