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
// (kernel/row_codec.h). Index maintenance happens at apply; reads through secondary indexes
// (RowCursor, index_scan, index_get: transaction_index.cc) merge the snapshot's index entries
// with the overlay's rows keyed on the fly.
//
// A Transaction belongs to one thread at a time; reads run on that thread against the snapshot
// (no loop round trip); commit waits for the loop.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "db/engine.h"
#include "kernel/catalog.h"
#include "kernel/op.h"
#include "storage/digest.h"
#include "store/mvcc.h"
#include "store/snapshot.h"

namespace kb::db {

using kernel::IndexId;
using kernel::ObjectId;
using kernel::TableId;

// Where a transaction gets its starting state and sends its op: the embedded database
// (DatabaseCore), or a simulated node in tests.
class TransactionHost {
public:
    struct Start {
        store::Snapshot snapshot;
        // Shared, never changed (a transaction copies it before its own schema changes);
        // nullptr: no such tenant.
        std::shared_ptr<const kernel::TenantCatalog> catalog;
    };
    virtual ~TransactionHost() = default;
    // The latest published snapshot and the tenant's catalog, taken together.
    virtual Start start(TenantId tenant) = 0;
    // Admits, logs and applies the op; waits for the result.
    virtual Result<SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                        kernel::OpBody body) = 0;
    // The same without waiting: `done` gets the result once the op is applied (durable) or
    // refused. Ops submitted from one thread are admitted in the order they were submitted, so
    // pipelined appends with expected offsets in sequence all succeed. `done` runs on whatever
    // thread finishes the op — the embedded database's loop thread — or on this one before
    // submit_async returns (this default, which waits in submit()): it must only hand the result
    // over (queue it, signal someone), never block or call back into the host.
    virtual void submit_async(TenantId tenant, PrincipalId principal, kernel::OpBody body,
                              SubmitCallback done) {
        done(submit(tenant, principal, std::move(body)));
    }
    // Distinct for every host this process ever creates (never reused, unlike an address).
    u64 instance_id() const { return instance_id_; }

    // Operations on the log a host may offer to superusers (SQL kimberlite_attest() and
    // kimberlite_digest()): log an attestation now and return it as a digest
    // (storage/digest.h); the newest durable attestation with its co-signatures, nullopt when
    // there is none. unsupported unless overridden (the embedded database does).
    virtual Result<storage::Digest> attest_digest() {
        return Status::unsupported("this database cannot make attestations");
    }
    virtual Result<std::optional<storage::Digest>> newest_digest() {
        return Status::unsupported("this database cannot export attestations");
    }

    // The appends logged at `positions` (ascending, distinct, at most the applied position),
    // read back through the log's verified read path (Engine::logged_appends): what served
    // events are read from (stream_reads.h). Any thread but the loop's.
    // unsupported unless overridden.
    virtual Result<std::vector<LoggedAppend>> logged_appends(std::span<const Position> positions) {
        (void)positions;
        return Status::unsupported("this database cannot read its log back");
    }

private:
    static u64 next_instance_id();
    const u64 instance_id_ = next_instance_id();
};

// What a transaction's statements are planned against, for keeping plans across transactions
// (sql::PlanCache): transactions with equal keys see the same tables, columns and indexes.
// A tenant's catalog version grows with every schema change it applies.
struct SchemaKey {
    u64 host = 0;  // TransactionHost::instance_id()
    TenantId tenant{};
    u64 catalog_version = 0;
    friend bool operator==(const SchemaKey&, const SchemaKey&) = default;
};

// One row as a scan returns it.
struct KeyedRow {
    Bytes key;
    Bytes row;
};

// One row as an index read returns it (transaction_index.cc).
struct IndexedRow {
    Bytes index_key;  // the key the index holds for the row (row_codec.h)
    Bytes key;        // the row's primary key
    Bytes row;        // its image
};

class Transaction;

// A streaming read of a table in primary-key order or of a secondary index in index order,
// forward or backward, through the transaction's view: the snapshot (as of read_position())
// merged with the overlay as it was when the cursor opened (later writes are not seen: a
// statement reads the state as of its start). Opened by Transaction::open_cursor /
// open_index_cursor; the transaction must outlive it and not commit while it is read.
//
// The read set grows as the cursor moves: it always holds the key range from the start of the
// scan (in its direction) up to the row the cursor is on, and the whole range once the cursor
// is exhausted. So a scan stopped early by LIMIT conflicts only with writes it actually read
// past. An index cursor records the index's key range: every write of a row records the old and
// new keys of each of its index entries (admission), so an insert, update or delete of any row
// in the range — a phantom included — conflicts with it.
class RowCursor {
public:
    RowCursor(RowCursor&&) noexcept = default;
    RowCursor& operator=(RowCursor&&) noexcept = default;

    bool valid() const { return valid_; }
    // The key the cursor orders by: the index key, or the primary key for a table cursor.
    // The row the cursor is on (valid() must hold); the spans live until next().
    ByteSpan index_key() const { return current_index_key_; }
    ByteSpan key() const { return current_key_; }
    ByteSpan row() const { return current_row_; }
    Status next();

private:
    friend class Transaction;
    struct Pending {  // an overlay row in range, in cursor order
        Bytes index_key;
        Bytes key;
        Bytes row;
        bool removed = false;  // the transaction removed it (hides the snapshot's row)
    };
    RowCursor() = default;
    Status settle();  // positions on the next visible row (or end) and records the read
    void record_read();

    Transaction* transaction_ = nullptr;
    bool index_ = false;  // an index cursor (else a table cursor)
    bool backward_ = false;
    kernel::ObjectId object_{};
    Bytes lower_, upper_;
    std::optional<store::MvccCursor> snapshot_;  // nullopt: the snapshot holds nothing here
    store::TreeView rows_;                       // index cursors: the table's rows
    std::vector<Pending> pending_;               // overlay rows in cursor order
    usize pending_next_ = 0;
    kernel::TableId table_{};          // whose rows the cursor returns
    bool table_written_ = false;       // index cursors: the overlay holds rows of table_
    u64 opened_at_ = 0;                // the transaction's write count when it opened
    std::optional<usize> read_index_;  // into the read set's ranges, once recorded
    bool whole_table_read_ = false;    // recorded as the table's whole key space instead
    bool valid_ = false;
    bool from_snapshot_ = false;  // the current row came from snapshot_ (else pending_)
    // The row the cursor is on: spans into the snapshot cursor, pending_ or row_buffer_.
    Bytes row_buffer_;
    ByteSpan current_index_key_, current_key_, current_row_;
};

class Transaction {
private:
    struct OverlayKey {
        u64 table = 0;
        Bytes key;
    };
    // A key to look the overlay up by without copying it.
    struct OverlayProbe {
        u64 table = 0;
        ByteSpan key;
    };
    struct OverlayKeyLess {
        using is_transparent = void;
        bool operator()(const OverlayKey& a, const OverlayKey& b) const;
        bool operator()(const OverlayKey& a, const OverlayProbe& b) const;
        bool operator()(const OverlayProbe& a, const OverlayKey& b) const;
    };
    struct OverlayRow {
        bool existed = false;        // the snapshot had a row
        std::optional<Bytes> image;  // the row now (nullopt: removed)
        u64 since = 0;               // the write that first put the key in the overlay
    };
    struct BytesLess {
        bool operator()(const Bytes& a, const Bytes& b) const;
    };
    // The overlay's rows of a table keyed for one of its indexes: index key -> primary key.
    using OverlayIndex = std::multimap<Bytes, Bytes, BytesLess>;

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
    PrincipalId principal() const { return principal_; }
    // Where the transaction came from and commits to.
    TransactionHost& host() const { return *host_; }

    // --- privileges (kernel/access_reads.h) ---------------------------------------------------
    // What the principal may do, by the roles and grants of the snapshot (its position, never a
    // time-travel one: reading the past needs today's privileges). The statement layer asks
    // before it reads or writes a table (reads are checked nowhere else; writes again at the
    // primary, at the op's position). Built-in principals answer without a read; answers are
    // kept for the transaction's life.
    Result<bool> is_superuser() const;
    // PostgreSQL's has_table_privilege for `table` of this tenant: superuser, or CONNECT on the
    // tenant and `privilege` on the table.
    Result<bool> has_table_privilege(TableId table, kernel::Privilege privilege) const;
    // The tenant's catalog as of the snapshot, with this transaction's DDL applied.
    const kernel::TenantCatalog& catalog() const { return *catalog_; }
    // nullopt while the schema this transaction sees is its own (it made schema changes) or a
    // past one (time travel): plans made against it are not for other transactions.
    std::optional<SchemaKey> schema_key() const;

    // --- reads (recorded) -------------------------------------------------------------------
    // The row of `key`, or nullopt.
    Result<std::optional<Bytes>> get(TableId table, ByteSpan key);
    // Rows with start <= key < end (empty end: no bound), in key order, at most `limit`.
    // Records the range [start, end) — or, when the limit stopped it early, [start, last key]
    // — as read.
    Result<std::vector<KeyedRow>> scan(TableId table, ByteSpan start, ByteSpan end,
                                       usize limit = ~usize{0});
    // --- streaming and index reads (recorded; transaction_index.cc) ----------------------------
    // Rows with lower <= key < upper (empty upper: no bound) in key order or its reverse.
    Result<RowCursor> open_cursor(TableId table, ByteSpan lower, ByteSpan upper,
                                  store::Direction direction = store::Direction::forward);
    // Rows whose key in `index` is in [lower, upper), in index order or its reverse. Works for
    // indexes this transaction created (they have no tree in the snapshot: the table's rows
    // are keyed on the fly, and the whole table is recorded as read).
    Result<RowCursor> open_index_cursor(IndexId index, ByteSpan lower, ByteSpan upper,
                                        store::Direction direction = store::Direction::forward);
    // The same, collected: at most `limit` rows.
    Result<std::vector<IndexedRow>> index_scan(IndexId index, ByteSpan lower, ByteSpan upper,
                                               usize limit = ~usize{0});
    // The first row whose key in `index` begins with `prefix`: for a unique index and a prefix
    // of every indexed value (none NULL), the row holding those values. Records the prefix's
    // range as read, found or not (so a later insert of those values conflicts).
    Result<std::optional<IndexedRow>> index_get(IndexId index, ByteSpan prefix);

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
    // values are never given back, as in PostgreSQL: a rolled-back insert leaves a gap). A
    // sequence this transaction created is the exception: its values come from the
    // transaction's catalog and are logged with the op (kernel::AdvanceSequenceChange).
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
    // About how many bytes that op would encode to, from above: every key recorded as read and
    // every row written counts with its size plus framing, and nothing is taken off when a row
    // is written again or rolled back to a savepoint. Cheap (counts only what is new since the
    // last call): COPY asks it per row to commit in chunks below the op size cap.
    usize op_size_estimate_bytes() const;

    // Submits the op and waits: the SubmitResult of a logged op; ok with nothing logged for a
    // transaction that wrote nothing; conflict when admission found a read overwritten (or the
    // snapshot too old). The transaction is spent afterwards.
    Result<SubmitResult> commit();

private:
    friend class RowCursor;
    // The overlay's rows of `table` with keys in [lower, upper), for a cursor.
    std::vector<RowCursor::Pending> overlay_rows(TableId table, ByteSpan lower,
                                                 ByteSpan upper) const;
    Transaction(TransactionHost& host, TenantId tenant, PrincipalId principal,
                store::Snapshot snapshot, std::shared_ptr<const kernel::TenantCatalog> catalog);
    // The catalog, copied for this transaction on its first schema change (until then it is
    // the published one, shared: most transactions change no schema).
    kernel::TenantCatalog& own_catalog();
    // A cursor of this transaction over [lower, upper) of `table`'s rows (`object`: the table or
    // an index of it), positioned nowhere yet (open_cursor, open_index_cursor).
    RowCursor new_cursor(kernel::ObjectId object, TableId table, ByteSpan lower, ByteSpan upper,
                         store::Direction direction);
    // The op of this transaction with `reads` and no effects yet (build_op, commit).
    kernel::TransactionOp op_with(kernel::ReadSet reads) const;
    // Every overlay write goes through here: it keeps the overlay indexes current and
    // numbers the keys' first writes.
    void write_overlay(TableId table, Bytes key, OverlayRow row);
    // Whether the overlay held `key` of `table` before write number `writes` (a cursor
    // opened then saw the overlay's version, not the snapshot's).
    bool wrote_before(TableId table, ByteSpan key, u64 writes) const;
    // The overlay's rows of `index`'s table keyed for it: built when an index cursor first
    // needs it, then kept current by every write (so the unique checks of a bulk insert do not
    // key every row written so far again, per row); dropped on schema changes and rollbacks.
    Result<const OverlayIndex*> overlay_index(const kernel::IndexSchema& index);
    void reindex_overlay_row(TableId table, ByteSpan key, const std::optional<Bytes>& before,
                             const std::optional<Bytes>& after);
    // The row as the transaction sees it, without recording a read.
    Result<std::optional<Bytes>> visible(TableId table, ByteSpan key, bool* existed) const;
    // The snapshot's tree of `table` (nullopt: it has none, as a table created after the
    // snapshot), looked up once per transaction: the snapshot never changes.
    Result<const std::optional<store::TreeView>*> table_view(TableId table) const;
    Status check_table(TableId table) const;
    Status check_writable() const;
    // Whether this transaction's DDL created `sequence` (it is not visible to anyone else yet).
    bool created_sequence(kernel::SequenceId sequence) const;
    // Values of such a sequence, from the transaction's catalog; logged as AdvanceSequenceChange.
    Result<kernel::SequenceBlock> draw_from_created_sequence(kernel::SequenceId sequence,
                                                             u64 count);

    TransactionHost* host_;
    TenantId tenant_;
    PrincipalId principal_;
    store::Snapshot snapshot_;
    std::shared_ptr<const kernel::TenantCatalog> catalog_;
    kernel::TenantCatalog* own_catalog_ = nullptr;  // *catalog_ once own_catalog() copied it
    kernel::ReadSet reads_;
    std::vector<kernel::DdlChange> ddl_;
    std::map<OverlayKey, OverlayRow, OverlayKeyLess> overlay_;
    std::set<u64> truncated_;                      // tables this transaction truncated
    std::map<u64, OverlayIndex> overlay_indexes_;  // by index id (overlay_index)
    mutable std::map<u64, std::optional<store::TreeView>> table_views_;  // by table (table_view)
    u64 writes_ = 0;                                                     // overlay writes so far
    IdempotencyId idempotency_{};
    kernel::FixedValues fixed_{};
    bool spent_ = false;
    std::optional<Position> as_of_;
    // op_size_estimate_bytes(): rows written so far, and the read-set entries already counted.
    u64 written_bytes_ = 0;
    mutable u64 read_bytes_ = 0;
    mutable std::array<usize, 4> reads_counted_{};  // keys, absent, parents, ranges
    mutable std::optional<bool> superuser_;         // is_superuser(), once asked
    mutable std::map<std::pair<u64, kernel::Privilege>, bool> privileges_;  // table privileges
};

}  // namespace kb::db
