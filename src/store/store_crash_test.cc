// Crash and corruption properties of the store on the fault-injecting storage:
//  * a crash at every point of a checkpoint (every loop task of it: page writes in flight,
//    between the syncs, during each half of the superblock), with unsynced writes lost,
//    reordered or torn: after recovery the store equals the model of the last durable
//    checkpoint or of the one in flight (that one if it was acknowledged) — never a mix, and
//    the recovered store keeps working (its free list is right);
//  * misdirected page writes and flipped bits are reported as corruption naming the page, never
//    returned as data;
//  * damaged superblock copies fall back to a valid one; an unknown version is refused.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "store/store.h"
#include "store/store_model.h"
#include "store/store_test_support.h"

namespace kb::store {
namespace {

using testing::checkpoint_and_wait;
using testing::expect_view_equals;
using testing::Model;
using testing::SimMachine;
using testing::Workload;

const std::set<TenantId> kTenants{TenantId(1), TenantId(2)};

// Random edits to `model` and the store's working view, then a publish.
void edit(Store& store, Model& model, Prng& prng, int operations, u64 position) {
    Workload workload{prng};
    workload.key_space = 300;
    workload.overflow_per_mille = 40;
    for (int i = 0; i < operations; ++i) {
        const u64 roll = prng.uniform(100);
        if (roll < 3 || model.empty()) {
            const TreeId tree{TenantId(1 + prng.uniform(2)), 1 + prng.uniform(3)};
            if (!model.count(tree)) {
                ASSERT_TRUE(store.create_tree(tree).is_ok());
                model[tree];
            }
            continue;
        }
        auto it = model.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(prng.uniform(model.size())));
        if (roll < 4 && prng.chance(1, 8)) {
            ASSERT_TRUE(store.drop_tree(it->first).is_ok());
            model.erase(it);
        } else if (roll < 75) {
            Bytes key = workload.key();
            Bytes value = workload.value();
            ASSERT_TRUE(store.put(it->first, key, value).is_ok());
            it->second[key] = value;
        } else {
            Bytes key = workload.key();
            ASSERT_TRUE(store.erase(it->first, key).is_ok());
            it->second.erase(key);
        }
    }
    ASSERT_TRUE(
        store.publish(Position(position), as_bytes("meta " + std::to_string(position))).is_ok());
}

struct CrashOutcome {
    bool acknowledged = false;    // the checkpoint's callback ran ok before the crash
    bool ran_to_the_end = false;  // nothing was left to run: the crash came after it all
    std::string recovered;        // "old" or "new"
};

// Builds a store through a few checkpoints, starts one more and crashes after `tasks` loop
// tasks; then recovers and checks. Everything is a function of the seed, so every `tasks`
// replays the same history up to its crash.
CrashOutcome crash_during_checkpoint(u64 seed, u64 tasks) {
    CrashOutcome outcome;
    Prng prng(seed);
    io::SimDiskOptions disk_options;
    disk_options.crash_tear_weight = 2;
    SimMachine machine(seed, disk_options);
    auto keys = testing::make_test_keys();
    crypto::SeededRandom random(seed);
    StoreOptions options;
    options.cache_bytes = prng.coin() ? 64 * limits::kMiB : 96 * limits::kKiB;
    options.pages_per_epoch_max = prng.coin() ? limits::kPagesPerPageKeyMax : 5;
    auto opened = Store::open(*machine.storage, machine.loop, options, *keys, random);
    EXPECT_TRUE(opened) << opened.status().to_string();
    if (!opened) return outcome;
    std::unique_ptr<Store> store = std::move(*opened);

    Model durable;
    u64 position = 0;
    const int rounds = 1 + static_cast<int>(prng.uniform(3));
    for (int round = 0; round < rounds; ++round) {
        edit(*store, durable, prng, 150 + static_cast<int>(prng.uniform(300)), ++position);
        if (::testing::Test::HasFatalFailure()) return outcome;
        Status done = checkpoint_and_wait(*store, machine.loop);
        EXPECT_TRUE(done.is_ok()) << done.to_string();
    }
    // Held snapshots make some pages wait; releasing one mid-way frees them.
    Snapshot held = store->snapshot();
    Model next = durable;
    edit(*store, next, prng, 100 + static_cast<int>(prng.uniform(300)), ++position);
    if (::testing::Test::HasFatalFailure()) return outcome;
    if (prng.coin()) held = Snapshot();

    store->checkpoint([&](Status status) { outcome.acknowledged = status.is_ok(); });
    u64 ran = 0;
    while (ran < tasks && machine.loop.run_once()) ++ran;
    outcome.ran_to_the_end = ran < tasks;
    held = Snapshot();
    machine.storage->crash();
    store.reset();

    opened = Store::open(*machine.storage, machine.loop, options, *keys, random);
    EXPECT_TRUE(opened) << "seed " << seed << " tasks " << tasks << ": "
                        << opened.status().to_string();
    if (!opened) return outcome;
    store = std::move(*opened);
    const std::string where =
        "seed " + std::to_string(seed) + " crash after " + std::to_string(tasks) + " tasks";
    const u64 applied = store->applied().value();
    EXPECT_TRUE(applied == position || applied == position - 1) << where;
    const Model& expected = applied == position ? next : durable;
    outcome.recovered = applied == position ? "new" : "old";
    if (outcome.acknowledged) {
        EXPECT_EQ(applied, position) << where << ": acknowledged, then lost";
    }
    EXPECT_EQ(std::string(as_chars(store->meta())), "meta " + std::to_string(applied)) << where;
    expect_view_equals(store->snapshot(), expected, kTenants, where);
    if (::testing::Test::HasFatalFailure()) return outcome;
    auto report = store->check_integrity();
    EXPECT_TRUE(report) << where << ": " << report.status().to_string();
    if (report) {
        EXPECT_EQ(report->unaccounted_pages, 0u) << where;
    }

    // The recovered store keeps working: more edits (into pages its free list offers), a
    // checkpoint, a clean reopen.
    Model after = expected;
    edit(*store, after, prng, 200, applied + 1);
    if (::testing::Test::HasFatalFailure()) return outcome;
    Status done = checkpoint_and_wait(*store, machine.loop);
    EXPECT_TRUE(done.is_ok()) << where << ": " << done.to_string();
    store.reset();
    opened = Store::open(*machine.storage, machine.loop, options, *keys, random);
    EXPECT_TRUE(opened) << where << ": " << opened.status().to_string();
    if (!opened) return outcome;
    expect_view_equals((*opened)->snapshot(), after, kTenants, where + ", after more edits");
    return outcome;
}

TEST(StoreCrash, EveryPointOfACheckpointRecoversOneWholeVersion) {
    // KB_STORE_CRASH_SEEDS raises the count for soak runs.
    const char* seeds_env = std::getenv("KB_STORE_CRASH_SEEDS");
    const u64 seeds = seeds_env ? std::strtoull(seeds_env, nullptr, 10) : 30;
    u64 runs = 0;
    u64 recovered_old = 0;
    u64 recovered_new = 0;
    u64 acknowledged = 0;
    for (u64 seed = 1; seed <= seeds; ++seed) {
        for (u64 tasks = 0;; ++tasks) {
            const CrashOutcome outcome = crash_during_checkpoint(seed, tasks);
            if (::testing::Test::HasFailure()) {
                ADD_FAILURE() << "seed " << seed << " crash after " << tasks << " tasks";
                return;
            }
            ++runs;
            recovered_old += outcome.recovered == "old";
            recovered_new += outcome.recovered == "new";
            acknowledged += outcome.acknowledged;
            if (outcome.ran_to_the_end) break;
        }
    }
    std::printf(
        "%llu crash points: recovered the old version %llu times, the new one %llu "
        "(acknowledged %llu)\n",
        static_cast<unsigned long long>(runs), static_cast<unsigned long long>(recovered_old),
        static_cast<unsigned long long>(recovered_new),
        static_cast<unsigned long long>(acknowledged));
    // Both outcomes must have been exercised, including new versions not yet acknowledged
    // (the first superblock half durable, the second not).
    EXPECT_GT(recovered_old, seeds);
    EXPECT_GT(recovered_new, acknowledged);
}

// A store with one checkpoint of `model`, for the corruption tests.
struct Corruptible {
    explicit Corruptible(u64 seed) : machine(seed), keys(testing::make_test_keys()), random(seed) {
        auto opened = Store::open(*machine.storage, machine.loop, {}, *keys, random);
        KB_ASSERT(opened.has_value());
        store = std::move(*opened);
        Prng prng(seed);
        edit(*store, model, prng, 1500, 1);
        KB_ASSERT(checkpoint_and_wait(*store, machine.loop).is_ok());
    }
    Result<std::unique_ptr<Store>> reopen(StoreOptions options = {}) {
        store.reset();
        return Store::open(*machine.storage, machine.loop, options, *keys, random);
    }

    SimMachine machine;
    std::unique_ptr<DerivedPageKeys> keys;
    crypto::SeededRandom random;
    std::unique_ptr<Store> store;
    Model model;
};

// Reads everything; ok only if all of it equals the model. Returns the first error.
Status read_all(const Snapshot& view, const Model& model) {
    for (const auto& [tree, content] : model) {
        auto cursor = KB_TRY(view.scan(tree, {}, {}));
        auto it = content.begin();
        for (; cursor.valid(); KB_TRY(cursor.next())) {
            ByteSpan value = KB_TRY(cursor.value());
            if (it == content.end() ||
                Bytes(cursor.key().begin(), cursor.key().end()) != it->first ||
                Bytes(value.begin(), value.end()) != it->second) {
                return Status::internal("WRONG DATA returned from " + to_string(tree));
            }
            ++it;
        }
        if (it != content.end()) return Status::internal("MISSING DATA in " + to_string(tree));
    }
    return Status::ok();
}

// Every bit flip in a page file (one at a time, at many offsets) is either harmless (a free
// page) or reported as corruption naming a store page: never wrong data.
TEST(StoreCrash, FlippedBitsInPagesAreReportedNotReturned) {
    Corruptible c(21);
    auto pages = c.machine.disk.contents("store/pages.kbs");
    ASSERT_TRUE(pages);
    const u64 size = pages->size();
    u64 entries = 0;
    for (const auto& [tree, content] : c.model) entries += content.size();
    std::printf("%zu trees, %llu entries, page file %llu bytes\n", c.model.size(),
                static_cast<unsigned long long>(entries), static_cast<unsigned long long>(size));
    u64 detected = 0;
    for (u64 offset = kPageSize + 3; offset < size; offset += 499) {
        ASSERT_TRUE(c.machine.disk.corrupt("store/pages.kbs", offset, 5).is_ok());
        auto opened = c.reopen({.cache_bytes = 64 * limits::kKiB});
        Status status = opened ? read_all((*opened)->snapshot(), c.model) : opened.status();
        if (!status.is_ok()) {
            ++detected;
            ASSERT_TRUE(status.code() == StatusCode::corruption ||
                        status.code() == StatusCode::crypto)
                << "offset " << offset << ": " << status.to_string();
            ASSERT_NE(status.message().find("store page "), std::string::npos)
                << status.to_string();
        }
        if (opened) opened->reset();
        ASSERT_TRUE(c.machine.disk.corrupt("store/pages.kbs", offset, 5).is_ok());  // undo
    }
    std::printf("%llu of %llu flips detected\n", static_cast<unsigned long long>(detected),
                static_cast<unsigned long long>((size - kPageSize) / 499));
    EXPECT_GT(detected, 10u);
}

// A checkpoint whose page writes land elsewhere: the pages they should have replaced are stale
// or never written, and whatever they hit is damaged. Reading reports it; nothing wrong is
// returned.
TEST(StoreCrash, MisdirectedPageWritesAreDetected) {
    u64 detected = 0;
    for (u64 seed = 1; seed <= 20; ++seed) {
        Corruptible c(100 + seed);
        Prng prng(seed);
        Model next = c.model;
        edit(*c.store, next, prng, 300, 2);
        c.machine.storage->inject(io::SimFault::misdirect, "store/pages.kbs",
                                  1 + static_cast<u32>(prng.uniform(3)));
        ASSERT_TRUE(checkpoint_and_wait(*c.store, c.machine.loop).is_ok());
        auto opened = c.reopen({.cache_bytes = 64 * limits::kKiB});
        Status status = opened ? read_all((*opened)->snapshot(), next) : opened.status();
        if (!status.is_ok()) {
            ++detected;
            ASSERT_TRUE(status.code() == StatusCode::corruption ||
                        status.code() == StatusCode::crypto)
                << "seed " << seed << ": " << status.to_string();
            ASSERT_NE(status.message().find("store page "), std::string::npos)
                << status.to_string();
        }
    }
    std::printf("misdirected writes detected in %llu of 20 stores\n",
                static_cast<unsigned long long>(detected));
    EXPECT_GT(detected, 5u);
}

Status rewrite_superblock_slot(io::SimDisk& disk, usize slot, u16 version) {
    const Bytes original = KB_TRY(disk.contents("store/superblock.kbs"));
    Bytes wanted = original;
    u8* copy = wanted.data() + slot * kSuperblockSlotBytes;
    store_le_u16(copy + 4, version);
    store_le_u32(copy + kSuperblockSize - 4, crypto::crc32c(ByteSpan(copy, kSuperblockSize - 4)));
    // Flip the bits that differ, one at a time (SimDisk's only way to change stored bytes).
    for (usize i = 0; i < original.size(); ++i) {
        for (u8 bit = 0; bit < 8; ++bit) {
            if (((original[i] ^ wanted[i]) >> bit) & 1) {
                KB_TRY(disk.corrupt("store/superblock.kbs", i, bit));
            }
        }
    }
    return Status::ok();
}

TEST(StoreCrash, DamagedSuperblockCopiesFallBackToAValidOne) {
    Corruptible c(31);
    // Destroy three of the four copies: the last one still opens the store.
    for (usize slot = 0; slot < 3; ++slot) {
        ASSERT_TRUE(
            c.machine.disk.corrupt("store/superblock.kbs", slot * kSuperblockSlotBytes + 20, 1)
                .is_ok());
    }
    auto opened = c.reopen();
    ASSERT_TRUE(opened) << opened.status().to_string();
    EXPECT_TRUE(read_all((*opened)->snapshot(), c.model).is_ok());
    opened->reset();
    // All four: refused, naming the file and each copy's problem.
    ASSERT_TRUE(
        c.machine.disk.corrupt("store/superblock.kbs", 3 * kSuperblockSlotBytes + 20, 1).is_ok());
    opened = c.reopen();
    EXPECT_EQ(opened.status().code(), StatusCode::corruption);
    EXPECT_NE(opened.status().message().find("no valid superblock"), std::string::npos)
        << opened.status().to_string();
}

TEST(StoreCrash, UnknownSuperblockVersionIsRefused) {
    Corruptible c(32);
    ASSERT_TRUE(rewrite_superblock_slot(c.machine.disk, 2, 7).is_ok());
    auto opened = c.reopen();
    EXPECT_EQ(opened.status().code(), StatusCode::unsupported);
    EXPECT_NE(opened.status().message().find("unknown superblock format version 7"),
              std::string::npos)
        << opened.status().to_string();
}

TEST(StoreCrash, FailedPageWritesLeaveTheStoreUsable) {
    Corruptible c(41);
    Prng prng(41);
    Model next = c.model;
    edit(*c.store, next, prng, 300, 2);
    c.machine.storage->inject(io::SimFault::write_error, "store/pages.kbs");
    Status failed = checkpoint_and_wait(*c.store, c.machine.loop);
    EXPECT_EQ(failed.code(), StatusCode::io_error) << failed.to_string();
    EXPECT_TRUE(c.store->failure().is_ok());
    // Nothing durable changed; the next checkpoint writes everything again.
    Status retried = checkpoint_and_wait(*c.store, c.machine.loop);
    ASSERT_TRUE(retried.is_ok()) << retried.to_string();
    auto report = c.store->check_integrity();
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);
    auto opened = c.reopen();
    ASSERT_TRUE(opened) << opened.status().to_string();
    EXPECT_TRUE(read_all((*opened)->snapshot(), next).is_ok());
}

TEST(StoreCrash, FailedSyncStopsTheStore) {
    for (const char* path : {"store/pages.kbs", "store/superblock.kbs"}) {
        SCOPED_TRACE(path);
        Corruptible c(42);
        Prng prng(42);
        Model next = c.model;
        edit(*c.store, next, prng, 300, 2);
        c.machine.storage->inject(io::SimFault::sync_error, path);
        Status failed = checkpoint_and_wait(*c.store, c.machine.loop);
        EXPECT_EQ(failed.code(), StatusCode::fatal) << failed.to_string();
        EXPECT_EQ(c.store->failure().code(), StatusCode::fatal);
        const TreeId tree = c.model.begin()->first;
        EXPECT_EQ(c.store->put(tree, as_bytes("k"), as_bytes("v")).code(), StatusCode::fatal);
        EXPECT_EQ(checkpoint_and_wait(*c.store, c.machine.loop).code(), StatusCode::fatal);
        // The process restarts from disk: the last durable checkpoint, or the new one if its
        // superblock was already durable in two slots.
        c.machine.storage->crash();
        auto opened = c.reopen();
        ASSERT_TRUE(opened) << opened.status().to_string();
        const Model& expected = (*opened)->applied() == Position(2) ? next : c.model;
        EXPECT_TRUE(read_all((*opened)->snapshot(), expected).is_ok());
    }
}

}  // namespace
}  // namespace kb::store
