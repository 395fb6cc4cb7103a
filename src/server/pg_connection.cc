// The connection state machine: startup, authentication, message dispatch and the simple
// query protocol (pg_connection.h). The extended protocol is in pg_connection_extended.cc.
#include "server/pg_connection.h"

#include <algorithm>
#include <cctype>

#include "base/assert.h"
#include "server/pg_types.h"
#include "sql/value_io.h"

namespace kb::server {
namespace {

using sql::SqlError;

// The parameters PostgreSQL 15 reports with ParameterStatus (GUC_REPORT), in the order it
// sends them, and the session setting each one shows ("" when the connection supplies it).
struct Reported {
    const char* name;
    const char* setting;
};
constexpr Reported kReportedParameters[] = {
    {"application_name", "application_name"},
    {"client_encoding", "client_encoding"},
    {"DateStyle", "datestyle"},
    {"default_transaction_read_only", ""},
    {"in_hot_standby", ""},
    {"integer_datetimes", "integer_datetimes"},
    {"IntervalStyle", "intervalstyle"},
    {"is_superuser", ""},
    {"server_encoding", "server_encoding"},
    {"server_version", "server_version"},
    {"session_authorization", ""},
    {"standard_conforming_strings", "standard_conforming_strings"},
    {"TimeZone", "timezone"},
};

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The client_encoding names this server accepts, canonical: UTF8 (also "utf-8", "unicode":
// PostgreSQL ignores case, '-' and '_'), and SQL_ASCII, which libpq picks for "auto" in a C
// locale and which means no conversion at all: bytes pass as they are, so UTF-8 text works.
// nullopt for every other encoding (this server converts nothing).
std::optional<std::string> accepted_client_encoding(std::string_view name) {
    std::string squeezed;
    for (char c : name) {
        if (c != '-' && c != '_') squeezed.push_back(static_cast<char>(std::tolower(c)));
    }
    if (squeezed == "utf8" || squeezed == "unicode") return "UTF8";
    if (squeezed == "sqlascii") return "SQL_ASCII";
    return std::nullopt;
}

bool is_false(std::string_view value) {
    const std::string lower = lowercase(value);
    return lower == "false" || lower == "off" || lower == "no" || lower == "0";
}

// The "options" startup parameter: command-line switches split on whitespace (a backslash
// escapes the next character, as pg_split_opts reads them); "-c name=value", "-cname=value"
// and "--name=value" set parameters.
sql::SqlResult<std::vector<std::pair<std::string, std::string>>> parse_startup_options(
    std::string_view options) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (usize i = 0; i < options.size(); ++i) {
        const char c = options[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\' && i + 1 < options.size()) {
            word.push_back(options[++i]);
        } else {
            word.push_back(c);
        }
    }
    if (in_word) words.push_back(std::move(word));

    std::vector<std::pair<std::string, std::string>> settings;
    const auto bad = [](std::string_view what) {
        return protocol_violation("invalid command-line argument in startup options: \"" +
                                  std::string(what) + "\"");
    };
    for (usize i = 0; i < words.size(); ++i) {
        std::string assignment;
        if (words[i] == "-c" && i + 1 < words.size()) {
            assignment = words[++i];
        } else if (words[i].starts_with("-c") && words[i].size() > 2) {
            assignment = words[i].substr(2);
        } else if (words[i].starts_with("--") && words[i].size() > 2) {
            assignment = words[i].substr(2);
        } else {
            return bad(words[i]);
        }
        const usize equals = assignment.find('=');
        if (equals == std::string::npos || equals == 0) return bad(assignment);
        std::string name = assignment.substr(0, equals);
        std::replace(name.begin(), name.end(), '-', '_');
        settings.emplace_back(std::move(name), assignment.substr(equals + 1));
    }
    return settings;
}

// "SET name TO 'value'" with the name's parts and the value quoted.
std::string set_statement(std::string_view name, std::string_view value) {
    std::string text = "SET ";
    usize start = 0;
    while (true) {
        const usize dot = name.find('.', start);
        const std::string_view part = name.substr(start, dot - start);
        text += '"';
        for (char c : part) {
            if (c == '"') text += '"';
            text += c;
        }
        text += '"';
        if (dot == std::string_view::npos) break;
        text += '.';
        start = dot + 1;
    }
    text += " TO '";
    for (char c : value) {
        if (c == '\'') text += '\'';
        text += c;
    }
    text += '\'';
    return text;
}

PgNotice notice_of(const SqlError& error, const char* severity) {
    PgNotice notice;
    notice.severity = severity;
    notice.sqlstate = error.sqlstate;
    notice.message = error.message;
    notice.detail = error.detail;
    notice.hint = error.hint;
    notice.position = error.position;
    notice.context = error.context;
    return notice;
}

}  // namespace

PgTransactionStatus pg_transaction_status(sql::TransactionStatus status) {
    switch (status) {
        case sql::TransactionStatus::idle:
            return PgTransactionStatus::idle;
        case sql::TransactionStatus::in_transaction:
            return PgTransactionStatus::in_transaction;
        case sql::TransactionStatus::failed:
            return PgTransactionStatus::failed;
    }
    return PgTransactionStatus::idle;
}

PgConnection::PgConnection(PgConnectionHost& host, PgConnectionOptions options)
    : host_(host), options_(std::move(options)), framer_(kPgStartupPacketMaxBytes) {}

PgConnection::~PgConnection() {
    portals_.clear();
    statements_.clear();
    session_.reset();  // drops an open transaction: nothing of it was committed
    if (backend_key_) host_.release_backend_key(*backend_key_);
}

Bytes PgConnection::take_output() {
    Bytes out;
    out.swap(output_);
    return out;
}

void PgConnection::consume_output(usize bytes) {
    KB_ASSERT(bytes <= output_.size());
    output_.erase(output_.begin(), output_.begin() + static_cast<std::ptrdiff_t>(bytes));
}

bool PgConnection::in_transaction() const {
    // A COPY FROM waiting for its data is a command running, not a session idle in a
    // transaction (a Query's COPY is inside the Query's implicit transaction).
    return session_ != nullptr && !copy_in_ &&
           session_->transaction_status() != sql::TransactionStatus::idle;
}

void PgConnection::terminate(const SqlError& error) {
    if (phase_ == Phase::closed) return;
    fatal(error);
}

void PgConnection::tls_started() {
    KB_ASSERT_MSG(phase_ == Phase::tls_pending, "tls_started() without a pending SSLRequest");
    tls_active_ = true;
    phase_ = Phase::startup;
}

void PgConnection::receive(ByteSpan bytes) {
    if (phase_ == Phase::closed) return;
    if (phase_ == Phase::tls_pending) {
        fatal(protocol_violation("received unencrypted data before the TLS handshake"));
        return;
    }
    framer_.feed(bytes);
    process();
}

void PgConnection::process() {
    while (phase_ != Phase::closed && phase_ != Phase::tls_pending) {
        const PgFraming framing = phase_ == Phase::startup ? PgFraming::startup : PgFraming::typed;
        auto frame = framer_.next(framing);
        if (!frame) {
            fatal(frame.error());
            return;
        }
        if (!frame->has_value()) return;
        const PgFrame& message = **frame;
        switch (phase_) {
            case Phase::startup:
                handle_startup_packet(message.body);
                break;
            case Phase::authenticating:
                handle_auth_message(message.type, message.body);
                break;
            case Phase::ready:
                handle_message(message.type, message.body);
                break;
            case Phase::tls_pending:
            case Phase::closed:
                KB_ASSERT_MSG(false, "unreachable connection phase");
        }
    }
}

void PgConnection::close(std::string reason) {
    phase_ = Phase::closed;
    close_reason_ = std::move(reason);
}

void PgConnection::fatal(const SqlError& error) {
    write_error_response(output_, notice_of(error, "FATAL"));
    close(error.message);
}

void PgConnection::send_error(const SqlError& error) {
    write_error_response(output_, notice_of(error, "ERROR"));
    // Every error inside a transaction block aborts it, also those the session never saw
    // (a Bind that names no statement, a parameter in a bad format, ...).
    if (session_ != nullptr) session_->fail_transaction();
}

void PgConnection::send_ready_for_query() {
    // Changed settings are reported just before ReadyForQuery, as PostgreSQL 14+ does.
    if (settings_may_have_changed_) {
        settings_may_have_changed_ = false;
        report_parameters(true);
    }
    write_ready_for_query(output_, pg_transaction_status(session_->transaction_status()));
}

// --- startup ----------------------------------------------------------------------------------

void PgConnection::handle_startup_packet(ByteSpan body) {
    auto packet = decode_startup_packet(body);
    if (!packet) return fatal(packet.error());
    if (std::get_if<PgSslRequest>(&*packet) != nullptr) {
        if (ssl_requested_ || tls_active_) {
            return fatal(protocol_violation("SSLRequest sent twice"));
        }
        ssl_requested_ = true;
        if (!options_.tls_available) {
            output_.push_back('N');
            return;
        }
        output_.push_back('S');
        phase_ = Phase::tls_pending;
        // Anything after the SSLRequest was sent in the clear before the handshake: a
        // man-in-the-middle could have injected it (CVE-2021-23214).
        if (framer_.buffered_bytes() > 0) {
            fatal(protocol_violation("received unencrypted data after SSL request"));
        }
        return;
    }
    if (std::get_if<PgGssEncRequest>(&*packet) != nullptr) {
        if (gss_requested_) return fatal(protocol_violation("GSSENCRequest sent twice"));
        gss_requested_ = true;
        output_.push_back('N');
        return;
    }
    if (const auto* cancel = std::get_if<PgCancelRequest>(&*packet)) {
        host_.cancel(PgBackendKey{cancel->process_id, cancel->secret_key});
        return close("cancel request");
    }
    handle_startup_message(std::get<PgStartupMessage>(*packet));
}

void PgConnection::handle_startup_message(const PgStartupMessage& message) {
    if (message.major != kPgProtocolMajor) {
        return fatal(SqlError(sql::sqlstate::kFeatureNotSupported,
                              "unsupported frontend protocol " + std::to_string(message.major) +
                                  "." + std::to_string(message.minor) +
                                  ": server supports 3.0 to 3.0"));
    }
    std::string user;
    std::string database;
    std::vector<std::string> unrecognized_options;
    startup_settings_.clear();
    for (const auto& [name, value] : message.parameters) {
        if (name == "user") {
            user = value;
        } else if (name == "database") {
            database = value;
        } else if (name.starts_with("_pq_.")) {
            unrecognized_options.emplace_back(name);
        } else if (name == "replication") {
            if (!is_false(value)) {
                return fatal(SqlError(sql::sqlstate::kFeatureNotSupported,
                                      "replication connections are not supported"));
            }
        } else if (name == "options") {
            auto settings = parse_startup_options(value);
            if (!settings) return fatal(settings.error());
            for (auto& setting : *settings) startup_settings_.push_back(std::move(setting));
        } else if (lowercase(name) == "client_encoding") {
            auto encoding = accepted_client_encoding(value);
            if (!encoding) {
                return fatal(SqlError(sql::sqlstate::kInvalidParameterValue,
                                      "invalid value for parameter \"client_encoding\": \"" +
                                          std::string(value) + "\"")
                                 .with_detail("This server speaks only UTF8."));
            }
            startup_settings_.emplace_back("client_encoding", std::move(*encoding));
        } else {
            startup_settings_.emplace_back(std::string(name), std::string(value));
        }
    }
    if (message.minor > kPgProtocolMinor || !unrecognized_options.empty()) {
        write_negotiate_protocol_version(output_, kPgProtocolMinor, unrecognized_options);
    }
    if (user.empty()) {
        return fatal(SqlError(kSqlstateInvalidAuthorizationSpecification,
                              "no PostgreSQL user name specified in startup packet"));
    }
    if (database.empty()) database = user;
    auto login = host_.find_login(user, database);
    if (!login) return fatal(login.error());
    login_ = std::move(*login);
    authenticator_ = host_.authenticator(*login_, tls_active_);
    KB_ASSERT(authenticator_ != nullptr);
    phase_ = Phase::authenticating;
    framer_.set_max_body_bytes(std::min(options_.max_message_bytes, kPgAuthMessageMaxBytes));
    apply_auth_step(authenticator_->start());
}

// --- authentication ---------------------------------------------------------------------------

void PgConnection::apply_auth_step(PgAuthStep step) {
    awaiting_ = step.kind;
    switch (step.kind) {
        case PgAuthStep::Kind::ok:
            return finish_authentication();
        case PgAuthStep::Kind::cleartext_password:
            return write_authentication_cleartext_password(output_);
        case PgAuthStep::Kind::sasl:
            return write_authentication_sasl(output_, step.mechanisms);
        case PgAuthStep::Kind::sasl_continue:
            return write_authentication_sasl_continue(output_, step.data);
        case PgAuthStep::Kind::sasl_final:
            write_authentication_sasl_final(output_, step.data);
            return finish_authentication();
        case PgAuthStep::Kind::fail:
            return fatal(SqlError(step.sqlstate, step.message));
    }
}

void PgConnection::handle_auth_message(char type, ByteSpan body) {
    if (type == pg_frontend_type::kTerminate) return close("terminated during authentication");
    if (type != pg_frontend_type::kAuthResponse) {
        return fatal(protocol_violation("expected password response, got message type " +
                                        std::to_string(static_cast<u8>(type))));
    }
    sql::SqlResult<PgAuthMessage> message = protocol_violation("unexpected password response");
    switch (awaiting_) {
        case PgAuthStep::Kind::cleartext_password: {
            auto password = decode_password_message(body);
            if (password)
                message = PgAuthMessage(*password);
            else
                message = password.error();
            break;
        }
        case PgAuthStep::Kind::sasl: {
            auto initial = decode_sasl_initial_response(body);
            if (initial)
                message = PgAuthMessage(*initial);
            else
                message = initial.error();
            break;
        }
        case PgAuthStep::Kind::sasl_continue:
            message = PgAuthMessage(decode_sasl_response(body));
            break;
        default:
            break;
    }
    if (!message) return fatal(message.error());
    apply_auth_step(authenticator_->respond(*message));
}

void PgConnection::finish_authentication() {
    authenticator_.reset();
    write_authentication_ok(output_);
    session_ = std::make_unique<sql::Session>(host_.transactions(), login_->tenant,
                                              login_->principal, options_.session);
    for (const auto& [name, value] : startup_settings_) {
        auto results = session_->execute(set_statement(name, value));
        for (const auto& result : results) {
            if (!result) {
                SqlError error = result.error();
                error.position = 0;  // the statement is ours, not the client's
                return fatal(error);
            }
        }
    }
    startup_settings_.clear();
    report_parameters(false);
    backend_key_ = host_.register_backend_key(*login_, session_->cancel_signal());
    session_->set_backend_pid(backend_key_->process_id);  // pg_backend_pid()
    write_backend_key_data(output_, backend_key_->process_id, backend_key_->secret_key);
    framer_.set_max_body_bytes(options_.max_message_bytes);
    phase_ = Phase::ready;
    send_ready_for_query();
}

// ParameterStatus for every reported parameter, or only for those whose value changed since
// they were last sent.
void PgConnection::report_parameters(bool only_changes) {
    for (const Reported& parameter : kReportedParameters) {
        std::string value;
        const std::string_view name = parameter.name;
        if (name == "is_superuser") {
            value = login_->superuser ? "on" : "off";
        } else if (name == "session_authorization") {
            value = login_->user;
        } else if (*parameter.setting == '\0') {
            value = "off";  // default_transaction_read_only, in_hot_standby
        } else {
            value = session_->setting(parameter.setting).value_or("");
        }
        auto [at, inserted] = reported_.try_emplace(std::string(name), value);
        if (!inserted) {
            if (only_changes && at->second == value) continue;
            at->second = value;
        }
        write_parameter_status(output_, name, value);
    }
}

void PgConnection::note_statement(std::string_view tag) {
    // Statements that can change a setting (SET LOCAL ends with its transaction).
    if (tag == "SET" || tag == "RESET" || tag == "COMMIT" || tag == "ROLLBACK" ||
        tag == "DISCARD ALL") {
        settings_may_have_changed_ = true;
    }
}

// --- ready: dispatch --------------------------------------------------------------------------

void PgConnection::handle_message(char type, ByteSpan body) {
    namespace t = pg_frontend_type;
    if (copy_in_) return handle_copy_message(type, body);
    // COPY messages outside COPY are dropped unread, as PostgreSQL drops the leftovers of a
    // COPY that failed while the client was still sending.
    if (type == t::kCopyData || type == t::kCopyDone || type == t::kCopyFail) return;
    const bool extended = type == t::kParse || type == t::kBind || type == t::kDescribe ||
                          type == t::kExecute || type == t::kClose || type == t::kSync ||
                          type == t::kFlush;
    // 'p' (a password response) is not a message of this phase.
    const bool known =
        extended || type == t::kQuery || type == t::kTerminate || type == t::kFunctionCall;
    // A message type that does not exist ends the connection, even while skipping.
    if (!known) {
        return fatal(protocol_violation("invalid frontend message type " +
                                        std::to_string(static_cast<u8>(type))));
    }
    // After an error in the extended protocol, messages are read and dropped until Sync.
    if (skipping_until_sync_ && type != t::kSync && type != t::kTerminate) return;
    auto decoded = decode_frontend_message(type, body);
    if (!decoded) {
        // A malformed message is an error, not the end: its length framed it correctly.
        send_error(decoded.error());
        if (extended && type != t::kSync) {
            skipping_until_sync_ = true;
        } else {
            send_ready_for_query();
        }
        return;
    }
    const auto extended_step = [&](sql::SqlStatus status) {
        if (!status) {
            send_error(status.error());
            skipping_until_sync_ = true;
        }
    };
    PgFrontendMessage& message = *decoded;
    if (const auto* query = std::get_if<PgQuery>(&message)) return simple_query(query->text);
    if (const auto* parse_message = std::get_if<PgParse>(&message)) {
        return extended_step(parse(*parse_message));
    }
    if (const auto* bind_message = std::get_if<PgBind>(&message)) {
        return extended_step(bind(*bind_message));
    }
    if (const auto* describe_message = std::get_if<PgDescribe>(&message)) {
        return extended_step(describe(*describe_message));
    }
    if (const auto* execute_message = std::get_if<PgExecute>(&message)) {
        return extended_step(execute(*execute_message));
    }
    if (const auto* close_message = std::get_if<PgClose>(&message)) {
        return close_target(*close_message);
    }
    if (std::get_if<PgSync>(&message) != nullptr) return sync();
    if (std::get_if<PgFlush>(&message) != nullptr) return;  // output is never held back
    if (std::get_if<PgTerminate>(&message) != nullptr) return close("terminated by the client");
    if (std::get_if<PgFunctionCall>(&message) != nullptr) {
        send_error(SqlError(sql::sqlstate::kFeatureNotSupported,
                            "the fast-path function call protocol is not supported"));
        return send_ready_for_query();
    }
    KB_ASSERT_MSG(false, "a decoded message type without a handler");
}

// --- the simple query protocol ----------------------------------------------------------------

void PgConnection::simple_query(std::string_view text) {
    // A Query drops the unnamed statement and portal, as PostgreSQL's exec_simple_query does.
    statements_.erase(std::string());
    portals_.erase(std::string());
    if (auto sized = check_statement_size(text); !sized) {
        send_error(sized.error());
        return send_ready_for_query();
    }
    if (auto valid = sql::check_text(text); !valid) {
        send_error(valid.error());
        return send_ready_for_query();
    }
    auto results = session_->execute(text);
    if (results.empty()) write_empty_query_response(output_);
    if (!send_results(results)) return;  // a COPY FROM STDIN waits for its data
    end_of_transaction_cleanup();
    send_ready_for_query();
}

sql::SqlStatus PgConnection::check_statement_size(std::string_view text) const {
    if (text.size() <= options_.max_statement_bytes) return sql::sql_ok();
    return SqlError(sql::sqlstate::kProgramLimitExceeded,
                    "statement of " + std::to_string(text.size()) +
                        " bytes exceeds max-statement-bytes (" +
                        std::to_string(options_.max_statement_bytes) + " bytes)")
        .with_hint(
            "Send large values as parameters of a prepared statement or with COPY FROM STDIN, "
            "or raise the server setting max-statement-bytes.");
}

bool PgConnection::send_results(const std::vector<sql::SqlResult<sql::StatementResult>>& results) {
    for (const auto& result : results) {
        if (!result) {
            send_error(result.error());
            return true;
        }
        if (result->copy && result->copy->from) {
            start_copy_in(*result, false);
            return false;
        }
        send_result(*result);
        note_statement(result->tag);
    }
    return true;
}

// Notices, then RowDescription and DataRows in text format when the statement returns rows,
// then CommandComplete.
void PgConnection::send_result(const sql::StatementResult& result) {
    for (const std::string& text : result.notices) {
        PgNotice notice;
        notice.severity = "NOTICE";
        notice.sqlstate = "00000";
        notice.message = text;
        write_notice_response(output_, notice);
    }
    if (result.copy) return send_copy_out(result);
    if (result.returns_rows) {
        const std::vector<PgFormat> formats(result.columns.size(), PgFormat::text);
        write_row_description(result.columns, formats);
        for (const sql::Row& row : result.rows) {
            PgDataRowWriter writer(output_, row.size());
            for (const kernel::Value& value : row) {
                if (value.is_null()) {
                    writer.null();
                    continue;
                }
                writer.value_start();
                pg_encode_text(value, writer.buffer());
                writer.value_end();
            }
            writer.finish();
        }
    }
    write_command_complete(output_, result.tag);
}

// Portals live as long as their transaction: once the session is idle again none is left
// (statements outlive transactions).
void PgConnection::end_of_transaction_cleanup() {
    if (session_->transaction_status() == sql::TransactionStatus::idle) portals_.clear();
}

}  // namespace kb::server
