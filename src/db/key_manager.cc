#include "db/key_manager.h"

#include "base/assert.h"
#include "store/types.h"

namespace kb::db {

KeyManager::KeyManager(const crypto::MasterKeyProvider& master)
    : master_(master),
      page_keys_([this](TenantId tenant, u64 epoch) { return make_page_key(tenant, epoch); }) {}

Status KeyManager::set_system_root(const crypto::WrappedKey& system_root) {
    auto keyring = KB_TRY(crypto::Keyring::open_system(master_, system_root));
    std::lock_guard lock(mutex_);
    system_ = std::make_unique<crypto::Keyring>(std::move(keyring));
    return Status::ok();
}

Status KeyManager::add_tenant(const crypto::TenantWrappedKeys& keys) {
    auto keyring = KB_TRY(crypto::Keyring::open_tenant(master_, keys));
    std::lock_guard lock(mutex_);
    tenants_[keys.tenant.value()] = std::make_unique<crypto::Keyring>(std::move(keyring));
    return Status::ok();
}

bool KeyManager::has_tenant(TenantId tenant) const {
    std::lock_guard lock(mutex_);
    return tenants_.count(tenant.value()) != 0;
}

void KeyManager::remove_tenant(TenantId tenant) {
    std::lock_guard lock(mutex_);
    tenants_.erase(tenant.value());
}

Result<std::shared_ptr<crypto::SealingKey>> KeyManager::segment_key(storage::SealKind seal,
                                                                    TenantId tenant,
                                                                    Position position) {
    KB_ASSERT(seal != storage::SealKind::clear);
    std::lock_guard lock(mutex_);
    if (seal == storage::SealKind::system) {
        if (!system_) {
            return Status::not_found(
                "no system key yet (the genesis record was not read) for "
                "position " +
                to_string(position));
        }
        return system_->segment_key(position);
    }
    auto found = tenants_.find(tenant.value());
    if (found == tenants_.end()) {
        return Status::not_found("no keys for tenant " + std::to_string(tenant.value()) +
                                 " (position " + to_string(position) + ")");
    }
    return found->second->segment_key(position);
}

Result<crypto::SealingKey> KeyManager::make_page_key(TenantId tenant, u64 epoch) {
    std::lock_guard lock(mutex_);
    if (tenant == store::kSystemTenant) {
        if (!system_) return Status::not_found("no system key for the store's pages yet");
        return system_->page_key(epoch);
    }
    auto found = tenants_.find(tenant.value());
    if (found == tenants_.end()) {
        return Status::not_found("no page keys for tenant " + std::to_string(tenant.value()));
    }
    return found->second->page_key(epoch);
}

}  // namespace kb::db
