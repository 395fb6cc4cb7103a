// Access paths: how a query reaches the rows of its one table — the whole table in primary-key
// order (Seq Scan), a primary-key point or range lookup, or a secondary index (plain or
// unique, point or range, any prefix of a composite index) — chosen from the conjuncts of
// WHERE and the ORDER BY the rows should come in.
//
// A conjunct a path can use is `column op value` (either way round) with op one of = < <= >
// >= (BETWEEN binds to two of them), `column IS NULL`, or `column IN (values)` (one point
// lookup per distinct value, in key order), where `value` does not depend on the
// row (constants, parameters, and calls of them other than volatile ones) and has a type whose
// order is the column's key order: the same type, or another of its family (smallint /
// integer / bigint; real / double precision; text / varchar), compared as PostgreSQL's
// cross-type operators do. Anything else — a cast around the column (`intcol = 2.5` compares
// as numeric), char(n) columns (blank-padded comparison is not the key's byte order), OR (but an IN
// list) — stays in the residual filter. A conjunct the path uses is applied exactly by the key
// range (the bound values are converted exactly, out-of-range integers clamped), so it leaves the
// residual; every other conjunct stays there.
//
// Choice: the path fixing the most leading key columns by equality wins, then one with a range
// on the next column; equality on every column of the primary key or a unique index beats
// everything; ties go to the primary key (no second lookup), then unique indexes, then the
// first index. Without usable conjuncts the table is read in primary-key order, or through an
// index whose order serves ORDER BY when there is a LIMIT (reading a whole index row by row
// costs a lookup per row; a sort of the table is cheaper). A path serves ORDER BY when the
// sort keys are its key columns after those fixed by equality, all in its direction or all
// reversed (then it is read backward), NULLs placed alike.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "kernel/schema.h"
#include "sql/bound.h"
#include "sql/exec_query.h"

namespace kb::sql {

// A bound on a key column in SQL order (the scan turns it into key bytes in the column's
// direction).
struct KeyBound {
    BoundExpr value;  // row-independent: evaluated when the scan opens
    bool inclusive = true;
};

struct AccessPath {
    // nullopt: the table's own rows in primary-key order (a Seq Scan when unbounded).
    std::optional<kernel::IndexSchema> index{};
    std::string name{};                             // for EXPLAIN: "t_pkey", "t_k_idx"
    std::vector<kernel::KeyColumn> columns{};       // the key columns, in key order
    std::vector<SqlType> column_types{};            // their columns' types
    std::vector<std::optional<BoundExpr>> equal{};  // fix columns[0..n): value, or IS NULL
    std::optional<KeyBound> lower{}, upper{};       // on columns[equal.size()]
    std::vector<BoundExpr> in_values{};             // or: columns[equal.size()] IN these
    bool backward = false;                          // read in reverse key order
    bool serves_order = false;                      // read for its order (ORDER BY)
    std::vector<std::string> conditions{};          // the conjuncts the bounds apply, for EXPLAIN

    bool bounded() const { return !equal.empty() || lower || upper || !in_values.empty(); }
};

struct AccessChoice {
    AccessPath path{};
    std::optional<BoundExpr> residual{};  // what WHERE still has to check per row
    bool ordered = false;                 // rows come in the ORDER BY's order
};

// `where` (nullopt: none) binds against the table's columns (their positions are the column
// indexes); so do the sort keys of `order` (empty: no ORDER BY). `limited`: a LIMIT follows.
// `column_names` (table order) describe conditions for EXPLAIN. `indexes` are the table's
// indexes as the statement sees the schema.
AccessChoice choose_access(const kernel::TableSchema& table,
                           std::span<const kernel::IndexSchema* const> indexes,
                           std::optional<BoundExpr> where, std::span<const SortKey> order,
                           bool limited, std::span<const std::string> column_names);

// A key range [start, end) (an empty end: no bound).
using KeyRange = std::pair<Bytes, Bytes>;

// The key ranges the path selects, its values evaluated now, in the order the path reads them
// (one range, or one per distinct IN value); empty when no row can match (a bound is NULL, or
// out of the column's range where that excludes everything).
SqlResult<std::vector<KeyRange>> key_ranges(const AccessPath& path, const EvalContext& eval);

// The key value a value takes in a key column of `column_type` when compared as PostgreSQL
// compares the two types (see the top): `exact`, or an integer beyond the column's range,
// which sorts below or above every value the column holds. internal_error for a value of
// another family (the planner only pairs comparable types).
enum class KeyFit : u8 { exact, below_all, above_all };
SqlResult<std::pair<KeyFit, kernel::KeyValue>> key_value_for(SqlType column_type,
                                                             const Value& value);

// Whether values of `value_type` compare with a `column_type` column in its key order.
bool comparable_in_key_order(SqlType column_type, const Type& value_type);

}  // namespace kb::sql
