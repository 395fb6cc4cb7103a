// ClientTransport: a client's byte stream to a Kimberlite server — TCP with a connect timeout,
// then (unless disabled) PostgreSQL's SSLRequest and a TLS 1.3 handshake, the same way for the
// PostgreSQL wire protocol and the native protocol (docs/PROTOCOL.md §1).
//
//     auto transport = ClientTransport::connect({.host = "127.0.0.1", .port = 5432});
//     (*transport)->write_all(bytes);
//     Result<usize> got = (*transport)->read_some(buffer);   // 0: the server closed
//
// TLS: `require` fails when the server says 'N'; `prefer` goes on in clear then. The server
// certificate is verified against `tls_ca_file` when given (else any certificate is accepted,
// as libpq's sslmode=require does; channel binding in SCRAM then proves the server). Errors are
// Status values with messages that say what to do ("is kmb server running?"); after one, the
// transport is closed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"
#include "server/tls_context.h"

namespace kb::client {

// When to speak TLS, as libpq's sslmode: disable (never ask), prefer (ask; continue in clear if
// the server says no), require (ask; fail if the server says no).
enum class TlsMode : u8 { disable, prefer, require };

// "disable" | "prefer" | "require"; invalid_argument otherwise.
Result<TlsMode> parse_tls_mode(std::string_view text);

struct HostPort {
    std::string host;
    u16 port = 0;
};

// "HOST:PORT", "[IPV6]:PORT", or "HOST" (then `default_port`). invalid_argument naming the text
// otherwise.
Result<HostPort> parse_host_port(std::string_view text, u16 default_port);

// "host:port", or "[v6]:port".
std::string address_text(const std::string& host, u16 port);

struct TransportOptions {
    std::string host = "127.0.0.1";
    u16 port = 5432;
    TlsMode tls = TlsMode::prefer;
    // PEM file of certificates to trust (e.g. the server's DATA_DIR/tls/server.crt).
    std::string tls_ca_file{};
    int connect_timeout_ms = 10'000;
};

class ClientTransport {
public:
    static Result<std::unique_ptr<ClientTransport>> connect(const TransportOptions& options);
    // Connects TCP only: no TLS negotiation (a CancelRequest's connection).
    static Result<std::unique_ptr<ClientTransport>> connect_plain(const TransportOptions& options);
    ~ClientTransport();
    ClientTransport(const ClientTransport&) = delete;
    ClientTransport& operator=(const ClientTransport&) = delete;

    Status write_all(ByteSpan bytes);
    // Some bytes (0: the server closed the connection). A signal interrupting the wait calls
    // `on_interrupt` (e.g. Ctrl-C asks the server to cancel) and the wait goes on.
    Result<usize> read_some(MutableByteSpan buffer,
                            const std::function<void()>& on_interrupt = nullptr);

    // Whether a read would return at once: bytes decrypted and waiting, or readable on the
    // socket (never blocks).
    bool readable_now() const;
    // Closes the connection (TLS close_notify first when `graceful`). Idempotent.
    void close(bool graceful = true);
    // Wakes a thread blocked in read_some (it then sees end of input); any thread.
    void shut_down();

    bool closed() const { return fd_ < 0; }
    bool tls() const { return ssl_ != nullptr; }
    const std::string& tls_version() const { return tls_version_; }
    // RFC 5929 tls-server-end-point data for SCRAM channel binding (empty without TLS, or for a
    // certificate without a defined hash).
    Bytes tls_server_end_point() const;
    const TransportOptions& options() const { return options_; }
    std::string address() const { return address_text(options_.host, options_.port); }

private:
    explicit ClientTransport(TransportOptions options) : options_(std::move(options)) {}
    Status open_socket();
    Status negotiate_tls();
    Status fail(Status status);  // closes, returns `status`

    TransportOptions options_;
    int fd_ = -1;
    std::unique_ptr<server::TlsContext> tls_context_;
    server::UniqueSsl ssl_;
    std::string tls_version_;
};

}  // namespace kb::client
