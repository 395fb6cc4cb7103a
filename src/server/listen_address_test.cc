#include "server/listen_address.h"

#include <gtest/gtest.h>

namespace kb::server {
namespace {

TEST(ListenAddress, ParsesHostAndPort) {
    auto address = parse_listen_address("127.0.0.1:5432", "--listen");
    ASSERT_TRUE(address.is_ok()) << address.status().to_string();
    EXPECT_EQ(address->host, "127.0.0.1");
    EXPECT_EQ(address->port, 5432);
    EXPECT_EQ(address->to_string(), "127.0.0.1:5432");
}

TEST(ListenAddress, ParsesBracketedIpv6) {
    auto address = parse_listen_address("[::1]:0", "--listen");
    ASSERT_TRUE(address.is_ok()) << address.status().to_string();
    EXPECT_EQ(address->host, "::1");
    EXPECT_EQ(address->port, 0);
    EXPECT_EQ(address->to_string(), "[::1]:0");
}

TEST(ListenAddress, RejectsMalformedText) {
    for (const char* text :
         {"", "5432", "host:", ":5432", "host:65536", "host:-1", "host:5x", "::1:5432", "[]:1"}) {
        auto address = parse_listen_address(text, "--listen");
        ASSERT_FALSE(address.is_ok()) << text;
        EXPECT_NE(address.status().message().find("--listen"), std::string::npos) << text;
    }
}

}  // namespace
}  // namespace kb::server
