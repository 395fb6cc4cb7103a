// jsonb as PostgreSQL 15 normalises, prints, compares and indexes it.
//
// A jsonb Value holds its text in PostgreSQL's output form, which is also its normal form:
// object keys sorted by (length, bytes) with duplicates resolved to the last one, numbers
// printed as numeric prints them (1e2 -> 100, 2.50 stays 2.50), strings re-escaped, one space
// after ':' and ','. jsonb_input produces that form from any JSON text (PostgreSQL's grammar
// and errors: 22P02 "invalid input syntax for type json" with its detail, 22P05 for \u0000),
// so equal documents have equal text up to numbers that compare equal (1.0 = 1): equality
// and hashing go through jsonb_compare / jsonb_hash_key, never raw text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/value.h"
#include "sql/error.h"

namespace kb::sql {

struct JsonValue {
    enum class Kind : u8 { null = 0, string = 1, number = 2, boolean = 3, array = 4, object = 5 };
    Kind kind = Kind::null;
    bool boolean = false;
    kernel::Numeric number{};
    std::string string{};                                      // unescaped UTF-8
    std::vector<JsonValue> elements{};                         // array
    std::vector<std::pair<std::string, JsonValue>> members{};  // object, in jsonb key order
};

// Parses JSON text (PostgreSQL's json grammar) into jsonb form: keys sorted, last duplicate
// kept.
SqlResult<JsonValue> json_parse(std::string_view text);
// PostgreSQL's jsonb output text.
std::string json_serialize(const JsonValue& value);

// The jsonb text of `text`: json_serialize(json_parse(text)).
SqlResult<std::string> jsonb_input(std::string_view text);

// jsonb -> 'key' / jsonb -> index (negative counts from the end; a top-level scalar answers
// index 0 and -1 with itself, as PostgreSQL does): the jsonb text of the member, or nullopt
// (SQL NULL) when there is none. `jsonb` must be jsonb text (a stored value).
std::optional<std::string> jsonb_field(std::string_view jsonb, std::string_view key);
std::optional<std::string> jsonb_element(std::string_view jsonb, i64 index);
// ->> : the same member as text: strings unescaped, JSON null as SQL NULL (nullopt).
std::optional<std::string> jsonb_field_text(std::string_view jsonb, std::string_view key);
std::optional<std::string> jsonb_element_text(std::string_view jsonb, i64 index);
// jsonb || jsonb (jsonb_concat): objects merge (right wins), anything else concatenates as
// arrays (a non-array becomes a one-element array).
std::string jsonb_concat(std::string_view a, std::string_view b);

// jsonb - text: the object without that key, or the array without string elements equal to
// it; jsonb - integer: the array without that element (negative counts from the end; out of
// range leaves it as is). 22023 "cannot delete from scalar" / "cannot delete from object
// using integer index" otherwise.
SqlResult<std::string> jsonb_delete_key(std::string_view jsonb, std::string_view key);
SqlResult<std::string> jsonb_delete_index(std::string_view jsonb, i64 index);

// PostgreSQL's jsonb btree order: by type (null < string < number < boolean < array <
// object), arrays by element count then elements, objects by pair count then keys and
// values in stored order; a top-level scalar sorts before an array of one element.
int jsonb_compare(std::string_view a, std::string_view b);
// Equal for documents jsonb_compare finds equal (numbers normalised).
std::string jsonb_hash_key(std::string_view jsonb);

// The scalar inside a jsonb for its casts to numeric and boolean: 22023 "cannot cast jsonb
// <kind> to type <type>" when it is another kind.
SqlResult<kernel::Numeric> jsonb_to_numeric(std::string_view jsonb, const char* type_name);
SqlResult<bool> jsonb_to_boolean(std::string_view jsonb);

}  // namespace kb::sql
