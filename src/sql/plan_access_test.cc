// Access paths (plan_access.h): key ranges hold exactly the keys of rows the conjuncts they
// apply select — for ascending and descending columns, NULLs first or last, bounds beyond the
// column's range, equality prefixes and IN lists — and the choice among the primary key and
// indexes (which conjuncts leave the filter, when ORDER BY is served and in which direction).
#include <gtest/gtest.h>

#include "base/prng.h"
#include "kernel/row_codec.h"
#include "sql/plan_access.h"

namespace kb::sql {
namespace {

using kernel::KeyColumn;
using kernel::KeyType;

BoundExpr constant(i64 value) {
    return BoundExpr::constant_of(Value::int64(value), Type::of(SqlType::bigint));
}

bool in_ranges(const std::vector<KeyRange>& ranges, ByteSpan key) {
    for (const auto& [start, end] : ranges) {
        const bool above =
            !std::lexicographical_compare(key.begin(), key.end(), start.begin(), start.end());
        const bool below = end.empty() || std::lexicographical_compare(key.begin(), key.end(),
                                                                       end.begin(), end.end());
        if (above && below) return true;
    }
    return false;
}

// Random paths over (p text, x <integer type>) keys with a primary-key suffix: a key is in the
// ranges iff its row satisfies the bounds.
TEST(PlanAccess, KeyRangesHoldExactlyTheMatchingKeys) {
    Prng prng(20261128);
    const SqlType types[] = {SqlType::smallint, SqlType::integer, SqlType::bigint};
    const i64 interesting[] = {INT64_MIN, -5000000000, INT32_MIN, -32769,     -32768,
                               -2,        -1,          0,         1,          2,
                               32767,     32768,       INT32_MAX, 5000000000, INT64_MAX};
    for (int round = 0; round < 3000; ++round) {
        const SqlType type = types[prng.uniform(3)];
        const i64 max = type == SqlType::smallint  ? INT16_MAX
                        : type == SqlType::integer ? INT32_MAX
                                                   : INT64_MAX;
        auto pick = [&] {
            return prng.coin() ? interesting[prng.uniform(std::size(interesting))]
                               : static_cast<i64>(prng.uniform(9)) - 4;
        };
        AccessPath path;
        const KeyColumn prefix_column{.type = KeyType::text, .descending = prng.coin()};
        const KeyColumn column{.type = *kernel::key_type_of(type),
                               .descending = prng.coin(),
                               .nulls = static_cast<kernel::NullsOrder>(prng.uniform(3))};
        const bool with_prefix = prng.coin();
        if (with_prefix) {
            path.columns = {prefix_column, column};
            path.column_types = {SqlType::text, type};
            path.equal.push_back(BoundExpr::constant_of(Value::text("m"), Type::of(SqlType::text)));
        } else {
            path.columns = {column};
            path.column_types = {type};
        }
        std::optional<std::pair<i64, bool>> lower, upper;  // value, inclusive
        std::vector<i64> in_list;
        if (prng.uniform(4) == 0) {
            for (usize n = 1 + prng.uniform(4); n > 0; --n) {
                in_list.push_back(pick());
                path.in_values.push_back(constant(in_list.back()));
            }
            path.backward = prng.coin();
        } else {
            if (prng.coin()) {
                lower = {pick(), prng.coin()};
                path.lower = KeyBound{constant(lower->first), lower->second};
            }
            if (prng.coin()) {
                upper = {pick(), prng.coin()};
                path.upper = KeyBound{constant(upper->first), upper->second};
            }
        }
        auto ranges = key_ranges(path, EvalContext{});
        ASSERT_TRUE(ranges.has_value()) << ranges.error().message;

        for (const char* p : {"a", "m", "z"}) {
            for (int v = -1; v < static_cast<int>(std::size(interesting)) + 9; ++v) {
                std::optional<i64> x;  // nullopt: NULL
                if (v >= static_cast<int>(std::size(interesting))) {
                    x = v - static_cast<int>(std::size(interesting)) - 4;
                } else if (v >= 0) {
                    x = interesting[v];
                }
                if (x && (*x > max || *x < -max - 1)) continue;  // not storable in the column
                Bytes key;
                if (with_prefix) kernel::encode_key_column(prefix_column, std::string(p), &key);
                if (x) {
                    kernel::encode_key_column(column, *x, &key);
                } else {
                    kernel::encode_key_column(column, kernel::KeyNull{}, &key);
                }
                kernel::encode_key_column({.type = KeyType::int64}, i64{7}, &key);  // the pk
                bool expected = !with_prefix || std::string(p) == "m";
                if (!in_list.empty()) {
                    expected = expected && x &&
                               std::find(in_list.begin(), in_list.end(), *x) != in_list.end();
                } else if (path.bounded() && (lower || upper)) {
                    expected = expected && x.has_value();
                    if (x && lower) {
                        expected =
                            expected && (lower->second ? *x >= lower->first : *x > lower->first);
                    }
                    if (x && upper) {
                        expected =
                            expected && (upper->second ? *x <= upper->first : *x < upper->first);
                    }
                }
                ASSERT_EQ(in_ranges(*ranges, key), expected)
                    << "round " << round << " p=" << p << " x=" << (x ? std::to_string(*x) : "NULL")
                    << " desc=" << column.descending << " nulls=" << int(column.nulls)
                    << " lower=" << (lower ? std::to_string(lower->first) : "-")
                    << " upper=" << (upper ? std::to_string(upper->first) : "-");
            }
        }
    }
}

kernel::TableSchema table_with_index(kernel::IndexSchema* index) {
    kernel::TableSchema table;
    table.id = kernel::TableId(1);
    table.name = "t";
    auto column = [](u32 id, const char* name, SqlType type) {
        kernel::ColumnDef def;
        def.id = kernel::ColumnId(id);
        def.name = name;
        def.type = kernel::ColumnType{.type = type};
        return def;
    };
    table.columns = {column(1, "id", SqlType::integer), column(2, "k", SqlType::integer),
                     column(3, "v", SqlType::text)};
    table.primary_key = {kernel::ColumnId(1)};
    *index = kernel::IndexSchema{.id = kernel::IndexId(2),
                                 .table = table.id,
                                 .name = "t_k_idx",
                                 .columns = {{.column = kernel::ColumnId(2)}},
                                 .unique = false};
    return table;
}

BoundExpr compare(const char* op, usize column, BoundExpr value) {
    BoundExpr call;
    call.kind = BoundKind::call;
    call.type = Type::of(SqlType::boolean);
    call.name = op;
    call.args = {BoundExpr::column_of(column, Type::of(SqlType::integer), "c"), std::move(value)};
    return call;
}

BoundExpr both(BoundExpr a, BoundExpr b) {
    BoundExpr all;
    all.kind = BoundKind::and_;
    all.type = Type::of(SqlType::boolean);
    all.args = {std::move(a), std::move(b)};
    return all;
}

TEST(PlanAccess, ChoosesTheIndexThatFixesMostAndKeepsTheRestAsFilter) {
    kernel::IndexSchema index;
    const kernel::TableSchema table = table_with_index(&index);
    const kernel::IndexSchema* indexes[] = {&index};
    const std::string names[] = {"id", "k", "v"};
    const BoundExpr text_value = BoundExpr::constant_of(Value::text("x"), Type::of(SqlType::text));
    BoundExpr v_equal = compare("=", 2, text_value);
    v_equal.args[0].type = Type::of(SqlType::text);

    AccessChoice by_k = choose_access(table, indexes, both(compare("=", 1, constant(3)), v_equal),
                                      {}, false, names);
    ASSERT_TRUE(by_k.path.index.has_value());
    EXPECT_EQ(by_k.path.name, "t_k_idx");
    ASSERT_TRUE(by_k.residual.has_value());
    EXPECT_EQ(by_k.residual->kind, BoundKind::call);  // only v = 'x' is left

    // Equality on the whole primary key beats an index equality.
    AccessChoice by_id = choose_access(
        table, indexes, both(compare("=", 1, constant(3)), compare("=", 0, constant(1))), {}, false,
        names);
    EXPECT_FALSE(by_id.path.index.has_value());
    EXPECT_EQ(by_id.path.name, "t_pkey");
    ASSERT_TRUE(by_id.residual.has_value());

    // A cast around the column (int compared as numeric) is no bound.
    BoundExpr cast = compare("=", 0, constant(1));
    BoundExpr wrapped;
    wrapped.kind = BoundKind::call;
    wrapped.name = "CAST";
    wrapped.type = Type::of(SqlType::numeric);
    wrapped.args = {cast.args[0]};
    cast.args[0] = wrapped;
    AccessChoice scan = choose_access(table, indexes, cast, {}, false, names);
    EXPECT_FALSE(scan.path.bounded());
    EXPECT_TRUE(scan.residual.has_value());
}

TEST(PlanAccess, OrderByFromTheKeyForwardOrBackward) {
    kernel::IndexSchema index;
    const kernel::TableSchema table = table_with_index(&index);
    const kernel::IndexSchema* indexes[] = {&index};
    const std::string names[] = {"id", "k", "v"};
    auto key = [](usize column, bool descending, kernel::NullsOrder nulls) {
        return SortKey{.expr = BoundExpr::column_of(column, Type::of(SqlType::integer), "c"),
                       .descending = descending,
                       .nulls = nulls};
    };
    const SortKey by_id_desc[] = {key(0, true, kernel::NullsOrder::standard)};
    AccessChoice pk = choose_access(table, indexes, std::nullopt, by_id_desc, false, names);
    EXPECT_TRUE(pk.ordered);
    EXPECT_TRUE(pk.path.backward);
    EXPECT_EQ(pk.path.name, "t_pkey");

    // An index's order is worth it for a LIMIT; DESC NULLS LAST is not its reverse.
    const SortKey by_k[] = {key(1, false, kernel::NullsOrder::standard)};
    EXPECT_FALSE(choose_access(table, indexes, std::nullopt, by_k, false, names).ordered);
    AccessChoice limited = choose_access(table, indexes, std::nullopt, by_k, true, names);
    EXPECT_TRUE(limited.ordered);
    EXPECT_EQ(limited.path.name, "t_k_idx");
    const SortKey by_k_desc_nulls_last[] = {key(1, true, kernel::NullsOrder::last)};
    EXPECT_FALSE(
        choose_access(table, indexes, std::nullopt, by_k_desc_nulls_last, true, names).ordered);
    const SortKey by_k_desc[] = {key(1, true, kernel::NullsOrder::standard)};
    AccessChoice backward = choose_access(table, indexes, std::nullopt, by_k_desc, true, names);
    EXPECT_TRUE(backward.ordered);
    EXPECT_TRUE(backward.path.backward);
}

}  // namespace
}  // namespace kb::sql
