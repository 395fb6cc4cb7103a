// The native protocol's prefaces and frames (native_frame.h, docs/PROTOCOL.md §1-2).
#include "server/native_frame.h"

#include <algorithm>
#include <array>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::server {
namespace {

constexpr std::array<u8, 4> kMagic{0x4B, 0x4D, 0x42, 0x4E};  // "KMBN"
static_assert(kMagic[0] == kNativeMagicFirstByte);

// Header layout (docs/PROTOCOL.md §2).
constexpr usize kChecksumAt = 0;
constexpr usize kLengthAt = 4;
constexpr usize kRequestIdAt = 8;
constexpr usize kTypeAt = 16;
constexpr usize kFlagsAt = 18;
constexpr usize kReservedAt = 20;
constexpr u16 kKnownFlags = kNativeFlagMore;

}  // namespace

void encode_native_preface(Bytes& out, NativeVersion version) {
    const usize at = out.size();
    out.resize(at + kNativePrefaceBytes);
    LeWriter writer(MutableByteSpan(out).subspan(at));
    writer.put_bytes(kMagic);
    writer.put(version.major);
    writer.put(version.minor);
}

Result<NativeVersion> decode_native_preface(ByteSpan bytes) {
    KB_ASSERT(bytes.size() == kNativePrefaceBytes);
    if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
        return Status::invalid_argument("not a Kimberlite native protocol preface (magic " +
                                        to_hex(bytes.first(4)) + ", expected 4b4d424e)");
    }
    return NativeVersion{load_le_u16(bytes.data() + 4), load_le_u16(bytes.data() + 6)};
}

NativeVersion negotiate_native_version(NativeVersion client, NativeVersion ours) {
    if (client.major != ours.major) return ours;
    return NativeVersion{ours.major, std::min(client.minor, ours.minor)};
}

void encode_native_frame(Bytes& out, const NativeFrameHeader& header, ByteSpan body) {
    KB_ASSERT(body.size() <= kNativeFrameBodyMax);
    const usize at = out.size();
    out.resize(at + kNativeFrameHeaderBytes + body.size());
    u8* frame = out.data() + at;
    store_le_u32(frame + kLengthAt, static_cast<u32>(body.size()));
    store_le_u64(frame + kRequestIdAt, header.request_id);
    store_le_u16(frame + kTypeAt, header.type);
    store_le_u16(frame + kFlagsAt, header.flags);
    store_le_u32(frame + kReservedAt, 0);
    if (!body.empty()) std::copy(body.begin(), body.end(), frame + kNativeFrameHeaderBytes);
    const ByteSpan covered(frame + kLengthAt, kNativeFrameHeaderBytes - kLengthAt + body.size());
    store_le_u32(frame + kChecksumAt, crypto::crc32c(covered));
}

void NativeFramer::feed(ByteSpan bytes) {
    // Drop what was returned already before growing, so the buffer holds at most one partial
    // frame plus the new chunk (the previous frame's view dies here, as documented).
    if (start_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Status NativeFramer::fail(std::string message) {
    error_ = Status::invalid_argument(std::move(message));
    return *error_;
}

Result<std::optional<NativeFrame>> NativeFramer::next() {
    if (error_) return *error_;
    const usize available = buffer_.size() - start_;
    if (available < kNativeFrameHeaderBytes) return std::optional<NativeFrame>();
    const u8* frame = buffer_.data() + start_;
    const u32 length = load_le_u32(frame + kLengthAt);
    const u16 flags = load_le_u16(frame + kFlagsAt);
    if (length > max_body_bytes_) {
        return fail("frame body of " + std::to_string(length) + " bytes exceeds the maximum of " +
                    std::to_string(max_body_bytes_));
    }
    if ((flags & ~kKnownFlags) != 0) {
        return fail("frame flags 0x" + to_hex(ByteSpan(frame + kFlagsAt, 2)) +
                    " have unknown bits");
    }
    if (load_le_u32(frame + kReservedAt) != 0) return fail("frame reserved field is not zero");
    if (available - kNativeFrameHeaderBytes < length) return std::optional<NativeFrame>();

    const ByteSpan covered(frame + kLengthAt, kNativeFrameHeaderBytes - kLengthAt + length);
    const u32 expected = load_le_u32(frame + kChecksumAt);
    if (const u32 actual = crypto::crc32c(covered); actual != expected) {
        return fail("frame checksum mismatch (request id " +
                    std::to_string(load_le_u64(frame + kRequestIdAt)) + ")");
    }
    NativeFrame result;
    result.header.request_id = load_le_u64(frame + kRequestIdAt);
    result.header.type = load_le_u16(frame + kTypeAt);
    result.header.flags = flags;
    result.body = ByteSpan(frame + kNativeFrameHeaderBytes, length);
    start_ += kNativeFrameHeaderBytes + length;
    return std::optional<NativeFrame>(result);
}

}  // namespace kb::server
