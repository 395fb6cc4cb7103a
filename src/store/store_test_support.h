// Helpers for the store's tests: a simulated machine (disk, loop, fault-injecting storage), test
// page keys, and waiting for a checkpoint. Test-only (included by *_test.cc and *_bench.cc).
#pragma once

#include <memory>
#include <optional>

#include "crypto/key_hierarchy.h"
#include "crypto/random.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"
#include "store/page_keys.h"
#include "store/store.h"

namespace kb::store::testing {

struct SimMachine {
    explicit SimMachine(u64 seed, io::SimDiskOptions disk_options = {},
                        io::SimStorageOptions storage_options = {})
        : disk([&] {
              disk_options.seed = seed;
              return disk_options;
          }()),
          loop(clock),
          storage(std::make_unique<io::SimStorage>(disk, loop, [&] {
              storage_options.seed = seed;
              return storage_options;
          }())) {}

    io::SimDisk disk;
    io::ManualClock clock;
    io::SimEventLoop loop;
    std::unique_ptr<io::SimStorage> storage;
};

// Page keys derived from a fixed root per tenant, as a Keyring would (crypto/key_hierarchy.h).
// `seals_max` bounds each key like limits::kPagesPerPageKeyMax does in production.
inline std::unique_ptr<DerivedPageKeys> make_test_keys(u64 seals_max = limits::kSealsPerKeyMax) {
    return std::make_unique<DerivedPageKeys>(
        [seals_max](TenantId tenant, u64 epoch) -> Result<crypto::SealingKey> {
            crypto::Key256 root;
            for (usize i = 0; i < root.kSize; ++i) {
                root.mutable_bytes()[i] = static_cast<u8>(i * 7 + 3);
            }
            return crypto::SealingKey(crypto::derive_page_key(root, tenant, epoch),
                                      "test page key of tenant " + std::to_string(tenant.value()) +
                                          " epoch " + std::to_string(epoch),
                                      seals_max);
        });
}

// Runs a checkpoint to completion; the status its callback got (or internal if it never ran).
inline Status checkpoint_and_wait(Store& store, io::EventLoop& loop) {
    auto result = std::make_shared<std::optional<Status>>();
    store.checkpoint([result](Status status) { *result = std::move(status); });
    loop.run_until([&] { return result->has_value(); });
    return result->value_or(Status::internal("the checkpoint callback never ran"));
}

inline ByteSpan text(std::string_view chars) { return as_bytes(chars); }
inline Bytes bytes_of(std::string_view chars) {
    ByteSpan view = as_bytes(chars);
    return Bytes(view.begin(), view.end());
}

}  // namespace kb::store::testing
