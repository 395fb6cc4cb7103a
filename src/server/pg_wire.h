// Byte-level pieces of the PostgreSQL wire protocol v3 shared by its encoders and decoders:
// big-endian integers (the protocol's network byte order), a bounds-checked reader for
// untrusted message bodies, a writer that frames one message (type byte, length, body), and
// the error value every decoder returns.
//
// A message on the wire is [type byte][int32 length counting itself and the body][body];
// the startup-phase packets (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest) have
// no type byte. Strings are NUL-terminated; integers are big-endian two's complement.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "sql/error.h"

namespace kb::server {

// The protocol version a StartupMessage carries: major << 16 | minor.
inline constexpr u16 kPgProtocolMajor = 3;
inline constexpr u16 kPgProtocolMinor = 0;
// The special "versions" of the startup-phase requests (PostgreSQL's pqcomm.h).
inline constexpr u32 kPgCancelRequestCode = (1234u << 16) | 5678u;  // 80877102
inline constexpr u32 kPgSslRequestCode = (1234u << 16) | 5679u;     // 80877103
inline constexpr u32 kPgGssEncRequestCode = (1234u << 16) | 5680u;  // 80877104

// Startup packets are small; PostgreSQL refuses longer ones (MAX_STARTUP_PACKET_LENGTH).
inline constexpr usize kPgStartupPacketMaxBytes = 10000;
// Authentication responses are bounded before the client is known (PG_MAX_AUTH_TOKEN_LENGTH).
inline constexpr usize kPgAuthMessageMaxBytes = 65535;

// SQLSTATEs of the wire layer that sql/error.h does not list.
inline constexpr const char* kSqlstateInvalidBinaryRepresentation = "22P03";
inline constexpr const char* kSqlstateCharacterNotInRepertoire = "22021";
inline constexpr const char* kSqlstateInvalidAuthorizationSpecification = "28000";
inline constexpr const char* kSqlstateInvalidPassword = "28P01";
inline constexpr const char* kSqlstateDuplicatePreparedStatement = "42P05";
inline constexpr const char* kSqlstateDuplicateCursor = "42P03";
inline constexpr const char* kSqlstateInvalidSqlStatementName = "26000";
inline constexpr const char* kSqlstateInvalidCursorName = "34000";
inline constexpr const char* kSqlstateQueryCanceled = "57014";

// 08P01 protocol_violation with `message` saying what was wrong.
inline sql::SqlError protocol_violation(std::string message) {
    return sql::SqlError(sql::sqlstate::kProtocolViolation, std::move(message));
}

inline void put_be_u16(Bytes& out, u16 value) {
    out.push_back(static_cast<u8>(value >> 8));
    out.push_back(static_cast<u8>(value));
}
inline void put_be_u32(Bytes& out, u32 value) {
    out.push_back(static_cast<u8>(value >> 24));
    out.push_back(static_cast<u8>(value >> 16));
    out.push_back(static_cast<u8>(value >> 8));
    out.push_back(static_cast<u8>(value));
}
inline void put_be_u64(Bytes& out, u64 value) {
    put_be_u32(out, static_cast<u32>(value >> 32));
    put_be_u32(out, static_cast<u32>(value));
}
inline void put_be_i16(Bytes& out, i16 value) { put_be_u16(out, static_cast<u16>(value)); }
inline void put_be_i32(Bytes& out, i32 value) { put_be_u32(out, static_cast<u32>(value)); }
inline void put_be_i64(Bytes& out, i64 value) { put_be_u64(out, static_cast<u64>(value)); }
inline void put_raw(Bytes& out, ByteSpan bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}
inline void put_raw(Bytes& out, std::string_view text) { put_raw(out, as_bytes(text)); }
// A NUL-terminated string (the caller ensures `text` holds no NUL).
inline void put_cstring(Bytes& out, std::string_view text) {
    put_raw(out, text);
    out.push_back(0);
}
// Overwrites 4 bytes at `at` with a big-endian value (a length known only at the end).
inline void patch_be_u32(Bytes& out, usize at, u32 value) {
    out[at] = static_cast<u8>(value >> 24);
    out[at + 1] = static_cast<u8>(value >> 16);
    out[at + 2] = static_cast<u8>(value >> 8);
    out[at + 3] = static_cast<u8>(value);
}

inline u16 load_be_u16(const u8* in) { return static_cast<u16>((u16{in[0]} << 8) | in[1]); }
inline u32 load_be_u32(const u8* in) {
    return (u32{in[0]} << 24) | (u32{in[1]} << 16) | (u32{in[2]} << 8) | u32{in[3]};
}
inline u64 load_be_u64(const u8* in) {
    return (u64{load_be_u32(in)} << 32) | u64{load_be_u32(in + 4)};
}

// Reads fields in order from an untrusted message body. Running off the end does not read
// out of bounds: it sets a sticky failure and yields zeros / empty views, so a decoder checks
// ok() (and at_end()) once after reading every field. Views point into the body.
class PgReader {
public:
    explicit PgReader(ByteSpan body) : body_(body) {}

    u8 get_u8();
    i16 get_i16();
    i32 get_i32();
    i64 get_i64();
    u16 get_u16() { return static_cast<u16>(get_i16()); }
    u32 get_u32() { return static_cast<u32>(get_i32()); }
    // The next `count` bytes.
    ByteSpan get_bytes(usize count);
    // Everything not read yet.
    ByteSpan get_rest();
    // A NUL-terminated string without its NUL; fails when there is no NUL before the end.
    std::string_view get_cstring();

    bool ok() const { return !failed_; }
    bool at_end() const { return position_ == body_.size(); }
    usize remaining() const { return body_.size() - position_; }

private:
    ByteSpan body_;
    usize position_ = 0;
    bool failed_ = false;
};

// Builds one backend or frontend message at the end of `out`: the constructor writes the type
// byte (none for startup packets: type 0) and a length placeholder, finish() fills in the
// length. One writer per message; finish() exactly once.
class PgMessageWriter {
public:
    PgMessageWriter(Bytes& out, char type);
    ~PgMessageWriter();
    PgMessageWriter(const PgMessageWriter&) = delete;
    PgMessageWriter& operator=(const PgMessageWriter&) = delete;

    void put_u8(u8 value) { out_.push_back(value); }
    void put_i16(i16 value) { put_be_i16(out_, value); }
    void put_i32(i32 value) { put_be_i32(out_, value); }
    void put_cstring(std::string_view text) { server::put_cstring(out_, text); }
    void put_raw(ByteSpan bytes) { server::put_raw(out_, bytes); }
    void put_raw(std::string_view text) { server::put_raw(out_, text); }
    Bytes& buffer() { return out_; }
    void finish();

private:
    Bytes& out_;
    usize length_at_;
    bool finished_ = false;
};

}  // namespace kb::server
