// KeyManager: every key a database uses, from the master key down (DESIGN.md §3).
//
// It holds the master key provider, the system keyring (unwrapped from the genesis record) and
// a keyring per tenant (unwrapped from the tenant's create-tenant op), and serves them to the
// two places that seal: the log (storage::KeySource, segment keys) and the store
// (store::PageKeySource, page keys). A tenant's keyring is added the moment the primary admits
// its create-tenant op, before the op is logged, so ops of that tenant prepared right after it
// can be sealed (DESIGN.md §3: "the primary seals with its keyring, which includes keys created
// by ops it has prepared but not yet committed").
//
// Threads: segment keys on the loop thread only; page keys from the loop or reader threads
// (the store asks under its own lock); the tenant map is guarded for the two.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "crypto/key_hierarchy.h"
#include "crypto/master_key.h"
#include "storage/key_source.h"
#include "store/page_keys.h"

namespace kb::db {

class KeyManager final : public storage::KeySource {
public:
    // `master` must outlive the manager.
    explicit KeyManager(const crypto::MasterKeyProvider& master);

    // Unwraps the system root key (from the genesis record). Once, before anything sealed.
    Status set_system_root(const crypto::WrappedKey& system_root);
    bool has_system() const { return system_ != nullptr; }
    // Unwraps a tenant's keys; replacing an existing tenant's keyring is allowed (a rotated KEK
    // wraps the same root key).
    Status add_tenant(const crypto::TenantWrappedKeys& keys);
    bool has_tenant(TenantId tenant) const;
    // Forgets a tenant's keys (an admitted create-tenant op that was truncated away).
    void remove_tenant(TenantId tenant);

    // storage::KeySource (loop thread).
    Result<std::shared_ptr<crypto::SealingKey>> segment_key(storage::SealKind seal, TenantId tenant,
                                                            Position position) override;

    // The store's page keys (any thread).
    store::PageKeySource& page_keys() { return page_keys_; }

    const crypto::MasterKeyProvider& master() const { return master_; }

private:
    Result<crypto::SealingKey> make_page_key(TenantId tenant, u64 epoch);

    const crypto::MasterKeyProvider& master_;
    mutable std::mutex mutex_;  // guards system_ and tenants_ for page-key readers
    std::unique_ptr<crypto::Keyring> system_;
    std::map<u64, std::unique_ptr<crypto::Keyring>> tenants_;
    store::DerivedPageKeys page_keys_;
};

}  // namespace kb::db
