// Tests of the Store on the simulated disk without faults: the writer's view and snapshots
// against a std::map model under random edits (puts, sorted runs, erases), scans in both
// directions, reopening after checkpoints, limits, overflow values, dropping trees, page reuse and
// snapshot safety.
#include "store/store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <vector>

#include "store/store_model.h"
#include "store/store_test_support.h"

namespace kb::store {
namespace {

using testing::checkpoint_and_wait;
using testing::expect_view_equals;
using testing::Model;
using testing::SimMachine;
using testing::text;
using testing::Workload;

struct Harness {
    explicit Harness(u64 seed, StoreOptions store_options = {})
        : machine(seed), keys(testing::make_test_keys()), random(seed), options(store_options) {
        reopen();
    }
    void reopen() {
        store.reset();
        auto opened = Store::open(*machine.storage, machine.loop, options, *keys, random);
        ASSERT_TRUE(opened) << opened.status().to_string();
        store = std::move(*opened);
    }
    Status checkpoint() { return checkpoint_and_wait(*store, machine.loop); }

    SimMachine machine;
    std::unique_ptr<DerivedPageKeys> keys;
    crypto::SeededRandom random;
    StoreOptions options;
    std::unique_ptr<Store> store;
};

const TreeId kTree{TenantId(1), 1};

TEST(Store, NewStoreIsEmptyAndDurable) {
    Harness h(1);
    EXPECT_EQ(h.store->applied(), Position(0));
    EXPECT_TRUE(h.store->meta().empty());
    EXPECT_EQ(h.store->superblock().sequence, 1u);
    EXPECT_FALSE(h.store->has_tree(kTree).value());
    // The creation is durable: a crash right after open loses nothing.
    h.store.reset();
    h.machine.storage->crash();
    h.reopen();
    EXPECT_EQ(h.store->superblock().sequence, 1u);
}

TEST(Store, PutGetEraseAndPublish) {
    Harness h(2);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    EXPECT_EQ(h.store->create_tree(kTree).code(), StatusCode::already_exists);
    ASSERT_TRUE(h.store->put(kTree, text("apple"), text("red")).is_ok());
    ASSERT_TRUE(h.store->put(kTree, text("banana"), text("yellow")).is_ok());
    EXPECT_EQ(h.store->get(kTree, text("apple")).value(), testing::bytes_of("red"));
    EXPECT_FALSE(h.store->get(kTree, text("cherry")).value().has_value());
    // Not published yet: a snapshot does not see the tree.
    EXPECT_FALSE(h.store->snapshot().has_tree(kTree).value());
    ASSERT_TRUE(h.store->publish(Position(5), text("meta-5")).is_ok());
    Snapshot at5 = h.store->snapshot();
    EXPECT_EQ(at5.applied(), Position(5));
    EXPECT_EQ(at5.get(kTree, text("banana")).value(), testing::bytes_of("yellow"));
    ASSERT_TRUE(h.store->put(kTree, text("apple"), text("green")).is_ok());
    EXPECT_TRUE(h.store->erase(kTree, text("banana")).value());
    EXPECT_FALSE(h.store->erase(kTree, text("banana")).value());
    ASSERT_TRUE(h.store->publish(Position(6), text("meta-6")).is_ok());
    // The old snapshot still sees its version; a new one sees the new.
    EXPECT_EQ(at5.get(kTree, text("apple")).value(), testing::bytes_of("red"));
    EXPECT_EQ(at5.get(kTree, text("banana")).value(), testing::bytes_of("yellow"));
    Snapshot at6 = h.store->snapshot();
    EXPECT_EQ(at6.get(kTree, text("apple")).value(), testing::bytes_of("green"));
    EXPECT_FALSE(at6.get(kTree, text("banana")).value().has_value());
    EXPECT_EQ(at6.get(TreeId{TenantId(1), 99}, text("x")).status().code(), StatusCode::not_found);
}

TEST(Store, ReopenRestoresTheLastCheckpoint) {
    Harness h(3);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    ASSERT_TRUE(h.store->put(kTree, text("a"), text("1")).is_ok());
    ASSERT_TRUE(h.store->publish(Position(10), text("state-10")).is_ok());
    ASSERT_TRUE(h.checkpoint().is_ok());
    ASSERT_TRUE(h.store->put(kTree, text("b"), text("2")).is_ok());
    ASSERT_TRUE(h.store->publish(Position(11), text("state-11")).is_ok());
    h.reopen();  // without a checkpoint of 11
    EXPECT_EQ(h.store->applied(), Position(10));
    EXPECT_EQ(Bytes(h.store->meta().begin(), h.store->meta().end()), testing::bytes_of("state-10"));
    EXPECT_EQ(h.store->get(kTree, text("a")).value(), testing::bytes_of("1"));
    EXPECT_FALSE(h.store->get(kTree, text("b")).value().has_value());
    auto report = h.store->check_integrity();
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);
}

TEST(Store, KeyAndValueLimits) {
    Harness h(4);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    Bytes longest_key(kStoreKeyBytesMax, 'k');
    Bytes too_long_key(kStoreKeyBytesMax + 1, 'k');
    EXPECT_TRUE(h.store->put(kTree, longest_key, text("v")).is_ok());
    Status refused = h.store->put(kTree, too_long_key, text("v"));
    EXPECT_EQ(refused.code(), StatusCode::invalid_argument);
    EXPECT_NE(refused.message().find("key of 1089 bytes is over the store's limit of 1088"),
              std::string::npos)
        << refused.message();
    Bytes largest(kStoreValueBytesMax);
    for (usize i = 0; i < largest.size(); ++i) largest[i] = static_cast<u8>(i * 131 + (i >> 12));
    ASSERT_TRUE(h.store->put(kTree, text("big"), largest).is_ok());
    Bytes too_large(kStoreValueBytesMax + 1);
    EXPECT_EQ(h.store->put(kTree, text("bigger"), too_large).code(), StatusCode::invalid_argument);
    ASSERT_TRUE(h.store->publish(Position(1), {}).is_ok());
    ASSERT_TRUE(h.checkpoint().is_ok());
    h.reopen();
    EXPECT_EQ(h.store->get(kTree, text("big")).value(), largest);
    EXPECT_EQ(h.store->get(kTree, longest_key).value(), testing::bytes_of("v"));
}

// Random edits over several trees, checked against the model through the writer's view, through
// snapshots held across later edits, after checkpoints and after reopening.
void run_model(u64 seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Prng prng(seed);
    StoreOptions options;
    options.cache_bytes = prng.coin() ? 64 * limits::kMiB : 256 * limits::kKiB;
    options.pages_per_epoch_max = prng.coin() ? limits::kPagesPerPageKeyMax : 7;
    Harness h(seed, options);
    Workload workload{prng};
    workload.key_space = prng.coin() ? 60 : (prng.coin() ? 600 : 3000);
    const std::set<TenantId> tenants{TenantId(1), TenantId(2)};
    Model working;
    Model published;
    Model durable;
    u64 position = 0;
    struct Held {
        Snapshot snapshot;
        Model model;
    };
    std::deque<Held> held;

    const int steps = workload.key_space > 1000 ? 6000 : 1500;
    for (int step = 0; step < steps; ++step) {
        const u64 roll = prng.uniform(1000);
        if (roll < 8 || working.empty()) {
            const TreeId tree{TenantId(1 + prng.uniform(2)), 1 + prng.uniform(3)};
            Status created = h.store->create_tree(tree);
            if (working.count(tree)) {
                ASSERT_EQ(created.code(), StatusCode::already_exists);
            } else {
                ASSERT_TRUE(created.is_ok()) << created.to_string();
                working[tree];
            }
            continue;
        }
        auto it = working.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(prng.uniform(working.size())));
        const TreeId tree = it->first;
        testing::TreeModel& content = it->second;
        if (roll < 10 && prng.chance(1, 4)) {
            ASSERT_TRUE(h.store->drop_tree(tree).is_ok());
            working.erase(tree);
        } else if (roll < 540) {
            Bytes key = workload.key();
            Bytes value = workload.value();
            ASSERT_TRUE(h.store->put(tree, key, value).is_ok());
            content[key] = value;
        } else if (roll < 600) {
            // A sorted run (put_sorted): new keys and replacements, runs that cross leaves,
            // overflow values now and then (from the workload).
            std::map<Bytes, Bytes> run;
            const u64 length = 1 + prng.uniform(prng.coin() ? 8 : 60);
            for (u64 i = 0; i < length; ++i) run[workload.key()] = workload.value();
            std::vector<KeyValue> puts;
            for (const auto& [key, value] : run) puts.push_back(KeyValue{key, value});
            ASSERT_TRUE(h.store->put_sorted(tree, puts).is_ok());
            for (auto& [key, value] : run) content[key] = value;
        } else if (roll < 800) {
            Bytes key = workload.key();
            auto erased = h.store->erase(tree, key);
            ASSERT_TRUE(erased);
            ASSERT_EQ(*erased, content.erase(key) > 0);
        } else if (roll < 880) {
            Bytes key = workload.key();
            auto got = h.store->get(tree, key);
            ASSERT_TRUE(got) << got.status().to_string();
            auto expected = content.find(key);
            ASSERT_EQ(got->has_value(), expected != content.end());
            if (got->has_value()) {
                ASSERT_EQ(**got, expected->second);
            }
        } else if (roll < 920) {
            // A bounded scan of the writer's view, either direction.
            Bytes lower = workload.key();
            Bytes upper = prng.coin() ? workload.key() : Bytes();
            const bool forward = prng.coin();
            auto cursor = h.store->scan(tree, lower, upper,
                                        forward ? Direction::forward : Direction::backward);
            ASSERT_TRUE(cursor) << cursor.status().to_string();
            std::vector<Bytes> expected;
            for (auto at = content.lower_bound(lower); at != content.end(); ++at) {
                if (!upper.empty() && at->first >= upper) break;
                expected.push_back(at->first);
            }
            if (!forward) std::reverse(expected.begin(), expected.end());
            usize i = 0;
            for (; cursor->valid(); testing::advance(*cursor)) {
                ASSERT_LT(i, expected.size());
                ASSERT_EQ(Bytes(cursor->key().begin(), cursor->key().end()), expected[i]);
                ++i;
            }
            ASSERT_EQ(i, expected.size());
        } else if (roll < 960) {
            position += 1 + prng.uniform(3);
            const std::string meta = "meta@" + std::to_string(position);
            ASSERT_TRUE(h.store->publish(Position(position), text(meta)).is_ok());
            published = working;
            if (prng.chance(1, 3)) held.push_back({h.store->snapshot(), published});
        } else if (roll < 975) {
            // Check and release a held snapshot.
            if (!held.empty()) {
                const usize index = prng.uniform(held.size());
                expect_view_equals(held[index].snapshot, held[index].model, tenants,
                                   "held snapshot");
                if (::testing::Test::HasFatalFailure()) return;
                held.erase(held.begin() + static_cast<std::ptrdiff_t>(index));
            }
        } else if (roll < 990) {
            ASSERT_TRUE(h.checkpoint().is_ok());
            durable = published;
        } else if (prng.chance(1, 3)) {
            // Reopen: everything not checkpointed is gone.
            held.clear();
            h.reopen();
            if (::testing::Test::HasFatalFailure()) return;
            working = durable;
            published = durable;
            auto report = h.store->check_integrity();
            ASSERT_TRUE(report) << report.status().to_string();
            ASSERT_EQ(report->unaccounted_pages, 0u);
            expect_view_equals(h.store->snapshot(), durable, tenants, "after reopen");
            if (::testing::Test::HasFatalFailure()) return;
        }
    }
    expect_view_equals(h.store->working_view(), working, tenants, "working view");
    if (::testing::Test::HasFatalFailure()) return;
    for (const Held& snapshot : held) {
        expect_view_equals(snapshot.snapshot, snapshot.model, tenants, "held at end");
        if (::testing::Test::HasFatalFailure()) return;
    }
    auto report = h.store->check_integrity();
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);
    if (std::getenv("KB_STORE_MODEL_TRACE")) {
        const StoreStats stats = h.store->stats();
        std::printf(
            "seed %llu: %llu trees, %llu entries, %llu pages reached, page count %llu, "
            "%llu checkpoints, %llu cache misses\n",
            static_cast<unsigned long long>(seed), static_cast<unsigned long long>(report->trees),
            static_cast<unsigned long long>(report->entries),
            static_cast<unsigned long long>(report->reachable_pages),
            static_cast<unsigned long long>(stats.page_count),
            static_cast<unsigned long long>(stats.checkpoints),
            static_cast<unsigned long long>(stats.cache_misses));
    }
}

TEST(Store, MatchesAModelUnderRandomEdits) {
    // KB_STORE_MODEL_SEEDS raises the count for soak runs.
    const char* seeds_env = std::getenv("KB_STORE_MODEL_SEEDS");
    const u64 seeds = seeds_env ? std::strtoull(seeds_env, nullptr, 10) : 30;
    for (u64 seed = 1; seed <= seeds; ++seed) {
        run_model(seed);
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(Store, SequentialInsertsFillPages) {
    Harness h(5);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    constexpr int kKeys = 20000;
    for (int i = 0; i < kKeys; ++i) {
        char key[16];
        std::snprintf(key, sizeof key, "%010d", i);
        ASSERT_TRUE(h.store->put(kTree, text(key), text("0123456789012345678901234")).is_ok());
    }
    ASSERT_TRUE(h.store->publish(Position(1), {}).is_ok());
    auto report = h.store->check_integrity();
    ASSERT_TRUE(report);
    EXPECT_EQ(report->entries, u64{kKeys});
    // 20,000 entries of 2 + 7 + 10 + 25 = 44 bytes: ~91 per 4008-byte leaf when pages are full.
    EXPECT_LT(report->reachable_pages, 240u) << "appends should leave leaves nearly full";
}

// Appending consecutive keys in sorted runs gives what one put at a time gives: every entry,
// leaves as full (the run fills a leaf, the split starts the next), no page leaked.
TEST(Store, SortedRunsOfAppendsFillPagesLikeSinglePuts) {
    Harness h(6);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    constexpr usize kKeys = 20000;
    std::vector<std::string> keys;
    for (usize i = 0; i < kKeys; ++i) {
        char key[16];
        std::snprintf(key, sizeof key, "%010zu", i);
        keys.emplace_back(key);
    }
    const Bytes value = testing::bytes_of("0123456789012345678901234");
    for (usize first = 0; first < kKeys; first += 100) {
        std::vector<KeyValue> run;
        for (usize i = first; i < first + 100; ++i) run.push_back(KeyValue{text(keys[i]), value});
        ASSERT_TRUE(h.store->put_sorted(kTree, run).is_ok());
    }
    ASSERT_TRUE(h.store->publish(Position(1), {}).is_ok());
    auto report = h.store->check_integrity();
    ASSERT_TRUE(report);
    EXPECT_EQ(report->entries, u64{kKeys});
    EXPECT_EQ(report->unaccounted_pages, 0u);
    EXPECT_LT(report->reachable_pages, 240u) << "sorted runs should leave leaves nearly full";
    auto cursor = h.store->snapshot().scan(kTree, {}, {});
    ASSERT_TRUE(cursor);
    usize seen = 0;
    for (; cursor->valid(); testing::advance(*cursor)) {
        ASSERT_EQ(Bytes(cursor->key().begin(), cursor->key().end()), testing::bytes_of(keys[seen]));
        ++seen;
    }
    EXPECT_EQ(seen, kKeys);
}

// A snapshot taken early keeps reading its version while later versions overwrite every key and
// checkpoints free the old pages (and a small cache forces them to be read back from disk).
TEST(Store, LongLivedSnapshotReadsCorrectlyAcrossCheckpoints) {
    StoreOptions options;
    options.cache_bytes = 128 * limits::kKiB;
    Harness h(6, options);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    auto value_of = [](int key, int round) {
        return "value of " + std::to_string(key) + " in round " + std::to_string(round) +
               std::string(static_cast<usize>(key % 50), '.');
    };
    constexpr int kKeys = 3000;
    for (int k = 0; k < kKeys; ++k) {
        ASSERT_TRUE(
            h.store->put(kTree, text("key" + std::to_string(k)), text(value_of(k, 0))).is_ok());
    }
    ASSERT_TRUE(h.store->publish(Position(1), {}).is_ok());
    ASSERT_TRUE(h.checkpoint().is_ok());
    Snapshot old = h.store->snapshot();
    const u64 pages_after_first = h.store->stats().page_count;
    for (int round = 1; round <= 6; ++round) {
        for (int k = 0; k < kKeys; ++k) {
            ASSERT_TRUE(
                h.store->put(kTree, text("key" + std::to_string(k)), text(value_of(k, round)))
                    .is_ok());
        }
        ASSERT_TRUE(h.store->publish(Position(1 + static_cast<u64>(round)), {}).is_ok());
        ASSERT_TRUE(h.checkpoint().is_ok());
        for (int k = 0; k < kKeys; k += 7) {
            auto got = old.get(kTree, text("key" + std::to_string(k)));
            ASSERT_TRUE(got) << got.status().to_string();
            ASSERT_EQ(**got, testing::bytes_of(value_of(k, 0))) << "round " << round;
        }
    }
    EXPECT_GT(h.store->stats().cache_misses, 0u);
    // While the snapshot lives, its pages are not reused: the file grew.
    const u64 pages_with_snapshot = h.store->stats().page_count;
    EXPECT_GT(pages_with_snapshot, 3 * pages_after_first);
    // Released, its pages return to use after the next checkpoints: no further growth.
    old = Snapshot();
    for (int round = 7; round <= 12; ++round) {
        for (int k = 0; k < kKeys; ++k) {
            ASSERT_TRUE(
                h.store->put(kTree, text("key" + std::to_string(k)), text(value_of(k, round)))
                    .is_ok());
        }
        ASSERT_TRUE(h.store->publish(Position(1 + static_cast<u64>(round)), {}).is_ok());
        ASSERT_TRUE(h.checkpoint().is_ok());
    }
    EXPECT_EQ(h.store->stats().page_count, pages_with_snapshot);
    auto report = h.store->check_integrity();
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);
}

TEST(Store, DroppedTreesPagesAreReused) {
    Harness h(7);
    const TreeId first{TenantId(1), 1};
    const TreeId second{TenantId(1), 2};
    ASSERT_TRUE(h.store->create_tree(first).is_ok());
    Bytes value(3000, 'v');  // overflow runs too
    for (int k = 0; k < 500; ++k) {
        ASSERT_TRUE(h.store->put(first, text("key" + std::to_string(k)), value).is_ok());
    }
    ASSERT_TRUE(h.store->publish(Position(1), {}).is_ok());
    ASSERT_TRUE(h.checkpoint().is_ok());
    const u64 pages = h.store->stats().page_count;
    ASSERT_TRUE(h.store->drop_tree(first).is_ok());
    EXPECT_EQ(h.store->drop_tree(first).code(), StatusCode::not_found);
    ASSERT_TRUE(h.store->publish(Position(2), {}).is_ok());
    ASSERT_TRUE(h.checkpoint().is_ok());  // the drop is durable: its pages are free
    ASSERT_TRUE(h.store->create_tree(second).is_ok());
    for (int k = 0; k < 500; ++k) {
        ASSERT_TRUE(h.store->put(second, text("key" + std::to_string(k)), value).is_ok());
    }
    ASSERT_TRUE(h.store->publish(Position(3), {}).is_ok());
    ASSERT_TRUE(h.checkpoint().is_ok());
    EXPECT_LE(h.store->stats().page_count, pages + 8);
    h.reopen();
    EXPECT_FALSE(h.store->has_tree(first).value());
    EXPECT_EQ(h.store->get(second, text("key42")).value(), value);
    auto report = h.store->check_integrity();
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);
}

TEST(Store, PageKeyEpochsMoveOnBeforeTheBound) {
    StoreOptions options;
    options.pages_per_epoch_max = 3;
    Harness h(8, options);
    ASSERT_TRUE(h.store->create_tree(kTree).is_ok());
    for (int round = 0; round < 5; ++round) {
        for (int k = 0; k < 200; ++k) {
            ASSERT_TRUE(h.store
                            ->put(kTree, text("key" + std::to_string(k)),
                                  text(std::string(40, static_cast<char>('a' + round))))
                            .is_ok());
        }
        ASSERT_TRUE(h.store->publish(Position(static_cast<u64>(round) + 1), {}).is_ok());
        ASSERT_TRUE(h.checkpoint().is_ok());
    }
    h.reopen();
    // Pages sealed under several epochs all open, and no key sealed more than 3 pages.
    auto got = h.store->get(kTree, text("key7"));
    ASSERT_TRUE(got) << got.status().to_string();
    EXPECT_EQ(**got, testing::bytes_of(std::string(40, 'e')));
    usize epochs_used = 0;
    for (u64 epoch = 0; epoch < 100; ++epoch) {
        const u64 seals = h.keys->page_key(TenantId(1), epoch).value()->seal_count();
        EXPECT_LE(seals, 3u) << "epoch " << epoch;
        epochs_used += seals > 0;
    }
    EXPECT_GE(epochs_used, 4u);
}

TEST(Store, ReadOnlyStorageMustHoldAStore) {
    SimMachine machine(9);
    io::SimStorage read_only(machine.disk, machine.loop, {.seed = 9, .read_only = true});
    auto keys = testing::make_test_keys();
    crypto::SeededRandom random(9);
    auto opened = Store::open(read_only, machine.loop, {}, *keys, random);
    EXPECT_EQ(opened.status().code(), StatusCode::not_found);
}

}  // namespace
}  // namespace kb::store
