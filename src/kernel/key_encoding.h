// Order-preserving encoding of typed composite keys (primary keys and index keys).
//
// The store compares keys as plain byte strings (memcmp, shorter-is-smaller). This encoding
// makes that byte order equal to the SQL order of the typed tuples, column by column:
//
//     compare(encode(a), encode(b)) == compare_tuples(a, b)      (sign of the comparison)
//
// and every column's encoding is prefix-free (no encoded value is a proper prefix of another),
// so the concatenation of columns compares as the tuple does and decodes unambiguously.
//
// Per column, in its ascending form (docs/FORMATS.md, "Key encoding"):
//   marker byte     0x01 for a value; 0x02 for NULL when NULLs sort after values, 0x00 when
//                   they sort before (PostgreSQL's default: NULLS LAST ascending, NULLS FIRST
//                   descending)
//   boolean         1 byte, 0 or 1
//   signed ints     big-endian two's complement with the sign bit flipped (int8..int64,
//                   timestamp = i64 microseconds as PostgreSQL stores it, date = i32 days)
//   unsigned ints   big-endian
//   float64         IEEE bits, big-endian: sign bit flipped for positives, all bits flipped
//                   for negatives. -0 is stored as +0 and every NaN as one NaN that sorts
//                   above +infinity: PostgreSQL's float8 order (-0 = +0, NaN = NaN > all)
//   text, bytes     the bytes with each 0x00 written as 0x00 0xFF, then the terminator
//                   0x00 0x01 (text compares bytewise: the C collation, DESIGN.md §6)
//   uuid            the 16 bytes as they are (PostgreSQL compares uuids bytewise)
//   interval        the 16 bytes interval_key_value (below) made
//   numeric         the bytes numeric_key_value (below) made: a class byte (-Infinity,
//                   negative, zero, positive, +Infinity, NaN), then for a non-zero finite
//                   value its decimal exponent and significant digits, inverted when negative
// A descending column stores every byte of its ascending form inverted (x -> 0xFF - x);
// prefix-freeness is what makes that reverse the order exactly.
//
// Values must match their column's type (a programmer error otherwise: the SQL layer coerces
// before it encodes). Decoding reads bytes from pages, so it is untrusted: it never crashes and
// refuses anything that is not exactly what encode would have written.
#pragma once

#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"

namespace kb::kernel {

// A key column's type. Stored in catalog formats as a byte: never renumber.
enum class KeyType : u8 {
    boolean = 1,
    int8 = 2,
    int16 = 3,
    int32 = 4,
    int64 = 5,
    uint8 = 6,
    uint16 = 7,
    uint32 = 8,
    uint64 = 9,
    float64 = 10,
    text = 11,
    bytes = 12,
    timestamp = 13,  // i64 microseconds (timestamp and timestamptz)
    date = 14,       // i32 days
    uuid = 15,       // 16 bytes
    numeric = 16,    // an exact decimal, as numeric_key_value encodes it
    interval = 17,   // 16 bytes, as interval_key_value encodes it
};
inline constexpr KeyType kKeyTypeMax = KeyType::interval;

// Where NULLs go in the column's final (possibly descending) order. `standard` is
// PostgreSQL's default: last when ascending, first when descending.
enum class NullsOrder : u8 { standard = 0, first = 1, last = 2 };

struct KeyColumn {
    KeyType type = KeyType::int64;
    bool descending = false;
    NullsOrder nulls = NullsOrder::standard;

    bool nulls_first() const {
        return nulls == NullsOrder::standard ? descending : nulls == NullsOrder::first;
    }
    friend bool operator==(const KeyColumn&, const KeyColumn&) = default;
};

// NULL.
struct KeyNull {
    friend bool operator==(KeyNull, KeyNull) = default;
};

// One column's value: KeyNull, bool (boolean), i64 (signed ints, timestamp, date), u64
// (unsigned ints), double (float64), std::string (text, bytes, uuid as its 16 bytes, and a
// numeric as numeric_key_value's bytes).
using KeyValue = std::variant<KeyNull, bool, i64, u64, double, std::string>;

// The key form of an exact decimal, in PostgreSQL's numeric order: -Infinity < negative <
// zero < positive < +Infinity < NaN, and equal values (1.5 and 1.50) get equal bytes.
//   class byte      1 -Infinity, 2 negative, 3 zero, 4 positive, 5 +Infinity, 6 NaN
//   exponent        (negative and positive only) e with |value| = 0.d1d2...dn * 10^e, as a
//                   big-endian i32 with the sign bit flipped
//   digits          d1..dn, one byte each as digit + 1 (d1 and dn are not 0), then 0x00
// For a negative value the exponent, digit and terminator bytes are inverted, so larger
// magnitudes sort first. `digits` are the significant digits ('1'..'9' first and last);
// `exponent` is ignored for the classes without digits.
// The key form of an interval, in PostgreSQL's interval order: the span (months * 30 + days)
// days plus microseconds as a 128-bit integer, big-endian with the sign bit flipped. So
// '1 mon' and '30 days' are one key, as they are equal in PostgreSQL.
std::string interval_key_value(i32 months, i32 days, i64 microseconds);

enum class NumericKeyClass : u8 {
    negative_infinity = 1,
    negative = 2,
    zero = 3,
    positive = 4,
    positive_infinity = 5,
    nan = 6,
};
std::string numeric_key_value(NumericKeyClass key_class, std::string_view digits = {},
                              i32 exponent = 0);

// True when `value` may be stored in a column of `type` (NULL fits every type; an integer
// must be within the type's range; a uuid is exactly 16 bytes).
bool key_value_fits(KeyType type, const KeyValue& value);

// Appends one column's encoding to `out`. Asserts key_value_fits(column.type, value).
void encode_key_column(const KeyColumn& column, const KeyValue& value, Bytes* out);

// The encoding of a whole key; columns.size() == values.size() (asserted). out_of_range when
// the encoded key is longer than limits::kKeySizeBytesMax (a limit users can reach with long
// text; the message says how long it was).
Result<Bytes> encode_key(std::span<const KeyColumn> columns, std::span<const KeyValue> values);

// Decodes a key written by encode_key with the same columns. Corruption (saying which column
// and byte) for anything else: truncation, a bad marker, a non-canonical value (-0, a
// non-canonical NaN, a bool other than 0/1, an unterminated or wrongly escaped string), or
// bytes after the last column. Decoded -0 and NaN come back as +0 and the canonical NaN.
Result<std::vector<KeyValue>> decode_key(std::span<const KeyColumn> columns, ByteSpan key);

// The smallest byte string greater than every string that starts with `prefix`, for scanning
// "all keys beginning with these columns" as [prefix, prefix_end(prefix)). Empty when no such
// string exists (the prefix is empty or all 0xFF): the range is then unbounded above.
Bytes prefix_end(ByteSpan prefix);

}  // namespace kb::kernel
