// API keys of the native protocol: what the kernel keeps of a key, and the record the API keys
// tree holds (docs/FORMATS.md, "Kernel state"; docs/PROTOCOL.md, "Authentication").
//
// A key is `kmb_` + base64url(key id u64 BE || 24-byte secret). The edge (a superuser's SQL
// call, sql/func_api_keys.cc) draws the id and the secret at random and shows the key once; the
// api key op (op.h, kind 11) and so the log, the store and the state hash hold only the id, the
// SHA-256 of the secret, the role the key logs in as, the one tenant it may use and whether it
// is read-only. A login by key (server/native_api_key.h) finds the key by id and compares
// hashes in constant time.
//
// Rules (AccessControl::apply(ApiKeyOp), run alike by admission and apply; each refusal changes
// nothing):
//   * create: id not 0 and not used by a live key (api_key_exists: ids are random, so a repeat
//     means a retried or forged op), the role exists (no_such_role), the tenant exists and is
//     not dropped (no_such_tenant);
//   * revoke: a live key of that id (no_such_api_key); its version ends at the op's position;
//   * dropping a role drops its keys; dropping a tenant drops the keys scoped to it.
// Who may: superusers only (permissions.cc describes the op as altering the key's role).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "crypto/random.h"
#include "kernel/op.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::kernel {

struct ApiKeyInfo {
    u64 key_id = 0;
    PrincipalId role{};
    TenantId tenant{};
    bool read_only = false;
    std::array<u8, kApiKeySecretHashBytes> secret_hash{};
    Position created{};

    friend bool operator==(const ApiKeyInfo&, const ApiKeyInfo&) = default;
};

// The key of a key's entry in the API keys tree: its id, u64 BE.
std::array<u8, 8> api_key_tree_key(u64 key_id);

// The record (version 1): version u8, key id u64, role u64, tenant u64, read_only u8,
// secret hash 32 bytes, created u64 (little-endian, as every kernel record).
Bytes encode_api_key_record(const ApiKeyInfo& key);
// corruption (naming the key) for bytes encode_api_key_record would not write.
Result<ApiKeyInfo> decode_api_key_record(ByteSpan bytes);

// --- the key's text (what its holder has) -------------------------------------------------

inline constexpr std::string_view kApiKeyPrefix = "kmb_";
inline constexpr usize kApiKeySecretBytes = 24;
inline constexpr usize kApiKeyTextChars = 4 + 43;  // "kmb_" + base64url of 32 bytes, unpadded

struct ApiKeyText {
    u64 key_id = 0;
    std::array<u8, kApiKeySecretBytes> secret{};
};

// A new key: a random non-zero id and a random secret.
ApiKeyText make_api_key(crypto::RandomSource& random);
// "kmb_" + base64url (RFC 4648 section 5, no padding) of the id (u64 BE) and the secret.
std::string format_api_key(const ApiKeyText& key);
// The key `text` spells, or nullopt for anything format_api_key would not write (wrong prefix
// or length, a character outside base64url, non-zero tail bits, id 0).
std::optional<ApiKeyText> parse_api_key(std::string_view text);
// SHA-256 of the secret: what the op and the store keep.
std::array<u8, kApiKeySecretHashBytes> api_key_secret_hash(const ApiKeyText& key);

// A key id as users see it: 16 lowercase hex digits.
std::string api_key_id_hex(u64 key_id);
// 16 hex digits (either case), or a whole key: its id; nullopt otherwise (or for id 0).
std::optional<u64> parse_api_key_id(std::string_view text);

}  // namespace kb::kernel
