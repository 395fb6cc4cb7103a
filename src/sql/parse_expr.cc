// Expressions: libpg_query's raw expression nodes (A_Const, ColumnRef, A_Expr, FuncCall, ...)
// to ast::Expr. Every node kind outside issue 5 is refused with 0A000 at its position.
#include <charconv>
#include <cstring>
#include <string>

#include "sql/parse.h"
#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

// Depth guard behind the token estimate (parse.cc): the converter itself recurses per level.
class DepthGuard {
public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool exceeded() const { return *depth_ > 4 * kParseDepthMax; }

private:
    int* depth_;
};

// The name of a single-name or pg_catalog-qualified list (operators, functions); nullptr for
// anything else. `qualified` tells whether a schema other than pg_catalog was named.
const char* catalog_name(PgQuery__Node* const* names, size_t count, bool* qualified) {
    *qualified = false;
    if (count == 1) return string_of(names[0]);
    if (count == 2) {
        const char* schema = string_of(names[0]);
        if (schema != nullptr && std::strcmp(schema, "pg_catalog") == 0) {
            return string_of(names[1]);
        }
    }
    *qualified = true;
    return nullptr;
}

// An integer literal text ("-12", "2147483648") as i64, or false when it is not one that fits.
bool parse_int64(const char* text, i64* out) {
    const char* end = text + std::strlen(text);
    if (text == end) return false;
    auto [rest, error] = std::from_chars(text, end, *out);
    return error == std::errc() && rest == end;
}

}  // namespace

// expr() and expr_node() are on every level of the recursion: they keep no temporaries of
// their own (errors are built in the cold functions below), and every kind is converted in its
// own function so a level's frame holds only that kind's temporaries. Under AddressSanitizer
// that is the difference between ~1 KiB and ~8 KiB of stack per level.
SqlResult<ast::ExprPtr> Converter::expr(const PgQuery__Node* node) {
    if (node == nullptr || node->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT) [[unlikely]] {
        return expr_refused(node);
    }
    return expr_node(*node);
}

[[gnu::noinline, gnu::cold]] SqlResult<ast::ExprPtr> Converter::expr_refused(
    const PgQuery__Node* node) {
    if (node == nullptr) return malformed("missing expression");
    return error(sqlstate::kSyntaxError, "DEFAULT is not allowed in this context",
                 node->set_to_default->location);
}

SqlResult<ast::ExprPtr> Converter::value(const PgQuery__Node* node) {
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT) {
        return ast::make_expr(ast::DefaultValue{}, position(node->set_to_default->location));
    }
    return expr(node);
}

SqlResult<ast::ExprPtr> Converter::optional_expr(const PgQuery__Node* node) {
    if (node == nullptr) return ast::ExprPtr();
    return expr(node);
}

SqlResult<ast::ExprList> Converter::expr_list(NodeList nodes) {
    ast::ExprList result;
    result.reserve(nodes.size);
    for (const PgQuery__Node* node : nodes) result.push_back(KB_SQL_TRY(expr(node)));
    return result;
}

SqlResult<ast::ExprPtr> Converter::expr_node(const PgQuery__Node& node) {
    DepthGuard guard(&depth_);
    if (guard.exceeded()) [[unlikely]] {
        return too_deep();
    }
    switch (node.node_case) {
        case PG_QUERY__NODE__NODE_A_CONST:
            return constant(*node.a_const);
        case PG_QUERY__NODE__NODE_COLUMN_REF:
            return column_value(*node.column_ref);
        case PG_QUERY__NODE__NODE_PARAM_REF:
            return param_ref(*node.param_ref);
        case PG_QUERY__NODE__NODE_A_EXPR:
            return a_expr(*node.a_expr);
        case PG_QUERY__NODE__NODE_BOOL_EXPR:
            return bool_expr(*node.bool_expr);
        case PG_QUERY__NODE__NODE_FUNC_CALL:
            return func_call(*node.func_call);
        case PG_QUERY__NODE__NODE_TYPE_CAST:
            return type_cast(*node.type_cast);
        case PG_QUERY__NODE__NODE_NULL_TEST:
            return null_test(*node.null_test);
        case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
            return boolean_test(*node.boolean_test);
        case PG_QUERY__NODE__NODE_CASE_EXPR:
            return case_expr(*node.case_expr);
        case PG_QUERY__NODE__NODE_COALESCE_EXPR:
            return coalesce(*node.coalesce_expr);
        case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
            return min_max(*node.min_max_expr);
        case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
            return sql_value_function(*node.sqlvalue_function);
        default:
            return expr_unsupported(node);
    }
}

[[gnu::noinline, gnu::cold]] SqlResult<ast::ExprPtr> Converter::too_deep() {
    return SqlError(kStatementTooComplex, "stack depth limit exceeded");
}

[[gnu::noinline, gnu::cold]] SqlResult<ast::ExprPtr> Converter::expr_unsupported(
    const PgQuery__Node& node) {
    switch (node.node_case) {
        case PG_QUERY__NODE__NODE_SUB_LINK:
            return unsupported("subqueries", node.sub_link->location);
        case PG_QUERY__NODE__NODE_A_INDIRECTION:
            return unsupported("array subscripts and field selection",
                               location_of(node.a_indirection->arg));
        case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
            return unsupported("arrays", node.a_array_expr->location);
        case PG_QUERY__NODE__NODE_ROW_EXPR:
            return unsupported("row constructors", node.row_expr->location);
        case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
            return unsupported("COLLATE", node.collate_clause->location);
        case PG_QUERY__NODE__NODE_GROUPING_FUNC:
            return unsupported("GROUPING", node.grouping_func->location);
        case PG_QUERY__NODE__NODE_XML_EXPR:
        case PG_QUERY__NODE__NODE_XML_SERIALIZE:
            return unsupported("XML functions", -1);
        case PG_QUERY__NODE__NODE_CURRENT_OF_EXPR:
            return unsupported("WHERE CURRENT OF", -1);
        case PG_QUERY__NODE__NODE_NAMED_ARG_EXPR:
            return unsupported("named function arguments", node.named_arg_expr->location);
        case PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF:
            return unsupported("multiple-column assignment", -1);
        default:
            return unsupported("this kind of expression", -1);
    }
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::column_value(const PgQuery__ColumnRef& ref) {
    ast::ExprPtr result = KB_SQL_TRY(column_ref(ref));
    // * and t.* only stand alone in select lists (select_items()); elsewhere they are
    // whole-row values.
    if (result->as<ast::ColumnRef>()->star) {
        return unsupported("whole-row references (*)", ref.location);
    }
    return result;
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::param_ref(const PgQuery__ParamRef& ref) {
    // $0, and numbers the scanner overflowed into negatives, name no parameter.
    if (ref.number < 1) {
        return error(sqlstate::kUndefinedParameter,
                     "there is no parameter $" + std::to_string(ref.number), ref.location);
    }
    return ast::make_expr(ast::Param{.number = ref.number}, position(ref.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::bool_expr(const PgQuery__BoolExpr& b) {
    ast::BoolOp op = ast::BoolOp::and_op;
    if (b.boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR) op = ast::BoolOp::or_op;
    if (b.boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) op = ast::BoolOp::not_op;
    ast::ExprList args = KB_SQL_TRY(expr_list({b.args, b.n_args}));
    if (args.empty() || (op == ast::BoolOp::not_op && args.size() != 1)) {
        return malformed("boolean expression arity");
    }
    return ast::make_expr(ast::BoolExpr{.op = op, .args = std::move(args)}, position(b.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::type_cast(const PgQuery__TypeCast& cast) {
    ast::ExprPtr arg = KB_SQL_TRY(expr(cast.arg));
    ast::TypeName type = KB_SQL_TRY(type_name(cast.type_name, TypeContext::cast, nullptr));
    // A typed literal (date '2024-01-01') has no cast location: PostgreSQL points at the type
    // name then.
    int at = cast.location >= 0 ? position(cast.location) : type.position;
    return ast::make_expr(ast::Cast{.expr = std::move(arg), .type = type}, at);
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::null_test(const PgQuery__NullTest& test) {
    ast::ExprPtr arg = KB_SQL_TRY(expr(test.arg));
    bool negated = test.nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
    return ast::make_expr(ast::NullTest{.expr = std::move(arg), .negated = negated},
                          position(test.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::boolean_test(
    const PgQuery__BooleanTest& test) {
    ast::BooleanTestKind kind = ast::BooleanTestKind::is_true;
    switch (test.booltesttype) {
        case PG_QUERY__BOOL_TEST_TYPE__IS_TRUE:
            kind = ast::BooleanTestKind::is_true;
            break;
        case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_TRUE:
            kind = ast::BooleanTestKind::is_not_true;
            break;
        case PG_QUERY__BOOL_TEST_TYPE__IS_FALSE:
            kind = ast::BooleanTestKind::is_false;
            break;
        case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_FALSE:
            kind = ast::BooleanTestKind::is_not_false;
            break;
        case PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN:
            kind = ast::BooleanTestKind::is_unknown;
            break;
        case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_UNKNOWN:
            kind = ast::BooleanTestKind::is_not_unknown;
            break;
        default:
            return malformed("boolean test kind");
    }
    ast::ExprPtr arg = KB_SQL_TRY(expr(test.arg));
    return ast::make_expr(ast::BooleanTest{.expr = std::move(arg), .kind = kind},
                          position(test.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::coalesce(const PgQuery__CoalesceExpr& c) {
    ast::ExprList args = KB_SQL_TRY(expr_list({c.args, c.n_args}));
    return ast::make_expr(ast::Coalesce{.args = std::move(args)}, position(c.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::min_max(const PgQuery__MinMaxExpr& m) {
    ast::ExprList args = KB_SQL_TRY(expr_list({m.args, m.n_args}));
    ast::MinMaxOp op =
        m.op == PG_QUERY__MIN_MAX_OP__IS_LEAST ? ast::MinMaxOp::least : ast::MinMaxOp::greatest;
    return ast::make_expr(ast::MinMax{.op = op, .args = std::move(args)}, position(m.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::constant(const PgQuery__AConst& constant) {
    int at = position(constant.location);
    ast::Literal literal;
    if (constant.isnull) return ast::make_expr(literal, at);
    switch (constant.val_case) {
        case PG_QUERY__A__CONST__VAL_IVAL:
            literal.kind = ast::Literal::Kind::int4;
            literal.integer = constant.ival->ival;
            break;
        case PG_QUERY__A__CONST__VAL_FVAL: {
            // The scanner makes a "float" of any number that does not fit in 32 bits;
            // PostgreSQL (make_const) types it int4 if it fits after all (a negated
            // -2147483648), int8 if it fits in 64 bits, numeric otherwise.
            const char* text = constant.fval->fval;
            i64 value = 0;
            if (parse_int64(text, &value)) {
                bool fits32 = value >= INT32_MIN && value <= INT32_MAX;
                literal.kind = fits32 ? ast::Literal::Kind::int4 : ast::Literal::Kind::int8;
                literal.integer = value;
            } else {
                literal.kind = ast::Literal::Kind::numeric;
                literal.text = text;
            }
            break;
        }
        case PG_QUERY__A__CONST__VAL_BOOLVAL:
            literal.kind = ast::Literal::Kind::boolean;
            literal.boolean = constant.boolval->boolval;
            break;
        case PG_QUERY__A__CONST__VAL_SVAL:
            literal.kind = ast::Literal::Kind::string;
            literal.text = constant.sval->sval;
            break;
        case PG_QUERY__A__CONST__VAL_BSVAL:
            return unsupported("bit string constants", constant.location);
        default:
            return malformed("constant");
    }
    return ast::make_expr(std::move(literal), at);
}

SqlResult<ast::ExprPtr> Converter::column_ref(const PgQuery__ColumnRef& ref) {
    ast::ColumnRef result;
    size_t count = ref.n_fields;
    if (count == 0) return malformed("column reference");
    if (count > 3) return unsupported("cross-database references", ref.location);
    const PgQuery__Node* last = ref.fields[count - 1];
    if (last != nullptr && last->node_case == PG_QUERY__NODE__NODE_A_STAR) {
        result.star = true;
    } else {
        const char* name = string_of(last);
        if (name == nullptr) return malformed("column reference field");
        result.column = name;
    }
    std::string* qualifiers[] = {&result.schema, &result.table};
    for (size_t i = 0; i + 1 < count; ++i) {
        const char* name = string_of(ref.fields[i]);
        if (name == nullptr) return unsupported("this kind of column reference", ref.location);
        *qualifiers[2 - (count - 1) + i] = name;
    }
    return ast::make_expr(std::move(result), position(ref.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::a_expr(const PgQuery__AExpr& e) {
    bool qualified = false;
    const char* name = catalog_name(e.name, e.n_name, &qualified);
    if (qualified) return unsupported("schema-qualified operators", e.location);
    if (name == nullptr) return malformed("operator name");
    switch (e.kind) {
        case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
            return operator_expr(e, name);
        case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
        case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
            return unsupported("ANY/ALL (array)", e.location);
        case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
        case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
            return distinct_from(e);
        case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
            return null_if(e);
        case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
            // IN is "=", NOT IN is "<>".
            return in_list(e, std::strcmp(name, "<>") == 0);
        case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
        case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
            // ~~ / ~~*, and !~~ / !~~* for NOT.
            return like(e, name[0] == '!');
        case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:
            return unsupported("SIMILAR TO", e.location);
        case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
        case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
        case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
        case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
            return between(e);
        default:
            return malformed("operator kind");
    }
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::operator_expr(const PgQuery__AExpr& e,
                                                                   const char* name) {
    ast::ExprPtr left = KB_SQL_TRY(optional_expr(e.lexpr));
    ast::ExprPtr right = KB_SQL_TRY(expr(e.rexpr));
    return ast::make_expr(
        ast::Operator{.name = name, .left = std::move(left), .right = std::move(right)},
        position(e.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::distinct_from(const PgQuery__AExpr& e) {
    ast::ExprPtr left = KB_SQL_TRY(expr(e.lexpr));
    ast::ExprPtr right = KB_SQL_TRY(expr(e.rexpr));
    bool negated = e.kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT;
    return ast::make_expr(
        ast::DistinctFrom{.left = std::move(left), .right = std::move(right), .negated = negated},
        position(e.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::null_if(const PgQuery__AExpr& e) {
    ast::ExprPtr left = KB_SQL_TRY(expr(e.lexpr));
    ast::ExprPtr right = KB_SQL_TRY(expr(e.rexpr));
    return ast::make_expr(ast::NullIf{.left = std::move(left), .right = std::move(right)},
                          position(e.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::in_list(const PgQuery__AExpr& e,
                                                             bool negated) {
    if (e.rexpr == nullptr || e.rexpr->node_case != PG_QUERY__NODE__NODE_LIST) {
        return malformed("IN list");
    }
    ast::ExprPtr left = KB_SQL_TRY(expr(e.lexpr));
    ast::ExprList list = KB_SQL_TRY(expr_list({e.rexpr->list->items, e.rexpr->list->n_items}));
    return ast::make_expr(
        ast::InList{.expr = std::move(left), .list = std::move(list), .negated = negated},
        position(e.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::like(const PgQuery__AExpr& e, bool negated) {
    ast::ExprPtr left = KB_SQL_TRY(expr(e.lexpr));
    ast::ExprPtr pattern;
    ast::ExprPtr escape;
    // `x LIKE p ESCAPE e` arrives as x ~~ pg_catalog.like_escape(p, e).
    const PgQuery__Node* right = e.rexpr;
    if (right != nullptr && right->node_case == PG_QUERY__NODE__NODE_FUNC_CALL &&
        right->func_call->n_args == 2 && right->func_call->n_funcname == 2) {
        bool other = false;
        const char* function =
            catalog_name(right->func_call->funcname, right->func_call->n_funcname, &other);
        if (!other && function != nullptr && std::strcmp(function, "like_escape") == 0) {
            pattern = KB_SQL_TRY(expr(right->func_call->args[0]));
            escape = KB_SQL_TRY(expr(right->func_call->args[1]));
        }
    }
    if (!pattern) pattern = KB_SQL_TRY(expr(right));
    return ast::make_expr(
        ast::Like{.expr = std::move(left),
                  .pattern = std::move(pattern),
                  .escape = std::move(escape),
                  .negated = negated,
                  .case_insensitive = e.kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE},
        position(e.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::between(const PgQuery__AExpr& e) {
    if (e.rexpr == nullptr || e.rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
        e.rexpr->list->n_items != 2) {
        return malformed("BETWEEN bounds");
    }
    ast::ExprPtr left = KB_SQL_TRY(expr(e.lexpr));
    ast::ExprPtr low = KB_SQL_TRY(expr(e.rexpr->list->items[0]));
    ast::ExprPtr high = KB_SQL_TRY(expr(e.rexpr->list->items[1]));
    bool negated = e.kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN ||
                   e.kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
    bool symmetric = e.kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM ||
                     e.kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
    return ast::make_expr(ast::Between{.expr = std::move(left),
                                       .low = std::move(low),
                                       .high = std::move(high),
                                       .negated = negated,
                                       .symmetric = symmetric},
                          position(e.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::func_call(const PgQuery__FuncCall& call) {
    bool qualified = false;
    const char* name = catalog_name(call.funcname, call.n_funcname, &qualified);
    if (qualified) return unsupported("schema-qualified function names", call.location);
    if (name == nullptr) return malformed("function name");
    if (call.over != nullptr) return unsupported("window functions", call.location);
    if (call.agg_filter != nullptr) return unsupported("FILTER", call.location);
    if (call.agg_within_group) return unsupported("WITHIN GROUP", call.location);
    if (call.func_variadic) return unsupported("VARIADIC", call.location);
    ast::FuncCall result{.name = name};
    result.args = KB_SQL_TRY(expr_list({call.args, call.n_args}));
    result.distinct = call.agg_distinct;
    result.star = call.agg_star;
    result.order_by = KB_SQL_TRY(order_items({call.agg_order, call.n_agg_order}));
    result.sql_syntax = call.funcformat == PG_QUERY__COERCION_FORM__COERCE_SQL_SYNTAX;
    return ast::make_expr(std::move(result), position(call.location));
}

[[gnu::noinline]] SqlResult<ast::ExprPtr> Converter::case_expr(const PgQuery__CaseExpr& c) {
    ast::Case result;
    result.operand = KB_SQL_TRY(optional_expr(c.arg));
    for (const PgQuery__Node* node : NodeList{c.args, c.n_args}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_CASE_WHEN) {
            return malformed("CASE arm");
        }
        const PgQuery__CaseWhen& when = *node->case_when;
        ast::ExprPtr condition = KB_SQL_TRY(expr(when.expr));
        ast::ExprPtr value = KB_SQL_TRY(expr(when.result));
        result.whens.push_back(ast::CaseWhen{.condition = std::move(condition),
                                             .result = std::move(value),
                                             .position = position(when.location)});
    }
    if (result.whens.empty()) return malformed("CASE without WHEN");
    result.else_result = KB_SQL_TRY(optional_expr(c.defresult));
    return ast::make_expr(std::move(result), position(c.location));
}

SqlResult<ast::ExprPtr> Converter::sql_value_function(const PgQuery__SQLValueFunction& f) {
    ast::SqlValueFunction result;
    switch (f.op) {
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
            result.kind = ast::SqlValueKind::current_date;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
            result.kind = ast::SqlValueKind::current_timestamp;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
            result.kind = ast::SqlValueKind::localtimestamp;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME:
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME_N:
            return unsupported("CURRENT_TIME (type time with time zone)", f.location);
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME:
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME_N:
            return unsupported("LOCALTIME (type time)", f.location);
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
            result.kind = ast::SqlValueKind::current_role;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
            result.kind = ast::SqlValueKind::current_user;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
            result.kind = ast::SqlValueKind::user;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
            result.kind = ast::SqlValueKind::session_user;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
            result.kind = ast::SqlValueKind::current_catalog;
            break;
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
            result.kind = ast::SqlValueKind::current_schema;
            break;
        default:
            return malformed("SQL value function");
    }
    if (f.op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N ||
        f.op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N) {
        result.precision = f.typmod;
    }
    return ast::make_expr(result, position(f.location));
}

}  // namespace kb::sql::parse_internal
