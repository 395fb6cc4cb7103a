// Trusted-keys file parsing (see trusted_keys.h).
#include "storage/trusted_keys.h"

namespace kb::storage {

namespace {

constexpr usize kQuotedBytesMax = 40;  // how much of a bad line an error message repeats

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r";
    const usize begin = text.find_first_not_of(kSpace);
    if (begin == std::string_view::npos) return {};
    const usize end = text.find_last_not_of(kSpace);
    return text.substr(begin, end - begin + 1);
}

// A bad line, quoted safely: control and non-ASCII bytes become '?', long lines are cut.
std::string quote(std::string_view text) {
    std::string quoted;
    for (char c : text.substr(0, kQuotedBytesMax)) {
        const auto byte = static_cast<unsigned char>(c);
        quoted.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
    }
    if (text.size() > kQuotedBytesMax) quoted += "...";
    return "'" + quoted + "'";
}

}  // namespace

Result<TrustedKeys> TrustedKeys::parse(std::string_view text, std::string_view source) {
    TrustedKeys trusted;
    usize line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const usize newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

        const usize comment = line.find('#');
        std::string_view content = trim(line.substr(0, comment));
        if (content.empty()) continue;
        crypto::Ed25519PublicKey key;
        if (!crypto::Ed25519PublicKey::from_hex(content, &key)) {
            return Status::invalid_argument(
                std::string(source) + " line " + std::to_string(line_number) +
                ": expected an Ed25519 public key as 64 hex digits, found " + quote(content) +
                " (" + std::to_string(content.size()) + " characters)");
        }
        trusted.add(key);
    }
    if (trusted.empty()) {
        return Status::invalid_argument(std::string(source) +
                                        ": no trusted keys (expected one Ed25519 public key "
                                        "per line as 64 hex digits)");
    }
    return trusted;
}

std::vector<crypto::Ed25519PublicKey> TrustedKeys::keys() const {
    std::vector<crypto::Ed25519PublicKey> keys;
    keys.reserve(keys_.size());
    for (const auto& bytes : keys_) {
        crypto::Ed25519PublicKey key;
        key.bytes = bytes;
        keys.push_back(key);
    }
    return keys;
}

}  // namespace kb::storage
