// PendingRows: the row images that admitted-but-unapplied transactions wrote, so admission can
// see the row a later transaction updates or removes (and so the index keys it ends) before the
// kernel has applied the earlier one. Lookups fall back to the applied state in the store.
#pragma once

#include <map>
#include <optional>

#include "base/bytes.h"
#include "kernel/schema.h"
#include "kimberlite/status.h"
#include "store/store.h"
#include "types/ids.h"

namespace kb::kernel {

class PendingRows {
public:
    // The live image of the row with primary key `key`, as of every admitted op: a pending
    // write if there is one, else nothing if a pending op truncated the table, else the
    // applied state's current version (none for a table the store does not have yet).
    Result<std::optional<Bytes>> current(const store::Store& store, TenantId tenant, TableId table,
                                         ByteSpan key) const;

    // The op at `position` wrote the row (`image` nullopt: removed it).
    void write(TenantId tenant, TableId table, ByteSpan key, Position position,
               std::optional<Bytes> image);
    // The op at `position` ended every row of the table.
    void clear_table(TenantId tenant, TableId table, Position position);

    // Ops up to `position` are applied: their writes are in the store now.
    void forget_through(Position position);

    usize size() const { return rows_.size(); }

private:
    struct RowKey {
        u64 tenant = 0;
        u64 table = 0;
        Bytes key;
    };
    // Tenant, table, then key bytes in store order.
    struct RowKeyLess {
        bool operator()(const RowKey& a, const RowKey& b) const;
    };
    using TableKey = std::pair<u64, u64>;  // tenant, table
    struct Row {
        Position position;
        std::optional<Bytes> image;
    };

    std::map<RowKey, Row, RowKeyLess> rows_;
    std::map<TableKey, Position> cleared_;
};

}  // namespace kb::kernel
