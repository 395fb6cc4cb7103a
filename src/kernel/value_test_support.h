// Test helpers: random values of every kind and random rows for a table, deterministic for a
// Prng seed. Shared by the value, row codec and kernel tests.
#pragma once

#include <bit>
#include <string>
#include <vector>

#include "base/prng.h"
#include "kernel/row_codec.h"
#include "kernel/value.h"

namespace kb::kernel::testing {

inline Numeric random_numeric(Prng& prng) {
    switch (prng.uniform(8)) {
        case 0:
            return Numeric::nan();
        case 1:
            return Numeric::infinity(prng.coin());
        default: {
            std::string digits;
            const u64 count = prng.uniform(30);
            for (u64 i = 0; i < count; ++i) {
                digits.push_back(static_cast<char>('0' + prng.uniform(10)));
            }
            while (!digits.empty() && digits.front() == '0') digits.erase(digits.begin());
            const bool negative = !digits.empty() && prng.coin();
            return *Numeric::from_parts(negative, digits, static_cast<u16>(prng.uniform(12)));
        }
    }
}

inline std::string random_text(Prng& prng, usize size_max) {
    static constexpr std::string_view kPieces[] = {"a", "b", "Z", " ", "é", "日", "🙂", "\x01"};
    std::string text;
    for (u64 i = prng.uniform(size_max + 1); i > 0; --i) {
        text += kPieces[prng.uniform(std::size(kPieces))];
    }
    return text;
}

// A random value of `kind` (any bits: NaNs of every payload, -0, extreme integers).
inline Value random_value(Prng& prng, ValueKind kind) {
    switch (kind) {
        case ValueKind::null:
            return Value::null();
        case ValueKind::boolean:
            return Value::boolean(prng.coin());
        case ValueKind::int16:
            return Value::int16(static_cast<i16>(prng.next_u64()));
        case ValueKind::int32:
            return Value::int32(static_cast<i32>(prng.next_u64()));
        case ValueKind::int64:
            return Value::int64(static_cast<i64>(prng.next_u64() >> prng.uniform(64)));
        case ValueKind::float32: {
            static constexpr float kSpecial[] = {0.0f, -0.0f, 1.5f, -2.25e10f, 1e-40f};
            if (prng.coin()) return Value::float32(kSpecial[prng.uniform(std::size(kSpecial))]);
            return Value::float32(std::bit_cast<float>(prng.next_u32()));
        }
        case ValueKind::float64: {
            static constexpr double kSpecial[] = {0.0, -0.0, 1.5, -2.25e300, 5e-324};
            if (prng.coin()) return Value::float64(kSpecial[prng.uniform(std::size(kSpecial))]);
            return Value::float64(std::bit_cast<double>(prng.next_u64()));
        }
        case ValueKind::numeric:
            return Value::numeric(random_numeric(prng));
        case ValueKind::text:
            return Value::text(random_text(prng, 12));
        case ValueKind::bytea: {
            Bytes bytes(prng.uniform(20));
            prng.fill(bytes);
            return Value::bytea(std::move(bytes));
        }
        case ValueKind::date:
            return Value::date(static_cast<i32>(prng.next_u64()));
        case ValueKind::timestamp:
            return Value::timestamp(static_cast<i64>(prng.next_u64()));
        case ValueKind::timestamptz:
            return Value::timestamptz(static_cast<i64>(prng.next_u64()));
        case ValueKind::interval:
            return Value::interval({.months = static_cast<i32>(prng.next_u64()),
                                    .days = static_cast<i32>(prng.next_u64()),
                                    .microseconds = static_cast<i64>(prng.next_u64())});
        case ValueKind::uuid: {
            Uuid uuid;
            prng.fill(uuid);
            return Value::uuid(uuid);
        }
        case ValueKind::jsonb:
            return Value::jsonb("{\"k\": " + std::to_string(prng.uniform(1000)) + "}");
    }
    return Value::null();
}

// A value that fits `column` (value_misfit is empty), NULL sometimes unless it is NOT NULL.
inline Value random_fitting_value(Prng& prng, const ColumnDef& column) {
    if (!column.not_null && prng.chance(1, 6)) return Value::null();
    const ValueKind kind = value_kind_of(column.type.type);
    switch (column.type.type) {
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character: {
            std::string text;
            const u64 size_max = column.type.length != 0 ? column.type.length : 12;
            for (u64 i = prng.uniform(size_max + 1); i > 0; --i) {
                text.push_back(static_cast<char>('a' + prng.uniform(4)));
            }
            return Value::text(std::move(text));
        }
        case SqlType::numeric: {
            if (column.type.precision == 0) return Value::numeric(random_numeric(prng));
            std::string digits;
            const u64 count = prng.uniform(column.type.precision + 1u);
            for (u64 i = 0; i < count; ++i)
                digits.push_back(static_cast<char>('1' + prng.uniform(9)));
            return Value::numeric(
                *Numeric::from_parts(prng.coin() && !digits.empty(), digits, column.type.scale));
        }
        case SqlType::date:
            return Value::date(static_cast<i32>(prng.uniform(40000)) - 20000);
        default:
            return random_value(prng, kind);
    }
}

inline std::vector<Value> random_row(Prng& prng, const TableSchema& table) {
    std::vector<Value> values;
    for (const ColumnDef& column : table.columns)
        values.push_back(random_fitting_value(prng, column));
    return values;
}

}  // namespace kb::kernel::testing
