// A std::map model of the store for tests, and checks that a store view equals it. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "base/prng.h"
#include "store/snapshot.h"
#include "store/store.h"

namespace kb::store::testing {

using TreeModel = std::map<Bytes, Bytes>;
using Model = std::map<TreeId, TreeModel>;

inline std::string show(ByteSpan bytes) {
    return bytes.size() <= 40 ? to_hex(bytes) : to_hex(bytes.first(40)) + "...";
}

// Moves a cursor on, failing the test (and ending the walk) on an error.
inline void advance(Cursor& cursor) {
    Status moved = cursor.next();
    EXPECT_TRUE(moved.is_ok()) << moved.to_string();
    if (!moved.is_ok()) cursor = Cursor();
}

// Every tree and key of `view` equals `model` (and no other tree exists for the tenants used).
inline void expect_view_equals(const Snapshot& view, const Model& model,
                               const std::set<TenantId>& tenants, const std::string& where) {
    for (TenantId tenant : tenants) {
        auto trees = view.trees(tenant);
        ASSERT_TRUE(trees) << where << ": " << trees.status().to_string();
        std::vector<TreeId> expected;
        for (const auto& [tree, content] : model) {
            if (tree.tenant == tenant) expected.push_back(tree);
        }
        ASSERT_EQ(*trees, expected) << where << ": trees of tenant " << tenant.value();
    }
    for (const auto& [tree, content] : model) {
        auto cursor = view.scan(tree, {}, {});
        ASSERT_TRUE(cursor) << where << ": " << cursor.status().to_string();
        auto it = content.begin();
        for (; cursor->valid(); advance(*cursor)) {
            ASSERT_NE(it, content.end())
                << where << ": " << to_string(tree) << " has extra key " << show(cursor->key());
            ASSERT_EQ(Bytes(cursor->key().begin(), cursor->key().end()), it->first)
                << where << ": " << to_string(tree);
            auto value = cursor->value();
            ASSERT_TRUE(value) << where << ": " << value.status().to_string();
            ASSERT_EQ(value->size(), it->second.size())
                << where << ": " << to_string(tree) << " key " << show(it->first);
            ASSERT_TRUE(std::equal(value->begin(), value->end(), it->second.begin()))
                << where << ": " << to_string(tree) << " key " << show(it->first);
            ++it;
        }
        ASSERT_EQ(it, content.end())
            << where << ": " << to_string(tree) << " lacks key " << show(it->first);
    }
}

// Random keys from a small space (so overwrites and erases hit), values of mixed sizes
// including ones that go to overflow runs.
struct Workload {
    Prng& prng;
    usize key_space = 400;
    u64 overflow_per_mille = 20;

    Bytes key() {
        const u64 n = prng.uniform(key_space);
        std::string key = "k" + std::to_string(n * 7919 % 100000);
        // Some long keys, so inner nodes hold few separators and trees grow tall.
        if (n % 13 == 0) key += std::string(200 + n % 300, static_cast<char>('a' + n % 26));
        return Bytes(key.begin(), key.end());
    }
    Bytes value() {
        usize size;
        const u64 roll = prng.uniform(1000);
        if (roll < overflow_per_mille) {
            size = 1500 + prng.uniform(12000);
        } else if (roll < 100) {
            size = 400 + prng.uniform(900);
        } else {
            size = prng.uniform(120);
        }
        Bytes value(size);
        prng.fill(value);
        return value;
    }
};

}  // namespace kb::store::testing
