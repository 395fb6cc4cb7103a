// Hex rendering and parsing for digests, keys' public halves and test vectors.
#include "base/bytes.h"

namespace kb {

std::string to_hex(ByteSpan bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.resize(bytes.size() * 2);
    for (usize i = 0; i < bytes.size(); ++i) {
        hex[2 * i] = kDigits[bytes[i] >> 4];
        hex[2 * i + 1] = kDigits[bytes[i] & 0x0f];
    }
    return hex;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool from_hex(std::string_view hex, Bytes* out) {
    if (hex.size() % 2 != 0) {
        return false;
    }
    Bytes bytes(hex.size() / 2);
    for (usize i = 0; i < bytes.size(); ++i) {
        int high = hex_value(hex[2 * i]);
        int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            return false;
        }
        bytes[i] = static_cast<u8>((high << 4) | low);
    }
    *out = std::move(bytes);
    return true;
}

}  // namespace kb
