#include "storage/key_source.h"

#include "base/assert.h"

namespace kb::storage {

void KeyringKeySource::set_system(crypto::Keyring keyring) {
    KB_ASSERT(keyring.is_system());
    system_ = std::make_unique<crypto::Keyring>(std::move(keyring));
}

void KeyringKeySource::add_tenant(crypto::Keyring keyring) {
    KB_ASSERT(!keyring.is_system());
    const u64 tenant = keyring.tenant().value();
    tenants_.insert_or_assign(tenant, std::move(keyring));
}

Result<std::shared_ptr<crypto::SealingKey>> KeyringKeySource::segment_key(SealKind seal,
                                                                          TenantId tenant,
                                                                          Position position) {
    KB_ASSERT(seal != SealKind::clear);
    if (seal == SealKind::system) {
        if (!system_) {
            return Status::not_found("no system key for position " + to_string(position));
        }
        return system_->segment_key(position);
    }
    auto found = tenants_.find(tenant.value());
    if (found == tenants_.end()) {
        return Status::not_found("no key for tenant " + std::to_string(tenant.value()) +
                                 " at position " + to_string(position));
    }
    return found->second.segment_key(position);
}

}  // namespace kb::storage
