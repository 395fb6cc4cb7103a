// How `kmb sql` shows results: psql's default aligned tables, psql-style error reports (with
// the "LINE n:" excerpt and a caret under the error position), and JSON for scripts.
//
// Aligned format (psql's \pset format aligned, border 1): a centred header, a rule of '-' and
// '+', then the rows; numeric columns (int2/4/8, float4/8, numeric, oid) are right-aligned and
// the rest left-aligned, NULL is empty, a value with newlines spans several lines with '+'
// marking the continued cells, and "(N rows)" follows. Widths count characters, not bytes.
//
// JSON (one object per statement, on one line):
//     {"columns":["id","name"],"types":["int4","text"],"rows":[[1,"apple"]],"tag":"SELECT 1"}
//     {"error":{"severity":"ERROR","sqlstate":"23505","message":"...","detail":"...",
//               "hint":"...","context":"...","position":15},"statement":"INSERT ..."}
// Values of bool, int2/4/8, oid and finite float4/8 columns become JSON booleans and numbers,
// NULL becomes null, everything else (numeric included, to keep every digit) a string.
// Objects also carry "notices" (when there were any) and "copy" (COPY TO STDOUT data).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/pg_client.h"

namespace kb::cli {

// The aligned table of a result with rows, ending "(N rows)\n".
std::string format_aligned(const PgStatementResult& result);

// PostgreSQL's name of a type OID ("int4", "text", ...); "oid:N" for one it does not know.
std::string type_name(u32 type_oid);
bool is_right_aligned_type(u32 type_oid);

// Characters shown on a terminal for UTF-8 `text` (one per code point; bytes that are not
// UTF-8 count one each).
std::size_t display_width(std::string_view text);

// An error or notice as psql shows it: "ERROR:  message", the statement line the error
// position points into ("LINE 2: ...") with a caret under the place, then DETAIL, HINT and
// CONTEXT lines. `statement` is the text that was sent (positions count its characters, from 1);
// `prefix` starts the first line ("script.sql:3: "). Ends with '\n'.
std::string format_server_message(const server::PgNotice& notice, std::string_view statement,
                                  std::string_view prefix = {});

// The "LINE n: ..." and caret lines for a 1-based character `position` in `statement`
// (long lines are cut to about 60 characters around it, with "..."); empty when the position
// is 0 or beyond the text.
std::string format_error_position(std::string_view statement, int position);

nlohmann::ordered_json result_to_json(const PgStatementResult& result);
// Prints `json` as one line on stdout (invalid UTF-8 replaced), for --json output.
void print_json_line(const nlohmann::ordered_json& json);
nlohmann::ordered_json notice_to_json(const server::PgNotice& notice);
// {"error": {...}, "statement": ...}; no "statement" when it is empty.
nlohmann::ordered_json error_to_json(const server::PgNotice& error, std::string_view statement);

}  // namespace kb::cli
