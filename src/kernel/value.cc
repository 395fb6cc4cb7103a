// Values and exact decimals (see value.h).
#include "kernel/value.h"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "base/assert.h"

namespace kb::kernel {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (usize i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                             text.front() == '\r')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// Counts UTF-8 code points; nullopt if `text` is not well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are refused, as PostgreSQL refuses them).
std::optional<usize> utf8_length(std::string_view text) {
    usize count = 0;
    usize i = 0;
    while (i < text.size()) {
        const u8 lead = static_cast<u8>(text[i]);
        usize extra = 0;
        u32 code = 0;
        if (lead < 0x80) {
            code = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            extra = 1;
            code = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            extra = 2;
            code = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            extra = 3;
            code = lead & 0x07;
        } else {
            return std::nullopt;
        }
        if (text.size() - i - 1 < extra) return std::nullopt;
        for (usize k = 1; k <= extra; ++k) {
            const u8 next = static_cast<u8>(text[i + k]);
            if ((next & 0xC0) != 0x80) return std::nullopt;
            code = (code << 6) | (next & 0x3F);
        }
        static constexpr u32 kMinimum[] = {0, 0x80, 0x800, 0x10000};
        if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
            return std::nullopt;
        }
        i += extra + 1;
        ++count;
    }
    return count;
}

std::string_view strip_leading_zeros(std::string_view digits) {
    while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
    return digits;
}

}  // namespace

// --- Numeric -----------------------------------------------------------------------------------

Numeric Numeric::from_i64(i64 value) {
    Numeric number;
    if (value == 0) return number;
    number.negative_ = value < 0;
    // Magnitude without overflow for INT64_MIN.
    u64 magnitude = value < 0 ? u64{0} - static_cast<u64>(value) : static_cast<u64>(value);
    while (magnitude > 0) {
        number.digits_.push_back(static_cast<char>('0' + magnitude % 10));
        magnitude /= 10;
    }
    std::reverse(number.digits_.begin(), number.digits_.end());
    return number;
}

Result<Numeric> Numeric::from_parts(bool negative, std::string digits, u16 scale) {
    if (digits.size() > kDigitsMax || scale > kScaleMax) {
        return Status::invalid_argument("numeric: " + std::to_string(digits.size()) +
                                        " digits with scale " + std::to_string(scale) +
                                        " is out of range");
    }
    for (char c : digits) {
        if (!is_digit(c)) return Status::invalid_argument("numeric: a digit that is not 0-9");
    }
    if (!digits.empty() && digits.front() == '0') {
        return Status::invalid_argument("numeric: digits with a leading zero");
    }
    if (digits.empty() && negative) return Status::invalid_argument("numeric: negative zero");
    Numeric number;
    number.negative_ = negative;
    number.digits_ = std::move(digits);
    number.scale_ = scale;
    return number;
}

Result<Numeric> Numeric::parse(std::string_view input) {
    const std::string_view text = trim_spaces(input);
    auto refuse = [&]() -> Status {
        return Status::invalid_argument("invalid input syntax for type numeric: \"" +
                                        std::string(input) + "\"");
    };
    if (equals_ignoring_case(text, "nan")) return nan();
    if (equals_ignoring_case(text, "infinity") || equals_ignoring_case(text, "+infinity") ||
        equals_ignoring_case(text, "inf") || equals_ignoring_case(text, "+inf")) {
        return infinity(false);
    }
    if (equals_ignoring_case(text, "-infinity") || equals_ignoring_case(text, "-inf")) {
        return infinity(true);
    }
    usize i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    std::string coefficient;
    usize fraction_digits = 0;
    bool any_digit = false;
    while (i < text.size() && is_digit(text[i])) {
        coefficient.push_back(text[i++]);
        any_digit = true;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i])) {
            coefficient.push_back(text[i++]);
            ++fraction_digits;
            any_digit = true;
        }
    }
    if (!any_digit) return refuse();
    i64 exponent = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool exponent_negative = false;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            exponent_negative = text[i++] == '-';
        }
        if (i == text.size() || !is_digit(text[i])) return refuse();
        while (i < text.size() && is_digit(text[i])) {
            exponent = exponent * 10 + (text[i++] - '0');
            if (exponent > 1'000'000) return refuse();  // far beyond any representable value
        }
        if (exponent_negative) exponent = -exponent;
    }
    if (i != text.size()) return refuse();

    // value = coefficient * 10^(exponent - fraction_digits)
    i64 scale = static_cast<i64>(fraction_digits) - exponent;
    if (scale < 0) {
        coefficient.append(static_cast<usize>(-scale), '0');
        scale = 0;
    }
    if (scale > kScaleMax) return refuse();
    std::string digits(strip_leading_zeros(coefficient));
    if (digits.empty()) negative = false;
    auto number = from_parts(negative, std::move(digits), static_cast<u16>(scale));
    if (!number) return refuse();
    return number;
}

std::string Numeric::to_string() const {
    switch (special_) {
        case Special::nan:
            return "NaN";
        case Special::positive_infinity:
            return "Infinity";
        case Special::negative_infinity:
            return "-Infinity";
        case Special::finite:
            break;
    }
    std::string out;
    if (negative_) out.push_back('-');
    if (digits_.size() > scale_) {
        out.append(digits_, 0, digits_.size() - scale_);
    } else {
        out.push_back('0');
    }
    if (scale_ > 0) {
        out.push_back('.');
        if (digits_.size() < scale_) out.append(scale_ - digits_.size(), '0');
        const usize fraction_start = digits_.size() > scale_ ? digits_.size() - scale_ : 0;
        out.append(digits_, fraction_start, std::string::npos);
    }
    return out;
}

int Numeric::compare(const Numeric& other) const {
    auto rank = [](const Numeric& n) {
        switch (n.special_) {
            case Special::negative_infinity:
                return 0;
            case Special::finite:
                return 1;
            case Special::positive_infinity:
                return 2;
            case Special::nan:
                return 3;
        }
        KB_UNREACHABLE();
    };
    if (rank(*this) != rank(other)) return rank(*this) < rank(other) ? -1 : 1;
    if (!is_finite()) return 0;
    const int sign_a = digits_.empty() ? 0 : (negative_ ? -1 : 1);
    const int sign_b = other.digits_.empty() ? 0 : (other.negative_ ? -1 : 1);
    if (sign_a != sign_b) return sign_a < sign_b ? -1 : 1;
    if (sign_a == 0) return 0;
    // Same sign: compare magnitudes digit by digit at a common scale, without building padded
    // copies: first by digits before the point, then position by position.
    int magnitude = 0;
    const usize int_a = integer_digits();
    const usize int_b = other.integer_digits();
    if (int_a != int_b) {
        magnitude = int_a < int_b ? -1 : 1;
    } else {
        const usize scale = std::max(scale_, other.scale_);
        // Digit at place p (p = 0 is the first digit after the point when int_a == 0 ...):
        // index every digit by its power of ten, from int_a - 1 down to -scale.
        auto digit_at = [](const Numeric& n, i64 power) -> int {
            // The digit of 10^power: digits_[k] has power (digits_.size() - 1 - k) - scale.
            const i64 k =
                static_cast<i64>(n.digits_.size()) - 1 - static_cast<i64>(n.scale_) - power;
            if (k < 0 || k >= static_cast<i64>(n.digits_.size())) return 0;
            return n.digits_[static_cast<usize>(k)] - '0';
        };
        for (i64 power = static_cast<i64>(int_a) - 1; power >= -static_cast<i64>(scale); --power) {
            const int a = digit_at(*this, power);
            const int b = digit_at(other, power);
            if (a != b) {
                magnitude = a < b ? -1 : 1;
                break;
            }
        }
    }
    return sign_a > 0 ? magnitude : -magnitude;
}

// --- Value -------------------------------------------------------------------------------------

std::string_view value_kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::null:
            return "null";
        case ValueKind::boolean:
            return "boolean";
        case ValueKind::int16:
            return "int16";
        case ValueKind::int32:
            return "int32";
        case ValueKind::int64:
            return "int64";
        case ValueKind::float32:
            return "float32";
        case ValueKind::float64:
            return "float64";
        case ValueKind::numeric:
            return "numeric";
        case ValueKind::text:
            return "text";
        case ValueKind::bytea:
            return "bytea";
        case ValueKind::date:
            return "date";
        case ValueKind::timestamp:
            return "timestamp";
        case ValueKind::timestamptz:
            return "timestamptz";
        case ValueKind::interval:
            return "interval";
        case ValueKind::uuid:
            return "uuid";
        case ValueKind::jsonb:
            return "jsonb";
    }
    return "unknown";
}

ValueKind value_kind_of(SqlType type) {
    switch (type) {
        case SqlType::smallint:
            return ValueKind::int16;
        case SqlType::integer:
            return ValueKind::int32;
        case SqlType::bigint:
            return ValueKind::int64;
        case SqlType::real:
            return ValueKind::float32;
        case SqlType::double_precision:
            return ValueKind::float64;
        case SqlType::numeric:
            return ValueKind::numeric;
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character:
            return ValueKind::text;
        case SqlType::boolean:
            return ValueKind::boolean;
        case SqlType::bytea:
            return ValueKind::bytea;
        case SqlType::date:
            return ValueKind::date;
        case SqlType::timestamp:
            return ValueKind::timestamp;
        case SqlType::timestamptz:
            return ValueKind::timestamptz;
        case SqlType::interval:
            return ValueKind::interval;
        case SqlType::uuid:
            return ValueKind::uuid;
        case SqlType::jsonb:
            return ValueKind::jsonb;
    }
    KB_UNREACHABLE();
}

bool Value::as_bool() const {
    KB_ASSERT(kind_ == ValueKind::boolean);
    return std::get<bool>(payload_);
}

i64 Value::as_int() const {
    KB_ASSERT(kind_ == ValueKind::int16 || kind_ == ValueKind::int32 || kind_ == ValueKind::int64 ||
              kind_ == ValueKind::date || kind_ == ValueKind::timestamp ||
              kind_ == ValueKind::timestamptz);
    return std::get<i64>(payload_);
}

float Value::as_float32() const {
    KB_ASSERT(kind_ == ValueKind::float32);
    return std::get<float>(payload_);
}

double Value::as_float64() const {
    KB_ASSERT(kind_ == ValueKind::float64);
    return std::get<double>(payload_);
}

const Numeric& Value::as_numeric() const {
    KB_ASSERT(kind_ == ValueKind::numeric);
    return std::get<Numeric>(payload_);
}

void Value::assign_text(std::string_view text) {
    if (kind_ == ValueKind::text) {
        std::get<std::string>(payload_).assign(text);
        return;
    }
    kind_ = ValueKind::text;
    payload_ = std::string(text);
}

const std::string& Value::as_text() const {
    KB_ASSERT(kind_ == ValueKind::text || kind_ == ValueKind::jsonb);
    return std::get<std::string>(payload_);
}

const Bytes& Value::as_bytea() const {
    KB_ASSERT(kind_ == ValueKind::bytea);
    return std::get<Bytes>(payload_);
}

const Interval& Value::as_interval() const {
    KB_ASSERT(kind_ == ValueKind::interval);
    return std::get<Interval>(payload_);
}

const Uuid& Value::as_uuid() const {
    KB_ASSERT(kind_ == ValueKind::uuid);
    return std::get<Uuid>(payload_);
}

bool operator==(const Value& a, const Value& b) {
    if (a.kind_ != b.kind_) return false;
    switch (a.kind_) {
        case ValueKind::float32:
            return std::bit_cast<u32>(a.as_float32()) == std::bit_cast<u32>(b.as_float32());
        case ValueKind::float64:
            return std::bit_cast<u64>(a.as_float64()) == std::bit_cast<u64>(b.as_float64());
        default:
            return a.payload_ == b.payload_;
    }
}

std::string Value::debug_string() const {
    std::string out(value_kind_name(kind_));
    switch (kind_) {
        case ValueKind::null:
            return "NULL";
        case ValueKind::boolean:
            return out + (as_bool() ? " true" : " false");
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
        case ValueKind::date:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            return out + " " + std::to_string(as_int());
        case ValueKind::float32:
            return out + " " + std::to_string(as_float32());
        case ValueKind::float64:
            return out + " " + std::to_string(as_float64());
        case ValueKind::numeric:
            return out + " " + as_numeric().to_string();
        case ValueKind::text:
        case ValueKind::jsonb:
            return out + " '" + as_text() + "'";
        case ValueKind::bytea:
            return out + " \\x" + to_hex(as_bytea());
        case ValueKind::interval:
            return out + " " + std::to_string(as_interval().months) + " months " +
                   std::to_string(as_interval().days) + " days " +
                   std::to_string(as_interval().microseconds) + " us";
        case ValueKind::uuid:
            return out + " " + to_hex(as_uuid());
    }
    return out;
}

// --- schema fit and keys -----------------------------------------------------------------------

std::optional<std::string> value_misfit(const ColumnDef& column, const Value& value) {
    if (value.is_null()) return std::nullopt;
    auto misfit = [&](std::string why) {
        return "column " + std::to_string(column.id.value()) + " (" + column.name + "): " + why;
    };
    const ValueKind expected = value_kind_of(column.type.type);
    if (value.kind() != expected) {
        return misfit(std::string(value_kind_name(value.kind())) + " value for a " +
                      std::string(sql_type_name(column.type.type)) + " column");
    }
    switch (column.type.type) {
        case SqlType::smallint:
            if (value.as_int() < -32768 || value.as_int() > 32767) return misfit("out of range");
            break;
        case SqlType::integer:
            if (value.as_int() < INT32_MIN || value.as_int() > INT32_MAX) {
                return misfit("out of range");
            }
            break;
        case SqlType::date:
            if (value.as_int() < INT32_MIN || value.as_int() > INT32_MAX) {
                return misfit("out of range");
            }
            break;
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character: {
            const std::string& text = value.as_text();
            if (text.find('\0') != std::string::npos) return misfit("text with a NUL byte");
            auto length = utf8_length(text);
            if (!length) return misfit("text that is not UTF-8");
            if (column.type.length != 0 && *length > column.type.length) {
                return misfit(std::to_string(*length) + " characters in a column of " +
                              std::to_string(column.type.length));
            }
            break;
        }
        case SqlType::jsonb: {
            const std::string& json = value.as_text();
            if (json.empty() || !utf8_length(json)) return misfit("jsonb that is not UTF-8 JSON");
            break;
        }
        case SqlType::numeric: {
            const Numeric& number = value.as_numeric();
            if (column.type.precision == 0 || number.special() == Numeric::Special::nan) break;
            if (!number.is_finite()) return misfit("infinity in a constrained numeric");
            if (number.scale() != column.type.scale) {
                return misfit("scale " + std::to_string(number.scale()) + " in a numeric(" +
                              std::to_string(column.type.precision) + ", " +
                              std::to_string(column.type.scale) + ")");
            }
            if (number.integer_digits() >
                static_cast<usize>(column.type.precision - column.type.scale)) {
                return misfit("numeric field overflow");
            }
            break;
        }
        default:
            break;
    }
    return std::nullopt;
}

KeyValue key_value_of(const Value& value) {
    switch (value.kind()) {
        case ValueKind::null:
            return KeyNull{};
        case ValueKind::boolean:
            return value.as_bool();
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
        case ValueKind::date:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            return value.as_int();
        case ValueKind::float32:
            return static_cast<double>(value.as_float32());  // real keys are widened (schema.h)
        case ValueKind::float64:
            return value.as_float64();
        case ValueKind::text:
            return value.as_text();
        case ValueKind::bytea:
            return std::string(as_chars(value.as_bytea()));
        case ValueKind::uuid:
            return std::string(as_chars(value.as_uuid()));
        case ValueKind::numeric: {
            const Numeric& number = value.as_numeric();
            switch (number.special()) {
                case Numeric::Special::nan:
                    return numeric_key_value(NumericKeyClass::nan);
                case Numeric::Special::positive_infinity:
                    return numeric_key_value(NumericKeyClass::positive_infinity);
                case Numeric::Special::negative_infinity:
                    return numeric_key_value(NumericKeyClass::negative_infinity);
                case Numeric::Special::finite:
                    break;
            }
            // digits * 10^-scale = 0.digits * 10^(digit count - scale); trailing zeros of the
            // digits only carry the display scale.
            std::string_view digits = number.digits();
            if (digits.empty()) return numeric_key_value(NumericKeyClass::zero);
            const i32 exponent = static_cast<i32>(digits.size()) - static_cast<i32>(number.scale());
            while (digits.back() == '0') digits.remove_suffix(1);
            return numeric_key_value(
                number.negative() ? NumericKeyClass::negative : NumericKeyClass::positive, digits,
                exponent);
        }
        case ValueKind::interval: {
            const Interval& interval = value.as_interval();
            return interval_key_value(interval.months, interval.days, interval.microseconds);
        }
        case ValueKind::jsonb:
            break;
    }
    KB_ASSERT(false && "a value kind that cannot be part of a key");
    KB_UNREACHABLE();
}

}  // namespace kb::kernel
