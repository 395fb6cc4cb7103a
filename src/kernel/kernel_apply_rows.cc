// The store side of a transaction op: index builds, truncations, row versions and index
// maintenance, each keeping the state hash current (kernel_transaction_plan.h has the order).
//
// Hash entries: a row version adds row_version_entry(tenant, table, key, image, created) when
// it is written and row_end_entry(..., created, ended) when a later op ends it (state_hash.h).
// Index entries are hashed the same way with the index's object id as the "table" and the
// primary key as the "image": an index that diverged (built or maintained differently on
// one replica) shows in the hash, not only a row that did.
//
// Walking a tree while changing the store: a cursor over the writer's view is valid only until
// the next change, so truncations and builds read a chunk of live versions, change the store,
// and read the next chunk from just after the last key (kChunkRows at a time).
#include <span>

#include "kernel/kernel_state.h"
#include "kernel/kernel_transaction_plan.h"
#include "kernel/kernel_trees.h"

namespace kb::kernel {
namespace {

constexpr usize kChunkRows = 512;

struct LiveVersion {
    Bytes key;
    Position created;
    Bytes row;
};

// Up to kChunkRows live versions of `tree` with keys >= lower, in key order.
Result<std::vector<LiveVersion>> live_chunk(const store::Store& store, store::TreeId tree,
                                            ByteSpan lower, bool with_rows) {
    const store::Snapshot view = store.working_view();
    auto cursor = KB_TRY(store::MvccCursor::open(view, tree, lower, {}, store::kLatestPosition,
                                                 store::Direction::forward));
    std::vector<LiveVersion> chunk;
    for (; cursor.valid() && chunk.size() < kChunkRows; KB_TRY(cursor.next())) {
        LiveVersion& live = chunk.emplace_back();
        live.key.assign(cursor.key().begin(), cursor.key().end());
        live.created = cursor.created();
        if (with_rows) live.row.assign(cursor.row().begin(), cursor.row().end());
    }
    return chunk;
}

// The smallest key above `key`.
Bytes after(ByteSpan key) {
    Bytes next(key.begin(), key.end());
    next.push_back(0);
    return next;
}

// Ends every live version of `tree` at the op's position; returns how many.
Result<u64> end_all(KernelState& state, const TransactionPlan& plan, store::TreeId tree) {
    u64 ended = 0;
    Bytes lower;
    while (true) {
        const auto chunk = KB_TRY(live_chunk(state.store, tree, lower, false));
        for (const LiveVersion& live : chunk) {
            KB_ASSERT(live.created < plan.at);
            KB_TRY(store::mvcc_delete(state.store, tree, live.key, plan.at));
            state.hash.add(row_end_entry(plan.tenant.value(), tree.number, live.key,
                                         live.created.value(), plan.at.value()));
        }
        ended += chunk.size();
        if (chunk.size() < kChunkRows) return ended;
        lower = after(chunk.back().key);
    }
}

// Adds one entry to an index being built. A refusal when the key is too long, or when a
// unique index already holds it (the tree is new, so only this build can have put it there).
Result<ApplyResult> put_built_entry(KernelState& state, TransactionPlan& plan,
                                    const IndexSchema& index, const TableKeys& keys,
                                    std::span<const Value> values, ByteSpan primary_key) {
    auto key = keys.index_key(0, values, primary_key);
    if (!key) {
        return refusal(Outcome::invalid_definition,
                       "create index \"" + index.name + "\": " + key.error().message());
    }
    const store::TreeId tree = trees::index(plan.tenant, index.id);
    if (KB_TRY(store::mvcc_current(state.store, tree, *key))) {
        return refusal(Outcome::unique_violation, "create unique index \"" + index.name +
                                                      "\": two rows have key " + to_hex(*key));
    }
    KB_TRY(store::mvcc_put(state.store, tree, *key, primary_key, plan.at));
    plan.build_hash.add(row_version_entry(plan.tenant.value(), index.id.value(), *key, primary_key,
                                          plan.at.value()));
    return ApplyResult{};
}

// Builds one index of `table` from the rows it has after the op.
Result<ApplyResult> build_index(KernelState& state, TransactionPlan& plan, const TablePlan& table,
                                const IndexSchema& index) {
    const TableKeys keys(*table.schema, {&index});
    // Rows from before the op that no effect of the op touches.
    if (!table.fresh) {
        const store::TreeId rows = trees::table(plan.tenant, table.id);
        Bytes lower;
        while (true) {
            const auto chunk = KB_TRY(live_chunk(state.store, rows, lower, true));
            for (const LiveVersion& live : chunk) {
                if (table.effect_keys.contains(live.key)) continue;
                auto values = decode_row(*table.schema, live.row);
                if (!values) {
                    return values.error().with_context("building index \"" + index.name +
                                                       "\", row " + to_hex(live.key));
                }
                ApplyResult put =
                    KB_TRY(put_built_entry(state, plan, index, keys, *values, live.key));
                if (put.outcome != Outcome::ok) return put;
            }
            if (chunk.size() < kChunkRows) break;
            lower = after(chunk.back().key);
        }
    }
    // The rows the op's effects leave.
    for (usize e : table.effects) {
        const EffectPlan& effect = plan.effects[e];
        if (effect.effect->kind == RowEffectKind::remove) continue;
        ApplyResult put =
            KB_TRY(put_built_entry(state, plan, index, keys, effect.values, effect.effect->key));
        if (put.outcome != Outcome::ok) return put;
    }
    return ApplyResult{};
}

}  // namespace

Result<ApplyResult> build_indexes(KernelState& state, TransactionPlan& plan) {
    for (const auto& [id, table] : plan.tables) {
        for (const IndexSchema* index : table.built) {
            const store::TreeId tree = trees::index(plan.tenant, index->id);
            KB_TRY(state.store.create_tree(tree));
            plan.build_trees.push_back(tree);
            plan.any_builds = true;
            ApplyResult built = KB_TRY(build_index(state, plan, table, *index));
            if (built.outcome != Outcome::ok) {
                // The trees are new: dropping them leaves the store as it was.
                for (const store::TreeId made : plan.build_trees) {
                    KB_TRY(state.store.drop_tree(made));
                }
                return built;
            }
        }
    }
    return ApplyResult{};
}

Result<u64> write_transaction(KernelState& state, TransactionPlan& plan) {
    const TenantId tenant = plan.tenant;
    const Position at = plan.at;
    u64 versions = 0;

    // 1. Trees of the tables the op creates (their indexes' trees were made by the builds).
    for (u64 id : plan.created_objects) {
        if (plan.after->table(TableId(id), at) != nullptr) {
            KB_TRY(state.store.create_tree(trees::table(tenant, TableId(id))));
        }
    }

    // 2. Truncations of tables that existed before the op, with their indexes of then.
    for (TableId id : plan.truncated) {
        if (plan.before->table(id, kLatest) == nullptr) continue;
        versions += KB_TRY(end_all(state, plan, trees::table(tenant, id)));
        for (const IndexSchema* index : plan.before->indexes_of(id, kLatest)) {
            KB_TRY(end_all(state, plan, trees::index(tenant, index->id)));
        }
    }

    // 3. Row versions, in op order. Inserts of new keys into one table in ascending key order
    // (a SQL transaction's, whose effects come sorted) are written together, one walk from
    // the root per leaf; the state hash takes every version in op order all the same.
    std::vector<store::KeyValue> inserts;
    store::TreeId inserts_tree{};
    auto write_inserts = [&]() -> Status {
        if (inserts.empty()) return Status::ok();
        KB_TRY(store::mvcc_put_new_sorted(state.store, inserts_tree, inserts, at));
        inserts.clear();
        return Status::ok();
    };
    for (const EffectPlan& effect : plan.effects) {
        const RowEffect& row = *effect.effect;
        const u64 table = effect.table->id.value();
        const store::TreeId tree = trees::table(tenant, effect.table->id);
        if (row.kind != RowEffectKind::remove && !effect.old) {
            if (!inserts.empty() &&
                (inserts_tree != tree || !bytes_less(inserts.back().key, row.key))) {
                KB_TRY(write_inserts());
            }
            inserts_tree = tree;
            inserts.push_back(store::KeyValue{.key = row.key, .value = row.row});
            state.hash.add(row_version_entry(tenant.value(), table, row.key, row.row, at.value()));
            ++versions;
            continue;
        }
        KB_TRY(write_inserts());
        if (effect.old) {
            KB_ASSERT(effect.old->created < at);
            state.hash.add(row_end_entry(tenant.value(), table, row.key,
                                         effect.old->created.value(), at.value()));
            ++versions;
        }
        // effect.old is the key's live version now: planned before any write, and the writes
        // before this one (truncations, other keys) do not touch it.
        if (row.kind == RowEffectKind::remove) {
            KB_ASSERT(effect.old.has_value());
            KB_TRY(store::mvcc_delete(state.store, tree, row.key, at, *effect.old));
        } else {
            KB_TRY(store::mvcc_put(state.store, tree, row.key, row.row, at, effect.old));
            state.hash.add(row_version_entry(tenant.value(), table, row.key, row.row, at.value()));
            ++versions;
        }
    }
    KB_TRY(write_inserts());
    // Index entries the effects end, then those they add (so unique values can move between
    // rows within the op).
    for (const EffectPlan& effect : plan.effects) {
        for (usize i = 0; i < effect.old_index_keys.size(); ++i) {
            if (!effect.ends_index_entry(i)) continue;
            const IndexId index = effect.table->maintained[i]->id;
            const store::TreeId tree = trees::index(tenant, index);
            const ByteSpan key = effect.old_index_keys[i];
            auto current = KB_TRY(store::mvcc_current(state.store, tree, key));
            if (!current) {
                return Status::corruption("tenant " + std::to_string(tenant.value()) + " index " +
                                          std::to_string(index.value()) + ": no entry " +
                                          to_hex(key) + " for row " + to_hex(effect.effect->key));
            }
            KB_ASSERT(current->created < at);
            KB_TRY(store::mvcc_delete(state.store, tree, key, at, *current));
            state.hash.add(row_end_entry(tenant.value(), index.value(), key,
                                         current->created.value(), at.value()));
        }
    }
    for (const EffectPlan& effect : plan.effects) {
        for (usize i = 0; i < effect.new_index_keys.size(); ++i) {
            if (!effect.adds_index_entry(i)) continue;
            const IndexId index = effect.table->maintained[i]->id;
            const ByteSpan key = effect.new_index_keys[i];
            const ByteSpan primary_key = effect.effect->key;
            KB_TRY(store::mvcc_put(state.store, trees::index(tenant, index), key, primary_key, at));
            state.hash.add(
                row_version_entry(tenant.value(), index.value(), key, primary_key, at.value()));
        }
    }

    // 4. The builds' entries, written before the other changes.
    if (plan.any_builds) state.hash.add(plan.build_hash);
    return versions;
}

}  // namespace kb::kernel
