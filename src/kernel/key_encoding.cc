// Order-preserving key encoding (see key_encoding.h for the layout and the argument).
#include "kernel/key_encoding.h"

#include <bit>
#include <cmath>
#include <limits>

#include "base/assert.h"
#include "types/limits.h"

namespace kb::kernel {
namespace {

constexpr u8 kValueMarker = 0x01;
constexpr u8 kNullLowMarker = 0x00;
constexpr u8 kNullHighMarker = 0x02;
constexpr u8 kEscape = 0x00;
constexpr u8 kEscapedZero = 0xff;
constexpr u8 kTerminator = 0x01;
constexpr u64 kCanonicalNanBits = 0x7ff8'0000'0000'0000ULL;
constexpr usize kUuidSize = 16;

// Bytes of the fixed-width encodings; 0 for the variable-length ones.
usize fixed_width(KeyType type) {
    switch (type) {
        case KeyType::boolean:
        case KeyType::int8:
        case KeyType::uint8:
            return 1;
        case KeyType::int16:
        case KeyType::uint16:
            return 2;
        case KeyType::int32:
        case KeyType::uint32:
        case KeyType::date:
            return 4;
        case KeyType::int64:
        case KeyType::uint64:
        case KeyType::float64:
        case KeyType::timestamp:
            return 8;
        case KeyType::uuid:
        case KeyType::interval:
            return kUuidSize;
        case KeyType::text:
        case KeyType::bytes:
        case KeyType::numeric:
            return 0;
    }
    KB_UNREACHABLE();
}

constexpr u8 kNumericTerminator = 0x00;

// The length of the numeric key form at the start of `bytes` (numeric_key_value's layout),
// or 0 when it is not exactly such a form. `next` yields the bytes in ascending form.
template <class Next>
usize numeric_key_length(Next&& next) {
    u8 key_class = 0;
    if (!next(&key_class)) return 0;
    if (key_class < static_cast<u8>(NumericKeyClass::negative_infinity) ||
        key_class > static_cast<u8>(NumericKeyClass::nan)) {
        return 0;
    }
    if (key_class != static_cast<u8>(NumericKeyClass::negative) &&
        key_class != static_cast<u8>(NumericKeyClass::positive)) {
        return 1;
    }
    const u8 mask = key_class == static_cast<u8>(NumericKeyClass::negative) ? 0xff : 0x00;
    usize length = 1;
    for (int i = 0; i < 4; ++i) {
        u8 byte = 0;
        if (!next(&byte)) return 0;
        ++length;
    }
    u8 previous = 0;
    usize digits = 0;
    for (;;) {
        u8 byte = 0;
        if (!next(&byte)) return 0;
        ++length;
        byte = static_cast<u8>(byte ^ mask);
        if (byte == kNumericTerminator) break;
        if (byte > 10 || (digits == 0 && byte == 1)) return 0;  // not a digit; a leading 0
        previous = byte;
        ++digits;
    }
    if (digits == 0 || previous == 1) return 0;  // no digits; a trailing 0
    return length;
}

bool numeric_key_well_formed(std::string_view bytes) {
    usize at = 0;
    const usize length = numeric_key_length([&](u8* byte) {
        if (at >= bytes.size()) return false;
        *byte = static_cast<u8>(bytes[at++]);
        return true;
    });
    return length != 0 && length == bytes.size();
}

bool is_signed(KeyType type) {
    return type == KeyType::int8 || type == KeyType::int16 || type == KeyType::int32 ||
           type == KeyType::int64 || type == KeyType::timestamp || type == KeyType::date;
}

bool is_unsigned(KeyType type) {
    return type == KeyType::uint8 || type == KeyType::uint16 || type == KeyType::uint32 ||
           type == KeyType::uint64;
}

void put_big_endian(u64 value, usize width, Bytes* out) {
    for (usize i = width; i > 0; --i) {
        out->push_back(static_cast<u8>(value >> (8 * (i - 1))));
    }
}

u64 float_order_bits(double value) {
    u64 bits;
    if (std::isnan(value)) {
        bits = kCanonicalNanBits;
    } else if (value == 0.0) {
        bits = 0;  // -0 and +0 are one value
    } else {
        bits = std::bit_cast<u64>(value);
    }
    return (bits >> 63) != 0 ? ~bits : bits ^ (u64{1} << 63);
}

void put_escaped(std::string_view text, Bytes* out) {
    for (char c : text) {
        u8 byte = static_cast<u8>(c);
        out->push_back(byte);
        if (byte == kEscape) out->push_back(kEscapedZero);
    }
    out->push_back(kEscape);
    out->push_back(kTerminator);
}

// Reads one column in its ascending form, undoing the inversion of descending columns.
class ColumnReader {
public:
    ColumnReader(ByteSpan key, usize offset, bool inverted)
        : key_(key), offset_(offset), mask_(inverted ? 0xff : 0x00) {}

    bool next(u8* byte) {
        if (offset_ >= key_.size()) return false;
        *byte = static_cast<u8>(key_[offset_++] ^ mask_);
        return true;
    }
    usize offset() const { return offset_; }

private:
    ByteSpan key_;
    usize offset_;
    u8 mask_;
};

Status column_error(usize column, usize offset, std::string_view what) {
    return Status::corruption("key column " + std::to_string(column) + " at byte " +
                              std::to_string(offset) + ": " + std::string(what));
}

}  // namespace

std::string interval_key_value(i32 months, i32 days, i64 microseconds) {
    constexpr __int128 kMicrosecondsPerDay = 86'400'000'000;
    const __int128 span = (__int128{months} * 30 + days) * kMicrosecondsPerDay + microseconds;
    const auto bits =
        static_cast<unsigned __int128>(span) ^ (static_cast<unsigned __int128>(1) << 127);
    std::string out;
    for (int shift = 120; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>(static_cast<u8>(bits >> shift)));
    }
    return out;
}

std::string numeric_key_value(NumericKeyClass key_class, std::string_view digits, i32 exponent) {
    std::string out(1, static_cast<char>(key_class));
    if (key_class != NumericKeyClass::negative && key_class != NumericKeyClass::positive) {
        return out;
    }
    KB_ASSERT(!digits.empty() && digits.front() != '0' && digits.back() != '0');
    const u8 mask = key_class == NumericKeyClass::negative ? 0xff : 0x00;
    const u32 biased = static_cast<u32>(exponent) ^ (u32{1} << 31);
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>(static_cast<u8>(biased >> shift) ^ mask));
    }
    for (char digit : digits) {
        KB_ASSERT(digit >= '0' && digit <= '9');
        out.push_back(static_cast<char>(static_cast<u8>(digit - '0' + 1) ^ mask));
    }
    out.push_back(static_cast<char>(kNumericTerminator ^ mask));
    return out;
}

bool key_value_fits(KeyType type, const KeyValue& value) {
    if (std::holds_alternative<KeyNull>(value)) return true;
    switch (type) {
        case KeyType::boolean:
            return std::holds_alternative<bool>(value);
        case KeyType::float64:
            return std::holds_alternative<double>(value);
        case KeyType::text:
        case KeyType::bytes:
            return std::holds_alternative<std::string>(value);
        case KeyType::uuid:
        case KeyType::interval:
            return std::holds_alternative<std::string>(value) &&
                   std::get<std::string>(value).size() == kUuidSize;
        case KeyType::numeric:
            return std::holds_alternative<std::string>(value) &&
                   numeric_key_well_formed(std::get<std::string>(value));
        default:
            break;
    }
    usize bits = 8 * fixed_width(type);
    if (is_signed(type)) {
        if (!std::holds_alternative<i64>(value)) return false;
        if (bits == 64) return true;
        i64 v = std::get<i64>(value);
        i64 limit = i64{1} << (bits - 1);
        return v >= -limit && v < limit;
    }
    KB_ASSERT(is_unsigned(type));
    if (!std::holds_alternative<u64>(value)) return false;
    return bits == 64 || std::get<u64>(value) < (u64{1} << bits);
}

void encode_key_column(const KeyColumn& column, const KeyValue& value, Bytes* out) {
    KB_ASSERT(key_value_fits(column.type, value));
    usize start = out->size();
    if (std::holds_alternative<KeyNull>(value)) {
        // Ascending form: NULL below values iff it must end up first after any inversion.
        out->push_back(column.nulls_first() != column.descending ? kNullLowMarker
                                                                 : kNullHighMarker);
    } else {
        out->push_back(kValueMarker);
        const usize width = fixed_width(column.type);
        switch (column.type) {
            case KeyType::boolean:
                out->push_back(std::get<bool>(value) ? 1 : 0);
                break;
            case KeyType::float64:
                put_big_endian(float_order_bits(std::get<double>(value)), 8, out);
                break;
            case KeyType::text:
            case KeyType::bytes:
                put_escaped(std::get<std::string>(value), out);
                break;
            case KeyType::uuid:
            case KeyType::interval:
            case KeyType::numeric: {  // interval, numeric: already in their key form
                const std::string& bytes = std::get<std::string>(value);
                out->insert(out->end(), bytes.begin(), bytes.end());
                break;
            }
            default:
                if (is_signed(column.type)) {
                    u64 sign_bit = u64{1} << (8 * width - 1);
                    u64 bits = static_cast<u64>(std::get<i64>(value)) ^ sign_bit;
                    put_big_endian(bits, width, out);
                } else {
                    put_big_endian(std::get<u64>(value), width, out);
                }
                break;
        }
    }
    if (column.descending) {
        for (usize i = start; i < out->size(); ++i) (*out)[i] = static_cast<u8>(~(*out)[i]);
    }
}

Result<Bytes> encode_key(std::span<const KeyColumn> columns, std::span<const KeyValue> values) {
    KB_ASSERT(columns.size() == values.size());
    Bytes out;
    for (usize i = 0; i < columns.size(); ++i) encode_key_column(columns[i], values[i], &out);
    if (out.size() > limits::kKeySizeBytesMax) {
        return Status::out_of_range("key of " + std::to_string(out.size()) +
                                    " encoded bytes exceeds the limit of " +
                                    std::to_string(limits::kKeySizeBytesMax));
    }
    return out;
}

Result<std::vector<KeyValue>> decode_key(std::span<const KeyColumn> columns, ByteSpan key) {
    std::vector<KeyValue> values;
    values.reserve(columns.size());
    usize offset = 0;
    for (usize index = 0; index < columns.size(); ++index) {
        const KeyColumn& column = columns[index];
        ColumnReader reader(key, offset, column.descending);
        u8 marker = 0;
        if (!reader.next(&marker)) return column_error(index, offset, "truncated");
        const u8 null_marker =
            column.nulls_first() != column.descending ? kNullLowMarker : kNullHighMarker;
        if (marker == null_marker) {
            values.emplace_back(KeyNull{});
            offset = reader.offset();
            continue;
        }
        if (marker != kValueMarker) return column_error(index, offset, "bad marker byte");

        if (column.type == KeyType::numeric) {
            std::string bytes;
            const usize length = numeric_key_length([&](u8* byte) {
                if (!reader.next(byte)) return false;
                bytes.push_back(static_cast<char>(*byte));
                return true;
            });
            if (length == 0) return column_error(index, offset, "malformed numeric");
            values.emplace_back(std::move(bytes));
            offset = reader.offset();
            continue;
        }
        const usize width = fixed_width(column.type);
        if (width == 0) {  // text or bytes: escaped, terminated
            std::string text;
            while (true) {
                u8 byte = 0;
                if (!reader.next(&byte)) return column_error(index, offset, "unterminated");
                if (byte != kEscape) {
                    text.push_back(static_cast<char>(byte));
                    continue;
                }
                u8 follow = 0;
                if (!reader.next(&follow)) return column_error(index, offset, "unterminated");
                if (follow == kTerminator) break;
                if (follow != kEscapedZero) return column_error(index, offset, "bad escape");
                text.push_back('\0');
            }
            values.emplace_back(std::move(text));
            offset = reader.offset();
            continue;
        }

        u8 raw[kUuidSize];
        for (usize i = 0; i < width; ++i) {
            if (!reader.next(&raw[i])) return column_error(index, offset, "truncated");
        }
        u64 bits = 0;
        for (usize i = 0; i < width && i < 8; ++i) bits = (bits << 8) | raw[i];
        switch (column.type) {
            case KeyType::boolean:
                if (bits > 1) return column_error(index, offset, "bool is not 0 or 1");
                values.emplace_back(bits == 1);
                break;
            case KeyType::float64: {
                u64 ieee = (bits >> 63) != 0 ? bits ^ (u64{1} << 63) : ~bits;
                double number = std::bit_cast<double>(ieee);
                if (float_order_bits(number) != bits) {
                    return column_error(index, offset, "non-canonical float (-0 or a NaN)");
                }
                values.emplace_back(number);
                break;
            }
            case KeyType::uuid:
            case KeyType::interval:
                values.emplace_back(std::string(reinterpret_cast<const char*>(raw), kUuidSize));
                break;
            default:
                if (is_signed(column.type)) {
                    // Undo the flipped sign bit, then sign-extend from the column's width.
                    const usize shift = 64 - 8 * width;
                    u64 twos = bits ^ (u64{1} << (8 * width - 1));
                    values.emplace_back(static_cast<i64>(twos << shift) >> shift);
                } else {
                    values.emplace_back(bits);
                }
                break;
        }
        offset = reader.offset();
    }
    if (offset != key.size()) {
        return Status::corruption("key: " + std::to_string(key.size() - offset) +
                                  " bytes after the last column");
    }
    return values;
}

Bytes prefix_end(ByteSpan prefix) {
    Bytes end(prefix.begin(), prefix.end());
    while (!end.empty() && end.back() == 0xff) end.pop_back();
    if (!end.empty()) ++end.back();
    return end;
}

}  // namespace kb::kernel
