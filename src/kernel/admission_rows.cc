// PendingRows: row images of admitted, unapplied transactions (see admission_rows.h).
#include "kernel/admission_rows.h"

#include "kernel/kernel_trees.h"
#include "store/mvcc.h"

#include <algorithm>

namespace kb::kernel {

bool PendingRows::RowKeyLess::operator()(const RowKey& a, const RowKey& b) const {
    if (a.tenant != b.tenant) return a.tenant < b.tenant;
    if (a.table != b.table) return a.table < b.table;
    return std::lexicographical_compare(a.key.begin(), a.key.end(), b.key.begin(), b.key.end());
}

Result<std::optional<Bytes>> PendingRows::current(const store::Store& store, TenantId tenant,
                                                  TableId table, ByteSpan key) const {
    const RowKey row_key{tenant.value(), table.value(), Bytes(key.begin(), key.end())};
    if (auto found = rows_.find(row_key); found != rows_.end()) return found->second.image;
    if (cleared_.contains(TableKey{tenant.value(), table.value()})) {
        return std::optional<Bytes>();
    }
    const store::TreeId tree = trees::table(tenant, table);
    if (!KB_TRY(store.has_tree(tree))) return std::optional<Bytes>();
    auto version = KB_TRY(store::mvcc_current(store, tree, key));
    if (!version) return std::optional<Bytes>();
    return std::optional<Bytes>(std::move(version->row));
}

void PendingRows::write(TenantId tenant, TableId table, ByteSpan key, Position position,
                        std::optional<Bytes> image) {
    rows_.insert_or_assign(RowKey{tenant.value(), table.value(), Bytes(key.begin(), key.end())},
                           Row{position, std::move(image)});
}

void PendingRows::clear_table(TenantId tenant, TableId table, Position position) {
    const u64 tenant_id = tenant.value();
    const u64 table_id = table.value();
    // Rows written before the truncate by pending ops are gone with it.
    auto first = rows_.lower_bound(RowKey{tenant_id, table_id, Bytes()});
    auto last = first;
    while (last != rows_.end() && last->first.tenant == tenant_id &&
           last->first.table == table_id) {
        ++last;
    }
    rows_.erase(first, last);
    cleared_.insert_or_assign(TableKey{tenant_id, table_id}, position);
}

void PendingRows::forget_through(Position position) {
    std::erase_if(rows_, [&](const auto& entry) { return entry.second.position <= position; });
    std::erase_if(cleared_, [&](const auto& entry) { return entry.second <= position; });
}

}  // namespace kb::kernel
