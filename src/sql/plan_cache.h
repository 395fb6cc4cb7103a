// PlanCache: the bound and planned form of a prepared SELECT, kept with the statement so that
// running it again skips binding and planning (for a point lookup by primary key they were
// about half the work); likewise the bound form of a prepared INSERT ... VALUES (InsertPlan,
// exec_dml.h: binding was about 40% of a single-row insert's statement work), under the same
// rules.
//
// A plan depends only on the statement, its parameter types (fixed when it was prepared) and
// the schema it was planned against — never on parameter values, now() or the rows: those are
// read when the plan's operators open (Limit evaluates LIMIT / OFFSET then, TableScan its key
// ranges, now() is a call). So a kept plan is reused exactly while the schema is the same,
// which db::SchemaKey identifies (host, tenant, catalog version); a transaction with schema
// changes of its own, or reading the past, has no key and plans afresh.
//
// One plan is kept per statement. Running takes it out of the cache and gives it back
// afterwards (closed: it holds no cursor, row or transaction between runs), so a statement
// run by two threads at once plans for the second instead of sharing operator state.
#pragma once

#include <atomic>
#include <memory>

#include "db/transaction.h"
#include "sql/plan_select.h"

namespace kb::sql {

struct InsertPlan;

struct CachedPlan {
    db::SchemaKey key;
    QueryPlan plan;
};

class PlanCache {
public:
    PlanCache() = default;
    PlanCache(const PlanCache&) = delete;
    PlanCache& operator=(const PlanCache&) = delete;
    ~PlanCache();

    // The kept plan for `key`, out of the cache; nullptr when none is kept for that schema
    // (a plan for another schema is dropped) or another run has it.
    std::unique_ptr<CachedPlan> take(const db::SchemaKey& key);
    // Closes `plan` and keeps it for the next run (unless one was kept meanwhile).
    void keep(std::unique_ptr<CachedPlan> plan);

    // The same for a prepared INSERT's bound form (exec_dml.h), kept beside the SELECT slot.
    std::unique_ptr<InsertPlan> take_insert(const db::SchemaKey& key);
    void keep_insert(std::unique_ptr<InsertPlan> plan);

    // How many runs reused a kept plan (for tests and diagnostics).
    u64 reuses() const { return reuses_.load(std::memory_order_relaxed); }

private:
    std::atomic<CachedPlan*> slot_{nullptr};
    std::atomic<InsertPlan*> insert_slot_{nullptr};
    std::atomic<u64> reuses_{0};
};

}  // namespace kb::sql
