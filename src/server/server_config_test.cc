#include "server/server_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace kb::server {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("kb_server_config_" + name)).string();
    std::ofstream(path) << text;
    return path;
}

TEST(ServerConfig, DefaultsAreDesignDefaults) {
    ServerConfig config;
    EXPECT_EQ(config.data_dir, "./data");
    EXPECT_EQ(config.listen.to_string(), "127.0.0.1:5432");
    ASSERT_TRUE(config.http_listen.has_value());
    EXPECT_EQ(config.http_listen->host, "127.0.0.1");
}

TEST(ServerConfig, EveryNameHasItsVariableAndShowsWhatItParsed) {
    EXPECT_EQ(environment_name("max-connections"), "KMB_MAX_CONNECTIONS");
    ServerConfig config;
    for (const SettingInfo& setting : server_settings()) {
        // Showing a value and setting it again must be a fixed point.
        const std::string shown = setting.show(config);
        ASSERT_TRUE(setting.set(config, shown).is_ok()) << setting.name << " = " << shown;
        EXPECT_EQ(setting.show(config), shown) << setting.name;
        EXPECT_FALSE(setting.help.empty()) << setting.name;
    }
    EXPECT_NE(find_setting("max_connections"), nullptr);
    EXPECT_EQ(find_setting("max-conections"), nullptr);
}

TEST(ServerConfig, ParsesSizesDurationsAndSwitches) {
    ServerConfig config;
    ASSERT_TRUE(apply_setting(config, "max-message-bytes", "2MiB", "--x").is_ok());
    EXPECT_EQ(config.max_message_bytes, 2u << 20);
    ASSERT_TRUE(apply_setting(config, "idle-in-transaction-timeout", "30s", "--x").is_ok());
    EXPECT_EQ(config.idle_in_transaction_timeout_ms, 30'000u);
    ASSERT_TRUE(apply_setting(config, "http-listen", "off", "--x").is_ok());
    EXPECT_FALSE(config.http_listen.has_value());
    ASSERT_TRUE(apply_setting(config, "tls-required", "on", "--x").is_ok());
    EXPECT_TRUE(config.tls_required);

    const Status bad = apply_setting(config, "max-connections", "0", "KMB_MAX_CONNECTIONS");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.message().find("KMB_MAX_CONNECTIONS"), std::string::npos) << bad.message();
    EXPECT_FALSE(apply_setting(config, "idle-in-transaction-timeout", "5 parsecs", "--x").is_ok());
    EXPECT_FALSE(apply_setting(config, "log-format", "xml", "--x").is_ok());
    EXPECT_FALSE(apply_setting(config, "cache-bytes", "99999999999999999999GiB", "--x").is_ok());
    EXPECT_FALSE(apply_setting(config, "no-such-thing", "1", "--x").is_ok());
}

TEST(ServerConfig, StatementLimits) {
    ServerConfig config;
    EXPECT_EQ(config.max_result_bytes, 256u << 20);
    EXPECT_EQ(config.statement_timeout_ms, 0u);
    ASSERT_TRUE(apply_setting(config, "statement-timeout", "90s", "--x").is_ok());
    EXPECT_EQ(config.statement_timeout_ms, 90'000u);
    EXPECT_EQ(find_setting("statement_timeout")->show(config), "90s");
    ASSERT_TRUE(apply_setting(config, "statement-timeout", "2d", "--x").is_ok());
    EXPECT_EQ(config.statement_timeout_ms, 172'800'000u);
    // PostgreSQL's statement_timeout stops at INT_MAX milliseconds.
    EXPECT_FALSE(apply_setting(config, "statement-timeout", "30d", "--x").is_ok());
    ASSERT_TRUE(apply_setting(config, "max-result-bytes", "1GiB", "--x").is_ok());
    EXPECT_EQ(config.max_result_bytes, 1u << 30);
    ASSERT_TRUE(apply_setting(config, "max_result_bytes", "0", "--x").is_ok());
    EXPECT_EQ(config.max_result_bytes, 0u);
    ASSERT_TRUE(apply_setting(config, "max-statement-bytes", "1MiB", "--x").is_ok());
    EXPECT_EQ(config.max_statement_bytes, 1u << 20);
    ASSERT_TRUE(apply_environment(config, [](const char* name) -> const char* {
                    return std::string_view(name) == "KMB_STATEMENT_TIMEOUT" ? "250ms" : nullptr;
                }).is_ok());
    EXPECT_EQ(config.statement_timeout_ms, 250u);
}

TEST(ServerConfig, FileThenEnvironmentThenFlags) {
    const std::string path = write_file("precedence.toml",
                                        "listen = \"0.0.0.0:6000\"\n"
                                        "max_connections = 7\n"
                                        "tls-required = true\n"
                                        "data-dir = \"/srv/kb\"\n");
    ServerConfig config;
    ASSERT_TRUE(apply_config_file(config, path).is_ok());
    EXPECT_EQ(config.listen.to_string(), "0.0.0.0:6000");
    EXPECT_EQ(config.max_connections, 7u);
    EXPECT_TRUE(config.tls_required);

    std::map<std::string, std::string> env{{"KMB_MAX_CONNECTIONS", "9"}, {"OTHER", "x"}};
    ASSERT_TRUE(apply_environment(config, [&](const char* name) -> const char* {
                    auto it = env.find(name);
                    return it == env.end() ? nullptr : it->second.c_str();
                }).is_ok());
    EXPECT_EQ(config.max_connections, 9u);
    EXPECT_EQ(config.data_dir, "/srv/kb");  // the file's, no variable set it

    ASSERT_TRUE(apply_setting(config, "max-connections", "11", "--max-connections").is_ok());
    EXPECT_EQ(config.max_connections, 11u);
    std::remove(path.c_str());
}

TEST(ServerConfig, FileErrorsSayWhereAndWhat) {
    const std::string syntax = write_file("syntax.toml", "listen = \n");
    ServerConfig config;
    Status s = apply_config_file(config, syntax);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find(syntax + ":1:"), std::string::npos) << s.message();

    const std::string unknown = write_file("unknown.toml", "max_conections = 3\n");
    s = apply_config_file(config, unknown);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("unknown setting 'max_conections'"), std::string::npos)
        << s.message();

    const std::string table = write_file("table.toml", "[server]\nlisten = \"x:1\"\n");
    EXPECT_FALSE(apply_config_file(config, table).is_ok());
    EXPECT_FALSE(apply_config_file(config, "/nonexistent/kb.toml").is_ok());
    for (const auto& path : {syntax, unknown, table}) std::remove(path.c_str());
}

}  // namespace
}  // namespace kb::server
