// Test helpers for the kernel's apply: a kernel over a store on a simulated machine (reopened
// at will), dumps of everything the store holds, and a random workload of ops of every kind
// that mostly succeed. Test-only (included by *_test.cc and *_bench.cc). Deterministic for a
// seed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/prng.h"
#include "kernel/catalog_test_support.h"
#include "kernel/kernel.h"
#include "kernel/kernel_reads.h"
#include "kernel/kernel_trees.h"
#include "kernel/op_test_support.h"
#include "kernel/row_codec.h"
#include "kernel/value_test_support.h"
#include "store/store_test_support.h"

namespace kb::kernel::testing {

// An op as it was logged: what a replay feeds apply again.
struct LoggedOp {
    Op op;
    ApplyContext context;
};

// A kernel over a store on a simulated machine.
struct KernelHarness {
    explicit KernelHarness(u64 seed)
        : machine(seed), keys(store::testing::make_test_keys()), random(seed) {
        open();
    }
    ~KernelHarness() { close(); }

    void open() {
        auto opened = store::Store::open(*machine.storage, machine.loop, {}, *keys, random);
        ASSERT_TRUE(opened) << opened.status().to_string();
        store = std::move(*opened);
        auto kernel_opened = Kernel::open(*store);
        ASSERT_TRUE(kernel_opened) << kernel_opened.status().to_string();
        kernel = std::move(*kernel_opened);
    }
    void close() {
        kernel.reset();
        store.reset();
    }
    // Publishes and checkpoints, then opens store and kernel again from disk.
    void reopen() {
        ASSERT_TRUE(kernel->publish().is_ok());
        ASSERT_TRUE(store::testing::checkpoint_and_wait(*store, machine.loop).is_ok());
        close();
        open();
    }
    // Loses everything since the last checkpoint (the store's unsynced writes included), as a
    // crash would, and opens again.
    void crash_and_reopen() {
        close();
        machine.storage->crash();
        open();
    }
    Status checkpoint() {
        KB_TRY(kernel->publish());
        return store::testing::checkpoint_and_wait(*store, machine.loop);
    }

    // Applies `op` at the next position (or `position`), with timestamps advancing 10 ns per
    // position unless given.
    ApplyResult apply(const Op& op, std::optional<Timestamp> timestamp = std::nullopt,
                      std::optional<Position> position = std::nullopt) {
        const Position at = position.value_or(kernel->applied().next());
        const Timestamp ts = timestamp.value_or(Timestamp(1'000'000 + 10 * at.value()));
        return apply_logged({op, ApplyContext{at, ts, op.tenant, op.principal}});
    }
    ApplyResult apply_logged(const LoggedOp& logged) {
        auto result = kernel->apply(logged.op, logged.context);
        EXPECT_TRUE(result) << result.status().to_string();
        log.push_back(logged);
        return result ? *result : ApplyResult{};
    }
    store::Snapshot published() {
        EXPECT_TRUE(kernel->publish().is_ok());
        return store->snapshot();
    }

    store::testing::SimMachine machine;
    std::unique_ptr<store::DerivedPageKeys> keys;
    crypto::SeededRandom random;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<Kernel> kernel;
    std::vector<LoggedOp> log;
};

// --- ops -----------------------------------------------------------------------------------------

inline Op create_tenant_op(std::string name) {
    const u8 fill = static_cast<u8>(name.size());
    return Op{.tenant = TenantId(0),
              .principal = PrincipalId(1),
              .body = CreateTenantOp{.name = std::move(name),
                                     .kek = test_wrapped_key(1, fill),
                                     .root_key = test_wrapped_key(2, fill)}};
}
inline Op tenant_op(TenantId tenant, OpBody body) {
    return Op{.tenant = tenant, .principal = PrincipalId(1), .body = std::move(body)};
}
inline Op drop_tenant_op(TenantId tenant) {
    return Op{.tenant = TenantId(0), .principal = PrincipalId(1), .body = DropTenantOp{tenant}};
}
inline Op configure_op(u64 retention) {
    return Op{.tenant = TenantId(0),
              .principal = PrincipalId(1),
              .body = ConfigureOp{.setting = Setting::idempotency_retention_positions,
                                  .value = retention}};
}
inline IdempotencyId idempotency_id(u64 n) {
    u8 raw[IdempotencyId::kSize] = {};
    for (int i = 0; i < 8; ++i) raw[i] = static_cast<u8>(n >> (8 * i));
    raw[15] = 0xA5;
    return IdempotencyId::from_bytes(raw);
}
inline Bytes bytes_of(std::string_view text) {
    return Bytes(as_bytes(text).begin(), as_bytes(text).end());
}

// A row of `table` from values in column order, and its primary key.
inline Bytes image(const TableSchema& table, const std::vector<Value>& values) {
    return encode_row(table, values);
}
inline Bytes primary_key(const TableSchema& table, const std::vector<Value>& values) {
    auto key = TableKeys(table, {}).primary_key(values);
    KB_ASSERT(key.has_value());
    return *key;
}
inline RowEffect insert_effect(const TableSchema& table, const std::vector<Value>& values) {
    return {RowEffectKind::insert, table.id, primary_key(table, values), image(table, values)};
}
inline RowEffect update_effect(const TableSchema& table, const std::vector<Value>& values) {
    return {RowEffectKind::update, table.id, primary_key(table, values), image(table, values)};
}
inline RowEffect remove_effect(const TableSchema& table, const std::vector<Value>& values) {
    return {RowEffectKind::remove, table.id, primary_key(table, values), {}};
}

// --- whole-store comparisons --------------------------------------------------------------------

// Every key and value of every tree of the system and of each tenant of the snapshot. Without
// `timestamps`, the timestamp index is left out: every op applied adds to it, refused or not.
using StoreDump = std::map<store::TreeId, std::vector<std::pair<Bytes, Bytes>>>;
inline StoreDump dump(const store::Snapshot& view, bool timestamps = false) {
    StoreDump out;
    std::vector<TenantId> tenants{TenantId(0)};
    auto catalog = reads::catalog(view);
    EXPECT_TRUE(catalog) << catalog.status().to_string();
    for (const auto& [id, unused] : catalog->tenants()) tenants.push_back(id);
    for (TenantId tenant : tenants) {
        auto trees = view.trees(tenant);
        EXPECT_TRUE(trees);
        for (const store::TreeId tree : *trees) {
            if (tree == trees::kTimestamps && !timestamps) continue;
            auto& entries = out[tree];
            auto cursor = view.scan(tree, {}, {});
            EXPECT_TRUE(cursor);
            while (cursor->valid()) {
                auto value = cursor->value();
                EXPECT_TRUE(value);
                entries.emplace_back(Bytes(cursor->key().begin(), cursor->key().end()),
                                     Bytes(value->begin(), value->end()));
                EXPECT_TRUE(cursor->next().is_ok());
            }
        }
    }
    return out;
}

// The hash recomputed from the published state equals the kernel's incremental one.
inline void expect_hash_recomputes(KernelHarness& h) {
    const store::Snapshot view = h.published();
    auto full = compute_state_hash(view);
    ASSERT_TRUE(full) << full.status().to_string();
    EXPECT_EQ(full->digest(), h.kernel->state_hash().digest());
}

// --- a random workload -----------------------------------------------------------------------

// Generates ops against the current state of `h` (its catalog and live rows), mostly ones that
// succeed, with some of every kind of refusal: unknown streams, wrong expected offsets,
// repeated idempotency ids, invalid effects, unique violations, catalog refusals.
class Workload {
public:
    explicit Workload(u64 seed) : prng_(seed) {}

    Op next(KernelHarness& h) {
        const Catalog& catalog = h.kernel->catalog();
        if (catalog.tenants().empty() || prng_.chance(1, 60)) {
            return create_tenant_op("tenant" + std::to_string(prng_.uniform(4)));
        }
        if (prng_.chance(1, 50)) return configure_op(1 + prng_.uniform(40));
        if (prng_.chance(1, 30)) return role_op(h);
        if (prng_.chance(1, 40)) return api_key_op(h);
        // Live tenants, and now and then a dropped one (whose ops are refused).
        std::vector<const TenantCatalog*> pool;
        const bool any = prng_.chance(1, 30);
        for (const auto& [unused, candidate] : catalog.tenants()) {
            if (any || !candidate.info().is_dropped()) pool.push_back(&candidate);
        }
        if (pool.empty()) return create_tenant_op("tenant" + std::to_string(prng_.uniform(4)));
        const TenantCatalog& tenant = *pool[prng_.uniform(pool.size())];
        const TenantId id = tenant.info().id;
        // Now and then a tenant is dropped (its name is then free for a new one).
        if (prng_.chance(1, 150)) return drop_tenant_op(id);
        if (prng_.chance(1, 20)) return grant_op(h, tenant);
        Op op = tenant_next(h, tenant, id);
        // Now and then on behalf of a role, whose grants apply decides on.
        const auto& roles = h.kernel->access().roles();
        if (!roles.empty() && prng_.chance(1, 6)) {
            auto role = roles.begin();
            std::advance(role, static_cast<long>(prng_.uniform(roles.size())));
            op.principal = role->first;
        }
        return op;
    }

private:
    Op tenant_next(KernelHarness& h, const TenantCatalog& tenant, TenantId id) {
        switch (prng_.uniform(10)) {
            case 0:
                return tenant_op(id, CreateStreamOp{.name = "s" + std::to_string(prng_.uniform(6)),
                                                    .data_class = DataClass::pii});
            case 1:
                if (prng_.chance(1, 3)) {
                    return tenant_op(id, DeleteStreamOp{.stream = pick_stream(tenant)});
                }
                [[fallthrough]];
            case 2:
            case 3:
                return tenant_op(id, append(tenant));
            case 4:
                if (prng_.coin()) {
                    return tenant_op(id, ReserveSequenceOp{.sequence = pick_sequence(tenant),
                                                           .count = 1 + prng_.uniform(20)});
                }
                [[fallthrough]];
            default:
                return tenant_op(id, transaction(h, tenant));
        }
    }

    // A role that exists (or now and then one that does not).
    PrincipalId pick_role(KernelHarness& h) {
        const auto& roles = h.kernel->access().roles();
        if (roles.empty() || prng_.chance(1, 10)) return PrincipalId(kFirstRolePrincipal + 900);
        auto it = roles.begin();
        std::advance(it, static_cast<long>(prng_.uniform(roles.size())));
        return it->first;
    }

    Op role_op(KernelHarness& h) {
        RoleOp op;
        switch (prng_.uniform(4)) {
            case 0:
            case 1:
                op.action = RoleAction::create;
                op.name = "r" + std::to_string(prng_.uniform(5));
                break;
            case 2:
                op.action = RoleAction::alter;
                op.roles = {pick_role(h)};
                break;
            default:
                op.action = RoleAction::drop;
                op.roles = {pick_role(h)};
                break;
        }
        if (op.action != RoleAction::drop) {
            if (prng_.coin()) op.attributes.login = prng_.coin();
            if (prng_.chance(1, 6)) op.attributes.superuser = prng_.coin();
            if (prng_.coin()) {
                op.attributes.verifier =
                    prng_.chance(1, 4) ? std::string()
                                       : "SCRAM-SHA-256$4096:" + std::to_string(prng_.next_u32());
            }
        }
        return Op{.tenant = TenantId(0), .principal = PrincipalId(1), .body = std::move(op)};
    }

    // Creates (ids from a small range, so some repeat) and revokes (some of unknown ids) API
    // keys of existing and missing roles and tenants.
    Op api_key_op(KernelHarness& h) {
        ApiKeyOp op{.key_id = 1 + prng_.uniform(12)};
        if (prng_.chance(1, 3)) {
            op.action = ApiKeyAction::revoke;
        } else {
            op.role = pick_role(h);
            op.tenant = TenantId(1 + prng_.uniform(4));
            op.read_only = prng_.coin();
            op.secret_hash[0] = static_cast<u8>(prng_.next_u32());
        }
        return Op{.tenant = TenantId(0), .principal = PrincipalId(1), .body = op};
    }

    Op grant_op(KernelHarness& h, const TenantCatalog& tenant) {
        GrantOp op{
            .revoke = prng_.chance(1, 3), .tenant = tenant.info().id, .roles = {pick_role(h)}};
        std::vector<TableId> tables;
        for (const auto& [table, versions] : tenant.table_versions()) {
            if (tenant.table(table) != nullptr) tables.push_back(table);
        }
        switch (tables.empty() ? 0 : prng_.uniform(3)) {
            case 0:
                op.target = GrantTarget::database;
                op.privileges = {Privilege::connect};
                break;
            case 1:
                op.target = GrantTarget::tables;
                op.tables = {tables[prng_.uniform(tables.size())]};
                break;
            default:
                op.target = GrantTarget::all_tables;
                break;
        }
        if (op.target != GrantTarget::database) {
            for (u64 i = 1 + prng_.uniform(2); i > 0; --i) {
                op.privileges.push_back(static_cast<Privilege>(2 + prng_.uniform(5)));
            }
        }
        return Op{.tenant = TenantId(0), .principal = PrincipalId(1), .body = std::move(op)};
    }

    StreamId pick_stream(const TenantCatalog& tenant) {
        return StreamId(prng_.uniform(tenant.next_stream_id().value() + 1));
    }
    SequenceId pick_sequence(const TenantCatalog& tenant) {
        if (tenant.sequence_versions().empty() || prng_.chance(1, 8)) return SequenceId(999);
        auto it = tenant.sequence_versions().begin();
        std::advance(it, static_cast<long>(prng_.uniform(tenant.sequence_versions().size())));
        return it->first;
    }
    IdempotencyId pick_idempotency() {
        if (prng_.chance(1, 2)) return IdempotencyId();
        // A small pool, so repeats (within and beyond the retention) happen.
        return idempotency_id(1 + prng_.uniform(12));
    }

    AppendBatchOp append(const TenantCatalog& tenant) {
        AppendBatchOp op{.stream = pick_stream(tenant), .idempotency = pick_idempotency()};
        if (prng_.chance(1, 3)) {
            const StreamInfo* stream = tenant.stream(op.stream);
            const u64 next = stream ? stream->next_offset.value() : 0;
            op.expected_offset = Offset(prng_.chance(4, 5) ? next : next + 1);
        }
        for (u64 i = prng_.uniform(4); i > 0; --i) op.events.push_back(random_bytes(prng_, 40));
        return op;
    }

    // A table: id bigint primary key, c2 text, c3 bigint (small values, so unique indexes on it
    // collide now and then).
    TableSchema new_table(u64 id) {
        TableSchema table = simple_table(id, "tab" + std::to_string(prng_.uniform(8)), 1);
        table.columns.push_back(column(3, "c3", SqlType::bigint));
        table.next_column_id = ColumnId(4);
        if (prng_.chance(1, 3)) {
            table.uniques.push_back({.name = "u" + std::to_string(id + 1),
                                     .columns = {ColumnId(3)},
                                     .index = IndexId(id + 1)});
        }
        return table;
    }

    Value value_for(const ColumnDef& column) {
        if (!column.not_null && prng_.chance(1, 5)) return Value::null();
        switch (column.type.type) {
            case SqlType::bigint:
                return Value::int64(static_cast<i64>(prng_.uniform(12)));
            case SqlType::text:
                return Value::text(
                    std::string(prng_.uniform(4), static_cast<char>('a' + prng_.uniform(3))));
            default:
                return random_fitting_value(prng_, column);
        }
    }
    std::vector<Value> row_for(const TableSchema& table, i64 key) {
        std::vector<Value> values;
        for (const ColumnDef& column : table.columns) {
            values.push_back(column.id == ColumnId(1) ? Value::int64(key) : value_for(column));
        }
        return values;
    }

    // Live primary keys of a table, from the writer's view.
    std::vector<i64> live_keys(KernelHarness& h, TenantId tenant, const TableSchema& table) {
        std::vector<i64> keys;
        auto view = h.store->working_view();
        auto cursor = reads::row_scan(view, tenant, table.id, {}, {}, store::kLatestPosition);
        if (!cursor) return keys;
        for (; cursor->valid(); (void)cursor->next()) {
            auto values = decode_row(table, cursor->row());
            if (values) keys.push_back((*values)[0].as_int());
        }
        return keys;
    }

    DdlChange ddl(const TenantCatalog& catalog, const TableSchema* table, u64& next_id) {
        const u64 id = next_id;
        switch (table == nullptr ? 0 : prng_.uniform(12)) {
            case 0:
            case 1: {
                TableSchema schema = new_table(id);
                next_id += schema.uniques.empty() ? 1u : 2u;
                return CreateTableChange{.schema = std::move(schema)};
            }
            case 2:
            case 3: {
                ++next_id;
                const ColumnDef& indexed = table->columns[prng_.uniform(table->columns.size())];
                return CreateIndexChange{
                    .schema = {.id = IndexId(id),
                               .table = table->id,
                               .name = "ix" + std::to_string(id),
                               .columns = {{.column = indexed.id, .descending = prng_.coin()}},
                               .unique = prng_.chance(1, 3)}};
            }
            case 4: {
                auto indexes = catalog.indexes_of(table->id);
                if (!indexes.empty()) {
                    return DropIndexChange{.index = indexes[prng_.uniform(indexes.size())]->id};
                }
                return TruncateTableChange{.table = table->id};
            }
            case 5:
                return DropTableChange{.table = table->id};
            case 6:
            case 7: {
                ColumnDef added = column(table->next_column_id.value(),
                                         "a" + std::to_string(table->next_column_id.value()),
                                         prng_.coin() ? SqlType::bigint : SqlType::boolean);
                return AddColumnChange{.table = table->id, .column = added};
            }
            case 8: {
                const ColumnDef& victim = table->columns[prng_.uniform(table->columns.size())];
                return DropColumnChange{.table = table->id, .column = victim.id};
            }
            case 9:
                ++next_id;
                return CreateSequenceChange{.schema = {.id = SequenceId(id),
                                                       .name = "seq" + std::to_string(id),
                                                       .max_value = 30,
                                                       .cycle = prng_.coin()}};
            default:
                return TruncateTableChange{.table = table->id};
        }
    }

    TransactionOp transaction(KernelHarness& h, const TenantCatalog& tenant) {
        TransactionOp op;
        op.idempotency = pick_idempotency();
        std::vector<const TableSchema*> tables;
        for (const auto& [id, versions] : tenant.table_versions()) {
            if (const TableSchema* table = tenant.table(id)) tables.push_back(table);
        }
        auto pick_table = [&]() -> const TableSchema* {
            return tables.empty() ? nullptr : tables[prng_.uniform(tables.size())];
        };
        // DDL, worked through a copy of the catalog so the effects fit the schema after it.
        TenantCatalog after = tenant;
        const Position at = h.kernel->applied().next();
        u64 next_id = tenant.next_object_id().value();
        std::set<TableId> truncated;
        if (tables.empty() || prng_.chance(1, 4)) {
            for (u64 i = 1 + prng_.uniform(2); i > 0; --i) {
                DdlChange change = ddl(after, pick_table(), next_id);
                if (auto* t = std::get_if<TruncateTableChange>(&change)) truncated.insert(t->table);
                op.ddl.push_back(std::move(change));
            }
            // Work out the catalog after it (a refused change makes the whole op a refusal).
            for (const DdlChange& change : op.ddl) apply_shadow(after, change, at);
        }
        std::vector<const TableSchema*> live;
        for (const auto& [id, versions] : after.table_versions()) {
            if (const TableSchema* table = after.table(id, at)) live.push_back(table);
        }
        if (live.empty()) return op;
        const TableSchema& table = *live[prng_.uniform(live.size())];
        const bool fresh = tenant.table(table.id) == nullptr || truncated.contains(table.id);
        std::vector<i64> keys = fresh ? std::vector<i64>{} : live_keys(h, tenant.info().id, table);
        std::set<i64> used;
        for (u64 i = prng_.uniform(6); i > 0; --i) {
            const bool mistake = prng_.chance(1, 40);
            if (!keys.empty() && prng_.coin()) {
                const i64 key = keys[prng_.uniform(keys.size())];
                if (!used.insert(key).second && !mistake) continue;
                std::vector<Value> values = row_for(table, key);
                op.effects.push_back(prng_.chance(2, 3) ? update_effect(table, values)
                                                        : remove_effect(table, values));
                if (mistake) op.effects.back().kind = RowEffectKind::insert;
            } else {
                i64 key = 100 + static_cast<i64>(prng_.uniform(1000));
                if (!used.insert(key).second && !mistake) continue;
                op.effects.push_back(insert_effect(table, row_for(table, key)));
                if (mistake) op.effects.back().kind = RowEffectKind::update;
            }
        }
        return op;
    }

    static void apply_shadow(TenantCatalog& catalog, const DdlChange& change, Position at) {
        std::visit(
            [&](const auto& c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, CreateTableChange>) {
                    (void)catalog.create_table(c.schema, c.sequences, at);
                } else if constexpr (std::is_same_v<T, DropTableChange>) {
                    (void)catalog.drop_table(c.table, at);
                } else if constexpr (std::is_same_v<T, CreateIndexChange>) {
                    (void)catalog.create_index(c.schema, at);
                } else if constexpr (std::is_same_v<T, DropIndexChange>) {
                    (void)catalog.drop_index(c.index, at);
                } else if constexpr (std::is_same_v<T, AddColumnChange>) {
                    (void)catalog.add_column(c.table, c.column, c.sequence, at);
                } else if constexpr (std::is_same_v<T, DropColumnChange>) {
                    (void)catalog.drop_column(c.table, c.column, at);
                } else if constexpr (std::is_same_v<T, CreateSequenceChange>) {
                    (void)catalog.create_sequence(c.schema, at);
                }
            },
            change);
    }

    Prng prng_;
};

}  // namespace kb::kernel::testing
