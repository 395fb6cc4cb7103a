// Containers for key material: SecretKey<N> (fixed size, on the stack or inline in an object)
// and SecretBytes (variable size, on the heap).
//
// Their guarantees, which every holder of key bytes relies on:
//   * zeroized when destroyed, with OPENSSL_cleanse (a wipe the compiler may not elide);
//   * not copyable: a copy is a second place a key must later be wiped, so copies are spelled
//     out with clone();
//   * movable, and a moved-from container is zeroed (SecretKey) or empty (SecretBytes);
//   * never printed: no operator<<, to_string or formatter. The only printer is a redacting
//     PrintTo, so a failing test prints "SecretKey<32>{redacted}" instead of key bytes.
// Equality is constant time.
#pragma once

#include <array>
#include <iosfwd>
#include <memory>
#include <span>

#include "base/assert.h"
#include "base/bytes.h"
#include "base/ints.h"

namespace kb::crypto {

// Overwrites `size` bytes at `data` with zeros in a way the optimiser keeps.
void secure_zero(void* data, usize size);
inline void secure_zero(MutableByteSpan bytes) { secure_zero(bytes.data(), bytes.size()); }

// Constant-time comparison of two equally long buffers (CRYPTO_memcmp). The length is public.
bool secure_equal(const u8* a, const u8* b, usize size);

namespace detail {
void print_redacted(std::ostream* out, const char* what, usize size);
}  // namespace detail

template <usize N>
class SecretKey {
public:
    static constexpr usize kSize = N;

    SecretKey() = default;  // all zeros: a slot to fill with mutable_bytes()

    static SecretKey from_bytes(std::span<const u8, N> bytes) {
        SecretKey key;
        for (usize i = 0; i < N; ++i) key.bytes_[i] = bytes[i];
        return key;
    }

    SecretKey(const SecretKey&) = delete;
    SecretKey& operator=(const SecretKey&) = delete;
    SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) { other.wipe(); }
    SecretKey& operator=(SecretKey&& other) noexcept {
        if (this != &other) {
            bytes_ = other.bytes_;
            other.wipe();
        }
        return *this;
    }
    ~SecretKey() { wipe(); }

    // The deliberate copy: both copies must be wiped, which their destructors do.
    SecretKey clone() const { return from_bytes(bytes()); }

    std::span<const u8, N> bytes() const { return std::span<const u8, N>(bytes_); }
    std::span<u8, N> mutable_bytes() { return std::span<u8, N>(bytes_); }

    bool is_zero() const {
        u8 any = 0;
        for (u8 byte : bytes_) any = static_cast<u8>(any | byte);
        return any == 0;
    }

    friend bool operator==(const SecretKey& a, const SecretKey& b) {
        return secure_equal(a.bytes_.data(), b.bytes_.data(), N);
    }

    // GoogleTest's printer hook: redacts instead of dumping the object's bytes.
    friend void PrintTo(const SecretKey&, std::ostream* out) {
        detail::print_redacted(out, "SecretKey", N);
    }

private:
    void wipe() { secure_zero(bytes_.data(), N); }

    std::array<u8, N> bytes_{};
};

using Key256 = SecretKey<32>;

// Variable-length secret bytes (a wrapped key being unwrapped, a password, a key file image).
// The size is fixed at construction: there is no resize, which would leave an unwiped copy
// behind in the old allocation.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(usize size);  // zero-filled
    static SecretBytes from_bytes(ByteSpan bytes);

    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();

    SecretBytes clone() const { return from_bytes(bytes()); }

    ByteSpan bytes() const { return {data_.get(), size_}; }
    MutableByteSpan mutable_bytes() { return {data_.get(), size_}; }
    usize size() const { return size_; }
    bool empty() const { return size_ == 0; }

    friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
        return a.size_ == b.size_ && secure_equal(a.data_.get(), b.data_.get(), a.size_);
    }

    friend void PrintTo(const SecretBytes& secret, std::ostream* out) {
        detail::print_redacted(out, "SecretBytes", secret.size_);
    }

private:
    void wipe();

    std::unique_ptr<u8[]> data_;
    usize size_ = 0;
};

}  // namespace kb::crypto
