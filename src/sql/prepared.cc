// Prepared statements: the helpers around them (see prepared.h); Session::prepare and
// execute_prepared are in session.cc, beside the statement loop they share.
#include "sql/prepared.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <charconv>
#include <string>

#include "sql/bind_resolve.h"
#include "sql/plan_cache.h"

namespace kb::sql {

PreparedStatement::PreparedStatement(std::string name, std::string text,
                                     std::optional<ast::Statement> statement,
                                     StatementDescription description)
    : name_(std::move(name)),
      text_(std::move(text)),
      statement_(std::move(statement)),
      description_(std::move(description)),
      plan_cache_(std::make_unique<PlanCache>()) {}

PreparedStatement::~PreparedStatement() = default;

SqlResult<usize> highest_parameter_number(std::string_view text) {
    // Cheap exit: no '$' at all, no parameter (the common case for simple queries).
    if (text.find('$') == std::string_view::npos) return usize{0};
    const std::string owned(text);
    PgQueryScanResult scan = pg_query_scan(owned.c_str());
    if (scan.error != nullptr) {
        // parse() has accepted the text before this is asked; a scanner error here is a bug.
        pg_query_free_scan_result(scan);
        return SqlError(sqlstate::kInternalError, "could not scan statement for parameters");
    }
    PgQuery__ScanResult* result = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    pg_query_free_scan_result(scan);
    if (result == nullptr) {
        return SqlError(sqlstate::kInternalError, "could not scan statement for parameters");
    }
    usize highest = 0;
    bool too_many = false;
    for (size_t i = 0; i < result->n_tokens; ++i) {
        const PgQuery__ScanToken& token = *result->tokens[i];
        if (token.token != PG_QUERY__TOKEN__PARAM) continue;
        // "$12": the digits after the '$' (offsets are bytes of the text).
        const auto start = static_cast<usize>(token.start) + 1;
        const auto end = static_cast<usize>(token.end);
        if (start >= end || end > owned.size()) continue;
        u64 number = 0;
        auto parsed = std::from_chars(owned.data() + start, owned.data() + end, number);
        if (parsed.ec != std::errc() || number > kMaxParameters) {
            too_many = true;  // parse() refused numbers PostgreSQL cannot hold; this is > 65535
            continue;
        }
        highest = std::max(highest, static_cast<usize>(number));
    }
    pg_query__scan_result__free_unpacked(result, nullptr);
    if (too_many) {
        return SqlError(
            sqlstate::kProgramLimitExceeded,
            "number of parameters must be between 0 and " + std::to_string(kMaxParameters));
    }
    return highest;
}

SqlResult<kernel::Value> parameter_from_text(std::string_view text, const Type& type) {
    auto value = value_from_text(text, type);
    if (!value) {
        SqlError error = value.error();
        error.position = 0;  // the text is a parameter's, not the statement's
        return error;
    }
    return value;
}

SqlStatus check_parameter_count(const PreparedStatement& prepared, usize supplied) {
    if (supplied == prepared.parameter_count()) return sql_ok();
    return SqlError(sqlstate::kProtocolViolation,
                    "bind message supplies " + std::to_string(supplied) +
                        " parameters, but prepared statement \"" + prepared.name() +
                        "\" requires " + std::to_string(prepared.parameter_count()));
}

}  // namespace kb::sql
