// Equality, order and hashing of SQL values as PostgreSQL's btree and hash opclasses see them.
//
// compare_values is the total order ORDER BY, min/max, GREATEST/LEAST, DISTINCT and the
// comparison operators use (NULLs are the caller's business): numbers by value across
// smallint/integer/bigint/numeric (1 = 1.0 = 1.00) and across real/double precision, where
// NaN equals NaN and sorts above every other number and -0 equals 0; text bytewise (C
// collation); char(n) ignoring trailing spaces; bytea and uuid bytewise; dates and timestamps
// by instant (a date is its midnight); intervals by their linear span ('1 mon' = '30 days');
// jsonb in PostgreSQL's jsonb order; false < true. Values of different families (a number
// and a string) are a programmer error: the binder coerces operands to one type first.
//
// hash_value agrees with it for values of one type: values that compare equal hash equal
// (1.5 and 1.50, -0 and 0, all NaNs, '1 mon' and '30 days'), so GROUP BY and DISTINCT can
// hash. Both are deterministic across processes and platforms.
#pragma once

#include "sql/value_type.h"

namespace kb::sql {

// <0, 0, >0. `type` matters only for char(n) (trailing spaces ignored); pass the operands'
// type (after coercion).
int compare_values(const Value& a, const Value& b, SqlType type = SqlType::text);
inline bool values_equal(const Value& a, const Value& b, SqlType type = SqlType::text) {
    return compare_values(a, b, type) == 0;
}

u64 hash_value(const Value& value, SqlType type = SqlType::text);
// Mixes a further value's hash into a running one (for multi-column keys).
u64 hash_combine(u64 seed, u64 value_hash);

}  // namespace kb::sql
