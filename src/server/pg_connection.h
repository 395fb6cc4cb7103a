// PgConnection: the PostgreSQL wire protocol v3 state machine for one client connection,
// free of any transport so it runs in tests and fuzzers without sockets.
//
// The transport (a socket thread) drives it:
//
//     PgConnection connection(host, options);
//     while (!connection.closed()) {
//         n = read(socket, buffer);            // EOF or an error: drop the connection
//         connection.receive({buffer, n});      // runs whatever became complete, blocking
//         write_all(socket, connection.take_output());
//         if (connection.wants_tls()) {         // it answered an SSLRequest with 'S'
//             handshake on the socket;          // failure: drop the connection
//             connection.tls_started();         // every later byte goes through TLS
//         }
//     }
//     write_all(socket, connection.take_output());   // a final ErrorResponse, if any
//
// Contract:
//   * receive() accepts bytes in any chunking; it processes every message that is complete
//     and keeps the rest. Statements run synchronously on the caller's thread through an
//     sql::Session (one thread per connection; the object is not thread-safe).
//   * Output accumulates until taken: take_output() (or pending_output() + consume_output()
//     for partial writes). Flush messages need no action: everything produced so far is
//     always available.
//   * wants_tls(): the connection answered 'S' and waits for tls_started() before anything
//     else; bytes received meanwhile (or already buffered after the SSLRequest, the
//     CVE-2021-23214 buffer-stuffing attack) close the connection with 08P01.
//   * closed(): the conversation is over (Terminate, a FATAL error, a CancelRequest, a failed
//     login). Send the remaining output, then close the socket. receive() does nothing
//     afterwards.
//
// Protocol coverage (PostgreSQL 15's behaviour unless noted):
//   * startup: SSLRequest ('S' when the options say TLS is available, else 'N'),
//     GSSENCRequest ('N'), CancelRequest (passed to the host, which cancels the statement
//     running on the connection holding that key, if any; then closed without a reply),
//     StartupMessage 3.0 (3.x newer minors and "_pq_." options get NegotiateProtocolVersion;
//     other majors a FATAL 0A000), "user" (required), "database" (defaults to the user),
//     "options" (-c name=value / --name=value), "replication" (refused), every other
//     parameter applied as a SET (client_encoding must be UTF8, or SQL_ASCII, which
//     converts nothing either);
//   * authentication through the host's PgAuthenticator (pg_auth.h), then AuthenticationOk,
//     ParameterStatus (the parameters PostgreSQL reports, and again before ReadyForQuery
//     whenever a statement changed one), BackendKeyData and ReadyForQuery with the session's
//     transaction status; messages before authentication are limited to
//     kPgAuthMessageMaxBytes, later ones to the configured size;
//   * simple query: every statement of the text, each answered with RowDescription + DataRow
//     + CommandComplete or CommandComplete; EmptyQueryResponse for no statement; the first
//     error stops the rest; ReadyForQuery at the end; several statements are one implicit
//     transaction (sql/session.h); a text over max_statement_bytes (also a Parse's) is 54000;
//   * extended query: Parse (declared parameter OIDs, 0 = infer), Bind (text and binary
//     parameters and results, one format code for all or one each), Describe of statements
//     (ParameterDescription + RowDescription / NoData) and portals, Execute with a row limit
//     (the statement runs once, its rows are kept, PortalSuspended until the last batch,
//     CommandComplete counting that batch's rows), Close, Sync (ReadyForQuery; after an error
//     every message up to Sync is discarded), Flush; named and unnamed statements and
//     portals; portals end with their transaction (or at Sync outside one), statements live
//     until closed or, for the unnamed one, replaced or a simple Query; a portal outlives a
//     Close of its statement (PostgreSQL 15 behaves so); checked against a PostgreSQL 15
//     server message for message;
//   * errors: ErrorResponse with severity, SQLSTATE, message, detail, hint, position; every
//     error inside a transaction block fails it (ReadyForQuery 'E'), also errors of the
//     protocol itself (a Bind naming no statement); a malformed message is an error, its
//     framing intact; statement notices as NoticeResponse (SQLSTATE 00000: the SQL layer
//     gives notices no code yet); framing errors, unknown message types and startup
//     failures are FATAL and close.
//   * COPY (pg_connection_copy.cc; formats and rows: sql/copy.h): COPY ... TO STDOUT answers
//     CopyOutResponse, one CopyData per row (and one for a HEADER), CopyDone, CommandComplete
//     "COPY n"; COPY ... FROM STDIN answers CopyInResponse and takes CopyData until CopyDone
//     (CommandComplete "COPY n") or CopyFail (57014), ignoring Flush and Sync meanwhile (libpq
//     sends a Sync right after an extended-protocol COPY; it sends another after CopyDone);
//     any other message ends the COPY with 08P01. Both in the simple protocol (statements
//     after the COPY in the same Query run once it is done) and the extended one (Execute).
//     An error while data arrives is sent at once; the client's remaining CopyData, CopyDone
//     and CopyFail are then dropped, as PostgreSQL drops them.
//   * cancelling: the session's cancel signal (sql/statement_guard.h) is registered with the
//     backend key; a CancelRequest for it stops the running statement with 57014.
// Not yet: the fast-path FunctionCall (an error).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/transaction.h"
#include "server/pg_auth.h"
#include "server/pg_backend.h"
#include "server/pg_framer.h"
#include "server/pg_frontend.h"
#include "sql/session.h"
#include "types/ids.h"

namespace kb::server {

// Who a client is once its startup message names a user and a database.
struct PgLogin {
    TenantId tenant{};
    PrincipalId principal{};
    std::string user;
    std::string database;
    bool superuser = false;
    // A login by API key (native protocol; server/native_api_key.h): the key's id, and whether
    // the key may only read.
    std::optional<u64> api_key{};
    bool read_only = false;
};

// BackendKeyData: what a CancelRequest must quote to cancel this connection's statement.
struct PgBackendKey {
    i32 process_id = 0;
    i32 secret_key = 0;
    friend bool operator==(const PgBackendKey&, const PgBackendKey&) = default;
};

// What a connection needs from the server around it. Called on the connection's thread;
// implementations shared by many connections synchronise themselves.
class PgConnectionHost {
public:
    virtual ~PgConnectionHost() = default;

    // Where sessions run their transactions.
    virtual db::TransactionHost& transactions() = 0;
    // The login `user` would have in `database`, or the FATAL error to answer with (3D000
    // 'database "x" does not exist', 28000 'role "x" does not exist', 42501 no CONNECT, ...).
    // A host that must not reveal which users exist returns a login whose authenticator
    // always fails instead.
    virtual sql::SqlResult<PgLogin> find_login(std::string_view user,
                                               std::string_view database) = 0;
    // A login by API key (the native protocol's method 3; server/native_api_key.h has the
    // rules): the key's role in the key's tenant (`database` must name it, or be empty), or the
    // FATAL error — 28P01 for any key that does not check out, counted as a failed login. After
    // a key's login, transactions() refuses the writes the key may not make. Default: no keys.
    virtual sql::SqlResult<PgLogin> login_with_api_key(std::string_view key,
                                                       std::string_view database, bool tls_active);
    // How to authenticate `login`; `tls_active` says whether the connection is encrypted
    // (a cleartext password should be asked for only then).
    virtual std::unique_ptr<PgAuthenticator> authenticator(const PgLogin& login,
                                                           bool tls_active) = 0;
    // A fresh cancel key for an authenticated connection, held until release_backend_key;
    // `signal` is what cancel() with that key cancels (the connection's session's).
    virtual PgBackendKey register_backend_key(const PgLogin& login,
                                              std::shared_ptr<sql::CancelSignal> signal) = 0;
    virtual void release_backend_key(const PgBackendKey& key) = 0;
    // A CancelRequest arrived (on a new connection, as the protocol does it): cancel the
    // running statement of the connection holding `key`, if both numbers match (nothing
    // when that connection is idle). Called on the requesting connection's thread.
    virtual void cancel(const PgBackendKey& key) = 0;
};

struct PgConnectionOptions {
    // The largest message body accepted after authentication (08P01 and close beyond it).
    usize max_message_bytes = usize{64} << 20;
    // The longest SQL text of a Query or a Parse (54000 beyond it; the connection goes on).
    usize max_statement_bytes = usize{16} << 20;
    // Whether an SSLRequest is answered 'S' (the transport can do TLS).
    bool tls_available = false;
    sql::SessionOptions session{};
};

class PgConnection {
public:
    PgConnection(PgConnectionHost& host, PgConnectionOptions options = {});
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    void receive(ByteSpan bytes);

    Bytes take_output();
    ByteSpan pending_output() const { return output_; }
    void consume_output(usize bytes);

    bool wants_tls() const { return phase_ == Phase::tls_pending; }
    void tls_started();
    bool tls_active() const { return tls_active_; }
    bool closed() const { return phase_ == Phase::closed; }
    // Why the connection closed ("terminated by the client", the FATAL message, ...).
    const std::string& close_reason() const { return close_reason_; }
    // Inside a transaction block (in progress or failed) and not in the middle of a COPY FROM
    // STDIN: an idle-in-transaction timeout applies while waiting for the client.
    bool in_transaction() const;
    // Ends the connection from the server's side: a FATAL ErrorResponse with `error` (e.g.
    // 57P01 "terminating connection due to administrator command", 53300 "sorry, too many
    // clients already") is queued and the connection is closed. Nothing when already closed.
    void terminate(const sql::SqlError& error);

    // The authenticated login, or nullptr before authentication completes.
    const PgLogin* login() const { return phase_ == Phase::ready ? &*login_ : nullptr; }

private:
    enum class Phase : u8 { startup, tls_pending, authenticating, ready, closed };
    using Statement = std::shared_ptr<const sql::PreparedStatement>;
    // A bound statement: its parameters, its result formats and, once run, its result (the
    // statement runs once; Execute with a row limit hands its rows out in batches).
    struct Portal {
        Statement statement;
        std::vector<kernel::Value> parameters;
        std::vector<PgFormat> result_formats;  // one per result column
        bool executed = false;
        bool finished = false;  // every row sent / the command completed
        sql::StatementResult result;
        usize next_row = 0;
    };

    // pg_connection.cc: startup, authentication, dispatch, simple query, replies.
    void process();
    void handle_startup_packet(ByteSpan body);
    void handle_startup_message(const PgStartupMessage& message);
    void handle_auth_message(char type, ByteSpan body);
    void apply_auth_step(PgAuthStep step);
    void finish_authentication();
    void handle_message(char type, ByteSpan body);
    void simple_query(std::string_view text);
    // max_statement_bytes for a Query's or a Parse's text: 54000 beyond it.
    sql::SqlStatus check_statement_size(std::string_view text) const;
    // Sends each result (the first error ends the list); false when the last one started a
    // COPY FROM STDIN (the rest waits for its data).
    bool send_results(const std::vector<sql::SqlResult<sql::StatementResult>>& results);
    void send_result(const sql::StatementResult& result);
    void send_error(const sql::SqlError& error);
    void fatal(const sql::SqlError& error);
    void close(std::string reason);
    void send_ready_for_query();
    void report_parameters(bool only_changes);
    // Remembers that a statement with this tag ran (SET and friends: ParameterStatus may be
    // due before the next ReadyForQuery).
    void note_statement(std::string_view tag);
    void end_of_transaction_cleanup();

    // pg_connection_extended.cc: the extended query protocol.
    sql::SqlStatus parse(const PgParse& message);
    sql::SqlStatus bind(const PgBind& message);
    sql::SqlStatus describe(const PgDescribe& message);
    sql::SqlStatus execute(const PgExecute& message);
    void close_target(const PgClose& message);
    void sync();
    void write_row_description(const std::vector<sql::ResultColumn>& columns,
                               const std::vector<PgFormat>& formats);

    // pg_connection_copy.cc: COPY's messages.
    void send_copy_out(const sql::StatementResult& result);
    void start_copy_in(const sql::StatementResult& result, bool extended);
    void handle_copy_message(char type, ByteSpan body);
    void copy_in_failed(const sql::SqlError& error);

    PgConnectionHost& host_;
    PgConnectionOptions options_;
    Phase phase_ = Phase::startup;
    PgFramer framer_;
    Bytes output_;
    std::string close_reason_;

    bool ssl_requested_ = false;
    bool gss_requested_ = false;
    bool tls_active_ = false;
    std::optional<PgLogin> login_;
    std::unique_ptr<PgAuthenticator> authenticator_;
    PgAuthStep::Kind awaiting_ = PgAuthStep::Kind::ok;  // what the last auth step asked for
    // Startup parameters to apply as settings once the session exists.
    std::vector<std::pair<std::string, std::string>> startup_settings_;
    std::optional<PgBackendKey> backend_key_;

    std::unique_ptr<sql::Session> session_;
    std::map<std::string, std::string, std::less<>> reported_;  // ParameterStatus sent
    std::map<std::string, Statement, std::less<>> statements_;
    std::map<std::string, std::unique_ptr<Portal>, std::less<>> portals_;
    bool skipping_until_sync_ = false;
    bool settings_may_have_changed_ = false;
    // COPY FROM STDIN takes data; `extended`: started by Execute (else by a Query).
    struct CopyIn {
        bool extended = false;
    };
    std::optional<CopyIn> copy_in_;
};

// The transaction status byte of ReadyForQuery for a session's state.
PgTransactionStatus pg_transaction_status(sql::TransactionStatus status);

}  // namespace kb::server
