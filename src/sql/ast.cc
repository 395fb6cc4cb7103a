// The AST's own operations: deep copies, SQL quoting, and printing of expressions and type
// names (statements print in parse_print.cc).
#include "sql/ast.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <string>
#include <type_traits>
#include <unordered_map>

namespace kb::sql::ast {
namespace {

ExprPtr clone_ptr(const ExprPtr& expr) { return expr ? clone(*expr) : ExprPtr(); }

ExprList clone_list(const ExprList& list) {
    ExprList result;
    result.reserve(list.size());
    for (const ExprPtr& expr : list) result.push_back(clone_ptr(expr));
    return result;
}

std::vector<OrderItem> clone_order(const std::vector<OrderItem>& items) {
    std::vector<OrderItem> result;
    result.reserve(items.size());
    for (const OrderItem& item : items) {
        result.push_back(OrderItem{.expr = clone_ptr(item.expr),
                                   .descending = item.descending,
                                   .nulls = item.nulls,
                                   .position = item.position});
    }
    return result;
}

struct Cloner {
    ExprNode operator()(const Literal& n) const { return n; }
    ExprNode operator()(const ColumnRef& n) const { return n; }
    ExprNode operator()(const Param& n) const { return n; }
    ExprNode operator()(const DefaultValue& n) const { return n; }
    ExprNode operator()(const SqlValueFunction& n) const { return n; }
    ExprNode operator()(const Operator& n) const {
        return Operator{.name = n.name, .left = clone_ptr(n.left), .right = clone_ptr(n.right)};
    }
    ExprNode operator()(const BoolExpr& n) const {
        return BoolExpr{.op = n.op, .args = clone_list(n.args)};
    }
    ExprNode operator()(const InList& n) const {
        return InList{.expr = clone_ptr(n.expr), .list = clone_list(n.list), .negated = n.negated};
    }
    ExprNode operator()(const Between& n) const {
        return Between{.expr = clone_ptr(n.expr),
                       .low = clone_ptr(n.low),
                       .high = clone_ptr(n.high),
                       .negated = n.negated,
                       .symmetric = n.symmetric};
    }
    ExprNode operator()(const Like& n) const {
        return Like{.expr = clone_ptr(n.expr),
                    .pattern = clone_ptr(n.pattern),
                    .escape = clone_ptr(n.escape),
                    .negated = n.negated,
                    .case_insensitive = n.case_insensitive};
    }
    ExprNode operator()(const DistinctFrom& n) const {
        return DistinctFrom{
            .left = clone_ptr(n.left), .right = clone_ptr(n.right), .negated = n.negated};
    }
    ExprNode operator()(const NullIf& n) const {
        return NullIf{.left = clone_ptr(n.left), .right = clone_ptr(n.right)};
    }
    ExprNode operator()(const NullTest& n) const {
        return NullTest{.expr = clone_ptr(n.expr), .negated = n.negated};
    }
    ExprNode operator()(const BooleanTest& n) const {
        return BooleanTest{.expr = clone_ptr(n.expr), .kind = n.kind};
    }
    ExprNode operator()(const Case& n) const {
        Case result{.operand = clone_ptr(n.operand), .whens = {}, .else_result = {}};
        for (const CaseWhen& when : n.whens) {
            result.whens.push_back(CaseWhen{.condition = clone_ptr(when.condition),
                                            .result = clone_ptr(when.result),
                                            .position = when.position});
        }
        result.else_result = clone_ptr(n.else_result);
        return result;
    }
    ExprNode operator()(const Coalesce& n) const { return Coalesce{.args = clone_list(n.args)}; }
    ExprNode operator()(const MinMax& n) const {
        return MinMax{.op = n.op, .args = clone_list(n.args)};
    }
    ExprNode operator()(const FuncCall& n) const {
        return FuncCall{.name = n.name,
                        .args = clone_list(n.args),
                        .distinct = n.distinct,
                        .star = n.star,
                        .order_by = clone_order(n.order_by),
                        .sql_syntax = n.sql_syntax};
    }
    ExprNode operator()(const Cast& n) const {
        return Cast{.expr = clone_ptr(n.expr), .type = n.type};
    }
};

bool same(const ExprPtr& a, const ExprPtr& b) {
    if (!a || !b) return !a && !b;
    return equal(*a, *b);
}

bool same(const ExprList& a, const ExprList& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
    }
    return true;
}

bool same(const std::vector<OrderItem>& a, const std::vector<OrderItem>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i].expr, b[i].expr) || a[i].descending != b[i].descending ||
            a[i].nulls != b[i].nulls) {
            return false;
        }
    }
    return true;
}

bool same(const Literal& a, const Literal& b) {
    return a.kind == b.kind && a.boolean == b.boolean && a.integer == b.integer && a.text == b.text;
}
bool same(const ColumnRef& a, const ColumnRef& b) {
    return a.schema == b.schema && a.table == b.table && a.column == b.column && a.star == b.star;
}
bool same(const Param& a, const Param& b) { return a.number == b.number; }
bool same(const DefaultValue&, const DefaultValue&) { return true; }
bool same(const Operator& a, const Operator& b) {
    return a.name == b.name && same(a.left, b.left) && same(a.right, b.right);
}
bool same(const BoolExpr& a, const BoolExpr& b) { return a.op == b.op && same(a.args, b.args); }
bool same(const InList& a, const InList& b) {
    return a.negated == b.negated && same(a.expr, b.expr) && same(a.list, b.list);
}
bool same(const Between& a, const Between& b) {
    return a.negated == b.negated && a.symmetric == b.symmetric && same(a.expr, b.expr) &&
           same(a.low, b.low) && same(a.high, b.high);
}
bool same(const Like& a, const Like& b) {
    return a.negated == b.negated && a.case_insensitive == b.case_insensitive &&
           same(a.expr, b.expr) && same(a.pattern, b.pattern) && same(a.escape, b.escape);
}
bool same(const DistinctFrom& a, const DistinctFrom& b) {
    return a.negated == b.negated && same(a.left, b.left) && same(a.right, b.right);
}
bool same(const NullIf& a, const NullIf& b) {
    return same(a.left, b.left) && same(a.right, b.right);
}
bool same(const NullTest& a, const NullTest& b) {
    return a.negated == b.negated && same(a.expr, b.expr);
}
bool same(const BooleanTest& a, const BooleanTest& b) {
    return a.kind == b.kind && same(a.expr, b.expr);
}
bool same(const Case& a, const Case& b) {
    if (!same(a.operand, b.operand) || !same(a.else_result, b.else_result) ||
        a.whens.size() != b.whens.size()) {
        return false;
    }
    for (size_t i = 0; i < a.whens.size(); ++i) {
        if (!same(a.whens[i].condition, b.whens[i].condition) ||
            !same(a.whens[i].result, b.whens[i].result)) {
            return false;
        }
    }
    return true;
}
bool same(const Coalesce& a, const Coalesce& b) { return same(a.args, b.args); }
bool same(const MinMax& a, const MinMax& b) { return a.op == b.op && same(a.args, b.args); }
bool same(const FuncCall& a, const FuncCall& b) {
    return a.name == b.name && a.distinct == b.distinct && a.star == b.star &&
           a.sql_syntax == b.sql_syntax && same(a.args, b.args) && same(a.order_by, b.order_by);
}
bool same(const Cast& a, const Cast& b) {
    return a.type.type == b.type.type && same(a.expr, b.expr);
}
bool same(const SqlValueFunction& a, const SqlValueFunction& b) {
    return a.kind == b.kind && a.precision == b.precision;
}

// Expression printing. Every composite expression is parenthesized, so precedence never
// matters when the text is parsed again.
class Printer {
public:
    std::string out;

    void expr(const Expr& e) {
        std::visit([this](const auto& node) { print(node); }, e.node);
    }
    void expr(const ExprPtr& e) {
        if (e) expr(*e);
    }
    void list(const ExprList& items) {
        for (size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += ", ";
            expr(items[i]);
        }
    }
    void order(const std::vector<OrderItem>& items) {
        for (size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += ", ";
            expr(items[i].expr);
            if (items[i].descending) out += " DESC";
            if (items[i].nulls == kernel::NullsOrder::first) out += " NULLS FIRST";
            if (items[i].nulls == kernel::NullsOrder::last) out += " NULLS LAST";
        }
    }

private:
    void print(const Literal& n) {
        switch (n.kind) {
            case Literal::Kind::null:
                out += "NULL";
                break;
            case Literal::Kind::boolean:
                out += n.boolean ? "true" : "false";
                break;
            case Literal::Kind::int4:
            case Literal::Kind::int8:
                out += std::to_string(n.integer);
                break;
            case Literal::Kind::numeric:
                out += n.text;
                break;
            case Literal::Kind::string:
                out += quote_literal(n.text);
                break;
        }
    }
    void print(const ColumnRef& n) {
        if (!n.schema.empty()) out += quote_identifier(n.schema) + ".";
        if (!n.table.empty()) out += quote_identifier(n.table) + ".";
        out += n.star ? "*" : quote_identifier(n.column);
    }
    void print(const Param& n) { out += "$" + std::to_string(n.number); }
    void print(const DefaultValue&) { out += "DEFAULT"; }
    void print(const Operator& n) {
        out += "(";
        if (n.left) {
            expr(n.left);
            out += " " + n.name + " ";
        } else if (bare_prefix(n.name)) {
            out += n.name + " ";
        } else {
            // OPERATOR(pg_catalog.*) x: the grammar takes these as prefix operators only in
            // this spelling.
            out += "OPERATOR(pg_catalog." + n.name + ") ";
        }
        expr(n.right);
        out += ")";
    }
    // The grammar's prefix operators are + and - and the scanner's generic operator tokens;
    // these characters and pairs are tokens of their own, usable only between operands.
    static bool bare_prefix(const std::string& name) {
        if (name == "+" || name == "-") return true;
        static constexpr const char* kOwnTokens[] = {"*", "/",  "%",  "^",  "<", ">",
                                                     "=", "<=", ">=", "<>", "!="};
        for (const char* token : kOwnTokens) {
            if (name == token) return false;
        }
        return true;
    }
    void print(const BoolExpr& n) {
        out += "(";
        if (n.op == BoolOp::not_op) {
            out += "NOT ";
            list(n.args);
        } else {
            for (size_t i = 0; i < n.args.size(); ++i) {
                if (i > 0) out += n.op == BoolOp::and_op ? " AND " : " OR ";
                expr(n.args[i]);
            }
        }
        out += ")";
    }
    void print(const InList& n) {
        out += "(";
        expr(n.expr);
        out += n.negated ? " NOT IN (" : " IN (";
        list(n.list);
        out += "))";
    }
    void print(const Between& n) {
        out += "(";
        expr(n.expr);
        out += n.negated ? " NOT BETWEEN " : " BETWEEN ";
        if (n.symmetric) out += "SYMMETRIC ";
        expr(n.low);
        out += " AND ";
        expr(n.high);
        out += ")";
    }
    void print(const Like& n) {
        out += "(";
        expr(n.expr);
        out += n.negated ? " NOT " : " ";
        out += n.case_insensitive ? "ILIKE " : "LIKE ";
        expr(n.pattern);
        if (n.escape) {
            out += " ESCAPE ";
            expr(n.escape);
        }
        out += ")";
    }
    void print(const DistinctFrom& n) {
        out += "(";
        expr(n.left);
        out += n.negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ";
        expr(n.right);
        out += ")";
    }
    void print(const NullIf& n) {
        out += "NULLIF(";
        expr(n.left);
        out += ", ";
        expr(n.right);
        out += ")";
    }
    void print(const NullTest& n) {
        out += "(";
        expr(n.expr);
        out += n.negated ? " IS NOT NULL)" : " IS NULL)";
    }
    void print(const BooleanTest& n) {
        static constexpr const char* kTests[] = {" IS TRUE",    " IS NOT TRUE",
                                                 " IS FALSE",   " IS NOT FALSE",
                                                 " IS UNKNOWN", " IS NOT UNKNOWN"};
        out += "(";
        expr(n.expr);
        out += kTests[static_cast<int>(n.kind)];
        out += ")";
    }
    void print(const Case& n) {
        out += "CASE";
        if (n.operand) {
            out += " ";
            expr(n.operand);
        }
        for (const CaseWhen& when : n.whens) {
            out += " WHEN ";
            expr(when.condition);
            out += " THEN ";
            expr(when.result);
        }
        if (n.else_result) {
            out += " ELSE ";
            expr(n.else_result);
        }
        out += " END";
    }
    void print(const Coalesce& n) {
        out += "COALESCE(";
        list(n.args);
        out += ")";
    }
    void print(const MinMax& n) {
        out += n.op == MinMaxOp::greatest ? "GREATEST(" : "LEAST(";
        list(n.args);
        out += ")";
    }
    // PostgreSQL's special call syntaxes, printed back as written so the reparse marks them
    // sql_syntax again. False when the call is not one of them.
    bool special_syntax(const FuncCall& n) {
        const ExprList& a = n.args;
        if (n.name == "substring" && (a.size() == 2 || a.size() == 3)) {
            out += "substring(";
            expr(a[0]);
            out += " FROM ";
            expr(a[1]);
            if (a.size() == 3) {
                out += " FOR ";
                expr(a[2]);
            }
            out += ")";
            return true;
        }
        if (n.name == "position" && a.size() == 2) {
            out += "position(";
            expr(a[1]);
            out += " IN ";
            expr(a[0]);
            out += ")";
            return true;
        }
        if ((n.name == "btrim" || n.name == "ltrim" || n.name == "rtrim") && !a.empty()) {
            out += n.name == "btrim"   ? "trim(BOTH "
                   : n.name == "ltrim" ? "trim(LEADING "
                                       : "trim(TRAILING ";
            // trim(BOTH c FROM s) is btrim(s, c); trim(BOTH FROM s) is btrim(s).
            size_t sources = a.size() == 1 ? 1 : a.size() - 1;
            if (a.size() > 1) {
                expr(a.back());
                out += " ";
            }
            out += "FROM ";
            for (size_t i = 0; i < sources; ++i) {
                if (i > 0) out += ", ";
                expr(a[i]);
            }
            out += ")";
            return true;
        }
        if (n.name == "extract" && a.size() == 2 && a[0]->is<Literal>() &&
            a[0]->as<Literal>()->kind == Literal::Kind::string) {
            out += "extract(";
            expr(a[0]);
            out += " FROM ";
            expr(a[1]);
            out += ")";
            return true;
        }
        if (n.name == "overlay" && (a.size() == 3 || a.size() == 4)) {
            out += "overlay(";
            expr(a[0]);
            out += " PLACING ";
            expr(a[1]);
            out += " FROM ";
            expr(a[2]);
            if (a.size() == 4) {
                out += " FOR ";
                expr(a[3]);
            }
            out += ")";
            return true;
        }
        if (n.name == "timezone" && a.size() == 2) {
            out += "(";
            expr(a[1]);
            out += " AT TIME ZONE ";
            expr(a[0]);
            out += ")";
            return true;
        }
        return false;
    }
    void print(const FuncCall& n) {
        if (n.sql_syntax && n.order_by.empty() && !n.distinct && !n.star && special_syntax(n)) {
            return;
        }
        // Other special syntaxes (normalize, IS NORMALIZED, ...) print as plain calls.
        if (n.sql_syntax) out += "pg_catalog.";
        out += quote_identifier(n.name) + "(";
        if (n.star) {
            out += "*";
        } else {
            if (n.distinct) out += "DISTINCT ";
            list(n.args);
        }
        if (!n.order_by.empty()) {
            out += " ORDER BY ";
            order(n.order_by);
        }
        out += ")";
    }
    void print(const Cast& n) {
        out += "CAST(";
        expr(n.expr);
        out += " AS " + to_sql(n.type) + ")";
    }
    void print(const SqlValueFunction& n) {
        static constexpr const char* kNames[] = {
            "CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP",  "CURRENT_ROLE",  "CURRENT_USER",
            "USER",         "SESSION_USER",      "CURRENT_CATALOG", "CURRENT_SCHEMA"};
        out += kNames[static_cast<int>(n.kind)];
        if (n.precision >= 0) out += "(" + std::to_string(n.precision) + ")";
    }
};

}  // namespace

ExprPtr clone(const Expr& expr) {
    return make_expr(std::visit(Cloner{}, expr.node), expr.position);
}

bool equal(const Expr& a, const Expr& b) {
    if (a.node.index() != b.node.index()) return false;
    return std::visit(
        [&b](const auto& node) {
            using Node = std::decay_t<decltype(node)>;
            return same(node, std::get<Node>(b.node));
        },
        a.node);
}

std::string to_sql(const Expr& expr) {
    Printer printer;
    printer.expr(expr);
    return std::move(printer.out);
}

std::string to_sql(const TypeName& type) {
    const kernel::ColumnType& t = type.type;
    switch (t.type) {
        case kernel::SqlType::numeric:
            if (t.precision == 0) return "numeric";
            return "numeric(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
        case kernel::SqlType::varchar:
            if (t.length == 0) return "character varying";
            return "character varying(" + std::to_string(t.length) + ")";
        case kernel::SqlType::character:
            if (t.length == 0) return "bpchar";
            return "character(" + std::to_string(t.length) + ")";
        default:
            return std::string(kernel::sql_type_name(t.type));
    }
}

namespace {

// Whether PostgreSQL's scanner reads `word` (lowercase letters, digits, underscores) as a plain
// identifier or an unreserved keyword, which need no quotes. The keyword table is libpg_query's
// own, reached through its scanner (~2 us a call), so answers are cached per thread: the binder
// prints expressions while it binds.
bool plain_word(const std::string& word) {
    thread_local std::unordered_map<std::string, bool> cache;
    if (auto found = cache.find(word); found != cache.end()) return found->second;
    bool plain = false;
    PgQueryScanResult scan = pg_query_scan(word.c_str());
    if (scan.error == nullptr) {
        PgQuery__ScanResult* result = pg_query__scan_result__unpack(
            nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
        if (result != nullptr) {
            plain = result->n_tokens == 1 &&
                    (result->tokens[0]->keyword_kind == PG_QUERY__KEYWORD_KIND__NO_KEYWORD ||
                     result->tokens[0]->keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD);
            pg_query__scan_result__free_unpacked(result, nullptr);
        }
    }
    pg_query_free_scan_result(scan);
    constexpr size_t kCacheEntriesMax = 4096;  // names in use are few; forget when it grows
    if (cache.size() >= kCacheEntriesMax) cache.clear();
    cache.emplace(word, plain);
    return plain;
}

}  // namespace

std::string quote_identifier(std::string_view identifier) {
    // Safe unquoted: lowercase letters, digits and underscores, not starting with a digit,
    // and not a keyword (unreserved keywords excepted), as PostgreSQL's quote_identifier.
    bool safe = !identifier.empty() &&
                ((identifier[0] >= 'a' && identifier[0] <= 'z') || identifier[0] == '_');
    for (char c : identifier) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) safe = false;
    }
    if (safe && plain_word(std::string(identifier))) return std::string(identifier);
    std::string quoted = "\"";
    for (char c : identifier) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

std::string quote_literal(std::string_view text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') quoted += '\'';
        quoted += c;
    }
    quoted += '\'';
    return quoted;
}

}  // namespace kb::sql::ast
