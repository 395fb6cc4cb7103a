// AlignedBuffer: heap memory aligned for O_DIRECT IO.
//
// O_DIRECT transfers DMA straight from the caller's memory, so the kernel insists that the
// buffer address, the file offset and the length are multiples of the device's logical block
// size. We use 4 KiB everywhere: it is a multiple of every logical block size in use (512 B and
// 4 KiB drives) and the store's page size, so one rule fits all devices.
#pragma once

#include <cstring>
#include <utility>

#include "base/bytes.h"
#include "base/ints.h"

namespace kb::io {

inline constexpr usize kDirectIoAlignment = 4096;

// True if an O_DIRECT transfer of `length` bytes at `offset` from/to `address` is allowed.
inline bool is_direct_io_aligned(const void* address, u64 offset, usize length) {
    return reinterpret_cast<uintptr_t>(address) % kDirectIoAlignment == 0 &&
           offset % kDirectIoAlignment == 0 && length % kDirectIoAlignment == 0;
}

// Rounds `value` up to a multiple of kDirectIoAlignment.
inline constexpr u64 round_up_to_direct_io(u64 value) {
    return (value + kDirectIoAlignment - 1) / kDirectIoAlignment * kDirectIoAlignment;
}

// A zero-filled, fixed-size byte buffer whose start is aligned to `alignment` (a power of two).
// Move-only; the memory is freed with the buffer.
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(usize size, usize alignment = kDirectIoAlignment);
    ~AlignedBuffer();
    AlignedBuffer(AlignedBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          alignment_(other.alignment_) {}
    AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;

    u8* data() { return data_; }
    const u8* data() const { return data_; }
    usize size() const { return size_; }
    MutableByteSpan span() { return {data_, size_}; }
    ByteSpan span() const { return {data_, size_}; }

private:
    void release();

    u8* data_ = nullptr;
    usize size_ = 0;
    usize alignment_ = kDirectIoAlignment;
};

}  // namespace kb::io
