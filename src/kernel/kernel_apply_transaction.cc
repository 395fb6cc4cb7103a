// Apply of a transaction op: its DDL through the tenant's catalog, then its row effects, with
// every check done before anything is written (kernel_transaction_plan.h has the plan and the
// order of the writes).
//
// What refuses, changing nothing (the outcome and a detail naming the change or effect):
//   - a DDL change the catalog refuses (its outcome), or a truncate of a table not live then
//     (no_such_table);
//   - invalid_effect: an effect on a table not live after the DDL, two effects on one key, a
//     key over the size limit, an insert of a key that is live, an update or remove of a key
//     that is not, an image whose primary key is not the effect's key;
//   - check_row's outcome for an image that does not fit its table (invalid_effect, or
//     not_null_violation);
//   - unique_violation: a unique index key that two rows would hold after the op;
//   - invalid_definition: an index key over the size limit in an index the op builds.
// The edge rules all of these out before logging; apply checks them so that a bug upstream
// costs one refused op, identically on every replica, rather than a diverged or stopped one.
#include "base/bytes.h"
#include "kernel/catalog_entries.h"
#include "kernel/ddl.h"
#include "kernel/kernel_state.h"
#include "kernel/kernel_transaction_plan.h"
#include "kernel/kernel_trees.h"
#include "types/limits.h"

namespace kb::kernel {
namespace {

std::string table_name(TableId table) { return "table " + std::to_string(table.value()); }

std::string effect_name(usize index, const RowEffect& effect) {
    static constexpr std::string_view kKinds[] = {"?", "insert", "update", "remove"};
    const auto kind = static_cast<usize>(effect.kind);
    return "effect " + std::to_string(index + 1) + " (" +
           std::string(kind < std::size(kKinds) ? kKinds[kind] : "?") + " into " +
           table_name(effect.table) + ", key " + to_hex(effect.key) + ")";
}

// Applies one DDL change to `catalog` (the op's working copy) through apply_ddl (ddl.h: the
// same call the session and admission make), noting in `plan` what the store must do for it.
Outcome apply_change(TenantCatalog& catalog, const DdlChange& change, Position at,
                     TransactionPlan& plan) {
    const Outcome outcome = apply_ddl(catalog, change, at);
    if (outcome != Outcome::ok) return outcome;
    if (const auto* create = std::get_if<CreateTableChange>(&change)) {
        plan.created_objects.insert(create->schema.id.value());
        for (const UniqueConstraint& unique : create->schema.uniques) {
            plan.created_objects.insert(unique.index.value());
        }
    } else if (const auto* index = std::get_if<CreateIndexChange>(&change)) {
        plan.created_objects.insert(index->schema.id.value());
    } else if (const auto* added = std::get_if<AddColumnChange>(&change)) {
        for (const UniqueConstraint& unique : added->constraints.uniques) {
            plan.created_objects.insert(unique.index.value());
        }
    } else if (const auto* truncate = std::get_if<TruncateTableChange>(&change)) {
        plan.truncated.insert(truncate->table);
    }
    return outcome;
}

// The plan of table `id` (made on first use), or nullptr if it is not live after the DDL.
TablePlan* table_plan(TransactionPlan& plan, TableId id) {
    if (auto found = plan.tables.find(id); found != plan.tables.end()) return &found->second;
    const TableSchema* schema = plan.after->table(id, plan.at);
    if (schema == nullptr) return nullptr;
    TablePlan& table = plan.tables[id];
    table.id = id;
    table.schema = schema;
    table.fresh = plan.created_objects.contains(id.value()) || plan.truncated.contains(id);
    for (const IndexSchema* index : plan.after->indexes_of(id, plan.at)) {
        (plan.created_objects.contains(index->id.value()) ? table.built : table.maintained)
            .push_back(index);
    }
    table.keys = std::make_unique<TableKeys>(*schema, table.maintained);
    return &table;
}

bool key_less(ByteSpan a, ByteSpan b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// Whether an earlier effect of the op wrote `key` of `table`. Effects usually come in key
// order (a transaction's overlay is sorted), and then comparing with the previous key is
// enough; the set of keys is filled once they do not, or when an index build will need it.
bool repeated_key(const TransactionPlan& plan, TablePlan& table, const Bytes& key) {
    if (!table.keys_in_set) {
        if (table.built.empty() &&
            (table.effects.empty() ||
             key_less(plan.effects[table.effects.back()].effect->key, key))) {
            return false;
        }
        for (usize e : table.effects) table.effect_keys.insert(plan.effects[e].effect->key);
        table.keys_in_set = true;
    }
    return !table.effect_keys.insert(key).second;
}

// Checks one effect and works out its versions and maintained index keys; an outcome other
// than ok refuses the op.
Result<ApplyResult> plan_effect(KernelState& state, TransactionPlan& plan, usize index) {
    const RowEffect& effect = *plan.effects[index].effect;
    auto invalid = [&](std::string why) {
        return refusal(Outcome::invalid_effect, effect_name(index, effect) + ": " + why);
    };
    TablePlan* table = table_plan(plan, effect.table);
    if (table == nullptr) {
        return invalid("the table does not exist at position " + to_string(plan.at));
    }
    EffectPlan& effect_plan = plan.effects[index];
    effect_plan.table = table;
    if (effect.key.size() > limits::kKeySizeBytesMax) return invalid("the key is too long");
    if (repeated_key(plan, *table, effect.key)) {
        return invalid("a second effect on the key in one op");
    }
    table->effects.push_back(index);

    const bool writes_image = effect.kind != RowEffectKind::remove;
    if (writes_image) {
        RowCheck check = check_row(*table->schema, effect.row);
        if (check.outcome != Outcome::ok) {
            return refusal(check.outcome, effect_name(index, effect) + ": " + check.reason);
        }
        auto key = table->keys->primary_key(check.values);
        if (!key) return invalid(key.error().message());
        if (*key != effect.key) {
            return invalid("the image's primary key is " + to_hex(*key));
        }
        effect_plan.values = std::move(check.values);
    }

    if (!table->fresh) {
        if (!table->rows) {
            table->rows =
                KB_TRY(state.store.working_view().tree(trees::table(plan.tenant, table->id)));
        }
        effect_plan.old = KB_TRY(store::mvcc_current(*table->rows, effect.key));
    }
    if (effect.kind == RowEffectKind::insert && effect_plan.old) {
        return invalid("the key is live (created at position " +
                       to_string(effect_plan.old->created) + ")");
    }
    if (effect.kind != RowEffectKind::insert && !effect_plan.old) {
        return invalid("no live row has the key");
    }

    if (table->maintained.empty()) return ApplyResult{};
    const usize count = table->maintained.size();
    if (effect_plan.old) {
        auto old_values = decode_row(*table->schema, effect_plan.old->row);
        if (!old_values) {
            return old_values.error().with_context(effect_name(index, effect) + ": its live row");
        }
        effect_plan.old_index_keys.resize(count);
        for (usize i = 0; i < count; ++i) {
            auto key = table->keys->index_key(i, *old_values, effect.key);
            // The old key was written once, so it fits; failing now means a damaged store.
            if (!key) return key.error().with_context(effect_name(index, effect));
            effect_plan.old_index_keys[i] = std::move(*key);
        }
    }
    if (writes_image) {
        effect_plan.new_index_keys.resize(count);
        for (usize i = 0; i < count; ++i) {
            auto key = table->keys->index_key(i, effect_plan.values, effect.key);
            if (!key) {
                return invalid("index " + std::to_string(table->maintained[i]->id.value()) + ": " +
                               key.error().message());
            }
            effect_plan.new_index_keys[i] = std::move(*key);
        }
    }
    return ApplyResult{};
}

// No unique key of a maintained index is held by two rows after the op: each key an effect
// adds is neither added twice nor live before the op unless an effect of the op ends it.
Result<ApplyResult> check_unique_keys(KernelState& state, TransactionPlan& plan) {
    std::set<std::pair<IndexId, Bytes>> ended;
    for (const EffectPlan& effect : plan.effects) {
        for (usize i = 0; i < effect.old_index_keys.size(); ++i) {
            if (effect.ends_index_entry(i)) {
                ended.emplace(effect.table->maintained[i]->id, effect.old_index_keys[i]);
            }
        }
    }
    std::set<std::pair<IndexId, Bytes>> added;
    std::map<IndexId, store::TreeView> views;  // each index's tree, found once
    for (usize e = 0; e < plan.effects.size(); ++e) {
        const EffectPlan& effect = plan.effects[e];
        for (usize i = 0; i < effect.new_index_keys.size(); ++i) {
            const IndexSchema& index = *effect.table->maintained[i];
            if (!index.unique || !effect.adds_index_entry(i)) continue;
            auto entry = std::make_pair(index.id, effect.new_index_keys[i]);
            bool taken = !added.insert(entry).second;
            if (!taken && !effect.table->fresh && !ended.contains(entry)) {
                auto view = views.find(index.id);
                if (view == views.end()) {
                    view = views
                               .emplace(index.id, KB_TRY(state.store.working_view().tree(
                                                      trees::index(plan.tenant, index.id))))
                               .first;
                }
                taken = KB_TRY(store::mvcc_current(view->second, entry.second)).has_value();
            }
            if (taken) {
                return refusal(Outcome::unique_violation,
                               effect_name(e, *effect.effect) + ": unique index \"" + index.name +
                                   "\" already has key " + to_hex(entry.second));
            }
        }
    }
    return ApplyResult{};
}

}  // namespace

bool EffectPlan::ends_index_entry(usize i) const {
    if (old_index_keys.empty()) return false;
    return effect->kind == RowEffectKind::remove || old_index_keys[i] != new_index_keys[i];
}

bool EffectPlan::adds_index_entry(usize i) const {
    if (new_index_keys.empty()) return false;
    return effect->kind == RowEffectKind::insert || old_index_keys[i] != new_index_keys[i];
}

Result<ApplyResult> apply_transaction(KernelState& state, TenantCatalog& tenant,
                                      const TransactionOp& op, Position at) {
    TransactionPlan plan;
    plan.tenant = tenant.info().id;
    plan.at = at;
    plan.before = &tenant;

    // DDL, in order, on a copy of the catalog: the op's catalog changes only if all of it holds.
    std::optional<TenantCatalog> changed;
    if (!op.ddl.empty()) {
        changed = tenant;
        for (usize i = 0; i < op.ddl.size(); ++i) {
            const Outcome outcome = apply_change(*changed, op.ddl[i], at, plan);
            if (outcome != Outcome::ok) {
                return refusal(outcome, "DDL change " + std::to_string(i + 1) + " (" +
                                            describe_ddl(op.ddl[i]) + ")");
            }
        }
    }
    plan.after = changed ? &*changed : &tenant;

    plan.effects.resize(op.effects.size());
    for (usize i = 0; i < op.effects.size(); ++i) {
        plan.effects[i].effect = &op.effects[i];
        ApplyResult checked = KB_TRY(plan_effect(state, plan, i));
        if (checked.outcome != Outcome::ok) return checked;
    }
    if (ApplyResult unique = KB_TRY(check_unique_keys(state, plan));
        unique.outcome != Outcome::ok) {
        return unique;
    }
    // Tables with indexes to build need a plan even when no effect writes them.
    for (u64 id : plan.created_objects) {
        const IndexSchema* index = plan.after->index(IndexId(id), at);
        if (index != nullptr) KB_ASSERT(table_plan(plan, index->table) != nullptr);
    }
    if (ApplyResult built = KB_TRY(build_indexes(state, plan)); built.outcome != Outcome::ok) {
        return built;
    }

    // Nothing refuses from here on.
    ApplyResult result;
    result.row_versions = KB_TRY(write_transaction(state, plan));
    if (changed) {
        std::vector<Bytes> before = tenant_schema_entries(tenant);
        tenant = std::move(*changed);
        note_schema_change(state, std::move(before), tenant);
    }
    return result;
}

}  // namespace kb::kernel
