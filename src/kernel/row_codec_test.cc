// Tests of row images and row keys: exact round trips for every value kind, the documented
// bytes, refusal of anything encode would not write, schema evolution by column id, the row
// checks apply relies on, and keys that order as the typed values do.
#include "kernel/row_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "kernel/catalog_test_support.h"
#include "kernel/value_test_support.h"

namespace kb::kernel {
namespace {

using testing::column;
using testing::random_row;
using testing::random_value;

std::vector<RowColumn> random_columns(Prng& prng) {
    std::vector<RowColumn> columns;
    u32 id = 0;
    for (u64 i = prng.uniform(20); i > 0; --i) {
        id += 1 + static_cast<u32>(prng.uniform(prng.coin() ? 3 : 100000));
        const auto kind = static_cast<ValueKind>(1 + prng.uniform(static_cast<u64>(kValueKindMax)));
        columns.push_back({.column = ColumnId(id), .value = random_value(prng, kind)});
    }
    return columns;
}

// What decode gives back for encoded `columns`: NaNs become the canonical NaN.
Value canonical(const Value& value) {
    if (value.kind() == ValueKind::float32 && std::isnan(value.as_float32())) {
        return Value::float32(std::bit_cast<float>(u32{0x7fc00000}));
    }
    if (value.kind() == ValueKind::float64 && std::isnan(value.as_float64())) {
        return Value::float64(std::bit_cast<double>(u64{0x7ff8000000000000}));
    }
    return value;
}

RC_GTEST_PROP(RowCodec, RoundTripIsExact, (u64 seed)) {
    Prng prng(seed);
    std::vector<RowColumn> columns = random_columns(prng);
    const Bytes image = encode_row(columns);
    auto decoded = decode_row(image);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->size() == columns.size());
    for (usize i = 0; i < columns.size(); ++i) {
        RC_ASSERT((*decoded)[i].column == columns[i].column);
        RC_ASSERT((*decoded)[i].value == canonical(columns[i].value));
    }
    RC_ASSERT(encode_row(*decoded) == image);
}

RC_GTEST_PROP(RowCodec, DecodeAcceptsOnlyWhatEncodeWrites, (u64 seed)) {
    // Flip, drop or add bytes: either refused, or a row that re-encodes to the same bytes.
    Prng prng(seed);
    Bytes image = encode_row(random_columns(prng));
    switch (prng.uniform(3)) {
        case 0:
            image[prng.uniform(image.size())] ^= static_cast<u8>(1u << prng.uniform(8));
            break;
        case 1:
            image.resize(prng.uniform(image.size()));
            break;
        default:
            image.push_back(static_cast<u8>(prng.next_u32()));
            break;
    }
    auto decoded = decode_row(image);
    if (decoded.has_value()) RC_ASSERT(encode_row(*decoded) == image);
}

TEST(RowCodec, DocumentedBytes) {
    const std::vector<RowColumn> columns = {
        {.column = ColumnId(1), .value = Value::int32(-2)},
        {.column = ColumnId(2), .value = Value::null()},
        {.column = ColumnId(5), .value = Value::text("hi")},
        {.column = ColumnId(6), .value = Value::numeric(*Numeric::parse("-12.345"))},
    };
    const Bytes expected = {
        1, 3, 0, 0, 0,                                       // version, count of non-NULL columns
        1, 0, 0, 0, 3,    0xfe, 0xff, 0xff, 0xff,            // id 1, int32, -2
        5, 0, 0, 0, 8,    2,    0,    0,    0,    'h', 'i',  // id 5, text "hi"
        6, 0, 0, 0, 7,                                       // id 6, numeric:
        0, 1, 3, 0,                                          //   finite, negative, scale 3
        5, 0, 0, 0, 0x12, 0x34, 0x50,                        //   5 digits, packed
    };
    Bytes actual = encode_row(columns);
    EXPECT_EQ(to_hex(actual), to_hex(expected));
    EXPECT_EQ(decode_row(actual)->size(), 3u);
}

TEST(RowCodec, RefusesWithReasons) {
    auto error_of = [](Bytes image) {
        auto decoded = decode_row(image);
        return decoded.has_value() ? std::string("decoded") : decoded.error().to_string();
    };
    EXPECT_NE(error_of({}).find("empty"), std::string::npos);
    EXPECT_NE(error_of({2, 0, 0, 0, 0}).find("unsupported"), std::string::npos);
    // Ids out of order, a NULL kind, an unknown kind, a bool of 2, a non-canonical NaN.
    EXPECT_NE(error_of({1, 2, 0, 0, 0, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1}).find("increasing"),
              std::string::npos);
    EXPECT_NE(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0}).find("kind"), std::string::npos);
    EXPECT_NE(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 16, 0}).find("kind"), std::string::npos);
    EXPECT_NE(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 2}), "decoded");
    EXPECT_NE(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0x01, 0x00, 0xc0, 0x7f}).find("NaN"),
              std::string::npos);
    EXPECT_EQ(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0x00, 0x00, 0xc0, 0x7f}), "decoded");
    // A numeric with a leading zero digit, or a digit nibble over 9.
    EXPECT_NE(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 2, 0, 0, 0, 0x01}), "decoded");
    EXPECT_NE(error_of({1, 1, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 1, 0, 0, 0, 0xa0}), "decoded");
    // A forged count cannot make the decoder reserve more than the bytes could hold.
    EXPECT_NE(error_of({1, 0xff, 0xff, 0xff, 0xff}), "decoded");
}

TEST(RowCodec, SchemaEvolutionByColumnId) {
    TableSchema v1 = testing::simple_table(1, "t", 2);  // id, c2, c3
    const std::vector<Value> row = {Value::int64(7), Value::text("two"), Value::text("three")};
    const Bytes image = encode_row(v1, row);

    // ADD COLUMN: the old image reads NULL there.
    TableSchema v2 = v1;
    v2.columns.push_back(column(4, "c4", SqlType::integer));
    v2.next_column_id = ColumnId(5);
    auto added = decode_row(v2, image);
    ASSERT_TRUE(added.has_value());
    EXPECT_EQ(added->size(), 4u);
    EXPECT_EQ((*added)[2], Value::text("three"));
    EXPECT_TRUE((*added)[3].is_null());

    // DROP COLUMN c2: skipped; a new column never takes its id, so nothing is misread.
    TableSchema v3 = v2;
    v3.columns.erase(v3.columns.begin() + 1);
    auto dropped = decode_row(v3, image);
    ASSERT_TRUE(dropped.has_value());
    EXPECT_EQ(*dropped, (std::vector<Value>{Value::int64(7), Value::text("three"), Value()}));

    // Columns in an order other than their ids still map by id.
    TableSchema shuffled = v1;
    std::swap(shuffled.columns[1], shuffled.columns[2]);
    EXPECT_EQ(*decode_row(shuffled, image),
              (std::vector<Value>{Value::int64(7), Value::text("three"), Value::text("two")}));
    EXPECT_EQ(encode_row(shuffled, *decode_row(shuffled, image)), image);

    // A stored value of the wrong kind for its column is corruption.
    TableSchema retyped = v1;
    retyped.columns[1].type.type = SqlType::bigint;
    EXPECT_EQ(decode_row(retyped, image).status().code(), StatusCode::corruption);
}

TEST(RowCodec, CheckRowOutcomes) {
    TableSchema table = testing::simple_table(1, "t", 1);
    table.columns[1].not_null = true;
    table.columns.push_back(column(3, "n", SqlType::integer));
    table.next_column_id = ColumnId(4);

    RowCheck good = check_row(
        table,
        encode_row(table, std::vector<Value>{Value::int64(1), Value::text("x"), Value::null()}));
    EXPECT_EQ(good.outcome, Outcome::ok) << good.reason;
    EXPECT_EQ(good.values.size(), 3u);

    RowCheck null = check_row(
        table,
        encode_row(table, std::vector<Value>{Value::int64(1), Value::null(), Value::int32(4)}));
    EXPECT_EQ(null.outcome, Outcome::not_null_violation);
    EXPECT_EQ(null.reason, "null value in column \"c2\" of table \"t\"");

    RowCheck wrong_kind = check_row(
        table,
        encode_row(table, std::vector<Value>{Value::int64(1), Value::text("x"), Value::int64(4)}));
    EXPECT_EQ(wrong_kind.outcome, Outcome::invalid_effect);
    EXPECT_NE(wrong_kind.reason.find("column 3"), std::string::npos);

    std::vector<RowColumn> unknown = {{ColumnId(1), Value::int64(1)},
                                      {ColumnId(2), Value::text("x")},
                                      {ColumnId(9), Value::int32(1)}};
    EXPECT_EQ(check_row(table, encode_row(unknown)).outcome, Outcome::invalid_effect);
    EXPECT_EQ(check_row(table, Bytes{1, 0}).outcome, Outcome::invalid_effect);
}

// Every key-encodable column type, each in a key of its own.
TableSchema keyed_table() {
    TableSchema table;
    table.id = TableId(3);
    table.name = "k";
    u32 id = 1;
    for (u8 t = 1; t <= static_cast<u8>(kSqlTypeMax); ++t) {
        const auto type = static_cast<SqlType>(t);
        if (!key_type_of(type)) continue;
        table.columns.push_back(column(id, "c" + std::to_string(t), type));
        ++id;
    }
    table.columns[0].not_null = true;
    table.next_column_id = ColumnId(id);
    table.primary_key = {table.columns[0].id};
    return table;
}

// PostgreSQL's order of two non-NULL values of one kind (text bytewise: the C collation).
int compare_values(const Value& a, const Value& b) {
    auto three_way = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
    switch (a.kind()) {
        case ValueKind::boolean:
            return three_way(a.as_bool(), b.as_bool());
        case ValueKind::float32:
        case ValueKind::float64: {
            double x = a.kind() == ValueKind::float32 ? a.as_float32() : a.as_float64();
            double y = b.kind() == ValueKind::float32 ? b.as_float32() : b.as_float64();
            if (std::isnan(x) || std::isnan(y)) return three_way(std::isnan(x), std::isnan(y));
            return three_way(x, y);
        }
        case ValueKind::text:
            return three_way(a.as_text(), b.as_text());
        case ValueKind::bytea:
            return three_way(a.as_bytea(), b.as_bytea());
        case ValueKind::uuid:
            return three_way(a.as_uuid(), b.as_uuid());
        case ValueKind::numeric:
            return three_way(a.as_numeric().compare(b.as_numeric()), 0);
        case ValueKind::interval: {
            // PostgreSQL compares spans: months of 30 days, days of 24 hours.
            auto span = [](const Interval& i) {
                return (__int128{i.months} * 30 + i.days) * 86'400'000'000 + i.microseconds;
            };
            return three_way(span(a.as_interval()), span(b.as_interval()));
        }
        default:
            return three_way(a.as_int(), b.as_int());
    }
}

RC_GTEST_PROP(RowKeys, IndexKeysOrderAsTheValues, (u64 seed)) {
    Prng prng(seed);
    TableSchema table = keyed_table();
    const usize which = 1 + prng.uniform(table.columns.size() - 1);
    IndexSchema index{.id = IndexId(50),
                      .table = table.id,
                      .name = "ix",
                      .columns = {{.column = table.columns[which].id,
                                   .descending = prng.coin(),
                                   .nulls = static_cast<NullsOrder>(prng.uniform(3))}},
                      .unique = prng.coin()};
    TableKeys keys(table, {&index});
    std::vector<Value> a = random_row(prng, table);
    std::vector<Value> b = random_row(prng, table);
    const Bytes pk_a = *keys.primary_key(a);
    const Bytes pk_b = *keys.primary_key(b);
    const Bytes ka = *keys.index_key(0, a, pk_a);
    const Bytes kb = *keys.index_key(0, b, pk_b);
    const Value& va = a[which];
    const Value& vb = b[which];
    int expected;
    if (va.is_null() || vb.is_null()) {
        const bool nulls_first = index_key_columns(index, table)[0].nulls_first();
        expected = va.is_null() == vb.is_null() ? 0 : ((va.is_null() == nulls_first) ? -1 : 1);
    } else {
        expected = compare_values(va, vb);
        if (index.columns[0].descending) expected = -expected;
    }
    const int actual = ka < kb ? -1 : (kb < ka ? 1 : 0);
    if (expected != 0) {
        RC_ASSERT(actual == expected);
    } else {
        // Equal indexed values: the primary key breaks the tie, unless a unique index with
        // non-NULL values makes them one key.
        const bool same_key = index.unique && !va.is_null();
        RC_ASSERT((actual == 0) == (same_key || pk_a == pk_b));
    }
}

TEST(RowKeys, PrimaryAndIndexKeyForms) {
    TableSchema table = testing::simple_table(1, "t", 1);  // id bigint, c2 text
    IndexSchema unique{.id = IndexId(2),
                       .table = table.id,
                       .name = "u",
                       .columns = {{.column = ColumnId(2)}},
                       .unique = true};
    IndexSchema plain{.id = IndexId(3),
                      .table = table.id,
                      .name = "p",
                      .columns = {{.column = ColumnId(2), .descending = true}},
                      .unique = false};
    TableKeys keys(table, {&unique, &plain});
    const std::vector<Value> row = {Value::int64(1), Value::text("a")};
    const Bytes pk = *keys.primary_key(row);
    EXPECT_EQ(to_hex(pk), "018000000000000001");
    EXPECT_EQ(to_hex(*keys.index_key(0, row, pk)), "01610001");
    // Descending: every byte of the ascending form inverted, then the primary key.
    EXPECT_EQ(to_hex(*keys.index_key(1, row, pk)), "fe9efffe" + to_hex(pk));
    // A NULL in a unique index: the primary key makes the entry distinct.
    const std::vector<Value> null_row = {Value::int64(1), Value::null()};
    EXPECT_EQ(to_hex(*keys.index_key(0, null_row, pk)), "02" + to_hex(pk));

    const std::vector<Value> long_row = {Value::int64(1), Value::text(std::string(1021, 'x'))};
    EXPECT_TRUE(encode_key(index_key_columns(unique, table),
                           std::vector<KeyValue>{key_value_of(long_row[1])})
                    .has_value());
    EXPECT_EQ(keys.index_key(1, long_row, pk).status().code(), StatusCode::out_of_range);
}

}  // namespace
}  // namespace kb::kernel
