// Blocking socket and TLS IO for one client (client_stream.h).
#include "server/client_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "io/errno_status.h"

namespace kb::server {

namespace {

std::string openssl_errors() {
    std::string out;
    while (const unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        out += (out.empty() ? "" : "; ") + std::string(text);
    }
    return out;
}

}  // namespace

ClientStream::ClientStream(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    char text[INET6_ADDRSTRLEN] = "?";
    u16 port = 0;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        if (address.ss_family == AF_INET6) {
            const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
            ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
            port = ntohs(v6->sin6_port);
        } else if (address.ss_family == AF_INET) {
            const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
            ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
            port = ntohs(v4->sin_port);
        }
    }
    peer_host_ = text;
    peer_ = (address.ss_family == AF_INET6 ? "[" + peer_host_ + "]" : peer_host_) + ":" +
            std::to_string(port);
}

ClientStream::~ClientStream() {
    finish();
    ::close(fd_);
}

Status ClientStream::ssl_error(const char* what, int result) {
    const int code = SSL_get_error(ssl_, result);
    std::string detail = openssl_errors();
    if (code == SSL_ERROR_SYSCALL && detail.empty()) detail = io::errno_text(errno);
    return Status::io_error(std::string(what) + " with " + peer_ + " failed (SSL error " +
                            std::to_string(code) + (detail.empty() ? "" : ": " + detail) + ")");
}

Result<ClientStream::Wait> ClientStream::wait_for(short events, std::optional<u64> timeout_ms,
                                                  bool wakes) {
    // poll ignores negative descriptors: a socket not waited for, a missing stop or wake one.
    pollfd fds[3] = {{events != 0 ? fd_ : -1, events, 0},
                     {stop_fd_, POLLIN, 0},
                     {wakes ? wake_fd_ : -1, POLLIN, 0}};
    const int wait = timeout_ms ? static_cast<int>(std::min<u64>(*timeout_ms, INT_MAX)) : -1;
    int ready = 0;
    do {
        ready = ::poll(fds, 3, wait);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return io::errno_status(errno, "poll on the connection from " + peer_);
    if (ready == 0) return Wait::timed_out;
    if ((fds[1].revents & POLLIN) != 0) return Wait::stopped;
    if ((fds[2].revents & POLLIN) != 0) {
        u64 count = 0;  // resets the eventfd (non-blocking: a lost race reads nothing)
        while (::read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
        }
        return Wait::woken;
    }
    return Wait::ready;
}

Result<ClientStream::Input> ClientStream::read_some(MutableByteSpan into,
                                                    std::optional<u64> timeout_ms, bool socket) {
    using Kind = Input::Kind;
    if (socket && into.empty()) return Input{Kind::bytes, 0};
    const usize want = std::min<usize>(into.size(), INT_MAX);
    short events = socket ? POLLIN : 0;
    while (true) {
        const bool buffered = socket && ssl_ != nullptr && SSL_pending(ssl_) > 0;
        if (!buffered) {
            const Wait waited = KB_TRY(wait_for(events, timeout_ms, true));
            if (waited == Wait::timed_out) return Input{Kind::timed_out, 0};
            if (waited == Wait::stopped) return Input{Kind::end, 0};
            if (waited == Wait::woken) return Input{Kind::woken, 0};
            if (!socket) continue;  // not reached: the socket is not polled
        }
        if (ssl_ != nullptr) {
            ERR_clear_error();
            const int got = SSL_read(ssl_, into.data(), static_cast<int>(want));
            if (got > 0) return Input{Kind::bytes, static_cast<usize>(got)};
            const int code = SSL_get_error(ssl_, got);
            if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
                // Part of a record, or a message of TLS itself (a ticket, a key update): wait.
                events = code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
                continue;
            }
            if (code == SSL_ERROR_ZERO_RETURN || code == SSL_ERROR_SYSCALL) {
                ERR_clear_error();
                return Input{Kind::end, 0};  // closed (with or without close_notify)
            }
            return ssl_error("TLS read", got);
        }
        ssize_t got = 0;
        do {
            got = ::recv(fd_, into.data(), want, 0);
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
            if (errno == ECONNRESET) return Input{Kind::end, 0};
            return io::errno_status(errno, "read from " + peer_);
        }
        if (got == 0) return Input{Kind::end, 0};
        return Input{Kind::bytes, static_cast<usize>(got)};
    }
}

Status ClientStream::write_all(ByteSpan bytes) {
    while (!bytes.empty()) {
        const usize chunk = std::min<usize>(bytes.size(), INT_MAX);
        if (ssl_ != nullptr) {
            ERR_clear_error();
            const int wrote = SSL_write(ssl_, bytes.data(), static_cast<int>(chunk));
            if (wrote <= 0) {
                const int code = SSL_get_error(ssl_, wrote);
                if (code == SSL_ERROR_WANT_WRITE || code == SSL_ERROR_WANT_READ) {
                    // The socket is full: wait (not for the stop descriptor — what is being
                    // written may be the goodbye), then repeat the same write, as TLS wants.
                    pollfd fd{fd_,
                              static_cast<short>(code == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN),
                              0};
                    while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
                    }
                    continue;
                }
                return ssl_error("TLS write", wrote);
            }
            bytes = bytes.subspan(static_cast<usize>(wrote));
            continue;
        }
        const ssize_t wrote = ::send(fd_, bytes.data(), chunk, MSG_NOSIGNAL);
        if (wrote < 0) {
            if (errno == EINTR) continue;
            return io::errno_status(errno, "write to " + peer_);
        }
        bytes = bytes.subspan(static_cast<usize>(wrote));
    }
    return {};
}

Status ClientStream::start_tls(SSL_CTX* context) {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0) {
        return io::errno_status(errno, "making the connection from " + peer_ + " non-blocking");
    }
    ssl_ = SSL_new(context);
    if (ssl_ == nullptr) return Status::io_error("SSL_new: " + openssl_errors());
    SSL_set_fd(ssl_, fd_);
    // SSL_write's retries after WANT_WRITE repeat the same bytes, from wherever they now are.
    SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    auto fail = [&](Status error) {
        SSL_free(ssl_);
        ssl_ = nullptr;
        return error;
    };
    while (true) {
        ERR_clear_error();
        const int result = SSL_accept(ssl_);
        if (result == 1) return {};
        const int code = SSL_get_error(ssl_, result);
        if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
            return fail(ssl_error("TLS handshake", result));
        }
        auto waited = wait_for(code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, std::nullopt);
        if (!waited) return fail(waited.status());
        if (*waited == Wait::stopped) {
            return fail(Status::io_error("TLS handshake with " + peer_ +
                                         " stopped: the server is shutting down"));
        }
    }
}

void ClientStream::finish() {
    if (ssl_ != nullptr) {
        SSL_shutdown(ssl_);  // close_notify (one try: it fits in any socket buffer)
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace kb::server
