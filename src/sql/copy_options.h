// COPY's options, judged as PostgreSQL 15's ProcessCopyOptions judges them: FORMAT text | csv
// (binary is refused), HEADER [true | false | match], DELIMITER, NULL, QUOTE, ESCAPE,
// FORCE_QUOTE (columns | *), FORCE_NOT_NULL, FORCE_NULL, ENCODING (UTF8 only), FREEZE (accepted,
// nothing to do), with PostgreSQL's defaults and its errors:
//   42601 conflicting or redundant options / option "x" not recognized / HEADER requires a
//         Boolean value or "match" / argument to option "force_quote" must be a list of
//         column names
//   22023 COPY format "x" not recognized / COPY delimiter cannot be newline or carriage return
//         / COPY delimiter cannot be "\" / COPY delimiter and quote must be different / COPY
//         delimiter must not appear in the NULL specification / ...
//   0A000 COPY delimiter must be a single one-byte character / COPY quote available only in
//         CSV mode / COPY force quote only available using COPY TO / ...
#pragma once

#include <span>
#include <string>
#include <vector>

#include "sql/ast.h"
#include "sql/error.h"

namespace kb::sql {

enum class CopyFormat : u8 { text, csv };
enum class CopyHeader : u8 {
    none,
    present,  // TO writes the column names; FROM skips the first line
    match,    // FROM checks that the first line names the columns, in order (FROM only)
};

struct CopyOptions {
    CopyFormat format = CopyFormat::text;
    CopyHeader header = CopyHeader::none;
    char delimiter = '\t';     // text: tab; csv: ','
    std::string null = "\\N";  // text: \N; csv: the empty string
    char quote = '"';          // csv only
    char escape = '"';         // csv only; the quote unless given
    bool force_quote_all = false;
    std::vector<std::string> force_quote{};     // TO, csv: columns always quoted
    std::vector<std::string> force_not_null{};  // FROM, csv: unquoted null strings are values
    std::vector<std::string> force_null{};      // FROM, csv: quoted null strings are NULL too

    // Per column of the COPY (its column list, in order), once resolve_copy_columns ran.
    std::vector<bool> quote_column{};
    std::vector<bool> not_null_column{};
    std::vector<bool> null_column{};
};

// What a COPY statement tells the client before the data (CopyInResponse / CopyOutResponse:
// text format, `columns` columns) and, for COPY TO, how its rows are written.
struct CopyResponse {
    bool from = false;  // COPY FROM STDIN: the client sends the data
    usize columns = 0;
    CopyOptions options{};
    std::vector<std::string> names{};  // the columns' names (COPY TO's header)
};

// The options of COPY ... FROM (from) or TO, checked, with the format's defaults filled in.
SqlResult<CopyOptions> copy_options(std::span<const ast::GenericOption> options, bool from);

// Fills the per-column flags for the COPY's columns `names` (in COPY order): 42P10
// 'FORCE_QUOTE column "x" not referenced by COPY' for a name that is not one of them.
SqlStatus resolve_copy_columns(CopyOptions& options, std::span<const std::string> names);

}  // namespace kb::sql
