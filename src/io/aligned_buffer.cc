// AlignedBuffer allocation through the aligned forms of operator new/delete.
#include "io/aligned_buffer.h"

#include <new>

#include "base/assert.h"

namespace kb::io {

AlignedBuffer::AlignedBuffer(usize size, usize alignment) : size_(size), alignment_(alignment) {
    KB_ASSERT(alignment > 0 && (alignment & (alignment - 1)) == 0);
    if (size == 0) return;
    // Allocation failure terminates (operator new throws and core code does not catch): running
    // out of memory for an IO buffer is not a state the database can continue from.
    data_ = static_cast<u8*>(::operator new(size, std::align_val_t(alignment)));
    std::memset(data_, 0, size);
}

AlignedBuffer::~AlignedBuffer() { release(); }

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        alignment_ = other.alignment_;
    }
    return *this;
}

void AlignedBuffer::release() {
    if (data_ != nullptr) ::operator delete(data_, std::align_val_t(alignment_));
    data_ = nullptr;
    size_ = 0;
}

}  // namespace kb::io
