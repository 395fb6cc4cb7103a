// AddressMap<V>: an open-addressing hash map from page addresses (nonzero u64) to V.
//
// The page cache looks a page up on every level of every descent, so this is its hottest
// structure: one flat array probed linearly from a hash of the address (usually one cache line),
// instead of std::unordered_map's bucket array, node and modulo by a prime. Address 0 is never a
// page, so it marks empty slots; erasing shifts the following entries back (no tombstones).
// Pointers into the map are valid until the next insert or erase. Not thread-safe.
#pragma once

#include <utility>
#include <vector>

#include "base/assert.h"
#include "base/ints.h"

namespace kb::store {

template <class V>
class AddressMap {
public:
    AddressMap() : slots_(kInitialCapacity) {}

    usize size() const { return size_; }

    V* find(u64 address) {
        KB_ASSERT(address != 0);
        for (usize i = home(address);; i = next(i)) {
            Slot& slot = slots_[i];
            if (slot.address == address) return &slot.value;
            if (slot.address == 0) return nullptr;
        }
    }

    // The value at `address`, default-constructed if it was absent (second: inserted).
    std::pair<V*, bool> try_emplace(u64 address) {
        KB_ASSERT(address != 0);
        if (2 * (size_ + 1) > slots_.size()) grow();
        for (usize i = home(address);; i = next(i)) {
            Slot& slot = slots_[i];
            if (slot.address == address) return {&slot.value, false};
            if (slot.address == 0) {
                slot.address = address;
                slot.value = V();
                ++size_;
                return {&slot.value, true};
            }
        }
    }

    // Removes `address` if present.
    void erase(u64 address) {
        usize i = home(address);
        for (;; i = next(i)) {
            if (slots_[i].address == address) break;
            if (slots_[i].address == 0) return;
        }
        // Backward-shift deletion: move later entries of the probe run into the hole when
        // their home is not between the hole and them.
        for (usize j = next(i);; j = next(j)) {
            Slot& candidate = slots_[j];
            if (candidate.address == 0) break;
            const usize candidate_home = home(candidate.address);
            const bool stays = i <= j ? (i < candidate_home && candidate_home <= j)
                                      : (i < candidate_home || candidate_home <= j);
            if (stays) continue;
            slots_[i] = std::move(candidate);
            i = j;
        }
        slots_[i].address = 0;
        slots_[i].value = V();
        --size_;
    }

    // Calls f(address, value) for every entry (order unspecified).
    template <class F>
    void for_each(F&& f) {
        for (Slot& slot : slots_) {
            if (slot.address != 0) f(slot.address, slot.value);
        }
    }

private:
    static constexpr usize kInitialCapacity = 64;

    struct Slot {
        u64 address = 0;
        V value{};
    };

    usize home(u64 address) const {
        // MurmurHash3's finalizer: every address bit moves the low bits. (Not the Fibonacci
        // hash the cache shards by, whose top bits are the same for every address of a shard.)
        u64 x = address;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        return static_cast<usize>(x) & (slots_.size() - 1);
    }
    usize next(usize i) const { return (i + 1) & (slots_.size() - 1); }

    void grow() {
        std::vector<Slot> old = std::move(slots_);
        slots_ = std::vector<Slot>(old.size() * 2);
        size_ = 0;
        for (Slot& slot : old) {
            if (slot.address == 0) continue;
            auto [value, inserted] = try_emplace(slot.address);
            *value = std::move(slot.value);
        }
    }

    std::vector<Slot> slots_;
    usize size_ = 0;
};

}  // namespace kb::store
