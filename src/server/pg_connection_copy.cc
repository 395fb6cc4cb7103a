// COPY over the wire (pg_connection.h): CopyOutResponse / CopyData / CopyDone for COPY ... TO
// STDOUT, CopyInResponse then the client's CopyData / CopyDone / CopyFail for COPY ... FROM
// STDIN. The data's format and the rows are the SQL layer's (sql/copy_format.h, sql/copy.h).
#include <cstdio>

#include "base/assert.h"
#include "server/pg_connection.h"
#include "sql/copy_format.h"

namespace kb::server {

void PgConnection::send_copy_out(const sql::StatementResult& result) {
    KB_ASSERT(result.copy && !result.copy->from);
    const sql::CopyResponse& copy = *result.copy;
    const std::vector<PgFormat> columns(copy.columns, PgFormat::text);
    write_copy_out_response(output_, PgFormat::text, columns);
    // One CopyData per row, as PostgreSQL sends them (clients may rely on it).
    const sql::CopyEncoder encoder(copy.options);
    std::string line;
    if (copy.options.header != sql::CopyHeader::none) {
        encoder.header(copy.names, line);
        write_copy_data(output_, as_bytes(line));
    }
    for (const sql::Row& row : result.rows) {
        line.clear();
        encoder.row(row, line);
        write_copy_data(output_, as_bytes(line));
    }
    write_copy_done(output_);
    write_command_complete(output_, result.tag);
}

void PgConnection::start_copy_in(const sql::StatementResult& result, bool extended) {
    KB_ASSERT(result.copy && result.copy->from && session_->copy_in_progress());
    const std::vector<PgFormat> columns(result.copy->columns, PgFormat::text);
    write_copy_in_response(output_, PgFormat::text, columns);
    copy_in_ = CopyIn{.extended = extended};
}

void PgConnection::copy_in_failed(const sql::SqlError& error) {
    const bool extended = copy_in_->extended;
    copy_in_.reset();
    send_error(error);
    if (extended) {
        skipping_until_sync_ = true;  // up to the Sync the client sends after its CopyDone
        return;
    }
    end_of_transaction_cleanup();
    send_ready_for_query();
}

void PgConnection::handle_copy_message(char type, ByteSpan body) {
    namespace t = pg_frontend_type;
    switch (type) {
        case t::kCopyData: {
            auto status = session_->copy_data(body);
            if (!status) copy_in_failed(status.error());
            return;
        }
        case t::kCopyDone: {
            auto result = session_->copy_done();
            if (!result) return copy_in_failed(result.error());
            const bool extended = copy_in_->extended;
            copy_in_.reset();
            write_command_complete(output_, result->tag);
            note_statement(result->tag);
            if (extended) return;  // the client's Sync ends the Execute
            // The rest of the Query's statements, then ReadyForQuery (unless another COPY
            // FROM STDIN among them waits for its data).
            if (!send_results(session_->execute_rest())) return;
            end_of_transaction_cleanup();
            send_ready_for_query();
            return;
        }
        case t::kCopyFail: {
            auto decoded = decode_frontend_message(type, body);
            std::string message;
            if (decoded) {
                if (const auto* fail = std::get_if<PgCopyFail>(&*decoded)) {
                    message = std::string(fail->message);
                }
            }
            return copy_in_failed(session_->copy_fail(message));
        }
        case t::kFlush:
        case t::kSync:
            // Clients (libpq) send these without noticing the command was COPY.
            return;
        default: {
            char code[8];
            std::snprintf(code, sizeof code, "%02X", static_cast<unsigned>(static_cast<u8>(type)));
            return copy_in_failed(session_->copy_abort(protocol_violation(
                "unexpected message type 0x" + std::string(code) + " during COPY from stdin")));
        }
    }
}

}  // namespace kb::server
