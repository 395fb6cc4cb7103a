// PageCache: the store's in-memory pages by address, with a byte budget.
//
// Holds two kinds of entries:
//   * pinned: pages the writer made that are not on disk yet (dirty). They are never evicted:
//     they exist nowhere else. The store unpins them once a checkpoint has written them.
//   * clean: pages read from disk (or written). Evicted by CLOCK (second chance: a hit only
//     sets a flag, so hits change no list) once the resident bytes exceed the budget; the next
//     reader reads the page again.
// The budget counts both, so a writer that dirties more than the budget pushes every clean page
// out (the store reports pinned bytes so its owner can checkpoint sooner).
//
// Threads: find() and insert_loaded() may be called from any thread (reader threads load pages
// they miss); everything else from the loop thread. The cache is split into shards by address,
// each with its own lock and LRU list, so readers on different pages rarely meet. Entries are
// shared_ptrs: an evicted page lives on while a reader still holds it.
//
// Addresses are reused only once no reader can reach the old page (store.h), and the store
// erases an address from the cache before reusing it, so a hit is always the page the caller's
// reference means (the caller asserts the generation).
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "base/ints.h"
#include "store/address_map.h"
#include "store/node.h"

namespace kb::store {

struct PageCacheStats {
    u64 hits = 0;
    u64 misses = 0;
    u64 evictions = 0;
    u64 resident_bytes = 0;
    u64 pinned_bytes = 0;
    u64 entries = 0;
};

class PageCache {
public:
    static constexpr usize kShards = 16;

    explicit PageCache(u64 budget_bytes);
    PageCache(const PageCache&) = delete;
    PageCache& operator=(const PageCache&) = delete;

    // The page at `address`, or nullptr. Any thread.
    std::shared_ptr<PageObject> find(u64 address) const;
    // Adds a clean page read from disk, unless a page is already resident at its address (a
    // reader on another thread got there first): returns the resident one. Any thread.
    std::shared_ptr<PageObject> insert_loaded(std::shared_ptr<PageObject> page);
    // Adds a new page of the writer, pinned. Nothing may be resident at its address.
    void insert_pinned(std::shared_ptr<PageObject> page);
    // Makes a pinned page evictable.
    void unpin(u64 address);
    // Forgets the page at `address` (if any): its address is about to be reused.
    void erase(u64 address);

    u64 budget_bytes() const { return budget_bytes_; }
    PageCacheStats stats() const;

private:
    struct Entry {
        std::shared_ptr<PageObject> page;
        bool pinned = false;
        bool referenced = false;         // hit since the clock hand last passed
        std::list<u64>::iterator clock;  // position in Shard::clock when not pinned
    };
    struct Shard {
        std::mutex mutex;
        AddressMap<Entry> entries;
        std::list<u64> clock;  // unpinned addresses; new ones go just behind the hand
        std::list<u64>::iterator hand = clock.end();
        u64 bytes = 0;
        u64 pinned_bytes = 0;
        u64 evictions = 0;
        u64 hits = 0;  // counted per shard, under its lock: no shared counter to bounce
        u64 misses = 0;
    };

    Shard& shard_for(u64 address) const;
    // Evicts unpinned pages of `shard` (locked) until it is within its share of the budget.
    void evict_locked(Shard& shard);
    // Puts an unpinned entry on the clock (locked).
    static void enter_clock(Shard& shard, u64 address, Entry& entry);

    const u64 budget_bytes_;
    const u64 shard_budget_bytes_;
    mutable std::vector<Shard> shards_;
};

}  // namespace kb::store
