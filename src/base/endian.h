// Explicit little-endian encoding of fixed-width integers.
//
// Every on-disk and wire format is encoded field by field through these helpers, so a format
// never depends on struct layout, padding or host byte order. They compile to single moves on
// x86-64 (memcpy of a known size).
#pragma once

#include <bit>
#include <concepts>
#include <cstring>
#include <span>

#include "base/assert.h"
#include "base/ints.h"

namespace kb {

static_assert(std::endian::native == std::endian::little ||
              std::endian::native == std::endian::big);

template <std::unsigned_integral T>
constexpr T byteswap_if_big_endian(T value) {
    if constexpr (std::endian::native == std::endian::little || sizeof(T) == 1) {
        return value;
    } else {
        T swapped = 0;
        for (usize i = 0; i < sizeof(T); ++i) {
            swapped = static_cast<T>((swapped << 8) | ((value >> (8 * i)) & 0xff));
        }
        return swapped;
    }
}

// Writes sizeof(T) bytes at `out`.
template <std::unsigned_integral T>
inline void store_le(u8* out, T value) {
    value = byteswap_if_big_endian(value);
    std::memcpy(out, &value, sizeof(T));
}

// Reads sizeof(T) bytes at `in`.
template <std::unsigned_integral T>
inline T load_le(const u8* in) {
    T value;
    std::memcpy(&value, in, sizeof(T));
    return byteswap_if_big_endian(value);
}

inline void store_le_u16(u8* out, u16 v) { store_le<u16>(out, v); }
inline void store_le_u32(u8* out, u32 v) { store_le<u32>(out, v); }
inline void store_le_u64(u8* out, u64 v) { store_le<u64>(out, v); }
inline u16 load_le_u16(const u8* in) { return load_le<u16>(in); }
inline u32 load_le_u32(const u8* in) { return load_le<u32>(in); }
inline u64 load_le_u64(const u8* in) { return load_le<u64>(in); }

// Appends fields to a caller-owned buffer in order; asserts it never writes past the end
// (buffer sizes of formats are constants, so overflowing one is a programmer error).
class LeWriter {
public:
    explicit LeWriter(std::span<u8> buffer) : buffer_(buffer) {}

    template <std::unsigned_integral T>
    void put(T value) {
        KB_ASSERT(buffer_.size() - position_ >= sizeof(T));
        store_le<T>(buffer_.data() + position_, value);
        position_ += sizeof(T);
    }
    void put_bytes(std::span<const u8> bytes) {
        KB_ASSERT(buffer_.size() - position_ >= bytes.size());
        if (!bytes.empty()) {
            std::memcpy(buffer_.data() + position_, bytes.data(), bytes.size());
        }
        position_ += bytes.size();
    }
    void put_zeros(usize count) {
        KB_ASSERT(buffer_.size() - position_ >= count);
        std::memset(buffer_.data() + position_, 0, count);
        position_ += count;
    }
    usize position() const { return position_; }
    usize remaining() const { return buffer_.size() - position_; }

private:
    std::span<u8> buffer_;
    usize position_ = 0;
};

// Reads fields in order from untrusted bytes. Reading past the end does not crash: it sets
// a sticky failure flag and yields zeros, so a decoder checks `ok()` once at the end and
// reports the input as truncated.
class LeReader {
public:
    explicit LeReader(std::span<const u8> bytes) : bytes_(bytes) {}

    template <std::unsigned_integral T>
    T get() {
        if (bytes_.size() - position_ < sizeof(T)) {
            failed_ = true;
            position_ = bytes_.size();
            return 0;
        }
        T value = load_le<T>(bytes_.data() + position_);
        position_ += sizeof(T);
        return value;
    }
    // A view of the next `count` bytes (empty and failed when fewer remain).
    std::span<const u8> get_bytes(usize count) {
        if (bytes_.size() - position_ < count) {
            failed_ = true;
            position_ = bytes_.size();
            return {};
        }
        auto view = bytes_.subspan(position_, count);
        position_ += count;
        return view;
    }
    bool ok() const { return !failed_; }
    usize position() const { return position_; }
    usize remaining() const { return bytes_.size() - position_; }

private:
    std::span<const u8> bytes_;
    usize position_ = 0;
    bool failed_ = false;
};

}  // namespace kb
