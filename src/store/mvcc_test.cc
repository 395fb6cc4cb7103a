// Tests of MVCC versions against a model of key -> [(created, ended, row)]: reads as of random
// positions through snapshots and the writer's view, histories, as-of scans in both directions,
// the all-versions cursor, and the position rules.
#include "store/mvcc.h"

#include <gtest/gtest.h>

#include <map>

#include "store/store_model.h"
#include "store/store_test_support.h"

namespace kb::store {
namespace {

using testing::text;

const TreeId kTree{TenantId(3), 9};

// key -> versions, oldest first.
using VersionModel = std::map<Bytes, std::vector<Version>>;

std::optional<Bytes> model_get(const VersionModel& model, const Bytes& key, Position as_of) {
    auto it = model.find(key);
    if (it == model.end()) return std::nullopt;
    for (const Version& version : it->second) {
        const bool ended = version.ended != Position::none() && version.ended <= as_of;
        if (version.created <= as_of && !ended) return version.row;
    }
    return std::nullopt;
}

struct MvccHarness {
    explicit MvccHarness(u64 seed) : machine(seed), keys(testing::make_test_keys()), random(seed) {
        auto opened = Store::open(*machine.storage, machine.loop, {}, *keys, random);
        KB_ASSERT(opened.has_value());
        store = std::move(*opened);
        KB_ASSERT(store->create_tree(kTree).is_ok());
    }
    testing::SimMachine machine;
    std::unique_ptr<DerivedPageKeys> keys;
    crypto::SeededRandom random;
    std::unique_ptr<Store> store;
};

// Prefix-free keys: a length byte, then the characters.
Bytes user_key(u64 n) {
    std::string body = "user" + std::to_string(n);
    Bytes key(body.size() + 1);
    key[0] = static_cast<u8>(body.size());
    std::copy(body.begin(), body.end(), key.begin() + 1);
    return key;
}

void check_all(const Snapshot& view, const VersionModel& model, Position as_of, Prng& prng,
               const std::string& where) {
    // Point reads.
    for (const auto& [key, versions] : model) {
        auto got = mvcc_get(view, kTree, key, as_of);
        ASSERT_TRUE(got) << where << ": " << got.status().to_string();
        ASSERT_EQ(*got, model_get(model, key, as_of))
            << where << ": key " << testing::show(key) << " as of " << as_of.value();
    }
    // An as-of scan over a random range, either direction.
    const Bytes lower = prng.coin() ? Bytes() : user_key(prng.uniform(60));
    const Bytes upper = prng.coin() ? Bytes() : user_key(prng.uniform(60));
    const bool forward = prng.coin();
    std::vector<std::pair<Bytes, Bytes>> expected;
    for (const auto& [key, versions] : model) {
        if (key < lower || (!upper.empty() && key >= upper)) continue;
        if (auto row = model_get(model, key, as_of)) expected.emplace_back(key, *row);
    }
    if (!forward) std::reverse(expected.begin(), expected.end());
    auto cursor = MvccCursor::open(view, kTree, lower, upper, as_of,
                                   forward ? Direction::forward : Direction::backward);
    ASSERT_TRUE(cursor) << where << ": " << cursor.status().to_string();
    usize i = 0;
    while (cursor->valid()) {
        ASSERT_LT(i, expected.size()) << where;
        ASSERT_EQ(Bytes(cursor->key().begin(), cursor->key().end()), expected[i].first) << where;
        ASSERT_EQ(Bytes(cursor->row().begin(), cursor->row().end()), expected[i].second) << where;
        ++i;
        ASSERT_TRUE(cursor->next().is_ok());
    }
    ASSERT_EQ(i, expected.size()) << where << (forward ? " forward" : " backward");
}

void check_versions(const Snapshot& view, const VersionModel& model, const std::string& where) {
    auto cursor = MvccVersionCursor::open(view, kTree, {}, {});
    ASSERT_TRUE(cursor) << cursor.status().to_string();
    for (const auto& [key, versions] : model) {
        auto history = mvcc_history(view, kTree, key);
        ASSERT_TRUE(history) << history.status().to_string();
        std::vector<Version> newest_first(versions.rbegin(), versions.rend());
        ASSERT_EQ(*history, newest_first) << where << ": history of " << testing::show(key);
        for (const Version& version : newest_first) {
            ASSERT_TRUE(cursor->valid()) << where;
            ASSERT_EQ(Bytes(cursor->key().begin(), cursor->key().end()), key) << where;
            ASSERT_EQ(cursor->version(), version) << where;
            ASSERT_TRUE(cursor->next().is_ok());
        }
    }
    ASSERT_FALSE(cursor->valid()) << where;
}

void run_mvcc_model(u64 seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Prng prng(seed);
    MvccHarness h(seed);
    VersionModel model;
    struct Held {
        Snapshot snapshot;
        VersionModel model;
    };
    std::vector<Held> held;
    u64 position = 0;
    for (int op = 0; op < 1200; ++op) {
        if (prng.chance(3, 4)) ++position;  // several changes can share a position
        const Position at(std::max<u64>(position, 1));
        const Bytes key = user_key(prng.uniform(60));
        std::vector<Version>& versions = model[key];
        const bool live = !versions.empty() && versions.back().ended == Position::none();
        if (live && prng.chance(1, 4)) {
            ASSERT_TRUE(mvcc_delete(*h.store, kTree, key, at).is_ok());
            if (versions.back().created == at) {
                versions.pop_back();  // created and deleted at one position: never visible
            } else {
                versions.back().ended = at;
            }
        } else {
            Bytes row(prng.uniform(prng.chance(1, 20) ? 6000 : 80));
            prng.fill(row);
            ASSERT_TRUE(mvcc_put(*h.store, kTree, key, row, at).is_ok());
            if (live && versions.back().created == at) {
                versions.back().row = row;
            } else {
                if (live) versions.back().ended = at;
                versions.push_back({at, Position::none(), row});
            }
        }
        if (versions.empty()) model.erase(key);
        if (prng.chance(1, 40)) {
            ASSERT_TRUE(h.store->publish(at, {}).is_ok());
            held.push_back({h.store->snapshot(), model});
        }
    }
    // The writer's view, as of every few positions.
    for (u64 as_of = 0; as_of <= position + 1; as_of += 1 + prng.uniform(40)) {
        check_all(h.store->working_view(), model, Position(as_of), prng, "working view");
        if (::testing::Test::HasFatalFailure()) return;
    }
    check_all(h.store->working_view(), model, kLatestPosition, prng, "latest");
    check_versions(h.store->working_view(), model, "working view");
    // Each held snapshot sees its own model at positions up to its own.
    for (const Held& snapshot : held) {
        const u64 top = snapshot.snapshot.applied().value();
        check_all(snapshot.snapshot, snapshot.model, Position(prng.uniform(top + 1)), prng,
                  "snapshot at " + std::to_string(top));
        check_all(snapshot.snapshot, snapshot.model, Position(top), prng, "snapshot top");
        if (::testing::Test::HasFatalFailure()) return;
    }
    // And after a checkpoint and reopen.
    ASSERT_TRUE(h.store->publish(Position(position), {}).is_ok());
    held.clear();
    ASSERT_TRUE(testing::checkpoint_and_wait(*h.store, h.machine.loop).is_ok());
    h.store.reset();
    auto opened = Store::open(*h.machine.storage, h.machine.loop, {}, *h.keys, h.random);
    ASSERT_TRUE(opened) << opened.status().to_string();
    check_versions((*opened)->snapshot(), model, "reopened");
}

TEST(Mvcc, VersionsMatchAModelAtEveryPosition) {
    for (u64 seed = 1; seed <= 6; ++seed) {
        run_mvcc_model(seed);
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(Mvcc, PositionRules) {
    MvccHarness h(1);
    const Bytes key = user_key(1);
    ASSERT_TRUE(mvcc_put(*h.store, kTree, key, text("v5"), Position(5)).is_ok());
    EXPECT_EQ(mvcc_put(*h.store, kTree, key, text("v4"), Position(4)).code(),
              StatusCode::invalid_argument);
    EXPECT_EQ(mvcc_delete(*h.store, kTree, user_key(2), Position(6)).code(), StatusCode::not_found);
    ASSERT_TRUE(mvcc_delete(*h.store, kTree, key, Position(7)).is_ok());
    EXPECT_EQ(mvcc_delete(*h.store, kTree, key, Position(8)).code(), StatusCode::not_found);
    Snapshot view = h.store->working_view();
    EXPECT_FALSE(mvcc_get(view, kTree, key, Position(4)).value().has_value());
    EXPECT_EQ(mvcc_get(view, kTree, key, Position(5)).value(), testing::bytes_of("v5"));
    EXPECT_EQ(mvcc_get(view, kTree, key, Position(6)).value(), testing::bytes_of("v5"));
    EXPECT_FALSE(mvcc_get(view, kTree, key, Position(7)).value().has_value());
    auto history = mvcc_history(view, kTree, key);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ((*history)[0].created, Position(5));
    EXPECT_EQ((*history)[0].ended, Position(7));
    Bytes too_long(limits::kKeySizeBytesMax + 1, 'k');
    EXPECT_EQ(mvcc_put(*h.store, kTree, too_long, text("x"), Position(9)).code(),
              StatusCode::invalid_argument);
}

TEST(Mvcc, CurrentVersionIsFoundWithLongHistories) {
    MvccHarness h(2);
    for (u64 version = 1; version <= 50; ++version) {
        for (u64 k = 0; k < 200; ++k) {
            ASSERT_TRUE(mvcc_put(*h.store, kTree, user_key(k), text("v" + std::to_string(version)),
                                 Position(version))
                            .is_ok());
        }
    }
    Snapshot view = h.store->working_view();
    for (u64 k = 0; k < 200; k += 13) {
        EXPECT_EQ(mvcc_get(view, kTree, user_key(k)).value(), testing::bytes_of("v50"));
        EXPECT_EQ(mvcc_get(view, kTree, user_key(k), Position(17)).value(),
                  testing::bytes_of("v17"));
    }
}

}  // namespace
}  // namespace kb::store
