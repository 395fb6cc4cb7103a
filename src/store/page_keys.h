// Where the store gets the keys that seal its pages.
//
// Every page is sealed with its tenant's page key for an epoch (DESIGN.md §3, "Encryption at
// rest"): keys derive from the tenant's root key per epoch (crypto::Keyring::page_key), and the
// store moves a tenant to its next epoch before a key has sealed limits::kPagesPerPageKeyMax
// pages. The store asks for keys lazily: the system tenant's (0) when it opens (the manifest is
// sealed with it), a tenant's when it first reads or writes one of its pages.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "base/ints.h"
#include "crypto/sealer.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::store {

class PageKeySource {
public:
    virtual ~PageKeySource();

    // The sealing key of `tenant`'s pages in `epoch`. The pointer must stay valid as long as
    // the source lives (the store keeps it). Errors (not_found: the tenant's keys are gone,
    // e.g. crypto-shredded) are reported to whoever needed the page. The store calls this under
    // its own lock, from the loop thread or a reader thread, and uses each key under that lock
    // only, so implementations need no locking of their own.
    virtual Result<crypto::SealingKey*> page_key(TenantId tenant, u64 epoch) = 0;
};

// A PageKeySource over a function that makes keys (e.g. from keyrings: keyring.page_key(epoch)),
// keeping each key it made.
class DerivedPageKeys final : public PageKeySource {
public:
    using Factory = std::function<Result<crypto::SealingKey>(TenantId tenant, u64 epoch)>;

    explicit DerivedPageKeys(Factory factory) : factory_(std::move(factory)) {}

    Result<crypto::SealingKey*> page_key(TenantId tenant, u64 epoch) override;

private:
    Factory factory_;
    std::map<std::pair<TenantId, u64>, std::unique_ptr<crypto::SealingKey>> keys_;
};

}  // namespace kb::store
