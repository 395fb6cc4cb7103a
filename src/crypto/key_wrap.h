// Key wrapping: one 256-bit key sealed under another with AES-256-GCM (docs/SECURITY.md).
//
// The master key wraps tenant KEKs and the system root key; a KEK wraps its tenant's root data
// key. A wrap draws a fresh random nonce each time (a key is wrapped a handful of times in its
// life, so the random-nonce bound is never approached). The associated data binds what the
// key is for and whose it is:
//     label for the purpose ("kimberlite/wrap/tenant-kek/v1" ...) || format version ||
//     tenant id || wrapping key id || wrapped key id
// so a wrapped key moved onto another tenant, another purpose or another id fails to unwrap.
//
// WrappedKeys travel inside key records of the log; their encoding is fixed-size and
// versioned (docs/SECURITY.md, "wrapped key"). The tenant is not encoded: it comes from where
// the record sits, and the tag checks that it matches.
#pragma once

#include <array>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/aead.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::crypto {

// What a wrapped key is; part of the associated data. Numbers are stable (never renumber).
enum class KeyPurpose : u8 {
    tenant_kek = 1,   // a tenant's key-encryption key, wrapped by a master key
    tenant_root = 2,  // a tenant's root data key, wrapped by the tenant's KEK
    system_root = 3,  // the system root key, wrapped by a master key (tenant id 0)
};

std::string_view key_purpose_name(KeyPurpose purpose);  // "tenant KEK", ...

// Who a wrapped key belongs to; supplied by the caller on both wrap and unwrap.
struct WrapContext {
    KeyPurpose purpose;
    TenantId tenant;  // TenantId(0) for system keys
};

struct WrappedKey {
    static constexpr u8 kFormatVersion = 1;
    static constexpr usize kSealedSize = kAeadKeySize + kAeadTagSize;
    // version u8, wrapping key id u64, key id u64, nonce, ciphertext+tag
    static constexpr usize kEncodedSize = 1 + 8 + 8 + kAeadNonceSize + kSealedSize;

    KeyId wrapping_key_id;  // the master key or KEK that sealed this one
    KeyId key_id;           // the id of the key inside
    AeadNonce nonce{};
    std::array<u8, kSealedSize> sealed{};  // ciphertext then tag: safe to store and log

    std::array<u8, kEncodedSize> encode() const;
    // corruption for a wrong size or a zero id, unsupported for an unknown version. Bytes
    // that decode may still fail to unwrap; that is where tampering is caught.
    static Result<WrappedKey> decode(ByteSpan bytes);

    friend bool operator==(const WrappedKey&, const WrappedKey&) = default;
};

// Seals `key` (whose id is `key_id`) under `wrapping_key` (whose id is `wrapping_key_id`) with
// a fresh nonce from `random`.
WrappedKey wrap_key(const Key256& wrapping_key, KeyId wrapping_key_id, const WrapContext& context,
                    KeyId key_id, const Key256& key, RandomSource& random);

// Opens a wrapped key. Status::crypto, naming the ids (never bytes), when `wrapping_key_id` is
// not the id the key was wrapped by, or when the tag fails: the wrong wrapping key, the wrong
// tenant or purpose, or tampered bytes.
Result<Key256> unwrap_key(const Key256& wrapping_key, KeyId wrapping_key_id,
                          const WrapContext& context, const WrappedKey& wrapped);

}  // namespace kb::crypto
