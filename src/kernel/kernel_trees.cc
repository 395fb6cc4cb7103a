// Key and value layouts of the kernel's trees (see kernel_trees.h).
#include "kernel/kernel_trees.h"

#include <algorithm>

#include "base/endian.h"
#include "crypto/blake3.h"

namespace kb::kernel::trees {

std::array<u8, 8> be64(u64 value) {
    std::array<u8, 8> bytes;
    for (int i = 7; i >= 0; --i) {
        bytes[static_cast<usize>(i)] = static_cast<u8>(value);
        value >>= 8;
    }
    return bytes;
}

u64 load_be64(const u8* bytes) {
    u64 value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
    return value;
}

std::array<u8, 16> append_key(StreamId stream, Offset first) {
    std::array<u8, 16> key;
    const auto high = be64(stream.value());
    const auto low = be64(first.value());
    std::copy(high.begin(), high.end(), key.begin());
    std::copy(low.begin(), low.end(), key.begin() + 8);
    return key;
}

std::array<u8, kAppendValueSize> append_value(const StoredAppend& append) {
    std::array<u8, kAppendValueSize> value;
    store_le_u64(value.data(), append.position.value());
    store_le_u64(value.data() + 8, append.count);
    store_le_u64(value.data() + 16, append.bytes);
    const ByteSpan digest = append.digest.bytes();
    std::copy(digest.begin(), digest.end(), value.begin() + 24);
    return value;
}

Result<StoredAppend> parse_append_value(ByteSpan value, StreamId stream, Offset first) {
    const auto malformed = [&](const std::string& what) {
        return Status::corruption("stream " + std::to_string(stream.value()) +
                                  ": the append at offset " + std::to_string(first.value()) +
                                  " has " + what);
    };
    if (value.size() != kAppendValueSize) {
        return malformed("a value of " + std::to_string(value.size()) + " bytes");
    }
    StoredAppend append;
    append.position = Position(load_le_u64(value.data()));
    append.count = load_le_u64(value.data() + 8);
    append.bytes = load_le_u64(value.data() + 16);
    append.digest = InternalHash::from_bytes(value.subspan(24));
    if (append.count == 0) return malformed("no events");
    return append;
}

InternalHash events_digest(std::span<const Bytes> events) {
    static const crypto::Blake3 context =
        crypto::Blake3::derive_key("kimberlite 2026-11-29 append events digest");
    // Framed into one buffer first: BLAKE3 hashes a long input many chunks at a time in SIMD
    // lanes, where an update per event compresses block after block (100 events of 100 bytes:
    // 5.9 us framed, 14.6 us an update per event, measured 2026-11-29).
    thread_local Bytes framed;
    framed.clear();
    for (const Bytes& event : events) {
        u8 length[4];
        store_le_u32(length, static_cast<u32>(event.size()));
        framed.insert(framed.end(), length, length + 4);
        framed.insert(framed.end(), event.begin(), event.end());
    }
    InternalHash digest;
    context.finalize_with(framed, digest.mutable_bytes());
    if (framed.capacity() > 1 << 20) Bytes().swap(framed);  // keep no big buffer around
    return digest;
}

Result<Position> parse_timestamp_value(ByteSpan value) {
    if (value.size() != 8) {
        return Status::corruption("timestamp index: a value of " + std::to_string(value.size()) +
                                  " bytes");
    }
    return Position(load_le_u64(value.data()));
}

}  // namespace kb::kernel::trees
