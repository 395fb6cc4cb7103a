// The extended query protocol of a connection (pg_connection.h): Parse, Bind, Describe,
// Execute, Close and Sync over named and unnamed statements and portals.
#include <algorithm>

#include "base/assert.h"
#include "server/pg_connection.h"
#include "server/pg_types.h"
#include "sql/value_io.h"

namespace kb::server {

using sql::SqlError;
using sql::SqlStatus;

namespace {

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

SqlError no_statement(std::string_view name) {
    return SqlError(kSqlstateInvalidSqlStatementName,
                    name.empty() ? std::string("unnamed prepared statement does not exist")
                                 : "prepared statement " + quoted(name) + " does not exist");
}

SqlError no_portal(std::string_view name) {
    return SqlError(kSqlstateInvalidCursorName, "portal " + quoted(name) + " does not exist");
}

sql::SqlResult<PgFormat> format_code(i16 code) {
    if (code == 0) return PgFormat::text;
    if (code == 1) return PgFormat::binary;
    return SqlError(sql::sqlstate::kInvalidParameterValue,
                    "unsupported format code: " + std::to_string(code));
}

// The format of item `index` of `count` when the client sent `codes` (none: all text; one:
// for all; else one each, already checked to be `count` long).
i16 code_for(const std::vector<i16>& codes, usize index) {
    if (codes.empty()) return 0;
    return codes.size() == 1 ? codes[0] : codes[index];
}

// A command tag with its row count replaced by the rows this Execute sent (PostgreSQL reports
// the rows of the last batch of a portal fetched in several).
std::string tag_with_count(const std::string& tag, usize rows) {
    const usize space = tag.rfind(' ');
    if (space == std::string::npos || space + 1 == tag.size()) return tag;
    const bool counted = tag.starts_with("SELECT ") || tag.starts_with("INSERT ") ||
                         tag.starts_with("UPDATE ") || tag.starts_with("DELETE ") ||
                         tag.starts_with("MERGE ") || tag.starts_with("FETCH ") ||
                         tag.starts_with("MOVE ") || tag.starts_with("COPY ");
    const bool numeric = std::all_of(tag.begin() + static_cast<std::ptrdiff_t>(space) + 1,
                                     tag.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!counted || !numeric) return tag;
    return tag.substr(0, space + 1) + std::to_string(rows);
}

}  // namespace

void PgConnection::write_row_description(const std::vector<sql::ResultColumn>& columns,
                                         const std::vector<PgFormat>& formats) {
    std::vector<PgFieldDescription> fields;
    fields.reserve(columns.size());
    for (usize i = 0; i < columns.size(); ++i) {
        const PgTypeInfo info = pg_type_info(columns[i].type);
        PgFieldDescription field;
        field.name = columns[i].name;
        field.type_oid = info.oid;
        field.type_length = info.length;
        field.type_modifier = info.modifier;
        field.format = formats[i];
        fields.push_back(std::move(field));
    }
    server::write_row_description(output_, fields);
}

SqlStatus PgConnection::parse(const PgParse& message) {
    // A new unnamed statement replaces the old one even when it fails to parse.
    if (message.statement.empty()) statements_.erase(std::string());
    if (!message.statement.empty() && statements_.contains(message.statement)) {
        return SqlError(kSqlstateDuplicatePreparedStatement,
                        "prepared statement " + quoted(message.statement) + " already exists");
    }
    KB_SQL_TRY(check_statement_size(message.query));
    KB_SQL_TRY(sql::check_text(message.query));
    std::vector<std::optional<sql::Type>> declared;
    declared.reserve(message.parameter_types.size());
    for (u32 oid : message.parameter_types) declared.push_back(KB_SQL_TRY(pg_type_from_oid(oid)));
    Statement prepared = KB_SQL_TRY(session_->prepare(message.query, declared, message.statement));
    statements_.insert_or_assign(std::string(message.statement), std::move(prepared));
    write_parse_complete(output_);
    return sql::sql_ok();
}

SqlStatus PgConnection::bind(const PgBind& message) {
    if (message.portal.empty()) portals_.erase(std::string());
    const auto found = statements_.find(message.statement);
    if (found == statements_.end()) return no_statement(message.statement);
    const Statement& statement = found->second;
    if (!message.portal.empty() && portals_.contains(message.portal)) {
        return SqlError(kSqlstateDuplicateCursor,
                        "cursor " + quoted(message.portal) + " already exists");
    }
    const usize parameter_count = message.parameters.size();
    if (message.parameter_formats.size() > 1 &&
        message.parameter_formats.size() != parameter_count) {
        return protocol_violation(
            "bind message has " + std::to_string(message.parameter_formats.size()) +
            " parameter formats but " + std::to_string(parameter_count) + " parameters");
    }
    KB_SQL_TRY(sql::check_parameter_count(*statement, parameter_count));

    auto portal = std::make_unique<Portal>();
    portal->statement = statement;
    portal->parameters.reserve(parameter_count);
    const std::vector<sql::Type>& types = statement->description().parameter_types;
    for (usize i = 0; i < parameter_count; ++i) {
        const PgFormat format = KB_SQL_TRY(format_code(code_for(message.parameter_formats, i)));
        if (!message.parameters[i]) {
            portal->parameters.emplace_back();
            continue;
        }
        auto value = pg_decode_value(*message.parameters[i], types[i], format);
        if (!value) {
            SqlError error = value.error();
            if (error.sqlstate == kSqlstateInvalidBinaryRepresentation &&
                error.message == "incorrect binary data format") {
                error.message += " in bind parameter " + std::to_string(i + 1);
            }
            return error;
        }
        portal->parameters.push_back(std::move(*value));
    }

    const usize column_count = statement->description().columns.size();
    if (message.result_formats.size() > 1 && message.result_formats.size() != column_count) {
        return protocol_violation(
            "bind message has " + std::to_string(message.result_formats.size()) +
            " result formats but query has " + std::to_string(column_count) + " columns");
    }
    portal->result_formats.reserve(column_count);
    for (i16 code : message.result_formats) KB_SQL_TRY(format_code(code));
    for (usize i = 0; i < column_count; ++i) {
        portal->result_formats.push_back(*format_code(code_for(message.result_formats, i)));
    }
    portals_.insert_or_assign(std::string(message.portal), std::move(portal));
    write_bind_complete(output_);
    return sql::sql_ok();
}

SqlStatus PgConnection::describe(const PgDescribe& message) {
    if (message.target == PgTarget::statement) {
        const auto found = statements_.find(message.name);
        if (found == statements_.end()) return no_statement(message.name);
        const sql::StatementDescription& description = found->second->description();
        std::vector<u32> oids;
        oids.reserve(description.parameter_types.size());
        for (const sql::Type& type : description.parameter_types) {
            oids.push_back(pg_type_oid(type));
        }
        write_parameter_description(output_, oids);
        if (!description.returns_rows) {
            write_no_data(output_);
        } else {
            // Result formats are not known before Bind: PostgreSQL describes them as text.
            write_row_description(
                description.columns,
                std::vector<PgFormat>(description.columns.size(), PgFormat::text));
        }
        return sql::sql_ok();
    }
    const auto found = portals_.find(message.name);
    if (found == portals_.end()) return no_portal(message.name);
    const Portal& portal = *found->second;
    const sql::StatementDescription& description = portal.statement->description();
    if (!description.returns_rows) {
        write_no_data(output_);
    } else {
        write_row_description(description.columns, portal.result_formats);
    }
    return sql::sql_ok();
}

SqlStatus PgConnection::execute(const PgExecute& message) {
    const auto found = portals_.find(message.portal);
    if (found == portals_.end()) return no_portal(message.portal);
    Portal& portal = *found->second;
    if (portal.statement->statement() == nullptr) {
        write_empty_query_response(output_);
        return sql::sql_ok();
    }
    if (!portal.executed) {
        auto result = session_->execute_prepared(*portal.statement, portal.parameters);
        portal.executed = true;
        if (!result) {
            portals_.erase(found);
            return result.error();
        }
        portal.result = std::move(*result);
        for (const std::string& text : portal.result.notices) {
            PgNotice notice;
            notice.severity = "NOTICE";
            notice.sqlstate = "00000";
            notice.message = text;
            write_notice_response(output_, notice);
        }
        note_statement(portal.result.tag);
    } else if (portal.finished && !portal.result.returns_rows) {
        return SqlError(sql::sqlstate::kObjectNotInPrerequisiteState,
                        "portal " + quoted(message.portal) + " cannot be run");
    }
    if (portal.result.copy) {
        // COPY sends every row (or takes every row) whatever the row limit, as PostgreSQL.
        portal.finished = true;
        if (portal.result.copy->from) {
            start_copy_in(portal.result, true);
        } else {
            send_copy_out(portal.result);
            portal.result.rows.clear();
        }
        return sql::sql_ok();
    }
    if (!portal.result.returns_rows) {
        portal.finished = true;
        write_command_complete(output_, portal.result.tag);
        return sql::sql_ok();
    }
    const std::vector<sql::Row>& rows = portal.result.rows;
    const usize remaining = rows.size() - portal.next_row;
    const usize batch = message.max_rows > 0
                            ? std::min(remaining, static_cast<usize>(message.max_rows))
                            : remaining;
    for (usize r = portal.next_row; r < portal.next_row + batch; ++r) {
        const sql::Row& row = rows[r];
        PgDataRowWriter writer(output_, row.size());
        for (usize c = 0; c < row.size(); ++c) {
            if (row[c].is_null()) {
                writer.null();
                continue;
            }
            writer.value_start();
            pg_encode_value(row[c], portal.result_formats[c], writer.buffer());
            writer.value_end();
        }
        writer.finish();
    }
    portal.next_row += batch;
    if (portal.next_row < rows.size()) {
        write_portal_suspended(output_);
        return sql::sql_ok();
    }
    portal.finished = true;
    // Rows already handed out are not needed again (a finished portal answers "SELECT 0").
    portal.result.rows.clear();
    portal.next_row = 0;
    write_command_complete(output_, tag_with_count(portal.result.tag, batch));
    return sql::sql_ok();
}

void PgConnection::close_target(const PgClose& message) {
    if (message.target == PgTarget::statement) {
        // Portals made from the statement keep running (they hold it): PostgreSQL 15 does
        // the same, whatever its documentation says about closing them.
        const auto found = statements_.find(message.name);
        if (found != statements_.end()) statements_.erase(found);
    } else {
        const auto found = portals_.find(message.name);
        if (found != portals_.end()) portals_.erase(found);
    }
    // Closing something that does not exist is not an error.
    write_close_complete(output_);
}

void PgConnection::sync() {
    skipping_until_sync_ = false;
    end_of_transaction_cleanup();
    send_ready_for_query();
}

}  // namespace kb::server
