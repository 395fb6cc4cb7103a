// PendingRows: row images of admitted, unapplied transactions (see admission_rows.h).
#include "kernel/admission_rows.h"

#include <algorithm>

#include "kernel/kernel_trees.h"
#include "store/mvcc.h"

namespace kb::kernel {

bool PendingRows::row_less(const Row& a, const Row& b) {
    if (a.tenant != b.tenant) return a.tenant < b.tenant;
    if (a.table != b.table) return a.table < b.table;
    return std::lexicographical_compare(a.key.begin(), a.key.end(), b.key.begin(), b.key.end());
}

Result<std::optional<store::TreeView>> PendingRows::applied_table(const store::Store& store,
                                                                  TenantId tenant, TableId table) {
    const store::TreeId tree = trees::table(tenant, table);
    if (!KB_TRY(store.has_tree(tree))) return std::optional<store::TreeView>();
    return std::optional<store::TreeView>(KB_TRY(store.working_view().tree(tree)));
}

Result<std::optional<Bytes>> PendingRows::current(const std::optional<store::TreeView>& applied,
                                                  TenantId tenant, TableId table,
                                                  ByteSpan key) const {
    const Row probe{tenant.value(), table.value(), key, std::nullopt};
    const std::pair<u64, u64> table_key{tenant.value(), table.value()};
    for (auto op = ops_.rbegin(); op != ops_.rend(); ++op) {
        auto found = std::lower_bound(op->rows.begin(), op->rows.end(), probe, row_less);
        if (found != op->rows.end() && !row_less(probe, *found)) {
            if (!found->image) return std::optional<Bytes>();
            return std::optional<Bytes>(Bytes(found->image->begin(), found->image->end()));
        }
        if (std::find(op->cleared.begin(), op->cleared.end(), table_key) != op->cleared.end()) {
            return std::optional<Bytes>();
        }
    }
    if (!applied) return std::optional<Bytes>();
    auto version = KB_TRY(store::mvcc_current(*applied, key));
    if (!version) return std::optional<Bytes>();
    return std::optional<Bytes>(std::move(version->row));
}

PendingRows::OpRows& PendingRows::open(Position position) {
    if (ops_.empty() || ops_.back().position != position) {
        KB_ASSERT(ops_.empty() || ops_.back().position < position);
        ops_.push_back(OpRows{.position = position, .cleared = {}, .rows = {}});
    }
    return ops_.back();
}

void PendingRows::clear_table(TenantId tenant, TableId table, Position position) {
    open(position).cleared.emplace_back(tenant.value(), table.value());
}

void PendingRows::write(TenantId tenant, TableId table, ByteSpan key, Position position,
                        std::optional<ByteSpan> image) {
    open(position).rows.push_back(Row{tenant.value(), table.value(), key, image});
}

void PendingRows::done(Position position) {
    if (ops_.empty() || ops_.back().position != position) return;  // it wrote no rows
    auto& rows = ops_.back().rows;
    // Usually given in order already (a transaction's effects are sorted by table and key).
    // Admission refused any op naming one key twice, so the order is total.
    if (!std::is_sorted(rows.begin(), rows.end(), row_less)) {
        std::sort(rows.begin(), rows.end(), row_less);
    }
}

void PendingRows::forget_through(Position position) {
    while (!ops_.empty() && ops_.front().position <= position) ops_.pop_front();
}

usize PendingRows::size() const {
    usize rows = 0;
    for (const OpRows& op : ops_) rows += op.rows.size();
    return rows;
}

}  // namespace kb::kernel
