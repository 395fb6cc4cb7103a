// Type OIDs and the text and binary wire formats of values (pg_types.h).
#include "server/pg_types.h"

#include <bit>
#include <charconv>
#include <string>

#include "base/assert.h"
#include "sql/prepared.h"
#include "sql/value_datetime.h"
#include "sql/value_io.h"
#include "sql/value_json.h"

namespace kb::server {
namespace {

using kernel::Numeric;
using kernel::Value;
using kernel::ValueKind;
using sql::SqlError;
using sql::SqlResult;
using sql::SqlType;

// Valid finite ranges (PostgreSQL's IS_VALID_DATE / IS_VALID_TIMESTAMP): Julian day 0
// (4714-11-24 BC) up to, not including, Julian day 2147483494 for dates and 109203528
// (294277-01-01) for timestamps; the PostgreSQL epoch 2000-01-01 is Julian day 2451545.
constexpr i64 kEpochJulianDay = 2451545;
constexpr i64 kDateMin = -kEpochJulianDay;
constexpr i64 kDateEnd = 2147483494 - kEpochJulianDay;
constexpr i64 kTimestampMin = kDateMin * sql::kMicrosecondsPerDay;
constexpr i64 kTimestampEnd = (109203528 - kEpochJulianDay) * sql::kMicrosecondsPerDay;

// numeric's binary sign words and limits (PostgreSQL's numeric.c).
constexpr u16 kNumericPositive = 0x0000;
constexpr u16 kNumericNegative = 0x4000;
constexpr u16 kNumericNan = 0xC000;
constexpr u16 kNumericPositiveInfinity = 0xD000;
constexpr u16 kNumericNegativeInfinity = 0xF000;
constexpr u16 kNumericDscaleMask = 0x3FFF;
// What numeric_send reports as the dscale of an infinity: PostgreSQL 15 reads the dscale bits
// of the special value's short header (0xD000 & 0x1F80) >> 7.
constexpr u16 kNumericInfinityDscale = 32;
constexpr i32 kNumericBase = 10000;

SqlError insufficient_data() { return protocol_violation("insufficient data left in message"); }
SqlError incorrect_format() {
    return SqlError(kSqlstateInvalidBinaryRepresentation, "incorrect binary data format");
}

// The value must be exactly `size` bytes (PostgreSQL: short is 08P01 from pq_getmsg*, long
// is 22P03 from the check that the whole parameter was consumed).
sql::SqlStatus expect_size(ByteSpan bytes, usize size) {
    if (bytes.size() < size) return insufficient_data();
    if (bytes.size() > size) return incorrect_format();
    return sql::sql_ok();
}

template <class Int>
void append_integer_text(Int value, Bytes& out) {
    char text[24];
    const auto result = std::to_chars(text, text + sizeof(text), value);
    put_raw(out, std::string_view(text, static_cast<usize>(result.ptr - text)));
}

// --- numeric ----------------------------------------------------------------------------------

void encode_numeric(const Numeric& numeric, Bytes& out) {
    const auto header = [&](usize ndigits, i32 weight, u16 sign, u16 dscale) {
        put_be_u16(out, static_cast<u16>(ndigits));
        put_be_i16(out, static_cast<i16>(weight));
        put_be_u16(out, sign);
        put_be_u16(out, dscale);
    };
    switch (numeric.special()) {
        case Numeric::Special::nan:
            return header(0, 0, kNumericNan, 0);
        case Numeric::Special::positive_infinity:
            return header(0, 0, kNumericPositiveInfinity, kNumericInfinityDscale);
        case Numeric::Special::negative_infinity:
            return header(0, 0, kNumericNegativeInfinity, kNumericInfinityDscale);
        case Numeric::Special::finite:
            break;
    }
    const std::string& digits = numeric.digits();
    const u16 scale = numeric.scale();
    if (digits.empty()) return header(0, 0, kNumericPositive, scale);
    // Decimal digit k (0 first) has power p = e - k, where e is the power of the first one;
    // base-10000 digit g holds powers 4g .. 4g + 3 (floor division for negative powers).
    const i64 first_power = static_cast<i64>(digits.size()) - scale - 1;
    const auto group_of = [](i64 power) { return power >= 0 ? power / 4 : -((-power + 3) / 4); };
    const i64 weight = group_of(first_power);
    const i64 last_group = group_of(-static_cast<i64>(scale));
    std::vector<i32> groups(static_cast<usize>(weight - last_group + 1), 0);
    for (usize k = 0; k < digits.size(); ++k) {
        const i64 power = first_power - static_cast<i64>(k);
        const i64 group = group_of(power);
        static constexpr i32 kPowers[4] = {1, 10, 100, 1000};
        groups[static_cast<usize>(weight - group)] +=
            (digits[k] - '0') * kPowers[static_cast<usize>(power - 4 * group)];
    }
    // The first digit is not zero, so neither is the first group; strip trailing zero groups.
    while (!groups.empty() && groups.back() == 0) groups.pop_back();
    header(groups.size(), static_cast<i32>(weight),
           numeric.negative() ? kNumericNegative : kNumericPositive, scale);
    for (i32 group : groups) put_be_u16(out, static_cast<u16>(group));
}

SqlResult<Value> decode_numeric(ByteSpan bytes) {
    if (bytes.size() < 8) return insufficient_data();
    const usize ndigits = load_be_u16(bytes.data());
    const i64 weight = static_cast<i16>(load_be_u16(bytes.data() + 2));
    const u16 sign = load_be_u16(bytes.data() + 4);
    const u16 dscale = load_be_u16(bytes.data() + 6);
    KB_SQL_TRY(expect_size(bytes, 8 + 2 * ndigits));
    if (sign != kNumericPositive && sign != kNumericNegative && sign != kNumericNan &&
        sign != kNumericPositiveInfinity && sign != kNumericNegativeInfinity) {
        return SqlError(kSqlstateInvalidBinaryRepresentation,
                        "invalid sign in external \"numeric\" value");
    }
    if ((dscale & kNumericDscaleMask) != dscale) {
        return SqlError(kSqlstateInvalidBinaryRepresentation,
                        "invalid scale in external \"numeric\" value");
    }
    std::vector<i32> groups(ndigits);
    for (usize i = 0; i < ndigits; ++i) {
        groups[i] = load_be_u16(bytes.data() + 8 + 2 * i);
        if (groups[i] >= kNumericBase) {
            return SqlError(kSqlstateInvalidBinaryRepresentation,
                            "invalid digit in external \"numeric\" value");
        }
    }
    if (sign == kNumericNan) return Value::numeric(Numeric::nan());
    if (sign == kNumericPositiveInfinity) return Value::numeric(Numeric::infinity(false));
    if (sign == kNumericNegativeInfinity) return Value::numeric(Numeric::infinity(true));
    // Decimal digits: the integer part (groups 0..weight), then exactly dscale fraction digits
    // (digits the scale hides are truncated away, as numeric_recv does).
    const auto group_digit = [&](i64 group, int position) -> char {  // position 0 = thousands
        if (group < 0 || group >= static_cast<i64>(ndigits)) return '0';
        static constexpr i32 kDivisors[4] = {1000, 100, 10, 1};
        return static_cast<char>('0' +
                                 groups[static_cast<usize>(group)] / kDivisors[position] % 10);
    };
    std::string digits;
    for (i64 group = 0; group <= weight; ++group) {
        for (int position = 0; position < 4; ++position) {
            const char digit = group_digit(group, position);
            if (digits.empty() && digit == '0') continue;  // no leading zeros
            digits.push_back(digit);
        }
    }
    for (i64 k = 0; k < dscale; ++k) {
        const char digit = group_digit(weight + 1 + k / 4, static_cast<int>(k % 4));
        if (digits.empty() && digit == '0') continue;
        digits.push_back(digit);
    }
    const bool negative = sign == kNumericNegative && !digits.empty();
    auto numeric = Numeric::from_parts(negative, std::move(digits), dscale);
    if (!numeric) {
        return SqlError(sql::sqlstate::kNumericValueOutOfRange, "value overflows numeric format");
    }
    return Value::numeric(std::move(*numeric));
}

// --- the other types --------------------------------------------------------------------------

SqlResult<Value> decode_text_kind(ByteSpan bytes) {
    const std::string_view text = as_chars(bytes);
    KB_SQL_TRY(sql::check_text(text));
    return Value::text(std::string(text));
}

SqlResult<Value> decode_jsonb(ByteSpan bytes) {
    if (bytes.empty()) return insufficient_data();
    if (bytes[0] != 1) {
        return SqlError(kSqlstateInvalidBinaryRepresentation,
                        "unsupported jsonb version number " + std::to_string(bytes[0]));
    }
    const std::string_view text = as_chars(bytes.subspan(1));
    KB_SQL_TRY(sql::check_text(text));
    std::string normal = KB_SQL_TRY(sql::jsonb_input(text));
    return Value::jsonb(std::move(normal));
}

SqlResult<Value> decode_date(ByteSpan bytes) {
    KB_SQL_TRY(expect_size(bytes, 4));
    const i32 days = static_cast<i32>(load_be_u32(bytes.data()));
    if (sql::date_is_finite(days) && (days < kDateMin || days >= kDateEnd)) {
        return SqlError(sql::sqlstate::kDatetimeFieldOverflow, "date out of range");
    }
    return Value::date(days);
}

SqlResult<i64> decode_timestamp(ByteSpan bytes) {
    KB_SQL_TRY(expect_size(bytes, 8));
    const i64 microseconds = static_cast<i64>(load_be_u64(bytes.data()));
    if (sql::timestamp_is_finite(microseconds) &&
        (microseconds < kTimestampMin || microseconds >= kTimestampEnd)) {
        return SqlError(sql::sqlstate::kDatetimeFieldOverflow, "timestamp out of range");
    }
    return microseconds;
}

}  // namespace

PgTypeInfo pg_type_info(const sql::Type& type) {
    if (type.unknown) return {pg_oid::kUnknown, -2, -1};
    const kernel::ColumnType& column = type.column;
    switch (column.type) {
        case SqlType::boolean:
            return {pg_oid::kBool, 1, -1};
        case SqlType::smallint:
            return {pg_oid::kInt2, 2, -1};
        case SqlType::integer:
            return {pg_oid::kInt4, 4, -1};
        case SqlType::bigint:
            return {pg_oid::kInt8, 8, -1};
        case SqlType::real:
            return {pg_oid::kFloat4, 4, -1};
        case SqlType::double_precision:
            return {pg_oid::kFloat8, 8, -1};
        case SqlType::numeric: {
            const i32 modifier =
                column.precision == 0
                    ? -1
                    : static_cast<i32>((u32{column.precision} << 16) | column.scale) + 4;
            return {pg_oid::kNumeric, -1, modifier};
        }
        case SqlType::text:
            return {pg_oid::kText, -1, -1};
        case SqlType::varchar:
            return {pg_oid::kVarchar, -1,
                    column.length == 0 ? -1 : static_cast<i32>(column.length) + 4};
        case SqlType::character:
            return {pg_oid::kBpchar, -1,
                    column.length == 0 ? -1 : static_cast<i32>(column.length) + 4};
        case SqlType::bytea:
            return {pg_oid::kBytea, -1, -1};
        case SqlType::date:
            return {pg_oid::kDate, 4, -1};
        case SqlType::timestamp:
            return {pg_oid::kTimestamp, 8, -1};
        case SqlType::timestamptz:
            return {pg_oid::kTimestamptz, 8, -1};
        case SqlType::interval:
            return {pg_oid::kInterval, 16, -1};
        case SqlType::uuid:
            return {pg_oid::kUuid, 16, -1};
        case SqlType::jsonb:
            return {pg_oid::kJsonb, -1, -1};
    }
    KB_ASSERT_MSG(false, "a SQL type without a wire type");
    return {};
}

SqlResult<std::optional<sql::Type>> pg_type_from_oid(PgOid oid) {
    const auto of = [](SqlType id) { return std::optional<sql::Type>(sql::Type::of(id)); };
    switch (oid) {
        case 0:
        case pg_oid::kUnknown:
            return std::optional<sql::Type>();
        case pg_oid::kBool:
            return of(SqlType::boolean);
        case pg_oid::kBytea:
            return of(SqlType::bytea);
        case pg_oid::kInt8:
            return of(SqlType::bigint);
        case pg_oid::kInt2:
            return of(SqlType::smallint);
        case pg_oid::kInt4:
            return of(SqlType::integer);
        case pg_oid::kText:
            return of(SqlType::text);
        case pg_oid::kFloat4:
            return of(SqlType::real);
        case pg_oid::kFloat8:
            return of(SqlType::double_precision);
        case pg_oid::kBpchar:
            return of(SqlType::character);
        case pg_oid::kVarchar:
            return of(SqlType::varchar);
        case pg_oid::kDate:
            return of(SqlType::date);
        case pg_oid::kTimestamp:
            return of(SqlType::timestamp);
        case pg_oid::kTimestamptz:
            return of(SqlType::timestamptz);
        case pg_oid::kInterval:
            return of(SqlType::interval);
        case pg_oid::kNumeric:
            return of(SqlType::numeric);
        case pg_oid::kUuid:
            return of(SqlType::uuid);
        case pg_oid::kJsonb:
            return of(SqlType::jsonb);
        default:
            return SqlError(sql::sqlstate::kFeatureNotSupported,
                            "parameter type with OID " + std::to_string(oid) + " is not supported");
    }
}

void pg_encode_value(const Value& value, PgFormat format, Bytes& out) {
    if (format == PgFormat::binary) {
        pg_encode_binary(value, out);
    } else {
        pg_encode_text(value, out);
    }
}

void pg_encode_text(const Value& value, Bytes& out) {
    KB_ASSERT(!value.is_null());
    // The common kinds without a temporary string (every row of every result passes here).
    switch (value.kind()) {
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
            return append_integer_text(value.as_int(), out);
        case ValueKind::boolean:
            out.push_back(value.as_bool() ? 't' : 'f');
            return;
        case ValueKind::text:
        case ValueKind::jsonb:
            return put_raw(out, value.as_text());
        default:
            return put_raw(out, sql::value_output(value));
    }
}

void pg_encode_binary(const Value& value, Bytes& out) {
    switch (value.kind()) {
        case ValueKind::null:
            KB_ASSERT_MSG(false, "NULL has no binary form (DataRow sends length -1)");
            return;
        case ValueKind::boolean:
            out.push_back(value.as_bool() ? 1 : 0);
            return;
        case ValueKind::int16:
            return put_be_i16(out, static_cast<i16>(value.as_int()));
        case ValueKind::int32:
        case ValueKind::date:
            return put_be_i32(out, static_cast<i32>(value.as_int()));
        case ValueKind::int64:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            return put_be_i64(out, value.as_int());
        case ValueKind::float32:
            return put_be_u32(out, std::bit_cast<u32>(value.as_float32()));
        case ValueKind::float64:
            return put_be_u64(out, std::bit_cast<u64>(value.as_float64()));
        case ValueKind::numeric:
            return encode_numeric(value.as_numeric(), out);
        case ValueKind::text:
            return put_raw(out, value.as_text());
        case ValueKind::bytea:
            return put_raw(out, value.as_bytea());
        case ValueKind::interval: {
            const kernel::Interval& interval = value.as_interval();
            put_be_i64(out, interval.microseconds);
            put_be_i32(out, interval.days);
            put_be_i32(out, interval.months);
            return;
        }
        case ValueKind::uuid:
            return put_raw(out, ByteSpan(value.as_uuid()));
        case ValueKind::jsonb:
            out.push_back(1);  // jsonb's binary format version
            return put_raw(out, value.as_text());
    }
}

SqlResult<Value> pg_decode_value(ByteSpan bytes, const sql::Type& type, PgFormat format) {
    return format == PgFormat::binary ? pg_decode_binary(bytes, type) : pg_decode_text(bytes, type);
}

SqlResult<Value> pg_decode_text(ByteSpan bytes, const sql::Type& type) {
    const std::string_view text = as_chars(bytes);
    // The client's text is checked as PostgreSQL's encoding conversion checks it, whatever
    // the type: valid UTF-8, no NUL.
    KB_SQL_TRY(sql::check_text(text));
    if (type.unknown) return Value::text(std::string(text));
    return sql::parameter_from_text(text, type);
}

SqlResult<Value> pg_decode_binary(ByteSpan bytes, const sql::Type& type) {
    if (type.unknown) return decode_text_kind(bytes);
    switch (type.id()) {
        case SqlType::boolean:
            KB_SQL_TRY(expect_size(bytes, 1));
            return Value::boolean(bytes[0] != 0);
        case SqlType::smallint:
            KB_SQL_TRY(expect_size(bytes, 2));
            return Value::int16(static_cast<i16>(load_be_u16(bytes.data())));
        case SqlType::integer:
            KB_SQL_TRY(expect_size(bytes, 4));
            return Value::int32(static_cast<i32>(load_be_u32(bytes.data())));
        case SqlType::bigint:
            KB_SQL_TRY(expect_size(bytes, 8));
            return Value::int64(static_cast<i64>(load_be_u64(bytes.data())));
        case SqlType::real:
            KB_SQL_TRY(expect_size(bytes, 4));
            return Value::float32(std::bit_cast<float>(load_be_u32(bytes.data())));
        case SqlType::double_precision:
            KB_SQL_TRY(expect_size(bytes, 8));
            return Value::float64(std::bit_cast<double>(load_be_u64(bytes.data())));
        case SqlType::numeric:
            return decode_numeric(bytes);
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character:
            return decode_text_kind(bytes);
        case SqlType::bytea:
            return Value::bytea(copy_of(bytes));
        case SqlType::date:
            return decode_date(bytes);
        case SqlType::timestamp:
            return Value::timestamp(KB_SQL_TRY(decode_timestamp(bytes)));
        case SqlType::timestamptz:
            return Value::timestamptz(KB_SQL_TRY(decode_timestamp(bytes)));
        case SqlType::interval: {
            KB_SQL_TRY(expect_size(bytes, 16));
            kernel::Interval interval;
            interval.microseconds = static_cast<i64>(load_be_u64(bytes.data()));
            interval.days = static_cast<i32>(load_be_u32(bytes.data() + 8));
            interval.months = static_cast<i32>(load_be_u32(bytes.data() + 12));
            return Value::interval(interval);
        }
        case SqlType::uuid: {
            KB_SQL_TRY(expect_size(bytes, 16));
            kernel::Uuid uuid;
            std::copy(bytes.begin(), bytes.end(), uuid.begin());
            return Value::uuid(uuid);
        }
        case SqlType::jsonb:
            return decode_jsonb(bytes);
    }
    return SqlError(sql::sqlstate::kFeatureNotSupported, "no binary input for this type");
}

}  // namespace kb::server
