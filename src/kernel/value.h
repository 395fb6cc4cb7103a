// Values: one SQL value of any column type schema.h lists, as rows carry them.
//
// A Value is a kind (which of PostgreSQL's types it is, or NULL) and a payload in that type's
// canonical machine form, the same form PostgreSQL computes with:
//
//   boolean                       bool
//   smallint, integer, bigint     i16, i32, i64 (held as i64, range-checked on construction)
//   real, double precision        float, double (IEEE; -0 is kept, as PostgreSQL keeps it)
//   numeric                       Numeric: an exact decimal (coefficient digits and a scale)
//   text, varchar(n), char(n)     std::string of UTF-8 (char(n) arrives padded by the SQL layer)
//   bytea                         Bytes
//   date                          i32 days since 2000-01-01 (PostgreSQL's epoch)
//   timestamp, timestamptz        i64 microseconds since 2000-01-01 00:00 (timestamptz in UTC)
//   interval                      months i32, days i32, microseconds i64 (kept apart, as
//                                 PostgreSQL does: '1 month' is not '30 days')
//   uuid                          16 bytes
//   jsonb                         std::string: the JSON text in the SQL layer's normal form
//
// Values are plain data: apply never does arithmetic on them, it encodes them (row_codec.h)
// and derives keys from them (key_value_of). Comparison and output formats for SQL live with
// the SQL layer; operator== here is identity (same kind, same bits: NaN equals NaN, -0 is
// not +0), which is what codecs and tests need.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/bytes.h"
#include "base/ints.h"
#include "kernel/key_encoding.h"
#include "kernel/schema.h"
#include "kimberlite/status.h"

namespace kb::kernel {

// Stored as a byte in row images: never renumber.
enum class ValueKind : u8 {
    null = 0,
    boolean = 1,
    int16 = 2,
    int32 = 3,
    int64 = 4,
    float32 = 5,
    float64 = 6,
    numeric = 7,
    text = 8,
    bytea = 9,
    date = 10,
    timestamp = 11,
    timestamptz = 12,
    interval = 13,
    uuid = 14,
    jsonb = 15,
};
inline constexpr ValueKind kValueKindMax = ValueKind::jsonb;

std::string_view value_kind_name(ValueKind kind);  // "null", "int32", ...

// The kind a column of this type holds (text for varchar and char).
ValueKind value_kind_of(SqlType type);

// An exact decimal: (-1)^negative * digits * 10^-scale, or NaN / +Infinity / -Infinity
// (PostgreSQL's numeric has all three). Canonical form, which every constructor produces and
// the row codec insists on: `digits` are ASCII '0'..'9' without leading zeros (empty for zero),
// and zero is never negative. The scale is the number of digits after the decimal point the
// value displays with (PostgreSQL keeps it: 1.50 is shown as 1.50), so 1.5 and 1.50 are
// different Numerics that compare equal.
class Numeric {
public:
    enum class Special : u8 { finite = 0, nan = 1, positive_infinity = 2, negative_infinity = 3 };

    // The most digits a Numeric may have: PostgreSQL's 131072 before the point plus 16383 after.
    static constexpr usize kDigitsMax = 131072 + 16383;
    static constexpr u16 kScaleMax = 16383;

    Numeric() = default;  // 0
    static Numeric from_i64(i64 value);
    static Numeric nan() { return Numeric(Special::nan); }
    static Numeric infinity(bool negative) {
        return Numeric(negative ? Special::negative_infinity : Special::positive_infinity);
    }
    // From canonical parts; invalid_argument if they are not canonical or out of range.
    static Result<Numeric> from_parts(bool negative, std::string digits, u16 scale);
    // PostgreSQL's numeric input: [+-]digits[.digits][e[+-]digits], "NaN", "Infinity",
    // "-Infinity", "inf" (case-insensitive, surrounding spaces allowed). invalid_argument for
    // anything else, naming the text.
    static Result<Numeric> parse(std::string_view text);

    Special special() const { return special_; }
    bool is_finite() const { return special_ == Special::finite; }
    bool negative() const { return negative_; }
    const std::string& digits() const { return digits_; }
    u16 scale() const { return scale_; }
    // Digits before the decimal point (0 for |x| < 1).
    usize integer_digits() const { return digits_.size() > scale_ ? digits_.size() - scale_ : 0; }

    // PostgreSQL's output form: "-12.340", "0.05", "NaN", "Infinity".
    std::string to_string() const;
    // Numeric order as PostgreSQL sorts it: -Infinity < finite < +Infinity < NaN, NaN = NaN,
    // and scale does not matter (1.5 = 1.50). Returns <0, 0, >0.
    int compare(const Numeric& other) const;

    friend bool operator==(const Numeric&, const Numeric&) = default;  // identity

private:
    explicit Numeric(Special special) : special_(special) {}

    Special special_ = Special::finite;
    bool negative_ = false;
    std::string digits_;
    u16 scale_ = 0;
};

struct Interval {
    i32 months = 0;
    i32 days = 0;
    i64 microseconds = 0;

    friend bool operator==(const Interval&, const Interval&) = default;
};

using Uuid = std::array<u8, 16>;

class Value {
public:
    Value() = default;  // NULL
    static Value null() { return Value(); }
    static Value boolean(bool value) { return Value(ValueKind::boolean, value); }
    static Value int16(i16 value) { return Value(ValueKind::int16, i64{value}); }
    static Value int32(i32 value) { return Value(ValueKind::int32, i64{value}); }
    static Value int64(i64 value) { return Value(ValueKind::int64, value); }
    static Value float32(float value) { return Value(ValueKind::float32, value); }
    static Value float64(double value) { return Value(ValueKind::float64, value); }
    static Value numeric(Numeric value) { return Value(ValueKind::numeric, std::move(value)); }
    static Value text(std::string value) { return Value(ValueKind::text, std::move(value)); }
    static Value bytea(Bytes value) { return Value(ValueKind::bytea, std::move(value)); }
    static Value date(i32 days) { return Value(ValueKind::date, i64{days}); }
    static Value timestamp(i64 microseconds) { return Value(ValueKind::timestamp, microseconds); }
    static Value timestamptz(i64 microseconds) {
        return Value(ValueKind::timestamptz, microseconds);
    }
    static Value interval(Interval value) { return Value(ValueKind::interval, value); }
    static Value uuid(const Uuid& value) { return Value(ValueKind::uuid, value); }
    static Value jsonb(std::string json) { return Value(ValueKind::jsonb, std::move(json)); }

    ValueKind kind() const { return kind_; }
    bool is_null() const { return kind_ == ValueKind::null; }
    // Makes this the text value `text`, reusing the string a text value already holds (a scan
    // decodes row after row into the same values).
    void assign_text(std::string_view text);
    // Makes this the integer-like value `value` of `kind` (int16, int32, int64, date,
    // timestamp or timestamptz; `value` already in that kind's range) without building a
    // temporary Value: a decoder's per-column step.
    void assign_int(ValueKind kind, i64 value) {
        kind_ = kind;
        if (i64* held = std::get_if<i64>(&payload_)) {
            *held = value;
        } else {
            payload_.emplace<i64>(value);
        }
    }

    // Accessors assert the kind (a programmer error otherwise).
    bool as_bool() const;
    i64 as_int() const;  // int16, int32, int64, date, timestamp, timestamptz
    float as_float32() const;
    double as_float64() const;
    const Numeric& as_numeric() const;
    const std::string& as_text() const;  // text, jsonb
    const Bytes& as_bytea() const;
    const Interval& as_interval() const;
    const Uuid& as_uuid() const;

    // "NULL", "int32 42", "text 'abc'": for messages and test failures (not SQL output).
    std::string debug_string() const;

    friend bool operator==(const Value& a, const Value& b);  // identity (see the top)

private:
    using Payload = std::variant<std::monostate, bool, i64, float, double, Numeric, std::string,
                                 Bytes, Interval, Uuid>;
    Value(ValueKind kind, Payload payload) : kind_(kind), payload_(std::move(payload)) {}

    ValueKind kind_ = ValueKind::null;
    Payload payload_;
};

// Whether `value` may be stored in a column of `type`: NULL fits any type (NOT NULL is checked
// apart); otherwise the kind must be the type's, text must be UTF-8 without NUL and within
// varchar(n)/char(n) characters, numeric(p, s) must have scale s and at most p - s digits
// before the point (NaN allowed, infinities not, as in PostgreSQL), and jsonb must be
// non-empty. Returns a reason ("column 3 (name): ...") when it does not fit, else nullopt.
std::optional<std::string> value_misfit(const ColumnDef& column, const Value& value);

// The key form of a value of a key-encodable column (key_type_of(type) has a value): the
// variant alternative encode_key expects. Asserts the value's kind matches the type.
KeyValue key_value_of(const Value& value);

}  // namespace kb::kernel
