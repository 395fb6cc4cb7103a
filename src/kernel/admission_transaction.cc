// Admission of a transaction: the conflict check, its DDL on the pending catalog, and the row
// effects checked against their tables (see admission.h).
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <utility>

#include "kernel/admission.h"
#include "kernel/ddl.h"
#include "kernel/row_codec.h"

namespace kb::kernel {

namespace {

AdmitResult refused(Outcome outcome, std::string detail) {
    return AdmitResult{.outcome = outcome, .detail = std::move(detail), .repeat = std::nullopt};
}

std::string table_detail(Outcome outcome, TableId table, std::string_view why) {
    std::string detail =
        std::string(outcome_name(outcome)) + ": table " + std::to_string(table.value());
    if (!why.empty()) detail += ": " + std::string(why);
    return detail;
}

// The index keys of a row image (its values in table column order).
Result<std::vector<KeyRef>> index_keys(const TableKeys& keys, std::span<const Value> values,
                                       ByteSpan primary_key) {
    std::vector<KeyRef> out;
    out.reserve(keys.index_count());
    for (usize i = 0; i < keys.index_count(); ++i) {
        out.push_back(KeyRef{.object = object_of(keys.index(i).id),
                             .key = KB_TRY(keys.index_key(i, values, primary_key))});
    }
    return out;
}

// Whether an effect names the (table, key) of an earlier one. Effects usually come in
// (table, key) order (a transaction's overlay is sorted): then each only needs comparing with
// the one before it. The first effect out of order switches to a set of every key seen.
class RepeatedKeys {
public:
    bool repeated(std::span<const RowEffect> effects, usize index) {
        const RowEffect& effect = effects[index];
        if (!in_set_) {
            if (index == 0 || in_order(effects[index - 1], effect)) return false;
            for (usize i = 0; i < index; ++i) {
                seen_.emplace(effects[i].table.value(), effects[i].key);
            }
            in_set_ = true;
        }
        return !seen_.emplace(effect.table.value(), effect.key).second;
    }

private:
    static bool in_order(const RowEffect& before, const RowEffect& after) {
        if (before.table != after.table) return before.table < after.table;
        return bytes_less(before.key, after.key);
    }
    struct Less {
        bool operator()(const std::pair<u64, ByteSpan>& a,
                        const std::pair<u64, ByteSpan>& b) const {
            if (a.first != b.first) return a.first < b.first;
            return bytes_less(a.second, b.second);
        }
    };
    bool in_set_ = false;
    std::set<std::pair<u64, ByteSpan>, Less> seen_;
};

// What check_transaction needs of each table its effects write, made on first use.
struct EffectTable {
    std::unique_ptr<TableKeys> keys;
    std::optional<store::TreeView> applied;  // its tree in the store (not read when cleared)
};

}  // namespace

Result<AdmitResult> Admission::check_transaction(const Op& op, const TransactionOp& transaction,
                                                 Position position, TenantCatalog& tenant,
                                                 PendingRows& rows, WriteSet& writes) {
    if (transaction.snapshot >= position) {
        return refused(Outcome::invalid_definition,
                       "snapshot " + std::to_string(transaction.snapshot.value()) +
                           " is not before the transaction's position");
    }
    const ConflictCheck conflict =
        window_.check(op.tenant, transaction.reads, transaction.snapshot);
    if (conflict.verdict == ConflictVerdict::too_old) {
        return refused(Outcome::snapshot_too_old, conflict.describe());
    }
    if (conflict.verdict == ConflictVerdict::conflict) {
        return refused(Outcome::serialization_conflict, conflict.describe());
    }

    // DDL on a copy, so a refusal half-way changes nothing.
    std::optional<TenantCatalog> changed;
    if (!transaction.ddl.empty()) changed.emplace(tenant);
    const TenantCatalog& schema = changed ? *changed : tenant;
    std::vector<TableId> cleared;
    for (const DdlChange& change : transaction.ddl) {
        const Outcome outcome = apply_ddl(*changed, change, position);
        if (outcome != Outcome::ok) {
            return refused(outcome,
                           std::string(outcome_name(outcome)) + ": " + describe_ddl(change));
        }
        if (const auto* truncate = std::get_if<TruncateTableChange>(&change)) {
            cleared.push_back(truncate->table);
        }
    }

    writes = transaction_write_set(transaction);
    // Truncating or dropping a table writes its indexes as whole key spaces too.
    for (const DdlChange& change : transaction.ddl) {
        TableId table{};
        if (const auto* truncate = std::get_if<TruncateTableChange>(&change))
            table = truncate->table;
        if (const auto* drop = std::get_if<DropTableChange>(&change)) table = drop->table;
        if (table == TableId{}) continue;
        for (const IndexSchema* index : tenant.indexes_of(table)) {
            writes.whole_objects.push_back(object_of(index->id));
        }
    }

    RepeatedKeys repeats;
    std::map<TableId, EffectTable> tables;
    const std::span<const RowEffect> effects(transaction.effects);
    for (usize e = 0; e < effects.size(); ++e) {
        const RowEffect& effect = effects[e];
        const TableSchema* table = schema.table(effect.table, position);
        if (table == nullptr) {
            return refused(Outcome::no_such_table,
                           table_detail(Outcome::no_such_table, effect.table, ""));
        }
        // The row before this op: cleared tables start empty.
        const bool table_cleared =
            std::find(cleared.begin(), cleared.end(), effect.table) != cleared.end();
        EffectTable& of_table = tables[effect.table];
        if (!of_table.keys) {
            of_table.keys =
                std::make_unique<TableKeys>(*table, schema.indexes_of(effect.table, position));
            if (!table_cleared) {
                of_table.applied =
                    KB_TRY(PendingRows::applied_table(store_, op.tenant, effect.table));
            }
        }
        const TableKeys* keys = of_table.keys.get();
        if (repeats.repeated(effects, e)) {
            return refused(
                Outcome::invalid_effect,
                table_detail(Outcome::invalid_effect, effect.table, "two effects on one key"));
        }

        std::optional<Bytes> before;
        if (!table_cleared) {
            before = KB_TRY(rows.current(of_table.applied, op.tenant, effect.table, effect.key));
        }
        if (effect.kind == RowEffectKind::insert && before) {
            return refused(
                Outcome::unique_violation,
                table_detail(Outcome::unique_violation, effect.table, "the primary key exists"));
        }
        if (effect.kind != RowEffectKind::insert && !before) {
            return refused(
                Outcome::invalid_effect,
                table_detail(Outcome::invalid_effect, effect.table, "no live row with the key"));
        }
        if (before) {
            auto values = decode_row(*table, *before);
            // A row the table cannot read was written under a schema this op's DDL replaced
            // incompatibly; apply would refuse it the same way.
            if (!values) {
                return refused(
                    Outcome::invalid_effect,
                    table_detail(Outcome::invalid_effect, effect.table, values.status().message()));
            }
            for (KeyRef& key : KB_TRY(index_keys(*keys, *values, effect.key))) {
                writes.keys.push_back(std::move(key));
            }
        }
        if (effect.kind == RowEffectKind::remove) continue;
        RowCheck row = check_row(*table, effect.row);
        if (row.outcome != Outcome::ok) {
            return refused(row.outcome, table_detail(row.outcome, effect.table, row.reason));
        }
        auto primary_key = keys->primary_key(row.values);
        if (!primary_key || *primary_key != effect.key) {
            return refused(Outcome::invalid_effect,
                           table_detail(Outcome::invalid_effect, effect.table,
                                        primary_key ? "the key is not the row's primary key"
                                                    : primary_key.status().message()));
        }
        auto new_keys = index_keys(*keys, row.values, effect.key);
        if (!new_keys) {
            return refused(
                Outcome::invalid_effect,
                table_detail(Outcome::invalid_effect, effect.table, new_keys.status().message()));
        }
        for (KeyRef& key : *new_keys) writes.keys.push_back(std::move(key));
    }

    // Every check passed: this is what the op will do.
    if (changed) tenant = std::move(*changed);
    for (TableId table : cleared) rows.clear_table(op.tenant, table, position);
    for (const RowEffect& effect : effects) {
        std::optional<ByteSpan> image;
        if (effect.kind != RowEffectKind::remove) image = ByteSpan(effect.row);
        rows.write(op.tenant, effect.table, effect.key, position, image);
    }
    rows.done(position);
    return AdmitResult{};
}

}  // namespace kb::kernel
