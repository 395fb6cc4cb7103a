// Byte views and small helpers shared by every subsystem.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ints.h"

namespace kb {

using ByteSpan = std::span<const u8>;
using MutableByteSpan = std::span<u8>;
using Bytes = std::vector<u8>;

inline ByteSpan as_bytes(std::string_view text) {
    return {reinterpret_cast<const u8*>(text.data()), text.size()};
}

inline std::string_view as_chars(ByteSpan bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Lowercase hex, two characters per byte.
std::string to_hex(ByteSpan bytes);

// Parses lowercase or uppercase hex; false on odd length or a non-hex character.
bool from_hex(std::string_view hex, Bytes* out);

}  // namespace kb
