// The catalog: tenants, streams, tables, indexes and sequences, versioned by log position.
//
// A read at position P sees the schema of P: every table, index and sequence version records
// the position that created it and the position that ended it (a drop, or an ALTER that
// replaced it with a new version), and is live at P when created <= P < ended (ended 0 = still
// live). A version created and ended by the same op was never visible. Ids are never reused.
//
// Mutations are the catalog's half of deterministic apply. Each checks what a user can get
// wrong and returns a domain Outcome (table exists, no such column, ...) without changing
// anything when it is not ok; apply asserts ok (every logged op is a committed fact), and the
// edge runs the same calls on a copy of the catalog at its snapshot to learn the outcome before
// logging. Mutation positions never go backwards (asserted).
//
// Alongside the schema sit two pieces of current state the ops advance: each stream's next
// offset and each sequence's next unreserved value. Their history lives in the store.
//
// A Catalog is a plain value: copyable, comparable, and encoded deterministically by
// catalog_codec.h. Containers are ordered maps keyed by id, so iteration order (and any byte
// or hash derived from it) is the same on every replica.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/key_wrap.h"
#include "kernel/outcome.h"
#include "kernel/schema.h"
#include "types/data_class.h"
#include "types/ids.h"

namespace kb::kernel {

// A read of the newest state (every version not yet ended).
inline constexpr Position kLatest = Position(~u64{0});

template <class T>
struct Versioned {
    T value{};
    Position created{};
    Position ended{};  // Position::none() while live

    bool live_at(Position at) const {
        return created <= at && (ended == Position::none() || at < ended);
    }
    friend bool operator==(const Versioned&, const Versioned&) = default;
};

struct TenantInfo {
    TenantId id{};
    std::string name{};
    Position created{};
    crypto::WrappedKey kek{};       // the tenant's KEK, wrapped by the master key
    crypto::WrappedKey root_key{};  // the tenant's root data key, wrapped by the KEK
    // The drop-tenant op's position; Position::none() while live. A dropped tenant takes no
    // more ops and its name is free again; its history stays readable by id and position.
    Position dropped{};

    bool is_dropped() const { return dropped != Position::none(); }
    friend bool operator==(const TenantInfo&, const TenantInfo&) = default;
};

struct StreamInfo {
    StreamId id{};
    std::string name{};
    DataClass data_class = DataClass::internal;
    Position created{};
    Position deleted{};  // Position::none() while live; a deleted stream's events stay readable
    Offset next_offset{};

    bool live_at(Position at) const {
        return created <= at && (deleted == Position::none() || at < deleted);
    }
    friend bool operator==(const StreamInfo&, const StreamInfo&) = default;
};

struct SequenceState {
    i64 next_value = 0;      // the first value not yet reserved
    bool exhausted = false;  // no value remains (a non-cycling sequence past its bound)

    friend bool operator==(const SequenceState&, const SequenceState&) = default;
};

// A block of sequence values handed to the edge: first, first + increment, ... (count values).
struct SequenceBlock {
    i64 first = 0;
    i64 increment = 1;
    u64 count = 0;

    friend bool operator==(const SequenceBlock&, const SequenceBlock&) = default;
};

class TenantCatalog {
public:
    TenantCatalog() = default;
    explicit TenantCatalog(TenantInfo info) : info_(std::move(info)) {}

    const TenantInfo& info() const { return info_; }
    // Bumped by every schema change (each successful table/index/sequence/column mutation).
    u64 version() const { return version_; }
    // The id the next table, index or sequence must take (or any id above it).
    ObjectId next_object_id() const { return next_object_id_; }
    // The id create_stream will give the next stream.
    StreamId next_stream_id() const { return next_stream_id_; }
    // The position of the newest mutation (mutations never go backwards).
    Position last_change() const { return last_change_; }

    // --- streams ---------------------------------------------------------------------------
    // stream_exists when a live stream has the name; name_too_long / invalid_definition for a
    // bad name. On ok, *id is the new stream's id.
    Outcome create_stream(std::string_view name, DataClass data_class, Position at, StreamId* id);
    // no_such_stream, stream_deleted.
    Outcome delete_stream(StreamId id, Position at);
    // Whether an append of events to `id` would succeed: no_such_stream, stream_deleted, or
    // offset_mismatch when `expected` is given and is not the next offset.
    Outcome check_append(StreamId id, std::optional<Offset> expected) const;
    // Advances the stream's next offset by `count`; returns the offset of the first event.
    // Asserts check_append(id, nullopt) is ok.
    Offset append(StreamId id, u64 count);
    const StreamInfo* stream(StreamId id) const;
    const StreamInfo* find_stream(std::string_view name, Position at = kLatest) const;
    const std::map<StreamId, StreamInfo>& streams() const { return streams_; }

    // --- schema (DDL) ----------------------------------------------------------------------
    // The table, the unique indexes of its unique constraints, and the sequences its SERIAL
    // and identity columns own (each with owner_table = schema.id). New ids must be >= the
    // next object id and distinct (invalid_definition); the definition must be valid (a
    // primary key of NOT NULL, key-encodable columns; distinct column ids and names;
    // constraints naming existing columns; foreign keys naming a live parent's primary key or
    // unique columns; nextval defaults naming a live or owned sequence).
    Outcome create_table(const TableSchema& schema, const std::vector<SequenceSchema>& owned,
                         Position at);
    // Ends the table, its indexes and the sequences it owns. dependent_objects_exist when
    // another live table has a foreign key to it.
    Outcome drop_table(TableId id, Position at);
    Outcome create_index(const IndexSchema& schema, Position at);
    // Refuses (dependent_objects_exist) an index that enforces a unique constraint.
    Outcome drop_index(IndexId id, Position at);
    // A new table version with the column appended, and the sequence it owns if it is SERIAL
    // or an identity. The column id must be >= the table's next column id. `constraints` are
    // the column's own (they may name only the table's columns, this one included): checked
    // as create_table checks a table's, with names distinct from the table's constraints; each
    // unique gets its unique index (built by apply from the rows after the op). (Filling
    // existing rows with the default, and checking them against the new constraints, is the
    // SQL layer's business; it writes them as row effects.)
    Outcome add_column(TableId table, const ColumnDef& column,
                       const std::optional<SequenceSchema>& owned, Position at,
                       const AddedConstraints& constraints = {});
    // A new table version without the column, as PostgreSQL does it: indexes, unique, check
    // and foreign-key constraints of this table that use the column go with it, and so do
    // sequences it owns. dependent_objects_exist for a primary-key column or a column another
    // table's foreign key references.
    Outcome drop_column(TableId table, ColumnId column, Position at);
    // A free-standing sequence (owner_table 0), or one owned by a live table's column.
    Outcome create_sequence(const SequenceSchema& schema, Position at);

    // --- sequences --------------------------------------------------------------------------
    // Reserves up to `count` (>= 1) values. Fewer when the sequence's bound comes first (a
    // cycling sequence then starts again from its other bound on the next reservation);
    // sequence_exhausted when none is left; no_such_sequence.
    Outcome reserve(SequenceId id, u64 count, Position at, SequenceBlock* block);
    const SequenceState* sequence_state(SequenceId id) const;

    // --- reads at a position ----------------------------------------------------------------
    const TableSchema* table(TableId id, Position at = kLatest) const;
    const TableSchema* find_table(std::string_view name, Position at = kLatest) const;
    const IndexSchema* index(IndexId id, Position at = kLatest) const;
    const IndexSchema* find_index(std::string_view name, Position at = kLatest) const;
    std::vector<const IndexSchema*> indexes_of(TableId table, Position at = kLatest) const;
    const SequenceSchema* sequence(SequenceId id, Position at = kLatest) const;
    const SequenceSchema* find_sequence(std::string_view name, Position at = kLatest) const;

    // Every version, for encoding, hashing and tests.
    const std::map<TableId, std::vector<Versioned<TableSchema>>>& table_versions() const {
        return tables_;
    }
    const std::map<IndexId, Versioned<IndexSchema>>& index_versions() const { return indexes_; }
    const std::map<SequenceId, std::pair<Versioned<SequenceSchema>, SequenceState>>&
    sequence_versions() const {
        return sequences_;
    }

    friend bool operator==(const TenantCatalog&, const TenantCatalog&) = default;

private:
    friend class CatalogDecoder;
    friend class Catalog;  // drop_tenant marks info_

    void note_change(Position at);
    bool relation_name_taken(std::string_view name, Position at) const;
    Outcome check_new_object_id(u64 id) const;
    Outcome validate_table(const TableSchema& schema, const std::vector<SequenceSchema>& owned,
                           Position at) const;
    Outcome validate_column(const TableSchema& table, const ColumnDef& column,
                            const std::vector<SequenceSchema>& owned, Position at) const;
    Outcome validate_index(const IndexSchema& schema, const TableSchema& table) const;
    Outcome validate_added_constraints(const TableSchema& table,
                                       const AddedConstraints& constraints, Position at) const;
    Outcome validate_foreign_key(const TableSchema& table, const ForeignKey& foreign_key,
                                 Position at) const;
    // Installs the unique indexes of `uniques` (constraints of `table`).
    void install_unique_indexes(TableId table, const std::vector<UniqueConstraint>& uniques,
                                Position at);
    void install_sequence(const SequenceSchema& schema, Position at);
    Versioned<TableSchema>* live_table(TableId id);
    void end_sequences_owned_by(TableId table, std::optional<ColumnId> column, Position at);

    TenantInfo info_;
    u64 version_ = 0;
    ObjectId next_object_id_ = ObjectId(1);
    StreamId next_stream_id_ = StreamId(1);
    Position last_change_;
    std::map<StreamId, StreamInfo> streams_;
    std::map<TableId, std::vector<Versioned<TableSchema>>> tables_;  // versions, oldest first
    std::map<IndexId, Versioned<IndexSchema>> indexes_;              // an index is never altered
    std::map<SequenceId, std::pair<Versioned<SequenceSchema>, SequenceState>> sequences_;
};

// All tenants.
class Catalog {
public:
    // tenant_exists for a taken id or a name a live tenant has; name_too_long /
    // invalid_definition for a bad name or id 0.
    Outcome create_tenant(TenantInfo info, Position at);
    // Marks the tenant dropped at `at`: no_such_tenant when there is no live tenant `id`.
    Outcome drop_tenant(TenantId id, Position at);

    // By id, dropped tenants included (their history stays readable).
    const TenantCatalog* tenant(TenantId id) const;
    TenantCatalog* tenant(TenantId id);
    // The live tenant of that name (dropped ones free their names).
    const TenantCatalog* find_tenant(std::string_view name) const;
    const std::map<TenantId, TenantCatalog>& tenants() const { return tenants_; }

    friend bool operator==(const Catalog&, const Catalog&) = default;

private:
    friend class CatalogDecoder;

    std::map<TenantId, TenantCatalog> tenants_;
};

// Names of tenants, streams, tables, columns, indexes, sequences and constraints: 1 to
// limits::kNameBytesMax bytes, no NUL. ok, invalid_definition (empty or NUL) or name_too_long.
Outcome check_name(std::string_view name);

}  // namespace kb::kernel
