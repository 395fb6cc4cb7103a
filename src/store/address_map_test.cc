// Tests of AddressMap against a std::map model: inserts, lookups, and erases that shift probe
// runs back (including runs that wrap around the end of the table), through several growths.
#include "store/address_map.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "base/prng.h"

namespace kb::store {
namespace {

RC_GTEST_PROP(AddressMap, MatchesAMapModel, (u64 seed)) {
    Prng prng(seed);
    AddressMap<u64> map;
    std::map<u64, u64> model;
    // A small address space makes long probe runs and many erases of present keys.
    const u64 space = prng.coin() ? 100 : 5000;
    for (int op = 0; op < 3000; ++op) {
        const u64 address = 1 + prng.uniform(space);
        const u64 roll = prng.uniform(10);
        if (roll < 5) {
            auto [value, inserted] = map.try_emplace(address);
            RC_ASSERT(inserted == (model.count(address) == 0));
            *value = static_cast<u64>(op);
            model[address] = static_cast<u64>(op);
        } else if (roll < 8) {
            map.erase(address);
            model.erase(address);
        } else {
            u64* value = map.find(address);
            auto it = model.find(address);
            RC_ASSERT((value != nullptr) == (it != model.end()));
            if (value) RC_ASSERT(*value == it->second);
        }
        RC_ASSERT(map.size() == model.size());
    }
    for (const auto& [address, expected] : model) {
        u64* value = map.find(address);
        RC_ASSERT(value != nullptr);
        RC_ASSERT(*value == expected);
    }
    usize seen = 0;
    map.for_each([&](u64 address, u64 value) {
        ++seen;
        RC_ASSERT(model.at(address) == value);
    });
    RC_ASSERT(seen == model.size());
}

}  // namespace
}  // namespace kb::store
