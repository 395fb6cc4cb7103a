// COPY on the SQL side: what COPY ... TO STDOUT returns, and how COPY ... FROM STDIN inserts the
// rows it is sent. The wire flow (CopyInResponse, CopyData, CopyDone ...) is the server's
// (server/pg_connection_copy.cc); the formats are copy_format.h.
//
// COPY t [(columns)] TO STDOUT runs as SELECT columns FROM t (rows in primary key order), COPY
// (query) TO STDOUT as the query: its rows come back in a StatementResult whose `copy` says how
// to write them, tagged "COPY n".
//
// COPY t [(columns)] FROM STDIN: each row goes through the same path as INSERT — values from
// the columns' text input functions (with their typmods), defaults for the columns not listed
// (sequences reserved in growing blocks), NOT NULL, CHECK, UNIQUE and FOREIGN KEY checks, the
// same SQLSTATEs — with PostgreSQL's CONTEXT ("COPY t, line 3, column a: \"x\"" for a value,
// "COPY t, line 3: \"...\"" for the line, "COPY t, line 3" for a key violation). WHERE keeps
// only the rows it is true for. The tag is "COPY n", n the rows inserted.
//
// Transactions. Inside a transaction block every row goes into the open transaction: COPY is
// atomic with it, and a COMMIT larger than the op size cap fails (54000) as any statement's
// would. Outside one, rows are committed in chunks: a chunk is committed once its op is
// estimated to reach `chunk_bytes` (default 8 MiB, far below the 64 MiB op size cap), and at
// the end. A chunk refused for a conflict (40001) is run again, from its rows, up to `retries`
// times. An error after some chunks were committed leaves those rows committed; its DETAIL
// says how many rows, through which line, so a client can resume after them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "db/transaction.h"
#include "sql/ast.h"
#include "sql/copy_format.h"
#include "sql/session.h"

namespace kb::sql {

class ColumnDefaults;

// COPY ... TO STDOUT on `transaction` (see above).
SqlResult<StatementResult> execute_copy_to(const ast::CopyStatement& statement,
                                           db::Transaction& transaction, EvalContext& eval);

// What COPY FROM needs of the session.
struct CopyFromHooks {
    // Outside a transaction block: a fresh transaction for the next chunk.
    std::function<SqlResult<db::Transaction>()> begin{};
    // Outside a transaction block: commits a chunk (40001 on a conflict).
    std::function<SqlStatus(db::Transaction&)> commit{};
    // The evaluation context of statements on `transaction` (now(), gen_random_uuid() ...).
    std::function<EvalContext(db::Transaction&)> eval_for{};
};

struct CopyFromOptions {
    usize chunk_bytes = usize{8} << 20;
    usize retries = 10;
};

class CopyFrom {
public:
    // Resolves COPY ... FROM STDIN: the table, its columns, the options, INSERT privilege, the
    // WHERE condition. `open`: the open transaction block's transaction, or nullptr to commit
    // in chunks through `hooks`.
    static SqlResult<std::unique_ptr<CopyFrom>> start(const ast::CopyStatement& statement,
                                                      db::Transaction* open, CopyFromHooks hooks,
                                                      CopyFromOptions options = {});
    ~CopyFrom();
    CopyFrom(const CopyFrom&) = delete;
    CopyFrom& operator=(const CopyFrom&) = delete;

    const CopyResponse& response() const { return response_; }

    // More data (any chunking): inserts the rows of the lines it completes, committing chunks
    // outside a transaction block. An error ends the COPY (annotated as by annotate()).
    SqlStatus data(ByteSpan bytes);
    // The end of the data: the last rows, the last commit; "COPY n".
    SqlResult<StatementResult> done();
    // `error` (one of this COPY, or the client's CopyFail) with the DETAIL saying which rows
    // chunks committed before it, if any did.
    SqlError annotate(SqlError error) const;

    // Rows inserted (committed or not yet).
    u64 rows() const { return committed_rows_ + chunk_rows_; }

private:
    struct Chunk;
    CopyFrom(CopyResponse response, kernel::TableSchema table, std::vector<usize> targets,
             db::Transaction* open, CopyFromHooks hooks, CopyFromOptions options);

    SqlStatus begin_chunk();
    SqlStatus insert_records(std::vector<CopyRecord>& records);
    SqlStatus insert(const CopyRecord& record);
    SqlResult<Row> row_of(const CopyRecord& record);
    SqlStatus write(const Row& row, u64 line, const std::string& text);
    SqlStatus commit_chunk();

    CopyResponse response_;
    kernel::TableSchema table_;
    std::vector<usize> targets_;  // the table column of each COPY column
    db::Transaction* open_;
    CopyFromHooks hooks_;
    CopyFromOptions options_;
    ast::ExprPtr where_;  // the statement's (kept: the COPY outlives its text), bound per chunk
    CopyDecoder decoder_;
    std::unique_ptr<Chunk> chunk_;              // nullptr between chunks
    std::unique_ptr<ColumnDefaults> defaults_;  // across chunks: reserved values are used up
    u64 committed_rows_ = 0;
    u64 committed_through_line_ = 0;
    u64 chunks_committed_ = 0;
    u64 chunk_rows_ = 0;
    usize sequence_block_ = 64;  // values reserved per sequence reservation, growing
};

}  // namespace kb::sql
