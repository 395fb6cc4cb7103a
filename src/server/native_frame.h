// The native protocol's prefaces and frames (docs/PROTOCOL.md §1-2): encoding, version
// negotiation, and a framer that cuts a byte stream into checked frames.
//
// Bytes arrive in arbitrary chunks; NativeFramer::feed() appends them and next() returns each
// complete frame in order. The header is checked before the body is buffered: a length above
// the connection's maximum, a non-zero reserved field or unknown flag bits end the stream at
// once, so a hostile header never makes the framer allocate. A checksum mismatch is found once
// the body is in. Every framing error is sticky: after one there is no way to find the next
// frame boundary, and the connection must close.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"

namespace kb::server {

// --- prefaces (§1) ----------------------------------------------------------------------------

inline constexpr usize kNativePrefaceBytes = 8;
// The first byte of the magic `KMBN`; a PostgreSQL startup message starts with 0x00.
inline constexpr u8 kNativeMagicFirstByte = 0x4B;

struct NativeVersion {
    u16 major = 0;
    u16 minor = 0;
    friend bool operator==(const NativeVersion&, const NativeVersion&) = default;
};

// The version this build speaks.
inline constexpr NativeVersion kNativeVersion{1, 0};

void encode_native_preface(Bytes& out, NativeVersion version);
// The version a preface announces; invalid_argument when the magic is wrong. `bytes` must hold
// exactly kNativePrefaceBytes.
Result<NativeVersion> decode_native_preface(ByteSpan bytes);

// The version a server speaking `ours` answers a client's preface with: the client's major
// version with the smaller minor version when the majors agree; otherwise `ours` (the server
// then closes the connection, and the client reports both versions).
NativeVersion negotiate_native_version(NativeVersion client, NativeVersion ours);

// --- frames (§2) ------------------------------------------------------------------------------

inline constexpr usize kNativeFrameHeaderBytes = 24;
// The largest frame body before the handshake lowers it (16 MiB).
inline constexpr u32 kNativeFrameBodyMax = u32{16} << 20;
// Flag bit 0: further frames answer the same request.
inline constexpr u16 kNativeFlagMore = 0x0001;

struct NativeFrameHeader {
    u64 request_id = 0;
    u16 type = 0;
    u16 flags = 0;
};

// Appends one frame (header, then `body`) to `out`. `body` must be at most
// kNativeFrameBodyMax bytes (KB_ASSERT: senders size their messages).
void encode_native_frame(Bytes& out, const NativeFrameHeader& header, ByteSpan body);

struct NativeFrame {
    NativeFrameHeader header;
    ByteSpan body;  // valid until the next feed() or next()
};

class NativeFramer {
public:
    explicit NativeFramer(u32 max_body_bytes = kNativeFrameBodyMax)
        : max_body_bytes_(max_body_bytes) {}

    void feed(ByteSpan bytes);
    // The next whole frame, nullopt when more bytes are needed, or the sticky framing error
    // (invalid_argument, with a message naming what was wrong).
    Result<std::optional<NativeFrame>> next();

    // The largest frame body accepted from now on (the handshake's `max_frame_body`).
    void set_max_body_bytes(u32 max_body_bytes) { max_body_bytes_ = max_body_bytes; }
    u32 max_body_bytes() const { return max_body_bytes_; }
    // Bytes received but not yet returned as frames.
    usize buffered_bytes() const { return buffer_.size() - start_; }

private:
    Status fail(std::string message);

    Bytes buffer_;
    usize start_ = 0;  // the first byte not yet returned
    u32 max_body_bytes_;
    std::optional<Status> error_;
};

}  // namespace kb::server
