// PlanCache: one kept plan per prepared statement, handed out and back (see plan_cache.h).
#include "sql/plan_cache.h"

#include "sql/exec_dml.h"

namespace kb::sql {

PlanCache::~PlanCache() {
    delete slot_.exchange(nullptr);
    delete insert_slot_.exchange(nullptr);
}

std::unique_ptr<CachedPlan> PlanCache::take(const db::SchemaKey& key) {
    std::unique_ptr<CachedPlan> plan(slot_.exchange(nullptr, std::memory_order_acquire));
    if (plan == nullptr || !(plan->key == key)) return nullptr;  // a stale plan is dropped
    reuses_.fetch_add(1, std::memory_order_relaxed);
    return plan;
}

void PlanCache::keep(std::unique_ptr<CachedPlan> plan) {
    plan->plan.root->close();
    CachedPlan* empty = nullptr;
    if (slot_.compare_exchange_strong(empty, plan.get(), std::memory_order_release)) {
        plan.release();  // NOLINT(bugprone-unused-return-value): the slot owns it now
    }
}

std::unique_ptr<InsertPlan> PlanCache::take_insert(const db::SchemaKey& key) {
    std::unique_ptr<InsertPlan> plan(insert_slot_.exchange(nullptr, std::memory_order_acquire));
    if (plan == nullptr || !(plan->key == key)) return nullptr;  // a stale plan is dropped
    reuses_.fetch_add(1, std::memory_order_relaxed);
    return plan;
}

void PlanCache::keep_insert(std::unique_ptr<InsertPlan> plan) {
    InsertPlan* empty = nullptr;
    if (insert_slot_.compare_exchange_strong(empty, plan.get(), std::memory_order_release)) {
        plan.release();  // NOLINT(bugprone-unused-return-value): the slot owns it now
    }
}

}  // namespace kb::sql
