// parse(): SQL text to the AST (ast.h), with PostgreSQL 15's grammar.
//
// libpg_query runs PostgreSQL's own scanner and bison grammar, so text parses exactly as
// PostgreSQL would parse it (keywords, precedence, string escapes, comments, dollar quoting);
// its raw parse tree arrives as protobuf-c structs and parse_convert.h turns that into our
// tree, refusing (SQLSTATE 0A000, "feature not supported: ...", with the position) every
// construct outside issue 5 instead of giving it a different meaning.
//
// Errors, as PostgreSQL reports them:
//   42601  syntax errors, with libpg_query's message ("syntax error at or near \"x\"",
//          "syntax error at end of input") and the 1-based character position
//   0A000  constructs outside the supported subset
//   22021  text that is not valid UTF-8 (or holds a NUL byte)
//   54001  nesting too deep to parse safely ("stack depth limit exceeded"): PostgreSQL's
//          parser recurses per nesting level, so input nested past kParseDepthMax is refused
//          before it reaches libpg_query (it would overflow the stack: measured ~2 KiB of
//          stack per level of `1+1+...`)
//   42704 / 22023 / 42601  unknown type names and bad type modifiers, as PostgreSQL
//
// Thread safety: parse() may run on many threads at once (libpg_query keeps its state per
// thread). Stack: a caller's thread needs about 4 MiB of stack for the deepest input
// kParseDepthMax allows (the default 8 MiB is fine).
#pragma once

#include <string_view>
#include <vector>

#include "sql/ast.h"
#include "sql/error.h"

namespace kb::sql {

// How deeply an expression may nest, measured conservatively from the tokens (each operator,
// keyword and bracket level counts; commas, AND, OR and CASE arms separate).
inline constexpr int kParseDepthMax = 1000;

// Every statement in `text`, in order; empty statements (";;", comments only, "") are
// skipped. Positions in the tree and in errors count characters of the whole `text` from 1.
SqlResult<std::vector<ast::Statement>> parse(std::string_view text);

// One expression, as the body of a CHECK constraint or DEFAULT is stored (to_sql()'s output):
// positions count from the start of `text`. Refuses anything but a single expression.
SqlResult<ast::ExprPtr> parse_expression(std::string_view text);

}  // namespace kb::sql
