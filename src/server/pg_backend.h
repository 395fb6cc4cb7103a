// Backend (server to client) messages of the PostgreSQL wire protocol v3: encoders that
// append one whole message to an output buffer, and a decoder for clients and tests.
//
// Encoders trust their arguments (they come from the server, not the network): strings must
// hold no NUL and counts must fit the protocol's int16 fields; violations are programmer
// errors (KB_ASSERT). DataRow is built column by column with PgDataRowWriter so values are
// encoded straight into the output (pg_types.h) without a copy per value.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/pg_frontend.h"
#include "server/pg_wire.h"

namespace kb::server {

namespace pg_backend_type {
inline constexpr char kAuthentication = 'R';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
inline constexpr char kDataRow = 'D';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kParseComplete = '1';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kNoData = 'n';
inline constexpr char kParameterDescription = 't';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kNegotiateProtocolVersion = 'v';
}  // namespace pg_backend_type

// Authentication request codes (the int32 after 'R').
enum class PgAuthCode : i32 {
    ok = 0,
    cleartext_password = 3,
    sasl = 10,
    sasl_continue = 11,
    sasl_final = 12,
};

// ReadyForQuery's transaction status byte.
enum class PgTransactionStatus : char { idle = 'I', in_transaction = 'T', failed = 'E' };

// One RowDescription field.
struct PgFieldDescription {
    std::string name;
    u32 table_oid = 0;       // 0: not a plain table column
    i16 column_number = 0;   // attnum, 0 when table_oid is 0
    u32 type_oid = 0;        // pg_types.h
    i16 type_length = -1;    // pg_type.typlen (-1 varlena, -2 C string)
    i32 type_modifier = -1;  // atttypmod; -1: none
    PgFormat format = PgFormat::text;

    friend bool operator==(const PgFieldDescription&, const PgFieldDescription&) = default;
};

// ErrorResponse / NoticeResponse fields. Empty strings and position 0 are left out.
struct PgNotice {
    std::string severity = "ERROR";  // ERROR, FATAL, PANIC / WARNING, NOTICE, INFO, LOG, DEBUG
    std::string sqlstate = "XX000";
    std::string message;
    std::string detail{};
    std::string hint{};
    int position = 0;       // 1-based character position in the query text
    std::string context{};  // 'W': where it happened ("COPY t, line 3")

    friend bool operator==(const PgNotice&, const PgNotice&) = default;
};

void write_authentication_ok(Bytes& out);
void write_authentication_cleartext_password(Bytes& out);
void write_authentication_sasl(Bytes& out, std::span<const std::string> mechanisms);
void write_authentication_sasl_continue(Bytes& out, ByteSpan data);
void write_authentication_sasl_final(Bytes& out, ByteSpan data);
void write_parameter_status(Bytes& out, std::string_view name, std::string_view value);
void write_backend_key_data(Bytes& out, i32 process_id, i32 secret_key);
void write_ready_for_query(Bytes& out, PgTransactionStatus status);
void write_row_description(Bytes& out, std::span<const PgFieldDescription> fields);
void write_command_complete(Bytes& out, std::string_view tag);
void write_empty_query_response(Bytes& out);
// Both write severity twice, as PostgreSQL 9.6+ does: 'S' (localized) and 'V' (never).
void write_error_response(Bytes& out, const PgNotice& error);
void write_notice_response(Bytes& out, const PgNotice& notice);
void write_parse_complete(Bytes& out);
void write_bind_complete(Bytes& out);
void write_close_complete(Bytes& out);
void write_no_data(Bytes& out);
void write_parameter_description(Bytes& out, std::span<const u32> type_oids);
void write_portal_suspended(Bytes& out);
void write_copy_in_response(Bytes& out, PgFormat format, std::span<const PgFormat> columns);
void write_copy_out_response(Bytes& out, PgFormat format, std::span<const PgFormat> columns);
void write_copy_data(Bytes& out, ByteSpan data);
void write_copy_done(Bytes& out);
// The newest minor version this server speaks and the startup options ("_pq_.x") it did not
// recognise.
void write_negotiate_protocol_version(Bytes& out, i32 newest_minor,
                                      std::span<const std::string> unrecognized_options);

// Builds one DataRow: begin(), then per column either null() or value_start(), append the
// value's bytes to buffer(), value_end(); then finish().
class PgDataRowWriter {
public:
    PgDataRowWriter(Bytes& out, usize column_count);
    void null() { put_be_i32(out_, -1); }
    void value_start() {
        length_at_ = out_.size();
        put_be_u32(out_, 0);
    }
    Bytes& buffer() { return out_; }
    void value_end() {
        patch_be_u32(out_, length_at_, static_cast<u32>(out_.size() - length_at_ - 4));
    }
    void value(ByteSpan bytes) {
        put_be_i32(out_, static_cast<i32>(bytes.size()));
        put_raw(out_, bytes);
    }
    void finish() { writer_.finish(); }

private:
    Bytes& out_;
    PgMessageWriter writer_;
    usize length_at_ = 0;
};

// --- decoding (for clients and tests) ---------------------------------------------------------

struct PgAuthentication {
    PgAuthCode code = PgAuthCode::ok;
    std::vector<std::string> mechanisms;  // sasl
    Bytes data;                           // sasl_continue, sasl_final
};
struct PgParameterStatus {
    std::string name;
    std::string value;
};
struct PgBackendKeyData {
    i32 process_id = 0;
    i32 secret_key = 0;
};
struct PgReadyForQuery {
    PgTransactionStatus status = PgTransactionStatus::idle;
};
struct PgRowDescription {
    std::vector<PgFieldDescription> fields;
};
struct PgDataRow {
    std::vector<std::optional<Bytes>> values;
};
struct PgCommandComplete {
    std::string tag;
};
struct PgEmptyQueryResponse {};
struct PgErrorResponse {
    PgNotice fields;
};
struct PgNoticeResponse {
    PgNotice fields;
};
struct PgParseComplete {};
struct PgBindComplete {};
struct PgCloseComplete {};
struct PgNoData {};
struct PgParameterDescription {
    std::vector<u32> type_oids;
};
struct PgPortalSuspended {};
struct PgCopyResponse {
    bool in = true;  // CopyInResponse, else CopyOutResponse
    PgFormat format = PgFormat::text;
    std::vector<PgFormat> columns;
};
struct PgBackendCopyData {
    Bytes data;
};
struct PgBackendCopyDone {};
struct PgNegotiateProtocolVersion {
    i32 newest_minor = 0;
    std::vector<std::string> unrecognized_options;
};

using PgBackendMessage =
    std::variant<PgAuthentication, PgParameterStatus, PgBackendKeyData, PgReadyForQuery,
                 PgRowDescription, PgDataRow, PgCommandComplete, PgEmptyQueryResponse,
                 PgErrorResponse, PgNoticeResponse, PgParseComplete, PgBindComplete,
                 PgCloseComplete, PgNoData, PgParameterDescription, PgPortalSuspended,
                 PgCopyResponse, PgBackendCopyData, PgBackendCopyDone, PgNegotiateProtocolVersion>;

// One backend message body (after type and length); 08P01 when malformed.
sql::SqlResult<PgBackendMessage> decode_backend_message(char type, ByteSpan body);

}  // namespace kb::server
