// SELECT, and the pieces other statements share with it: select lists (also RETURNING), table
// references, ORDER BY items, SET clauses and name lists.
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {

SqlResult<ast::SelectStatement> Converter::select(const PgQuery__SelectStmt& s, int32_t location) {
    switch (s.op) {
        case PG_QUERY__SET_OPERATION__SETOP_UNION:
            return unsupported("UNION", location);
        case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
            return unsupported("INTERSECT", location);
        case PG_QUERY__SET_OPERATION__SETOP_EXCEPT:
            return unsupported("EXCEPT", location);
        default:
            break;
    }
    if (s.with_clause != nullptr) {
        return unsupported("WITH (common table expressions)", s.with_clause->location);
    }
    if (s.into_clause != nullptr) return unsupported("SELECT INTO", location);
    if (s.n_values_lists > 0) {
        return unsupported("VALUES outside INSERT", location_of(s.values_lists[0]));
    }
    if (s.n_window_clause > 0) return unsupported("WINDOW", location);
    if (s.n_locking_clause > 0) return unsupported("FOR UPDATE / FOR SHARE", location);
    if (s.group_distinct) return unsupported("GROUP BY DISTINCT", location);
    if (s.limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES) {
        return unsupported("FETCH FIRST ... WITH TIES", location_of(s.limit_count));
    }

    ast::SelectStatement result;
    if (s.n_distinct_clause > 0) {
        // DISTINCT is a list holding one empty node; DISTINCT ON lists its expressions.
        const PgQuery__Node* first = s.distinct_clause[0];
        if (s.n_distinct_clause == 1 &&
            (first == nullptr || first->node_case == PG_QUERY__NODE__NODE__NOT_SET)) {
            result.distinct = true;
        } else {
            return unsupported("DISTINCT ON", location_of(first));
        }
    }
    result.targets = KB_SQL_TRY(select_items({s.target_list, s.n_target_list}, location));

    if (s.n_from_clause > 1) {
        return unsupported("joins (more than one table in FROM)", location_of(s.from_clause[1]));
    }
    if (s.n_from_clause == 1) {
        const PgQuery__Node* item = s.from_clause[0];
        if (item == nullptr) return malformed("FROM item");
        switch (item->node_case) {
            case PG_QUERY__NODE__NODE_RANGE_VAR:
                result.from = KB_SQL_TRY(table_ref(item->range_var, location, true));
                break;
            case PG_QUERY__NODE__NODE_JOIN_EXPR:
                return unsupported("joins", location_of(item));
            case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
                return unsupported("subqueries in FROM", location_of(item));
            case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
                return unsupported("functions in FROM", location_of(item));
            case PG_QUERY__NODE__NODE_RANGE_TABLE_SAMPLE:
                return unsupported("TABLESAMPLE", location_of(item));
            default:
                return unsupported("this kind of FROM item", location_of(item));
        }
    }

    result.where = KB_SQL_TRY(optional_expr(s.where_clause));
    for (const PgQuery__Node* item : NodeList{s.group_clause, s.n_group_clause}) {
        if (item != nullptr && item->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
            return unsupported("GROUPING SETS, ROLLUP and CUBE", item->grouping_set->location);
        }
        result.group_by.push_back(KB_SQL_TRY(expr(item)));
    }
    result.having = KB_SQL_TRY(optional_expr(s.having_clause));
    result.order_by = KB_SQL_TRY(order_items({s.sort_clause, s.n_sort_clause}));
    result.limit = KB_SQL_TRY(optional_expr(s.limit_count));
    result.offset = KB_SQL_TRY(optional_expr(s.limit_offset));
    return result;
}

SqlResult<ast::TableRef> Converter::table_ref(const PgQuery__RangeVar* range, int32_t location,
                                              bool alias_allowed) {
    if (range == nullptr) return malformed("table name");
    int32_t at = range->location >= 0 ? range->location : location;
    if (range->catalogname != nullptr && range->catalogname[0] != '\0') {
        return unsupported("cross-database references", at);
    }
    ast::TableRef result;
    if (range->schemaname != nullptr) result.schema = range->schemaname;
    if (range->relname != nullptr) result.name = range->relname;
    result.position = range->location >= 0 ? position(range->location) : 0;
    if (range->alias != nullptr) {
        if (!alias_allowed) return malformed("alias on this table name");
        if (range->alias->n_colnames > 0) return unsupported("column aliases in FROM", at);
        if (range->alias->aliasname != nullptr) result.alias = range->alias->aliasname;
    }
    return result;
}

SqlResult<std::vector<ast::SelectItem>> Converter::select_items(NodeList targets,
                                                                int32_t location) {
    std::vector<ast::SelectItem> result;
    result.reserve(targets.size);
    for (const PgQuery__Node* node : targets) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_RES_TARGET) {
            return malformed("select list item");
        }
        const PgQuery__ResTarget& target = *node->res_target;
        if (target.n_indirection > 0) return malformed("select list indirection");
        ast::SelectItem item;
        // * and t.* are allowed here (and only here): column_ref() keeps the star.
        const PgQuery__Node* val = target.val;
        if (val != nullptr && val->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
            item.expr = KB_SQL_TRY(column_ref(*val->column_ref));
        } else {
            item.expr = KB_SQL_TRY(expr(val));
        }
        if (target.name != nullptr) item.alias = target.name;
        item.position = position(target.location >= 0 ? target.location : location);
        result.push_back(std::move(item));
    }
    return result;
}

SqlResult<std::vector<ast::OrderItem>> Converter::order_items(NodeList sort) {
    std::vector<ast::OrderItem> result;
    result.reserve(sort.size);
    for (const PgQuery__Node* node : sort) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_SORT_BY) {
            return malformed("ORDER BY item");
        }
        const PgQuery__SortBy& by = *node->sort_by;
        if (by.sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING || by.n_use_op > 0) {
            return unsupported("ORDER BY ... USING", by.location);
        }
        ast::OrderItem item;
        item.expr = KB_SQL_TRY(expr(by.node));
        item.descending = by.sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
        if (by.sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST) {
            item.nulls = kernel::NullsOrder::first;
        } else if (by.sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST) {
            item.nulls = kernel::NullsOrder::last;
        }
        item.position = item.expr->position;
        result.push_back(std::move(item));
    }
    return result;
}

SqlResult<std::vector<ast::SetClause>> Converter::set_clauses(NodeList targets, int32_t location) {
    std::vector<ast::SetClause> result;
    result.reserve(targets.size);
    for (const PgQuery__Node* node : targets) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_RES_TARGET) {
            return malformed("SET item");
        }
        const PgQuery__ResTarget& target = *node->res_target;
        int32_t at = target.location >= 0 ? target.location : location;
        if (target.val != nullptr &&
            target.val->node_case == PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF) {
            return unsupported("multiple-column assignment (SET (a, b) = ...)", at);
        }
        if (target.n_indirection > 0) {
            return unsupported("assignment to array elements or fields", at);
        }
        if (target.name == nullptr) return malformed("SET target name");
        ast::SetClause clause;
        clause.column = target.name;
        clause.value = KB_SQL_TRY(value(target.val));
        clause.position = position(at);
        result.push_back(std::move(clause));
    }
    return result;
}

SqlResult<std::vector<ast::NameRef>> Converter::name_list(NodeList names, int32_t location) {
    std::vector<ast::NameRef> result;
    result.reserve(names.size);
    for (const PgQuery__Node* node : names) {
        const char* name = string_of(node);
        if (name == nullptr) return malformed("name list");
        result.push_back(ast::NameRef{.name = name, .position = position(location)});
    }
    return result;
}

}  // namespace kb::sql::parse_internal
