// Index and streaming reads of a transaction (transaction_index.cc): the snapshot's index
// entries merged with the overlay in index order, both directions, limits, indexes created by
// the transaction itself, time travel, and the read set they leave — a phantom inserted into
// an index range read conflicts; a write outside it, or past where a limited scan stopped,
// does not.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "db/transaction.h"
#include "kernel/catalog_test_support.h"
#include "kernel/row_codec.h"

namespace kb::db {
namespace {

using kernel::IndexId;
using kernel::TableId;
using kernel::Value;
using testing::SimNode;

// items (id bigint primary key, name text, note text) with an index on name; `other` is a
// table a transaction writes so that its commit is checked at all.
kernel::TableSchema items_schema() { return kernel::testing::simple_table(1, "items", 2); }
kernel::IndexSchema name_index(u64 id, bool unique) {
    return kernel::IndexSchema{.id = IndexId(id),
                               .table = TableId(1),
                               .name = "items_name_" + std::to_string(id),
                               .columns = {kernel::IndexColumn{.column = kernel::ColumnId(2)}},
                               .unique = unique};
}

Bytes key_of(i64 id) {
    const kernel::TableSchema table = items_schema();
    std::vector<Value> values{Value::int64(id), Value::null(), Value::null()};
    return *kernel::TableKeys(table, {}).primary_key(values);
}

Bytes row_of(i64 id, const std::string& name, const std::string& note = "") {
    const kernel::TableSchema table = items_schema();
    std::vector<Value> values{Value::int64(id), Value::text(name), Value::text(note)};
    return kernel::encode_row(table, values);
}

// The index key prefix of a name (an ascending text column).
Bytes name_key(const std::string& name) {
    const kernel::KeyColumn column{.type = kernel::KeyType::text};
    return *kernel::encode_key(std::span(&column, 1), std::vector<kernel::KeyValue>{name});
}

i64 id_in(ByteSpan row) {
    auto values = kernel::decode_row(items_schema(), row);
    EXPECT_TRUE(values.has_value());
    return values ? (*values)[0].as_int() : -1;
}

class TransactionIndex : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        Transaction txn = begin();
        ASSERT_TRUE(txn.change_schema(kernel::CreateTableChange{.schema = items_schema()}).is_ok());
        ASSERT_TRUE(
            txn.change_schema(kernel::CreateIndexChange{.schema = name_index(2, false)}).is_ok());
        ASSERT_TRUE(txn.change_schema(kernel::CreateTableChange{
                                          .schema = kernel::testing::simple_table(3, "other", 1)})
                        .is_ok());
        ASSERT_TRUE(txn.commit().has_value());
        put({{1, "b"}, {2, "d"}, {3, "f"}});
    }

    Transaction begin() {
        auto txn = Transaction::begin(node, tenant);
        EXPECT_TRUE(txn.has_value()) << txn.status().to_string();
        return std::move(*txn);
    }

    void put(std::vector<std::pair<i64, std::string>> rows) {
        Transaction txn = begin();
        for (const auto& [id, name] : rows) {
            ASSERT_TRUE(txn.insert(items, key_of(id), row_of(id, name)).is_ok());
        }
        ASSERT_TRUE(txn.commit().has_value());
    }

    // Ids in the order an index read of [lower, upper) returns them.
    static std::vector<i64> ids_of(Transaction& txn, IndexId index, const Bytes& lower,
                                   const Bytes& upper, usize limit = ~usize{0}) {
        auto rows = txn.index_scan(index, lower, upper, limit);
        EXPECT_TRUE(rows.has_value()) << rows.status().to_string();
        std::vector<i64> ids;
        if (rows) {
            for (const IndexedRow& row : *rows) ids.push_back(id_in(row.row));
        }
        return ids;
    }

    // Makes `txn` write something, so its commit is checked against its reads.
    static void touch_other(Transaction& txn, i64 id) {
        const kernel::TableSchema other = kernel::testing::simple_table(3, "other", 1);
        std::vector<Value> values{Value::int64(id), Value::null()};
        ASSERT_TRUE(txn.insert(TableId(3), *kernel::TableKeys(other, {}).primary_key(values),
                               kernel::encode_row(other, values))
                        .is_ok());
    }

    SimNode node{91};
    TenantId tenant;
    const TableId items{1};
    const IndexId by_name{2};
};

TEST_F(TransactionIndex, ReadsTheSnapshotInIndexOrder) {
    Transaction txn = begin();
    EXPECT_EQ(ids_of(txn, by_name, {}, {}), (std::vector<i64>{1, 2, 3}));
    EXPECT_EQ(ids_of(txn, by_name, name_key("c"), name_key("f")), (std::vector<i64>{2}));
    EXPECT_EQ(ids_of(txn, by_name, {}, {}, 2), (std::vector<i64>{1, 2}));
    auto found = txn.index_get(by_name, name_key("d"));
    ASSERT_TRUE(found.has_value());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->key, key_of(2));
    EXPECT_FALSE(txn.index_get(by_name, name_key("e"))->has_value());
}

TEST_F(TransactionIndex, MergesTheOverlayInsertsUpdatesAndRemoves) {
    Transaction txn = begin();
    ASSERT_TRUE(txn.insert(items, key_of(4), row_of(4, "c")).is_ok());
    ASSERT_TRUE(txn.update(items, key_of(2), row_of(2, "a")).is_ok());  // moves to the front
    ASSERT_TRUE(txn.remove(items, key_of(3)).is_ok());
    ASSERT_TRUE(txn.update(items, key_of(1), row_of(1, "b", "noted")).is_ok());  // same key
    EXPECT_EQ(ids_of(txn, by_name, {}, {}), (std::vector<i64>{2, 1, 4}));
    EXPECT_EQ(ids_of(txn, by_name, name_key("b"), {}), (std::vector<i64>{1, 4}));
    // The stale entry of row 2 ('d') is not returned, nor is removed row 3 ('f').
    EXPECT_FALSE(txn.index_get(by_name, name_key("d"))->has_value());
    EXPECT_FALSE(txn.index_get(by_name, name_key("f"))->has_value());
    auto updated = txn.index_get(by_name, name_key("b"));
    ASSERT_TRUE(updated.has_value() && updated->has_value());
    EXPECT_EQ(kernel::decode_row(items_schema(), (*updated)->row)->at(2).as_text(), "noted");
}

TEST_F(TransactionIndex, CursorsRunBackwardAndSeeTheOverlayAsOfOpening) {
    Transaction txn = begin();
    ASSERT_TRUE(txn.insert(items, key_of(4), row_of(4, "e")).is_ok());
    auto cursor = txn.open_index_cursor(by_name, {}, {}, store::Direction::backward);
    ASSERT_TRUE(cursor.has_value());
    // A write after the cursor opened is not seen by it.
    ASSERT_TRUE(txn.insert(items, key_of(5), row_of(5, "z")).is_ok());
    std::vector<i64> ids;
    while (cursor->valid()) {
        ids.push_back(id_in(cursor->row()));
        ASSERT_TRUE(cursor->next().is_ok());
    }
    EXPECT_EQ(ids, (std::vector<i64>{3, 4, 2, 1}));

    auto table = txn.open_cursor(items, key_of(2), {}, store::Direction::backward);
    ASSERT_TRUE(table.has_value());
    ids.clear();
    while (table->valid()) {
        ids.push_back(id_in(table->row()));
        ASSERT_TRUE(table->next().is_ok());
    }
    EXPECT_EQ(ids, (std::vector<i64>{5, 4, 3, 2}));
}

TEST_F(TransactionIndex, AnUpdateAfterOpeningDoesNotHideTheRowFromTheCursor) {
    Transaction txn = begin();
    auto cursor = txn.open_index_cursor(by_name, {}, {});
    ASSERT_TRUE(cursor.has_value());
    ASSERT_TRUE(txn.update(items, key_of(2), row_of(2, "a")).is_ok());  // 'd' -> 'a', later
    std::vector<i64> ids;
    while (cursor->valid()) {
        ids.push_back(id_in(cursor->row()));
        ASSERT_TRUE(cursor->next().is_ok());
    }
    EXPECT_EQ(ids, (std::vector<i64>{1, 2, 3}));  // b, d, f: the state when it opened
    EXPECT_EQ(ids_of(txn, by_name, {}, {}), (std::vector<i64>{2, 1, 3}));  // a, b, f now
}

TEST_F(TransactionIndex, KeyedOverlayFollowsEveryWriteOfALongTransaction) {
    // Many writes with index reads between them (what unique checks of a bulk insert do): the
    // overlay keyed for the index is kept current, not rebuilt per read.
    Transaction txn = begin();
    for (i64 id = 10; id < 400; ++id) {
        const std::string name = "n" + std::to_string(id);
        EXPECT_FALSE(txn.index_get(by_name, name_key(name))->has_value());
        ASSERT_TRUE(txn.insert(items, key_of(id), row_of(id, name)).is_ok());
        auto found = txn.index_get(by_name, name_key(name));
        ASSERT_TRUE(found.has_value() && found->has_value()) << id;
        EXPECT_EQ((*found)->key, key_of(id));
    }
    ASSERT_TRUE(txn.update(items, key_of(10), row_of(10, "renamed")).is_ok());
    ASSERT_TRUE(txn.remove(items, key_of(11)).is_ok());
    EXPECT_FALSE(txn.index_get(by_name, name_key("n10"))->has_value());
    EXPECT_FALSE(txn.index_get(by_name, name_key("n11"))->has_value());
    EXPECT_TRUE(txn.index_get(by_name, name_key("renamed"))->has_value());
    const Transaction::Mark mark = txn.mark();
    ASSERT_TRUE(txn.remove(items, key_of(12)).is_ok());
    EXPECT_FALSE(txn.index_get(by_name, name_key("n12"))->has_value());
    txn.rollback_to(mark);
    EXPECT_TRUE(txn.index_get(by_name, name_key("n12"))->has_value());
    EXPECT_EQ(ids_of(txn, by_name, name_key("n398"), name_key("n4")), (std::vector<i64>{398, 399}));
}

TEST_F(TransactionIndex, PhantomInTheRangeReadConflicts) {
    Transaction reader = begin();
    EXPECT_EQ(ids_of(reader, by_name, name_key("c"), name_key("g")), (std::vector<i64>{2, 3}));
    touch_other(reader, 1);
    put({{9, "e"}});  // a new row inside ['c', 'g'), committed after the reader's snapshot
    auto committed = reader.commit();
    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.status().code(), StatusCode::conflict);
}

TEST_F(TransactionIndex, WritesOutsideTheRangeDoNotConflict) {
    Transaction reader = begin();
    EXPECT_EQ(ids_of(reader, by_name, name_key("c"), name_key("g")), (std::vector<i64>{2, 3}));
    touch_other(reader, 1);
    put({{9, "a"}, {10, "x"}});
    EXPECT_TRUE(reader.commit().has_value());
}

TEST_F(TransactionIndex, UpdateOfARowReadThroughTheIndexConflicts) {
    Transaction reader = begin();
    EXPECT_EQ(ids_of(reader, by_name, name_key("d"), kernel::prefix_end(name_key("d"))),
              (std::vector<i64>{2}));
    touch_other(reader, 1);
    {
        // Another transaction changes only the note of row 2: its index key stays the same,
        // but admission records it as written, so the reader (which read the row) conflicts.
        Transaction writer = begin();
        ASSERT_TRUE(writer.update(items, key_of(2), row_of(2, "d", "changed")).is_ok());
        ASSERT_TRUE(writer.commit().has_value());
    }
    EXPECT_EQ(reader.commit().status().code(), StatusCode::conflict);
}

TEST_F(TransactionIndex, ALimitedScanReadsOnlyUpToWhereItStopped) {
    Transaction reader = begin();
    EXPECT_EQ(ids_of(reader, by_name, {}, {}, 1), (std::vector<i64>{1}));  // 'b' only
    touch_other(reader, 1);
    put({{9, "c"}});  // after 'b': not read
    EXPECT_TRUE(reader.commit().has_value());

    Transaction second = begin();
    EXPECT_EQ(ids_of(second, by_name, {}, {}, 1), (std::vector<i64>{1}));
    touch_other(second, 2);
    put({{10, "a"}});  // before 'b': read (it would have been returned first)
    EXPECT_EQ(second.commit().status().code(), StatusCode::conflict);
}

TEST_F(TransactionIndex, AbsentUniqueValueConflictsWithItsLaterInsert) {
    {
        Transaction txn = begin();
        ASSERT_TRUE(
            txn.change_schema(kernel::CreateIndexChange{.schema = name_index(4, true)}).is_ok());
        // The index is new in this transaction: the snapshot's rows are keyed on the fly.
        auto found = txn.index_get(IndexId(4), name_key("f"));
        ASSERT_TRUE(found.has_value()) << found.status().to_string();
        ASSERT_TRUE(found->has_value());
        EXPECT_EQ((*found)->key, key_of(3));
        ASSERT_TRUE(txn.commit().has_value());
    }
    Transaction reader = begin();
    EXPECT_FALSE(reader.index_get(IndexId(4), name_key("q"))->has_value());
    touch_other(reader, 1);
    put({{9, "q"}});
    EXPECT_EQ(reader.commit().status().code(), StatusCode::conflict);
}

TEST_F(TransactionIndex, TimeTravelReadsTheIndexAsOfThePosition) {
    const Position before = begin().snapshot_position();
    {
        Transaction txn = begin();
        ASSERT_TRUE(txn.update(items, key_of(1), row_of(1, "m")).is_ok());
        ASSERT_TRUE(txn.remove(items, key_of(2)).is_ok());
        ASSERT_TRUE(txn.commit().has_value());
    }
    Transaction now = begin();
    EXPECT_EQ(ids_of(now, by_name, {}, {}), (std::vector<i64>{3, 1}));
    Transaction then = begin();
    ASSERT_TRUE(then.read_as_of(before).is_ok());
    EXPECT_EQ(ids_of(then, by_name, {}, {}), (std::vector<i64>{1, 2, 3}));
}

TEST_F(TransactionIndex, TruncatedTableHidesTheSnapshotsEntries) {
    Transaction txn = begin();
    ASSERT_TRUE(txn.change_schema(kernel::TruncateTableChange{.table = items}).is_ok());
    ASSERT_TRUE(txn.insert(items, key_of(7), row_of(7, "k")).is_ok());
    EXPECT_EQ(ids_of(txn, by_name, {}, {}), (std::vector<i64>{7}));
}

}  // namespace
}  // namespace kb::db
