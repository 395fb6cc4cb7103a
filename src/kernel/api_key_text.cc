// API keys' text form: making, formatting and parsing `kmb_...` keys (see api_keys.h).
#include <algorithm>

#include "crypto/sha256.h"
#include "kernel/api_keys.h"
#include "kernel/kernel_trees.h"

namespace kb::kernel {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr usize kPayloadBytes = 8 + kApiKeySecretBytes;

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

ApiKeyText make_api_key(crypto::RandomSource& random) {
    ApiKeyText key;
    while (key.key_id == 0) {
        std::array<u8, 8> id{};
        random.fill(id);
        key.key_id = trees::load_be64(id.data());
    }
    random.fill(key.secret);
    return key;
}

std::string format_api_key(const ApiKeyText& key) {
    std::array<u8, kPayloadBytes> payload{};
    const auto id = trees::be64(key.key_id);
    std::copy(id.begin(), id.end(), payload.begin());
    std::copy(key.secret.begin(), key.secret.end(), payload.begin() + 8);
    std::string out(kApiKeyPrefix);
    u32 bits = 0;
    int held = 0;
    for (u8 byte : payload) {
        bits = (bits << 8) | byte;
        held += 8;
        while (held >= 6) {
            held -= 6;
            out.push_back(kAlphabet[(bits >> held) & 0x3f]);
        }
    }
    if (held > 0) out.push_back(kAlphabet[(bits << (6 - held)) & 0x3f]);
    return out;
}

std::optional<ApiKeyText> parse_api_key(std::string_view text) {
    if (text.size() != kApiKeyTextChars || !text.starts_with(kApiKeyPrefix)) return std::nullopt;
    std::array<u8, kPayloadBytes> payload{};
    usize filled = 0;
    u32 bits = 0;
    int held = 0;
    for (char c : text.substr(kApiKeyPrefix.size())) {
        const int value = sextet(c);
        if (value < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<u32>(value);
        held += 6;
        if (held >= 8) {
            held -= 8;
            payload[filled++] = static_cast<u8>(bits >> held);
        }
    }
    // 43 characters carry 258 bits: the last 2 must be zero (canonical form only).
    if (filled != kPayloadBytes || (bits & ((1u << held) - 1)) != 0) return std::nullopt;
    ApiKeyText key;
    key.key_id = trees::load_be64(payload.data());
    if (key.key_id == 0) return std::nullopt;
    std::copy(payload.begin() + 8, payload.end(), key.secret.begin());
    return key;
}

std::array<u8, kApiKeySecretHashBytes> api_key_secret_hash(const ApiKeyText& key) {
    const ComplianceHash hash = crypto::sha256(key.secret);
    std::array<u8, kApiKeySecretHashBytes> out{};
    std::copy(hash.bytes().begin(), hash.bytes().end(), out.begin());
    return out;
}

std::string api_key_id_hex(u64 key_id) { return to_hex(trees::be64(key_id)); }

std::optional<u64> parse_api_key_id(std::string_view text) {
    if (text.starts_with(kApiKeyPrefix)) {
        auto key = parse_api_key(text);
        if (!key) return std::nullopt;
        return key->key_id;
    }
    if (text.size() != 16) return std::nullopt;
    u64 id = 0;
    for (char c : text) {
        const int digit = hex_digit(c);
        if (digit < 0) return std::nullopt;
        id = (id << 4) | static_cast<u64>(digit);
    }
    if (id == 0) return std::nullopt;
    return id;
}

}  // namespace kb::kernel
