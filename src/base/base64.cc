// Base64 written from RFC 4648: every 3 input bytes become 4 characters of 6 bits each; a
// final group of 1 or 2 bytes is padded with "==" or "=".
#include "base/base64.h"

#include <array>

namespace kb {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr u8 kInvalid = 0xff;

constexpr std::array<u8, 256> make_decode_table() {
    std::array<u8, 256> table{};
    for (u8& entry : table) entry = kInvalid;
    for (usize i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<u8>(kAlphabet[i])] = static_cast<u8>(i);
    }
    return table;
}

constexpr std::array<u8, 256> kDecode = make_decode_table();

}  // namespace

std::string base64_encode(ByteSpan bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    usize i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        u32 group = (u32{bytes[i]} << 16) | (u32{bytes[i + 1]} << 8) | u32{bytes[i + 2]};
        out.push_back(kAlphabet[(group >> 18) & 0x3f]);
        out.push_back(kAlphabet[(group >> 12) & 0x3f]);
        out.push_back(kAlphabet[(group >> 6) & 0x3f]);
        out.push_back(kAlphabet[group & 0x3f]);
    }
    usize rest = bytes.size() - i;
    if (rest == 1) {
        u32 group = u32{bytes[i]} << 16;
        out.push_back(kAlphabet[(group >> 18) & 0x3f]);
        out.push_back(kAlphabet[(group >> 12) & 0x3f]);
        out.append("==");
    } else if (rest == 2) {
        u32 group = (u32{bytes[i]} << 16) | (u32{bytes[i + 1]} << 8);
        out.push_back(kAlphabet[(group >> 18) & 0x3f]);
        out.push_back(kAlphabet[(group >> 12) & 0x3f]);
        out.push_back(kAlphabet[(group >> 6) & 0x3f]);
        out.push_back('=');
    }
    return out;
}

bool base64_decode(std::string_view text, Bytes* out) {
    out->clear();
    if (text.size() % 4 != 0) return false;
    out->reserve(text.size() / 4 * 3);
    for (usize i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        // Padding may only appear in the last group, as "x=" at the end or "==".
        usize padding = 0;
        if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
        u32 group = 0;
        for (usize j = 0; j < 4 - padding; ++j) {
            u8 value = kDecode[static_cast<u8>(text[i + j])];
            if (value == kInvalid) return false;
            group |= u32{value} << (18 - 6 * j);
        }
        out->push_back(static_cast<u8>(group >> 16));
        if (padding == 2) {
            if ((group & 0xffff) != 0) return false;  // non-canonical: stray tail bits
        } else if (padding == 1) {
            if ((group & 0xff) != 0) return false;
            out->push_back(static_cast<u8>(group >> 8));
        } else {
            out->push_back(static_cast<u8>(group >> 8));
            out->push_back(static_cast<u8>(group));
        }
    }
    return true;
}

}  // namespace kb
