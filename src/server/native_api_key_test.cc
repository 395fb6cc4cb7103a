// Logins by API key over the native protocol (native_api_key.h), driven byte for byte over a
// simulated node: a key logs in as its role in its tenant; a wrong secret, an unknown id, a
// wrong tenant or a revoked key fail alike; a read-only key reads and queries but its appends,
// stream creations and SQL writes are refused; revoking a key stops the writes of a session
// already logged in with it.
#include <gtest/gtest.h>

#include "kernel/api_keys.h"
#include "server/native_frame.h"
#include "server/native_session.h"
#include "server/native_test_support.h"
#include "server/pg_test_support.h"

namespace kb::server {
namespace {

using testing::TestPgHost;

using Received = testing::NativeReceived;

class KeyClient {
public:
    explicit KeyClient(PgConnectionHost& host)
        : session_(std::make_unique<NativeSession>(host, NativeSessionOptions{})) {
        Bytes preface;
        encode_native_preface(preface, kNativeVersion);
        session_->receive(preface);
        const Bytes out = session_->take_output();
        EXPECT_GE(out.size(), kNativePrefaceBytes);
        framer_.feed(ByteSpan(out).subspan(std::min(out.size(), kNativePrefaceBytes)));
    }

    std::vector<Received> send(u64 request_id, const NativeMessage& message) {
        session_->receive(testing::native_frame_of(request_id, message));
        return testing::collect_native(*session_, framer_);
    }

    // The one answer to a request (an empty variant's default when there is not exactly one).
    NativeMessage one(u64 request_id, const NativeMessage& message) {
        auto received = send(request_id, message);
        EXPECT_EQ(received.size(), 1u);
        return received.size() == 1 ? received[0].message : NativeMessage{};
    }

    // Hello with the key: Ready, or the error that closed the connection.
    std::variant<NativeReady, NativeError> log_in(std::string_view key,
                                                  std::string tenant = "default") {
        NativeHello hello{"test", std::move(tenant), NativeAuthMethod::api_key, "",
                          Bytes(key.begin(), key.end())};
        auto received = send(1, hello);
        EXPECT_EQ(received.size(), 1u);
        if (received.size() != 1) return NativeError{};
        if (const auto* ready = std::get_if<NativeReady>(&received[0].message)) return *ready;
        if (const auto* error = std::get_if<NativeError>(&received[0].message)) return *error;
        ADD_FAILURE() << "neither Ready nor Error";
        return NativeError{};
    }

    NativeSession& session() { return *session_; }

private:
    std::unique_ptr<NativeSession> session_;
    NativeFramer framer_;
};

NativeErrorCode error_code(const NativeMessage& message) {
    const auto* error = std::get_if<NativeError>(&message);
    return error != nullptr ? error->code : NativeErrorCode::internal;
}

class NativeApiKeyTest : public ::testing::Test {
protected:
    void SetUp() override {
        tenant = host.node().default_tenant();
        admin = std::make_unique<sql::Session>(host.node(), tenant, db::kAdminPrincipal);
        sql("CREATE ROLE root LOGIN SUPERUSER");
        sql("CREATE ROLE alice LOGIN");
        sql("CREATE ROLE nologin");
        sql("CREATE DATABASE other");
    }
    std::string sql(std::string_view text) {
        auto results = admin->execute(text);
        EXPECT_EQ(results.size(), 1u);
        if (results.size() != 1 || !results[0]) {
            ADD_FAILURE() << text << ": " << (results.empty() ? "" : results[0].error().message);
            return {};
        }
        return results[0]->rows.empty() ? std::string() : results[0]->rows[0][0].as_text();
    }
    std::string create_key(std::string_view role, std::string_view mode,
                           std::string_view database = "default") {
        return sql("SELECT kimberlite_create_api_key('" + std::string(role) + "', '" +
                   std::string(database) + "', '" + std::string(mode) + "')");
    }
    u64 create_stream(KeyClient& client, std::string name, u64 request_id) {
        auto answer =
            client.one(request_id, NativeStreamCreate{std::move(name), DataClass::internal});
        const auto* created = std::get_if<NativeStreamCreated>(&answer);
        EXPECT_NE(created, nullptr);
        return created != nullptr ? created->stream_id : 0;
    }

    TestPgHost host;
    TenantId tenant;
    std::unique_ptr<sql::Session> admin;
};

TEST_F(NativeApiKeyTest, AKeyLogsInAsItsRoleInItsTenant) {
    const std::string key = create_key("root", "read_write");
    KeyClient client(host);
    auto ready = client.log_in(key);
    ASSERT_TRUE(std::holds_alternative<NativeReady>(ready));
    EXPECT_EQ(std::get<NativeReady>(ready).tenant_id, tenant.value());
    EXPECT_FALSE(std::get<NativeReady>(ready).read_only);
    EXPECT_TRUE(client.session().logged_in());

    const u64 stream = create_stream(client, "orders", 2);
    auto appended = client.one(3, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{'a'}}});
    EXPECT_TRUE(std::holds_alternative<NativeAppended>(appended));
    auto rows = client.one(4, NativeQuery{"SELECT current_user", {}});
    ASSERT_TRUE(std::holds_alternative<NativeRows>(rows));
    EXPECT_EQ(std::get<NativeRows>(rows).rows.at(0).at(0).as_text(), "root");
    EXPECT_TRUE(std::holds_alternative<NativeRows>(
        client.one(5, NativeQuery{"CREATE TABLE t (id bigint PRIMARY KEY)", {}})));

    // An empty tenant means the key's.
    KeyClient unnamed(host);
    EXPECT_TRUE(std::holds_alternative<NativeReady>(unnamed.log_in(key, "")));
}

TEST_F(NativeApiKeyTest, EveryBadKeyFailsAlike) {
    const std::string key = create_key("root", "read_write");
    auto parsed = kernel::parse_api_key(key);
    ASSERT_TRUE(parsed);
    kernel::ApiKeyText wrong_secret = *parsed;
    wrong_secret.secret[3] ^= 1;
    kernel::ApiKeyText unknown_id = *parsed;
    unknown_id.key_id ^= 1;
    const std::string nologin = create_key("nologin", "read_write");

    const std::vector<std::pair<std::string, std::string>> attempts = {
        {kernel::format_api_key(wrong_secret), "default"},
        {kernel::format_api_key(unknown_id), "default"},
        {key, "other"},    // the key is scoped to "default"
        {key, "nowhere"},  // no such tenant: still the same answer
        {"kmb_not-a-key", "default"},
        {"", "default"},
        {nologin, "default"},  // the role may not log in
    };
    for (const auto& [text, tenant_name] : attempts) {
        KeyClient client(host);
        auto answer = client.log_in(text, tenant_name);
        ASSERT_TRUE(std::holds_alternative<NativeError>(answer)) << text << " " << tenant_name;
        const NativeError& error = std::get<NativeError>(answer);
        EXPECT_EQ(error.code, NativeErrorCode::authentication_failed) << text;
        EXPECT_EQ(error.message, kApiKeyAuthenticationFailed) << text;
        EXPECT_TRUE(client.session().closed());
    }
}

TEST_F(NativeApiKeyTest, ARoleWithoutConnectIsRefusedAfterItsKeyChecksOut) {
    const std::string key = create_key("alice", "read_only");
    KeyClient refused(host);
    auto answer = refused.log_in(key);
    ASSERT_TRUE(std::holds_alternative<NativeError>(answer));
    EXPECT_EQ(std::get<NativeError>(answer).code, NativeErrorCode::permission_denied);

    sql("GRANT CONNECT ON DATABASE \"default\" TO alice");
    KeyClient client(host);
    EXPECT_TRUE(std::holds_alternative<NativeReady>(client.log_in(key)));
}

TEST_F(NativeApiKeyTest, AReadOnlyKeyReadsButNeverWrites) {
    KeyClient writer(host);
    ASSERT_TRUE(
        std::holds_alternative<NativeReady>(writer.log_in(create_key("root", "read_write"))));
    const u64 stream = create_stream(writer, "events", 2);
    ASSERT_TRUE(std::holds_alternative<NativeAppended>(
        writer.one(3, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{'x'}}})));
    ASSERT_TRUE(std::holds_alternative<NativeRows>(
        writer.one(4, NativeQuery{"CREATE TABLE t (id bigint PRIMARY KEY)", {}})));

    // A superuser's read-only key: the refusals come from the key, not the role's grants.
    KeyClient reader(host);
    auto ready = reader.log_in(create_key("root", "read_only"));
    ASSERT_TRUE(std::holds_alternative<NativeReady>(ready));
    EXPECT_TRUE(std::get<NativeReady>(ready).read_only);

    auto append = reader.one(2, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{'y'}}});
    EXPECT_EQ(error_code(append), NativeErrorCode::permission_denied);
    EXPECT_NE(std::get<NativeError>(append).message.find("read-only"), std::string::npos);
    EXPECT_EQ(error_code(reader.one(3, NativeStreamCreate{"more", DataClass::internal})),
              NativeErrorCode::permission_denied);
    for (std::string_view write :
         {"INSERT INTO t VALUES (1)", "CREATE TABLE u (id bigint PRIMARY KEY)",
          "SELECT kimberlite_create_api_key('root', 'default', "
          "'read_write')"}) {
        auto answer = reader.one(4, NativeQuery{std::string(write), {}});
        ASSERT_TRUE(std::holds_alternative<NativeError>(answer)) << write;
        EXPECT_EQ(std::get<NativeError>(answer).code, NativeErrorCode::sql_error) << write;
        EXPECT_EQ(std::get<NativeError>(answer).sqlstate, "42501") << write;
    }

    // Reads and queries work; nothing was written.
    auto read = reader.send(5, NativeRead{stream, 0, 0});
    ASSERT_FALSE(read.empty());
    const auto* events = std::get_if<NativeEvents>(&read.back().message);
    ASSERT_NE(events, nullptr);
    EXPECT_EQ(events->next_offset, 1u);
    auto count = reader.one(6, NativeQuery{"SELECT count(*) FROM t", {}});
    ASSERT_TRUE(std::holds_alternative<NativeRows>(count));
    EXPECT_EQ(std::get<NativeRows>(count).rows.at(0).at(0).as_int(), 0);
    EXPECT_TRUE(std::holds_alternative<NativeStreamListReply>(reader.one(7, NativeStreamList{})));
    EXPECT_FALSE(reader.session().closed());
}

TEST_F(NativeApiKeyTest, RevokingAKeyStopsNewLoginsAndOpenSessionsWrites) {
    const std::string key = create_key("root", "read_write");
    KeyClient open(host);
    ASSERT_TRUE(std::holds_alternative<NativeReady>(open.log_in(key)));
    const u64 stream = create_stream(open, "audit", 2);

    sql("SELECT kimberlite_revoke_api_key('" + key + "')");
    auto append = open.one(3, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{'z'}}});
    EXPECT_EQ(error_code(append), NativeErrorCode::permission_denied);
    EXPECT_NE(std::get<NativeError>(append).message.find("revoked"), std::string::npos);
    auto insert = open.one(4, NativeQuery{"CREATE TABLE v (id bigint PRIMARY KEY)", {}});
    ASSERT_TRUE(std::holds_alternative<NativeError>(insert));
    EXPECT_EQ(std::get<NativeError>(insert).sqlstate, "42501");
    EXPECT_TRUE(std::holds_alternative<NativeRows>(open.one(5, NativeQuery{"SELECT 1", {}})))
        << "reads go on";

    KeyClient again(host);
    auto answer = again.log_in(key);
    ASSERT_TRUE(std::holds_alternative<NativeError>(answer));
    EXPECT_EQ(std::get<NativeError>(answer).code, NativeErrorCode::authentication_failed);

    // Dropping the key's role drops the key too.
    const std::string alice_key = create_key("alice", "read_write");
    sql("DROP ROLE alice");
    KeyClient dropped(host);
    EXPECT_TRUE(std::holds_alternative<NativeError>(dropped.log_in(alice_key)));
}

}  // namespace
}  // namespace kb::server
