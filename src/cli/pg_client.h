// PgClient: a small blocking PostgreSQL wire protocol (v3) client for the `kmb` client
// commands (`kmb sql`, `kmb tenant`, `kmb user`).
//
//     PgConnectOptions options{.host = "127.0.0.1", .port = 5432, .user = "admin",
//                              .database = "default", .password = provider};
//     Result<std::unique_ptr<PgClient>> client = PgClient::connect(options, &server_error);
//     Result<std::vector<PgStatementResult>> results = (*client)->query("SELECT 1; SELECT 2");
//
// Connecting: TCP (with a timeout), then an SSLRequest unless TLS is disabled; the server's
// 'S' starts a TLS 1.3 handshake (server/tls_context.h), 'N' continues in clear unless TLS is
// required. Then the StartupMessage (user, database = tenant) and authentication:
// SCRAM-SHA-256, or SCRAM-SHA-256-PLUS with tls-server-end-point channel binding when the
// connection is TLS and the server offers it (crypto/scram.h). The server must prove that it
// knows the verifier before AuthenticationOk is believed. A cleartext password request is
// answered only over TLS; MD5 and other methods are refused. The password is asked for
// (PgConnectOptions::password) only when the server wants one.
//
// Querying: the simple query protocol; one Query message may hold several statements, and each
// gives one PgStatementResult (columns, rows as text, command tag, notices). A statement that
// fails ends the message: its result carries the server's error (SQLSTATE, message, detail,
// hint, position) and no later statement runs. COPY FROM STDIN / TO STDOUT go through
// PgCopyHooks.
//
// Errors: a Status for everything that is not the server's answer to a statement: cannot
// connect ("cannot connect to 127.0.0.1:5432: Connection refused — is kmb server running?"),
// TLS or authentication failures, a lost connection, a malformed message. After such an error
// the client is unusable (is_broken()). Not thread-safe; one connection per object.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ints.h"
#include "client/client_transport.h"
#include "kimberlite/status.h"
#include "server/pg_backend.h"
#include "server/pg_framer.h"
#include "server/tls_context.h"

namespace kb::cli {

// TLS modes and HOST:PORT parsing are the client transport's (client/client_transport.h).
using client::HostPort;
using client::parse_host_port;
using client::parse_tls_mode;
using client::TlsMode;

struct PgConnectOptions {
    std::string host = "127.0.0.1";
    u16 port = 5432;
    std::string user = "admin";
    std::string database = "default";
    // Called at most once, when the server asks for a password; its error ends the connect.
    std::function<Result<std::string>()> password{};
    TlsMode tls = TlsMode::prefer;
    // PEM file of certificates to trust (e.g. the server's DATA_DIR/tls/server.crt): the
    // server certificate is then verified against it and `host`. Empty: encryption without
    // verification (libpq's sslmode=require).
    std::string tls_ca_file{};
    std::string application_name = "kmb";
    int connect_timeout_ms = 10'000;
    // When set and a blocking read is interrupted by a signal while it is true, the flag is
    // cleared and a CancelRequest is sent for the running query (Ctrl-C in the shell).
    std::atomic<bool>* cancel_requested = nullptr;
};

// One statement's outcome within a Query.
struct PgStatementResult {
    bool has_rows = false;  // a RowDescription came (SELECT, SHOW, ... even with 0 rows)
    std::vector<std::string> columns;
    std::vector<u32> column_types;                              // type OIDs, one per column
    std::vector<std::vector<std::optional<std::string>>> rows;  // text; nullopt is NULL
    std::string tag;           // CommandComplete ("SELECT 2", "INSERT 0 1"); empty otherwise
    bool empty_query = false;  // the statement was empty (EmptyQueryResponse)
    std::vector<server::PgNotice> notices;  // NoticeResponses that arrived for it
    std::optional<server::PgNotice> error;  // the statement failed (always the last result)
    std::string copy_out;  // COPY TO STDOUT data, when no PgCopyHooks::copy_out was given
};

struct PgCopyHooks {
    // COPY FROM STDIN: called repeatedly for the data; nullopt ends it (CopyDone), an error
    // aborts it (CopyFail with the message). Unset: the COPY is refused with CopyFail.
    std::function<Result<std::optional<std::string>>()> copy_in{};
    // COPY TO STDOUT: each CopyData as it arrives. Unset: collected in copy_out.
    std::function<void(std::string_view)> copy_out{};
};

class PgClient {
public:
    // Connects, negotiates TLS, authenticates and waits for the first ReadyForQuery. When the
    // server refuses with an ErrorResponse (wrong password 28P01, no such tenant 3D000, ...)
    // its fields are also copied to `*server_error` if given.
    static Result<std::unique_ptr<PgClient>> connect(const PgConnectOptions& options,
                                                     server::PgNotice* server_error = nullptr);

    ~PgClient();
    PgClient(const PgClient&) = delete;
    PgClient& operator=(const PgClient&) = delete;

    // Sends `sql` as one simple Query and reads every result up to ReadyForQuery. `sql` must
    // not contain NUL (invalid_argument).
    Result<std::vector<PgStatementResult>> query(std::string_view sql,
                                                 const PgCopyHooks& hooks = {});

    // Sends Terminate and closes the socket. Also done by the destructor.
    void close();

    // ParameterStatus values as last reported (server_version, is_superuser, ...).
    const std::map<std::string, std::string>& parameters() const { return parameters_; }
    std::string parameter(const std::string& name) const;
    server::PgTransactionStatus transaction_status() const { return transaction_status_; }
    bool tls() const { return transport_ != nullptr && transport_->tls(); }
    // "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "password" or "none".
    const std::string& auth_method() const { return auth_method_; }
    const std::string& tls_version() const { return tls_version_; }  // "" without TLS
    const PgConnectOptions& options() const { return options_; }
    bool is_broken() const { return broken_; }

    // Sends a CancelRequest for the running query on a separate connection (best effort).
    Status send_cancel() const;

private:
    explicit PgClient(PgConnectOptions options);

    Status start_up(server::PgNotice* server_error);
    Status authenticate_sasl(const server::PgAuthentication& request, std::string& password,
                             bool& password_known, server::PgNotice* server_error);
    Result<std::string> get_password(std::string& password, bool& password_known);

    // Reads what the server sent while no query ran (a FATAL before it ends the session,
    // ParameterStatus) without blocking; the FATAL becomes the error.
    Status take_async_messages();
    Status write_all(ByteSpan bytes);
    Result<usize> read_some(MutableByteSpan buffer);
    client::TransportOptions transport_options() const;
    // The next backend message; `*type` gets its type byte. NotificationResponses are skipped.
    Result<server::PgBackendMessage> read_message(char* type);
    Status broken(Status status);

    PgConnectOptions options_;
    std::unique_ptr<client::ClientTransport> transport_;
    server::PgFramer framer_;
    std::map<std::string, std::string> parameters_;
    server::PgTransactionStatus transaction_status_ = server::PgTransactionStatus::idle;
    server::PgBackendKeyData key_data_;
    std::string auth_method_ = "none";
    std::string tls_version_;
    bool broken_ = false;
};

}  // namespace kb::cli
