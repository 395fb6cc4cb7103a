// Byte views and small helpers shared by every subsystem.
#pragma once

#include <algorithm>
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

// Byte-wise (unsigned) lexicographic order, and equality, of two byte strings.
inline bool bytes_less(ByteSpan a, ByteSpan b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}
inline bool bytes_equal(ByteSpan a, ByteSpan b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// An owned copy of a view.
inline Bytes copy_of(ByteSpan bytes) { return Bytes(bytes.begin(), bytes.end()); }

// Lowercase hex, two characters per byte.
std::string to_hex(ByteSpan bytes);

// Parses lowercase or uppercase hex; false on odd length or a non-hex character.
bool from_hex(std::string_view hex, Bytes* out);

}  // namespace kb
