// Test helpers for the kernel: schema builders and a random catalog history, shared by the
// catalog, op and state-hash tests. Deterministic for a seed.
#pragma once

#include <string>
#include <vector>

#include "base/prng.h"
#include "kernel/catalog.h"

namespace kb::kernel::testing {

inline crypto::WrappedKey test_wrapped_key(u64 key_id, u8 fill) {
    crypto::WrappedKey key;
    key.wrapping_key_id = crypto::KeyId(key_id + 1000);
    key.key_id = crypto::KeyId(key_id);
    key.nonce.fill(fill);
    key.sealed.fill(static_cast<u8>(fill + 1));
    return key;
}

inline TenantInfo test_tenant(u64 id, std::string name) {
    return TenantInfo{.id = TenantId(id),
                      .name = std::move(name),
                      .created = Position::none(),
                      .kek = test_wrapped_key(2 * id, 0x11),
                      .root_key = test_wrapped_key(2 * id + 1, 0x22)};
}

inline ColumnDef column(u32 id, std::string name, SqlType type, bool not_null = false) {
    ColumnDef def;
    def.id = ColumnId(id);
    def.name = std::move(name);
    def.type.type = type;
    if (type == SqlType::varchar) def.type.length = 40;
    if (type == SqlType::numeric) {
        def.type.precision = 12;
        def.type.scale = 2;
    }
    def.not_null = not_null;
    return def;
}

// A table `name` with id `id`: column 1 "id" bigint primary key, then `extra` text columns.
inline TableSchema simple_table(u64 id, std::string name, u32 extra = 1) {
    TableSchema schema;
    schema.id = TableId(id);
    schema.name = std::move(name);
    schema.columns.push_back(column(1, "id", SqlType::bigint, true));
    for (u32 i = 0; i < extra; ++i) {
        schema.columns.push_back(column(2 + i, "c" + std::to_string(2 + i), SqlType::text));
    }
    schema.next_column_id = ColumnId(2 + extra);
    schema.primary_key = {ColumnId(1)};
    return schema;
}

// Applies `steps` random DDL and stream mutations to tenant `tenant` of `catalog` (created if
// missing), starting after its last change. Many steps fail with an outcome, on purpose; the
// catalog then must be unchanged, which this checks (returns false if not).
inline bool random_history(Catalog& catalog, TenantId tenant_id, Prng& prng, int steps) {
    if (catalog.tenant(tenant_id) == nullptr) {
        (void)catalog.create_tenant(
            test_tenant(tenant_id.value(), "t" + std::to_string(tenant_id.value())), Position(1));
    }
    TenantCatalog& tenant = *catalog.tenant(tenant_id);
    Position at = Position(std::max<u64>(tenant.last_change().value(), 1));
    static constexpr SqlType kTypes[] = {SqlType::smallint,
                                         SqlType::integer,
                                         SqlType::bigint,
                                         SqlType::real,
                                         SqlType::double_precision,
                                         SqlType::numeric,
                                         SqlType::text,
                                         SqlType::varchar,
                                         SqlType::boolean,
                                         SqlType::bytea,
                                         SqlType::date,
                                         SqlType::timestamptz,
                                         SqlType::uuid,
                                         SqlType::jsonb,
                                         SqlType::interval};
    auto pick_table = [&]() -> const TableSchema* {
        std::vector<const TableSchema*> live;
        for (const auto& [id, versions] : tenant.table_versions()) {
            if (const TableSchema* schema = tenant.table(id)) live.push_back(schema);
        }
        return live.empty() ? nullptr : live[prng.uniform(live.size())];
    };
    for (int step = 0; step < steps; ++step) {
        if (prng.chance(2, 3)) at = at.next();
        const TenantCatalog before = tenant;
        Outcome outcome = Outcome::ok;
        const u64 next_id = tenant.next_object_id().value();
        switch (prng.uniform(10)) {
            case 0:
            case 1: {
                TableSchema schema =
                    simple_table(next_id, "tab" + std::to_string(prng.uniform(12)), 0);
                u32 extra = static_cast<u32>(prng.uniform(4));
                for (u32 i = 0; i < extra; ++i) {
                    // One draw per statement: argument evaluation order is unspecified.
                    const SqlType type = kTypes[prng.uniform(std::size(kTypes))];
                    const bool not_null = prng.coin();
                    schema.columns.push_back(
                        column(2 + i, "c" + std::to_string(2 + i), type, not_null));
                }
                schema.next_column_id = ColumnId(2 + extra);
                if (extra > 0 && prng.coin()) {
                    schema.uniques.push_back({.name = "u" + std::to_string(next_id + 1),
                                              .columns = {ColumnId(2)},
                                              .index = IndexId(next_id + 1)});
                }
                if (extra > 0 && prng.coin()) {
                    schema.checks.push_back(
                        {.name = "ck", .expression = "c2 IS NOT NULL", .columns = {ColumnId(2)}});
                }
                if (const TableSchema* parent = pick_table(); parent && prng.coin()) {
                    schema.columns.push_back(column(9, "parent", SqlType::bigint));
                    schema.next_column_id = ColumnId(10);
                    schema.foreign_keys.push_back({.name = "fk",
                                                   .columns = {ColumnId(9)},
                                                   .parent = parent->id,
                                                   .parent_columns = parent->primary_key,
                                                   .on_delete = ReferentialAction::cascade});
                }
                std::vector<SequenceSchema> owned;
                if (prng.coin()) {
                    u64 sequence_id = next_id + 2;
                    owned.push_back({.id = SequenceId(sequence_id),
                                     .name = "seq" + std::to_string(sequence_id),
                                     .owner_table = schema.id,
                                     .owner_column = ColumnId(1)});
                    schema.columns[0].default_value = {.kind = DefaultKind::nextval,
                                                       .expression = "nextval('seq')",
                                                       .sequence = SequenceId(sequence_id)};
                }
                outcome = tenant.create_table(schema, owned, at);
                break;
            }
            case 2:
                if (const TableSchema* table = pick_table()) {
                    outcome = tenant.drop_table(table->id, at);
                }
                break;
            case 3:
                if (const TableSchema* table = pick_table()) {
                    const std::string name = "a" + std::to_string(prng.uniform(5));
                    const SqlType type = kTypes[prng.uniform(std::size(kTypes))];
                    ColumnDef added = column(table->next_column_id.value(), name, type);
                    outcome = tenant.add_column(table->id, added, std::nullopt, at);
                }
                break;
            case 4:
                if (const TableSchema* table = pick_table()) {
                    const ColumnDef& victim = table->columns[prng.uniform(table->columns.size())];
                    outcome = tenant.drop_column(table->id, victim.id, at);
                }
                break;
            case 5:
                if (const TableSchema* table = pick_table()) {
                    const ColumnDef& indexed = table->columns[prng.uniform(table->columns.size())];
                    IndexSchema index{.id = IndexId(next_id),
                                      .table = table->id,
                                      .name = "ix" + std::to_string(prng.uniform(8)),
                                      .columns = {{.column = indexed.id,
                                                   .descending = prng.coin(),
                                                   .nulls = NullsOrder::first}},
                                      .unique = prng.coin()};
                    outcome = tenant.create_index(index, at);
                }
                break;
            case 6: {
                auto& indexes = tenant.index_versions();
                if (!indexes.empty()) {
                    auto it = indexes.begin();
                    std::advance(it, static_cast<long>(prng.uniform(indexes.size())));
                    outcome = tenant.drop_index(it->first, at);
                }
                break;
            }
            case 7: {
                if (prng.coin()) {
                    SequenceSchema sequence{.id = SequenceId(next_id),
                                            .name = "s" + std::to_string(prng.uniform(6)),
                                            .start = 5,
                                            .increment = prng.coin() ? 3 : -2,
                                            .min_value = -20,
                                            .max_value = 30,
                                            .cycle = prng.coin()};
                    outcome = tenant.create_sequence(sequence, at);
                } else if (!tenant.sequence_versions().empty()) {
                    SequenceBlock block;
                    auto it = tenant.sequence_versions().begin();
                    std::advance(
                        it, static_cast<long>(prng.uniform(tenant.sequence_versions().size())));
                    outcome = tenant.reserve(it->first, 1 + prng.uniform(10), at, &block);
                }
                break;
            }
            case 8: {
                StreamId id;
                outcome = tenant.create_stream("st" + std::to_string(prng.uniform(5)),
                                               DataClass::pii, at, &id);
                break;
            }
            default: {
                StreamId id(1 + prng.uniform(tenant.next_stream_id().value()));
                if (prng.coin()) {
                    outcome = tenant.delete_stream(id, at);
                } else {
                    outcome = tenant.check_append(id, std::nullopt);
                    if (outcome == Outcome::ok) (void)tenant.append(id, 1 + prng.uniform(3));
                }
                break;
            }
        }
        if (outcome != Outcome::ok && !(tenant == before)) return false;
    }
    return true;
}

}  // namespace kb::kernel::testing
