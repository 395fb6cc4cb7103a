// PlanCache: one kept plan per prepared statement, handed out and back (see plan_cache.h).
#include "sql/plan_cache.h"

#include "sql/exec_dml.h"

namespace kb::sql {

PlanCache::~PlanCache() {
    delete slot_.exchange(nullptr);
    delete insert_slot_.exchange(nullptr);
}

namespace {

// What `slot` holds, out of it, if it was kept for `key` (one for another schema is dropped).
template <typename Kept>
std::unique_ptr<Kept> take_from(std::atomic<Kept*>& slot, const db::SchemaKey& key,
                                std::atomic<u64>& reuses) {
    std::unique_ptr<Kept> kept(slot.exchange(nullptr, std::memory_order_acquire));
    if (kept == nullptr || !(kept->key == key)) return nullptr;
    reuses.fetch_add(1, std::memory_order_relaxed);
    return kept;
}

// Puts `kept` in `slot`, unless another run's was kept meanwhile.
template <typename Kept>
void keep_in(std::atomic<Kept*>& slot, std::unique_ptr<Kept> kept) {
    Kept* empty = nullptr;
    if (slot.compare_exchange_strong(empty, kept.get(), std::memory_order_release)) {
        kept.release();  // NOLINT(bugprone-unused-return-value): the slot owns it now
    }
}

}  // namespace

std::unique_ptr<CachedPlan> PlanCache::take(const db::SchemaKey& key) {
    return take_from(slot_, key, reuses_);
}

void PlanCache::keep(std::unique_ptr<CachedPlan> plan) {
    plan->plan.root->close();
    keep_in(slot_, std::move(plan));
}

std::unique_ptr<InsertPlan> PlanCache::take_insert(const db::SchemaKey& key) {
    return take_from(insert_slot_, key, reuses_);
}

void PlanCache::keep_insert(std::unique_ptr<InsertPlan> plan) {
    keep_in(insert_slot_, std::move(plan));
}

}  // namespace kb::sql
