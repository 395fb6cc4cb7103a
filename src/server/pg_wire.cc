// The wire protocol's byte reader and message writer (pg_wire.h).
#include "server/pg_wire.h"

#include <cstring>

#include "base/assert.h"

namespace kb::server {

u8 PgReader::get_u8() {
    const ByteSpan bytes = get_bytes(1);
    return bytes.empty() ? 0 : bytes[0];
}

i16 PgReader::get_i16() {
    const ByteSpan bytes = get_bytes(2);
    return bytes.empty() ? 0 : static_cast<i16>(load_be_u16(bytes.data()));
}

i32 PgReader::get_i32() {
    const ByteSpan bytes = get_bytes(4);
    return bytes.empty() ? 0 : static_cast<i32>(load_be_u32(bytes.data()));
}

i64 PgReader::get_i64() {
    const ByteSpan bytes = get_bytes(8);
    return bytes.empty() ? 0 : static_cast<i64>(load_be_u64(bytes.data()));
}

ByteSpan PgReader::get_bytes(usize count) {
    if (failed_ || remaining() < count) {
        failed_ = true;
        position_ = body_.size();
        return {};
    }
    const ByteSpan view = body_.subspan(position_, count);
    position_ += count;
    return view;
}

ByteSpan PgReader::get_rest() { return get_bytes(remaining()); }

std::string_view PgReader::get_cstring() {
    if (failed_ || remaining() == 0) {
        failed_ = true;
        return {};
    }
    const u8* start = body_.data() + position_;
    const void* nul = std::memchr(start, 0, remaining());
    if (nul == nullptr) {
        failed_ = true;
        position_ = body_.size();
        return {};
    }
    const usize length = static_cast<usize>(static_cast<const u8*>(nul) - start);
    position_ += length + 1;
    return {reinterpret_cast<const char*>(start), length};
}

PgMessageWriter::PgMessageWriter(Bytes& out, char type) : out_(out) {
    if (type != 0) out_.push_back(static_cast<u8>(type));
    length_at_ = out_.size();
    put_be_u32(out_, 0);
}

PgMessageWriter::~PgMessageWriter() { KB_ASSERT_MSG(finished_, "a wire message was not finished"); }

void PgMessageWriter::finish() {
    KB_ASSERT(!finished_);
    const usize length = out_.size() - length_at_;
    KB_ASSERT(length <= 0x7fffffffu);
    patch_be_u32(out_, length_at_, static_cast<u32>(length));
    finished_ = true;
}

}  // namespace kb::server
