// Server: accepts clients on one TCP port and runs each connection on its own thread, feeding
// the socket's bytes to a ProtocolSession and writing back what it produces.
//
// One thread per connection keeps statement execution simple (a statement blocks its thread
// while the database commits it; DESIGN.md's one write path stays on the database's own loop
// thread). Limits enforced here: connections at once (the session made for one too many is
// told so and closed), idle time inside a transaction.
//
//     auto server = Server::start(options, [&](const ConnectionInfo& info) { ... });
//     u16 port = (*server)->port();
//     ...
//     (*server)->stop();   // stop accepting; idle sessions get 57P01 and close (TLS ones too);
//                          // busy ones finish the request they are running first; returns
//                          // when all ended
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kimberlite/status.h"
#include "server/listen_address.h"
#include "server/protocol_session.h"

namespace kb::server {

class ClientStream;
class TcpListener;

struct ServerOptions {
    ListenAddress listen{"127.0.0.1", 0};
    u32 max_connections = 100;
    u64 idle_in_transaction_timeout_ms = 0;  // 0: none
    // A connection not logged in this long after it was accepted is closed (57014); 0: none.
    u64 authentication_timeout_ms = 60'000;
    SSL_CTX* tls = nullptr;  // not owned; nullptr: no TLS (clients asking are told no)
};

// Facts about a new connection a session factory may use.
struct ConnectionInfo {
    u64 id = 0;               // 1, 2, ... in order of arrival
    std::string peer;         // "127.0.0.1:53412"
    std::string peer_host;    // "127.0.0.1"
    bool over_limit = false;  // one too many: tell the client (53300) and close
    bool tls_available = false;
};

using SessionFactory = std::function<std::unique_ptr<ProtocolSession>(const ConnectionInfo&)>;

class Server {
public:
    static Result<std::unique_ptr<Server>> start(ServerOptions options, SessionFactory factory);
    ~Server();  // stop()s
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    u16 port() const;
    const ListenAddress& address() const { return address_; }
    u64 open_connections() const { return open_.load(); }
    u64 accepted_connections() const { return accepted_.load(); }

    // Graceful stop (see above). Idempotent; any thread but a connection's.
    void stop();

private:
    struct Connection {
        std::unique_ptr<ClientStream> stream;
        std::thread thread;
        std::atomic<bool> finished{false};
    };

    Server(ServerOptions options, SessionFactory factory, std::unique_ptr<TcpListener> listener);
    void accept_loop();
    void serve(Connection& connection, ConnectionInfo info);
    // Joins connection threads that have ended. Holds mutex_.
    void reap_finished_locked();

    ServerOptions options_;
    SessionFactory factory_;
    std::unique_ptr<TcpListener> listener_;
    ListenAddress address_;
    std::thread accept_thread_;
    std::mutex mutex_;
    std::list<Connection> connections_;
    int stop_fd_ = -1;  // an eventfd stop() signals; every ClientStream polls it
    std::atomic<bool> stopping_{false};
    std::atomic<u64> open_{0};
    std::atomic<u64> accepted_{0};
    std::once_flag stop_once_;
};

}  // namespace kb::server
