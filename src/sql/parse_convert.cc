// The converter's core: positions, errors, and the dispatch from a raw statement to the
// statement converters in the other parse_*.cc files.
#include "sql/parse_convert.h"

#include <algorithm>
#include <string>

namespace kb::sql::parse_internal {

const char* string_of(const PgQuery__Node* node) {
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_STRING ||
        node->string == nullptr || node->string->sval == nullptr) {
        return nullptr;
    }
    return node->string->sval;
}

int32_t location_of(const PgQuery__Node* node) {
    if (node == nullptr) return -1;
    switch (node->node_case) {
        case PG_QUERY__NODE__NODE_A_CONST:
            return node->a_const->location;
        case PG_QUERY__NODE__NODE_COLUMN_REF:
            return node->column_ref->location;
        case PG_QUERY__NODE__NODE_PARAM_REF:
            return node->param_ref->location;
        case PG_QUERY__NODE__NODE_A_EXPR:
            // An operator's own location is its operator; its leftmost token comes first.
            if (node->a_expr->lexpr != nullptr) {
                int32_t left = location_of(node->a_expr->lexpr);
                if (left >= 0) return left;
            }
            return node->a_expr->location;
        case PG_QUERY__NODE__NODE_BOOL_EXPR:
            return node->bool_expr->location;
        case PG_QUERY__NODE__NODE_FUNC_CALL:
            return node->func_call->location;
        case PG_QUERY__NODE__NODE_TYPE_CAST: {
            // The leftmost of the operand, the cast and the type name (a typed literal
            // `interval '1' hour` starts at its type name).
            int32_t result = -1;
            for (int32_t at :
                 {location_of(node->type_cast->arg), node->type_cast->location,
                  node->type_cast->type_name != nullptr ? node->type_cast->type_name->location
                                                        : -1}) {
                if (at >= 0 && (result < 0 || at < result)) result = at;
            }
            return result;
        }
        case PG_QUERY__NODE__NODE_NULL_TEST:
            return node->null_test->location;
        case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
            return node->boolean_test->location;
        case PG_QUERY__NODE__NODE_CASE_EXPR:
            return node->case_expr->location;
        case PG_QUERY__NODE__NODE_COALESCE_EXPR:
            return node->coalesce_expr->location;
        case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
            return node->min_max_expr->location;
        case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
            return node->sqlvalue_function->location;
        case PG_QUERY__NODE__NODE_SET_TO_DEFAULT:
            return node->set_to_default->location;
        case PG_QUERY__NODE__NODE_SUB_LINK:
            return node->sub_link->location;
        case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
            return node->a_array_expr->location;
        case PG_QUERY__NODE__NODE_ROW_EXPR:
            return node->row_expr->location;
        case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
            return node->collate_clause->location;
        case PG_QUERY__NODE__NODE_A_INDIRECTION:
            return location_of(node->a_indirection->arg);
        case PG_QUERY__NODE__NODE_RES_TARGET:
            return node->res_target->location;
        case PG_QUERY__NODE__NODE_SORT_BY:
            return location_of(node->sort_by->node);
        case PG_QUERY__NODE__NODE_RANGE_VAR:
            return node->range_var->location;
        case PG_QUERY__NODE__NODE_JOIN_EXPR:
            return location_of(node->join_expr->larg);
        case PG_QUERY__NODE__NODE_LIST:
            return node->list->n_items > 0 ? location_of(node->list->items[0]) : -1;
        default:
            return -1;
    }
}

Converter::Converter(std::string_view text, int position_shift)
    : text_(text), position_shift_(position_shift) {
    bool ascii = std::all_of(text.begin(), text.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) return;
    chars_before_.resize(text.size() + 1);
    int32_t chars = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        chars_before_[i] = chars;
        // Continuation bytes (10xxxxxx) do not start a character.
        if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++chars;
    }
    chars_before_[text.size()] = chars;
}

int Converter::position(int32_t location) const {
    if (location < 0) return 0;
    auto byte = static_cast<size_t>(location);
    int chars = 0;
    if (chars_before_.empty()) {
        chars = static_cast<int>(std::min(byte, text_.size()));
    } else {
        chars = chars_before_[std::min(byte, text_.size())];
    }
    int result = chars + 1 - position_shift_;
    return result > 0 ? result : 0;
}

SqlError Converter::unsupported(std::string_view what, int32_t location) const {
    return SqlError(sqlstate::kFeatureNotSupported, "feature not supported: " + std::string(what))
        .at(position(location));
}

SqlError Converter::error(const char* sqlstate, std::string message, int32_t location) const {
    return SqlError(sqlstate, std::move(message)).at(position(location));
}

SqlError Converter::malformed(std::string_view what) const {
    return SqlError(sqlstate::kInternalError, "unexpected parse tree shape: " + std::string(what));
}

SqlResult<ast::Statement> Converter::statement(const PgQuery__RawStmt& raw) {
    if (raw.stmt == nullptr) return malformed("empty raw statement");
    // The raw statement spans from after the previous semicolon (leading blanks included) to
    // its own semicolon; stmt_len 0 means "to the end of the text".
    size_t begin = std::min(static_cast<size_t>(std::max(raw.stmt_location, 0)), text_.size());
    size_t end = raw.stmt_len > 0
                     ? std::min(begin + static_cast<size_t>(raw.stmt_len), text_.size())
                     : text_.size();
    auto blank = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    // Leading blanks and comments are not part of the statement (its position is its first
    // token); block comments nest in PostgreSQL.
    while (begin < end) {
        if (blank(text_[begin])) {
            ++begin;
        } else if (text_.compare(begin, 2, "--") == 0) {
            while (begin < end && text_[begin] != '\n') ++begin;
        } else if (text_.compare(begin, 2, "/*") == 0) {
            int nesting = 0;
            do {
                if (text_.compare(begin, 2, "/*") == 0) {
                    ++nesting;
                    begin += 2;
                } else if (text_.compare(begin, 2, "*/") == 0) {
                    --nesting;
                    begin += 2;
                } else {
                    ++begin;
                }
            } while (nesting > 0 && begin < end);
            begin = std::min(begin, end);
        } else {
            break;
        }
    }
    while (end > begin && blank(text_[end - 1])) --end;
    ast::StatementNode node = KB_SQL_TRY(statement_node(*raw.stmt, static_cast<int32_t>(begin)));
    return ast::Statement{
        .node = std::move(node),
        .position = position(static_cast<int32_t>(begin)),
        .text = std::string(text_.substr(begin, end - begin)),
    };
}

SqlResult<ast::StatementNode> Converter::statement_node(const PgQuery__Node& node,
                                                        int32_t location) {
    switch (node.node_case) {
        case PG_QUERY__NODE__NODE_SELECT_STMT:
            return ast::StatementNode(KB_SQL_TRY(select(*node.select_stmt, location)));
        case PG_QUERY__NODE__NODE_INSERT_STMT:
            return ast::StatementNode(KB_SQL_TRY(insert(*node.insert_stmt, location)));
        case PG_QUERY__NODE__NODE_UPDATE_STMT:
            return ast::StatementNode(KB_SQL_TRY(update(*node.update_stmt, location)));
        case PG_QUERY__NODE__NODE_DELETE_STMT:
            return ast::StatementNode(KB_SQL_TRY(remove(*node.delete_stmt, location)));
        case PG_QUERY__NODE__NODE_CREATE_STMT:
            return ast::StatementNode(KB_SQL_TRY(create_table(*node.create_stmt, location)));
        case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
            return ast::StatementNode(KB_SQL_TRY(alter_table(*node.alter_table_stmt, location)));
        case PG_QUERY__NODE__NODE_DROP_STMT:
            return drop(*node.drop_stmt, location);
        case PG_QUERY__NODE__NODE_INDEX_STMT:
            return ast::StatementNode(KB_SQL_TRY(create_index(*node.index_stmt, location)));
        case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
            return ast::StatementNode(KB_SQL_TRY(truncate(*node.truncate_stmt, location)));
        case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
            return ast::StatementNode(KB_SQL_TRY(transaction(*node.transaction_stmt, location)));
        case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
            return variable_set(*node.variable_set_stmt, location);
        case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
            return ast::StatementNode(ast::ShowStatement{.name = node.variable_show_stmt->name});
        case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
            return ast::StatementNode(KB_SQL_TRY(explain(*node.explain_stmt, location)));
        case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
            return ast::StatementNode(KB_SQL_TRY(create_role(*node.create_role_stmt, location)));
        case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
            return ast::StatementNode(KB_SQL_TRY(alter_role(*node.alter_role_stmt, location)));
        case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
            return ast::StatementNode(KB_SQL_TRY(drop_role(*node.drop_role_stmt, location)));
        case PG_QUERY__NODE__NODE_GRANT_STMT:
            return ast::StatementNode(KB_SQL_TRY(grant(*node.grant_stmt, location)));
        case PG_QUERY__NODE__NODE_COPY_STMT:
            return ast::StatementNode(KB_SQL_TRY(copy(*node.copy_stmt, location)));
        case PG_QUERY__NODE__NODE_CREATEDB_STMT:
            return ast::StatementNode(KB_SQL_TRY(create_database(*node.createdb_stmt, location)));
        case PG_QUERY__NODE__NODE_DROPDB_STMT:
            return ast::StatementNode(KB_SQL_TRY(drop_database(*node.dropdb_stmt, location)));
        default:
            return unsupported_statement(node, location);
    }
}

}  // namespace kb::sql::parse_internal
