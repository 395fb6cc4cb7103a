// PendingRows: the row images that admitted-but-unapplied transactions wrote, so admission can
// see the row a later transaction updates or removes (and so the index keys it ends) before the
// kernel has applied the earlier one. Lookups fall back to the applied state in the store.
//
// Kept per pending op, in position order: the rows it wrote (sorted by table and key) and the
// tables it truncated. A lookup walks the ops newest first; the first that wrote the key or
// truncated its table decides (an op's effects come after its own truncations), else the
// store does. Few ops are pending at a time, and forgetting applied ones drops whole entries.
//
// Keys and images are views into the ops that wrote them: the admission keeps each pending op
// (at a stable address) until it is applied or dropped, and forgets its rows at the same time
// (forget_through, or a fresh PendingRows when the pending state is rebuilt).
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "kernel/schema.h"
#include "kimberlite/status.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "types/ids.h"

namespace kb::kernel {

class PendingRows {
public:
    // The table's tree in the store's writer view (nullopt when the store has none yet), for
    // the lookups of one op: found once, not once per row.
    static Result<std::optional<store::TreeView>> applied_table(const store::Store& store,
                                                                TenantId tenant, TableId table);

    // The live image of the row with primary key `key`, as of every admitted op: a pending
    // write if there is one, else nothing if a pending op truncated the table, else the
    // applied state's current version in `applied` (applied_table's answer for the table).
    Result<std::optional<Bytes>> current(const std::optional<store::TreeView>& applied,
                                         TenantId tenant, TableId table, ByteSpan key) const;

    // What the op at `position` does, given in this order once it is admitted: the tables it
    // truncates, then the rows it writes (`image` nullopt: removed), then done(). Positions
    // increase from op to op. `key` and `image` must stay valid until the op is forgotten.
    void clear_table(TenantId tenant, TableId table, Position position);
    void write(TenantId tenant, TableId table, ByteSpan key, Position position,
               std::optional<ByteSpan> image);
    void done(Position position);

    // Ops up to `position` are applied: their writes are in the store now.
    void forget_through(Position position);

    // Rows written by pending ops (a key written by two counts twice).
    usize size() const;

private:
    struct Row {
        u64 tenant = 0;
        u64 table = 0;
        ByteSpan key;
        std::optional<ByteSpan> image;
    };
    struct OpRows {
        Position position;
        std::vector<std::pair<u64, u64>> cleared;  // tenant, table
        std::vector<Row> rows;                     // by tenant, table, key once done()
    };
    static bool row_less(const Row& a, const Row& b);

    // The op being given (the back of ops_), made on first use.
    OpRows& open(Position position);

    std::deque<OpRows> ops_;
};

}  // namespace kb::kernel
