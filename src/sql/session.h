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
//   * a transaction that wrote nothing logs nothing.
//
// Threads: a Session belongs to one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/error.h"
#include "sql/exec.h"
#include "sql/value_type.h"

namespace kb::sql {

struct ResultColumn {
    std::string name;
    Type type;
};

// What one statement produced: a command tag ("INSERT 0 3", "CREATE TABLE", "SELECT 2") and,
// for statements that return rows, their description and the rows.
struct StatementResult {
    std::string tag;
    bool returns_rows = false;
    std::vector<ResultColumn> columns;
    std::vector<Row> rows;
    std::vector<std::string> notices;  // NOTICE messages (e.g. "relation \"t\" already exists,
                                       // skipping")
};

enum class TransactionStatus : u8 { idle, in_transaction, failed };

struct SessionOptions {
    // Times an autocommit statement is run again after a serialization conflict.
    usize autocommit_retries = 10;
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
    // protocol does).
    std::vector<SqlResult<StatementResult>> execute(std::string_view text);

    TransactionStatus transaction_status() const;
    // A setting's current value as SHOW prints it, or nullopt for an unknown name.
    std::optional<std::string> setting(std::string_view name) const;

private:
    struct Open;  // the open explicit transaction and its savepoints

    SqlResult<StatementResult> run(const ast::Statement& statement);
    SqlResult<StatementResult> run_transaction_control(const ast::TransactionStatement& statement);
    SqlResult<StatementResult> run_in_transaction(const ast::Statement& statement,
                                                  db::Transaction& transaction);
    SqlResult<StatementResult> run_autocommit(const ast::Statement& statement);
    SqlResult<StatementResult> run_set(const ast::Statement& statement);
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
    std::map<std::string, std::string, std::less<>> settings_;
};

// Runs one statement (not transaction control or SET/SHOW) on `transaction`: the dispatch to
// the DDL, DML and query code. `text` is the whole query string, for positions.
SqlResult<StatementResult> execute_statement(const ast::Statement& statement,
                                             db::Transaction& transaction, EvalContext& eval);

}  // namespace kb::sql
