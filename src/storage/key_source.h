// KeySource: where the log gets the keys that seal and open record payloads.
//
// The log does not know how keys are stored (key records are ops the kernel interprets); it
// asks a KeySource for the segment key of (seal kind, tenant, position). The primary's source
// includes keys created by ops it has prepared but not yet committed (DESIGN.md §3); a
// verifier without keys passes none and checks everything but the AEAD tags.
#pragma once

#include <map>
#include <memory>

#include "crypto/key_hierarchy.h"
#include "crypto/sealer.h"
#include "kimberlite/status.h"
#include "storage/record.h"
#include "types/ids.h"

namespace kb::storage {

class KeySource {
public:
    virtual ~KeySource() = default;
    // The key sealing `seal`-kind payloads of `tenant` at `position` (tenant is ignored for
    // system records). not_found, naming tenant and position, when this source lacks it.
    virtual Result<std::shared_ptr<crypto::SealingKey>> segment_key(SealKind seal, TenantId tenant,
                                                                    Position position) = 0;
};

// A KeySource over unwrapped keyrings: the system keyring plus one per tenant.
class KeyringKeySource final : public KeySource {
public:
    void set_system(crypto::Keyring keyring);
    void add_tenant(crypto::Keyring keyring);
    bool has_tenant(TenantId tenant) const { return tenants_.count(tenant.value()) != 0; }

    Result<std::shared_ptr<crypto::SealingKey>> segment_key(SealKind seal, TenantId tenant,
                                                            Position position) override;

private:
    std::unique_ptr<crypto::Keyring> system_;
    std::map<u64, crypto::Keyring> tenants_;
};

}  // namespace kb::storage
