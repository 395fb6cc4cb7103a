#include "server/server_log.h"

#include <gtest/gtest.h>

namespace kb::server {
namespace {

TEST(ServerLog, TextLinesQuoteWhatWouldBeAmbiguous) {
    ServerLog log(false, LogLevel::info);
    EXPECT_EQ(log.format(LogLevel::info, "listening",
                         {{"address", "127.0.0.1:5432"}, {"why", "a b=c"}, {"empty", ""}}, "T"),
              "T info listening address=127.0.0.1:5432 why=\"a b=c\" empty=\"\"");
}

TEST(ServerLog, JsonLinesEscapeStrings) {
    ServerLog log(true, LogLevel::info);
    EXPECT_EQ(log.format(LogLevel::warn, "login failed", {{"user", "x\"y\n"}}, "T"),
              "{\"time\":\"T\",\"level\":\"warn\",\"event\":\"login failed\",\"user\":"
              "\"x\\\"y\\n\"}");
}

TEST(ServerLog, LevelsFilter) {
    ServerLog log(false, LogLevel::warn);
    EXPECT_TRUE(log.enabled(LogLevel::error));
    EXPECT_TRUE(log.enabled(LogLevel::warn));
    EXPECT_FALSE(log.enabled(LogLevel::info));
    EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
    EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
}

}  // namespace
}  // namespace kb::server
