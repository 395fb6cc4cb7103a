// Tests of the catalog: outcomes of DDL and stream mutations, reads at a position, sequences,
// and the deterministic encoding (equality and round trip).
#include "kernel/catalog.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>

#include "kernel/catalog_codec.h"
#include "kernel/catalog_test_support.h"

namespace kb::kernel {
namespace {

using testing::column;
using testing::simple_table;
using testing::test_tenant;

constexpr TenantId kTenant(1);

Catalog one_tenant() {
    Catalog catalog;
    EXPECT_EQ(catalog.create_tenant(test_tenant(1, "default"), Position(1)), Outcome::ok);
    return catalog;
}

TEST(Catalog, TenantsHaveUniqueIdsAndNames) {
    Catalog catalog = one_tenant();
    EXPECT_EQ(catalog.create_tenant(test_tenant(1, "other"), Position(2)), Outcome::tenant_exists);
    EXPECT_EQ(catalog.create_tenant(test_tenant(2, "default"), Position(2)),
              Outcome::tenant_exists);
    EXPECT_EQ(catalog.create_tenant(test_tenant(2, std::string(64, 'x')), Position(2)),
              Outcome::name_too_long);
    EXPECT_EQ(catalog.create_tenant(test_tenant(0, "zero"), Position(2)),
              Outcome::invalid_definition);
    EXPECT_EQ(catalog.create_tenant(test_tenant(2, "acme"), Position(3)), Outcome::ok);
    ASSERT_NE(catalog.find_tenant("acme"), nullptr);
    EXPECT_EQ(catalog.find_tenant("acme")->info().created, Position(3));
    EXPECT_EQ(catalog.find_tenant("acme")->info().kek, testing::test_wrapped_key(4, 0x11));
}

TEST(Catalog, StreamLifecycle) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    StreamId orders;
    ASSERT_EQ(tenant.create_stream("orders", DataClass::pii, Position(2), &orders), Outcome::ok);
    StreamId again;
    EXPECT_EQ(tenant.create_stream("orders", DataClass::pii, Position(3), &again),
              Outcome::stream_exists);
    EXPECT_EQ(tenant.check_append(orders, Offset(0)), Outcome::ok);
    EXPECT_EQ(tenant.append(orders, 3), Offset(0));
    EXPECT_EQ(tenant.check_append(orders, Offset(0)), Outcome::offset_mismatch);
    EXPECT_EQ(tenant.check_append(orders, Offset(3)), Outcome::ok);
    EXPECT_EQ(tenant.append(orders, 2), Offset(3));
    EXPECT_EQ(tenant.check_append(StreamId(99), std::nullopt), Outcome::no_such_stream);

    ASSERT_EQ(tenant.delete_stream(orders, Position(5)), Outcome::ok);
    EXPECT_EQ(tenant.check_append(orders, std::nullopt), Outcome::stream_deleted);
    EXPECT_EQ(tenant.delete_stream(orders, Position(6)), Outcome::stream_deleted);
    // History: the name resolves to the old stream at positions where it was live.
    EXPECT_EQ(tenant.find_stream("orders", Position(4))->id, orders);
    EXPECT_EQ(tenant.find_stream("orders", Position(5)), nullptr);
    EXPECT_EQ(tenant.find_stream("orders", Position(1)), nullptr);
    // The name is free again; the new stream gets a new id.
    StreamId reborn;
    ASSERT_EQ(tenant.create_stream("orders", DataClass::phi, Position(7), &reborn), Outcome::ok);
    EXPECT_NE(reborn, orders);
    EXPECT_EQ(tenant.stream(orders)->next_offset, Offset(5));
}

TEST(Catalog, CreateTableChecksTheDefinition) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    const Position at(2);

    TableSchema no_key = simple_table(1, "t");
    no_key.primary_key.clear();
    EXPECT_EQ(tenant.create_table(no_key, {}, at), Outcome::invalid_definition);

    TableSchema nullable_key = simple_table(1, "t");
    nullable_key.columns[0].not_null = false;
    EXPECT_EQ(tenant.create_table(nullable_key, {}, at), Outcome::invalid_definition);

    TableSchema jsonb_key = simple_table(1, "t");
    jsonb_key.columns[0].type.type = SqlType::jsonb;
    EXPECT_EQ(tenant.create_table(jsonb_key, {}, at), Outcome::invalid_definition);

    TableSchema twice = simple_table(1, "t");
    twice.columns.push_back(column(3, "c2", SqlType::text));
    twice.next_column_id = ColumnId(4);
    EXPECT_EQ(tenant.create_table(twice, {}, at), Outcome::column_exists);

    TableSchema bad_varchar = simple_table(1, "t");
    bad_varchar.columns[1].type = ColumnType{.type = SqlType::character, .length = 0};
    EXPECT_EQ(tenant.create_table(bad_varchar, {}, at), Outcome::invalid_definition);

    TableSchema missing_sequence = simple_table(1, "t");
    missing_sequence.columns[0].default_value = {
        .kind = DefaultKind::nextval, .expression = "nextval('s')", .sequence = SequenceId(7)};
    EXPECT_EQ(tenant.create_table(missing_sequence, {}, at), Outcome::no_such_sequence);

    EXPECT_EQ(tenant.version(), 0u);
    EXPECT_EQ(tenant.table_versions().size(), 0u);

    ASSERT_EQ(tenant.create_table(simple_table(1, "t"), {}, at), Outcome::ok);
    EXPECT_EQ(tenant.create_table(simple_table(2, "t"), {}, at), Outcome::table_exists);
    EXPECT_EQ(tenant.create_table(simple_table(1, "u"), {}, at), Outcome::invalid_definition)
        << "the id is taken";
    EXPECT_EQ(tenant.version(), 1u);
    EXPECT_EQ(tenant.next_object_id(), ObjectId(2));
}

TEST(Catalog, UniqueConstraintsAndSerialColumnsComeWithTheTable) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    TableSchema users = simple_table(1, "users");
    users.uniques.push_back(
        {.name = "users_c2_key", .columns = {ColumnId(2)}, .index = IndexId(2)});
    users.columns[0].default_value = {.kind = DefaultKind::nextval,
                                      .expression = "nextval('users_id_seq'::regclass)",
                                      .sequence = SequenceId(3)};
    SequenceSchema serial{.id = SequenceId(3),
                          .name = "users_id_seq",
                          .owner_table = TableId(1),
                          .owner_column = ColumnId(1)};
    ASSERT_EQ(tenant.create_table(users, {serial}, Position(2)), Outcome::ok);
    const IndexSchema* unique = tenant.find_index("users_c2_key");
    ASSERT_NE(unique, nullptr);
    EXPECT_TRUE(unique->unique);
    EXPECT_EQ(unique->table, TableId(1));
    EXPECT_EQ(tenant.drop_index(unique->id, Position(3)), Outcome::dependent_objects_exist);
    ASSERT_NE(tenant.find_sequence("users_id_seq"), nullptr);
    EXPECT_EQ(tenant.next_object_id(), ObjectId(4));

    // Relations share one namespace.
    EXPECT_EQ(tenant.create_table(simple_table(4, "users_id_seq"), {}, Position(3)),
              Outcome::table_exists);

    ASSERT_EQ(tenant.drop_table(TableId(1), Position(4)), Outcome::ok);
    EXPECT_EQ(tenant.find_index("users_c2_key"), nullptr);
    EXPECT_EQ(tenant.find_sequence("users_id_seq"), nullptr);
    EXPECT_NE(tenant.find_sequence("users_id_seq", Position(3)), nullptr);
}

TEST(Catalog, ForeignKeysNameAKeyOfALiveParent) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    ASSERT_EQ(tenant.create_table(simple_table(1, "parent"), {}, Position(2)), Outcome::ok);

    TableSchema child = simple_table(2, "child");
    child.columns.push_back(column(3, "parent_id", SqlType::bigint));
    child.next_column_id = ColumnId(4);
    ForeignKey to_parent{.name = "child_parent_fk",
                         .columns = {ColumnId(3)},
                         .parent = TableId(1),
                         .parent_columns = {ColumnId(1)},
                         .on_delete = ReferentialAction::restrict};

    TableSchema not_a_key = child;
    not_a_key.foreign_keys = {to_parent};
    not_a_key.foreign_keys[0].parent_columns = {ColumnId(2)};
    EXPECT_EQ(tenant.create_table(not_a_key, {}, Position(3)), Outcome::invalid_definition);

    TableSchema no_parent = child;
    no_parent.foreign_keys = {to_parent};
    no_parent.foreign_keys[0].parent = TableId(9);
    EXPECT_EQ(tenant.create_table(no_parent, {}, Position(3)), Outcome::no_such_table);

    child.foreign_keys = {to_parent};
    ASSERT_EQ(tenant.create_table(child, {}, Position(3)), Outcome::ok);
    EXPECT_EQ(tenant.drop_table(TableId(1), Position(4)), Outcome::dependent_objects_exist);
    EXPECT_EQ(tenant.drop_column(TableId(1), ColumnId(1), Position(4)),
              Outcome::dependent_objects_exist);
    // Dropping the child's referencing column drops the constraint with it.
    ASSERT_EQ(tenant.drop_column(TableId(2), ColumnId(3), Position(5)), Outcome::ok);
    EXPECT_TRUE(tenant.table(TableId(2))->foreign_keys.empty());
    EXPECT_EQ(tenant.drop_table(TableId(1), Position(6)), Outcome::ok);

    // A self-reference is allowed.
    TableSchema tree = simple_table(3, "tree");
    tree.columns.push_back(column(3, "up", SqlType::bigint));
    tree.next_column_id = ColumnId(4);
    tree.foreign_keys.push_back({.name = "tree_up_fk",
                                 .columns = {ColumnId(3)},
                                 .parent = TableId(3),
                                 .parent_columns = {ColumnId(1)},
                                 .on_delete = ReferentialAction::cascade});
    EXPECT_EQ(tenant.create_table(tree, {}, Position(7)), Outcome::ok);
}

TEST(Catalog, AReadAtPSeesTheSchemaOfP) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    ASSERT_EQ(tenant.create_table(simple_table(1, "t"), {}, Position(10)), Outcome::ok);
    IndexSchema by_c2{.id = IndexId(2),
                      .table = TableId(1),
                      .name = "t_c2",
                      .columns = {{.column = ColumnId(2), .descending = true}}};
    ASSERT_EQ(tenant.create_index(by_c2, Position(15)), Outcome::ok);
    ASSERT_EQ(tenant.add_column(TableId(1), column(3, "added", SqlType::uuid), std::nullopt,
                                Position(20)),
              Outcome::ok);
    EXPECT_EQ(tenant.add_column(TableId(1), column(4, "added", SqlType::uuid), std::nullopt,
                                Position(21)),
              Outcome::column_exists);
    EXPECT_EQ(tenant.add_column(TableId(1), column(2, "reused_id", SqlType::uuid), std::nullopt,
                                Position(21)),
              Outcome::invalid_definition)
        << "column ids are never reused";
    ASSERT_EQ(tenant.drop_column(TableId(1), ColumnId(2), Position(30)), Outcome::ok);
    EXPECT_EQ(tenant.drop_column(TableId(1), ColumnId(1), Position(31)),
              Outcome::dependent_objects_exist)
        << "primary key column";
    ASSERT_EQ(tenant.drop_table(TableId(1), Position(40)), Outcome::ok);

    auto columns_at = [&](u64 position) -> std::vector<std::string> {
        const TableSchema* schema = tenant.table(TableId(1), Position(position));
        std::vector<std::string> names;
        if (schema == nullptr) return names;
        for (const ColumnDef& def : schema->columns) names.push_back(def.name);
        return names;
    };
    using Names = std::vector<std::string>;
    EXPECT_EQ(columns_at(9), Names{});
    EXPECT_EQ(columns_at(10), (Names{"id", "c2"}));
    EXPECT_EQ(columns_at(19), (Names{"id", "c2"}));
    EXPECT_EQ(columns_at(20), (Names{"id", "c2", "added"}));
    EXPECT_EQ(columns_at(30), (Names{"id", "added"}));
    EXPECT_EQ(columns_at(39), (Names{"id", "added"}));
    EXPECT_EQ(columns_at(40), Names{});
    EXPECT_EQ(tenant.find_table("t", Position(25))->id, TableId(1));
    EXPECT_EQ(tenant.find_table("t", Position(40)), nullptr);
    // The index on the dropped column lived from 15 to 30.
    EXPECT_EQ(tenant.index(IndexId(2), Position(14)), nullptr);
    EXPECT_NE(tenant.index(IndexId(2), Position(29)), nullptr);
    EXPECT_EQ(tenant.index(IndexId(2), Position(30)), nullptr);
    EXPECT_EQ(tenant.indexes_of(TableId(1), Position(20)).size(), 1u);
    EXPECT_EQ(tenant.version(), 5u);
}

TEST(Catalog, ChangesInOneOpShowOnlyTheirEnd) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    const Position at(5);
    ASSERT_EQ(tenant.create_table(simple_table(1, "t"), {}, at), Outcome::ok);
    ASSERT_EQ(tenant.add_column(TableId(1), column(3, "x", SqlType::date), std::nullopt, at),
              Outcome::ok);
    EXPECT_EQ(tenant.table(TableId(1), at)->columns.size(), 3u);
    ASSERT_EQ(tenant.create_table(simple_table(2, "gone"), {}, at), Outcome::ok);
    ASSERT_EQ(tenant.drop_table(TableId(2), at), Outcome::ok);
    EXPECT_EQ(tenant.table(TableId(2), at), nullptr);
    // The name is free again within the same op.
    EXPECT_EQ(tenant.create_table(simple_table(3, "gone"), {}, at), Outcome::ok);
}

TEST(Catalog, SequenceBlocks) {
    Catalog catalog = one_tenant();
    TenantCatalog& tenant = *catalog.tenant(kTenant);
    SequenceSchema up{.id = SequenceId(1),
                      .name = "up",
                      .start = 1,
                      .increment = 10,
                      .min_value = 1,
                      .max_value = 45};
    ASSERT_EQ(tenant.create_sequence(up, Position(2)), Outcome::ok);
    SequenceBlock block;
    ASSERT_EQ(tenant.reserve(SequenceId(1), 2, Position(3), &block), Outcome::ok);
    EXPECT_EQ(block, (SequenceBlock{.first = 1, .increment = 10, .count = 2}));
    ASSERT_EQ(tenant.reserve(SequenceId(1), 100, Position(4), &block), Outcome::ok);
    EXPECT_EQ(block, (SequenceBlock{.first = 21, .increment = 10, .count = 3}));  // 21 31 41
    EXPECT_EQ(tenant.reserve(SequenceId(1), 1, Position(5), &block), Outcome::sequence_exhausted);
    EXPECT_EQ(tenant.reserve(SequenceId(9), 1, Position(5), &block), Outcome::no_such_sequence);

    SequenceSchema down{.id = SequenceId(2),
                        .name = "down",
                        .start = -1,
                        .increment = -3,
                        .min_value = -7,
                        .max_value = -1,
                        .cycle = true};
    ASSERT_EQ(tenant.create_sequence(down, Position(6)), Outcome::ok);
    ASSERT_EQ(tenant.reserve(SequenceId(2), 5, Position(7), &block), Outcome::ok);
    EXPECT_EQ(block, (SequenceBlock{.first = -1, .increment = -3, .count = 3}));  // -1 -4 -7
    ASSERT_EQ(tenant.reserve(SequenceId(2), 1, Position(8), &block), Outcome::ok);
    EXPECT_EQ(block.first, -1) << "a descending cycle restarts from its maximum";

    // Extreme bounds and increments do not overflow.
    SequenceSchema wide{.id = SequenceId(3),
                        .name = "wide",
                        .start = std::numeric_limits<i64>::max() - 1,
                        .increment = std::numeric_limits<i64>::max(),
                        .min_value = std::numeric_limits<i64>::min(),
                        .max_value = std::numeric_limits<i64>::max()};
    ASSERT_EQ(tenant.create_sequence(wide, Position(9)), Outcome::ok);
    ASSERT_EQ(tenant.reserve(SequenceId(3), ~u64{0}, Position(10), &block), Outcome::ok);
    EXPECT_EQ(block.count, 1u);
    EXPECT_EQ(tenant.reserve(SequenceId(3), 1, Position(10), &block), Outcome::sequence_exhausted);

    EXPECT_EQ(
        tenant.create_sequence({.id = SequenceId(4), .name = "zero", .increment = 0}, Position(11)),
        Outcome::invalid_definition);
}

TEST(Catalog, FailedMutationsChangeNothing) {
    usize tables = 0, versions = 0, indexes = 0, sequences = 0, streams = 0;
    for (u64 seed = 1; seed <= 40; ++seed) {
        Catalog catalog;
        Prng prng(seed);
        ASSERT_TRUE(testing::random_history(catalog, kTenant, prng, 300)) << "seed " << seed;
        const TenantCatalog& tenant = *catalog.tenant(kTenant);
        tables += tenant.table_versions().size();
        for (const auto& [id, history] : tenant.table_versions()) versions += history.size();
        indexes += tenant.index_versions().size();
        sequences += tenant.sequence_versions().size();
        streams += tenant.streams().size();
    }
    // The histories must exercise every kind of change, not just fail.
    std::printf("tables %zu versions %zu indexes %zu sequences %zu streams %zu\n", tables, versions,
                indexes, sequences, streams);
    EXPECT_GT(tables, 200u);
    EXPECT_GT(versions, tables + 200);
    EXPECT_GT(indexes, 100u);
    EXPECT_GT(sequences, 100u);
    EXPECT_GT(streams, 100u);
}

TEST(Catalog, DroppedTenantsFreeTheirNamesAndKeepTheirHistory) {
    Catalog catalog;
    ASSERT_EQ(catalog.create_tenant({.id = TenantId(1), .name = "a"}, Position(1)), Outcome::ok);
    TenantCatalog& first = *catalog.tenant(TenantId(1));
    StreamId stream;
    ASSERT_EQ(first.create_stream("s", DataClass::internal, Position(2), &stream), Outcome::ok);
    EXPECT_EQ(catalog.drop_tenant(TenantId(2), Position(3)), Outcome::no_such_tenant);
    ASSERT_EQ(catalog.drop_tenant(TenantId(1), Position(4)), Outcome::ok);
    EXPECT_EQ(catalog.drop_tenant(TenantId(1), Position(5)), Outcome::no_such_tenant);

    // By id it is still there, with what it held; by name it is gone.
    const TenantCatalog* dropped = catalog.tenant(TenantId(1));
    ASSERT_NE(dropped, nullptr);
    EXPECT_EQ(dropped->info().dropped, Position(4));
    EXPECT_TRUE(dropped->info().is_dropped());
    EXPECT_NE(dropped->stream(stream), nullptr);
    EXPECT_EQ(catalog.find_tenant("a"), nullptr);

    // The name is free again; the id is not.
    EXPECT_EQ(catalog.create_tenant({.id = TenantId(1), .name = "b"}, Position(6)),
              Outcome::tenant_exists);
    ASSERT_EQ(catalog.create_tenant({.id = TenantId(2), .name = "a"}, Position(7)), Outcome::ok);
    ASSERT_NE(catalog.find_tenant("a"), nullptr);
    EXPECT_EQ(catalog.find_tenant("a")->info().id, TenantId(2));
    EXPECT_FALSE(catalog.find_tenant("a")->info().is_dropped());
}

// --- encoding ----------------------------------------------------------------------------

Catalog random_catalog(u64 seed) {
    Catalog catalog;
    Prng prng(seed);
    for (u64 tenant = 1; tenant <= 1 + prng.uniform(3); ++tenant) {
        KB_ASSERT(testing::random_history(catalog, TenantId(tenant), prng,
                                          static_cast<int>(prng.uniform(200))));
    }
    return catalog;
}

RC_GTEST_PROP(CatalogCodec, RoundTripIsExact, (u64 seed)) {
    Catalog catalog = random_catalog(seed);
    Bytes bytes = encode_catalog(catalog);
    auto decoded = decode_catalog(bytes);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == catalog);
    RC_ASSERT(encode_catalog(*decoded) == bytes);
}

TEST(CatalogCodec, DroppedTenantsRoundTrip) {
    Catalog catalog = random_catalog(11);
    const TenantId last = catalog.tenants().rbegin()->first;
    ASSERT_EQ(catalog.drop_tenant(last, Position(100000)), Outcome::ok);
    const Bytes bytes = encode_catalog(catalog);
    auto decoded = decode_catalog(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, catalog);
    EXPECT_EQ(decoded->tenant(last)->info().dropped, Position(100000));

    const TenantInfo& info = catalog.tenant(last)->info();
    auto record = decode_tenant_info(encode_tenant_info(info));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(*record, info);
}

TEST(CatalogCodec, ReadsVersionOneTenantRecords) {
    // Version 1 had no dropped position: the same fields without the last u64.
    const TenantInfo info{.id = TenantId(3),
                          .name = "old",
                          .created = Position(9),
                          .kek = testing::test_wrapped_key(3, 0x33),
                          .root_key = testing::test_wrapped_key(3, 0x44)};
    Bytes bytes = encode_tenant_info(info);
    ASSERT_EQ(bytes[0], kCatalogFormatVersion);
    bytes.resize(bytes.size() - 8);
    bytes[0] = 1;
    auto decoded = decode_tenant_info(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, info);
    EXPECT_FALSE(decoded->is_dropped());
    bytes[0] = 3;
    EXPECT_EQ(decode_tenant_info(bytes).error().code(), StatusCode::unsupported);
}

TEST(CatalogCodec, EqualHistoriesGiveEqualBytes) {
    EXPECT_EQ(encode_catalog(random_catalog(7)), encode_catalog(random_catalog(7)));
    EXPECT_NE(encode_catalog(random_catalog(7)), encode_catalog(random_catalog(8)));
}

TEST(CatalogCodec, RefusesDamage) {
    Bytes bytes = encode_catalog(random_catalog(3));
    ASSERT_GT(bytes.size(), 200u);

    Bytes version_three = bytes;
    version_three[0] = 3;
    EXPECT_EQ(decode_catalog(version_three).error().code(), StatusCode::unsupported);
    Bytes version_zero = bytes;
    version_zero[0] = 0;
    EXPECT_EQ(decode_catalog(version_zero).error().code(), StatusCode::unsupported);
    EXPECT_EQ(decode_catalog({}).error().code(), StatusCode::corruption);
    for (usize size = 1; size < bytes.size(); size += 1 + size / 16) {
        auto truncated = decode_catalog(ByteSpan(bytes).first(size));
        ASSERT_FALSE(truncated.has_value()) << size;
        EXPECT_EQ(truncated.error().code(), StatusCode::corruption);
    }
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_NE(decode_catalog(trailing).error().message().find("unexpected bytes"),
              std::string::npos);

    // Any single flipped bit: refused, or a catalog that re-encodes to the flipped bytes.
    Prng prng(5);
    for (int round = 0; round < 2000; ++round) {
        Bytes flipped = bytes;
        flipped[prng.uniform(flipped.size())] ^= static_cast<u8>(1u << prng.uniform(8));
        auto decoded = decode_catalog(flipped);
        if (decoded.has_value()) {
            ASSERT_EQ(encode_catalog(*decoded), flipped);
        }
    }
}

}  // namespace
}  // namespace kb::kernel
