// The nesting-depth guard (parse.h, kParseDepthMax). libpg_query recurses once per level of
// the tree when it writes its output (~2 KiB of stack per level of `1+1+...`, measured), and
// PostgreSQL's grammar builds left-nested chains of any length without growing its own stack,
// so input must be bounded before it reaches the parser. The scanner never recurses: this
// file tokenizes the text with it and bounds the depth of any tree the grammar could build
// from those tokens.
//
// The bound, per bracket level ((...), [...], CASE ... END):
//   * items separated by a comma, AND, OR, WHEN, THEN or ELSE are siblings: PostgreSQL
//     flattens AND/OR chains and lists, so a 10 000-term WHERE a = 1 OR a = 2 ... stays cheap;
//     the AND of `x BETWEEN a AND b` is no separator (the high bound nests under BETWEEN)
//   * an item nests at most once per operator or keyword it holds, plus its deepest bracket
//   * SELECT, UNION, INTERSECT, EXCEPT, JOIN and VALUES nest across separators (set
//     operations and joins build left-deep chains around whole select lists), so they count
//     for the whole level, not for one item
//   * a level adds 1 when it can make a node of its own (after a name or keyword: a call,
//     IN (...); or holding a list: a row), 2 for AND/OR (an OR of ANDs), 2 for CASE (the
//     CASE and its WHEN arm)
// Identifiers, constants, parameters and dots are leaves. Pure grouping parentheses make no
// node, so to_sql()'s fully parenthesized output estimates about as deep as its tree.
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sql/parse.h"
#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

enum class Bracket { root, paren, square, case_end };

struct Level {
    Bracket bracket = Bracket::root;
    int path_above = 0;       // depth spent by the open levels around this one
    int own_cost = 0;         // nodes the bracket itself makes (a call, CASE)
    int structural = 0;       // SELECT, UNION, JOIN, ...: count for the whole level
    int ops = 0;              // operators and keywords in the current item
    int child_max = 0;        // deepest bracket closed in the current item
    int finished = 0;         // deepest item of this level so far
    int pending_between = 0;  // BETWEENs whose AND has not come yet
    bool list = false;        // a comma was seen: a list (a row, arguments)
    bool boolean = false;     // AND / OR was seen

    int items() const { return std::max(finished, ops + child_max); }
    // Depth of this level as seen from outside (so far).
    int depth() const {
        return own_cost + (list && own_cost == 0 ? 1 : 0) + (boolean ? 2 : 0) + structural +
               items();
    }
    void separate() {
        finished = std::max(finished, ops + child_max);
        ops = 0;
        child_max = 0;
    }
};

}  // namespace

SqlStatus check_depth(std::string_view text, const Converter& converter) {
    // Fewer bytes than the limit cannot hold enough tokens to exceed it: skip the scan.
    if (text.size() <= static_cast<size_t>(kParseDepthMax)) return sql_ok();
    std::string owned(text);
    PgQueryScanResult scan = pg_query_scan(owned.c_str());
    if (scan.error != nullptr) {  // the parser will report the same error properly
        pg_query_free_scan_result(scan);
        return sql_ok();
    }
    PgQuery__ScanResult* result = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    pg_query_free_scan_result(scan);
    if (result == nullptr) return SqlError(sqlstate::kInternalError, "could not scan statement");

    std::vector<Level> levels(1);
    auto open = [&](Bracket bracket, int own_cost) {
        const Level& top = levels.back();
        // The new bracket sits below this level's own nodes and the current item's operators.
        int above = top.path_above + (top.depth() - top.items()) + top.ops;
        levels.push_back(Level{.bracket = bracket, .path_above = above, .own_cost = own_cost});
    };
    auto close = [&]() {
        int depth = levels.back().depth();
        levels.pop_back();
        levels.back().child_max = std::max(levels.back().child_max, depth);
    };

    bool after_name = false;  // the previous token was a name, a keyword or a closing bracket
    SqlStatus status = sql_ok();
    for (size_t i = 0; i < result->n_tokens && status.has_value(); ++i) {
        const PgQuery__ScanToken& token = *result->tokens[i];
        Level& top = levels.back();
        bool name_like = token.keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
        switch (token.token) {
            case PG_QUERY__TOKEN__SQL_COMMENT:
            case PG_QUERY__TOKEN__C_COMMENT:
                continue;  // invisible: after_name stays as it was
            case PG_QUERY__TOKEN__IDENT:
            case PG_QUERY__TOKEN__UIDENT:
                name_like = true;
                break;
            case PG_QUERY__TOKEN__FCONST:
            case PG_QUERY__TOKEN__SCONST:
            case PG_QUERY__TOKEN__USCONST:
            case PG_QUERY__TOKEN__BCONST:
            case PG_QUERY__TOKEN__XCONST:
            case PG_QUERY__TOKEN__ICONST:
            case PG_QUERY__TOKEN__PARAM:
            case PG_QUERY__TOKEN__ASCII_46:  // .
                break;
            case PG_QUERY__TOKEN__ASCII_40:  // (
                open(Bracket::paren, after_name ? 1 : 0);
                break;
            case PG_QUERY__TOKEN__ASCII_91:  // [
                open(Bracket::square, 1);
                break;
            case PG_QUERY__TOKEN__CASE:
                open(Bracket::case_end, 2);
                break;
            case PG_QUERY__TOKEN__ASCII_41:      // )
            case PG_QUERY__TOKEN__ASCII_93:      // ]
                if (levels.size() > 1) close();  // unbalanced: the parser reports it
                name_like = true;
                break;
            case PG_QUERY__TOKEN__END_P:
                if (top.bracket == Bracket::case_end) {
                    close();
                } else {
                    ++top.ops;  // END as COMMIT, or unbalanced
                }
                break;
            case PG_QUERY__TOKEN__ASCII_44:  // ,
            case PG_QUERY__TOKEN__ASCII_59:  // ;
                top.list = true;
                top.separate();
                break;
            case PG_QUERY__TOKEN__AND:
                if (top.pending_between > 0) {
                    --top.pending_between;
                    ++top.ops;
                    break;
                }
                top.boolean = true;
                top.separate();
                break;
            case PG_QUERY__TOKEN__OR:
                top.boolean = true;
                top.separate();
                break;
            case PG_QUERY__TOKEN__WHEN:
            case PG_QUERY__TOKEN__THEN:
            case PG_QUERY__TOKEN__ELSE:
                top.separate();
                break;
            case PG_QUERY__TOKEN__BETWEEN:
                ++top.pending_between;
                ++top.ops;
                break;
            case PG_QUERY__TOKEN__SELECT:
            case PG_QUERY__TOKEN__UNION:
            case PG_QUERY__TOKEN__INTERSECT:
            case PG_QUERY__TOKEN__EXCEPT:
            case PG_QUERY__TOKEN__JOIN:
            case PG_QUERY__TOKEN__VALUES:
                ++top.structural;
                break;
            default:
                ++top.ops;
                break;
        }
        after_name = name_like;
        const Level& now = levels.back();
        if (now.path_above + now.depth() > kParseDepthMax) {
            status = SqlError(kStatementTooComplex, "stack depth limit exceeded")
                         .with_hint("expressions may nest at most " +
                                    std::to_string(kParseDepthMax) + " levels deep")
                         .at(converter.position(token.start));
        }
    }
    pg_query__scan_result__free_unpacked(result, nullptr);
    return status;
}

}  // namespace kb::sql::parse_internal
