// NativeWriter and NativeReader: the native protocol's field encodings (docs/PROTOCOL.md,
// "Conventions"): little-endian integers, `bytes` and `string` with a u32 length, `opt<T>` with
// a presence byte, `list<T>` with a u32 count, and SQL values tagged with their kind.
//
// The reader takes untrusted bytes: it never reads past the end, never allocates more than the
// bytes in front of it could hold, and turns the first problem into a sticky failure with a
// message saying what was wrong and where, which the message decoder reports.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/endian.h"
#include "base/ints.h"
#include "kernel/value.h"

namespace kb::server {

class NativeWriter {
public:
    explicit NativeWriter(Bytes& out) : out_(out) {}

    template <std::unsigned_integral T>
    void put(T value) {
        const usize at = out_.size();
        out_.resize(at + sizeof(T));
        store_le<T>(out_.data() + at, value);
    }
    void put_i32(i32 value) { put(static_cast<u32>(value)); }
    void put_i64(i64 value) { put(static_cast<u64>(value)); }
    void put_bool(bool value) { put(u8{value ? u8{1} : u8{0}}); }
    void put_raw(ByteSpan bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
    void put_bytes(ByteSpan bytes);
    void put_string(std::string_view text) { put_bytes(as_bytes(text)); }
    void put_optional_u64(const std::optional<u64>& value);
    void put_count(usize count);  // a list's u32 count (KB_ASSERT: senders bound their lists)
    void put_value(const kernel::Value& value);

private:
    Bytes& out_;
};

class NativeReader {
public:
    explicit NativeReader(ByteSpan bytes) : bytes_(bytes) {}

    template <std::unsigned_integral T>
    T get(const char* field) {
        if (failed()) return 0;
        if (bytes_.size() - position_ < sizeof(T)) {
            fail(std::string(field) + " is cut short");
            return 0;
        }
        const T value = load_le<T>(bytes_.data() + position_);
        position_ += sizeof(T);
        return value;
    }
    i32 get_i32(const char* field) { return static_cast<i32>(get<u32>(field)); }
    i64 get_i64(const char* field) { return static_cast<i64>(get<u64>(field)); }
    bool get_bool(const char* field);
    // Exactly `count` bytes, as a view into the input.
    ByteSpan get_raw(usize count, const char* field);
    Bytes get_bytes(const char* field);
    std::string get_string(const char* field);  // valid UTF-8 without NUL
    std::optional<u64> get_optional_u64(const char* field);
    // A list's count, refused when the remaining bytes cannot hold `count` elements of at
    // least `min_element_bytes` each (so a hostile count never drives an allocation).
    usize get_count(usize min_element_bytes, const char* field);
    kernel::Value get_value(const char* field);

    // Records the first problem; later reads yield zeros and empties.
    void fail(std::string message);
    bool failed() const { return error_.has_value(); }
    // The first problem, or, when the reader has not consumed every byte, "trailing bytes".
    std::optional<std::string> finish() const;

private:
    ByteSpan bytes_;
    usize position_ = 0;
    std::optional<std::string> error_;
};

}  // namespace kb::server
