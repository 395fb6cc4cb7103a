// INSERT (VALUES rows, INSERT ... SELECT, DEFAULT VALUES, ON CONFLICT), UPDATE and DELETE.
#include <memory>
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {

SqlResult<std::vector<ast::ExprList>> Converter::values_rows(NodeList rows, int32_t location) {
    std::vector<ast::ExprList> result;
    result.reserve(rows.size);
    for (const PgQuery__Node* row : rows) {
        if (row == nullptr || row->node_case != PG_QUERY__NODE__NODE_LIST) {
            return malformed("VALUES row");
        }
        ast::ExprList values;
        values.reserve(row->list->n_items);
        for (const PgQuery__Node* item : NodeList{row->list->items, row->list->n_items}) {
            values.push_back(KB_SQL_TRY(value(item)));
        }
        if (!result.empty() && values.size() != result.front().size()) {
            int32_t at = location_of(row);
            return error(sqlstate::kSyntaxError, "VALUES lists must all be the same length",
                         at >= 0 ? at : location);
        }
        result.push_back(std::move(values));
    }
    return result;
}

SqlResult<ast::InsertStatement> Converter::insert(const PgQuery__InsertStmt& s, int32_t location) {
    if (s.with_clause != nullptr) {
        return unsupported("WITH (common table expressions)", s.with_clause->location);
    }
    ast::InsertStatement result;
    result.table = KB_SQL_TRY(table_ref(s.relation, location, true));
    for (const PgQuery__Node* node : NodeList{s.cols, s.n_cols}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_RES_TARGET ||
            node->res_target->name == nullptr) {
            return malformed("INSERT column");
        }
        const PgQuery__ResTarget& column = *node->res_target;
        if (column.n_indirection > 0) {
            return unsupported("assignment to array elements or fields", column.location);
        }
        result.columns.push_back(
            ast::NameRef{.name = column.name, .position = position(column.location)});
    }
    if (s.override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_SYSTEM_VALUE) {
        result.overriding = ast::Overriding::system_value;
    } else if (s.override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_USER_VALUE) {
        result.overriding = ast::Overriding::user_value;
    }

    if (s.select_stmt == nullptr) {
        result.source = ast::InsertSource::default_values;
    } else if (s.select_stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
        return malformed("INSERT source");
    } else {
        const PgQuery__SelectStmt& source = *s.select_stmt->select_stmt;
        bool plain_values = source.n_values_lists > 0 &&
                            source.op == PG_QUERY__SET_OPERATION__SETOP_NONE &&
                            source.with_clause == nullptr;
        if (plain_values) {
            if (source.n_sort_clause > 0 || source.limit_count != nullptr ||
                source.limit_offset != nullptr || source.n_locking_clause > 0) {
                return unsupported("VALUES with ORDER BY, LIMIT, OFFSET or FOR UPDATE", location);
            }
            result.source = ast::InsertSource::values;
            result.rows =
                KB_SQL_TRY(values_rows({source.values_lists, source.n_values_lists}, location));
        } else {
            result.source = ast::InsertSource::select;
            result.select =
                std::make_unique<ast::SelectStatement>(KB_SQL_TRY(select(source, location)));
        }
    }

    if (s.on_conflict_clause != nullptr) {
        const PgQuery__OnConflictClause& c = *s.on_conflict_clause;
        ast::OnConflict conflict;
        conflict.position = position(c.location);
        conflict.action = c.action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE
                              ? ast::ConflictAction::update
                              : ast::ConflictAction::nothing;
        if (c.infer != nullptr) {
            const PgQuery__InferClause& infer = *c.infer;
            if (infer.where_clause != nullptr) {
                return unsupported("ON CONFLICT (...) WHERE (partial unique indexes)",
                                   location_of(infer.where_clause));
            }
            if (infer.conname != nullptr) conflict.constraint_name = infer.conname;
            for (const PgQuery__Node* node : NodeList{infer.index_elems, infer.n_index_elems}) {
                if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM) {
                    return malformed("ON CONFLICT target");
                }
                const PgQuery__IndexElem& elem = *node->index_elem;
                if (elem.expr != nullptr) {
                    return unsupported("expressions in an ON CONFLICT target",
                                       location_of(elem.expr));
                }
                if (elem.n_collation > 0 || elem.n_opclass > 0) {
                    return unsupported("COLLATE or operator classes in an ON CONFLICT target",
                                       infer.location);
                }
                if (elem.name == nullptr) return malformed("ON CONFLICT column");
                conflict.target_columns.push_back(
                    ast::NameRef{.name = elem.name, .position = position(infer.location)});
            }
        }
        if (conflict.action == ast::ConflictAction::update && c.infer == nullptr) {
            return error(sqlstate::kSyntaxError,
                         "ON CONFLICT DO UPDATE requires inference specification or constraint "
                         "name",
                         c.location)
                .with_hint("For example, ON CONFLICT (column_name).");
        }
        conflict.set = KB_SQL_TRY(set_clauses({c.target_list, c.n_target_list}, c.location));
        conflict.where = KB_SQL_TRY(optional_expr(c.where_clause));
        result.on_conflict = std::move(conflict);
    }
    result.returning = KB_SQL_TRY(select_items({s.returning_list, s.n_returning_list}, location));
    return result;
}

SqlResult<ast::UpdateStatement> Converter::update(const PgQuery__UpdateStmt& s, int32_t location) {
    if (s.with_clause != nullptr) {
        return unsupported("WITH (common table expressions)", s.with_clause->location);
    }
    if (s.n_from_clause > 0) return unsupported("UPDATE ... FROM", location_of(s.from_clause[0]));
    ast::UpdateStatement result;
    result.table = KB_SQL_TRY(table_ref(s.relation, location, true));
    result.set = KB_SQL_TRY(set_clauses({s.target_list, s.n_target_list}, location));
    result.where = KB_SQL_TRY(optional_expr(s.where_clause));
    result.returning = KB_SQL_TRY(select_items({s.returning_list, s.n_returning_list}, location));
    return result;
}

SqlResult<ast::DeleteStatement> Converter::remove(const PgQuery__DeleteStmt& s, int32_t location) {
    if (s.with_clause != nullptr) {
        return unsupported("WITH (common table expressions)", s.with_clause->location);
    }
    if (s.n_using_clause > 0) {
        return unsupported("DELETE ... USING", location_of(s.using_clause[0]));
    }
    ast::DeleteStatement result;
    result.table = KB_SQL_TRY(table_ref(s.relation, location, true));
    result.where = KB_SQL_TRY(optional_expr(s.where_clause));
    result.returning = KB_SQL_TRY(select_items({s.returning_list, s.n_returning_list}, location));
    return result;
}

}  // namespace kb::sql::parse_internal
