// Key and value layouts of the kernel's trees (see kernel_trees.h).
#include "kernel/kernel_trees.h"

#include <algorithm>

#include "base/endian.h"

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

std::array<u8, 16> event_key(StreamId stream, Offset offset) {
    std::array<u8, 16> key;
    const auto high = be64(stream.value());
    const auto low = be64(offset.value());
    std::copy(high.begin(), high.end(), key.begin());
    std::copy(low.begin(), low.end(), key.begin() + 8);
    return key;
}

Bytes event_value(Position position, ByteSpan event) {
    Bytes value(8 + event.size());
    store_le_u64(value.data(), position.value());
    std::copy(event.begin(), event.end(), value.begin() + 8);
    return value;
}

Result<StoredEvent> parse_event_value(ByteSpan value, StreamId stream, Offset offset) {
    if (value.size() < 8) {
        return Status::corruption("event " + std::to_string(offset.value()) + " of stream " +
                                  std::to_string(stream.value()) + ": a value of " +
                                  std::to_string(value.size()) + " bytes");
    }
    return StoredEvent{Position(load_le_u64(value.data())), value.subspan(8)};
}

Result<Position> parse_timestamp_value(ByteSpan value) {
    if (value.size() != 8) {
        return Status::corruption("timestamp index: a value of " + std::to_string(value.size()) +
                                  " bytes");
    }
    return Position(load_le_u64(value.data()));
}

}  // namespace kb::kernel::trees
