// COPY TO and COPY FROM on the SQL side (see copy.h).
#include "sql/copy.h"

#include <algorithm>

#include "sql/bind_ddl.h"
#include "sql/catalog_tables.h"
#include "sql/dml_defaults.h"
#include "sql/dml_writer.h"
#include "sql/statement_guard.h"
#include "sql/value_io.h"

namespace kb::sql {
namespace {

// The table columns a COPY column list names, in its order (every column without a list):
// 42703 / 42701 as PostgreSQL's CopyGetAttnums words them.
SqlResult<std::vector<usize>> copy_targets(const kernel::TableSchema& table,
                                           const std::vector<ast::NameRef>& columns) {
    std::vector<usize> targets;
    if (columns.empty()) {
        for (usize i = 0; i < table.columns.size(); ++i) targets.push_back(i);
        return targets;
    }
    for (const ast::NameRef& name : columns) {
        const kernel::ColumnDef* column = table.find_column(name.name);
        if (column == nullptr) {
            return SqlError(
                sqlstate::kUndefinedColumn,
                "column \"" + name.name + "\" of relation \"" + table.name + "\" does not exist");
        }
        const auto index = static_cast<usize>(column - table.columns.data());
        if (std::find(targets.begin(), targets.end(), index) != targets.end()) {
            return SqlError(sqlstate::kDuplicateColumn,
                            "column \"" + name.name + "\" specified more than once");
        }
        targets.push_back(index);
    }
    return targets;
}

// A key violation is about the row as a whole; NOT NULL and CHECK are about the line as read
// (PostgreSQL checks them before the row is buffered, with the line at hand).
bool about_the_line(const SqlError& error) {
    return error.sqlstate == sqlstate::kNotNullViolation ||
           error.sqlstate == sqlstate::kCheckViolation;
}

}  // namespace

// --- COPY TO ----------------------------------------------------------------------------------

SqlResult<StatementResult> execute_copy_to(const ast::CopyStatement& statement,
                                           db::Transaction& transaction, EvalContext& eval) {
    CopyOptions options = KB_SQL_TRY(copy_options(statement.options, false));
    if (statement.where) {
        return SqlError(sqlstate::kFeatureNotSupported, "WHERE clause not allowed with COPY TO")
            .at(statement.where->position);
    }
    StatementResult selected;
    if (statement.query) {
        selected = KB_SQL_TRY(execute_statement(*statement.query, transaction, eval));
    } else {
        // COPY t (a, b) TO is SELECT a, b FROM t: its privileges, its system catalog rows.
        ast::SelectStatement select;
        select.from = statement.table;
        std::vector<std::string> names;
        if (KB_SQL_TRY(resolve_system_table(statement.table)) != nullptr) {
            for (const ast::NameRef& column : statement.columns) names.push_back(column.name);
        } else {
            const kernel::TableSchema& table =
                *KB_SQL_TRY(find_table(transaction, statement.table));
            for (usize index : KB_SQL_TRY(copy_targets(table, statement.columns))) {
                names.push_back(table.columns[index].name);
            }
        }
        if (names.empty()) {
            select.targets.push_back(ast::SelectItem{
                .expr = ast::make_expr(ast::ColumnRef{.star = true}, statement.table.position)});
        }
        for (const std::string& name : names) {
            select.targets.push_back(ast::SelectItem{
                .expr = ast::make_expr(ast::ColumnRef{.column = name}, statement.table.position)});
        }
        ast::Statement query{.node = std::move(select), .position = statement.table.position};
        selected = KB_SQL_TRY(execute_statement(query, transaction, eval));
    }
    CopyResponse response;
    response.columns = selected.columns.size();
    for (const ResultColumn& column : selected.columns) response.names.push_back(column.name);
    KB_SQL_TRY(resolve_copy_columns(options, response.names));
    response.options = std::move(options);

    StatementResult result;
    result.notices = std::move(selected.notices);
    result.rows = std::move(selected.rows);
    result.tag = "COPY " + std::to_string(result.rows.size());
    result.copy = std::move(response);
    return result;
}

// --- COPY FROM --------------------------------------------------------------------------------

// The transaction rows are written into now, and what writing them needs.
struct CopyFrom::Chunk {
    std::optional<db::Transaction> owned;  // outside a transaction block
    db::Transaction* transaction = nullptr;
    EvalContext eval{};
    std::unique_ptr<TableWriter> writer;
    std::unique_ptr<ColumnDefaults> defaults;
    std::optional<BoundExpr> where;
    // Outside a transaction block: the chunk's rows, to write again after a conflict.
    struct Written {
        Row row;
        u64 line = 0;
        std::string text;
    };
    std::vector<Written> written;
};

CopyFrom::CopyFrom(CopyResponse response, kernel::TableSchema table, std::vector<usize> targets,
                   db::Transaction* open, CopyFromHooks hooks, CopyFromOptions options)
    : response_(std::move(response)),
      table_(std::move(table)),
      targets_(std::move(targets)),
      open_(open),
      hooks_(std::move(hooks)),
      options_(options),
      decoder_(response_.options, table_.name, response_.names) {}

CopyFrom::~CopyFrom() = default;

SqlResult<std::unique_ptr<CopyFrom>> CopyFrom::start(const ast::CopyStatement& statement,
                                                     db::Transaction* open, CopyFromHooks hooks,
                                                     CopyFromOptions options) {
    KB_ASSERT(statement.from && !statement.query);
    CopyOptions copy_options_given = KB_SQL_TRY(copy_options(statement.options, true));
    std::optional<db::Transaction> first;
    db::Transaction* transaction = open;
    if (transaction == nullptr) {
        first.emplace(KB_SQL_TRY(hooks.begin()));
        transaction = &*first;
    }
    // The system catalog takes no rows, as INSERT says it.
    ast::Statement as_insert{.node = ast::InsertStatement{.table = statement.table}};
    KB_SQL_TRY(refuse_system_catalog_writes(as_insert, *transaction));
    const kernel::TableSchema table = *KB_SQL_TRY(find_table(*transaction, statement.table));
    auto allowed = transaction->has_table_privilege(table.id, kernel::Privilege::insert);
    if (!allowed) return from_status(allowed.status());
    if (!*allowed) {
        return SqlError(sqlstate::kInsufficientPrivilege,
                        "permission denied for table " + table.name);
    }
    std::vector<usize> targets = KB_SQL_TRY(copy_targets(table, statement.columns));
    CopyResponse response;
    response.from = true;
    response.columns = targets.size();
    for (usize index : targets) response.names.push_back(table.columns[index].name);
    KB_SQL_TRY(resolve_copy_columns(copy_options_given, response.names));
    response.options = std::move(copy_options_given);

    std::unique_ptr<CopyFrom> copy(new CopyFrom(std::move(response), table, std::move(targets),
                                                open, std::move(hooks), options));
    if (statement.where) copy->where_ = ast::clone(*statement.where);
    copy->chunk_ = std::make_unique<Chunk>();
    if (first) {
        copy->chunk_->owned.emplace(std::move(*first));
        copy->chunk_->transaction = &*copy->chunk_->owned;
    } else {
        copy->chunk_->transaction = open;
    }
    KB_SQL_TRY(copy->begin_chunk());
    return copy;
}

// Readies chunk_ (whose transaction is set) for writing: its context, writer, WHERE.
SqlStatus CopyFrom::begin_chunk() {
    Chunk& chunk = *chunk_;
    db::Transaction& transaction = *chunk.transaction;
    // A later chunk must write the table the COPY started with (PostgreSQL holds a lock).
    const kernel::TableSchema* now =
        transaction.catalog().table(table_.id, transaction.schema_position());
    if (now == nullptr || !(*now == table_)) {
        return SqlError(sqlstate::kSerializationFailure,
                        "could not serialize access due to concurrent update")
            .with_detail("Table \"" + table_.name + "\" was altered or dropped during COPY.");
    }
    chunk.eval = hooks_.eval_for(transaction);
    chunk.writer = KB_SQL_TRY(TableWriter::make(transaction, table_, chunk.eval));
    if (defaults_ == nullptr) {
        defaults_ = std::make_unique<ColumnDefaults>(transaction, table_, chunk.eval);
    } else {
        defaults_->rebind(transaction, chunk.eval);
    }
    if (where_) {
        const Scope scope = chunk.writer->scope(table_.name);
        ExprBinder binder(scope, chunk.eval.parameter_types);
        chunk.where = KB_SQL_TRY(binder.bind_condition(*where_, "WHERE"));
    }
    return sql_ok();
}

SqlError CopyFrom::annotate(SqlError error) const {
    if (open_ != nullptr || committed_rows_ == 0) return error;
    const usize size = options_.chunk_bytes;
    const std::string chunk = size % (usize{1} << 20) == 0   ? std::to_string(size >> 20) + " MiB"
                              : size % (usize{1} << 10) == 0 ? std::to_string(size >> 10) + " KiB"
                                                             : std::to_string(size) + " bytes";
    const std::string note =
        "COPY outside a transaction block commits every " + chunk + ": " +
        std::to_string(committed_rows_) + (committed_rows_ == 1 ? " row" : " rows") +
        ", through line " + std::to_string(committed_through_line_) + ", were committed in " +
        std::to_string(chunks_committed_) + (chunks_committed_ == 1 ? " chunk" : " chunks") +
        " and remain; nothing after them was.";
    error.detail = error.detail.empty() ? note : error.detail + "\n" + note;
    return error;
}

SqlStatus CopyFrom::data(ByteSpan bytes) {
    std::vector<CopyRecord> records;
    SqlStatus decoded = decoder_.feed(bytes, records);
    // The lines before a bad one are rows like any other.
    SqlStatus inserted = insert_records(records);
    if (!inserted) return annotate(inserted.error());
    if (!decoded) return annotate(decoded.error());
    return sql_ok();
}

SqlResult<StatementResult> CopyFrom::done() {
    std::vector<CopyRecord> records;
    SqlStatus decoded = decoder_.finish(records);
    SqlStatus inserted = insert_records(records);
    if (!inserted) return annotate(inserted.error());
    if (!decoded) return annotate(decoded.error());
    if (open_ == nullptr) {
        if (auto committed = commit_chunk(); !committed) return annotate(committed.error());
    }
    StatementResult result;
    result.tag = "COPY " + std::to_string(rows());
    return result;
}

SqlStatus CopyFrom::insert_records(std::vector<CopyRecord>& records) {
    for (const CopyRecord& record : records) {
        // A cancellation point per line (statement_guard.h); never inside a chunk's commit.
        if (chunk_ != nullptr && must_stop(chunk_->eval.guard)) return chunk_->eval.guard->error();
        KB_SQL_TRY(insert(record));
    }
    return sql_ok();
}

SqlStatus CopyFrom::insert(const CopyRecord& record) {
    if (chunk_ == nullptr) {
        chunk_ = std::make_unique<Chunk>();
        chunk_->owned.emplace(KB_SQL_TRY(hooks_.begin()));
        chunk_->transaction = &*chunk_->owned;
        KB_SQL_TRY(begin_chunk());
    }
    Row row = KB_SQL_TRY(row_of(record));
    if (chunk_->where) {
        auto keep = evaluate_condition(*chunk_->where, row, chunk_->eval);
        if (!keep) {
            SqlError error = keep.error();
            return error.with_context(copy_context_line(table_.name, record.line, record.text));
        }
        if (!*keep) return sql_ok();
    }
    KB_SQL_TRY(write(row, record.line, record.text));
    ++chunk_rows_;
    if (open_ == nullptr) {
        chunk_->written.push_back(Chunk::Written{std::move(row), record.line, record.text});
        if (chunk_->transaction->op_size_estimate_bytes() >= options_.chunk_bytes) {
            KB_SQL_TRY(commit_chunk());
        }
    }
    return sql_ok();
}

SqlResult<Row> CopyFrom::row_of(const CopyRecord& record) {
    Row row(table_.columns.size(), Value::null());
    std::vector<bool> given(table_.columns.size(), false);
    for (usize i = 0; i < targets_.size(); ++i) {
        const usize index = targets_[i];
        given[index] = true;
        const std::optional<std::string>& field = record.fields[i];
        if (!field) continue;
        const kernel::ColumnDef& column = table_.columns[index];
        auto value = value_input_with_modifier(*field, Type::of(column.type));
        if (!value) {
            SqlError error = value.error();
            return error.with_context(
                copy_context_column(table_.name, record.line, column.name, field));
        }
        row[index] = std::move(*value);
    }
    for (usize c = 0; c < table_.columns.size(); ++c) {
        if (given[c]) continue;
        // Sequence values are reserved in blocks that grow with the COPY (PostgreSQL's
        // sequence cache does the same job): few reservation ops, few values lost at the end.
        defaults_->expect_rows(sequence_block_);
        auto value = defaults_->value(c);
        if (!value) {
            SqlError error = value.error();
            return error.with_context(copy_context_line(table_.name, record.line, record.text));
        }
        row[c] = std::move(*value);
    }
    return row;
}

SqlStatus CopyFrom::write(const Row& row, u64 line, const std::string& text) {
    auto written = chunk_->writer->insert(row);
    if (written) return sql_ok();
    SqlError error = written.error();
    if (error.context.empty()) {
        error.with_context(about_the_line(error) ? copy_context_line(table_.name, line, text)
                                                 : copy_context(table_.name, line));
    }
    return error;
}

SqlStatus CopyFrom::commit_chunk() {
    KB_ASSERT(open_ == nullptr);
    if (chunk_ == nullptr) return sql_ok();
    for (usize attempt = 0;; ++attempt) {
        SqlStatus committed = hooks_.commit(*chunk_->transaction);
        if (committed) break;
        if (committed.error().sqlstate != sqlstate::kSerializationFailure ||
            attempt + 1 >= options_.retries) {
            return committed.error();
        }
        // A conflict: nothing of the chunk happened. Write its rows again on a new snapshot.
        std::vector<Chunk::Written> rows = std::move(chunk_->written);
        chunk_ = std::make_unique<Chunk>();
        chunk_->owned.emplace(KB_SQL_TRY(hooks_.begin()));
        chunk_->transaction = &*chunk_->owned;
        KB_SQL_TRY(begin_chunk());
        for (const Chunk::Written& written : rows)
            KB_SQL_TRY(write(written.row, written.line, written.text));
        chunk_->written = std::move(rows);
    }
    if (chunk_rows_ > 0) {
        committed_rows_ += chunk_rows_;
        committed_through_line_ =
            chunk_->written.empty() ? committed_through_line_ : chunk_->written.back().line;
        ++chunks_committed_;
    }
    chunk_rows_ = 0;
    chunk_.reset();
    sequence_block_ = std::min<usize>(sequence_block_ * 2, 8192);
    return sql_ok();
}

}  // namespace kb::sql
