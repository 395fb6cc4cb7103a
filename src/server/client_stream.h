// ClientStream: one accepted client socket, in plain text or (after start_tls) TLS, read and
// written by the connection's own thread.
//
// Reads wait at most a given time, so a connection thread can enforce idle timeouts; a read
// returns 0 bytes at end of stream — when the client closed, or when the server's stop
// descriptor (an eventfd the server signals once, on shutdown) became readable. Every wait for
// input (reads, the TLS handshake) polls that descriptor too, so stopping wakes a connection
// without touching its socket: shutting down a TLS socket's read side would break the TLS
// stream, and the client would get an alert instead of the 57P01 goodbye that follows.
//
// A connection may also have a wake descriptor (an eventfd its session signals from other
// threads when work it started finishes, e.g. a native append the database committed): every
// read watches it too and returns `woken` when it was signalled.
//
// TLS sockets are non-blocking (SSL_read can find half a record; waiting is done in poll,
// where the stop descriptor is watched); plain ones block in recv after poll said ready.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "kimberlite/status.h"

namespace kb::server {

class ClientStream {
public:
    // Takes the socket. `stop_fd` (not owned; -1: none) must outlive the stream.
    explicit ClientStream(int fd, int stop_fd = -1);
    ~ClientStream();
    ClientStream(const ClientStream&) = delete;
    ClientStream& operator=(const ClientStream&) = delete;

    // "127.0.0.1:53412" (for logs and per-address limits) and just the address.
    const std::string& peer() const { return peer_; }
    const std::string& peer_host() const { return peer_host_; }
    bool tls() const { return ssl_ != nullptr; }

    // An eventfd (not owned; -1: none; must outlive the stream) that reads also wait for.
    void set_wake_fd(int wake_fd) { wake_fd_ = wake_fd; }

    // What a read came to.
    struct Input {
        enum class Kind : u8 {
            bytes,      // `size` bytes were read (at least one)
            end,        // end of stream: the client closed, or the stop descriptor is readable
            timed_out,  // the time passed with nothing to read
            woken,      // the wake descriptor was signalled (and is reset: one per burst)
        };
        Kind kind = Kind::timed_out;
        usize size = 0;
    };
    // Reads what is there, waiting up to `timeout_ms` (nullopt: no limit). With `socket` false
    // it reads nothing from the client and waits only for a wake, the stop descriptor or the
    // time (a session that takes no input now).
    Result<Input> read_some(MutableByteSpan into, std::optional<u64> timeout_ms,
                            bool socket = true);
    Status write_all(ByteSpan bytes);

    // Runs the server side of a TLS handshake on the socket (bytes written before stay plain).
    // Fails at once when the stop descriptor becomes readable meanwhile.
    Status start_tls(SSL_CTX* context);

    // Ends the conversation: TLS close_notify, then the socket is shut down both ways, so the
    // client sees the end at once. The descriptor itself is closed by the destructor. The
    // connection's thread.
    void finish();

private:
    enum class Wait : u8 { ready, timed_out, stopped, woken };
    // Polls the socket for `events` (0: not at all), the stop descriptor and, when `wakes`,
    // the wake descriptor (reset when it fired); nullopt timeout: no limit.
    Result<Wait> wait_for(short events, std::optional<u64> timeout_ms, bool wakes = false);
    Status ssl_error(const char* what, int result);

    int fd_ = -1;
    int stop_fd_ = -1;
    int wake_fd_ = -1;
    SSL* ssl_ = nullptr;
    std::string peer_;
    std::string peer_host_;
};

}  // namespace kb::server
