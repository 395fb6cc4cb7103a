// RowDecoder: decoding image after image into one reused row gives exactly what decode_row
// gives for each image alone (NULLs, text reusing strings, columns out of id order, dropped
// columns, damaged images).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/prng.h"
#include "kernel/catalog_test_support.h"
#include "kernel/row_codec.h"

namespace kb::kernel {
namespace {

using testing::column;

// Columns listed out of id order (position != id order), as ADD/DROP COLUMN can leave them.
TableSchema table_of() {
    TableSchema table;
    table.id = TableId(7);
    table.name = "t";
    table.columns = {column(3, "b", SqlType::text), column(1, "id", SqlType::bigint, true),
                     column(4, "y", SqlType::double_precision), column(2, "a", SqlType::integer)};
    table.next_column_id = ColumnId(5);
    table.primary_key = {ColumnId(1)};
    return table;
}

std::vector<Value> random_values(Prng& prng, i64 id) {
    auto maybe = [&](Value value) { return prng.chance(1, 4) ? Value::null() : value; };
    std::string text(prng.uniform(40), 'x');
    for (char& c : text) c = static_cast<char>('a' + prng.uniform(26));
    return {maybe(Value::text(text)), Value::int64(id),
            maybe(Value::float64(static_cast<double>(prng.uniform(1000)) / 8)),
            maybe(Value::int32(static_cast<i32>(prng.uniform(100))))};
}

RC_GTEST_PROP(RowDecoder, ReusedRowMatchesDecodeRow, (u64 seed)) {
    Prng prng(seed);
    const TableSchema table = table_of();
    const RowDecoder decoder(table);
    std::vector<Value> row;
    for (i64 i = 0; i < 20; ++i) {
        const std::vector<Value> values = random_values(prng, i);
        const Bytes image = encode_row(table, values);
        RC_ASSERT(decoder.decode(image, row).is_ok());
        RC_ASSERT(row == values);
        RC_ASSERT(row == *decode_row(table, image));
    }
}

TEST(RowDecoder, DroppedColumnsAreSkippedAndMissingOnesAreNull) {
    TableSchema wide = table_of();
    const Bytes image = encode_row(wide, std::vector<Value>{Value::text("hello"), Value::int64(1),
                                                            Value::float64(2.5), Value::int32(3)});
    TableSchema narrow = wide;
    narrow.columns.erase(narrow.columns.begin() + 2);  // y dropped
    narrow.columns.push_back(column(5, "z", SqlType::text));
    std::vector<Value> row = {Value::text("old"), Value::int64(9), Value::int32(9),
                              Value::text("stale")};
    ASSERT_TRUE(RowDecoder(narrow).decode(image, row).is_ok());
    EXPECT_EQ(row, (std::vector<Value>{Value::text("hello"), Value::int64(1), Value::int32(3),
                                       Value::null()}));
    EXPECT_EQ(row, *decode_row(narrow, image));
}

TEST(RowDecoder, DamagedImagesAreCorruption) {
    const TableSchema table = table_of();
    Bytes image = encode_row(table, std::vector<Value>{Value::text("hello"), Value::int64(1),
                                                       Value::null(), Value::int32(3)});
    std::vector<Value> row;
    Bytes truncated(image.begin(), image.end() - 1);
    EXPECT_EQ(RowDecoder(table).decode(truncated, row).code(), StatusCode::corruption);
    EXPECT_EQ(RowDecoder(table).decode({}, row).code(), StatusCode::corruption);
    // A value of another kind than its column's type.
    TableSchema retyped = table;
    retyped.columns[3].type.type = SqlType::bigint;  // a stores int32
    EXPECT_EQ(RowDecoder(retyped).decode(image, row).code(), StatusCode::corruption);
    EXPECT_EQ(decode_row(retyped, image).status().code(), StatusCode::corruption);
}

}  // namespace
}  // namespace kb::kernel
