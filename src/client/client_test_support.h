// The loopback fixture of the client tests: a real connection loop (server/server.h) on
// 127.0.0.1 serving the native protocol over a simulated database node, with SCRAM logins for
// the password kPassword. Test-only.
#pragma once

#include <gtest/gtest.h>

#include "crypto/scram.h"
#include "kimberlite/client.h"
#include "server/native_session.h"
#include "server/pg_test_support.h"
#include "server/scram_authenticator.h"
#include "server/server.h"

namespace kb::testing {

inline constexpr std::string_view kPassword = "client test secret";

inline std::vector<unsigned char> bytes_of(std::string_view text) {
    return std::vector<unsigned char>(text.begin(), text.end());
}

class ClientTest : public ::testing::Test {
protected:
    ClientTest() {
        const Bytes salt = {9, 8, 7, 6, 5, 4, 3, 2};
        verifier_ = crypto::make_scram_verifier(kPassword, salt, 16);
        host_.make_authenticator = [this](const server::PgLogin& login, bool) {
            server::ScramAuthenticatorOptions options;
            options.user = login.user;
            options.verifier = verifier_;
            options.mock_secret = Bytes(32, 1);
            return std::make_unique<server::ScramAuthenticator>(std::move(options));
        };
        start_server(0);
    }

    void start_server(u16 port) {
        server::ServerOptions options;
        options.listen = server::ListenAddress{"127.0.0.1", port};
        auto started = server::Server::start(options, [this](const server::ConnectionInfo&) {
            return std::make_unique<server::NativeSession>(host_, server::NativeSessionOptions{});
        });
        ASSERT_TRUE(started.has_value()) << started.status().message();
        server_ = std::move(*started);
        port_ = server_->port();
    }

    ClientOptions options() const {
        ClientOptions out;
        out.server = "127.0.0.1:" + std::to_string(port_);
        out.password = std::string(kPassword);
        out.tls = "disable";
        out.backoff_initial_ms = 10;
        out.request_timeout_ms = 20'000;
        return out;
    }

    std::unique_ptr<Client> connect() {
        auto client = Client::connect(options());
        EXPECT_TRUE(client.has_value()) << client.status().message();
        return client ? std::move(*client) : nullptr;
    }

    server::testing::TestPgHost host_;
    std::unique_ptr<server::Server> server_;
    u16 port_ = 0;

private:
    crypto::ScramVerifier verifier_;
};

}  // namespace kb::testing
