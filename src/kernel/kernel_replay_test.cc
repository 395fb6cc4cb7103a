// Replay determinism over random op sequences of every kind: the same logged ops give the same
// state hash and the same store content however often the state is published, whether the
// store is closed and reopened in between, or crashes and replays from its last checkpoint;
// and the incremental state hash always equals the one recomputed from the trees.
#include <gtest/gtest.h>

#include <map>

#include "kernel/kernel.h"
#include "kernel/kernel_reads.h"
#include "kernel/kernel_test_support.h"

namespace kb::kernel {
namespace {

using testing::dump;
using testing::expect_hash_recomputes;
using testing::KernelHarness;
using testing::LoggedOp;
using testing::Workload;

constexpr int kOpsPerSeed = 300;
constexpr u64 kSeeds = 10;

struct Generated {
    std::vector<LoggedOp> log;
    StateHash hash;
    Catalog catalog;
    AccessControl access;
    testing::StoreDump contents;
    std::map<std::string, u64> outcomes;  // outcome name (or "repeat") -> count
};

// Whether table `table` of `tenant` has a live row in the writer's view.
bool has_rows(KernelHarness& h, TenantId tenant, TableId table) {
    const store::Snapshot view = h.store->working_view();
    auto cursor = reads::row_scan(view, tenant, table, {}, {}, store::kLatestPosition);
    return cursor && cursor->valid();
}

// What an op's DDL does to tables that have rows (to check that the workload covers it).
std::vector<std::string> ddl_on_rows(KernelHarness& h, const Op& op) {
    std::vector<std::string> kinds;
    const auto* txn = std::get_if<TransactionOp>(&op.body);
    const TenantCatalog* tenant = h.kernel->catalog().tenant(op.tenant);
    if (txn == nullptr || tenant == nullptr) return kinds;
    for (const DdlChange& change : txn->ddl) {
        if (const auto* index = std::get_if<CreateIndexChange>(&change)) {
            if (tenant->table(index->schema.table) != nullptr &&
                has_rows(h, op.tenant, index->schema.table)) {
                kinds.push_back("index built over rows");
            }
        } else if (const auto* truncate = std::get_if<TruncateTableChange>(&change)) {
            if (tenant->table(truncate->table) != nullptr &&
                has_rows(h, op.tenant, truncate->table)) {
                kinds.push_back("truncate of rows");
            }
        } else if (const auto* drop = std::get_if<DropColumnChange>(&change)) {
            if (tenant->table(drop->table) != nullptr && has_rows(h, op.tenant, drop->table)) {
                kinds.push_back("column dropped under rows");
            }
        }
    }
    return kinds;
}

// Runs a random workload on a fresh kernel, publishing at random moments and checking the
// recomputed hash now and then; positions skip now and then (records that are not ops).
Generated generate(u64 seed) {
    KernelHarness h(seed);
    Workload workload(seed);
    Prng prng(seed ^ 0x5eed);
    Generated out;
    for (int i = 0; i < kOpsPerSeed; ++i) {
        const Op op = workload.next(h);
        const Position at(h.kernel->applied().value() + 1 + (prng.chance(1, 10) ? 1 : 0));
        const std::vector<std::string> kinds = ddl_on_rows(h, op);
        const ApplyResult result = h.apply(op, std::nullopt, at);
        ++out.outcomes[result.repeated ? "repeat" : std::string(outcome_name(result.outcome))];
        if (result.outcome == Outcome::ok && !result.repeated) {
            for (const std::string& kind : kinds) ++out.outcomes[kind];
            if (op.kind() == OpKind::drop_tenant) ++out.outcomes["tenant dropped"];
        }
        if (prng.chance(1, 8)) {
            EXPECT_TRUE(h.kernel->publish().is_ok());
        }
        if (i % 100 == 99) expect_hash_recomputes(h);
    }
    expect_hash_recomputes(h);
    out.log = h.log;
    out.hash = h.kernel->state_hash();
    out.catalog = h.kernel->catalog();
    out.access = h.kernel->access();
    out.contents = dump(h.published(), true);
    return out;
}

void expect_same_state(KernelHarness& h, const Generated& expected, u64 seed) {
    EXPECT_EQ(h.kernel->state_hash(), expected.hash) << "seed " << seed;
    EXPECT_EQ(h.kernel->catalog(), expected.catalog) << "seed " << seed;
    EXPECT_EQ(h.kernel->access(), expected.access) << "seed " << seed;
    EXPECT_EQ(dump(h.published(), true), expected.contents) << "seed " << seed;
}

TEST(KernelReplay, SameOpsGiveTheSameStateAndContent) {
    std::map<std::string, u64> outcomes;
    for (u64 seed = 1; seed <= kSeeds; ++seed) {
        const Generated expected = generate(seed);
        for (const auto& [name, count] : expected.outcomes) outcomes[name] += count;
        // Replayed publishing only at the end, on another machine.
        KernelHarness replay(seed + 1000);
        for (const LoggedOp& logged : expected.log) replay.apply_logged(logged);
        expect_same_state(replay, expected, seed);
        expect_hash_recomputes(replay);
    }
    // The workload exercises what it is meant to (it is deterministic, so these are stable).
    for (const char* name :
         {"ok", "repeat", "offset mismatch", "invalid effect", "unique violation", "no such stream",
          "stream deleted", "index built over rows", "truncate of rows",
          "column dropped under rows", "role exists", "no such role", "dependent objects exist",
          "permission denied", "tenant dropped", "no such tenant"}) {
        EXPECT_GT(outcomes[name], 0u) << name;
    }
    EXPECT_GT(outcomes["ok"], kSeeds * kOpsPerSeed / 2);
    if (HasFailure()) {
        for (const auto& [name, count] : outcomes) std::cout << name << ": " << count << "\n";
    }
}

TEST(KernelReplay, ReopeningOrCrashingMidwayChangesNothing) {
    for (u64 seed = 1; seed <= kSeeds; ++seed) {
        const Generated expected = generate(seed);
        KernelHarness h(seed + 2000);
        Prng prng(seed);
        usize next = 0;
        while (next < expected.log.size()) {
            h.apply_logged(expected.log[next++]);
            if (prng.chance(1, 40)) {
                h.reopen();  // clean: publish, checkpoint, close, open
            } else if (prng.chance(1, 30)) {
                ASSERT_TRUE(h.checkpoint().is_ok());
            } else if (prng.chance(1, 40)) {
                // Crash: back to the last checkpoint, then replay the log after it.
                h.crash_and_reopen();
                const Position applied = h.kernel->applied();
                next = 0;
                while (next < expected.log.size() &&
                       expected.log[next].context.position <= applied) {
                    ++next;
                }
            }
        }
        expect_same_state(h, expected, seed);
        expect_hash_recomputes(h);
    }
}

}  // namespace
}  // namespace kb::kernel
