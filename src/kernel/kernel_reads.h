// Reads of the kernel's state on a store::Snapshot: the catalog, streams and their events, the
// timestamp index, and table rows and index entries as of any position the snapshot holds.
//
// Threads: every function here may run on any thread, several at once, against a snapshot
// (store/snapshot.h); none needs the Kernel. On the loop thread they also work on the writer's
// Store::working_view(), which is valid until the next change. Reads see what was *published*
// with the snapshot: Kernel::publish() writes the records it defers (kernel_state.h) first.
//
// Time travel. Row and index reads take `as_of`: they see exactly the versions live at that
// position (store/mvcc.h), provided as_of <= snapshot.applied() (a later position reads the
// snapshot's newest state). The schema of a position comes from catalog(): its tables, indexes
// and sequences carry every version, so catalog.tenant(t)->table(id, as_of) is the table as it
// was then (a dropped table's rows stay readable as of positions before the drop; rows written
// before a DROP COLUMN still hold the column and decode against the schema of their position).
//
// Errors: not_found when a table's or index's tree does not exist (the caller asks the catalog
// first), corruption for bytes that do not decode (naming where), other store errors as they
// come.
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.h"
#include "kernel/catalog.h"
#include "kernel/kernel_trees.h"
#include "kernel/schema.h"
#include "kimberlite/status.h"
#include "store/mvcc.h"
#include "store/snapshot.h"
#include "types/ids.h"

namespace kb::kernel::reads {

// The whole catalog (every tenant, stream and schema version) as of the snapshot. Empty before
// the first op. Decodes every tenant's records: cache it per snapshot when reading often.
Result<Catalog> catalog(const store::Snapshot& snapshot);

// One stream's record (its next offset as of the snapshot), or nullopt if the tenant or stream
// does not exist.
Result<std::optional<StreamInfo>> stream_info(const store::Snapshot& snapshot, TenantId tenant,
                                              StreamId stream);

// An event as readers get it (db/stream_reads.h fills `data` from the log).
struct Event {
    Offset offset;
    Position position;  // of the append that wrote it
    Bytes data;

    friend bool operator==(const Event&, const Event&) = default;
};

// An append of a stream as the snapshot records it: its first offset and its entry in the
// events tree (kernel_trees.h). The events themselves are in the log's record at
// `append.position`; db/stream_reads.h reads them from there.
struct AppendRun {
    Offset first;
    trees::StoredAppend append;

    Offset end() const { return first.advanced_by(append.count); }
    friend bool operator==(const AppendRun&, const AppendRun&) = default;
};

// The appends of `stream` holding its events from offset `from` on, in offset order, the first
// being the append that holds `from` (it may start before it). Appends are added until they hold
// at least `max_count` events at or after `from`, or `max_bytes` of event data (an append counts
// whole), and at least one when any holds an event at or after `from`. Empty when none does (or
// no such tenant or stream).
Result<std::vector<AppendRun>> append_runs(const store::Snapshot& snapshot, TenantId tenant,
                                           StreamId stream, Offset from, u64 max_bytes,
                                           u64 max_count);

// The newest position whose op timestamp is <= `timestamp` (AS OF TIMESTAMP), or nullopt when
// every op is later (or there is none).
Result<std::optional<Position>> position_for_timestamp(const store::Snapshot& snapshot,
                                                       Timestamp timestamp);

// --- rows -------------------------------------------------------------------------------------

// The row image (row_codec.h) of primary key `key` live at `as_of`, or nullopt.
Result<std::optional<Bytes>> row_get(const store::Snapshot& snapshot, TenantId tenant,
                                     TableId table, ByteSpan key, Position as_of);

// Rows live at `as_of` with primary keys in [lower, upper) (an empty upper: no bound; to scan
// a key prefix use [prefix, prefix_end(prefix))). key() is the primary key, row() the image.
Result<store::MvccCursor> row_scan(const store::Snapshot& snapshot, TenantId tenant, TableId table,
                                   ByteSpan lower, ByteSpan upper, Position as_of,
                                   store::Direction direction = store::Direction::forward);

// --- secondary indexes ---------------------------------------------------------------------------
// An index entry maps an index key (row_codec.h, TableKeys::index_key) to the row's primary key.

// The primary key under index key `key` live at `as_of`, or nullopt. For a unique index with
// non-NULL values the key is the indexed values alone, so this is the unique lookup.
Result<std::optional<Bytes>> index_get(const store::Snapshot& snapshot, TenantId tenant,
                                       IndexId index, ByteSpan key, Position as_of);

// Index entries live at `as_of` with index keys in [lower, upper): key() is the index key,
// row() the primary key (look the row up with row_get at the same as_of).
Result<store::MvccCursor> index_scan(const store::Snapshot& snapshot, TenantId tenant,
                                     IndexId index, ByteSpan lower, ByteSpan upper, Position as_of,
                                     store::Direction direction = store::Direction::forward);

}  // namespace kb::kernel::reads
