// PgClient against scripted fake servers on loopback: what a client must refuse (a login the
// server did not prove, a cleartext password over plain TCP, methods it does not speak, TLS
// refused under --tls require) and what it must report (the server's FATAL, a closed port).
// The happy paths run against the real server in tests/server/kmb_sql_test.py.
#include "cli/pg_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "crypto/scram.h"
#include "server/pg_backend.h"
#include "server/pg_frontend.h"

namespace kb::cli {
namespace {

// A one-connection server on 127.0.0.1: `script` gets the accepted socket.
class FakeServer {
public:
    explicit FakeServer(std::function<void(int)> script) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        EXPECT_EQ(::listen(listener_, 1), 0);
        socklen_t size = sizeof(address);
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this, script = std::move(script)]() {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            script(fd);
            ::close(fd);
        });
    }
    ~FakeServer() {
        thread_.join();
        ::close(listener_);
    }
    u16 port() const { return port_; }

private:
    int listener_ = -1;
    u16 port_ = 0;
    std::thread thread_;
};

bool read_exactly(int fd, Bytes& out, usize count) {
    out.resize(count);
    usize done = 0;
    while (done < count) {
        const ssize_t got = ::recv(fd, out.data() + done, count - done, 0);
        if (got <= 0) return false;
        done += static_cast<usize>(got);
    }
    return true;
}

// One startup-phase packet (length word included in the count).
bool read_packet(int fd) {
    Bytes length;
    if (!read_exactly(fd, length, 4)) return false;
    const u32 size =
        (u32{length[0]} << 24) | (u32{length[1]} << 16) | (u32{length[2]} << 8) | u32{length[3]};
    Bytes body;
    return read_exactly(fd, body, size - 4);
}

// One typed message; returns its body.
Bytes read_typed(int fd) {
    Bytes header;
    if (!read_exactly(fd, header, 5)) return {};
    const u32 size =
        (u32{header[1]} << 24) | (u32{header[2]} << 16) | (u32{header[3]} << 8) | u32{header[4]};
    Bytes body;
    read_exactly(fd, body, size - 4);
    return body;
}

void send_all(int fd, const Bytes& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
}

PgConnectOptions options_for(u16 port, TlsMode tls = TlsMode::disable) {
    PgConnectOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.tls = tls;
    options.password = []() -> Result<std::string> { return std::string("secret"); };
    return options;
}

TEST(PgClient, RefusesALoginTheServerDidNotProve) {
    FakeServer server([](int fd) {
        if (!read_packet(fd)) return;
        Bytes out;
        const std::string mechanisms[] = {"SCRAM-SHA-256"};
        server::write_authentication_sasl(out, mechanisms);
        send_all(fd, out);
        read_typed(fd);  // SASLInitialResponse
        out.clear();
        server::write_authentication_ok(out);  // skips the whole exchange
        server::write_ready_for_query(out, server::PgTransactionStatus::idle);
        send_all(fd, out);
        read_typed(fd);
    });
    auto client = PgClient::connect(options_for(server.port()));
    ASSERT_FALSE(client);
    EXPECT_NE(client.status().message().find("without proving"), std::string::npos)
        << client.status().message();
}

TEST(PgClient, RefusesACleartextPasswordWithoutTls) {
    bool password_sent = false;
    {
        FakeServer server([&password_sent](int fd) {
            if (!read_packet(fd)) return;
            Bytes out;
            server::write_authentication_cleartext_password(out);
            send_all(fd, out);
            password_sent = !read_typed(fd).empty();
        });
        auto client = PgClient::connect(options_for(server.port()));
        ASSERT_FALSE(client);
        EXPECT_NE(client.status().message().find("in clear"), std::string::npos)
            << client.status().message();
    }  // the client's socket is closed, the server thread joined
    EXPECT_FALSE(password_sent);
}

TEST(PgClient, RefusesMethodsItDoesNotSpeak) {
    FakeServer server([](int fd) {
        if (!read_packet(fd)) return;
        Bytes out = {'R', 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4};  // MD5 with its salt
        send_all(fd, out);
        read_typed(fd);
    });
    auto client = PgClient::connect(options_for(server.port()));
    ASSERT_FALSE(client);
    EXPECT_NE(client.status().message().find("MD5"), std::string::npos)
        << client.status().message();
}

TEST(PgClient, ReportsTheServersFatalError) {
    FakeServer server([](int fd) {
        if (!read_packet(fd)) return;
        Bytes out;
        server::PgNotice error;
        error.severity = "FATAL";
        error.sqlstate = "3D000";
        error.message = "database \"nope\" does not exist";
        server::write_error_response(out, error);
        send_all(fd, out);
    });
    server::PgNotice seen;
    auto client = PgClient::connect(options_for(server.port()), &seen);
    ASSERT_FALSE(client);
    EXPECT_EQ(seen.sqlstate, "3D000");
    EXPECT_EQ(client.status().message(), "FATAL:  database \"nope\" does not exist");
}

TEST(PgClient, TlsRequiredButRefused) {
    FakeServer server([](int fd) {
        if (!read_packet(fd)) return;  // SSLRequest
        send_all(fd, Bytes{'N'});
    });
    auto client = PgClient::connect(options_for(server.port(), TlsMode::require));
    ASSERT_FALSE(client);
    EXPECT_NE(client.status().message().find("does not offer TLS"), std::string::npos);
}

TEST(PgClient, QueryResultsNoticesAndErrors) {
    FakeServer server([](int fd) {
        if (!read_packet(fd)) return;
        Bytes out;
        server::write_authentication_ok(out);
        server::write_parameter_status(out, "server_version", "15.8");
        server::write_backend_key_data(out, 7, 9);
        server::write_ready_for_query(out, server::PgTransactionStatus::idle);
        send_all(fd, out);
        read_typed(fd);  // the Query
        out.clear();
        server::PgFieldDescription field;
        field.name = "n";
        field.type_oid = 23;
        const server::PgFieldDescription fields[] = {field};
        server::write_row_description(out, fields);
        server::PgDataRowWriter row(out, 1);
        row.value(as_bytes("1"));
        row.finish();
        server::PgDataRowWriter null_row(out, 1);
        null_row.null();
        null_row.finish();
        server::write_command_complete(out, "SELECT 2");
        server::PgNotice notice;
        notice.severity = "NOTICE";
        notice.sqlstate = "00000";
        notice.message = "hello";
        server::write_notice_response(out, notice);
        server::PgNotice error;
        error.sqlstate = "22012";
        error.message = "division by zero";
        error.position = 8;
        server::write_error_response(out, error);
        server::write_ready_for_query(out, server::PgTransactionStatus::failed);
        send_all(fd, out);
        read_typed(fd);  // Terminate
    });
    auto client = PgClient::connect(options_for(server.port()));
    ASSERT_TRUE(client) << client.status().message();
    EXPECT_EQ((*client)->parameter("server_version"), "15.8");
    EXPECT_EQ((*client)->auth_method(), "none");
    auto results = (*client)->query("SELECT n FROM t; SELECT 1/0");
    ASSERT_TRUE(results) << results.status().message();
    ASSERT_EQ(results->size(), 2u);
    const PgStatementResult& first = (*results)[0];
    EXPECT_TRUE(first.has_rows);
    EXPECT_EQ(first.columns, std::vector<std::string>{"n"});
    EXPECT_EQ(first.column_types, std::vector<u32>{23});
    ASSERT_EQ(first.rows.size(), 2u);
    EXPECT_EQ(first.rows[0][0], std::optional<std::string>("1"));
    EXPECT_EQ(first.rows[1][0], std::nullopt);
    EXPECT_EQ(first.tag, "SELECT 2");
    const PgStatementResult& second = (*results)[1];
    ASSERT_EQ(second.notices.size(), 1u);
    EXPECT_EQ(second.notices[0].message, "hello");
    ASSERT_TRUE(second.error);
    EXPECT_EQ(second.error->sqlstate, "22012");
    EXPECT_EQ(second.error->position, 8);
    EXPECT_EQ((*client)->transaction_status(), server::PgTransactionStatus::failed);
}

TEST(PgClient, ConnectionRefusedSaysWhatToCheck) {
    // A port nobody listens on: bind one, close it.
    const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t size = sizeof(address);
    ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(probe);
    auto client = PgClient::connect(options_for(ntohs(address.sin_port)));
    ASSERT_FALSE(client);
    const std::string expected =
        "cannot connect to 127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
        ": Connection refused — is kmb server running?";
    EXPECT_EQ(client.status().message(), expected);
}

}  // namespace
}  // namespace kb::cli
