// SQL types as the PostgreSQL wire protocol names them, and their values in the protocol's
// text and binary formats.
//
// Type OIDs, typlen and typmod are PostgreSQL 15's (pg_type.oid, pg_type.typlen,
// atttypmod), so drivers pick the right codec from RowDescription and ParameterDescription:
//
//   boolean 16/1  bytea 17/-1  bigint 20/8  smallint 21/2  integer 23/4  text 25/-1
//   real 700/4  double precision 701/8  unknown 705/-2  char(n) (bpchar) 1042/-1
//   varchar 1043/-1  date 1082/4  timestamp 1114/8  timestamptz 1184/8  interval 1186/16
//   numeric 1700/-1  uuid 2950/16  jsonb 3802/-1
//
// typmod: varchar(n) and char(n) n + 4, numeric(p, s) ((p << 16) | s) + 4, else -1.
//
// Text format is the type's output / input function (sql/value_io.h, sql/prepared.h). The
// binary format is PostgreSQL's typsend / typreceive, byte for byte:
//   bool 1 byte; int2/int4/int8 big-endian; float4/float8 IEEE-754 big-endian (NaN and
//   infinities as their bits); numeric int16 ndigits, int16 weight, uint16 sign (0x0000 +,
//   0x4000 -, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity), uint16 dscale, then ndigits
//   base-10000 digits, the most significant first, value = sum digit[i] * 10000^(weight - i),
//   leading and trailing zero digits stripped (PostgreSQL 15 sends dscale 32 for infinities,
//   an artefact of its short header, and this does the same); date int32 days since
//   2000-01-01; timestamp/timestamptz int64 microseconds since 2000-01-01 00:00 (UTC);
//   infinities INT32/INT64 max and min; interval int64 microseconds, int32 days, int32
//   months; uuid its 16 bytes; bytea, text, varchar, bpchar, unknown the raw bytes; jsonb a
//   version byte 1 then the JSON text.
//
// Decoding is for Bind parameters (untrusted): a value of the wrong length, a bad numeric
// sign / scale / digit, a date or timestamp out of range or text that is not UTF-8 is a
// SqlError with PostgreSQL's SQLSTATE (08P01 "insufficient data left in message" when too
// short, 22P03 "incorrect binary data format" when too long, 22P03 for bad numerics, 22008
// out of range, 22021 bad UTF-8), never an assertion.
#pragma once

#include <optional>

#include "kernel/value.h"
#include "server/pg_frontend.h"
#include "sql/error.h"
#include "sql/value_type.h"

namespace kb::server {

using PgOid = u32;

namespace pg_oid {
inline constexpr PgOid kBool = 16;
inline constexpr PgOid kBytea = 17;
inline constexpr PgOid kInt8 = 20;
inline constexpr PgOid kInt2 = 21;
inline constexpr PgOid kInt4 = 23;
inline constexpr PgOid kText = 25;
inline constexpr PgOid kFloat4 = 700;
inline constexpr PgOid kFloat8 = 701;
inline constexpr PgOid kUnknown = 705;
inline constexpr PgOid kBpchar = 1042;
inline constexpr PgOid kVarchar = 1043;
inline constexpr PgOid kDate = 1082;
inline constexpr PgOid kTimestamp = 1114;
inline constexpr PgOid kTimestamptz = 1184;
inline constexpr PgOid kInterval = 1186;
inline constexpr PgOid kNumeric = 1700;
inline constexpr PgOid kUuid = 2950;
inline constexpr PgOid kJsonb = 3802;
}  // namespace pg_oid

struct PgTypeInfo {
    PgOid oid = pg_oid::kUnknown;
    i16 length = -2;    // typlen
    i32 modifier = -1;  // typmod
};

PgTypeInfo pg_type_info(const sql::Type& type);
inline PgOid pg_type_oid(const sql::Type& type) { return pg_type_info(type).oid; }

// A Parse message's declared parameter type: nullopt for 0 and unknown (705), which leave the
// type to inference; 0A000 for an OID this server has no type for.
sql::SqlResult<std::optional<sql::Type>> pg_type_from_oid(PgOid oid);

// Appends a non-NULL value in the given format (the value's kind decides the encoding; a
// column's type and its values' kinds always agree).
void pg_encode_value(const kernel::Value& value, PgFormat format, Bytes& out);
void pg_encode_text(const kernel::Value& value, Bytes& out);
void pg_encode_binary(const kernel::Value& value, Bytes& out);

// Decodes a non-NULL parameter of `type` from the given format.
sql::SqlResult<kernel::Value> pg_decode_value(ByteSpan bytes, const sql::Type& type,
                                              PgFormat format);
sql::SqlResult<kernel::Value> pg_decode_text(ByteSpan bytes, const sql::Type& type);
sql::SqlResult<kernel::Value> pg_decode_binary(ByteSpan bytes, const sql::Type& type);

}  // namespace kb::server
