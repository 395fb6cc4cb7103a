// Connecting with an API key, from the C++ client and the C API, against the loopback fixture:
// a read-write key appends and reads as its role; a read-only key reads but its appends are
// refused; a wrong key fails to connect with permission_denied.
#include <gtest/gtest.h>

#include "client/client_test_support.h"
#include "kernel/api_keys.h"
#include "kimberlite/kimberlite.h"
#include "sql/session.h"

namespace kb {
namespace {

class ClientApiKeyTest : public testing::ClientTest {
protected:
    std::string create_key(std::string_view mode) {
        sql::Session admin(host_.node(), host_.node().default_tenant(), db::kAdminPrincipal);
        auto made = admin.execute("SELECT kimberlite_create_api_key('root', 'default', '" +
                                  std::string(mode) + "')");
        EXPECT_TRUE(made.size() == 1 && made[0].has_value());
        return made.size() == 1 && made[0] ? made[0]->rows.at(0).at(0).as_text() : std::string();
    }
    void SetUp() override {
        sql::Session admin(host_.node(), host_.node().default_tenant(), db::kAdminPrincipal);
        auto made = admin.execute("CREATE ROLE root LOGIN SUPERUSER");
        ASSERT_TRUE(made.size() == 1 && made[0].has_value());
    }
    ClientOptions key_options(std::string key) const {
        ClientOptions out = options();
        out.password.clear();
        out.user.clear();
        out.api_key = std::move(key);
        return out;
    }
};

TEST_F(ClientApiKeyTest, AReadWriteKeyAppendsAndReads) {
    auto client = Client::connect(key_options(create_key("read_write")));
    ASSERT_TRUE(client.has_value()) << client.status().message();
    auto stream = (*client)->create_stream("keyed");
    ASSERT_TRUE(stream.has_value()) << stream.status().message();
    auto appended = (*client)->append(*stream, {testing::bytes_of("one")});
    ASSERT_TRUE(appended.has_value()) << appended.status().message();
    auto events = (*client)->read(*stream, Offset(0));
    ASSERT_TRUE(events.has_value());
    ASSERT_EQ(events->size(), 1u);
    auto who = (*client)->query("SELECT current_user");
    ASSERT_TRUE(who.has_value()) << who.status().message();
}

TEST_F(ClientApiKeyTest, AReadOnlyKeyCannotAppendAndABadKeyCannotConnect) {
    auto writer = Client::connect(key_options(create_key("read_write")));
    ASSERT_TRUE(writer.has_value());
    const StreamId stream = *(*writer)->create_stream("guarded");

    auto reader = Client::connect(key_options(create_key("read_only")));
    ASSERT_TRUE(reader.has_value()) << reader.status().message();
    auto refused = (*reader)->append(stream, {testing::bytes_of("no")});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.status().code(), StatusCode::permission_denied) << refused.status().message();
    EXPECT_TRUE((*reader)->read(stream, Offset(0)).has_value());

    kernel::ApiKeyText forged{.key_id = 77};
    ClientOptions bad = key_options(kernel::format_api_key(forged));
    bad.max_retries = 0;
    auto failed = Client::connect(bad);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.status().code(), StatusCode::permission_denied) << failed.status().message();
}

TEST_F(ClientApiKeyTest, TheCApiConnectsWithAKey) {
    const std::string server = "127.0.0.1:" + std::to_string(port_);
    const std::string key = create_key("read_only");
    kmb_options options{};
    options.server = server.c_str();
    options.api_key = key.c_str();
    options.tls = "disable";
    kmb_client* client = nullptr;
    ASSERT_EQ(kmb_connect(&options, &client), KMB_OK) << kmb_last_error(nullptr);
    uint64_t stream = 0;
    EXPECT_EQ(kmb_stream_create(client, "c", KMB_DATA_CLASS_INTERNAL, &stream),
              KMB_PERMISSION_DENIED)
        << kmb_last_error(client);
    kmb_close(client);

    const std::string wrong = key.substr(0, key.size() - 2) + "AA";
    options.api_key = wrong.c_str();
    EXPECT_NE(kmb_connect(&options, &client), KMB_OK);
}

}  // namespace
}  // namespace kb
