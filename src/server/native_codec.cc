// The native protocol's field encodings (native_codec.h).
#include "server/native_codec.h"

#include <bit>
#include <limits>

#include "base/assert.h"
#include "sql/value_io.h"

namespace kb::server {

using kernel::Value;
using kernel::ValueKind;

// --- writing ----------------------------------------------------------------------------------

void NativeWriter::put_bytes(ByteSpan bytes) {
    put_count(bytes.size());
    put_raw(bytes);
}

void NativeWriter::put_optional_u64(const std::optional<u64>& value) {
    put_bool(value.has_value());
    if (value) put(*value);
}

void NativeWriter::put_count(usize count) {
    KB_ASSERT(count <= std::numeric_limits<u32>::max());
    put(static_cast<u32>(count));
}

void NativeWriter::put_value(const Value& value) {
    put(static_cast<u8>(value.kind()));
    switch (value.kind()) {
        case ValueKind::null:
            return;
        case ValueKind::boolean:
            return put_bool(value.as_bool());
        case ValueKind::int16:
            return put(static_cast<u16>(value.as_int()));
        case ValueKind::int32:
        case ValueKind::date:
            return put_i32(static_cast<i32>(value.as_int()));
        case ValueKind::int64:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            return put_i64(value.as_int());
        case ValueKind::float32:
            return put(std::bit_cast<u32>(value.as_float32()));
        case ValueKind::float64:
            return put(std::bit_cast<u64>(value.as_float64()));
        case ValueKind::numeric:
            return put_string(value.as_numeric().to_string());
        case ValueKind::text:
        case ValueKind::jsonb:
            return put_string(value.as_text());
        case ValueKind::bytea:
            return put_bytes(value.as_bytea());
        case ValueKind::interval: {
            const kernel::Interval& interval = value.as_interval();
            put_i32(interval.months);
            put_i32(interval.days);
            return put_i64(interval.microseconds);
        }
        case ValueKind::uuid:
            return put_raw(value.as_uuid());
    }
    KB_ASSERT_MSG(false, "a value kind without an encoding");
}

// --- reading ----------------------------------------------------------------------------------

void NativeReader::fail(std::string message) {
    if (!error_) error_ = std::move(message);
    position_ = bytes_.size();
}

std::optional<std::string> NativeReader::finish() const {
    if (error_) return error_;
    if (position_ != bytes_.size()) {
        return std::to_string(bytes_.size() - position_) + " trailing bytes after the last field";
    }
    return std::nullopt;
}

bool NativeReader::get_bool(const char* field) {
    const u8 byte = get<u8>(field);
    if (byte > 1) fail(std::string(field) + " is " + std::to_string(byte) + ", not 0 or 1");
    return byte == 1;
}

ByteSpan NativeReader::get_raw(usize count, const char* field) {
    if (failed()) return {};
    if (bytes_.size() - position_ < count) {
        fail(std::string(field) + " is cut short");
        return {};
    }
    const ByteSpan view = bytes_.subspan(position_, count);
    position_ += count;
    return view;
}

Bytes NativeReader::get_bytes(const char* field) {
    const u32 length = get<u32>(field);
    const ByteSpan view = get_raw(length, field);
    return Bytes(view.begin(), view.end());
}

std::string NativeReader::get_string(const char* field) {
    const u32 length = get<u32>(field);
    const ByteSpan view = get_raw(length, field);
    std::string text(view.begin(), view.end());
    if (!failed()) {
        if (auto valid = sql::check_text(text); !valid) {
            fail(std::string(field) + ": " + valid.error().message);
            return {};
        }
    }
    return text;
}

std::optional<u64> NativeReader::get_optional_u64(const char* field) {
    if (!get_bool(field)) return std::nullopt;
    const u64 value = get<u64>(field);
    return failed() ? std::nullopt : std::optional<u64>(value);
}

usize NativeReader::get_count(usize min_element_bytes, const char* field) {
    const u32 count = get<u32>(field);
    if (failed()) return 0;
    const usize remaining = bytes_.size() - position_;
    if (min_element_bytes > 0 && count > remaining / min_element_bytes) {
        fail(std::string(field) + " announces " + std::to_string(count) +
             " elements, more than the message holds");
        return 0;
    }
    return count;
}

Value NativeReader::get_value(const char* field) {
    const u8 kind_byte = get<u8>(field);
    if (failed()) return Value::null();
    if (kind_byte > static_cast<u8>(kernel::kValueKindMax)) {
        fail(std::string(field) + " has unknown kind " + std::to_string(kind_byte));
        return Value::null();
    }
    switch (static_cast<ValueKind>(kind_byte)) {
        case ValueKind::null:
            return Value::null();
        case ValueKind::boolean:
            return Value::boolean(get_bool(field));
        case ValueKind::int16:
            return Value::int16(static_cast<i16>(get<u16>(field)));
        case ValueKind::int32:
            return Value::int32(get_i32(field));
        case ValueKind::int64:
            return Value::int64(get_i64(field));
        case ValueKind::float32:
            return Value::float32(std::bit_cast<float>(get<u32>(field)));
        case ValueKind::float64:
            return Value::float64(std::bit_cast<double>(get<u64>(field)));
        case ValueKind::numeric: {
            const std::string text = get_string(field);
            if (failed()) return Value::null();
            auto numeric = kernel::Numeric::parse(text);
            if (!numeric) {
                fail(std::string(field) + ": " + numeric.status().message());
                return Value::null();
            }
            return Value::numeric(std::move(*numeric));
        }
        case ValueKind::text:
            return Value::text(get_string(field));
        case ValueKind::bytea:
            return Value::bytea(get_bytes(field));
        case ValueKind::date:
            return Value::date(get_i32(field));
        case ValueKind::timestamp:
            return Value::timestamp(get_i64(field));
        case ValueKind::timestamptz:
            return Value::timestamptz(get_i64(field));
        case ValueKind::interval: {
            kernel::Interval interval;
            interval.months = get_i32(field);
            interval.days = get_i32(field);
            interval.microseconds = get_i64(field);
            return Value::interval(interval);
        }
        case ValueKind::uuid: {
            const ByteSpan raw = get_raw(16, field);
            kernel::Uuid uuid{};
            if (!failed()) std::copy(raw.begin(), raw.end(), uuid.begin());
            return Value::uuid(uuid);
        }
        case ValueKind::jsonb: {
            std::string json = get_string(field);
            if (!failed() && json.empty()) fail(std::string(field) + ": empty jsonb");
            return Value::jsonb(std::move(json));
        }
    }
    return Value::null();
}

}  // namespace kb::server
