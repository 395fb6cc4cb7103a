// Transaction: an optimistic, serializable read/write transaction on a snapshot plus a private
// overlay (DESIGN.md §3) — the API the SQL layer builds statements on.
//
// begin() pins a snapshot at position S (the latest published state) and its catalog. Reads see
// S plus the transaction's own writes (the overlay) and are recorded in a read set: keys read
// (found or not), ranges scanned, keys an insert found free. Writes stay in the overlay. At
// commit the overlay becomes a TransactionOp (read set, DDL, one effect per key: insert, full
// new image, or remove) that the primary's admission checks against everything written after
// S (conflict window): if nothing the transaction read changed, it is logged and applied as
// one op; otherwise commit fails with conflict (SQLSTATE 40001 upstream) and nothing happens.
// A transaction that wrote nothing logs nothing.
//
// Keys are encoded primary keys (kernel/key_encoding.h); rows are row images
// (kernel/row_codec.h). Index maintenance happens at apply; reading through secondary indexes
// with the overlay is the SQL layer's (it scans the table or the snapshot's index and checks
// overlay rows itself) until it needs more.
//
// A Transaction belongs to one thread at a time; reads run on that thread against the snapshot
// (no loop round trip); commit waits for the loop.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/engine.h"
#include "kernel/catalog.h"
#include "kernel/op.h"
#include "store/snapshot.h"

namespace kb::db {

using kernel::ObjectId;
using kernel::TableId;

// Where a transaction gets its starting state and sends its op: the embedded database
// (DatabaseCore), or a simulated node in tests.
class TransactionHost {
public:
    struct Start {
        store::Snapshot snapshot;
        std::optional<kernel::TenantCatalog> catalog;  // nullopt: no such tenant
    };
    virtual ~TransactionHost() = default;
    // The latest published snapshot and the tenant's catalog, taken together.
    virtual Start start(TenantId tenant) = 0;
    // Admits, logs and applies the op; waits for the result.
    virtual Result<SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                        kernel::OpBody body) = 0;
};

// One row as a scan returns it.
struct KeyedRow {
    Bytes key;
    Bytes row;
};

class Transaction {
private:
    struct OverlayKey {
        u64 table = 0;
        Bytes key;
    };
    struct OverlayKeyLess {
        bool operator()(const OverlayKey& a, const OverlayKey& b) const;
    };
    struct OverlayRow {
        bool existed = false;        // the snapshot had a row
        std::optional<Bytes> image;  // the row now (nullopt: removed)
    };

public:
    // A transaction of `principal` in `tenant` on the latest published state. not_found when
    // the tenant does not exist at that state.
    static Result<Transaction> begin(TransactionHost& host, TenantId tenant,
                                     PrincipalId principal = kAdminPrincipal);

    Position snapshot_position() const { return snapshot_.applied(); }
    // Time travel: reads see rows, indexes and schema as of `position` (at most the snapshot's
    // own; out_of_range otherwise) and every write is refused. For SET kimberlite.as_of_*.
    Status read_as_of(Position position);
    bool read_only() const { return as_of_.has_value(); }
    // The position reads see: the snapshot's, or the time-travel position.
    Position read_position() const { return as_of_.value_or(snapshot_.applied()); }
    // The position schema is looked up at: the time-travel position, or the one after the
    // snapshot (where this transaction's own DDL takes effect).
    Position schema_position() const { return as_of_ ? *as_of_ : snapshot_.applied().next(); }
    const store::Snapshot& snapshot() const { return snapshot_; }
    TenantId tenant() const { return tenant_; }
    // The tenant's catalog as of the snapshot, with this transaction's DDL applied.
    const kernel::TenantCatalog& catalog() const { return catalog_; }

    // --- reads (recorded) -------------------------------------------------------------------
    // The row of `key`, or nullopt.
    Result<std::optional<Bytes>> get(TableId table, ByteSpan key);
    // Rows with start <= key < end (empty end: no bound), in key order, at most `limit`.
    // Records the range [start, end) — or, when the limit stopped it early, [start, last key]
    // — as read.
    Result<std::vector<KeyedRow>> scan(TableId table, ByteSpan start, ByteSpan end,
                                       usize limit = ~usize{0});
    // A foreign-key parent the transaction's writes rely on (checked like a read).
    void note_parent(ObjectId object, ByteSpan key);
    // The absence of a unique index key the transaction's insert relies on.
    void note_absent(ObjectId object, ByteSpan key);

    // --- writes (into the overlay) ------------------------------------------------------------
    // already_exists when the key has a row (as seen by this transaction).
    Status insert(TableId table, Bytes key, Bytes row);
    // not_found when the key has no row.
    Status update(TableId table, Bytes key, Bytes row);
    Status remove(TableId table, ByteSpan key);
    // A schema change, applied to catalog() at once (its outcome as a Status) and logged first
    // at commit.
    Status change_schema(kernel::DdlChange change);
    // The same, answering with the catalog's outcome (ok: applied; otherwise nothing changed).
    kernel::Outcome try_change_schema(kernel::DdlChange change);
    void set_idempotency(IdempotencyId id) { idempotency_ = id; }

    // The rows this transaction wrote to `table` and that are live in its view (inserted or
    // updated, not removed), in key order: what uniqueness checks must see beside the snapshot.
    std::vector<KeyedRow> written_rows(TableId table) const;
    // Whether the transaction wrote `key` of `table` (so the snapshot's version is not current).
    bool wrote(TableId table, ByteSpan key) const;

    // Reserves `count` values of a sequence now, outside the transaction (SERIAL and identity
    // values are never given back, as in PostgreSQL: a rolled-back insert leaves a gap).
    Result<kernel::SequenceBlock> reserve_sequence(kernel::SequenceId sequence, u64 count);
    void set_fixed_values(kernel::FixedValues fixed) { fixed_ = std::move(fixed); }
    const kernel::FixedValues& fixed_values() const { return fixed_; }

    // Savepoints: mark() captures the overlay, the DDL and the catalog; rollback_to(mark)
    // restores them (SAVEPOINT / ROLLBACK TO). Reads made since stay in the read set: what the
    // transaction saw still shaped what it did, so they are still checked at commit.
    struct Mark {
        std::map<OverlayKey, OverlayRow, OverlayKeyLess> overlay;
        std::vector<kernel::DdlChange> ddl;
        kernel::TenantCatalog catalog;
        std::set<u64> truncated;
    };
    Mark mark() const;
    void rollback_to(const Mark& mark);

    bool writes_nothing() const;
    // The op commit would submit (for tests and audit).
    kernel::TransactionOp build_op() const;

    // Submits the op and waits: the SubmitResult of a logged op; ok with nothing logged for a
    // transaction that wrote nothing; conflict when admission found a read overwritten (or the
    // snapshot too old). The transaction is spent afterwards.
    Result<SubmitResult> commit();

private:
    Transaction(TransactionHost& host, TenantId tenant, PrincipalId principal,
                store::Snapshot snapshot, kernel::TenantCatalog catalog);
    // The row as the transaction sees it, without recording a read.
    Result<std::optional<Bytes>> visible(TableId table, ByteSpan key, bool* existed) const;
    Status check_table(TableId table) const;
    Status check_writable() const;

    TransactionHost* host_;
    TenantId tenant_;
    PrincipalId principal_;
    store::Snapshot snapshot_;
    kernel::TenantCatalog catalog_;
    kernel::ReadSet reads_;
    std::vector<kernel::DdlChange> ddl_;
    std::map<OverlayKey, OverlayRow, OverlayKeyLess> overlay_;
    std::set<u64> truncated_;  // tables this transaction truncated
    IdempotencyId idempotency_{};
    kernel::FixedValues fixed_{};
    bool spent_ = false;
    std::optional<Position> as_of_;
};

}  // namespace kb::db
