// The key hierarchy (docs/SECURITY.md, "Key hierarchy"):
//
//   master key (key dir / KMS, same on every replica)
//     ├─ wraps ─ system root key (random) ─ HKDF ─ system segment keys, system page keys
//     └─ wraps ─ tenant KEK (random) ─ wraps ─ tenant root data key (random)
//                                                 ├─ HKDF ─ segment keys (per 2^20 positions)
//                                                 └─ HKDF ─ page keys (per epoch)
//
// Random keys are made once, by the primary, and travel wrapped inside key records of the
// log; everything below a root key is derived deterministically, so every replica (and every
// replay, and `kmb rebuild`) derives byte-identical keys from the same records. Rotating the
// master key re-wraps the KEKs and the system root key; rotating a KEK re-wraps its tenant's
// root key. Neither touches a data key, so nothing is re-encrypted and old data stays
// readable. Crypto-shredding a tenant = redacting its key records.
//
// Functions that create or rotate keys draw randomness and so run on the primary only, at the
// edge, before logging; opening keyrings from records is deterministic and runs anywhere.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/ints.h"
#include "crypto/key_wrap.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "crypto/sealer.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"
#include "types/ids.h"
#include "types/limits.h"

namespace kb::crypto {

// The encryption segment holding a position: every (tenant, segment) has its own key.
inline u64 segment_index(Position position) { return position.value() / limits::kSegmentPositions; }

// HKDF-SHA256 derivations (RFC 5869): the root key is the input keying material, the salt is
// empty (the root is already uniformly random), and `info` binds a versioned label and the
// fixed-width little-endian identity, e.g. "kimberlite/derive/segment/v1" 00 tenant index.
Key256 derive_segment_key(const Key256& tenant_root, TenantId tenant, u64 segment_index);
Key256 derive_page_key(const Key256& tenant_root, TenantId tenant, u64 epoch);
Key256 derive_system_segment_key(const Key256& system_root, u64 segment_index);
Key256 derive_system_page_key(const Key256& system_root, u64 epoch);

// What a tenant's key records carry.
struct TenantWrappedKeys {
    TenantId tenant;
    WrappedKey kek;   // the KEK, id kek.key_id, wrapped by master key kek.wrapping_key_id
    WrappedKey root;  // the root data key, wrapped by the KEK (root.wrapping_key_id == KEK id)

    friend bool operator==(const TenantWrappedKeys&, const TenantWrappedKeys&) = default;
};

// A new tenant's keys: a random KEK (id 1) wrapped by the current master key, and a random
// root data key (id 1) wrapped by the KEK. Primary only.
TenantWrappedKeys create_tenant_keys(const MasterKeyProvider& master, TenantId tenant,
                                     RandomSource& random);

// The cluster's system root key (id 1), wrapped by the current master key. Primary only,
// once, at cluster initialisation.
WrappedKey create_system_root_key(const MasterKeyProvider& master, RandomSource& random);

// Replaces a tenant's KEK with a fresh random one (id + 1) wrapped by the current master key,
// and re-wraps the unchanged root data key under it. Fails (crypto / not_found) if the
// current records do not unwrap.
Result<TenantWrappedKeys> rotate_tenant_kek(const MasterKeyProvider& master,
                                            const TenantWrappedKeys& keys, RandomSource& random);

// Re-wraps a master-wrapped key (a KEK or the system root key) under the current master key;
// the key and its id are unchanged. Used by rotate_master_key and to finish a rotation that
// stopped half-way.
Result<WrappedKey> rewrap_under_current_master(const MasterKeyProvider& master,
                                               const WrapContext& context,
                                               const WrappedKey& wrapped, RandomSource& random);

struct MasterRotation {
    KeyId old_master_id;
    KeyId new_master_id;
    WrappedKey system_root;                  // re-wrapped under the new master key
    std::vector<TenantWrappedKeys> tenants;  // KEKs re-wrapped; root records unchanged
};

// Rotates the master key: first checks that the system root key and every KEK unwrap (so a
// damaged record does not leave a half-done rotation), then rotates the provider (the old key
// stays retained) and re-wraps them all under the new key. The caller logs the result and,
// once committed, retires the old master key.
Result<MasterRotation> rotate_master_key(MasterKeyProvider& master, const WrappedKey& system_root,
                                         std::span<const TenantWrappedKeys> tenants,
                                         RandomSource& random);

// The data keys of one scope (a tenant, or the system), derived on demand from its root key.
// Segment keys are cached in a small LRU: the log seals and reads mostly one segment at a
// time, and a SealingKey holds an initialised AES context worth reusing. A cached key's seal
// counter restarts if it is evicted and derived again; the durable bound is the segment's
// position range (sealer.h). Not thread-safe, like the SealingKeys it hands out: one keyring
// per thread (readers derive their own; derivation is cheap, ~1.5 us per segment key).
class Keyring {
public:
    static constexpr usize kSegmentCacheEntries = 4;

    // Unwraps the KEK with the master key it names, then the root key with the KEK (which is
    // zeroized straight after). crypto / not_found with ids in the message on failure.
    static Result<Keyring> open_tenant(const MasterKeyProvider& master,
                                       const TenantWrappedKeys& keys,
                                       usize cache_entries = kSegmentCacheEntries);
    static Result<Keyring> open_system(const MasterKeyProvider& master,
                                       const WrappedKey& system_root,
                                       usize cache_entries = kSegmentCacheEntries);

    Keyring(Keyring&&) noexcept = default;
    Keyring& operator=(Keyring&&) noexcept = default;

    bool is_system() const { return system_; }
    TenantId tenant() const { return tenant_; }  // TenantId(0) for the system keyring

    // The sealing key of the segment holding `position` (of segment `index`). Shared so that
    // a caller's key survives eviction; do not keep it past the segment.
    std::shared_ptr<SealingKey> segment_key(Position position) {
        return segment_key_for_index(segment_index(position));
    }
    std::shared_ptr<SealingKey> segment_key_for_index(u64 index);

    // A page key for `epoch`, bounded to limits::kPagesPerPageKeyMax seals. The store persists
    // how many pages the current epoch has sealed and moves to the next epoch before the bound.
    SealingKey page_key(u64 epoch) const;

    usize cached_segment_keys() const { return cache_.size(); }

private:
    Keyring(bool system, TenantId tenant, Key256 root, usize cache_entries);

    struct CacheEntry {
        u64 index;
        std::shared_ptr<SealingKey> key;
    };

    bool system_;
    TenantId tenant_;
    Key256 root_;
    usize cache_entries_;
    std::vector<CacheEntry> cache_;  // most recently used first
};

}  // namespace kb::crypto
