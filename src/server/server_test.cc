// The connection loop with a toy protocol: every byte received is echoed; 'B' enters and 'C'
// leaves a "transaction", 'Q' closes, 'S' blocks until released (a statement in flight), 'L'
// logs in (sessions start logged in unless the fixture says otherwise).
#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kb::server {
namespace {

struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool entered = false;
    bool open = false;
};

class EchoSession final : public ProtocolSession {
public:
    EchoSession(ConnectionInfo info, Gate* gate, bool logged_in = true)
        : info_(std::move(info)), gate_(gate), logged_in_(logged_in) {}
    void receive(ByteSpan bytes) override {
        if (info_.over_limit) {
            out_ = copy_of(as_bytes("too many"));
            closed_ = true;
            return;
        }
        for (u8 b : bytes) {
            if (b == 'B') in_transaction_ = true;
            if (b == 'C') in_transaction_ = false;
            if (b == 'Q') closed_ = true;
            if (b == 'L') logged_in_ = true;
            if (b == 'S') {
                std::unique_lock lock(gate_->mutex);
                gate_->entered = true;
                gate_->changed.notify_all();
                gate_->changed.wait(lock, [&] { return gate_->open; });
            }
            out_.push_back(b);
        }
    }
    Bytes take_output() override { return std::exchange(out_, {}); }
    bool wants_tls() const override { return false; }
    void tls_started() override {}
    bool closed() const override { return closed_; }
    bool in_transaction() const override { return in_transaction_; }
    bool logged_in() const override { return logged_in_; }
    Bytes goodbye(const char* sqlstate, const char*) override {
        return copy_of(as_bytes(std::string("bye ") + sqlstate));
    }

private:
    ConnectionInfo info_;
    Gate* gate_;
    Bytes out_;
    bool closed_ = false;
    bool in_transaction_ = false;
    bool logged_in_ = true;
};

int connect_to(u16 port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    return fd;
}

void send_text(int fd, const std::string& text) {
    ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(text.size()));
}

// Reads until `want` bytes arrived or the peer closed (or 10 s passed).
std::string read_text(int fd, usize want = 1 << 20) {
    std::string out;
    char buffer[256];
    while (out.size() < want) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10'000) <= 0) break;
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        out.append(buffer, static_cast<usize>(got));
    }
    return out;
}

struct Fixture {
    Gate gate;
    std::unique_ptr<Server> server;
    explicit Fixture(ServerOptions options = {}, bool logged_in = true) {
        auto started = Server::start(options, [this, logged_in](const ConnectionInfo& info) {
            return std::make_unique<EchoSession>(info, &gate, logged_in);
        });
        EXPECT_TRUE(started.is_ok()) << started.status().to_string();
        server = std::move(*started);
    }
};

TEST(Server, EchoesUntilTheSessionCloses) {
    Fixture f;
    EXPECT_NE(f.server->port(), 0);
    const int fd = connect_to(f.server->port());
    send_text(fd, "hello");
    EXPECT_EQ(read_text(fd, 5), "hello");
    send_text(fd, "xQ");
    EXPECT_EQ(read_text(fd), "xQ");  // then end of stream
    ::close(fd);
    EXPECT_EQ(f.server->accepted_connections(), 1u);
}

TEST(Server, TellsOneTooManyAndKeepsServingTheOthers) {
    ServerOptions options;
    options.max_connections = 1;
    Fixture f(options);
    const int first = connect_to(f.server->port());
    send_text(first, "a");
    EXPECT_EQ(read_text(first, 1), "a");
    const int second = connect_to(f.server->port());
    send_text(second, "b");
    EXPECT_EQ(read_text(second), "too many");
    send_text(first, "c");
    EXPECT_EQ(read_text(first, 1), "c");
    ::close(first);
    ::close(second);
}

TEST(Server, ClosesAConnectionThatDoesNotLogInInTime) {
    ServerOptions options;
    options.authentication_timeout_ms = 100;
    Fixture f(options, /*logged_in=*/false);
    const int silent = connect_to(f.server->port());
    const int talking = connect_to(f.server->port());
    send_text(talking, "a");  // bytes alone do not stop the clock...
    EXPECT_EQ(read_text(talking), "abye 57014");
    EXPECT_EQ(read_text(silent), "bye 57014");
    // ...logging in does: then the connection stays however long it waits.
    const int logged_in = connect_to(f.server->port());
    send_text(logged_in, "L");
    EXPECT_EQ(read_text(logged_in, 1), "L");
    ::poll(nullptr, 0, 300);
    send_text(logged_in, "x");
    EXPECT_EQ(read_text(logged_in, 1), "x");
    ::close(silent);
    ::close(talking);
    ::close(logged_in);
}

TEST(Server, ClosesASessionIdleInATransaction) {
    ServerOptions options;
    options.idle_in_transaction_timeout_ms = 100;
    Fixture f(options);
    const int idle_outside = connect_to(f.server->port());
    const int idle_inside = connect_to(f.server->port());
    send_text(idle_outside, "x");
    EXPECT_EQ(read_text(idle_outside, 1), "x");
    send_text(idle_inside, "B");
    EXPECT_EQ(read_text(idle_inside), "Bbye 25P03");  // closed after the timeout
    // Outside a transaction there is no limit: still served.
    send_text(idle_outside, "y");
    EXPECT_EQ(read_text(idle_outside, 1), "y");
    ::close(idle_outside);
    ::close(idle_inside);
}

TEST(Server, StopLetsARunningStatementFinishAndTellsIdleSessions) {
    Fixture f;
    const int idle = connect_to(f.server->port());
    const int busy = connect_to(f.server->port());
    send_text(idle, "i");
    EXPECT_EQ(read_text(idle, 1), "i");
    send_text(busy, "S");
    {
        std::unique_lock lock(f.gate.mutex);
        ASSERT_TRUE(f.gate.changed.wait_for(lock, std::chrono::seconds(10),
                                            [&] { return f.gate.entered; }));
    }
    std::thread stopper([&] { f.server->stop(); });
    // The idle session is told at once; the busy one gets its answer first, then the notice.
    EXPECT_EQ(read_text(idle), "bye 57P01");
    {
        std::lock_guard lock(f.gate.mutex);
        f.gate.open = true;
    }
    f.gate.changed.notify_all();
    EXPECT_EQ(read_text(busy), "Sbye 57P01");
    stopper.join();
    EXPECT_EQ(f.server->open_connections(), 0u);
    // Nothing listens any more.
    const int late = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(f.server->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_NE(::connect(late, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(late);
    ::close(idle);
    ::close(busy);
}

TEST(Server, RefusesAnAddressInUse) {
    Fixture f;
    ServerOptions options;
    options.listen.port = f.server->port();
    auto second = Server::start(
        options, [](const ConnectionInfo&) { return std::unique_ptr<ProtocolSession>(); });
    ASSERT_FALSE(second.is_ok());
    EXPECT_NE(second.status().message().find("another server"), std::string::npos)
        << second.status().message();
}

}  // namespace
}  // namespace kb::server
