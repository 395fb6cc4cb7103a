// Digest JSON encoding, parsing and signature checks (see digest.h).
//
// nlohmann-json is used without exceptions: json::parse(..., allow_exceptions = false) returns
// a discarded value on bad input, every member is type-checked before it is read (so get<>
// cannot throw), and dump() replaces invalid UTF-8 instead of throwing (we only write ASCII).
#include "storage/digest.h"

#include <nlohmann/json.hpp>

namespace kb::storage {

namespace {

using Json = nlohmann::json;

Status bad(std::string_view source, std::string_view what) {
    return Status::invalid_argument(std::string(source) + ": " + std::string(what));
}

Result<u64> get_unsigned(const Json& object, const char* name, std::string_view source) {
    auto found = object.find(name);
    if (found == object.end()) {
        return bad(source, std::string("missing \"") + name + "\"");
    }
    if (!found->is_number_unsigned()) {
        return bad(source, std::string("\"") + name + "\" must be a non-negative integer");
    }
    return found->get<u64>();
}

Result<std::string> get_string(const Json& object, const char* name, std::string_view source) {
    auto found = object.find(name);
    if (found == object.end()) {
        return bad(source, std::string("missing \"") + name + "\"");
    }
    if (!found->is_string()) {
        return bad(source, std::string("\"") + name + "\" must be a string");
    }
    return found->get_ref<const std::string&>();
}

}  // namespace

std::string encode_digest_json(const Digest& digest) {
    // Members in the documented order: ordered_json keeps insertion order (the default json
    // type sorts keys, which would scatter them).
    using OrderedJson = nlohmann::ordered_json;
    OrderedJson signatures = OrderedJson::array();
    for (const DigestSignature& signature : digest.signatures) {
        OrderedJson entry = OrderedJson::object();
        entry["public_key"] = signature.public_key.to_hex();
        entry["signature"] = signature.signature.to_hex();
        signatures.push_back(std::move(entry));
    }
    OrderedJson out = OrderedJson::object();
    out["format"] = kDigestFormatName;
    out["version"] = kDigestFormatVersion;
    out["position"] = digest.statement.position.value();
    out["chain_hash"] = digest.statement.chain_hash.to_hex();
    out["timestamp"] = digest.statement.timestamp.value();
    out["timestamp_utc"] = to_string(digest.statement.timestamp);
    out["attestation_position"] = digest.attestation_position.value();
    out["signatures"] = std::move(signatures);
    return out.dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
}

Result<Digest> parse_digest_json(std::string_view text, std::string_view source) {
    const Json root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return bad(source, "not valid JSON");
    if (!root.is_object()) return bad(source, "a digest is a JSON object");

    const std::string format = KB_TRY(get_string(root, "format", source));
    if (format != kDigestFormatName) {
        return bad(source, "\"format\" is \"" + format.substr(0, 40) + "\", expected \"" +
                               std::string(kDigestFormatName) + "\"");
    }
    const u64 version = KB_TRY(get_unsigned(root, "version", source));
    if (version != kDigestFormatVersion) {
        return Status::unsupported(std::string(source) + ": digest format version " +
                                   std::to_string(version) +
                                   " is not supported (this build reads version 1)");
    }

    Digest digest;
    digest.statement.position = Position(KB_TRY(get_unsigned(root, "position", source)));
    if (digest.statement.position == Position::none()) {
        return bad(source, "\"position\" must be >= 1");
    }
    const std::string chain_hash = KB_TRY(get_string(root, "chain_hash", source));
    if (!ComplianceHash::from_hex(chain_hash, &digest.statement.chain_hash)) {
        return bad(source, "\"chain_hash\" must be 64 hex digits");
    }
    digest.statement.timestamp = Timestamp(KB_TRY(get_unsigned(root, "timestamp", source)));
    auto timestamp_utc = root.find("timestamp_utc");  // informative only: not required
    if (timestamp_utc != root.end() && !timestamp_utc->is_string()) {
        return bad(source, "\"timestamp_utc\" must be a string");
    }
    digest.attestation_position =
        Position(KB_TRY(get_unsigned(root, "attestation_position", source)));
    if (digest.attestation_position <= digest.statement.position) {
        return bad(source, "\"attestation_position\" must be after \"position\"");
    }

    auto signatures = root.find("signatures");
    if (signatures == root.end() || !signatures->is_array() || signatures->empty()) {
        return bad(source, "\"signatures\" must be a non-empty array");
    }
    usize index = 0;
    for (const Json& entry : *signatures) {
        const std::string where = "signatures[" + std::to_string(index++) + "]";
        if (!entry.is_object()) return bad(source, where + " must be an object");
        DigestSignature signature;
        const std::string key = KB_TRY(get_string(entry, "public_key", source));
        if (!crypto::Ed25519PublicKey::from_hex(key, &signature.public_key)) {
            return bad(source, where + ".public_key must be 64 hex digits");
        }
        const std::string value = KB_TRY(get_string(entry, "signature", source));
        if (!crypto::Ed25519Signature::from_hex(value, &signature.signature)) {
            return bad(source, where + ".signature must be 128 hex digits");
        }
        digest.signatures.push_back(signature);
    }
    return digest;
}

Status verify_digest_signatures(const Digest& digest) {
    const AttestationMessage message = attestation_message(digest.statement);
    for (const DigestSignature& signature : digest.signatures) {
        if (!crypto::ed25519_verify(signature.public_key, message, signature.signature).is_ok()) {
            return Status::crypto("digest signature by " + signature.public_key.to_hex() +
                                  " does not verify over position " +
                                  to_string(digest.statement.position));
        }
    }
    return Status::ok();
}

}  // namespace kb::storage
