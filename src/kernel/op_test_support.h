// Test helpers: random ops of every kind (deterministic for a Prng seed), for the op codec's
// property tests and for generating the op_fuzz corpus.
#pragma once

#include <string>

#include "base/prng.h"
#include "kernel/catalog_test_support.h"
#include "kernel/op.h"

namespace kb::kernel::testing {

inline Bytes random_bytes(Prng& prng, usize size_max) {
    Bytes bytes(prng.uniform(size_max + 1));
    prng.fill(bytes);
    return bytes;
}

inline std::string random_name(Prng& prng) {
    std::string name = "n";
    for (u64 i = prng.uniform(12); i > 0; --i)
        name.push_back(static_cast<char>('a' + prng.uniform(26)));
    return name;
}

inline IdempotencyId random_idempotency(Prng& prng) {
    if (prng.coin()) return IdempotencyId();
    u8 raw[IdempotencyId::kSize];
    prng.fill(raw);
    return IdempotencyId::from_bytes(raw);
}

inline KeyRef random_key_ref(Prng& prng) {
    return {.object = ObjectId(prng.uniform(5)), .key = random_bytes(prng, 12)};
}

inline std::vector<KeyRef> random_key_refs(Prng& prng) {
    std::vector<KeyRef> refs(prng.uniform(4));
    for (KeyRef& ref : refs) ref = random_key_ref(prng);
    return refs;
}

inline SequenceSchema random_sequence(Prng& prng) {
    return {.id = SequenceId(prng.next_u64()),
            .name = random_name(prng),
            .start = static_cast<i64>(prng.next_u64()),
            .increment = static_cast<i64>(prng.next_u64()),
            .min_value = static_cast<i64>(prng.next_u64()),
            .max_value = static_cast<i64>(prng.next_u64()),
            .cycle = prng.coin(),
            .owner_table = TableId(prng.uniform(3)),
            .owner_column = ColumnId(static_cast<u32>(prng.uniform(3)))};
}

inline ColumnDef random_column(Prng& prng) {
    // One draw per statement: the order of function arguments is unspecified, and the draws
    // must come out the same under every compiler (the op_fuzz corpus is generated from them).
    const u32 id = static_cast<u32>(prng.uniform(50));
    std::string name = random_name(prng);
    const auto type = static_cast<SqlType>(1 + prng.uniform(static_cast<u64>(kSqlTypeMax)));
    const bool not_null = prng.coin();
    ColumnDef def = column(id, std::move(name), type, not_null);
    def.default_value.kind = static_cast<DefaultKind>(prng.uniform(6));
    def.default_value.expression = random_name(prng);
    def.default_value.constant_is_null = prng.coin();
    def.default_value.constant_text = random_name(prng);
    def.default_value.sequence = SequenceId(prng.uniform(9));
    def.identity = static_cast<Identity>(prng.uniform(3));
    def.identity_sequence = SequenceId(prng.uniform(9));
    def.data_class = static_cast<DataClass>(prng.uniform(6));
    return def;
}

inline TableSchema random_table_schema(Prng& prng) {
    const u64 id = prng.next_u64();
    TableSchema schema = simple_table(id, random_name(prng), 0);
    for (u64 i = prng.uniform(4); i > 0; --i) schema.columns.push_back(random_column(prng));
    schema.next_column_id = ColumnId(prng.next_u32());
    schema.uniques.resize(prng.uniform(3));
    for (UniqueConstraint& unique : schema.uniques) {
        unique = {.name = random_name(prng),
                  .columns = {ColumnId(prng.next_u32())},
                  .index = IndexId(prng.uniform(100))};
    }
    schema.checks.resize(prng.uniform(3));
    for (CheckConstraint& check : schema.checks) {
        check = {.name = random_name(prng),
                 .expression = "x > " + std::to_string(prng.uniform(100)),
                 .columns = {ColumnId(2), ColumnId(3)}};
    }
    schema.foreign_keys.resize(prng.uniform(3));
    for (ForeignKey& key : schema.foreign_keys) {
        key = {.name = random_name(prng),
               .columns = {ColumnId(2)},
               .parent = TableId(prng.uniform(10)),
               .parent_columns = {ColumnId(1)},
               .on_delete = static_cast<ReferentialAction>(prng.uniform(3))};
    }
    return schema;
}

inline DdlChange random_ddl(Prng& prng) {
    switch (prng.uniform(9)) {
        case 0: {
            CreateTableChange change{.schema = random_table_schema(prng)};
            for (u64 i = prng.uniform(3); i > 0; --i)
                change.sequences.push_back(random_sequence(prng));
            return change;
        }
        case 1:
            return DropTableChange{.table = TableId(prng.next_u64())};
        case 2: {
            IndexSchema index{.id = IndexId(prng.next_u64()),
                              .table = TableId(prng.uniform(10)),
                              .name = random_name(prng),
                              .unique = prng.coin()};
            for (u64 i = 1 + prng.uniform(3); i > 0; --i) {
                index.columns.push_back({.column = ColumnId(prng.next_u32()),
                                         .descending = prng.coin(),
                                         .nulls = static_cast<NullsOrder>(prng.uniform(3))});
            }
            return CreateIndexChange{.schema = index};
        }
        case 3:
            return DropIndexChange{.index = IndexId(prng.next_u64())};
        case 4: {
            AddColumnChange change{.table = TableId(prng.uniform(10)),
                                   .column = random_column(prng)};
            if (prng.coin()) change.sequence = random_sequence(prng);
            return change;
        }
        case 5:
            return DropColumnChange{.table = TableId(prng.uniform(10)),
                                    .column = ColumnId(prng.next_u32())};
        case 6:
            return CreateSequenceChange{.schema = random_sequence(prng)};
        case 7:
            return AdvanceSequenceChange{.sequence = SequenceId(prng.uniform(10)),
                                         .count = prng.next_u64()};
        default:
            return TruncateTableChange{.table = TableId(prng.uniform(10))};
    }
}

inline TransactionOp random_transaction(Prng& prng) {
    TransactionOp txn;
    txn.snapshot = Position(prng.next_u64());
    txn.idempotency = random_idempotency(prng);
    if (prng.coin()) txn.reads.catalog_version = prng.next_u64();
    txn.reads.keys = random_key_refs(prng);
    txn.reads.ranges.resize(prng.uniform(3));
    for (KeyRange& range : txn.reads.ranges) {
        range = {.object = ObjectId(prng.uniform(5)),
                 .start = random_bytes(prng, 6),
                 .end = random_bytes(prng, 6)};
    }
    txn.reads.absent_keys = random_key_refs(prng);
    txn.reads.parent_keys = random_key_refs(prng);
    for (u64 i = prng.uniform(4); i > 0; --i) txn.ddl.push_back(random_ddl(prng));
    txn.effects.resize(prng.uniform(5));
    for (RowEffect& effect : txn.effects) {
        effect.kind = static_cast<RowEffectKind>(1 + prng.uniform(3));
        effect.table = TableId(prng.uniform(10));
        effect.key = random_bytes(prng, 10);
        if (effect.kind != RowEffectKind::remove) effect.row = random_bytes(prng, 40);
    }
    if (prng.coin()) txn.fixed.transaction_timestamp_us = static_cast<i64>(prng.next_u64());
    txn.fixed.random_uuids.resize(prng.uniform(3));
    for (auto& uuid : txn.fixed.random_uuids) prng.fill(uuid);
    return txn;
}

inline RoleOp random_role_op(Prng& prng) {
    RoleOp role{.action = static_cast<RoleAction>(1 + prng.uniform(3))};
    if (role.action == RoleAction::create) {
        role.name = random_name(prng);
    } else {
        for (u64 i = 1 + prng.uniform(3); i > 0; --i)
            role.roles.push_back(PrincipalId(prng.uniform(40)));
    }
    auto maybe_bool = [&]() -> std::optional<bool> {
        if (prng.coin()) return std::nullopt;
        return prng.coin();
    };
    role.attributes.login = maybe_bool();
    role.attributes.superuser = maybe_bool();
    if (prng.coin()) {
        role.attributes.verifier =
            prng.coin() ? std::string() : "SCRAM-SHA-256$4096:" + random_name(prng);
    }
    return role;
}

inline GrantOp random_grant_op(Prng& prng) {
    GrantOp grant{.revoke = prng.coin(),
                  .target = static_cast<GrantTarget>(1 + prng.uniform(3)),
                  .tenant = TenantId(prng.uniform(5))};
    for (u64 i = prng.uniform(3); i > 0; --i) grant.tables.push_back(TableId(prng.uniform(20)));
    for (u64 i = 1 + prng.uniform(3); i > 0; --i) {
        grant.privileges.push_back(static_cast<Privilege>(1 + prng.uniform(6)));
    }
    for (u64 i = 1 + prng.uniform(3); i > 0; --i)
        grant.roles.push_back(PrincipalId(prng.uniform(40)));
    return grant;
}

inline ApiKeyOp random_api_key_op(Prng& prng) {
    ApiKeyOp key{.action = prng.coin() ? ApiKeyAction::create : ApiKeyAction::revoke,
                 .key_id = 1 + prng.uniform(1000)};
    if (key.action == ApiKeyAction::create) {
        key.role = PrincipalId(prng.uniform(40));
        key.tenant = TenantId(prng.uniform(9));
        key.read_only = prng.coin();
        for (u8& byte : key.secret_hash) byte = static_cast<u8>(prng.uniform(256));
    }
    return key;
}

inline Op random_op(Prng& prng) {
    Op op{.tenant = TenantId(prng.uniform(4)), .principal = PrincipalId(prng.uniform(4))};
    switch (prng.uniform(11)) {
        case 0:
            op.body = CreateTenantOp{.name = random_name(prng),
                                     .kek = test_wrapped_key(1 + prng.uniform(9), 0x33),
                                     .root_key = test_wrapped_key(1 + prng.uniform(9), 0x44)};
            break;
        case 1:
            op.body = CreateStreamOp{.name = random_name(prng),
                                     .data_class = static_cast<DataClass>(prng.uniform(6))};
            break;
        case 2:
            op.body = DeleteStreamOp{.stream = StreamId(prng.next_u64())};
            break;
        case 3: {
            AppendBatchOp append{.stream = StreamId(prng.uniform(9)),
                                 .idempotency = random_idempotency(prng)};
            if (prng.coin()) append.expected_offset = Offset(prng.next_u64());
            for (u64 i = prng.uniform(5); i > 0; --i)
                append.events.push_back(random_bytes(prng, 30));
            op.body = std::move(append);
            break;
        }
        case 4:
            op.body = ReserveSequenceOp{.sequence = SequenceId(prng.uniform(9)),
                                        .count = 1 + prng.uniform(1000)};
            break;
        case 5:
            op.body = ConfigureOp{.setting = Setting::idempotency_retention_positions,
                                  .value = prng.next_u64()};
            break;
        case 6:
            op.body = DropTenantOp{.tenant = TenantId(prng.uniform(9))};
            break;
        case 7:
            op.body = random_role_op(prng);
            break;
        case 8:
            op.body = random_grant_op(prng);
            break;
        case 9:
            op.body = random_api_key_op(prng);
            break;
        default:
            op.body = random_transaction(prng);
            break;
    }
    return op;
}

}  // namespace kb::kernel::testing
