// PageKeySource and DerivedPageKeys (see page_keys.h).
#include "store/page_keys.h"

namespace kb::store {

PageKeySource::~PageKeySource() = default;

Result<crypto::SealingKey*> DerivedPageKeys::page_key(TenantId tenant, u64 epoch) {
    auto it = keys_.find({tenant, epoch});
    if (it != keys_.end()) return it->second.get();
    auto made = factory_(tenant, epoch);
    if (!made) return made.error();
    auto key = std::make_unique<crypto::SealingKey>(std::move(*made));
    crypto::SealingKey* pointer = key.get();
    keys_.emplace(std::pair{tenant, epoch}, std::move(key));
    return pointer;
}

}  // namespace kb::store
