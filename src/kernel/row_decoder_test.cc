// RowDecoder: decoding image after image into one reused row gives exactly what decode_row
// gives for each image alone (NULLs, text reusing strings, columns out of id order, dropped
// columns, damaged images), and the fast path for plain rows agrees with the general one.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/endian.h"
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

// Every column of a kind the decoder reads on its fast path (RowDecoder::decode_plain), listed
// out of id order.
TableSchema plain_table() {
    TableSchema table;
    table.id = TableId(8);
    table.name = "p";
    table.columns = {
        column(8, "g", SqlType::text),        column(1, "id", SqlType::bigint, true),
        column(2, "a", SqlType::smallint),    column(3, "b", SqlType::integer),
        column(4, "c", SqlType::date),        column(5, "d", SqlType::timestamp),
        column(6, "e", SqlType::timestamptz), column(7, "f", SqlType::boolean),
        column(9, "h", SqlType::real),        column(10, "k", SqlType::double_precision)};
    table.next_column_id = ColumnId(11);
    table.primary_key = {ColumnId(1)};
    return table;
}

std::vector<Value> plain_values(Prng& prng, bool with_nulls) {
    auto maybe = [&](Value value) {
        return with_nulls && prng.chance(1, 4) ? Value::null() : value;
    };
    auto any64 = [&] { return static_cast<i64>(prng.next_u64()); };
    std::string text(prng.uniform(40), 'x');
    for (char& c : text) c = static_cast<char>('a' + prng.uniform(26));
    return {maybe(Value::text(text)),
            Value::int64(any64()),
            maybe(Value::int16(static_cast<i16>(prng.next_u64()))),
            maybe(Value::int32(static_cast<i32>(prng.next_u64()))),
            maybe(Value::date(static_cast<i32>(prng.next_u64()))),
            maybe(Value::timestamp(any64())),
            maybe(Value::timestamptz(any64())),
            maybe(Value::boolean(prng.coin())),
            maybe(Value::float32(static_cast<float>(prng.uniform(1000)) / 8)),
            maybe(Value::float64(static_cast<double>(prng.uniform(1000)) / 16))};
}

TEST(RowDecoder, FastPathRoundTrips) {
    Prng prng(11);
    const TableSchema table = plain_table();
    const RowDecoder decoder(table);
    std::vector<Value> row;
    for (int i = 0; i < 200; ++i) {
        const std::vector<Value> values = plain_values(prng, i % 2 == 1);
        ASSERT_TRUE(decoder.decode(encode_row(table, values), row).is_ok());
        ASSERT_EQ(row, values);
    }
}

// Damaged images: the fast path accepts exactly what the general path accepts, with the same
// values, and fails with the same error. The reference table has one more column (never in the
// images, and out of reach of a one-byte change of an id), so its decoder always takes the
// general path.
TEST(RowDecoder, FastPathAgreesWithTheGeneralPathOnDamagedImages) {
    Prng prng(12);
    const TableSchema table = plain_table();
    TableSchema reference = table;
    reference.columns.push_back(column(1000, "z", SqlType::numeric));
    reference.next_column_id = ColumnId(1001);
    const RowDecoder fast(table);
    const RowDecoder general(reference);
    std::vector<Value> fast_row;
    std::vector<Value> general_row;
    auto check = [&](const Bytes& image) {
        const Status got = fast.decode(image, fast_row);
        const Status want = general.decode(image, general_row);
        ASSERT_EQ(got.code(), want.code()) << to_hex(image);
        ASSERT_EQ(got.message(), want.message());
        if (!got.is_ok()) return;
        ASSERT_TRUE(general_row.back().is_null());
        general_row.pop_back();
        // Compared as images: a canonical NaN is not equal to itself as a Value.
        ASSERT_EQ(encode_row(table, fast_row), encode_row(table, general_row));
    };
    for (int i = 0; i < 40; ++i) {
        const Bytes image = encode_row(table, plain_values(prng, false));
        check(image);
        for (usize size = 0; size < image.size(); ++size) {
            check(Bytes(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(size)));
        }
        Bytes longer = image;
        longer.push_back(0);
        check(longer);
        // NaNs other than the canonical ones, in k (the last 8 bytes) and h (4 bytes before
        // k's id and kind).
        Bytes nan = image;
        store_le_u64(nan.data() + nan.size() - 8, 0x7ff8000000000001);
        check(nan);
        nan = image;
        store_le_u32(nan.data() + nan.size() - 17, 0x7fc00001);
        check(nan);
        for (usize at = 1; at < image.size(); ++at) {
            Bytes damaged = image;
            damaged[at] = static_cast<u8>(prng.next_u64());
            check(damaged);
            damaged[at] = static_cast<u8>(image[at] ^ (1u << prng.uniform(8)));
            check(damaged);
            if (::testing::Test::HasFatalFailure()) return;
        }
    }
}

}  // namespace
}  // namespace kb::kernel
