// PgHost over a real Database: database lookup, TLS-only mode, the failed-login limit and the
// CONNECT privilege (checked only after the password is proved), with SCRAM run end to end.
#include "server/pg_host.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "crypto/scram.h"
#include "db/database_test_support.h"

namespace kb::server {
namespace {

struct HostFixture {
    db::testing::TempDatabaseDirs dirs{"kb-pg-host-test"};
    std::unique_ptr<Database> db;
    std::unique_ptr<PgHost> host;

    explicit HostFixture(PgHostOptions options = {}) {
        auto opened = Database::open(dirs.data, dirs.options());
        EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
        db = std::move(*opened);
        host = std::make_unique<PgHost>(*db, options);
    }

    void add_role(const std::string& name, const std::string& password) {
        RoleSettings settings;
        settings.login = true;
        settings.verifier =
            crypto::make_scram_verifier(password, crypto::system_random()).to_string();
        ASSERT_TRUE(db->create_role(name, settings).is_ok());
    }

    PgLogin login(const std::string& user) {
        auto found = host->find_login(user, "default");
        EXPECT_TRUE(found.has_value());
        return *found;
    }
};

// Runs a whole SCRAM exchange; returns the authenticator's last step.
PgAuthStep scram_exchange(PgAuthenticator& auth, const std::string& password) {
    PgAuthStep step = auth.start();
    if (step.kind != PgAuthStep::Kind::sasl) return step;
    crypto::ScramClient client(password, {});
    const std::string first = client.client_first();
    step = auth.respond(PgSaslInitialResponse{client.mechanism(), as_bytes(first)});
    if (step.kind != PgAuthStep::Kind::sasl_continue) return step;
    const std::string server_first(step.data.begin(), step.data.end());
    auto final_message = client.handle_server_first(server_first);
    EXPECT_TRUE(final_message.is_ok());
    return auth.respond(PgSaslResponse{as_bytes(*final_message)});
}

TEST(PgHost, NamesAMissingDatabase) {
    HostFixture f;
    auto missing = f.host->find_login("admin", "nope");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().sqlstate, "3D000");
    EXPECT_EQ(missing.error().message, "database \"nope\" does not exist");
}

TEST(PgHost, AcceptsTheRightPasswordAndNothingElseAlike) {
    HostFixture f;
    f.add_role("carol", "s3cret");
    ASSERT_TRUE(f.db->grant_connect("carol", *f.db->tenant("default")).is_ok());
    auto right = f.host->authenticator(f.login("carol"), false, "10.0.0.1");
    EXPECT_EQ(scram_exchange(*right, "s3cret").kind, PgAuthStep::Kind::sasl_final);
    auto wrong = f.host->authenticator(f.login("carol"), false, "10.0.0.1");
    const PgAuthStep refused = scram_exchange(*wrong, "guess");
    auto nobody = f.host->authenticator(f.login("nobody"), false, "10.0.0.1");
    const PgAuthStep unknown = scram_exchange(*nobody, "guess");
    ASSERT_EQ(refused.kind, PgAuthStep::Kind::fail);
    ASSERT_EQ(unknown.kind, PgAuthStep::Kind::fail);
    EXPECT_EQ(refused.sqlstate, "28P01");
    EXPECT_EQ(unknown.sqlstate, "28P01");
    EXPECT_EQ(unknown.message, "password authentication failed for user \"nobody\"");
}

TEST(PgHost, RefusesWithoutConnectOnlyAfterThePasswordIsProved) {
    HostFixture f;
    f.add_role("dave", "pw");
    auto wrong = f.host->authenticator(f.login("dave"), false, "10.0.0.1");
    EXPECT_EQ(scram_exchange(*wrong, "not it").sqlstate, "28P01");
    auto right = f.host->authenticator(f.login("dave"), false, "10.0.0.1");
    const PgAuthStep denied = scram_exchange(*right, "pw");
    ASSERT_EQ(denied.kind, PgAuthStep::Kind::fail);
    EXPECT_EQ(denied.sqlstate, "42501");
    EXPECT_EQ(denied.message, "permission denied for database \"default\"");
    ASSERT_TRUE(f.db->grant_connect("dave", *f.db->tenant("default")).is_ok());
    auto granted = f.host->authenticator(f.login("dave"), false, "10.0.0.1");
    EXPECT_EQ(scram_exchange(*granted, "pw").kind, PgAuthStep::Kind::sasl_final);
}

TEST(PgHost, RefusesPlainConnectionsWhenTlsIsRequired) {
    PgHostOptions options;
    options.tls_required = true;
    HostFixture f(options);
    auto plain = f.host->authenticator(f.login("admin"), false, "10.0.0.1");
    const PgAuthStep step = plain->start();
    ASSERT_EQ(step.kind, PgAuthStep::Kind::fail);
    EXPECT_EQ(step.sqlstate, "28000");
    auto encrypted = f.host->authenticator(f.login("admin"), true, "10.0.0.1");
    EXPECT_EQ(encrypted->start().kind, PgAuthStep::Kind::sasl);
}

TEST(PgHost, LocksOutAnAddressForAMinuteAfterFailedLogins) {
    PgHostOptions options;
    options.max_failed_logins_per_minute = 3;
    HostFixture f(options);
    f.add_role("erin", "pw");
    const auto t0 = PgHost::Clock::now();
    for (int i = 0; i < 3; ++i) {
        auto attempt = f.host->authenticator(f.login("erin"), false, "10.0.0.9", t0);
        EXPECT_EQ(scram_exchange(*attempt, "wrong").sqlstate, "28P01") << i;
    }
    // The right password does not help now: nothing is exchanged.
    auto locked =
        f.host->authenticator(f.login("erin"), false, "10.0.0.9", t0 + std::chrono::seconds(30));
    const PgAuthStep step = locked->start();
    ASSERT_EQ(step.kind, PgAuthStep::Kind::fail);
    EXPECT_EQ(step.sqlstate, "28000");
    EXPECT_NE(step.message.find("too many failed login attempts"), std::string::npos);
    // Other addresses are unaffected, and the address is let in again after the minute.
    auto other =
        f.host->authenticator(f.login("erin"), false, "10.0.0.10", t0 + std::chrono::seconds(30));
    EXPECT_EQ(other->start().kind, PgAuthStep::Kind::sasl);
    auto later =
        f.host->authenticator(f.login("erin"), false, "10.0.0.9", t0 + std::chrono::seconds(61));
    EXPECT_EQ(later->start().kind, PgAuthStep::Kind::sasl);
}

TEST(PgHost, CancelKeysReachTheirConnectionsRunningStatementOnly) {
    HostFixture f;
    const PgLogin login = f.login("admin");
    auto first = std::make_shared<sql::CancelSignal>();
    auto second = std::make_shared<sql::CancelSignal>();
    const PgBackendKey key = f.host->register_backend_key(login, first);
    const PgBackendKey other = f.host->register_backend_key(login, second);
    EXPECT_NE(key.process_id, other.process_id);

    first->enter();  // a statement runs on the first connection
    second->enter();
    f.host->cancel(PgBackendKey{key.process_id, key.secret_key ^ 1});  // a wrong secret
    f.host->cancel(PgBackendKey{999'999, key.secret_key});             // an unknown process
    EXPECT_FALSE(first->cancelled());
    f.host->cancel(key);
    EXPECT_TRUE(first->cancelled());
    EXPECT_FALSE(second->cancelled()) << "only the connection holding the key";
    first->leave();

    // Idle: the cancel is dropped, and the next statement starts clean.
    f.host->cancel(key);
    first->enter();
    EXPECT_FALSE(first->cancelled());
    first->leave();

    // A released key cancels nothing.
    f.host->release_backend_key(other);
    f.host->cancel(other);
    EXPECT_FALSE(second->cancelled());
    second->leave();
}

}  // namespace
}  // namespace kb::server
