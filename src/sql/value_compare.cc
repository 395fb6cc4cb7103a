// Value order and hashing (see value_compare.h).
#include "sql/value_compare.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "sql/value_cast.h"
#include "sql/value_datetime.h"
#include "sql/value_float.h"
#include "sql/value_interval.h"
#include "sql/value_json.h"
#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

enum class Family {
    boolean,
    integer,
    numeric,
    floating,
    text,
    bytea,
    datetime,
    interval,
    uuid,
    jsonb
};

Family family_of(ValueKind kind) {
    switch (kind) {
        case ValueKind::boolean:
            return Family::boolean;
        case ValueKind::int16:
        case ValueKind::int32:
        case ValueKind::int64:
            return Family::integer;
        case ValueKind::numeric:
            return Family::numeric;
        case ValueKind::float32:
        case ValueKind::float64:
            return Family::floating;
        case ValueKind::text:
            return Family::text;
        case ValueKind::bytea:
            return Family::bytea;
        case ValueKind::date:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            return Family::datetime;
        case ValueKind::interval:
            return Family::interval;
        case ValueKind::uuid:
            return Family::uuid;
        case ValueKind::jsonb:
            return Family::jsonb;
        case ValueKind::null:
            break;
    }
    KB_ASSERT_MSG(false, "compare or hash of NULL");
    KB_UNREACHABLE();
}

int sign_of(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

template <class T>
int three_way(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

double as_double(const Value& v) {
    return v.kind() == ValueKind::float32 ? static_cast<double>(v.as_float32()) : v.as_float64();
}

const kernel::Numeric& as_numeric(const Value& v, kernel::Numeric* scratch) {
    if (v.kind() == ValueKind::numeric) return v.as_numeric();
    *scratch = kernel::Numeric::from_i64(v.as_int());
    return *scratch;
}

i64 instant_of(const Value& v) {
    if (v.kind() == ValueKind::date)
        return date_to_timestamp_for_compare(static_cast<i32>(v.as_int()));
    return v.as_int();
}

int compare_bytes(std::string_view a, std::string_view b) { return sign_of(a.compare(b)); }

// FNV-1a, 64 bit: simple, deterministic, good enough spread for hash tables keyed by values.
constexpr u64 kFnvOffset = 0xcbf29ce484222325ULL;
constexpr u64 kFnvPrime = 0x100000001b3ULL;

u64 fnv(u64 h, const void* data, usize size) {
    const auto* bytes = static_cast<const u8*>(data);
    for (usize i = 0; i < size; ++i) {
        h ^= bytes[i];
        h *= kFnvPrime;
    }
    return h;
}

u64 fnv_u64(u64 h, u64 value) { return fnv(h, &value, sizeof value); }

// A final avalanche so nearby integers land in different buckets.
u64 finish(u64 h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

}  // namespace

int compare_values(const Value& a, const Value& b, SqlType type) {
    const Family fa = family_of(a.kind());
    const Family fb = family_of(b.kind());
    if (fa != fb) {
        // Integers and numerics compare by value.
        KB_ASSERT_MSG((fa == Family::integer || fa == Family::numeric) &&
                          (fb == Family::integer || fb == Family::numeric),
                      "comparison of values of different type families");
        kernel::Numeric sa;
        kernel::Numeric sb;
        return as_numeric(a, &sa).compare(as_numeric(b, &sb));
    }
    switch (fa) {
        case Family::boolean:
            return three_way(a.as_bool(), b.as_bool());
        case Family::integer:
            return three_way(a.as_int(), b.as_int());
        case Family::numeric:
            return a.as_numeric().compare(b.as_numeric());
        case Family::floating:
            return float_compare(as_double(a), as_double(b));
        case Family::text:
            if (type == SqlType::character) {
                return compare_bytes(bpchar_trimmed(a.as_text()), bpchar_trimmed(b.as_text()));
            }
            return compare_bytes(a.as_text(), b.as_text());
        case Family::bytea:
            return compare_bytes(as_chars(a.as_bytea()), as_chars(b.as_bytea()));
        case Family::datetime:
            return three_way(instant_of(a), instant_of(b));
        case Family::interval:
            return interval_compare(a.as_interval(), b.as_interval());
        case Family::uuid:
            return compare_bytes(as_chars(a.as_uuid()), as_chars(b.as_uuid()));
        case Family::jsonb:
            return jsonb_compare(a.as_text(), b.as_text());
    }
    KB_UNREACHABLE();
}

u64 hash_value(const Value& value, SqlType type) {
    u64 h = kFnvOffset;
    switch (family_of(value.kind())) {
        case Family::boolean:
            h = fnv_u64(h, value.as_bool() ? 1 : 0);
            break;
        case Family::integer:
            h = fnv_u64(h, static_cast<u64>(value.as_int()));
            break;
        case Family::numeric: {
            const std::string key = numeric_hash_key(value.as_numeric());
            h = fnv(h, key.data(), key.size());
            break;
        }
        case Family::floating: {
            double d = value.kind() == ValueKind::float32 ? static_cast<double>(value.as_float32())
                                                          : value.as_float64();
            if (d == 0) d = 0;  // -0 hashes as 0
            u64 bits = std::isnan(d) ? 0x7ff8000000000000ULL : std::bit_cast<u64>(d);
            h = fnv_u64(h, bits);
            break;
        }
        case Family::text: {
            std::string_view text = value.as_text();
            if (type == SqlType::character) text = bpchar_trimmed(text);
            h = fnv(h, text.data(), text.size());
            break;
        }
        case Family::bytea:
            h = fnv(h, value.as_bytea().data(), value.as_bytea().size());
            break;
        case Family::datetime:
            h = fnv_u64(h, static_cast<u64>(instant_of(value)));
            break;
        case Family::interval: {
            const __int128 span = interval_span(value.as_interval());
            h = fnv_u64(h, static_cast<u64>(span));
            h = fnv_u64(h, static_cast<u64>(span >> 64));
            break;
        }
        case Family::uuid:
            h = fnv(h, value.as_uuid().data(), value.as_uuid().size());
            break;
        case Family::jsonb: {
            const std::string key = jsonb_hash_key(value.as_text());
            h = fnv(h, key.data(), key.size());
            break;
        }
    }
    return finish(h);
}

u64 hash_combine(u64 seed, u64 value_hash) {
    return finish(seed ^ (value_hash + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

}  // namespace kb::sql
