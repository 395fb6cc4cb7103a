// Row images: the bytes a table row version is stored as (and carried as in transaction ops),
// and the keys derived from a row (its primary key and each index's key).
//
// An image maps column ids to values (docs/FORMATS.md, "Rows"):
//
//     format version u8 = 1 | count u32 | count x (column id u32 | kind u8 | payload)
//
// with column ids strictly increasing and NULL columns left out. Keying by column id, not
// position, is what makes schema evolution free: a row written before ALTER TABLE ADD COLUMN
// lacks the column and reads as NULL there; a row written before DROP COLUMN still holds the
// dropped column, which reads against the new schema simply skip (ids are never reused, so it
// can never be mistaken for another column). Every value has exactly one encoding (floats keep
// their bits except that every NaN is written as the canonical one; numerics are canonical),
// so equal rows are equal bytes on every replica, which the state hash relies on, and decode
// refuses any other bytes: decode(image) re-encodes to exactly `image`.
//
// Keys use key_encoding.h: the primary key is the table's primary-key columns, ascending; an
// index key is the index's columns with their directions and NULL orders, then the primary key
// appended, except for a unique index whose indexed values are all non-NULL (there the indexed
// values alone are the key, so a duplicate is the same key; rows with a NULL never collide,
// as PostgreSQL's NULLS DISTINCT has it). Both forms stay prefix-free, as the store requires.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "kernel/key_encoding.h"
#include "kernel/outcome.h"
#include "kernel/schema.h"
#include "kernel/value.h"
#include "kimberlite/status.h"

namespace kb::kernel {

inline constexpr u8 kRowFormatVersion = 1;

struct RowColumn {
    ColumnId column{};
    Value value{};

    friend bool operator==(const RowColumn&, const RowColumn&) = default;
};

// --- images as column id -> value ------------------------------------------------------------

// The image of `columns`, whose ids must strictly increase (asserted). NULL values are left
// out (absent and NULL read the same).
Bytes encode_row(std::span<const RowColumn> columns);

// The non-NULL columns of an image, in id order. unsupported for another format version;
// corruption, naming the column and byte offset, for anything encode would not write.
Result<std::vector<RowColumn>> decode_row(ByteSpan image);

// --- images against a table --------------------------------------------------------------------

// The image of a row given as values in `table.columns` order (values.size() must equal the
// column count: asserted).
Bytes encode_row(const TableSchema& table, std::span<const Value> values);

// The values of `image` in `table.columns` order: NULL for columns the image lacks, columns the
// table no longer has skipped. corruption if the image does not decode, or holds a value of
// another kind than its column's type (rows are checked when written, so only a damaged store
// can have one).
Result<std::vector<Value>> decode_row(const TableSchema& table, ByteSpan image);

// decode_row for many images of one table version (scans): the columns' order by id is worked
// out once, and decode() refills `out` in place, so a scan that decodes every row into the
// same vector allocates nothing for fixed-size values and reuses text values' strings. The
// same result and errors as decode_row. Keeps no reference to `table`.
class RowDecoder {
public:
    explicit RowDecoder(const TableSchema& table);
    Status decode(ByteSpan image, std::vector<Value>& out) const;

private:
    struct Column {
        ColumnId id;
        usize position;  // in table.columns
        ValueKind kind;  // what its type stores
    };
    // The common case without WireReader's bookkeeping: the image holds every column, of its
    // kind, each a fixed-size integer, float, date, timestamp, boolean or text. False (with `out`
    // in any state) for anything else, valid or not: decode() then takes the general path.
    bool decode_plain(ByteSpan image, std::vector<Value>& out) const;

    TableId table_;
    std::vector<Column> columns_;  // sorted by id
};

// Checks an image a transaction writes into `table` and returns its values in column order.
// Outcomes: invalid_effect when it does not decode, names a column the table does not have,
// or holds a value that does not fit its column (value_misfit); not_null_violation for a NULL
// in a NOT NULL column. `reason` says which column and why.
struct RowCheck {
    Outcome outcome = Outcome::ok;
    std::string reason{};
    std::vector<Value> values{};
};
RowCheck check_row(const TableSchema& table, ByteSpan image);

// --- keys ---------------------------------------------------------------------------------

// The key columns of the table's primary key (ascending, in primary-key order).
std::vector<KeyColumn> primary_key_columns(const TableSchema& table);
// The key columns of an index on `table` (its directions and NULL orders), without the primary
// key suffix.
std::vector<KeyColumn> index_key_columns(const IndexSchema& index, const TableSchema& table);

// Derives the primary key and index keys of rows of one table. Built once per table and op
// (it resolves column ids to positions), then used for every row; the schemas must outlive it.
class TableKeys {
public:
    TableKeys(const TableSchema& table, std::vector<const IndexSchema*> indexes);

    const TableSchema& table() const { return *table_; }
    usize index_count() const { return indexes_.size(); }
    const IndexSchema& index(usize i) const { return *indexes_[i].schema; }

    // The primary key of a row given in table column order. out_of_range when the key is over
    // limits::kKeySizeBytesMax.
    Result<Bytes> primary_key(std::span<const Value> values) const;
    // Index i's key of the same row (see the top for its form). out_of_range as above.
    Result<Bytes> index_key(usize i, std::span<const Value> values, ByteSpan primary_key) const;

private:
    struct Plan {
        const IndexSchema* schema;
        std::vector<usize> positions;  // of the indexed columns in table.columns
        std::vector<KeyColumn> columns;
    };

    static constexpr usize kKeyBytesGuess = 32;  // room for most keys in one allocation

    const TableSchema* table_;
    std::vector<usize> key_positions_;
    std::vector<KeyColumn> key_columns_;
    std::vector<Plan> indexes_;
};

}  // namespace kb::kernel
