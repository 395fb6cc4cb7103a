// Test keys: a tenant keyring and a system keyring every test, simulator run and crash-test
// child process derives identically from fixed seeds. Test-only (no test framework needed, so
// the simulator can use it too); not part of kb_storage.
#pragma once

#include <memory>

#include "crypto/key_hierarchy.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "storage/key_source.h"

namespace kb::storage::testing {

inline constexpr TenantId kTestTenant{7};

// Keys every test (and a crash-test child process) derives identically.
inline std::unique_ptr<KeyringKeySource> make_test_keys() {
    crypto::SeededRandom random(99);
    auto master = std::make_unique<crypto::MemoryMasterKeyProvider>(
        crypto::KeyId(1), crypto::random_secret_key<32>(random));
    auto wrapped = crypto::create_tenant_keys(*master, kTestTenant, random);
    auto system_root = crypto::create_system_root_key(*master, random);
    auto keys = std::make_unique<KeyringKeySource>();
    keys->add_tenant(*crypto::Keyring::open_tenant(*master, wrapped));
    keys->set_system(*crypto::Keyring::open_system(*master, system_root));
    return keys;
}

}  // namespace kb::storage::testing
