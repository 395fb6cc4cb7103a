// Key wrapping with AES-256-GCM and identity-binding associated data (see key_wrap.h).
#include "crypto/key_wrap.h"

#include <string>

#include "base/assert.h"
#include "base/endian.h"

namespace kb::crypto {

namespace {

std::string_view purpose_label(KeyPurpose purpose) {
    switch (purpose) {
        case KeyPurpose::tenant_kek:
            return "kimberlite/wrap/tenant-kek/v1";
        case KeyPurpose::tenant_root:
            return "kimberlite/wrap/tenant-root/v1";
        case KeyPurpose::system_root:
            return "kimberlite/wrap/system-root/v1";
    }
    KB_UNREACHABLE();
}

// label, a zero byte, version u8, tenant u64, wrapping key id u64, key id u64.
constexpr usize kAadSizeMax = 40 + 1 + 1 + 8 + 8 + 8;

struct Aad {
    std::array<u8, kAadSizeMax> bytes{};
    usize size = 0;
    ByteSpan span() const { return ByteSpan(bytes.data(), size); }
};

Aad make_aad(const WrapContext& context, KeyId wrapping_key_id, KeyId key_id) {
    // System keys belong to no tenant; passing one is a mix-up in the caller.
    KB_ASSERT((context.purpose == KeyPurpose::system_root) == (context.tenant.value() == 0));
    std::string_view label = purpose_label(context.purpose);
    KB_ASSERT(label.size() <= 40);
    Aad aad;
    LeWriter writer(aad.bytes);
    writer.put_bytes(as_bytes(label));
    writer.put<u8>(0);
    writer.put<u8>(WrappedKey::kFormatVersion);
    writer.put<u64>(context.tenant.value());
    writer.put<u64>(wrapping_key_id.value());
    writer.put<u64>(key_id.value());
    aad.size = writer.position();
    return aad;
}

// "tenant 7 KEK 3" / "system root key 1", for error messages (ids only, never bytes).
std::string describe(const WrapContext& context, KeyId key_id) {
    std::string text;
    if (context.purpose != KeyPurpose::system_root) {
        text = "tenant " + std::to_string(context.tenant.value()) + " ";
    }
    text += std::string(key_purpose_name(context.purpose)) + " " + to_string(key_id);
    return text;
}

std::string_view wrapping_key_kind(KeyPurpose purpose) {
    return purpose == KeyPurpose::tenant_root ? "KEK" : "master key";
}

}  // namespace

std::string_view key_purpose_name(KeyPurpose purpose) {
    switch (purpose) {
        case KeyPurpose::tenant_kek:
            return "KEK";
        case KeyPurpose::tenant_root:
            return "root key";
        case KeyPurpose::system_root:
            return "system root key";
    }
    KB_UNREACHABLE();
}

std::array<u8, WrappedKey::kEncodedSize> WrappedKey::encode() const {
    KB_ASSERT(wrapping_key_id.value() != 0 && key_id.value() != 0);
    std::array<u8, kEncodedSize> out;
    LeWriter writer(out);
    writer.put<u8>(kFormatVersion);
    writer.put<u64>(wrapping_key_id.value());
    writer.put<u64>(key_id.value());
    writer.put_bytes(nonce);
    writer.put_bytes(sealed);
    KB_ASSERT(writer.remaining() == 0);
    return out;
}

Result<WrappedKey> WrappedKey::decode(ByteSpan bytes) {
    // The version comes first so that a later format of another size is named as such.
    if (bytes.empty()) return Status::corruption("wrapped key: no bytes");
    if (bytes[0] != kFormatVersion) {
        return Status::unsupported("wrapped key has format version " + std::to_string(bytes[0]) +
                                   "; this build reads version " + std::to_string(kFormatVersion));
    }
    if (bytes.size() != kEncodedSize) {
        return Status::corruption("wrapped key has " + std::to_string(bytes.size()) +
                                  " bytes; version 1 has " + std::to_string(kEncodedSize));
    }
    LeReader reader(bytes);
    reader.get<u8>();
    WrappedKey wrapped;
    wrapped.wrapping_key_id = KeyId(reader.get<u64>());
    wrapped.key_id = KeyId(reader.get<u64>());
    ByteSpan nonce = reader.get_bytes(kAeadNonceSize);
    ByteSpan sealed = reader.get_bytes(kSealedSize);
    KB_ASSERT(reader.ok() && reader.remaining() == 0);
    std::copy(nonce.begin(), nonce.end(), wrapped.nonce.begin());
    std::copy(sealed.begin(), sealed.end(), wrapped.sealed.begin());
    if (wrapped.wrapping_key_id.value() == 0 || wrapped.key_id.value() == 0) {
        return Status::corruption("wrapped key has key id 0, which is never valid");
    }
    return wrapped;
}

WrappedKey wrap_key(const Key256& wrapping_key, KeyId wrapping_key_id, const WrapContext& context,
                    KeyId key_id, const Key256& key, RandomSource& random) {
    KB_ASSERT(wrapping_key_id.value() != 0 && key_id.value() != 0);
    WrappedKey wrapped;
    wrapped.wrapping_key_id = wrapping_key_id;
    wrapped.key_id = key_id;
    random.fill(wrapped.nonce);
    Aad aad = make_aad(context, wrapping_key_id, key_id);
    aes256gcm_seal(wrapping_key, wrapped.nonce, aad.span(), key.bytes(), wrapped.sealed);
    return wrapped;
}

Result<Key256> unwrap_key(const Key256& wrapping_key, KeyId wrapping_key_id,
                          const WrapContext& context, const WrappedKey& wrapped) {
    if (wrapped.wrapping_key_id != wrapping_key_id) {
        return Status::crypto(describe(context, wrapped.key_id) + " is wrapped by " +
                              std::string(wrapping_key_kind(context.purpose)) + " " +
                              to_string(wrapped.wrapping_key_id) + ", but " +
                              std::string(wrapping_key_kind(context.purpose)) + " " +
                              to_string(wrapping_key_id) + " was given");
    }
    Aad aad = make_aad(context, wrapped.wrapping_key_id, wrapped.key_id);
    Key256 key;  // zeros, filled in place so the plaintext key never sits in a plain buffer
    Status opened = aes256gcm_open(wrapping_key, wrapped.nonce, aad.span(), wrapped.sealed,
                                   key.mutable_bytes());
    if (!opened.is_ok()) {
        return Status::crypto("unwrapping " + describe(context, wrapped.key_id) + " with " +
                              std::string(wrapping_key_kind(context.purpose)) + " " +
                              to_string(wrapping_key_id) +
                              " failed authentication: wrong key, wrong tenant or purpose, or "
                              "damaged bytes");
    }
    return key;
}

}  // namespace kb::crypto
