// Optimistic transactions against a serial model, through the whole write path (Transaction →
// admission and its conflict window → log → apply) on a simulated node: no lost update, no
// write skew, no duplicate key, no orphaned child, and random interleavings whose committed
// transactions read exactly what a serial execution in log order would have read.
#include <gtest/gtest.h>

#include <map>

#include "base/prng.h"
#include "db/engine_test_support.h"
#include "db/transaction.h"
#include "kernel/catalog_test_support.h"
#include "kernel/row_codec.h"

namespace kb::db {
namespace {

using kernel::TableId;
using kernel::Value;
using testing::SimNode;

// Tables of one bigint key and one text value.
kernel::TableSchema table_schema(u64 id, std::string name) {
    return kernel::testing::simple_table(id, std::move(name), 1);
}

Bytes key_of(i64 id) {
    const kernel::TableSchema table = table_schema(1, "t");
    kernel::TableKeys keys(table, {});
    std::vector<Value> values{Value::int64(id), Value::null()};
    return *keys.primary_key(values);
}

Bytes row_of(i64 id, const std::string& value) {
    const kernel::TableSchema table = table_schema(1, "t");
    std::vector<Value> values{Value::int64(id), Value::text(value)};
    return kernel::encode_row(table, values);
}

std::string value_in(const Bytes& row) {
    auto values = kernel::decode_row(table_schema(1, "t"), row);
    EXPECT_TRUE(values.has_value());
    return values ? (*values)[1].as_text() : "";
}

class Occ : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        auto txn = Transaction::begin(node, tenant);
        ASSERT_TRUE(txn.has_value());
        ASSERT_TRUE(
            txn->change_schema(kernel::CreateTableChange{.schema = table_schema(1, "accounts")})
                .is_ok());
        ASSERT_TRUE(
            txn->change_schema(kernel::CreateTableChange{.schema = table_schema(2, "children")})
                .is_ok());
        auto committed = txn->commit();
        ASSERT_TRUE(committed.has_value()) << committed.status().to_string();
    }

    Transaction begin() {
        auto txn = Transaction::begin(node, tenant);
        EXPECT_TRUE(txn.has_value()) << txn.status().to_string();
        return std::move(*txn);
    }

    void put(TableId table, i64 id, const std::string& value) {
        Transaction txn = begin();
        auto existing = txn.get(table, key_of(id));
        ASSERT_TRUE(existing.has_value());
        Status written = *existing ? txn.update(table, key_of(id), row_of(id, value))
                                   : txn.insert(table, key_of(id), row_of(id, value));
        ASSERT_TRUE(written.is_ok());
        ASSERT_TRUE(txn.commit().has_value());
    }

    std::optional<std::string> read(TableId table, i64 id) {
        Transaction txn = begin();
        auto row = txn.get(table, key_of(id));
        EXPECT_TRUE(row.has_value());
        if (!row || !*row) return std::nullopt;
        return value_in(**row);
    }

    SimNode node{77};
    TenantId tenant;
    const TableId accounts{1};
    const TableId children{2};
};

TEST_F(Occ, SavepointsRollBackTheOverlay) {
    put(accounts, 1, "one");
    Transaction txn = begin();
    ASSERT_TRUE(txn.insert(accounts, key_of(2), row_of(2, "two")).is_ok());
    const Transaction::Mark savepoint = txn.mark();
    ASSERT_TRUE(txn.update(accounts, key_of(1), row_of(1, "changed")).is_ok());
    ASSERT_TRUE(txn.insert(accounts, key_of(3), row_of(3, "three")).is_ok());
    ASSERT_TRUE(
        txn.change_schema(kernel::CreateTableChange{.schema = table_schema(5, "extra")}).is_ok());
    txn.rollback_to(savepoint);
    EXPECT_EQ(txn.catalog().find_table("extra"), nullptr);
    EXPECT_EQ(value_in(**txn.get(accounts, key_of(1))), "one");
    EXPECT_FALSE(txn.get(accounts, key_of(3))->has_value());
    ASSERT_TRUE(txn.commit().has_value());
    EXPECT_EQ(read(accounts, 1), "one");
    EXPECT_EQ(read(accounts, 2), "two");
    EXPECT_FALSE(read(accounts, 3).has_value());
}

TEST_F(Occ, NoLostUpdate) {
    put(accounts, 1, "0");
    Prng prng(5);
    u64 total = 0;
    for (int round = 0; round < 20; ++round) {
        // Several read-modify-writes of one row on one snapshot; commit in a random order.
        std::vector<Transaction> open;
        const usize count = 2 + prng.uniform(4);
        for (usize i = 0; i < count; ++i) {
            open.push_back(begin());
            auto row = open.back().get(accounts, key_of(1));
            ASSERT_TRUE(row.has_value() && row->has_value());
            const int balance = std::stoi(value_in(**row));
            ASSERT_TRUE(open.back()
                            .update(accounts, key_of(1), row_of(1, std::to_string(balance + 1)))
                            .is_ok());
        }
        u64 committed = 0;
        while (!open.empty()) {
            const usize pick = prng.uniform(open.size());
            auto result = open[pick].commit();
            if (result) {
                ++committed;
            } else {
                EXPECT_EQ(result.status().code(), StatusCode::conflict);
            }
            open.erase(open.begin() + static_cast<std::ptrdiff_t>(pick));
        }
        EXPECT_EQ(committed, 1u) << "one snapshot, one row: exactly one increment can win";
        total += committed;
        ASSERT_EQ(read(accounts, 1), std::to_string(total));
    }
}

TEST_F(Occ, NoWriteSkew) {
    // Two doctors on call; the rule is that at least one stays on call. Each transaction checks
    // the rule on its snapshot and takes one doctor off.
    put(accounts, 1, "on");
    put(accounts, 2, "on");
    Transaction first = begin();
    Transaction second = begin();
    for (Transaction* txn : {&first, &second}) {
        ASSERT_EQ(value_in(**txn->get(accounts, key_of(1))), "on");
        ASSERT_EQ(value_in(**txn->get(accounts, key_of(2))), "on");
    }
    ASSERT_TRUE(first.update(accounts, key_of(1), row_of(1, "off")).is_ok());
    ASSERT_TRUE(second.update(accounts, key_of(2), row_of(2, "off")).is_ok());
    EXPECT_TRUE(first.commit().has_value());
    EXPECT_EQ(second.commit().status().code(), StatusCode::conflict);
    EXPECT_EQ(read(accounts, 2), "on");
}

TEST_F(Occ, NoDuplicateKey) {
    Transaction first = begin();
    Transaction second = begin();
    ASSERT_TRUE(first.insert(accounts, key_of(7), row_of(7, "first")).is_ok());
    ASSERT_TRUE(second.insert(accounts, key_of(7), row_of(7, "second")).is_ok());
    EXPECT_TRUE(first.commit().has_value());
    EXPECT_EQ(second.commit().status().code(), StatusCode::conflict);
    EXPECT_EQ(read(accounts, 7), "first");

    // A unique value other than the primary key: each session found the value free in the
    // unique index and records that, as SQL will; admission writes the index keys of the rows
    // a transaction inserts, so the second insert of the value conflicts.
    kernel::TableSchema people = table_schema(3, "people");
    kernel::IndexSchema unique;
    unique.id = kernel::IndexId(4);
    unique.table = people.id;
    unique.name = "people_c2_key";
    unique.unique = true;
    unique.columns = {kernel::IndexColumn{.column = kernel::ColumnId(2)}};
    Transaction ddl = begin();
    ASSERT_TRUE(ddl.change_schema(kernel::CreateTableChange{.schema = people}).is_ok());
    ASSERT_TRUE(ddl.change_schema(kernel::CreateIndexChange{.schema = unique}).is_ok());
    ASSERT_TRUE(ddl.commit().has_value());
    kernel::TableKeys keys(people, {&unique});
    auto unique_key = [&](i64 id) {
        std::vector<Value> values{Value::int64(id), Value::text("value 100")};
        return *keys.index_key(0, values, key_of(id));
    };
    Transaction third = begin();
    Transaction fourth = begin();
    third.note_absent(kernel::object_of(unique.id), unique_key(8));
    fourth.note_absent(kernel::object_of(unique.id), unique_key(9));
    ASSERT_EQ(unique_key(8), unique_key(9));  // the values alone: one key for both rows
    ASSERT_TRUE(third.insert(people.id, key_of(8), row_of(8, "value 100")).is_ok());
    ASSERT_TRUE(fourth.insert(people.id, key_of(9), row_of(9, "value 100")).is_ok());
    EXPECT_TRUE(third.commit().has_value());
    EXPECT_EQ(fourth.commit().status().code(), StatusCode::conflict);
}

TEST_F(Occ, NoOrphanedChild) {
    for (bool delete_first : {true, false}) {
        const i64 parent = delete_first ? 1 : 2;
        put(accounts, parent, "parent");
        // The child's primary key range for the parent: children are keyed by parent id here.
        Transaction remove_parent = begin();
        auto referencing = remove_parent.scan(children, key_of(parent), key_of(parent + 1));
        ASSERT_TRUE(referencing.has_value() && referencing->empty());
        ASSERT_TRUE(remove_parent.remove(accounts, key_of(parent)).is_ok());

        Transaction add_child = begin();
        auto found = add_child.get(accounts, key_of(parent));
        ASSERT_TRUE(found.has_value() && found->has_value());
        add_child.note_parent(kernel::object_of(accounts), key_of(parent));
        ASSERT_TRUE(add_child.insert(children, key_of(parent), row_of(parent, "child")).is_ok());

        Transaction& winner = delete_first ? remove_parent : add_child;
        Transaction& loser = delete_first ? add_child : remove_parent;
        EXPECT_TRUE(winner.commit().has_value());
        EXPECT_EQ(loser.commit().status().code(), StatusCode::conflict);
        // Either the parent is gone and no child names it, or both are there.
        EXPECT_EQ(read(accounts, parent).has_value(), read(children, parent).has_value());
    }
}

// Random interleavings: each transaction reads two keys and writes one (a value derived from
// what it read) or removes it. Committed transactions, replayed serially in log order on a
// model, must each have read what the model held just before them.
TEST_F(Occ, RandomInterleavingsAreSerializable) {
    constexpr i64 kKeys = 5;
    for (i64 id = 0; id < kKeys; ++id) put(accounts, id, "v0");
    struct Committed {
        Position position;
        std::map<i64, std::optional<std::string>> reads;
        i64 written;
        std::optional<std::string> value;
    };
    struct Open {
        Transaction txn;
        std::map<i64, std::optional<std::string>> reads;
        i64 written = -1;
        std::optional<std::string> value;
    };
    std::map<i64, std::optional<std::string>> model;
    for (i64 id = 0; id < kKeys; ++id) model[id] = "v0";
    std::vector<Committed> committed;
    std::vector<Open> open;
    Prng prng(99);
    u64 conflicts = 0;
    for (int step = 0; step < 600; ++step) {
        const u64 action = prng.uniform(3);
        if (action == 0 || open.empty()) {
            Open txn{begin(), {}, -1, {}};
            for (int r = 0; r < 2; ++r) {
                const i64 id = static_cast<i64>(prng.uniform(kKeys));
                auto row = txn.txn.get(accounts, key_of(id));
                ASSERT_TRUE(row.has_value());
                txn.reads[id] = *row ? std::optional<std::string>(value_in(**row)) : std::nullopt;
            }
            txn.written = static_cast<i64>(prng.uniform(kKeys));
            auto before = txn.txn.get(accounts, key_of(txn.written));
            ASSERT_TRUE(before.has_value());
            txn.reads[txn.written] =
                *before ? std::optional<std::string>(value_in(**before)) : std::nullopt;
            const bool remove = *before && prng.uniform(4) == 0;
            if (remove) {
                ASSERT_TRUE(txn.txn.remove(accounts, key_of(txn.written)).is_ok());
            } else {
                std::string value = "v" + std::to_string(step);
                // Derived from what it read (the first part of each value keeps them short).
                for (const auto& [id, seen] : txn.reads) {
                    value += "/" + (seen ? seen->substr(0, seen->find('/')) : "-");
                }
                const Bytes row = row_of(txn.written, value);
                ASSERT_TRUE((*before ? txn.txn.update(accounts, key_of(txn.written), row)
                                     : txn.txn.insert(accounts, key_of(txn.written), row))
                                .is_ok());
                txn.value = value;
            }
            open.push_back(std::move(txn));
        } else {
            const usize pick = prng.uniform(open.size());
            Open txn = std::move(open[pick]);
            open.erase(open.begin() + static_cast<std::ptrdiff_t>(pick));
            auto result = txn.txn.commit();
            if (!result) {
                ASSERT_EQ(result.status().code(), StatusCode::conflict)
                    << result.status().to_string();
                ++conflicts;
                continue;
            }
            committed.push_back({result->position, txn.reads, txn.written, txn.value});
        }
    }
    std::sort(committed.begin(), committed.end(),
              [](const Committed& a, const Committed& b) { return a.position < b.position; });
    for (const Committed& txn : committed) {
        for (const auto& [id, seen] : txn.reads) {
            ASSERT_EQ(model[id], seen) << "the transaction at position " << txn.position.value()
                                       << " read key " << id << " out of serial order";
        }
        model[txn.written] = txn.value;
    }
    for (i64 id = 0; id < kKeys; ++id) EXPECT_EQ(read(accounts, id), model[id]) << "key " << id;
    EXPECT_GT(committed.size(), 50u);
    EXPECT_GT(conflicts, 10u);
}

}  // namespace
}  // namespace kb::db
