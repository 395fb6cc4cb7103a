// ClientStream: one accepted client socket, in plain text or (after start_tls) TLS, read and
// written with blocking calls by the connection's own thread.
//
// Reads wait at most a given time, so a connection thread can enforce idle timeouts; a read
// returns 0 bytes at end of stream — when the client closed, or when another thread called
// shut_down_reads() (how the server stops idle connections on shutdown without racing their
// threads for the descriptor).
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
    explicit ClientStream(int fd);  // takes the socket
    ~ClientStream();
    ClientStream(const ClientStream&) = delete;
    ClientStream& operator=(const ClientStream&) = delete;

    // "127.0.0.1:53412" (for logs and per-address limits) and just the address.
    const std::string& peer() const { return peer_; }
    const std::string& peer_host() const { return peer_host_; }
    bool tls() const { return ssl_ != nullptr; }

    // Reads what is there (at least one byte), waiting up to `timeout_ms` (nullopt: no limit).
    // 0 bytes: end of stream; nullopt: the time passed with nothing to read.
    Result<std::optional<usize>> read_some(MutableByteSpan into, std::optional<u64> timeout_ms);
    Status write_all(ByteSpan bytes);

    // Runs the server side of a TLS handshake on the socket (bytes written before stay plain).
    Status start_tls(SSL_CTX* context);

    // Ends reading: a blocked or later read_some returns 0. Writes still work. Any thread.
    void shut_down_reads();
    // Ends the conversation: TLS close_notify, then the socket is shut down both ways, so the
    // client sees the end at once. The descriptor itself is closed by the destructor (so
    // another thread's shut_down_reads never hits a reused number). The connection's thread.
    void finish();

private:
    Status ssl_error(const char* what, int result);

    int fd_ = -1;
    SSL* ssl_ = nullptr;
    std::string peer_;
    std::string peer_host_;
};

}  // namespace kb::server
