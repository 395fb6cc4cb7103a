// Field-by-field binary encoding for the kernel's formats (see wire.h).
#include "kernel/wire.h"

#include "base/assert.h"
#include "base/endian.h"

namespace kb::kernel {

void WireWriter::u16(kb::u16 value) {
    kb::u8 buffer[2];
    store_le_u16(buffer, value);
    raw(buffer);
}

void WireWriter::u32(kb::u32 value) {
    kb::u8 buffer[4];
    store_le_u32(buffer, value);
    raw(buffer);
}

void WireWriter::u64(kb::u64 value) {
    kb::u8 buffer[8];
    store_le_u64(buffer, value);
    raw(buffer);
}

void WireWriter::bytes(ByteSpan value) {
    count(value.size());
    raw(value);
}

void WireWriter::raw(ByteSpan value) {
    if (measure_only_) {
        measured_ += value.size();
    } else {
        bytes_.insert(bytes_.end(), value.begin(), value.end());
    }
}

void WireWriter::count(usize count) {
    KB_ASSERT(count <= 0xffff'ffffu);
    u32(static_cast<kb::u32>(count));
}

bool WireReader::take_failed(usize size, std::string_view field) {
    if (!status_.is_ok()) return false;
    if (remaining() < size) {
        fail("truncated reading " + std::string(field) + " at byte " + std::to_string(offset_) +
             " (needs " + std::to_string(size) + ", " + std::to_string(remaining()) + " left)");
        return false;
    }
    return true;
}

kb::u8 WireReader::u8(std::string_view field) {
    if (!take(1, field)) return 0;
    return input_[offset_++];
}

kb::u16 WireReader::u16(std::string_view field) {
    if (!take(2, field)) return 0;
    kb::u16 value = load_le_u16(input_.data() + offset_);
    offset_ += 2;
    return value;
}

kb::u32 WireReader::u32(std::string_view field) {
    if (!take(4, field)) return 0;
    kb::u32 value = load_le_u32(input_.data() + offset_);
    offset_ += 4;
    return value;
}

kb::u64 WireReader::u64(std::string_view field) {
    if (!take(8, field)) return 0;
    kb::u64 value = load_le_u64(input_.data() + offset_);
    offset_ += 8;
    return value;
}

bool WireReader::boolean(std::string_view field) {
    usize at = offset_;
    kb::u8 value = u8(field);
    if (value > 1) {
        fail(std::string(field) + " at byte " + std::to_string(at) + " is " +
             std::to_string(value) + ", not a bool (0 or 1)");
        return false;
    }
    return value == 1;
}

ByteSpan WireReader::raw(usize size, std::string_view field) {
    if (!take(size, field)) return {};
    ByteSpan view = input_.subspan(offset_, size);
    offset_ += size;
    return view;
}

Bytes WireReader::bytes(std::string_view field) {
    kb::u32 size = u32(field);
    ByteSpan view = raw(size, field);
    return Bytes(view.begin(), view.end());
}

std::string WireReader::string(std::string_view field) {
    kb::u32 size = u32(field);
    return std::string(as_chars(raw(size, field)));
}

usize WireReader::count(std::string_view field, usize min_item_bytes) {
    KB_ASSERT(min_item_bytes >= 1);
    usize at = offset_;
    kb::u32 count = u32(field);
    if (!status_.is_ok()) return 0;
    if (count > remaining() / min_item_bytes) {
        fail(std::string(field) + " at byte " + std::to_string(at) + " counts " +
             std::to_string(count) + " items but only " + std::to_string(remaining()) +
             " bytes remain");
        return 0;
    }
    return count;
}

void WireReader::fail(std::string message) {
    if (status_.is_ok()) status_ = Status::corruption(what_ + ": " + std::move(message));
}

Status WireReader::finish() {
    if (status_.is_ok() && remaining() != 0) {
        fail(std::to_string(remaining()) + " unexpected bytes after the end at byte " +
             std::to_string(offset_));
    }
    return status_;
}

}  // namespace kb::kernel
