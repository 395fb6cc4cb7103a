// Schema objects: what a table, an index and a sequence are, as DDL describes them.
//
// These are plain values. A transaction op carries them (CREATE TABLE carries a TableSchema
// with the ids the edge assigned), the catalog (catalog.h) keeps versions of them by log
// position, and schema_codec.h gives each one deterministic bytes. They carry what the SQL
// layer needs (docs/SQL.md): PostgreSQL column types with their modifiers, NOT NULL, DEFAULT
// (its text and a structured form), identity columns, primary key, UNIQUE, CHECK and FOREIGN
// KEY constraints.
//
// Ids: tables, indexes and sequences of one tenant draw from one counter (the tenant's
// next object id), so a table id never equals an index id of the same tenant and either can
// name a key space (ObjectId) in read and write sets. Ids are never reused, even after a drop.
// Column ids are per table, also never reused, so a row written before ALTER TABLE DROP
// COLUMN still decodes against the schema of its position.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ints.h"
#include "kernel/key_encoding.h"
#include "types/data_class.h"
#include "types/strong_int.h"

namespace kb::kernel {

// A key space: the table or index a key belongs to (one tenant's ids never collide).
using ObjectId = StrongInt<struct ObjectIdTag, u64>;
using TableId = StrongInt<struct TableIdTag, u64>;
using IndexId = StrongInt<struct IndexIdTag, u64>;
using SequenceId = StrongInt<struct SequenceIdTag, u64>;
using ColumnId = StrongInt<struct ColumnIdTag, u32>;

// Object ids are below this bound (the catalog refuses others): the kernel names each table's
// and index's store tree by its id and keeps its own trees above it (kernel_trees.h).
inline constexpr u64 kObjectIdLimit = u64{1} << 62;

inline ObjectId object_of(TableId id) { return ObjectId(id.value()); }
inline ObjectId object_of(IndexId id) { return ObjectId(id.value()); }

// PostgreSQL column types (issue 5). Stored as bytes: never renumber.
enum class SqlType : u8 {
    smallint = 1,
    integer = 2,
    bigint = 3,
    real = 4,
    double_precision = 5,
    numeric = 6,  // precision, scale
    text = 7,
    varchar = 8,    // length (0 = unbounded)
    character = 9,  // char(n): length >= 1
    boolean = 10,
    bytea = 11,
    date = 12,
    timestamp = 13,
    timestamptz = 14,
    interval = 15,
    uuid = 16,
    jsonb = 17,
};
inline constexpr SqlType kSqlTypeMax = SqlType::jsonb;

std::string_view sql_type_name(SqlType type);  // "smallint", "double precision", ...

struct ColumnType {
    SqlType type = SqlType::bigint;
    u32 length = 0;     // varchar(n) / char(n); 0 for other types and unbounded varchar
    u16 precision = 0;  // numeric(p, s); 0 = unconstrained numeric
    u16 scale = 0;

    friend bool operator==(const ColumnType&, const ColumnType&) = default;
};

// True when the modifiers make sense for the type (numeric: 1 <= p <= 1000 and s <= p, or
// p = s = 0; char: length >= 1; no modifiers on other types except varchar's length).
bool column_type_valid(const ColumnType& type);

// The key encoding of a column of this type, or nullopt when the type cannot be part of a
// primary or index key yet (jsonb). real is widened to float64, which preserves its
// order; numeric keys ignore the display scale (1.5 and 1.50 are one key, as they are equal)
// and interval keys compare spans ('1 mon' and '30 days' are one key, as in PostgreSQL).
std::optional<KeyType> key_type_of(SqlType type);

// How a DEFAULT is computed. Stored as a byte: never renumber.
enum class DefaultKind : u8 {
    none = 0,
    constant = 1,         // a literal, kept in canonical text form (below)
    now = 2,              // now() / CURRENT_TIMESTAMP: the transaction's fixed timestamp
    gen_random_uuid = 3,  // a fresh uuid, fixed by the session and logged with the op
    nextval = 4,          // nextval(sequence): serial, bigserial
    expression = 5,       // anything else: only the SQL text; the SQL layer evaluates it
};

struct ColumnDefault {
    DefaultKind kind = DefaultKind::none;
    std::string expression{};  // the SQL text as written; empty for none
    // constant: NULL, or the value in PostgreSQL's text output form for the column's type
    // ("42", "t", "2024-01-01 00:00:00"), which the SQL layer parses with the type's input
    // rules. Independent of any row encoding, so it never needs migrating.
    bool constant_is_null = false;
    std::string constant_text{};
    SequenceId sequence{};  // nextval

    friend bool operator==(const ColumnDefault&, const ColumnDefault&) = default;
};

// GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY. Stored as a byte: never renumber.
enum class Identity : u8 { none = 0, always = 1, by_default = 2 };

struct ColumnDef {
    ColumnId id{};
    std::string name{};
    ColumnType type{};
    bool not_null = false;
    ColumnDefault default_value{};
    Identity identity = Identity::none;
    SequenceId identity_sequence{};  // the sequence behind an identity column
    DataClass data_class = DataClass::internal;

    friend bool operator==(const ColumnDef&, const ColumnDef&) = default;
};

struct UniqueConstraint {
    std::string name{};
    std::vector<ColumnId> columns{};
    IndexId index{};  // the unique index that enforces it, created with the table

    friend bool operator==(const UniqueConstraint&, const UniqueConstraint&) = default;
};

struct CheckConstraint {
    std::string name{};
    std::string expression{};         // SQL text; the SQL layer evaluates it
    std::vector<ColumnId> columns{};  // the columns it mentions (DROP COLUMN drops it)

    friend bool operator==(const CheckConstraint&, const CheckConstraint&) = default;
};

// ON DELETE behaviour. Stored as a byte: never renumber. no_action and restrict refuse a
// delete of a referenced parent; cascade deletes the children (computed at the edge and
// written as row effects, DESIGN.md §3).
enum class ReferentialAction : u8 { no_action = 0, restrict = 1, cascade = 2 };

struct ForeignKey {
    std::string name{};
    std::vector<ColumnId> columns{};         // in the child (this table)
    TableId parent{};                        // may be this table (self-reference)
    std::vector<ColumnId> parent_columns{};  // the parent's primary key or a unique constraint
    ReferentialAction on_delete = ReferentialAction::no_action;

    friend bool operator==(const ForeignKey&, const ForeignKey&) = default;
};

// Constraints added to an existing table with a new column (ALTER TABLE ADD COLUMN c int
// UNIQUE CHECK (c > 0) REFERENCES p): they join the table's lists; each unique gets its index.
struct AddedConstraints {
    std::vector<UniqueConstraint> uniques{};
    std::vector<CheckConstraint> checks{};
    std::vector<ForeignKey> foreign_keys{};

    bool empty() const { return uniques.empty() && checks.empty() && foreign_keys.empty(); }
    friend bool operator==(const AddedConstraints&, const AddedConstraints&) = default;
};

struct TableSchema {
    TableId id{};
    std::string name{};
    std::vector<ColumnDef> columns{};     // in table order (ADD COLUMN appends)
    ColumnId next_column_id{};            // above every column id this table ever used
    std::vector<ColumnId> primary_key{};  // required; rows are keyed by it
    // The primary key constraint's name (CONSTRAINT x PRIMARY KEY ...); empty means
    // PostgreSQL's default, "<table>_pkey" (primary_key_name() below).
    std::string primary_key_constraint{};
    std::vector<UniqueConstraint> uniques{};
    std::vector<CheckConstraint> checks{};
    std::vector<ForeignKey> foreign_keys{};

    const ColumnDef* column(ColumnId column_id) const;
    const ColumnDef* find_column(std::string_view column_name) const;
    // The name errors and ON CONFLICT ON CONSTRAINT use for the primary key.
    std::string primary_key_name() const;

    friend bool operator==(const TableSchema&, const TableSchema&) = default;
};

struct IndexColumn {
    ColumnId column{};
    bool descending = false;
    NullsOrder nulls = NullsOrder::standard;

    friend bool operator==(const IndexColumn&, const IndexColumn&) = default;
};

struct IndexSchema {
    IndexId id{};
    TableId table{};
    std::string name{};
    std::vector<IndexColumn> columns{};
    bool unique = false;

    friend bool operator==(const IndexSchema&, const IndexSchema&) = default;
};

struct SequenceSchema {
    SequenceId id{};
    std::string name{};
    i64 start = 1;
    i64 increment = 1;  // non-zero
    i64 min_value = 1;
    i64 max_value = 0x7fff'ffff'ffff'ffff;
    bool cycle = false;
    // SERIAL and identity sequences belong to a column and go when it (or its table) goes;
    // TableId(0) for a free-standing sequence.
    TableId owner_table{};
    ColumnId owner_column{};

    friend bool operator==(const SequenceSchema&, const SequenceSchema&) = default;
};

}  // namespace kb::kernel
