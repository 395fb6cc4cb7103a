// mvcc_put_new_sorted (mvcc.h): batches of new keys written in one pass store exactly what
// mvcc_put of each would (the raw entries of the tree compared, across leaf splits and with
// updates of the same keys later), and a batch with a bad entry writes nothing.
#include <gtest/gtest.h>

#include "store/mvcc.h"
#include "store/store_test_support.h"
#include "types/limits.h"

namespace kb::store {
namespace {

using testing::text;

const TreeId kTree{TenantId(4), 11};

struct Harness {
    explicit Harness(u64 seed) : machine(seed), keys(testing::make_test_keys()), random(seed) {
        auto opened = Store::open(*machine.storage, machine.loop, {}, *keys, random);
        KB_ASSERT(opened.has_value());
        store = std::move(*opened);
        KB_ASSERT(store->create_tree(kTree).is_ok());
    }

    // Every raw entry of the tree (current and older versions), in key order.
    std::vector<std::pair<Bytes, Bytes>> entries() const {
        std::vector<std::pair<Bytes, Bytes>> out;
        auto cursor = store->scan(kTree, {}, {});
        KB_ASSERT(cursor.has_value());
        while (cursor->valid()) {
            auto value = cursor->value();
            KB_ASSERT(value.has_value());
            out.emplace_back(Bytes(cursor->key().begin(), cursor->key().end()),
                             Bytes(value->begin(), value->end()));
            const Status moved = cursor->next();
            KB_ASSERT(moved.is_ok());
        }
        return out;
    }

    testing::SimMachine machine;
    std::unique_ptr<DerivedPageKeys> keys;
    crypto::SeededRandom random;
    std::unique_ptr<Store> store;
};

// Big-endian numbers: ascending as bytes.
Bytes key_of(u64 n) {
    Bytes key(8);
    for (usize i = 0; i < 8; ++i) key[i] = static_cast<u8>(n >> (56 - 8 * i));
    return key;
}

TEST(MvccPutSorted, StoresWhatPutsOfEachKeyStore) {
    Harness one_by_one(1), sorted(1);
    u64 next = 0;
    // Batches of growing size (up to several leaves' worth), a publish after each.
    for (u64 batch = 1; batch <= 40; ++batch) {
        const Position at(batch);
        std::vector<Bytes> keys, rows;
        for (u64 i = 0; i < batch * 7; ++i) {
            keys.push_back(key_of(next * 3));  // gaps for the later batches' keys
            rows.push_back(
                testing::bytes_of("row " + std::to_string(next) + std::string(next % 50, 'x')));
            ++next;
        }
        std::vector<KeyValue> entries;
        for (usize i = 0; i < keys.size(); ++i) {
            ASSERT_TRUE(mvcc_put(*one_by_one.store, kTree, keys[i], rows[i], at).is_ok());
            entries.push_back(KeyValue{.key = keys[i], .value = rows[i]});
        }
        ASSERT_TRUE(mvcc_put_new_sorted(*sorted.store, kTree, entries, at).is_ok());
        ASSERT_TRUE(one_by_one.store->publish(at, {}).is_ok());
        ASSERT_TRUE(sorted.store->publish(at, {}).is_ok());
    }
    // Keys between the earlier ones, and new versions of some earlier keys on both stores.
    std::vector<Bytes> between;
    std::vector<KeyValue> entries;
    for (u64 n = 0; n < next; n += 5) between.push_back(key_of(n * 3 + 1));
    for (const Bytes& key : between) {
        ASSERT_TRUE(mvcc_put(*one_by_one.store, kTree, key, text("between"), Position(50)).is_ok());
        entries.push_back(KeyValue{.key = key, .value = text("between")});
    }
    ASSERT_TRUE(mvcc_put_new_sorted(*sorted.store, kTree, entries, Position(50)).is_ok());
    for (u64 n = 0; n < next; n += 11) {
        for (Harness* h : {&one_by_one, &sorted}) {
            ASSERT_TRUE(
                mvcc_put(*h->store, kTree, key_of(n * 3), text("new"), Position(51)).is_ok());
        }
    }
    const auto expected = one_by_one.entries();
    EXPECT_GT(expected.size(), next);
    EXPECT_EQ(sorted.entries(), expected);
    const Snapshot view = sorted.store->working_view();
    EXPECT_EQ(mvcc_get(view, kTree, key_of(3)).value(), testing::bytes_of("row 1x"));
    EXPECT_EQ(mvcc_get(view, kTree, key_of(0)).value(), testing::bytes_of("new"));
    EXPECT_EQ(mvcc_get(view, kTree, key_of(0), Position(50)).value(), testing::bytes_of("row 0"));
}

TEST(MvccPutSorted, ABadEntryWritesNothing) {
    Harness h(2);
    const Bytes too_long(limits::kKeySizeBytesMax + 1, 'k');
    const Bytes first = key_of(1);
    const Bytes row = testing::bytes_of("row");
    const KeyValue bad_key[] = {{.key = first, .value = row}, {.key = too_long, .value = row}};
    EXPECT_EQ(mvcc_put_new_sorted(*h.store, kTree, bad_key, Position(3)).code(),
              StatusCode::invalid_argument);
    const Bytes huge(limits::kRowSizeBytesMax + 1, 'r');
    const KeyValue bad_row[] = {{.key = first, .value = row}, {.key = key_of(2), .value = huge}};
    EXPECT_EQ(mvcc_put_new_sorted(*h.store, kTree, bad_row, Position(3)).code(),
              StatusCode::invalid_argument);
    const KeyValue fine[] = {{.key = first, .value = row}};
    EXPECT_EQ(mvcc_put_new_sorted(*h.store, kTree, fine, Position::none()).code(),
              StatusCode::invalid_argument);
    EXPECT_TRUE(h.entries().empty());
    ASSERT_TRUE(mvcc_put_new_sorted(*h.store, kTree, fine, Position(3)).is_ok());
    EXPECT_EQ(h.entries().size(), 1U);
}

}  // namespace
}  // namespace kb::store
