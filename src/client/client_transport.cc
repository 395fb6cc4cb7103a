// A client's TCP (+ TLS) byte stream to a Kimberlite server (client_transport.h).
#include "client/client_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "server/pg_frontend.h"

namespace kb::client {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Connects `fd` to `address` within `timeout_ms`; 0 or an errno value.
int connect_with_timeout(int fd, const sockaddr* address, socklen_t length, int timeout_ms) {
    const int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
    int error = 0;
    if (::connect(fd, address, length) != 0) {
        if (errno != EINPROGRESS) return errno;
        pollfd waiter{.fd = fd, .events = POLLOUT, .revents = 0};
        int ready = 0;
        do {
            ready = ::poll(&waiter, 1, timeout_ms);
        } while (ready < 0 && errno == EINTR);
        if (ready == 0) return ETIMEDOUT;
        if (ready < 0) return errno;
        socklen_t size = sizeof(error);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
        if (error != 0) return error;
    }
    if (fcntl(fd, F_SETFL, flags) < 0) return errno;
    return 0;
}

}  // namespace

Result<TlsMode> parse_tls_mode(std::string_view text) {
    if (text == "disable") return TlsMode::disable;
    if (text == "prefer") return TlsMode::prefer;
    if (text == "require") return TlsMode::require;
    return Status::invalid_argument("--tls: '" + std::string(text) +
                                    "' is not one of require, prefer, disable");
}

Result<HostPort> parse_host_port(std::string_view text, u16 default_port) {
    HostPort out;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const usize close = text.find(']');
        if (close == std::string_view::npos) {
            return Status::invalid_argument("'" + std::string(text) + "': missing ']'");
        }
        out.host = std::string(text.substr(1, close - 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return Status::invalid_argument("'" + std::string(text) +
                                                "': expected ':PORT' after ']'");
            }
            port_text = rest.substr(1);
            if (port_text.empty()) {
                return Status::invalid_argument("'" + std::string(text) + "': empty port");
            }
        }
    } else {
        const usize colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') == colon) {
            out.host = std::string(text.substr(0, colon));
            port_text = text.substr(colon + 1);
            if (port_text.empty()) {
                return Status::invalid_argument("'" + std::string(text) + "': empty port");
            }
        } else {
            out.host = std::string(text);  // a bare host, or a bare IPv6 address
        }
    }
    if (out.host.empty()) {
        return Status::invalid_argument("'" + std::string(text) + "': empty host (want HOST:PORT)");
    }
    out.port = default_port;
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return Status::invalid_argument("'" + std::string(text) + "': port '" +
                                            std::string(port_text) + "' is not 1..65535");
        }
        out.port = static_cast<u16>(value);
    }
    return out;
}

std::string address_text(const std::string& host, u16 port) {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

Result<std::unique_ptr<ClientTransport>> ClientTransport::connect(const TransportOptions& options) {
    std::unique_ptr<ClientTransport> transport(new ClientTransport(options));
    KB_TRY(transport->open_socket());
    if (options.tls != TlsMode::disable) KB_TRY(transport->negotiate_tls());
    return transport;
}

Result<std::unique_ptr<ClientTransport>> ClientTransport::connect_plain(
    const TransportOptions& options) {
    std::unique_ptr<ClientTransport> transport(new ClientTransport(options));
    KB_TRY(transport->open_socket());
    return transport;
}

ClientTransport::~ClientTransport() { close(false); }

Status ClientTransport::open_socket() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options_.port);
    const int resolved = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found);
    if (resolved != 0) {
        return Status::not_found("cannot resolve host '" + options_.host +
                                 "': " + gai_strerror(resolved));
    }
    int last_error = ECONNREFUSED;
    for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
        const int fd =
            ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        last_error = connect_with_timeout(fd, address->ai_addr, address->ai_addrlen,
                                          options_.connect_timeout_ms);
        if (last_error == 0) {
            fd_ = fd;
            break;
        }
        ::close(fd);
    }
    freeaddrinfo(found);
    if (fd_ < 0) {
        std::string message = "cannot connect to " + address() + ": ";
        if (last_error == ETIMEDOUT) {
            message += "timed out after " + std::to_string(options_.connect_timeout_ms / 1000) +
                       " s - is the address right and the port open?";
        } else {
            message += errno_text(last_error);
            if (last_error == ECONNREFUSED) message += " \u2014 is kmb server running?";
        }
        return Status::io_error(message);
    }
    const int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return Status::ok();
}

Status ClientTransport::negotiate_tls() {
    Bytes request;
    server::encode_ssl_request(request);
    KB_TRY(write_all(request));
    // Exactly one byte, read straight from the socket: anything the server sent after it and
    // before the handshake must not be taken as protected data (CVE-2021-23222).
    char answer = 0;
    ssize_t got = 0;
    do {
        got = ::recv(fd_, &answer, 1, 0);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        return fail(Status::io_error("server at " + address() +
                                     " closed the connection during TLS negotiation" +
                                     (got < 0 ? ": " + errno_text(errno) : std::string())));
    }
    if (answer == 'N') {
        if (options_.tls == TlsMode::require) {
            return fail(Status::permission_denied("server at " + address() +
                                                  " does not offer TLS, and --tls require "
                                                  "was given"));
        }
        return Status::ok();
    }
    if (answer != 'S') {
        return fail(Status::invalid_argument(
            "server at " + address() +
            " answered the TLS request with an unexpected byte (is it a Kimberlite server?)"));
    }
    auto context =
        server::TlsContext::client({.ca_file = options_.tls_ca_file, .host_name = options_.host});
    if (!context) return fail(context.status().with_context("TLS"));
    tls_context_ = std::make_unique<server::TlsContext>(std::move(*context));
    auto ssl = tls_context_->new_ssl();
    if (!ssl) return fail(ssl.status().with_context("TLS"));
    ssl_ = std::move(*ssl);
    if (SSL_set_fd(ssl_.get(), fd_) != 1) {
        return fail(Status::internal("TLS: " + server::take_openssl_errors()));
    }
    int result = 0;
    do {
        result = SSL_connect(ssl_.get());
    } while (result <= 0 && SSL_get_error(ssl_.get(), result) == SSL_ERROR_SYSCALL &&
             errno == EINTR);
    if (result != 1) {
        std::string reason = server::take_openssl_errors();
        const long verify = SSL_get_verify_result(ssl_.get());
        if (verify != X509_V_OK) {
            reason += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
        }
        ssl_.reset();
        return fail(Status::crypto("TLS handshake with " + address() + " failed: " + reason));
    }
    tls_version_ = SSL_get_version(ssl_.get());
    return Status::ok();
}

Bytes ClientTransport::tls_server_end_point() const {
    if (!ssl_) return {};
    auto end_point = server::tls_peer_server_end_point(ssl_.get());
    return end_point ? std::move(*end_point) : Bytes();
}

Status ClientTransport::fail(Status status) {
    close(false);
    return status;
}

Status ClientTransport::write_all(ByteSpan bytes) {
    if (fd_ < 0) return Status::io_error("not connected");
    while (!bytes.empty()) {
        if (ssl_) {
            usize written = 0;
            const int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
            if (result != 1) {
                const int error = SSL_get_error(ssl_.get(), result);
                if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) continue;
                if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
                return fail(Status::io_error("the connection to the server was lost (TLS write: " +
                                             server::take_openssl_errors() + ")"));
            }
            bytes = bytes.subspan(written);
        } else {
            const ssize_t written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (written < 0) {
                if (errno == EINTR) continue;
                return fail(Status::io_error("the connection to the server was lost: " +
                                             errno_text(errno)));
            }
            bytes = bytes.subspan(static_cast<usize>(written));
        }
    }
    return Status::ok();
}

Result<usize> ClientTransport::read_some(MutableByteSpan buffer,
                                         const std::function<void()>& on_interrupt) {
    if (fd_ < 0) return Status::io_error("not connected");
    for (;;) {
        if (ssl_) {
            usize got = 0;
            const int result = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &got);
            if (result == 1) return got;
            const int error = SSL_get_error(ssl_.get(), result);
            if (error == SSL_ERROR_ZERO_RETURN) return usize{0};
            if (error == SSL_ERROR_SYSCALL && errno == 0) return usize{0};  // EOF, no notify
            const bool interrupted = error == SSL_ERROR_WANT_READ ||
                                     error == SSL_ERROR_WANT_WRITE ||
                                     (error == SSL_ERROR_SYSCALL && errno == EINTR);
            if (!interrupted) {
                return fail(
                    Status::io_error("the connection to the server was lost" +
                                     (error == SSL_ERROR_SYSCALL
                                          ? ": " + errno_text(errno)
                                          : " (TLS: " + server::take_openssl_errors() + ")")));
            }
        } else {
            const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), 0);
            if (got >= 0) return static_cast<usize>(got);
            if (errno != EINTR) {
                return fail(Status::io_error("the connection to the server was lost: " +
                                             errno_text(errno)));
            }
        }
        // Interrupted by a signal (OpenSSL reports it as WANT_READ on a blocking socket).
        if (on_interrupt) on_interrupt();
    }
}

bool ClientTransport::readable_now() const {
    if (fd_ < 0) return false;
    if (ssl_ && SSL_pending(ssl_.get()) > 0) return true;
    pollfd waiter{.fd = fd_, .events = POLLIN, .revents = 0};
    return ::poll(&waiter, 1, 0) > 0;
}

void ClientTransport::close(bool graceful) {
    if (fd_ < 0) return;
    if (ssl_) {
        if (graceful) SSL_shutdown(ssl_.get());  // close_notify; not on a dead connection
        ssl_.reset();
    }
    ::close(fd_);
    fd_ = -1;
}

void ClientTransport::shut_down() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace kb::client
