// Kernel apply of transactions: DDL and row effects, index maintenance and builds, truncation,
// refusals that change nothing, and reads as of earlier positions (time travel).
#include <gtest/gtest.h>

#include "kernel/kernel.h"
#include "kernel/kernel_reads.h"
#include "kernel/kernel_test_support.h"
#include "kernel/kernel_trees.h"

namespace kb::kernel {
namespace {

using testing::create_tenant_op;
using testing::dump;
using testing::expect_hash_recomputes;
using testing::insert_effect;
using testing::KernelHarness;
using testing::primary_key;
using testing::remove_effect;
using testing::tenant_op;
using testing::update_effect;

const TenantId kTenant(1);

// accounts: id bigint primary key, c2 text, c3 bigint.
TableSchema accounts(u64 id = 1) {
    TableSchema table = testing::simple_table(id, "accounts", 1);
    table.columns.push_back(testing::column(3, "c3", SqlType::bigint));
    table.next_column_id = ColumnId(4);
    return table;
}

std::vector<Value> row(i64 id, std::string c2, std::optional<i64> c3) {
    return {Value::int64(id), Value::text(std::move(c2)), c3 ? Value::int64(*c3) : Value::null()};
}

IndexSchema c3_index(u64 id, bool unique, u64 table = 1) {
    return {.id = IndexId(id),
            .table = TableId(table),
            .name = "c3_" + std::to_string(id),
            .columns = {{.column = ColumnId(3)}},
            .unique = unique};
}

struct Fixture {
    explicit Fixture(u64 seed) : h(seed) {
        EXPECT_EQ(h.apply(create_tenant_op("t")).outcome, Outcome::ok);
    }
    ApplyResult txn(std::vector<DdlChange> ddl, std::vector<RowEffect> effects) {
        TransactionOp op;
        op.ddl = std::move(ddl);
        op.effects = std::move(effects);
        return h.apply(tenant_op(kTenant, std::move(op)));
    }
    std::optional<Bytes> get(const TableSchema& table, i64 id, Position as_of) {
        const store::Snapshot view = h.published();
        auto found = reads::row_get(view, kTenant, table.id,
                                    primary_key(table, row(id, "", std::nullopt)), as_of);
        EXPECT_TRUE(found) << found.status().to_string();
        return found ? *found : std::nullopt;
    }
    // (index key, primary key) of every entry live at `as_of`.
    std::vector<std::pair<Bytes, Bytes>> entries(IndexId index, Position as_of) {
        const store::Snapshot view = h.published();
        std::vector<std::pair<Bytes, Bytes>> out;
        auto cursor = reads::index_scan(view, kTenant, index, {}, {}, as_of);
        EXPECT_TRUE(cursor) << cursor.status().to_string();
        for (; cursor->valid(); (void)cursor->next()) {
            out.emplace_back(Bytes(cursor->key().begin(), cursor->key().end()),
                             Bytes(cursor->row().begin(), cursor->row().end()));
        }
        return out;
    }
    // Live primary keys (as ids) at `as_of`.
    std::vector<i64> ids(const TableSchema& table, Position as_of) {
        const store::Snapshot view = h.published();
        std::vector<i64> out;
        auto cursor = reads::row_scan(view, kTenant, table.id, {}, {}, as_of);
        EXPECT_TRUE(cursor);
        for (; cursor->valid(); (void)cursor->next()) {
            out.push_back(decode_row(table, cursor->row()).value()[0].as_int());
        }
        return out;
    }
    Bytes index_key(const TableSchema& table, const IndexSchema& index,
                    const std::vector<Value>& values) {
        return TableKeys(table, {&index}).index_key(0, values, primary_key(table, values)).value();
    }

    KernelHarness h;
};

TEST(KernelTransaction, CreateTableAndInsertInOneOp) {
    Fixture f(1);
    const TableSchema table = accounts();
    ApplyResult result = f.txn(
        {CreateTableChange{.schema = table}},
        {insert_effect(table, row(1, "a", 10)), insert_effect(table, row(2, "b", std::nullopt))});
    ASSERT_EQ(result.outcome, Outcome::ok) << result.detail;
    EXPECT_EQ(result.row_versions, 2u);
    const Position at = f.h.kernel->applied();
    EXPECT_NE(f.h.kernel->catalog().tenant(kTenant)->table(TableId(1), at), nullptr);
    EXPECT_EQ(f.h.kernel->catalog().tenant(kTenant)->table(TableId(1), at.prev()), nullptr);
    EXPECT_EQ(f.get(table, 1, at), testing::image(table, row(1, "a", 10)));
    EXPECT_EQ(f.get(table, 2, at), testing::image(table, row(2, "b", std::nullopt)));
    EXPECT_EQ(f.get(table, 3, at), std::nullopt);
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, UpdatesAndRemovesKeepHistory) {
    Fixture f(2);
    const TableSchema table = accounts();
    f.txn({CreateTableChange{.schema = table}}, {insert_effect(table, row(1, "v1", 1))});
    const Position p1 = f.h.kernel->applied();
    ApplyResult update = f.txn({}, {update_effect(table, row(1, "v2", 2))});
    EXPECT_EQ(update.row_versions, 2u);  // one ended, one created
    const Position p2 = f.h.kernel->applied();
    ApplyResult removed = f.txn({}, {remove_effect(table, row(1, "", std::nullopt))});
    EXPECT_EQ(removed.row_versions, 1u);
    const Position p3 = f.h.kernel->applied();
    EXPECT_EQ(f.get(table, 1, p1), testing::image(table, row(1, "v1", 1)));
    EXPECT_EQ(f.get(table, 1, p2), testing::image(table, row(1, "v2", 2)));
    EXPECT_EQ(f.get(table, 1, p3), std::nullopt);
    EXPECT_EQ(f.get(table, 1, p1.prev()), std::nullopt);
    // A removed key can be inserted again.
    EXPECT_EQ(f.txn({}, {insert_effect(table, row(1, "v3", 3))}).outcome, Outcome::ok);
    expect_hash_recomputes(f.h);
    f.h.reopen();
    EXPECT_EQ(f.get(table, 1, p2), testing::image(table, row(1, "v2", 2)));
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, IndexEntriesFollowTheirRows) {
    Fixture f(3);
    TableSchema table = accounts();
    const IndexSchema index = c3_index(2, false);
    f.txn({CreateTableChange{.schema = table}, CreateIndexChange{.schema = index}},
          {insert_effect(table, row(1, "a", 5)), insert_effect(table, row(2, "b", 5)),
           insert_effect(table, row(3, "c", std::nullopt))});
    const Position p1 = f.h.kernel->applied();
    EXPECT_EQ(f.entries(index.id, p1).size(), 3u);
    // Change row 1's c3, leave row 2's, remove row 3.
    f.txn({}, {update_effect(table, row(1, "a", 7)), update_effect(table, row(2, "changed", 5)),
               remove_effect(table, row(3, "", std::nullopt))});
    const Position p2 = f.h.kernel->applied();
    const auto now = f.entries(index.id, p2);
    ASSERT_EQ(now.size(), 2u);
    // Keys in index order: (5, id 2) then (7, id 1); values are primary keys.
    EXPECT_EQ(now[0].first, f.index_key(table, index, row(2, "changed", 5)));
    EXPECT_EQ(now[0].second, primary_key(table, row(2, "", 5)));
    EXPECT_EQ(now[1].first, f.index_key(table, index, row(1, "a", 7)));
    // The old entries are still there as of p1.
    const auto then = f.entries(index.id, p1);
    ASSERT_EQ(then.size(), 3u);
    EXPECT_EQ(then[0].first, f.index_key(table, index, row(1, "a", 5)));
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, UniqueIndexLookupsAndViolations) {
    Fixture f(4);
    TableSchema table = accounts();
    table.uniques.push_back({.name = "c3_key", .columns = {ColumnId(3)}, .index = IndexId(2)});
    ASSERT_EQ(f.txn({CreateTableChange{.schema = table}},
                    {insert_effect(table, row(1, "a", 5)), insert_effect(table, row(2, "b", 6)),
                     insert_effect(table, row(3, "c", std::nullopt)),
                     insert_effect(table, row(4, "d", std::nullopt))})
                  .outcome,
              Outcome::ok);
    const IndexSchema& unique = *f.h.kernel->catalog().tenant(kTenant)->index(IndexId(2));
    const Position p1 = f.h.kernel->applied();
    {
        const store::Snapshot view = f.h.published();
        auto found = reads::index_get(view, kTenant, IndexId(2),
                                      f.index_key(table, unique, row(9, "", 6)), p1);
        ASSERT_TRUE(found && *found);
        EXPECT_EQ(**found, primary_key(table, row(2, "", 0)));
    }

    const StateHash before = f.h.kernel->state_hash();
    const auto contents = dump(f.h.published());
    // Taken by a live row; taken twice within the op.
    EXPECT_EQ(f.txn({}, {insert_effect(table, row(5, "e", 5))}).outcome, Outcome::unique_violation);
    EXPECT_EQ(
        f.txn({}, {insert_effect(table, row(5, "e", 8)), insert_effect(table, row(6, "f", 8))})
            .outcome,
        Outcome::unique_violation);
    EXPECT_EQ(f.txn({}, {update_effect(table, row(1, "a", 6))}).outcome, Outcome::unique_violation);
    EXPECT_EQ(f.h.kernel->state_hash(), before);
    EXPECT_EQ(dump(f.h.published()), contents);

    // Two rows swap their values in one op; a freed value is reused; NULLs never collide.
    ASSERT_EQ(
        f.txn({}, {update_effect(table, row(1, "a", 6)), update_effect(table, row(2, "b", 5))})
            .outcome,
        Outcome::ok);
    ASSERT_EQ(f.txn({}, {remove_effect(table, row(1, "", 0)), insert_effect(table, row(7, "g", 6)),
                         insert_effect(table, row(8, "h", std::nullopt))})
                  .outcome,
              Outcome::ok);
    EXPECT_EQ(f.entries(IndexId(2), f.h.kernel->applied()).size(), 5u);
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, CreateIndexBuildsFromThePopulatedTable) {
    Fixture f(5);
    const TableSchema table = accounts();
    f.txn({CreateTableChange{.schema = table}}, {});
    // More rows than one build chunk, over several ops.
    for (i64 batch = 0; batch < 3; ++batch) {
        std::vector<RowEffect> effects;
        for (i64 i = 0; i < 400; ++i) {
            const i64 id = batch * 400 + i;
            effects.push_back(insert_effect(table, row(id, "x", id % 50)));
        }
        ASSERT_EQ(f.txn({}, std::move(effects)).outcome, Outcome::ok);
    }
    const Position before = f.h.kernel->applied();
    const IndexSchema index = c3_index(2, false);
    // The op that creates the index also changes rows: the build sees them as the op leaves
    // them.
    ApplyResult built =
        f.txn({CreateIndexChange{.schema = index}},
              {update_effect(table, row(0, "x", 1000)), remove_effect(table, row(1, "", 0)),
               insert_effect(table, row(5000, "y", 1001))});
    ASSERT_EQ(built.outcome, Outcome::ok) << built.detail;
    EXPECT_EQ(built.row_versions, 4u);
    const Position at = f.h.kernel->applied();
    const auto entries = f.entries(index.id, at);
    ASSERT_EQ(entries.size(), 1200u);
    EXPECT_EQ(entries[entries.size() - 2].first, f.index_key(table, index, row(0, "x", 1000)));
    EXPECT_EQ(entries.back().first, f.index_key(table, index, row(5000, "y", 1001)));
    {
        // Each entry is its row's key, and points at it.
        const store::Snapshot view = f.h.published();
        for (const auto& [key, pk] : entries) {
            auto image = reads::row_get(view, kTenant, table.id, pk, at);
            ASSERT_TRUE(image && *image);
            EXPECT_EQ(key, f.index_key(table, index, decode_row(table, **image).value()));
        }
    }
    EXPECT_EQ(f.h.kernel->catalog().tenant(kTenant)->index(index.id, before), nullptr);
    EXPECT_NE(f.h.kernel->catalog().tenant(kTenant)->index(index.id, at), nullptr);
    // Later effects maintain it.
    f.txn({}, {update_effect(table, row(2, "x", 1002))});
    EXPECT_EQ(f.entries(index.id, f.h.kernel->applied()).back().first,
              f.index_key(table, index, row(2, "x", 1002)));
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, UniqueIndexOverDuplicatesIsRefusedAndLeavesNoTree) {
    Fixture f(6);
    const TableSchema table = accounts();
    f.txn({CreateTableChange{.schema = table}},
          {insert_effect(table, row(1, "a", 5)), insert_effect(table, row(2, "b", 5))});
    const StateHash before = f.h.kernel->state_hash();
    const auto contents = dump(f.h.published());
    ApplyResult refused = f.txn({CreateIndexChange{.schema = c3_index(2, true)}}, {});
    EXPECT_EQ(refused.outcome, Outcome::unique_violation);
    EXPECT_NE(refused.detail.find("c3_2"), std::string::npos) << refused.detail;
    EXPECT_EQ(f.h.kernel->state_hash(), before);
    EXPECT_EQ(dump(f.h.published()), contents);
    EXPECT_EQ(f.h.kernel->catalog().tenant(kTenant)->index(IndexId(2)), nullptr);
    // With the duplicate changed in the same op, it builds.
    EXPECT_EQ(f.txn({CreateIndexChange{.schema = c3_index(2, true)}},
                    {update_effect(table, row(2, "b", 6))})
                  .outcome,
              Outcome::ok);
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, InvalidEffectsChangeNothing) {
    Fixture f(7);
    TableSchema table = accounts();
    table.columns[2].not_null = true;
    f.txn({CreateTableChange{.schema = table}}, {insert_effect(table, row(1, "a", 1))});
    const StateHash before = f.h.kernel->state_hash();
    const auto contents = dump(f.h.published());

    RowEffect wrong_key = insert_effect(table, row(2, "b", 2));
    wrong_key.key = primary_key(table, row(3, "", 0));
    RowEffect garbage = insert_effect(table, row(2, "b", 2));
    garbage.row = {1, 2, 3};
    RowEffect no_table = insert_effect(table, row(2, "b", 2));
    no_table.table = TableId(99);
    RowEffect long_key = remove_effect(table, row(2, "", 0));
    long_key.key = Bytes(limits::kKeySizeBytesMax + 1, 0x01);
    const std::vector<std::pair<std::vector<RowEffect>, Outcome>> cases = {
        {{insert_effect(table, row(1, "dup", 1))}, Outcome::invalid_effect},
        {{update_effect(table, row(2, "missing", 2))}, Outcome::invalid_effect},
        {{remove_effect(table, row(2, "", 0))}, Outcome::invalid_effect},
        {{wrong_key}, Outcome::invalid_effect},
        {{garbage}, Outcome::invalid_effect},
        {{no_table}, Outcome::invalid_effect},
        {{long_key}, Outcome::invalid_effect},
        {{insert_effect(table, row(2, "b", std::nullopt))}, Outcome::not_null_violation},
        // A good effect first does not save the op.
        {{insert_effect(table, row(2, "b", 2)), update_effect(table, row(2, "b", 3))},
         Outcome::invalid_effect},
        {{insert_effect(table, row(2, "b", 2)), insert_effect(table, row(9, "x", 1)),
          update_effect(table, row(1, "a", 1)), remove_effect(table, row(1, "", 0))},
         Outcome::invalid_effect},
        // Keys in order, then one repeating an earlier (not the previous) key.
        {{insert_effect(table, row(2, "b", 2)), insert_effect(table, row(9, "x", 1)),
          insert_effect(table, row(2, "c", 3))},
         Outcome::invalid_effect},
    };
    for (usize i = 0; i < cases.size(); ++i) {
        ApplyResult result = f.txn({}, cases[i].first);
        EXPECT_EQ(result.outcome, cases[i].second) << "case " << i << ": " << result.detail;
        EXPECT_FALSE(result.detail.empty());
    }
    // DDL refused after good DDL: the op's earlier changes do not stay either.
    EXPECT_EQ(f.txn({CreateTableChange{.schema = accounts(2)}}, {}).outcome, Outcome::table_exists);
    TableSchema other = accounts(2);
    other.name = "other";
    EXPECT_EQ(f.txn({CreateTableChange{.schema = other}, DropTableChange{.table = TableId(50)}}, {})
                  .outcome,
              Outcome::no_such_table);
    EXPECT_EQ(f.txn({TruncateTableChange{.table = TableId(50)}}, {}).outcome,
              Outcome::no_such_table);
    EXPECT_EQ(f.h.kernel->state_hash(), before);
    EXPECT_EQ(dump(f.h.published()), contents);
    EXPECT_EQ(f.h.kernel->catalog().tenant(kTenant)->find_table("other"), nullptr);
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, TruncateEndsRowsAndIndexEntries) {
    Fixture f(8);
    const TableSchema table = accounts();
    const IndexSchema index = c3_index(2, true);
    f.txn({CreateTableChange{.schema = table}, CreateIndexChange{.schema = index}},
          {insert_effect(table, row(1, "a", 1)), insert_effect(table, row(2, "b", 2)),
           insert_effect(table, row(3, "c", 3))});
    const Position before = f.h.kernel->applied();
    // Truncate, then insert a key and a unique value the truncation freed.
    ApplyResult truncated =
        f.txn({TruncateTableChange{.table = table.id}}, {insert_effect(table, row(2, "new", 1))});
    ASSERT_EQ(truncated.outcome, Outcome::ok) << truncated.detail;
    EXPECT_EQ(truncated.row_versions, 4u);  // three ended, one created
    const Position at = f.h.kernel->applied();
    EXPECT_EQ(f.ids(table, before), (std::vector<i64>{1, 2, 3}));
    EXPECT_EQ(f.ids(table, at), (std::vector<i64>{2}));
    EXPECT_EQ(f.entries(index.id, before).size(), 3u);
    ASSERT_EQ(f.entries(index.id, at).size(), 1u);
    EXPECT_EQ(f.entries(index.id, at)[0].first, f.index_key(table, index, row(2, "new", 1)));
    // Updating a truncated row in the same op is invalid.
    EXPECT_EQ(
        f.txn({TruncateTableChange{.table = table.id}}, {update_effect(table, row(2, "x", 1))})
            .outcome,
        Outcome::invalid_effect);
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, DroppedTablesStayReadableAsOfBeforeTheDrop) {
    Fixture f(9);
    const TableSchema table = accounts();
    f.txn({CreateTableChange{.schema = table}, CreateIndexChange{.schema = c3_index(2, false)}},
          {insert_effect(table, row(1, "a", 1))});
    const Position before = f.h.kernel->applied();
    ASSERT_EQ(f.txn({DropTableChange{.table = table.id}}, {}).outcome, Outcome::ok);
    const Position dropped = f.h.kernel->applied();
    const TenantCatalog& catalog = *f.h.kernel->catalog().tenant(kTenant);
    EXPECT_NE(catalog.table(table.id, before), nullptr);
    EXPECT_EQ(catalog.table(table.id, dropped), nullptr);
    EXPECT_EQ(catalog.index(IndexId(2), dropped), nullptr);
    EXPECT_EQ(f.get(table, 1, before), testing::image(table, row(1, "a", 1)));
    EXPECT_EQ(f.entries(IndexId(2), before).size(), 1u);
    EXPECT_EQ(f.txn({}, {insert_effect(table, row(2, "b", 2))}).outcome, Outcome::invalid_effect);
    // A new table of the same name is another table.
    TableSchema again = accounts(3);
    ASSERT_EQ(
        f.txn({CreateTableChange{.schema = again}}, {insert_effect(again, row(1, "z", 0))}).outcome,
        Outcome::ok);
    EXPECT_EQ(f.get(table, 1, before), testing::image(table, row(1, "a", 1)));
    EXPECT_EQ(f.get(again, 1, f.h.kernel->applied()), testing::image(again, row(1, "z", 0)));
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, DroppedColumnsStayInOldRowsAndSchemas) {
    Fixture f(10);
    const TableSchema table = accounts();
    f.txn({CreateTableChange{.schema = table}}, {insert_effect(table, row(1, "a", 42))});
    const Position before = f.h.kernel->applied();
    ASSERT_EQ(f.txn({DropColumnChange{.table = table.id, .column = ColumnId(3)}}, {}).outcome,
              Outcome::ok);
    const Position after = f.h.kernel->applied();
    const TenantCatalog& catalog = *f.h.kernel->catalog().tenant(kTenant);
    const TableSchema& old_schema = *catalog.table(table.id, before);
    const TableSchema& new_schema = *catalog.table(table.id, after);
    ASSERT_EQ(new_schema.columns.size(), 2u);
    // The row as of before decodes with the column under the schema of then.
    auto old_values = decode_row(old_schema, *f.get(table, 1, before));
    ASSERT_TRUE(old_values);
    EXPECT_EQ((*old_values)[2], Value::int64(42));
    // Under the new schema the column is skipped; new images may not hold it.
    auto new_values = decode_row(new_schema, *f.get(table, 1, after));
    ASSERT_TRUE(new_values);
    EXPECT_EQ(new_values->size(), 2u);
    EXPECT_EQ(f.txn({}, {insert_effect(table, row(2, "b", 1))}).outcome, Outcome::invalid_effect);
    EXPECT_EQ(f.txn({}, {insert_effect(new_schema, {Value::int64(2), Value::text("b")})}).outcome,
              Outcome::ok);
    expect_hash_recomputes(f.h);
}

TEST(KernelTransaction, IndexCreatedAndDroppedInOneOpLeavesNothing) {
    Fixture f(11);
    const TableSchema table = accounts();
    f.txn({CreateTableChange{.schema = table}}, {insert_effect(table, row(1, "a", 1))});
    ASSERT_EQ(f.txn({CreateIndexChange{.schema = c3_index(2, false)},
                     DropIndexChange{.index = IndexId(2)}},
                    {})
                  .outcome,
              Outcome::ok);
    EXPECT_FALSE(f.h.store->has_tree(trees::index(kTenant, IndexId(2))).value());
    expect_hash_recomputes(f.h);
}

}  // namespace
}  // namespace kb::kernel
