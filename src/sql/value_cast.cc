// Casts between SQL types (see value_cast.h).
#include "sql/value_cast.h"

#include "sql/value_datetime.h"
#include "sql/value_float.h"
#include "sql/value_io.h"
#include "sql/value_json.h"
#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

struct IntegerRange {
    i64 min;
    i64 max;
    const char* name;
};

IntegerRange range_of(SqlType type) {
    switch (type) {
        case SqlType::smallint:
            return {INT16_MIN, INT16_MAX, "smallint"};
        case SqlType::integer:
            return {INT32_MIN, INT32_MAX, "integer"};
        default:
            return {INT64_MIN, INT64_MAX, "bigint"};
    }
}

Value make_integer(SqlType type, i64 value) {
    switch (type) {
        case SqlType::smallint:
            return Value::int16(static_cast<i16>(value));
        case SqlType::integer:
            return Value::int32(static_cast<i32>(value));
        default:
            return Value::int64(value);
    }
}

SqlResult<Value> to_integer(const Value& value, SqlType to) {
    const IntegerRange range = range_of(to);
    i64 result = 0;
    switch (value.kind()) {
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
            result = value.as_int();
            if (result < range.min || result > range.max) {
                return SqlError(sqlstate::kNumericValueOutOfRange,
                                std::string(range.name) + " out of range");
            }
            break;
        case ValueKind::float32:
            result =
                KB_SQL_TRY(float_to_integer(value.as_float32(), range.min, range.max, range.name));
            break;
        case ValueKind::float64:
            result =
                KB_SQL_TRY(float_to_integer(value.as_float64(), range.min, range.max, range.name));
            break;
        case ValueKind::numeric:
            result = KB_SQL_TRY(
                numeric_to_integer(value.as_numeric(), range.min, range.max, range.name));
            break;
        case ValueKind::boolean:
            result = value.as_bool() ? 1 : 0;
            break;
        case ValueKind::jsonb: {
            const kernel::Numeric number =
                KB_SQL_TRY(jsonb_to_numeric(value.as_text(), range.name));
            result = KB_SQL_TRY(numeric_to_integer(number, range.min, range.max, range.name));
            break;
        }
        default:
            KB_UNREACHABLE();
    }
    return make_integer(to, result);
}

SqlResult<Value> to_float(const Value& value, SqlType to) {
    const bool real = to == SqlType::real;
    double wide = 0;
    switch (value.kind()) {
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
            // Straight from the integer, so bigint -> real rounds once.
            if (real) return Value::float32(static_cast<float>(value.as_int()));
            return Value::float64(static_cast<double>(value.as_int()));
        case ValueKind::float32:
            wide = value.as_float32();
            break;
        case ValueKind::float64:
            if (real) return Value::float32(KB_SQL_TRY(float8_to_float4(value.as_float64())));
            return value;
        case ValueKind::numeric:
        case ValueKind::jsonb: {
            const kernel::Numeric number =
                value.kind() == ValueKind::numeric
                    ? value.as_numeric()
                    : KB_SQL_TRY(
                          jsonb_to_numeric(value.as_text(), real ? "real" : "double precision"));
            // As PostgreSQL: through the numeric's text and the float input function.
            if (real) return Value::float32(KB_SQL_TRY(float4_input(number.to_string())));
            return Value::float64(KB_SQL_TRY(float8_input(number.to_string())));
        }
        default:
            KB_UNREACHABLE();
    }
    if (real) return Value::float32(static_cast<float>(wide));
    return Value::float64(wide);
}

SqlResult<Value> to_numeric(const Value& value) {
    switch (value.kind()) {
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
            return Value::numeric(kernel::Numeric::from_i64(value.as_int()));
        case ValueKind::float32:
            return Value::numeric(numeric_from_double(value.as_float32(), 6));
        case ValueKind::float64:
            return Value::numeric(numeric_from_double(value.as_float64(), 15));
        case ValueKind::numeric:
            return value;
        case ValueKind::jsonb:
            return Value::numeric(KB_SQL_TRY(jsonb_to_numeric(value.as_text(), "numeric")));
        default:
            KB_UNREACHABLE();
    }
}

// A conversion function of pg_cast (CastPath::convert), before the modifier.
SqlResult<Value> convert(const Value& value, SqlType from, SqlType to) {
    switch (to) {
        case SqlType::smallint:
        case SqlType::integer:
        case SqlType::bigint:
            return to_integer(value, to);
        case SqlType::real:
        case SqlType::double_precision:
            return to_float(value, to);
        case SqlType::numeric:
            return to_numeric(value);
        case SqlType::boolean:
            if (value.kind() == ValueKind::jsonb) {
                return Value::boolean(KB_SQL_TRY(jsonb_to_boolean(value.as_text())));
            }
            return Value::boolean(value.as_int() != 0);
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character:
            if (value.kind() == ValueKind::boolean) {
                return Value::text(value.as_bool() ? "true" : "false");
            }
            if (from == SqlType::character && to != SqlType::character) {
                return Value::text(std::string(bpchar_trimmed(value.as_text())));
            }
            return value;
        case SqlType::date:
            return Value::date(timestamp_to_date(value.as_int()));
        case SqlType::timestamp:
        case SqlType::timestamptz: {
            // The session zone is UTC: timestamp and timestamptz are the same instant.
            const i64 ts = from == SqlType::date
                               ? KB_SQL_TRY(date_to_timestamp(static_cast<i32>(value.as_int())))
                               : value.as_int();
            return to == SqlType::timestamp ? Value::timestamp(ts) : Value::timestamptz(ts);
        }
        default:
            break;
    }
    KB_UNREACHABLE();
}

}  // namespace

std::string_view bpchar_trimmed(std::string_view text) {
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

SqlResult<Value> apply_type_modifier(Value value, const Type& type, CoercionContext context) {
    if (value.is_null() || !type.has_modifier()) return value;
    const ColumnType& column = type.column;
    switch (column.type) {
        case SqlType::varchar:
        case SqlType::character: {
            const std::string& text = value.as_text();
            const usize length = text_length(text);
            if (length > column.length) {
                const usize keep = text_prefix_bytes(text, column.length);
                if (context != CoercionContext::explicit_cast &&
                    text.find_first_not_of(' ', keep) != std::string::npos) {
                    return SqlError(sqlstate::kStringDataRightTruncation,
                                    "value too long for type " + type_name_with_modifier(type));
                }
                return Value::text(text.substr(0, keep));
            }
            if (column.type == SqlType::character && length < column.length) {
                return Value::text(text + std::string(column.length - length, ' '));
            }
            return value;
        }
        case SqlType::numeric:
            return Value::numeric(KB_SQL_TRY(
                numeric_apply_typmod(value.as_numeric(), column.precision, column.scale)));
        default:
            return value;
    }
}

SqlResult<Value> cast_value(const Value& value, const Type& from, const Type& to,
                            CoercionContext context) {
    KB_ASSERT(!to.unknown);
    if (from.unknown) {
        if (value.is_null()) return value;
        Value read = KB_SQL_TRY(value_input(value.as_text(), to.id()));
        return apply_type_modifier(std::move(read), to, context);
    }
    const CastPath path = cast_path(from.id(), to.id(), context);
    if (path == CastPath::none) {
        return SqlError(sqlstate::kCannotCoerce,
                        "cannot cast type " + type_name(from) + " to " + type_name(to));
    }
    if (value.is_null()) return value;
    Value converted;
    switch (path) {
        case CastPath::same:
            converted = value;
            break;
        case CastPath::convert:
            converted = KB_SQL_TRY(convert(value, from.id(), to.id()));
            break;
        case CastPath::via_io:
            if (type_category(to.id()) == 'S') {
                converted = Value::text(value_output(value));
            } else {
                converted = KB_SQL_TRY(value_input(value.as_text(), to.id()));
            }
            break;
        case CastPath::none:
            KB_UNREACHABLE();
    }
    return apply_type_modifier(std::move(converted), to, context);
}

}  // namespace kb::sql
