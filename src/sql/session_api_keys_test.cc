// API key functions through SQL sessions on a simulated node: kimberlite_create_api_key returns
// a key whose hash (never its secret) is stored, kimberlite_api_keys lists keys without secrets,
// kimberlite_revoke_api_key revokes by id or whole key, and only superusers may call them.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "kernel/access_reads.h"
#include "kernel/api_keys.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

class SessionApiKeysTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        admin = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
        ok("CREATE ROLE alice LOGIN");
    }
    StatementResult ok(std::string_view sql, Session* on = nullptr) {
        auto results = (on != nullptr ? *on : *admin).execute(sql);
        EXPECT_FALSE(results.empty());
        for (const auto& result : results) {
            EXPECT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
            if (!result) return {};
        }
        return results.empty() ? StatementResult{} : *results.back();
    }
    std::string text(std::string_view sql, Session* on = nullptr) {
        StatementResult result = ok(sql, on);
        if (result.rows.size() != 1 || result.rows[0].size() != 1) {
            ADD_FAILURE() << sql << ": not one value";
            return {};
        }
        return result.rows[0][0].as_text();
    }
    SqlError error(std::string_view sql, Session* on = nullptr) {
        auto results = (on != nullptr ? *on : *admin).execute(sql);
        if (results.empty() || results.back().has_value()) {
            ADD_FAILURE() << sql << " succeeded";
            return {};
        }
        return results.back().error();
    }

    db::testing::SimNode node{47};
    TenantId tenant;
    std::unique_ptr<Session> admin;
};

TEST_F(SessionApiKeysTest, CreateListAndRevoke) {
    const std::string key =
        text("SELECT kimberlite_create_api_key('alice', 'default', 'read_only')");
    auto parsed = kernel::parse_api_key(key);
    ASSERT_TRUE(parsed) << key;
    auto stored = kernel::reads::api_key(node.engine().snapshot(), parsed->key_id);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ((*stored)->secret_hash, kernel::api_key_secret_hash(*parsed));
    EXPECT_TRUE((*stored)->read_only);
    EXPECT_EQ((*stored)->tenant, tenant);
    EXPECT_EQ((*stored)->role,
              kernel::reads::find_role(node.engine().snapshot(), "alice")->value().principal);

    const std::string id = kernel::api_key_id_hex(parsed->key_id);
    const std::string listed = text("SELECT kimberlite_api_keys()");
    EXPECT_NE(listed.find("\"id\": \"" + id + "\""), std::string::npos) << listed;
    EXPECT_NE(listed.find("\"role\": \"alice\""), std::string::npos) << listed;
    EXPECT_NE(listed.find("\"database\": \"default\""), std::string::npos) << listed;
    EXPECT_NE(listed.find("\"mode\": \"read_only\""), std::string::npos) << listed;
    EXPECT_EQ(listed.find(key.substr(10)), std::string::npos) << "no secret in the list";

    const std::string second =
        text("SELECT kimberlite_create_api_key('alice', 'default', 'read_write')");
    EXPECT_NE(second, key);
    EXPECT_EQ(text("SELECT kimberlite_revoke_api_key('" + id + "')"), id);
    EXPECT_FALSE(*kernel::reads::api_key(node.engine().snapshot(), parsed->key_id));
    EXPECT_EQ(error("SELECT kimberlite_revoke_api_key('" + id + "')").sqlstate, "42704");
    // The whole key names its id too.
    const std::string second_id = kernel::api_key_id_hex(kernel::parse_api_key(second)->key_id);
    EXPECT_EQ(text("SELECT kimberlite_revoke_api_key('" + second + "')"), second_id);
    EXPECT_EQ(text("SELECT kimberlite_api_keys()"), "[]");
}

TEST_F(SessionApiKeysTest, ErrorsAndPrivileges) {
    EXPECT_EQ(error("SELECT kimberlite_create_api_key('nobody', 'default', 'read_only')").sqlstate,
              "42704");
    EXPECT_EQ(error("SELECT kimberlite_create_api_key('alice', 'nowhere', 'read_only')").sqlstate,
              "3D000");
    EXPECT_EQ(error("SELECT kimberlite_create_api_key('alice', 'default', 'sometimes')").sqlstate,
              "22023");
    EXPECT_EQ(error("SELECT kimberlite_revoke_api_key('xyz')").sqlstate, "22023");

    auto alice_role = kernel::reads::find_role(node.engine().snapshot(), "alice");
    Session alice(node, tenant, alice_role->value().principal);
    EXPECT_EQ(error("SELECT kimberlite_create_api_key('alice', 'default', 'read_write')", &alice)
                  .sqlstate,
              "42501");
    EXPECT_EQ(error("SELECT kimberlite_api_keys()", &alice).sqlstate, "42501");
    EXPECT_EQ(error("SELECT kimberlite_revoke_api_key('0000000000000001')", &alice).sqlstate,
              "42501");
    EXPECT_TRUE(kernel::reads::api_keys(node.engine().snapshot())->empty());
}

}  // namespace
}  // namespace kb::sql
