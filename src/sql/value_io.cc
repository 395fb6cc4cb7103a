// Text input and output of SQL values (see value_io.h).
#include "sql/value_io.h"

#include <cstdio>

#include "sql/value_cast.h"
#include "sql/value_datetime.h"
#include "sql/value_float.h"
#include "sql/value_interval.h"
#include "sql/value_json.h"

namespace kb::sql {
namespace {

constexpr const char* kCharacterNotInRepertoire = "22021";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive: is `text` a prefix of `word` of at least `min_length` characters?
bool prefix_of(std::string_view text, std::string_view word, usize min_length) {
    if (text.size() < min_length || text.size() > word.size()) return false;
    for (usize i = 0; i < text.size(); ++i) {
        if (lower(text[i]) != word[i]) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Bytes in the UTF-8 sequence that `lead` starts, as PostgreSQL's pg_utf_mblen counts them.
usize utf8_sequence_length(u8 lead) {
    if ((lead & 0x80) == 0) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

SqlResult<Value> numeric_value(std::string_view text) {
    auto number = kernel::Numeric::parse(text);
    if (!number) {
        return SqlError(sqlstate::kInvalidTextRepresentation,
                        "invalid input syntax for type numeric: \"" + std::string(text) + "\"");
    }
    return Value::numeric(std::move(number).value());
}

}  // namespace

SqlStatus check_text(std::string_view text) {
    usize i = 0;
    while (i < text.size()) {
        const u8 lead = static_cast<u8>(text[i]);
        if (lead < 0x80 && lead != 0) {
            ++i;
            continue;
        }
        const usize length = utf8_sequence_length(lead);
        bool valid = lead != 0 && length > 1 && i + length <= text.size();
        u32 code = 0;
        if (valid) {
            code = lead & (0xFF >> (length + 1));
            for (usize k = 1; k < length; ++k) {
                const u8 next = static_cast<u8>(text[i + k]);
                if ((next & 0xC0) != 0x80) valid = false;
                code = (code << 6) | (next & 0x3F);
            }
            static constexpr u32 kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
            if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
                valid = false;
            }
        }
        if (!valid) {
            std::string bytes;
            const usize shown = std::min(length, text.size() - i);
            for (usize k = 0; k < shown; ++k) {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "%s0x%02x", k == 0 ? "" : " ",
                              static_cast<unsigned>(static_cast<u8>(text[i + k])));
                bytes += buffer;
            }
            return SqlError(kCharacterNotInRepertoire,
                            "invalid byte sequence for encoding \"UTF8\": " + bytes);
        }
        i += length;
    }
    return sql_ok();
}

usize text_length(std::string_view text) {
    usize count = 0;
    for (char c : text) {
        if ((static_cast<u8>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

usize text_prefix_bytes(std::string_view text, usize characters) {
    usize seen = 0;
    for (usize i = 0; i < text.size(); ++i) {
        if ((static_cast<u8>(text[i]) & 0xC0) != 0x80) {
            if (seen == characters) return i;
            ++seen;
        }
    }
    return text.size();
}

SqlResult<bool> bool_input(std::string_view input) {
    std::string_view text = input;
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (!text.empty()) {
        switch (lower(text[0])) {
            case 't':
                if (prefix_of(text, "true", 1)) return true;
                break;
            case 'f':
                if (prefix_of(text, "false", 1)) return false;
                break;
            case 'y':
                if (prefix_of(text, "yes", 1)) return true;
                break;
            case 'n':
                if (prefix_of(text, "no", 1)) return false;
                break;
            case 'o':
                // "o" alone is ambiguous; "on" and "of"/"off" decide.
                if (prefix_of(text, "on", 2)) return true;
                if (prefix_of(text, "off", 2)) return false;
                break;
            case '1':
                if (text.size() == 1) return true;
                break;
            case '0':
                if (text.size() == 1) return false;
                break;
            default:
                break;
        }
    }
    return SqlError(sqlstate::kInvalidTextRepresentation,
                    "invalid input syntax for type boolean: \"" + std::string(input) + "\"");
}

SqlResult<i64> integer_input(std::string_view input, i64 min, i64 max, const char* type_name) {
    usize i = 0;
    while (i < input.size() && is_space(input[i])) ++i;
    bool negative = false;
    if (i < input.size() && (input[i] == '+' || input[i] == '-')) negative = input[i++] == '-';
    const usize digits_start = i;
    // Accumulate negatively so the most negative value fits.
    i64 value = 0;
    bool overflow = false;
    while (i < input.size() && input[i] >= '0' && input[i] <= '9') {
        const int digit = input[i++] - '0';
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_sub_overflow(value, digit, &value)) {
            overflow = true;
        }
    }
    const bool any_digit = i > digits_start;
    while (i < input.size() && is_space(input[i])) ++i;
    if (!any_digit || i != input.size()) {
        return SqlError(sqlstate::kInvalidTextRepresentation,
                        std::string("invalid input syntax for type ") + type_name + ": \"" +
                            std::string(input) + "\"");
    }
    if (!negative) {
        // Digits accumulate negatively (so INT64_MIN reads); its positive twin overflows.
        if (value == INT64_MIN) {
            overflow = true;
        } else {
            value = -value;
        }
    }
    if (overflow || value < min || value > max) {
        return SqlError(
            sqlstate::kNumericValueOutOfRange,
            "value \"" + std::string(input) + "\" is out of range for type " + type_name);
    }
    return value;
}

SqlResult<Bytes> bytea_input(std::string_view text) {
    Bytes out;
    if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
        usize i = 2;
        while (i < text.size()) {
            const char c = text[i];
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
                ++i;
                continue;
            }
            auto bad_digit = [&](usize at) {
                const usize length = utf8_sequence_length(static_cast<u8>(text[at]));
                return SqlError(
                    sqlstate::kInvalidParameterValue,
                    "invalid hexadecimal digit: \"" + std::string(text.substr(at, length)) + "\"");
            };
            const int high = hex_value(c);
            if (high < 0) return bad_digit(i);
            if (++i >= text.size()) {
                return SqlError(sqlstate::kInvalidParameterValue,
                                "invalid hexadecimal data: odd number of digits");
            }
            const int low = hex_value(text[i]);
            if (low < 0) return bad_digit(i);
            ++i;
            out.push_back(static_cast<u8>(high << 4 | low));
        }
        return out;
    }
    usize i = 0;
    while (i < text.size()) {
        if (text[i] != '\\') {
            out.push_back(static_cast<u8>(text[i++]));
        } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
                   text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
                   text[i + 3] <= '7') {
            out.push_back(static_cast<u8>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                          (text[i + 3] - '0')));
            i += 4;
        } else if (i + 1 < text.size() && text[i + 1] == '\\') {
            out.push_back('\\');
            i += 2;
        } else {
            return SqlError(sqlstate::kInvalidTextRepresentation,
                            "invalid input syntax for type bytea");
        }
    }
    return out;
}

std::string bytea_output(ByteSpan bytes) { return "\\x" + to_hex(bytes); }

SqlResult<kernel::Uuid> uuid_input(std::string_view text) {
    kernel::Uuid uuid{};
    usize i = 0;
    const bool braces = !text.empty() && text[0] == '{';
    if (braces) ++i;
    bool valid = true;
    for (usize byte = 0; byte < uuid.size() && valid; ++byte) {
        if (i + 1 >= text.size() || hex_value(text[i]) < 0 || hex_value(text[i + 1]) < 0) {
            valid = false;
            break;
        }
        uuid[byte] = static_cast<u8>(hex_value(text[i]) << 4 | hex_value(text[i + 1]));
        i += 2;
        // A hyphen may follow any group of four hex digits except the last.
        if (i < text.size() && text[i] == '-' && byte % 2 == 1 && byte < uuid.size() - 1) ++i;
    }
    if (valid && braces) {
        valid = i < text.size() && text[i] == '}';
        ++i;
    }
    if (!valid || i != text.size()) {
        return SqlError(sqlstate::kInvalidTextRepresentation,
                        "invalid input syntax for type uuid: \"" + std::string(text) + "\"");
    }
    return uuid;
}

std::string uuid_output(const kernel::Uuid& uuid) {
    const std::string hex = to_hex(uuid);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

SqlResult<Value> value_input(std::string_view text, SqlType type) {
    switch (type) {
        case SqlType::boolean:
            return Value::boolean(KB_SQL_TRY(bool_input(text)));
        case SqlType::smallint:
            return Value::int16(static_cast<i16>(
                KB_SQL_TRY(integer_input(text, INT16_MIN, INT16_MAX, "smallint"))));
        case SqlType::integer:
            return Value::int32(
                static_cast<i32>(KB_SQL_TRY(integer_input(text, INT32_MIN, INT32_MAX, "integer"))));
        case SqlType::bigint:
            return Value::int64(KB_SQL_TRY(integer_input(text, INT64_MIN, INT64_MAX, "bigint")));
        case SqlType::real:
            return Value::float32(KB_SQL_TRY(float4_input(text)));
        case SqlType::double_precision:
            return Value::float64(KB_SQL_TRY(float8_input(text)));
        case SqlType::numeric:
            return numeric_value(text);
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character:
            KB_SQL_TRY(check_text(text));
            return Value::text(std::string(text));
        case SqlType::bytea:
            return Value::bytea(KB_SQL_TRY(bytea_input(text)));
        case SqlType::date:
            return Value::date(KB_SQL_TRY(date_input(text)));
        case SqlType::timestamp:
            return Value::timestamp(KB_SQL_TRY(timestamp_input(text)));
        case SqlType::timestamptz:
            return Value::timestamptz(KB_SQL_TRY(timestamptz_input(text)));
        case SqlType::interval:
            return Value::interval(KB_SQL_TRY(interval_input(text)));
        case SqlType::uuid:
            return Value::uuid(KB_SQL_TRY(uuid_input(text)));
        case SqlType::jsonb:
            return Value::jsonb(KB_SQL_TRY(jsonb_input(text)));
    }
    KB_UNREACHABLE();
}

SqlResult<Value> value_input_with_modifier(std::string_view text, const Type& type) {
    KB_ASSERT(!type.unknown);
    Value value = KB_SQL_TRY(value_input(text, type.id()));
    return apply_type_modifier(std::move(value), type, CoercionContext::assignment);
}

std::string value_output(const Value& value) {
    switch (value.kind()) {
        case ValueKind::null:
            break;
        case ValueKind::boolean:
            return value.as_bool() ? "t" : "f";
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
            return std::to_string(value.as_int());
        case ValueKind::float32:
            return float4_output(value.as_float32());
        case ValueKind::float64:
            return float8_output(value.as_float64());
        case ValueKind::numeric:
            return value.as_numeric().to_string();
        case ValueKind::text:
        case ValueKind::jsonb:
            return value.as_text();
        case ValueKind::bytea:
            return bytea_output(value.as_bytea());
        case ValueKind::date:
            return date_output(static_cast<i32>(value.as_int()));
        case ValueKind::timestamp:
            return timestamp_output(value.as_int());
        case ValueKind::timestamptz:
            return timestamptz_output(value.as_int());
        case ValueKind::interval:
            return interval_output(value.as_interval());
        case ValueKind::uuid:
            return uuid_output(value.as_uuid());
    }
    KB_ASSERT_MSG(false, "value_output of NULL");
    KB_UNREACHABLE();
}

}  // namespace kb::sql
