// PageCache: sharded, CLOCK-evicted, with pinned (dirty) pages (see page_cache.h).
#include "store/page_cache.h"

#include "base/assert.h"

namespace kb::store {

PageCache::PageCache(u64 budget_bytes)
    : budget_bytes_(budget_bytes), shard_budget_bytes_(budget_bytes / kShards), shards_(kShards) {}

PageCache::Shard& PageCache::shard_for(u64 address) const {
    // Fibonacci hashing: consecutive addresses land on different shards.
    return shards_[(address * 0x9e3779b97f4a7c15ULL) >> 60];
}
static_assert(PageCache::kShards == 16, "shard_for takes the top 4 bits");

std::shared_ptr<PageObject> PageCache::find(u64 address) const {
    Shard& shard = shard_for(address);
    std::lock_guard lock(shard.mutex);
    Entry* entry = shard.entries.find(address);
    if (entry == nullptr) {
        ++shard.misses;
        return nullptr;
    }
    ++shard.hits;
    entry->referenced = true;
    return entry->page;
}

std::shared_ptr<PageObject> PageCache::insert_loaded(std::shared_ptr<PageObject> page) {
    const u64 address = page->address();
    Shard& shard = shard_for(address);
    std::lock_guard lock(shard.mutex);
    auto [entry, inserted] = shard.entries.try_emplace(address);
    if (!inserted) return entry->page;
    const u64 charge = page->charge_bytes();
    std::shared_ptr<PageObject> resident = page;
    entry->page = std::move(page);
    enter_clock(shard, address, *entry);
    shard.bytes += charge;
    evict_locked(shard);  // may move entries: `entry` is not used after this
    return resident;
}

void PageCache::insert_pinned(std::shared_ptr<PageObject> page) {
    const u64 address = page->address();
    Shard& shard = shard_for(address);
    std::lock_guard lock(shard.mutex);
    auto [entry, inserted] = shard.entries.try_emplace(address);
    KB_ASSERT_MSG(inserted, "a page is already cached at a newly allocated address");
    const u64 charge = page->charge_bytes();
    entry->page = std::move(page);
    entry->pinned = true;
    shard.bytes += charge;
    shard.pinned_bytes += charge;
    evict_locked(shard);
}

void PageCache::unpin(u64 address) {
    Shard& shard = shard_for(address);
    std::lock_guard lock(shard.mutex);
    Entry* entry = shard.entries.find(address);
    KB_ASSERT(entry != nullptr && entry->pinned);
    entry->pinned = false;
    shard.pinned_bytes -= entry->page->charge_bytes();
    enter_clock(shard, address, *entry);
    evict_locked(shard);
}

void PageCache::erase(u64 address) {
    Shard& shard = shard_for(address);
    std::lock_guard lock(shard.mutex);
    Entry* entry = shard.entries.find(address);
    if (entry == nullptr) return;
    const u64 charge = entry->page->charge_bytes();
    shard.bytes -= charge;
    if (entry->pinned) {
        shard.pinned_bytes -= charge;
    } else if (shard.hand == entry->clock) {
        shard.hand = shard.clock.erase(entry->clock);
    } else {
        shard.clock.erase(entry->clock);
    }
    shard.entries.erase(address);
}

void PageCache::enter_clock(Shard& shard, u64 address, Entry& entry) {
    // Just behind the hand: the last place it reaches.
    entry.clock = shard.clock.insert(shard.hand, address);
    entry.referenced = false;
}

void PageCache::evict_locked(Shard& shard) {
    while (shard.bytes > shard_budget_bytes_ && !shard.clock.empty()) {
        if (shard.hand == shard.clock.end()) shard.hand = shard.clock.begin();
        const u64 address = *shard.hand;
        Entry* entry = shard.entries.find(address);
        KB_ASSERT(entry != nullptr && !entry->pinned);
        if (entry->referenced) {
            entry->referenced = false;  // a second chance
            ++shard.hand;
            continue;
        }
        shard.hand = shard.clock.erase(shard.hand);
        shard.bytes -= entry->page->charge_bytes();
        shard.entries.erase(address);
        ++shard.evictions;
    }
}

PageCacheStats PageCache::stats() const {
    PageCacheStats stats;
    for (Shard& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        stats.hits += shard.hits;
        stats.misses += shard.misses;
        stats.resident_bytes += shard.bytes;
        stats.pinned_bytes += shard.pinned_bytes;
        stats.entries += shard.entries.size();
        stats.evictions += shard.evictions;
    }
    return stats;
}

}  // namespace kb::store
