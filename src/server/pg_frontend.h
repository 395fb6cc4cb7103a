// Frontend (client to server) messages of the PostgreSQL wire protocol v3: what they hold,
// how to decode them from untrusted bytes, and how to encode them (for clients and tests).
//
// Decoders take one message body as the framer (pg_framer.h) cut it out — without the type
// byte and length — and return the message or an 08P01 protocol_violation SqlError saying
// what was wrong ("invalid string in message", "invalid message format", ...). They never
// assert on input and never read past the body. Strings and byte fields of a decoded message
// are VIEWS into the body: the message is valid only while the body is.
//
// Not decoded here: whether strings are valid UTF-8 (the connection checks the text it uses,
// with PostgreSQL's 22021), and a Bind's parameter values (pg_types.h decodes them once the
// statement's types are known).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "server/pg_wire.h"

namespace kb::server {

// --- the startup phase: packets without a type byte -------------------------------------------

struct PgStartupMessage {
    u16 major = kPgProtocolMajor;
    u16 minor = kPgProtocolMinor;
    // name/value pairs in the order sent ("user", "database", "application_name", ...).
    std::vector<std::pair<std::string_view, std::string_view>> parameters;

    // The value of parameter `name` (the last one when repeated), or nullopt.
    std::optional<std::string_view> parameter(std::string_view name) const;
};
struct PgSslRequest {};
struct PgGssEncRequest {};
struct PgCancelRequest {
    i32 process_id = 0;
    i32 secret_key = 0;
};
using PgStartupPacket =
    std::variant<PgStartupMessage, PgSslRequest, PgGssEncRequest, PgCancelRequest>;

// `body` is the packet after its length word. A StartupMessage of any protocol version
// decodes (the connection answers versions it does not speak); only its parameter layout is
// checked — for 3.x: NUL-terminated name/value pairs, then one NUL.
sql::SqlResult<PgStartupPacket> decode_startup_packet(ByteSpan body);

// --- typed messages ---------------------------------------------------------------------------

// Message type bytes (PostgreSQL's protocol.h).
namespace pg_frontend_type {
inline constexpr char kQuery = 'Q';
inline constexpr char kParse = 'P';
inline constexpr char kBind = 'B';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kSync = 'S';
inline constexpr char kFlush = 'H';
inline constexpr char kClose = 'C';
inline constexpr char kTerminate = 'X';
inline constexpr char kAuthResponse = 'p';  // PasswordMessage, SASLInitialResponse, SASLResponse
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kFunctionCall = 'F';
}  // namespace pg_frontend_type

// Format codes of Bind parameters and results.
enum class PgFormat : i16 { text = 0, binary = 1 };

struct PgQuery {
    std::string_view text;
};
struct PgParse {
    std::string_view statement;  // "" is the unnamed statement
    std::string_view query;
    std::vector<u32> parameter_types;  // type OIDs; 0: let the server infer
};
struct PgBind {
    std::string_view portal;     // "" is the unnamed portal
    std::string_view statement;  // "" is the unnamed statement
    // Format codes as sent: none (all text), one (for all) or one per parameter; not checked
    // here against the parameter count (the connection reports PostgreSQL's error).
    std::vector<i16> parameter_formats;
    std::vector<std::optional<ByteSpan>> parameters;  // nullopt: SQL NULL (length -1)
    std::vector<i16> result_formats;                  // none, one, or one per column
};
// Describe and Close name a prepared statement ('S') or a portal ('P').
enum class PgTarget : char { statement = 'S', portal = 'P' };
struct PgDescribe {
    PgTarget target = PgTarget::statement;
    std::string_view name;
};
struct PgExecute {
    std::string_view portal;
    i32 max_rows = 0;  // 0: no limit
};
struct PgClose {
    PgTarget target = PgTarget::statement;
    std::string_view name;
};
struct PgSync {};
struct PgFlush {};
struct PgTerminate {};
struct PgCopyData {
    ByteSpan data;
};
struct PgCopyDone {};
struct PgCopyFail {
    std::string_view message;
};
// The 'p' message: its meaning depends on what the server asked for, so it is decoded in two
// steps: here as raw bytes, then by decode_password_message / decode_sasl_initial_response /
// decode_sasl_response as the authentication state says.
struct PgAuthResponse {
    ByteSpan body;
};
// The fast-path function call (not supported: the connection answers with an error).
struct PgFunctionCall {
    ByteSpan body;
};

using PgFrontendMessage =
    std::variant<PgQuery, PgParse, PgBind, PgDescribe, PgExecute, PgClose, PgSync, PgFlush,
                 PgTerminate, PgCopyData, PgCopyDone, PgCopyFail, PgAuthResponse, PgFunctionCall>;

// Decodes one typed message. An unknown type byte is 08P01 "invalid frontend message type N".
// Fields must fill the body exactly ("invalid message format" otherwise, as PostgreSQL's
// pq_getmsgend says); counts must be non-negative; a Describe/Close target must be 'S' or
// 'P'.
sql::SqlResult<PgFrontendMessage> decode_frontend_message(char type, ByteSpan body);

// The three readings of a 'p' body.
struct PgPasswordMessage {
    std::string_view password;
};
struct PgSaslInitialResponse {
    std::string_view mechanism;
    std::optional<ByteSpan> data;  // nullopt: no initial response (length -1)
};
struct PgSaslResponse {
    ByteSpan data;
};
using PgAuthMessage = std::variant<PgPasswordMessage, PgSaslInitialResponse, PgSaslResponse>;
sql::SqlResult<PgPasswordMessage> decode_password_message(ByteSpan body);
sql::SqlResult<PgSaslInitialResponse> decode_sasl_initial_response(ByteSpan body);
PgSaslResponse decode_sasl_response(ByteSpan body);

// --- encoders (what a client sends), appending whole messages to `out` -------------------------

void encode_startup_message(Bytes& out, const PgStartupMessage& message);
void encode_ssl_request(Bytes& out);
void encode_gss_enc_request(Bytes& out);
void encode_cancel_request(Bytes& out, const PgCancelRequest& request);
void encode_frontend_message(Bytes& out, const PgFrontendMessage& message);
void encode_password_message(Bytes& out, const PgPasswordMessage& message);
void encode_sasl_initial_response(Bytes& out, const PgSaslInitialResponse& message);
void encode_sasl_response(Bytes& out, const PgSaslResponse& message);

}  // namespace kb::server
