// Session: one client's SQL conversation with a tenant — the statement loop, the transaction
// state machine, and session settings.
//
// Transactions (DESIGN.md §3, optimistic and serializable):
//   * outside BEGIN, each statement is its own transaction (autocommit): it runs on a fresh
//     snapshot and commits at once; when the commit meets a conflict (40001) the statement is
//     run again on a new snapshot, up to kAutocommitRetries times, which the client never sees;
//   * BEGIN opens a transaction on one snapshot; its statements run on the snapshot plus its
//     overlay; COMMIT submits everything as one op (refused with 40001 on a conflict: nothing
//     happened); ROLLBACK drops the overlay; SAVEPOINT / ROLLBACK TO / RELEASE mark and restore
//     the overlay;
//   * an error inside a transaction puts it in the failed state: every statement but ROLLBACK
//     (or ROLLBACK TO a savepoint) fails with 25P02 until then, and COMMIT rolls back, as in
//     PostgreSQL;
//   * a transaction that wrote nothing logs nothing;
//   * a text of several statements (execute(), the simple query protocol) is one implicit
//     transaction, as in PostgreSQL: its statements outside BEGIN ... COMMIT commit together
//     at the end of the text, or not at all — the first error rolls back what the text did
//     since its start (or since its last COMMIT), and a conflict at that final commit is
//     40001 (never retried: the text's results were already returned). A BEGIN in the text
//     turns the implicit transaction, with the statements before it, into an explicit one;
//     COMMIT or ROLLBACK ends it (with the notice "there is no transaction in progress" when
//     no BEGIN came first) and the statements after start a new one; SAVEPOINT is 25P01 in
//     it. Statements that are their own op (CREATE / DROP DATABASE, roles, GRANT, REVOKE)
//     are 25001 '... cannot run inside a transaction block' in a text of several statements.
//     A statement that reads through time travel (kimberlite.as_of_*) runs on its own, as
//     outside a transaction; one text's COPY ... FROM STDIN is part of its transaction
//     (atomic, within the op size cap) instead of committing in chunks.
//
// Stopping statements (statement_guard.h): every statement checks, at its start and in its
// row loops, for a cancel (cancel_signal(): any thread may cancel the running request; 57014
// 'canceling statement due to user request'), for statement_timeout (57014 'canceling
// statement due to statement timeout'; SET statement_timeout, default
// SessionOptions::statement_timeout_ms) and for SessionOptions::max_result_bytes of rows held
// in memory (54000). The stopped statement fails as any error does: nothing of an autocommit
// statement is committed, an open transaction becomes failed. Transaction control statements
// and commits are never stopped: once a transaction's op is submitted, the statement finishes.
//
// Statements run from text (execute: the simple query protocol) or prepared (prepare, then
// execute_prepared any number of times: the extended protocol; prepared.h). Both follow the
// same transaction rules: one dispatch runs them.
//
// Threads: a Session belongs to one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/copy_options.h"
#include "sql/error.h"
#include "sql/exec.h"
#include "sql/prepared.h"
#include "sql/statement_guard.h"
#include "sql/value_type.h"

namespace kb::sql {

class CopyFrom;

// What one statement produced: a command tag ("INSERT 0 3", "CREATE TABLE", "SELECT 2") and,
// for statements that return rows, their description and the rows.
struct StatementResult {
    std::string tag;
    bool returns_rows = false;
    std::vector<ResultColumn> columns;
    std::vector<Row> rows;
    std::vector<std::string> notices;  // NOTICE messages (e.g. "relation \"t\" already exists,
                                       // skipping")
    // COPY (copy.h): COPY ... TO STDOUT's rows are in `rows`, to be sent as CopyData in this
    // format; COPY ... FROM STDIN (copy->from) waits for the data (Session::copy_data).
    std::optional<CopyResponse> copy{};
};

enum class TransactionStatus : u8 { idle, in_transaction, failed };

struct SessionOptions {
    // Times an autocommit statement is run again after a serialization conflict.
    usize autocommit_retries = 10;
    // The database name the client connected with (current_database(), pg_database); empty:
    // the tenant's name.
    std::string database_name{};
    // The role name the client logged in as (current_user, session_user); empty: the name of
    // the principal's role ("admin" for the built-in administrator).
    std::string user_name{};
    // pg_backend_pid(): the process id of the connection's BackendKeyData (0: none).
    i32 backend_pid = 0;
    // COPY FROM outside a transaction block commits a chunk once its op is estimated to reach
    // this size (copy.h; far below the 64 MiB op size cap).
    usize copy_chunk_bytes = usize{8} << 20;
    // statement_timeout's default (what RESET goes back to), in milliseconds (at most
    // 2147483647, PostgreSQL's range); 0: none.
    u64 statement_timeout_ms = 0;
    // The most bytes of rows one statement may hold in memory — its result, sort buffers,
    // aggregation groups (statement_guard.h counts them) — before it fails with 54000; 0: no
    // limit.
    u64 max_result_bytes = u64{256} << 20;
};

class Session {
public:
    Session(db::TransactionHost& host, TenantId tenant, PrincipalId principal,
            SessionOptions options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs every statement of `text` in order and returns one result per statement run; the
    // first error is the last entry (the rest of the text is skipped, as the simple query
    // protocol does). Several statements are one implicit transaction (see the top); when its
    // commit at the end fails, that error is an extra last entry after every statement's
    // result.
    std::vector<SqlResult<StatementResult>> execute(std::string_view text);

    // Prepares `text`, which must hold one statement (42601 'cannot insert multiple commands
    // into a prepared statement' otherwise; an empty text is the empty query): parses it,
    // binds it against the catalog as this session sees it now (inside a transaction: with
    // that transaction's own DDL) and describes it, running nothing. `declared_types[i]` is
    // $i+1's type as the client declared it (nullopt: infer it); there may be more than the
    // text uses. `name` is the wire protocol's statement name, for error messages. Inside a
    // failed transaction only ROLLBACK/COMMIT prepare (25P02 otherwise); an error inside a
    // transaction fails it, as every error does.
    SqlResult<std::shared_ptr<const PreparedStatement>> prepare(
        std::string_view text, std::span<const std::optional<Type>> declared_types = {},
        std::string_view name = "");

    // Runs a prepared statement with `parameters` ($1 first), which must be values of the
    // described parameter types (parameter_from_text converts the wire's text format): 08P01
    // when their number differs. Transactions as for execute(). The statement is bound again
    // against the current catalog; 0A000 'cached plan must not change result type' when its
    // result columns differ from the description.
    SqlResult<StatementResult> execute_prepared(const PreparedStatement& prepared,
                                                std::span<const kernel::Value> parameters);
    // execute_prepared into a result the caller keeps between executions: a SELECT refills
    // `out`'s rows in place (a row whose values already have the right kinds and text
    // capacity is overwritten, not rebuilt), so running the same statement again and again
    // allocates nothing per row in the steady state — as a database's own statement loop
    // reuses its memory. On success `out` is exactly what execute_prepared would return; on an
    // error `out` is an empty result (no tag, columns or rows), ready for the next call. Other
    // statements than SELECT replace `out` whole.
    SqlStatus execute_prepared_into(const PreparedStatement& prepared,
                                    std::span<const kernel::Value> parameters,
                                    StatementResult& out);

    // --- COPY ... FROM STDIN (session_copy.cc) ------------------------------------------------
    // execute() and execute_prepared() stop at a COPY ... FROM STDIN: its result has copy->from
    // set, and the session takes the data with copy_data() (chunks of any size), then
    // copy_done() ("COPY n") or copy_fail() (the client gave up: 57014). An error ends the COPY
    // (and fails an open transaction, or rolls back the text's implicit one). When the COPY is
    // the last statement of a text of several, copy_done() commits the text's implicit
    // transaction (its error is copy_done()'s). Nothing else may run meanwhile. A cancel or
    // the statement timeout stops the COPY at its next data (57014).
    bool copy_in_progress() const { return copy_ != nullptr; }
    SqlStatus copy_data(ByteSpan data);
    SqlResult<StatementResult> copy_done();
    SqlError copy_fail(std::string_view message);
    // Ends the COPY with `error` (a protocol error around it); returns it as the client gets it.
    SqlError copy_abort(SqlError error);
    // After copy_done(): the statements of execute()'s text that followed the COPY, run as
    // execute() runs them (they may stop at another COPY FROM STDIN). Empty when there are
    // none, or when the COPY failed (the rest of the text is skipped, as after any error).
    std::vector<SqlResult<StatementResult>> execute_rest();

    TransactionStatus transaction_status() const;
    // Puts an open transaction into the failed state, for errors raised outside the session
    // (a wire protocol's Bind or Execute refused before any statement ran): in PostgreSQL
    // every error inside a transaction block aborts it. Nothing outside a transaction; an
    // implicit transaction (see the top) is rolled back.
    void fail_transaction();
    // What cancels this session's running request from any thread (statement_guard.h): a
    // cancel while nothing runs is dropped. Shared, so a registry of cancel keys may keep it.
    const std::shared_ptr<CancelSignal>& cancel_signal() const { return cancel_; }
    // A setting's current value as SHOW prints it, or nullopt for an unknown name.
    std::optional<std::string> setting(std::string_view name) const;
    // pg_backend_pid(), once the connection has its BackendKeyData.
    void set_backend_pid(i32 pid) { info_.backend_pid = pid; }

private:
    struct Open;  // the open transaction (explicit or implicit) and its savepoints

    // A public call that runs statements: its request is running (cancellable) until it
    // returns, and stays so while a COPY FROM STDIN waits for its data.
    class Request {
    public:
        explicit Request(Session& session) : session_(session) { session_.cancel_->enter(); }
        ~Request() {
            if (session_.copy_ == nullptr) session_.cancel_->leave();
        }
        Request(const Request&) = delete;
        Request& operator=(const Request&) = delete;

    private:
        Session& session_;
    };

    // What a statement runs with besides its text: parameter values and types (none for the
    // simple query protocol), and for a prepared statement the description its result must
    // still match.
    struct Bindings {
        std::span<const kernel::Value> values{};
        std::span<const Type> types{};
        const StatementDescription* expected = nullptr;
        PlanCache* plan_cache = nullptr;  // a prepared statement's
        // A result whose memory a SELECT refills (execute_prepared_into); left holding it
        // again when the statement fails or is retried.
        StatementResult* recycle = nullptr;
    };

    // execute_prepared, optionally recycling a result's memory (Bindings::recycle).
    SqlResult<StatementResult> run_prepared(const PreparedStatement& prepared,
                                            std::span<const kernel::Value> parameters,
                                            StatementResult* recycle);

    SqlResult<StatementResult> run(const ast::Statement& statement, const Bindings& bindings);
    // Runs `statements` in order until an error or a COPY FROM STDIN (whose followers are kept
    // in rest_), then ends the text (end_text) unless a COPY waits for its data.
    std::vector<SqlResult<StatementResult>> run_all(std::vector<ast::Statement> statements);
    // The end of a text: its implicit transaction commits (an error is appended to `results`).
    void end_text(std::vector<SqlResult<StatementResult>>& results);
    // An error ended the text: its implicit transaction, if open, is rolled back.
    void abort_implicit();
    // A statement starts: arms guard_ (statement_timeout, max_result_bytes) and fails at once
    // when the request was cancelled.
    SqlStatus start_statement();
    // What statements on `transaction` evaluate with: the session, now() and gen_random_uuid()
    // fixed for the transaction (logged with its op).
    EvalContext eval_for(db::Transaction& transaction);
    // The open transaction block's transaction, or nullptr.
    db::Transaction* open_transaction();
    // COPY ... FROM STDIN (session_copy.cc).
    SqlResult<StatementResult> start_copy_from(const ast::CopyStatement& statement);
    void end_copy(bool failed);
    // CREATE / DROP DATABASE (session_database.cc): tenants, each its own op, outside any
    // transaction block.
    SqlResult<StatementResult> run_database_statement(const ast::Statement& statement);
    SqlResult<StatementResult> run_transaction_control(const ast::TransactionStatement& statement);
    SqlResult<StatementResult> run_in_transaction(const ast::Statement& statement,
                                                  db::Transaction& transaction,
                                                  const Bindings& bindings);
    SqlResult<StatementResult> run_autocommit(const ast::Statement& statement,
                                              const Bindings& bindings);
    SqlResult<StatementDescription> describe(const ast::Statement& statement,
                                             std::vector<std::optional<Type>> parameter_types);
    SqlResult<StatementResult> run_set(const ast::Statement& statement);
    // CREATE / ALTER / DROP ROLE, GRANT, REVOKE (session_roles.cc): each its own op, outside
    // any transaction block.
    SqlResult<StatementResult> run_access_statement(const ast::Statement& statement);
    SqlResult<db::SubmitResult> commit(db::Transaction& transaction);
    SqlResult<db::Transaction> begin_transaction();
    SqlResult<std::optional<Position>> time_travel_position(
        const db::Transaction& transaction) const;

    db::TransactionHost& host_;
    TenantId tenant_;
    PrincipalId principal_;
    SessionOptions options_;
    std::unique_ptr<Open> open_;
    bool failed_ = false;
    std::unique_ptr<CopyFrom> copy_;    // a COPY FROM STDIN taking data
    std::vector<ast::Statement> rest_;  // the statements after it in execute()'s text
    std::map<std::string, std::string, std::less<>> settings_;
    // What RESET goes back to: PostgreSQL's defaults with the options' (statement_timeout).
    std::map<std::string, std::string, std::less<>> defaults_;
    SessionInfo info_;  // what session functions and the system catalog read (eval_context.h)
    // Several statements in the text being run: they share an implicit transaction.
    bool multi_ = false;
    std::shared_ptr<CancelSignal> cancel_ = std::make_shared<CancelSignal>();
    StatementGuard guard_;  // the running statement's (eval_for points statements at it)
};

// Runs one statement (not transaction control or SET/SHOW) on `transaction`: the dispatch to
// the DDL, DML and query code. A prepared statement passes its plan cache (plan_cache.h).
// A SELECT refills `recycle`'s memory when given (Session::execute_prepared_into; on an error
// `recycle` holds that memory again); other statements ignore it.
SqlResult<StatementResult> execute_statement(const ast::Statement& statement,
                                             db::Transaction& transaction, EvalContext& eval,
                                             PlanCache* plan_cache = nullptr,
                                             StatementResult* recycle = nullptr);

}  // namespace kb::sql
