// TLS for the server and for its clients (`kmb sql`, tests): OpenSSL 3 contexts that speak
// TLS 1.3 only, the self-signed certificate a server makes on first start when none is
// configured, and the RFC 5929 "tls-server-end-point" data SCRAM-SHA-256-PLUS binds to
// (crypto/scram.h).
//
//     Result<TlsFiles> files = ensure_self_signed(data_dir + "/tls");   // or configured paths
//     Result<TlsContext> tls = TlsContext::server(*files);
//     ServerOptions{.tls = tls->native()}                              // SSL_CTX*, not owned
//     ScramServer::Options{.tls_server_end_point = tls->server_end_point()}  // over TLS only
//
//     Result<TlsContext> client = TlsContext::client({.ca_file = "", .host_name = "localhost"});
//     Result<UniqueSsl> ssl = client->new_ssl();         // then SSL_set_fd + SSL_connect
//     Result<Bytes> end_point = tls_peer_server_end_point(ssl->get());  // after the handshake
//
// Errors name the file and say what is wrong with it (missing, not PEM, key does not match
// the certificate, key readable by others) plus OpenSSL's own reason where it has one.
// Both context kinds are safe to share between connection threads once made.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>

#include "base/bytes.h"
#include "kimberlite/status.h"

namespace kb::server {

// A certificate (PEM, optionally followed by its intermediate chain) and its private key
// (PEM, any type OpenSSL reads: EC, Ed25519, RSA).
struct TlsFiles {
    std::string cert_path{};
    std::string key_path{};
};

// The pair a server uses when none is configured: `dir`/server.crt and `dir`/server.key.
//   * both exist: returned as they are (TlsContext::server checks them);
//   * neither exists: a new pair is generated and written crash-safely (temp file, fsync,
//     rename), both files 0600, `dir` created 0700 if missing. The key is EC P-256 (every
//     TLS client supports it, and its ECDSA-SHA256 signature gives channel binding a defined
//     hash); the certificate is self-signed, CN=localhost, SAN DNS:localhost, IP:127.0.0.1,
//     IP:::1, valid from an hour ago for ten years, random 128-bit serial;
//   * only one exists: an error naming the missing one (a half-written pair is never guessed
//     at; delete the other to regenerate).
// Refuses a `dir` writable by group or others. Not safe against two processes generating in
// the same directory at once (the data directory lock prevents that).
Result<TlsFiles> ensure_self_signed(const std::string& dir);

struct TlsClientOptions {
    // PEM file of trusted certificates (for a self-signed server: its server.crt). Empty:
    // the server certificate is not verified (encryption without authentication, like
    // libpq's sslmode=require).
    std::string ca_file{};
    // Sent as SNI (unless it is an IP address) and, when verifying, matched against the
    // certificate's subject alternative names.
    std::string host_name{};
};

struct SslDeleter {
    void operator()(SSL* ssl) const;
};
using UniqueSsl = std::unique_ptr<SSL, SslDeleter>;

// An SSL_CTX with our settings. Move-only; owns the context.
class TlsContext {
public:
    // Server: TLS 1.3 only, the certificate chain and key of `files`, no session tickets or
    // session cache (one handshake per connection, as PostgreSQL), and ALPN "postgresql"
    // accepted when a client offers it. Errors: not_found (a file is missing),
    // permission_denied (the key file is accessible to group or others: chmod 600),
    // invalid_argument (not PEM, or the key does not match the certificate).
    static Result<TlsContext> server(const TlsFiles& files);

    // Client: TLS 1.3 only; verification as described in TlsClientOptions.
    static Result<TlsContext> client(const TlsClientOptions& options);

    ~TlsContext();
    TlsContext(TlsContext&& other) noexcept;
    TlsContext& operator=(TlsContext&& other) noexcept;
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // The OpenSSL context, owned by this object and valid while it lives (SSL objects made
    // from it hold their own reference). Take another with SSL_CTX_up_ref if needed longer.
    SSL_CTX* native() const { return context_; }

    // Server contexts: the tls-server-end-point channel binding data of our certificate
    // (hash of its DER encoding, RFC 5929 section 4.1). Empty when the certificate's
    // signature has no single hash (Ed25519): then SCRAM-SHA-256-PLUS must not be offered.
    // Empty for client contexts.
    const Bytes& server_end_point() const { return server_end_point_; }

    // A fresh SSL for one connection. Client contexts also get SNI and, when verifying, the
    // host name check. Attach a socket (SSL_set_fd) or BIOs, then handshake.
    Result<UniqueSsl> new_ssl() const;

private:
    TlsContext(SSL_CTX* context, std::string host_name, Bytes server_end_point)
        : context_(context),
          host_name_(std::move(host_name)),
          server_end_point_(std::move(server_end_point)) {}

    SSL_CTX* context_ = nullptr;
    std::string host_name_;  // clients: SNI / verified name
    Bytes server_end_point_;
};

// RFC 5929 tls-server-end-point data for `cert`: its DER encoding hashed with the hash of its
// signature algorithm, SHA-256 when that is MD5 or SHA-1. unsupported when the signature
// algorithm has no single hash (Ed25519, Ed448).
Result<Bytes> tls_server_end_point(const X509* cert);

// The same for the certificate the peer presented on `ssl` (a client after its handshake),
// for ScramClient::Options::tls_server_end_point. not_found when there is no peer
// certificate.
Result<Bytes> tls_peer_server_end_point(const SSL* ssl);

// OpenSSL's queued errors as "reason; reason", emptying the queue ("no detail" if empty).
std::string take_openssl_errors();

}  // namespace kb::server
