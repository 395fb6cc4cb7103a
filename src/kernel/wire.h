// Field-by-field binary encoding shared by the kernel's formats (ops, catalog objects).
//
// Every integer is fixed-width little-endian; byte strings, strings and lists are a u32 count
// followed by their contents. There are no varints, no padding and no optional encodings of
// the same value, so every value has exactly one encoding: decoders refuse anything else
// (a bool that is not 0 or 1, an unknown enum, bytes left over), and a decoded value always
// re-encodes to the bytes it came from. The fuzz targets check exactly that.
//
// WireReader reads untrusted bytes. It never reads out of bounds and never allocates more than
// the input could describe: a count is checked against the bytes that remain before anything
// is reserved. The first problem is kept (with the field name and byte offset) and later reads
// yield zeros, so a decoder reads straight through and checks `status()` at the end.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"

namespace kb::kernel {

class WireWriter {
public:
    WireWriter() = default;
    // A writer that only counts: size() is what the bytes would be, nothing is stored.
    static WireWriter measuring() {
        WireWriter writer;
        writer.measure_only_ = true;
        return writer;
    }

    void reserve(usize size) { bytes_.reserve(size); }
    void u8(kb::u8 value) { raw(ByteSpan(&value, 1)); }
    void u16(kb::u16 value);
    void u32(kb::u32 value);
    void u64(kb::u64 value);
    void i64(kb::i64 value) { u64(static_cast<kb::u64>(value)); }
    void boolean(bool value) { u8(value ? 1 : 0); }
    // u32 length, then the bytes. Sizes beyond u32 are a programmer error: callers cap op
    // sizes far below 4 GiB before encoding.
    void bytes(ByteSpan value);
    void string(std::string_view value) { bytes(as_bytes(value)); }
    void raw(ByteSpan value);  // no length: fixed-size fields
    // u32 count of a list that follows.
    void count(usize count);

    usize size() const { return measure_only_ ? measured_ : bytes_.size(); }
    Bytes take() { return std::move(bytes_); }

private:
    Bytes bytes_;
    bool measure_only_ = false;
    usize measured_ = 0;
};

class WireReader {
public:
    // `what` names the thing decoded in error messages ("op", "table 7").
    WireReader(ByteSpan input, std::string_view what) : input_(input), what_(what) {}

    kb::u8 u8(std::string_view field);
    kb::u16 u16(std::string_view field);
    kb::u32 u32(std::string_view field);
    kb::u64 u64(std::string_view field);
    kb::i64 i64(std::string_view field) { return static_cast<kb::i64>(u64(field)); }
    bool boolean(std::string_view field);  // refuses bytes other than 0 and 1
    Bytes bytes(std::string_view field);
    std::string string(std::string_view field);
    ByteSpan raw(usize size, std::string_view field);  // a view of the next `size` bytes
    // A list count, refused when `count * min_item_bytes` exceeds what remains (so a forged
    // count cannot make the decoder reserve gigabytes). min_item_bytes >= 1.
    usize count(std::string_view field, usize min_item_bytes);

    // Records a semantic problem ("unknown op kind 9") unless one is already recorded.
    void fail(std::string message);

    bool ok() const { return status_.is_ok(); }
    usize offset() const { return offset_; }
    usize remaining() const { return input_.size() - offset_; }

    // The first problem, or corruption when bytes remain unread, or ok.
    Status finish();
    // The first problem so far (ok if none); does not check for trailing bytes.
    const Status& status() const { return status_; }

private:
    // Whether `size` more bytes can be read (inline: every field of every row decoded asks).
    bool take(usize size, std::string_view field) {
        if (status_.is_ok() && size <= input_.size() - offset_) [[likely]] {
            return true;
        }
        return take_failed(size, field);
    }
    bool take_failed(usize size, std::string_view field);

    ByteSpan input_;
    std::string what_;
    usize offset_ = 0;
    Status status_;
};

}  // namespace kb::kernel
