// TcpListener: a listening TCP socket whose accept() can be interrupted from another thread,
// so a server stops accepting at once on SIGTERM without closing a socket under a blocked
// thread.
//
//     auto listener = TcpListener::open({"127.0.0.1", 0});   // port 0: the system picks one
//     u16 port = (*listener)->port();
//     while (auto fd = (*listener)->accept()) { ... }        // nullopt once stop() was called
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "kimberlite/status.h"
#include "server/listen_address.h"

namespace kb::server {

class TcpListener {
public:
    // Binds and listens (SO_REUSEADDR, so a restarted server gets its port back at once).
    static Result<std::unique_ptr<TcpListener>> open(const ListenAddress& address);
    ~TcpListener();
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    // The bound port (the chosen one when the address said 0).
    u16 port() const { return port_; }

    // Waits for a connection and returns its socket (the caller owns it), or nullopt once
    // stop() has been called. Transient accept errors (a client that reset before we took it,
    // a moment without file descriptors) are retried; others are returned.
    Result<std::optional<int>> accept();

    // Makes accept() return nullopt now and from then on. Any thread.
    void stop();

private:
    TcpListener(int fd, int wake_fd, u16 port) : fd_(fd), wake_fd_(wake_fd), port_(port) {}

    int fd_ = -1;
    int wake_fd_ = -1;  // an eventfd that stop() signals
    u16 port_ = 0;
    std::atomic<bool> stopped_{false};
};

}  // namespace kb::server
