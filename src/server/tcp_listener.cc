// POSIX sockets behind TcpListener (tcp_listener.h).
#include "server/tcp_listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "io/errno_status.h"

namespace kb::server {

Result<std::unique_ptr<TcpListener>> TcpListener::open(const ListenAddress& address) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address.port);
    if (int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        return Status::invalid_argument("cannot resolve listen address " + address.to_string() +
                                        ": " + ::gai_strerror(rc));
    }
    int fd = -1;
    int last_error = 0;
    for (addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
        fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC,
                      candidate->ai_protocol);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && ::listen(fd, 512) == 0) {
            break;
        }
        last_error = errno;
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(found);
    if (fd < 0) {
        return io::errno_status(
            last_error, "cannot listen on " + address.to_string() +
                            (last_error == EADDRINUSE ? " (is another server running?)" : ""));
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    const u16 bound_port =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) {
        const int error = errno;
        ::close(fd);
        return io::errno_status(error, "eventfd");
    }
    return std::unique_ptr<TcpListener>(new TcpListener(fd, wake, bound_port));
}

TcpListener::~TcpListener() {
    if (fd_ >= 0) ::close(fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<std::optional<int>> TcpListener::accept() {
    while (!stopped_.load()) {
        pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return io::errno_status(errno, "poll on the listening socket");
        }
        if (stopped_.load() || (fds[1].revents & POLLIN) != 0) break;
        if ((fds[0].revents & POLLIN) == 0) continue;
        const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) {
            const int one = 1;
            ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return std::optional<int>(client);
        }
        switch (errno) {
            case EINTR:
            case EAGAIN:
            case ECONNABORTED:
            case EPROTO:
                continue;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                // Out of descriptors or memory for a moment: back off instead of spinning.
                ::poll(nullptr, 0, 50);
                continue;
            default:
                return io::errno_status(errno, "accept");
        }
    }
    return std::optional<int>();
}

void TcpListener::stop() {
    stopped_.store(true);
    const u64 one = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace kb::server
