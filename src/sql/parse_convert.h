// The converter from libpg_query's raw parse tree (protobuf-c structs, pg_query.pb-c.h) to
// our AST. Internal to parse.cc and the parse_*.cc files, one per statement family:
//   parse_expr.cc       expressions
//   parse_types.cc      type names and their modifiers
//   parse_select.cc     SELECT and the pieces other statements share (targets, tables, ORDER BY)
//   parse_dml.cc        INSERT, UPDATE, DELETE
//   parse_ddl.cc        CREATE TABLE, column definitions, constraints, ALTER TABLE
//   parse_utility.cc    DROP, CREATE INDEX, TRUNCATE, transactions, SET/RESET/SHOW, EXPLAIN,
//                       and the names of statements that are refused
//   parse_roles.cc      CREATE / ALTER / DROP ROLE (and USER), GRANT and REVOKE
//   parse_copy.cc       COPY, CREATE DATABASE, DROP DATABASE (generic option lists)
//
// The tree comes from PostgreSQL's grammar, so its shape is known; a shape the grammar never
// makes (a null child where one is required) becomes an internal error (XX000), never a crash.
// Locations in the tree are byte offsets into the whole query string (-1 for none); position()
// turns them into PostgreSQL's 1-based character positions.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <string>
#include <string_view>
#include <vector>

#include "sql/ast.h"
#include "sql/error.h"

namespace kb::sql::parse_internal {

inline constexpr const char* kStatementTooComplex = "54001";
inline constexpr const char* kCharacterNotInRepertoire = "22021";

// Where a type name appears: serial types exist only in column definitions.
enum class TypeContext { cast, column };

// A list field of a protobuf message.
struct NodeList {
    PgQuery__Node** items = nullptr;
    size_t size = 0;

    PgQuery__Node* const* begin() const { return items; }
    PgQuery__Node* const* end() const { return items + size; }
    bool empty() const { return size == 0; }
};

// The string of a String node, or nullptr when the node is anything else.
const char* string_of(const PgQuery__Node* node);

// The byte location of an expression-like node (PostgreSQL's exprLocation for raw nodes),
// -1 when unknown.
int32_t location_of(const PgQuery__Node* node);

class Converter;

// The nesting-depth guard run before libpg_query sees the text (parse_depth.cc): 54001 when
// the tree the grammar could build from the tokens might nest deeper than kParseDepthMax.
SqlStatus check_depth(std::string_view text, const Converter& converter);

class Converter {
public:
    // position_shift: characters of `text` that are a prefix the caller added (parse_expression)
    // and that positions must not count.
    explicit Converter(std::string_view text, int position_shift = 0);

    // 1-based character position of a byte location; 0 for -1 (none).
    int position(int32_t location) const;

    SqlError unsupported(std::string_view what, int32_t location) const;  // 0A000
    SqlError error(const char* sqlstate, std::string message, int32_t location) const;
    SqlError malformed(std::string_view what) const;  // XX000: a shape the grammar never makes

    // Statements.
    SqlResult<ast::Statement> statement(const PgQuery__RawStmt& raw);
    SqlResult<ast::StatementNode> statement_node(const PgQuery__Node& node, int32_t location);
    SqlResult<ast::SelectStatement> select(const PgQuery__SelectStmt& select, int32_t location);
    SqlResult<ast::InsertStatement> insert(const PgQuery__InsertStmt& insert, int32_t location);
    SqlResult<ast::UpdateStatement> update(const PgQuery__UpdateStmt& update, int32_t location);
    SqlResult<ast::DeleteStatement> remove(const PgQuery__DeleteStmt& remove, int32_t location);
    SqlResult<ast::CreateTableStatement> create_table(const PgQuery__CreateStmt& create,
                                                      int32_t location);
    SqlResult<ast::AlterTableStatement> alter_table(const PgQuery__AlterTableStmt& alter,
                                                    int32_t location);
    SqlResult<ast::StatementNode> drop(const PgQuery__DropStmt& drop, int32_t location);
    SqlResult<ast::CreateIndexStatement> create_index(const PgQuery__IndexStmt& index,
                                                      int32_t location);
    SqlResult<ast::TruncateStatement> truncate(const PgQuery__TruncateStmt& truncate,
                                               int32_t location);
    SqlResult<ast::TransactionStatement> transaction(const PgQuery__TransactionStmt& statement,
                                                     int32_t location);
    SqlResult<ast::StatementNode> variable_set(const PgQuery__VariableSetStmt& set,
                                               int32_t location);
    SqlResult<ast::ExplainStatement> explain(const PgQuery__ExplainStmt& explain, int32_t location);
    SqlResult<ast::CreateRoleStatement> create_role(const PgQuery__CreateRoleStmt& create,
                                                    int32_t location);
    SqlResult<ast::AlterRoleStatement> alter_role(const PgQuery__AlterRoleStmt& alter,
                                                  int32_t location);
    SqlResult<ast::DropRoleStatement> drop_role(const PgQuery__DropRoleStmt& drop,
                                                int32_t location);
    SqlResult<ast::GrantStatement> grant(const PgQuery__GrantStmt& grant, int32_t location);
    SqlResult<ast::CopyStatement> copy(const PgQuery__CopyStmt& copy, int32_t location);
    SqlResult<ast::CreateDatabaseStatement> create_database(const PgQuery__CreatedbStmt& create,
                                                            int32_t location);
    SqlResult<ast::DropDatabaseStatement> drop_database(const PgQuery__DropdbStmt& drop,
                                                        int32_t location);
    // The refusal for a statement kind outside issue 5 ("CREATE SEQUENCE", ...).
    SqlError unsupported_statement(const PgQuery__Node& node, int32_t location) const;

    // Pieces statements share (parse_select.cc).
    SqlResult<ast::TableRef> table_ref(const PgQuery__RangeVar* range, int32_t location,
                                       bool alias_allowed);
    SqlResult<std::vector<ast::SelectItem>> select_items(NodeList targets, int32_t location);
    SqlResult<std::vector<ast::OrderItem>> order_items(NodeList sort);
    SqlResult<std::vector<ast::SetClause>> set_clauses(NodeList targets, int32_t location);
    SqlResult<std::vector<ast::NameRef>> name_list(NodeList names, int32_t location);

    // Column definitions and constraints (parse_ddl.cc).
    SqlResult<ast::ColumnDefinition> column_definition(const PgQuery__ColumnDef& column);
    SqlResult<ast::Constraint> constraint(const PgQuery__Constraint& constraint, bool on_column);

    // Expressions (parse_expr.cc). expr() refuses DEFAULT (42601, as PostgreSQL); value() is
    // expr() where DEFAULT is allowed (VALUES items, SET values).
    SqlResult<ast::ExprPtr> expr(const PgQuery__Node* node);
    SqlResult<ast::ExprPtr> value(const PgQuery__Node* node);
    SqlResult<ast::ExprList> expr_list(NodeList nodes);
    // nullptr stays nullptr (an absent optional clause).
    SqlResult<ast::ExprPtr> optional_expr(const PgQuery__Node* node);

    // Type names (parse_types.cc).
    SqlResult<ast::TypeName> type_name(const PgQuery__TypeName* type, TypeContext context,
                                       bool* serial);

private:
    // Expressions recurse once per tree level through expr() -> expr_node() -> one of these,
    // so each kind has its own (not inlined) function: a level's stack frame holds only the
    // temporaries of its own kind (parse_expr.cc).
    SqlResult<ast::ExprPtr> expr_node(const PgQuery__Node& node);
    SqlResult<ast::ExprPtr> expr_refused(const PgQuery__Node* node);
    SqlResult<ast::ExprPtr> expr_unsupported(const PgQuery__Node& node);
    SqlResult<ast::ExprPtr> too_deep();
    SqlResult<ast::ExprPtr> constant(const PgQuery__AConst& constant);
    SqlResult<ast::ExprPtr> column_ref(const PgQuery__ColumnRef& ref);
    SqlResult<ast::ExprPtr> column_value(const PgQuery__ColumnRef& ref);
    SqlResult<ast::ExprPtr> param_ref(const PgQuery__ParamRef& ref);
    SqlResult<ast::ExprPtr> bool_expr(const PgQuery__BoolExpr& b);
    SqlResult<ast::ExprPtr> type_cast(const PgQuery__TypeCast& cast);
    SqlResult<ast::ExprPtr> null_test(const PgQuery__NullTest& test);
    SqlResult<ast::ExprPtr> boolean_test(const PgQuery__BooleanTest& test);
    SqlResult<ast::ExprPtr> coalesce(const PgQuery__CoalesceExpr& c);
    SqlResult<ast::ExprPtr> min_max(const PgQuery__MinMaxExpr& m);
    SqlResult<ast::ExprPtr> a_expr(const PgQuery__AExpr& a_expr);
    SqlResult<ast::ExprPtr> operator_expr(const PgQuery__AExpr& e, const char* name);
    SqlResult<ast::ExprPtr> distinct_from(const PgQuery__AExpr& e);
    SqlResult<ast::ExprPtr> null_if(const PgQuery__AExpr& e);
    SqlResult<ast::ExprPtr> in_list(const PgQuery__AExpr& e, bool negated);
    SqlResult<ast::ExprPtr> like(const PgQuery__AExpr& e, bool negated);
    SqlResult<ast::ExprPtr> between(const PgQuery__AExpr& e);
    SqlResult<ast::ExprPtr> func_call(const PgQuery__FuncCall& call);
    SqlResult<ast::ExprPtr> case_expr(const PgQuery__CaseExpr& case_expr);
    SqlResult<ast::ExprPtr> sql_value_function(const PgQuery__SQLValueFunction& function);
    SqlResult<ast::ForeignKeyRef> references(const PgQuery__Constraint& constraint);
    SqlResult<ast::SequenceOptions> sequence_options(NodeList options, int32_t location);
    SqlResult<std::vector<ast::ExprList>> values_rows(NodeList rows, int32_t location);

    std::string_view text_;
    // chars_before_[b]: characters before byte b; empty when the text is ASCII (then b).
    std::vector<int32_t> chars_before_;
    int position_shift_ = 0;
    int depth_ = 0;  // expression recursion, a second guard behind the token-depth check
};

}  // namespace kb::sql::parse_internal
