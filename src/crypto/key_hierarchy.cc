// Key hierarchy: creation, rotation and deterministic derivation (see key_hierarchy.h).
#include "crypto/key_hierarchy.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/hkdf.h"

namespace kb::crypto {

namespace {

constexpr KeyId kFirstKeyId{1};
constexpr TenantId kSystemTenant{0};

// label || 0x00 || u64 scope (tenant id, 0 for system) || u64 index (segment or epoch).
// Fixed-width fields after a terminated label keep every info string unambiguous.
Key256 derive(const Key256& root, std::string_view label, u64 scope, u64 index) {
    std::array<u8, 64> info{};
    LeWriter writer(info);
    writer.put_bytes(as_bytes(label));
    writer.put<u8>(0);
    writer.put<u64>(scope);
    writer.put<u64>(index);
    Key256 key;
    hkdf_sha256(root.bytes(), ByteSpan(), ByteSpan(info.data(), writer.position()),
                key.mutable_bytes());
    return key;
}

WrapContext kek_context(TenantId tenant) {
    return WrapContext{.purpose = KeyPurpose::tenant_kek, .tenant = tenant};
}
WrapContext root_context(TenantId tenant) {
    return WrapContext{.purpose = KeyPurpose::tenant_root, .tenant = tenant};
}
WrapContext system_context() {
    return WrapContext{.purpose = KeyPurpose::system_root, .tenant = kSystemTenant};
}

// Unwraps a master-wrapped key with the master key it names.
Result<Key256> unwrap_with_master(const MasterKeyProvider& master, const WrapContext& context,
                                  const WrappedKey& wrapped) {
    const Key256* master_key = KB_TRY(master.find(wrapped.wrapping_key_id));
    return unwrap_key(*master_key, wrapped.wrapping_key_id, context, wrapped);
}

}  // namespace

Key256 derive_segment_key(const Key256& tenant_root, TenantId tenant, u64 segment_index) {
    return derive(tenant_root, "kimberlite/derive/segment/v1", tenant.value(), segment_index);
}

Key256 derive_page_key(const Key256& tenant_root, TenantId tenant, u64 epoch) {
    return derive(tenant_root, "kimberlite/derive/page/v1", tenant.value(), epoch);
}

Key256 derive_system_segment_key(const Key256& system_root, u64 segment_index) {
    return derive(system_root, "kimberlite/derive/system-segment/v1", 0, segment_index);
}

Key256 derive_system_page_key(const Key256& system_root, u64 epoch) {
    return derive(system_root, "kimberlite/derive/system-page/v1", 0, epoch);
}

TenantWrappedKeys create_tenant_keys(const MasterKeyProvider& master, TenantId tenant,
                                     RandomSource& random) {
    KB_ASSERT(tenant != kSystemTenant);
    MasterKeyRef current = master.current();
    Key256 kek = random_secret_key<kAeadKeySize>(random);
    Key256 root = random_secret_key<kAeadKeySize>(random);
    return TenantWrappedKeys{
        .tenant = tenant,
        .kek = wrap_key(current.key, current.id, kek_context(tenant), kFirstKeyId, kek, random),
        .root = wrap_key(kek, kFirstKeyId, root_context(tenant), kFirstKeyId, root, random),
    };
}

WrappedKey create_system_root_key(const MasterKeyProvider& master, RandomSource& random) {
    MasterKeyRef current = master.current();
    Key256 root = random_secret_key<kAeadKeySize>(random);
    return wrap_key(current.key, current.id, system_context(), kFirstKeyId, root, random);
}

Result<TenantWrappedKeys> rotate_tenant_kek(const MasterKeyProvider& master,
                                            const TenantWrappedKeys& keys, RandomSource& random) {
    Key256 old_kek = KB_TRY(unwrap_with_master(master, kek_context(keys.tenant), keys.kek));
    Key256 root =
        KB_TRY(unwrap_key(old_kek, keys.kek.key_id, root_context(keys.tenant), keys.root));
    KeyId new_kek_id(keys.kek.key_id.value() + 1);
    Key256 new_kek = random_secret_key<kAeadKeySize>(random);
    MasterKeyRef current = master.current();
    return TenantWrappedKeys{
        .tenant = keys.tenant,
        .kek = wrap_key(current.key, current.id, kek_context(keys.tenant), new_kek_id, new_kek,
                        random),
        .root = wrap_key(new_kek, new_kek_id, root_context(keys.tenant), keys.root.key_id, root,
                         random),
    };
}

Result<WrappedKey> rewrap_under_current_master(const MasterKeyProvider& master,
                                               const WrapContext& context,
                                               const WrappedKey& wrapped, RandomSource& random) {
    KB_ASSERT(context.purpose != KeyPurpose::tenant_root);  // wrapped by a KEK, not a master
    Key256 key = KB_TRY(unwrap_with_master(master, context, wrapped));
    MasterKeyRef current = master.current();
    return wrap_key(current.key, current.id, context, wrapped.key_id, key, random);
}

Result<MasterRotation> rotate_master_key(MasterKeyProvider& master, const WrappedKey& system_root,
                                         std::span<const TenantWrappedKeys> tenants,
                                         RandomSource& random) {
    // Check everything unwraps before rotating: a damaged record stops us with nothing done.
    KB_TRY(unwrap_with_master(master, system_context(), system_root));
    for (const TenantWrappedKeys& keys : tenants) {
        KB_TRY(unwrap_with_master(master, kek_context(keys.tenant), keys.kek));
    }
    KeyId old_id = master.current().id;
    KeyId new_id = KB_TRY(master.rotate(random));

    MasterRotation rotation{.old_master_id = old_id,
                            .new_master_id = new_id,
                            .system_root = KB_TRY(rewrap_under_current_master(
                                master, system_context(), system_root, random)),
                            .tenants = {}};
    rotation.tenants.reserve(tenants.size());
    for (const TenantWrappedKeys& keys : tenants) {
        WrappedKey kek =
            KB_TRY(rewrap_under_current_master(master, kek_context(keys.tenant), keys.kek, random));
        rotation.tenants.push_back(
            TenantWrappedKeys{.tenant = keys.tenant, .kek = kek, .root = keys.root});
    }
    return rotation;
}

// --- Keyring ---------------------------------------------------------------------------------

Keyring::Keyring(bool system, TenantId tenant, Key256 root, usize cache_entries)
    : system_(system), tenant_(tenant), root_(std::move(root)), cache_entries_(cache_entries) {
    KB_ASSERT(cache_entries_ >= 1);
    cache_.reserve(cache_entries_);
}

Result<Keyring> Keyring::open_tenant(const MasterKeyProvider& master, const TenantWrappedKeys& keys,
                                     usize cache_entries) {
    KB_ASSERT(keys.tenant != kSystemTenant);
    Key256 kek = KB_TRY(unwrap_with_master(master, kek_context(keys.tenant), keys.kek));
    Key256 root = KB_TRY(unwrap_key(kek, keys.kek.key_id, root_context(keys.tenant), keys.root));
    return Keyring(false, keys.tenant, std::move(root), cache_entries);
}

Result<Keyring> Keyring::open_system(const MasterKeyProvider& master, const WrappedKey& system_root,
                                     usize cache_entries) {
    Key256 root = KB_TRY(unwrap_with_master(master, system_context(), system_root));
    return Keyring(true, kSystemTenant, std::move(root), cache_entries);
}

std::shared_ptr<SealingKey> Keyring::segment_key_for_index(u64 index) {
    auto hit = std::find_if(cache_.begin(), cache_.end(),
                            [index](const CacheEntry& entry) { return entry.index == index; });
    if (hit != cache_.end()) {
        std::rotate(cache_.begin(), hit, hit + 1);  // move to the front
        return cache_.front().key;
    }
    std::string name = system_ ? "system segment " + std::to_string(index) + " key"
                               : "tenant " + std::to_string(tenant_.value()) + " segment " +
                                     std::to_string(index) + " key";
    Key256 key = system_ ? derive_system_segment_key(root_, index)
                         : derive_segment_key(root_, tenant_, index);
    auto sealing = std::make_shared<SealingKey>(std::move(key), std::move(name));
    if (cache_.size() == cache_entries_) cache_.pop_back();  // least recently used
    cache_.insert(cache_.begin(), CacheEntry{.index = index, .key = sealing});
    return sealing;
}

SealingKey Keyring::page_key(u64 epoch) const {
    std::string name = system_ ? "system page epoch " + std::to_string(epoch) + " key"
                               : "tenant " + std::to_string(tenant_.value()) + " page epoch " +
                                     std::to_string(epoch) + " key";
    Key256 key =
        system_ ? derive_system_page_key(root_, epoch) : derive_page_key(root_, tenant_, epoch);
    return SealingKey(std::move(key), std::move(name), limits::kPagesPerPageKeyMax);
}

}  // namespace kb::crypto
