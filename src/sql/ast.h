// The SQL abstract syntax tree: what parse() (parse.h) makes of statement text.
//
// The tree holds exactly the statement and expression subset of issue 5, in PostgreSQL's
// meaning: parse.h converts libpg_query's raw parse tree (PostgreSQL 15's own grammar) into
// these nodes and refuses everything else with SQLSTATE 0A000, so a binder walking this tree
// never meets syntax it does not know. Nothing here is resolved against a catalog: names are
// as written (lowercased by the scanner unless quoted), and type names are the one exception,
// resolved to kernel::ColumnType because the set of types is fixed.
//
// Shape: nodes are plain structs; a node with alternatives is a std::variant (Expr::node,
// Statement::node); children are owned through std::unique_ptr (ExprPtr); an absent optional
// child is a null ExprPtr. Trees are move-only; clone() deep-copies an expression.
//
// Positions: every node a later stage may report an error about carries `position`, the
// 1-based character (not byte) offset into the whole query string the statement came from
// (several statements per string keep positions relative to that string, as PostgreSQL
// reports them), or 0 when the grammar gives none. Where PostgreSQL puts its location (the
// operator of a binary expression, the function name of a call, the `::` or CAST of a cast)
// is where this tree puts it, so errors point where PostgreSQL's would.
//
// to_sql() prints a tree back as SQL text that parses to the same tree (expressions fully
// parenthesized); tests compare it, and the binder stores CHECK and DEFAULT expressions in
// the catalog in this form.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/ints.h"
#include "kernel/key_encoding.h"
#include "kernel/schema.h"

namespace kb::sql::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
using ExprList = std::vector<ExprPtr>;

// A name with the place it was written (column lists, index columns, ...).
struct NameRef {
    std::string name{};
    int position = 0;
};

// A type name, resolved: `int`, `int4` and `integer` are all SqlType::integer; typmods are
// validated as PostgreSQL validates them (varchar(n) n >= 1, numeric(p, s) ...). Types outside
// issue 5 are refused at parse time (0A000, or 42704 for names PostgreSQL does not know).
// SqlType::character with length 0 is PostgreSQL's unbounded bpchar, which only casts make
// (`char 'abc'`, `x::bpchar`); a column's char always has a length (char alone is char(1)).
struct TypeName {
    kernel::ColumnType type{};
    int position = 0;
};

// ---------------------------------------------------------------------------------------------
// Expressions

// A constant as the grammar types it: an integer that fits in 32 bits is int4, one that fits
// in 64 bits int8, anything else with digits is numeric (its text kept exactly as written,
// sign included, e.g. "1.50", "1e10", "-9223372036854775809"); a quoted string is of unknown
// type until the binder coerces it (PostgreSQL's "unknown" literal).
struct Literal {
    enum class Kind : u8 { null, boolean, int4, int8, numeric, string };
    Kind kind = Kind::null;
    bool boolean = false;  // Kind::boolean
    i64 integer = 0;       // Kind::int4, Kind::int8
    std::string text{};    // Kind::numeric: the digits as written; Kind::string: the contents
};

// a, t.a, s.t.a, *, t.* (star only where PostgreSQL allows it: select lists, RETURNING, and
// as count(*)'s argument, which is FuncCall::star instead).
struct ColumnRef {
    std::string schema{};  // empty unless written as s.t.a
    std::string table{};   // empty unless qualified
    std::string column{};  // empty when star
    bool star = false;
};

// $n (n >= 1).
struct Param {
    int number = 0;
};

// The DEFAULT keyword, as a value in INSERT ... VALUES and UPDATE ... SET.
struct DefaultValue {};

// An operator by name, as PostgreSQL resolves them: "+", "-", "*", "/", "%", "^", "=", "<>"
// ("!=" arrives as "<>"), "<", "<=", ">", ">=", "||", "->", "->>", "~~" (only if written so;
// LIKE is Like), .... `left` is null for a prefix operator (-x, +x, ~x). An operator written
// OPERATOR(pg_catalog.+) is just "+"; other qualified operators are refused.
struct Operator {
    std::string name{};
    ExprPtr left{};  // null: prefix operator
    ExprPtr right{};
};

// AND / OR have two or more arguments (PostgreSQL flattens chains); NOT has one.
enum class BoolOp : u8 { and_op, or_op, not_op };
struct BoolExpr {
    BoolOp op = BoolOp::and_op;
    ExprList args{};
};

// expr [NOT] IN (list...). Subqueries are refused.
struct InList {
    ExprPtr expr{};
    ExprList list{};
    bool negated = false;
};

// expr [NOT] BETWEEN [SYMMETRIC] low AND high.
struct Between {
    ExprPtr expr{};
    ExprPtr low{};
    ExprPtr high{};
    bool negated = false;
    bool symmetric = false;
};

// expr [NOT] LIKE | ILIKE pattern [ESCAPE escape].
struct Like {
    ExprPtr expr{};
    ExprPtr pattern{};
    ExprPtr escape{};  // null: the default escape character, backslash
    bool negated = false;
    bool case_insensitive = false;  // ILIKE
};

// left IS [NOT] DISTINCT FROM right.
struct DistinctFrom {
    ExprPtr left{};
    ExprPtr right{};
    bool negated = false;  // IS NOT DISTINCT FROM
};

// NULLIF(left, right).
struct NullIf {
    ExprPtr left{};
    ExprPtr right{};
};

// expr IS [NOT] NULL (and the ISNULL / NOTNULL spellings).
struct NullTest {
    ExprPtr expr{};
    bool negated = false;  // IS NOT NULL
};

// expr IS [NOT] TRUE | FALSE | UNKNOWN.
enum class BooleanTestKind : u8 {
    is_true,
    is_not_true,
    is_false,
    is_not_false,
    is_unknown,
    is_not_unknown
};
struct BooleanTest {
    ExprPtr expr{};
    BooleanTestKind kind = BooleanTestKind::is_true;
};

// CASE [operand] WHEN condition THEN result ... [ELSE else_result] END. With an operand (the
// "simple" form) each condition is a value compared with it by =.
struct CaseWhen {
    ExprPtr condition{};
    ExprPtr result{};
    int position = 0;  // the WHEN
};
struct Case {
    ExprPtr operand{};  // null: searched CASE
    std::vector<CaseWhen> whens{};
    ExprPtr else_result{};  // null: ELSE NULL
};

// COALESCE(args...).
struct Coalesce {
    ExprList args{};
};

// GREATEST(args...) / LEAST(args...).
enum class MinMaxOp : u8 { greatest, least };
struct MinMax {
    MinMaxOp op = MinMaxOp::greatest;
    ExprList args{};
};

// An ORDER BY item (also inside an aggregate call: string_agg(x, ',' ORDER BY y)). The
// expression may be a column position (a Literal int4) or an output alias (a ColumnRef) in a
// SELECT's ORDER BY; the binder resolves those as PostgreSQL does.
struct OrderItem {
    ExprPtr expr{};
    bool descending = false;
    kernel::NullsOrder nulls = kernel::NullsOrder::standard;  // standard: NULLS LAST for ASC
    int position = 0;                                         // of the expression
};

// name(args...), including aggregates. The name is lowercased unless it was quoted; a
// pg_catalog qualifier is dropped and any other is refused. PostgreSQL's special syntaxes
// arrive under PostgreSQL's own names and argument orders (sql_syntax is set):
//   substring(x FROM y FOR z)      substring(x, y, z)    (also FOR z FROM y; FROM y only)
//   position(a IN b)               position(b, a)
//   trim([BOTH] c FROM s)          btrim(s, c)           (LEADING: ltrim, TRAILING: rtrim;
//                                                         without c: btrim(s) and so on)
//   extract(field FROM x)          extract('field', x)
//   overlay(s PLACING r FROM i)    overlay(s, r, i)
// FILTER, OVER, WITHIN GROUP, VARIADIC and named arguments are refused.
struct FuncCall {
    std::string name{};
    ExprList args{};
    bool distinct = false;  // agg(DISTINCT ...)
    bool star = false;      // count(*): args is empty
    std::vector<OrderItem> order_by{};
    bool sql_syntax = false;  // written in one of the special syntaxes above
};

// CAST(expr AS type), expr::type, and typed literals (`date '2024-01-01'` is a Cast of a
// string Literal, exactly as in PostgreSQL).
struct Cast {
    ExprPtr expr{};
    TypeName type{};
};

// CURRENT_DATE, CURRENT_TIMESTAMP[(p)], LOCALTIMESTAMP[(p)], CURRENT_USER and friends.
// CURRENT_TIME and LOCALTIME are refused (time types are outside issue 5).
enum class SqlValueKind : u8 {
    current_date,
    current_timestamp,
    localtimestamp,
    current_role,
    current_user,
    user,
    session_user,
    current_catalog,
    current_schema
};
struct SqlValueFunction {
    SqlValueKind kind = SqlValueKind::current_timestamp;
    int precision = -1;  // CURRENT_TIMESTAMP(p), LOCALTIMESTAMP(p); -1 when not written
};

using ExprNode = std::variant<Literal, ColumnRef, Param, DefaultValue, Operator, BoolExpr, InList,
                              Between, Like, DistinctFrom, NullIf, NullTest, BooleanTest, Case,
                              Coalesce, MinMax, FuncCall, Cast, SqlValueFunction>;

struct Expr {
    ExprNode node{};
    int position = 0;

    template <class T>
    const T* as() const {
        return std::get_if<T>(&node);
    }
    template <class T>
    T* as() {
        return std::get_if<T>(&node);
    }
    template <class T>
    bool is() const {
        return std::holds_alternative<T>(node);
    }
};

inline ExprPtr make_expr(ExprNode node, int position) {
    return std::make_unique<Expr>(Expr{std::move(node), position});
}

// A deep copy (positions kept).
ExprPtr clone(const Expr& expr);

// Whether two expressions are the same tree, positions aside (PostgreSQL's equal() on raw
// expressions; GROUP BY matching, for instance). Names compare exactly: the scanner has
// already lowercased unquoted ones.
bool equal(const Expr& a, const Expr& b);

// ---------------------------------------------------------------------------------------------
// Pieces shared by statements

// A table (or index) as named in a statement: [schema.]name [[AS] alias]. The binder decides
// what a schema means (kimberlite has one namespace per tenant; "public" is PostgreSQL's).
struct TableRef {
    std::string schema{};
    std::string name{};
    std::string alias{};  // FROM t AS x, INSERT INTO t AS x, UPDATE t x, DELETE FROM t x
    int position = 0;
};

// One entry of a select list or RETURNING list. expr is a ColumnRef with star for * and t.*.
struct SelectItem {
    ExprPtr expr{};
    std::string alias{};  // AS alias (or a bare alias); empty when none was written
    int position = 0;
};

// column = value in UPDATE ... SET and ON CONFLICT DO UPDATE SET. value may be DefaultValue.
struct SetClause {
    std::string column{};
    ExprPtr value{};
    int position = 0;  // of the column name
};

// ---------------------------------------------------------------------------------------------
// Statements

// SELECT [DISTINCT] items [FROM table] [WHERE] [GROUP BY] [HAVING] [ORDER BY] [LIMIT] [OFFSET].
// Joins, subqueries, set operations, CTEs, windows, DISTINCT ON, locking clauses and
// SELECT INTO are refused. `FETCH FIRST n ROWS ONLY` arrives as limit.
struct SelectStatement {
    bool distinct = false;
    std::vector<SelectItem> targets{};  // may be empty: SELECT FROM t is legal PostgreSQL
    std::optional<TableRef> from{};
    ExprPtr where{};
    ExprList group_by{};
    ExprPtr having{};
    std::vector<OrderItem> order_by{};
    ExprPtr limit{};   // null: no LIMIT; LIMIT ALL arrives as a NULL literal, as in PostgreSQL
    ExprPtr offset{};  // null: no OFFSET
};

// INSERT INTO t [AS alias] [(cols)] [OVERRIDING ... VALUE] {VALUES (...), ... | select |
// DEFAULT VALUES} [ON CONFLICT ...] [RETURNING ...].
enum class InsertSource : u8 { values, select, default_values };
enum class Overriding : u8 { none, system_value, user_value };
enum class ConflictAction : u8 { nothing, update };

struct OnConflict {
    // The conflict target: ON CONFLICT (a, b) lists columns; ON CONFLICT ON CONSTRAINT c names
    // a constraint; neither (only with DO NOTHING) means any unique violation.
    std::vector<NameRef> target_columns{};
    std::string constraint_name{};
    ConflictAction action = ConflictAction::nothing;
    std::vector<SetClause> set{};  // DO UPDATE SET; may refer to EXCLUDED.col (a ColumnRef)
    ExprPtr where{};               // DO UPDATE ... WHERE
    int position = 0;              // of ON CONFLICT
};

struct InsertStatement {
    TableRef table{};
    std::vector<NameRef> columns{};  // empty: all columns in table order
    Overriding overriding = Overriding::none;
    InsertSource source = InsertSource::values;
    std::vector<ExprList> rows{};               // InsertSource::values; DEFAULT is a DefaultValue
    std::unique_ptr<SelectStatement> select{};  // InsertSource::select
    std::optional<OnConflict> on_conflict{};
    std::vector<SelectItem> returning{};
};

// UPDATE t [[AS] alias] SET col = value, ... [WHERE] [RETURNING]. UPDATE ... FROM is refused.
struct UpdateStatement {
    TableRef table{};
    std::vector<SetClause> set{};
    ExprPtr where{};
    std::vector<SelectItem> returning{};
};

// DELETE FROM t [[AS] alias] [WHERE] [RETURNING]. DELETE ... USING is refused.
struct DeleteStatement {
    TableRef table{};
    ExprPtr where{};
    std::vector<SelectItem> returning{};
};

// Column and table constraints. A column constraint has empty `columns` (it applies to its
// column); a table constraint lists them. `name` is empty unless CONSTRAINT name was written
// (the binder generates PostgreSQL's names: t_pkey, t_a_key, t_a_check, t_a_fkey).
enum class ConstraintKind : u8 {
    null,           // NULL (column only)
    not_null,       // NOT NULL (column only)
    default_value,  // DEFAULT expr (column only)
    identity,       // GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(options)] (column only)
    check,          // CHECK (expr)
    primary_key,    // PRIMARY KEY [(columns)]
    unique,         // UNIQUE [(columns)]
    foreign_key,    // REFERENCES t [(cols)] / FOREIGN KEY (cols) REFERENCES t [(cols)]
};

// Sequence options of an identity column: GENERATED ... AS IDENTITY (START WITH 10 ...).
struct SequenceOptions {
    std::optional<i64> start;
    std::optional<i64> increment;
    std::optional<i64> min_value;
    std::optional<i64> max_value;
    std::optional<bool> cycle{};
};

struct ForeignKeyRef {
    TableRef table{};                // the parent
    std::vector<NameRef> columns{};  // empty: the parent's primary key
    kernel::ReferentialAction on_delete = kernel::ReferentialAction::no_action;
    // ON UPDATE: NO ACTION or RESTRICT (other actions are refused).
    kernel::ReferentialAction on_update = kernel::ReferentialAction::no_action;
};

struct Constraint {
    ConstraintKind kind = ConstraintKind::not_null;
    std::string name{};
    std::vector<NameRef> columns{};  // table constraints: the key / FOREIGN KEY (...) columns
    ExprPtr expr{};                  // check: the condition; default_value: the value
    kernel::Identity identity = kernel::Identity::none;  // identity: always / by_default
    SequenceOptions sequence{};                          // identity
    std::optional<ForeignKeyRef> references{};           // foreign_key
    int position = 0;
};

// name type [constraints]. serial / bigserial / smallserial set `serial` with type integer /
// bigint / smallint (the binder adds the sequence, its DEFAULT and NOT NULL as PostgreSQL
// does). COLLATE, STORAGE, COMPRESSION and GENERATED ... STORED are refused.
struct ColumnDefinition {
    std::string name{};
    TypeName type{};
    bool serial = false;
    std::vector<Constraint> constraints{};  // in the order written
    int position = 0;
};

// CREATE TABLE [IF NOT EXISTS] t (columns and table constraints). TEMP/UNLOGGED tables,
// INHERITS, PARTITION BY, LIKE, WITH (...), TABLESPACE and CREATE TABLE AS are refused.
struct CreateTableStatement {
    TableRef table{};
    bool if_not_exists = false;
    std::vector<ColumnDefinition> columns{};
    std::vector<Constraint> constraints{};  // table constraints, in the order written
};

// DROP TABLE [IF EXISTS] t, ... (CASCADE refused). Names carry no position: PostgreSQL's
// grammar keeps none for them, and its errors here have none either.
struct DropTableStatement {
    std::vector<TableRef> tables{};
    bool if_exists = false;
};

// CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON t [USING btree] (col [ASC|DESC] [NULLS
// FIRST|LAST], ...). Expression and partial indexes, INCLUDE, CONCURRENTLY, other access
// methods, opclasses and collations are refused.
struct IndexColumn {
    std::string name{};
    bool descending = false;
    kernel::NullsOrder nulls = kernel::NullsOrder::standard;
};
struct CreateIndexStatement {
    std::string name{};  // empty: the binder generates PostgreSQL's name (t_a_b_idx)
    TableRef table{};
    std::vector<IndexColumn> columns{};
    bool unique = false;
    bool if_not_exists = false;
};

// DROP INDEX [IF EXISTS] name, ... (CASCADE and CONCURRENTLY refused).
struct DropIndexStatement {
    std::vector<TableRef> indexes{};
    bool if_exists = false;
};

// ALTER TABLE [IF EXISTS] t action, ... with actions ADD [COLUMN] [IF NOT EXISTS] coldef and
// DROP [COLUMN] [IF EXISTS] name (CASCADE refused). Every other action is refused.
enum class AlterKind : u8 { add_column, drop_column };
struct AlterAction {
    AlterKind kind = AlterKind::add_column;
    ColumnDefinition column{};  // add_column
    std::string column_name{};  // drop_column
    bool missing_ok = false;    // ADD ... IF NOT EXISTS / DROP ... IF EXISTS
    int position = 0;           // add_column: the column definition; 0 for drop_column
};
struct AlterTableStatement {
    TableRef table{};
    bool if_exists = false;
    std::vector<AlterAction> actions{};
};

// TRUNCATE [TABLE] t, ... (CASCADE and RESTART IDENTITY refused; CONTINUE IDENTITY is the
// default and accepted).
struct TruncateStatement {
    std::vector<TableRef> tables{};
};

// BEGIN / START TRANSACTION [modes], COMMIT / END, ROLLBACK / ABORT, SAVEPOINT s,
// RELEASE [SAVEPOINT] s, ROLLBACK TO [SAVEPOINT] s, and SET TRANSACTION modes. Every
// isolation level is accepted (kimberlite transactions are serializable, which is at least as
// strong as any level asked for; PostgreSQL likewise runs READ UNCOMMITTED as READ COMMITTED).
// PREPARE TRANSACTION, COMMIT PREPARED and AND CHAIN are refused.
enum class TransactionKind : u8 {
    begin,
    commit,
    rollback,
    savepoint,
    release,
    rollback_to,
    set_transaction
};
enum class IsolationLevel : u8 {
    unspecified,
    read_uncommitted,
    read_committed,
    repeatable_read,
    serializable
};
struct TransactionStatement {
    TransactionKind kind = TransactionKind::begin;
    std::string savepoint{};  // savepoint, release, rollback_to
    IsolationLevel isolation = IsolationLevel::unspecified;
    std::optional<bool> read_only{};   // READ ONLY / READ WRITE
    std::optional<bool> deferrable{};  // [NOT] DEFERRABLE
};

// SET [SESSION | LOCAL] name {= | TO} value, ... | DEFAULT, and SET TIME ZONE value. Values
// keep PostgreSQL's flattening: identifiers and strings are strings, numbers keep their text.
// `local` is SET LOCAL (the session decides what it supports). SET TIME ZONE arrives with
// name "timezone"; SET NAMES with "client_encoding"; SET SCHEMA with "search_path".
struct SetValue {
    enum class Kind : u8 { string, number };
    Kind kind = Kind::string;
    std::string text{};
    int position = 0;
};
struct SetStatement {
    std::string name{};
    std::vector<SetValue> values{};  // empty when to_default
    bool to_default = false;         // SET name TO DEFAULT (same as RESET name)
    bool local = false;              // SET LOCAL
};

// RESET name | RESET ALL.
struct ResetStatement {
    std::string name{};  // empty when all
    bool all = false;
};

// SHOW name | SHOW ALL (name "all"). Multi-word names come as PostgreSQL's: SHOW TIME ZONE is
// "timezone", SHOW TRANSACTION ISOLATION LEVEL is "transaction_isolation".
struct ShowStatement {
    std::string name{};
};

// Roles (docs/SQL.md, "Users and grants"). A role named as PostgreSQL's RoleSpec: a name, or
// CURRENT_USER / CURRENT_ROLE / SESSION_USER (the session's own role).
struct RoleName {
    enum class Kind : u8 { name, current_user };
    Kind kind = Kind::name;
    std::string name{};  // Kind::name
};

// Role options of CREATE and ALTER ROLE: LOGIN | NOLOGIN | SUPERUSER | NOSUPERUSER |
// [ENCRYPTED] PASSWORD 'pw' | PASSWORD NULL, and options whose value is what kimberlite always
// does (INHERIT, NOCREATEDB, NOCREATEROLE, NOREPLICATION, NOBYPASSRLS, CONNECTION LIMIT -1), as
// pg_dumpall writes them. Other options are refused (0A000); one given twice is 42601.
struct RoleOptions {
    std::optional<bool> login{};
    std::optional<bool> superuser{};
    bool password_given = false;
    std::optional<std::string> password{};  // nullopt with password_given: PASSWORD NULL
};

// CREATE ROLE name [[WITH] option ...] and CREATE USER (which implies LOGIN; NOLOGIN wins).
struct CreateRoleStatement {
    std::string name{};
    bool user = false;
    RoleOptions options{};
};

// ALTER ROLE / ALTER USER role [WITH] option ... (RENAME, SET and ALL are refused).
struct AlterRoleStatement {
    RoleName role{};
    RoleOptions options{};
};

// DROP ROLE / DROP USER [IF EXISTS] name, ...
struct DropRoleStatement {
    std::vector<std::string> names{};
    bool if_exists = false;
};

// GRANT privileges ON object TO roles and REVOKE privileges ON object FROM roles, with
//   privileges: SELECT | INSERT | UPDATE | DELETE | TRUNCATE | CONNECT, ... or ALL [PRIVILEGES]
//   object:     [TABLE] t, ... | ALL TABLES IN SCHEMA s, ... | DATABASE d, ...
// Privilege names stay as written (lowercase); the session judges them against the object, as
// PostgreSQL's executor does. Column lists, WITH GRANT OPTION, GRANTED BY, GRANT OPTION FOR,
// PUBLIC and other object kinds are refused (0A000).
enum class GrantObjectKind : u8 { tables, all_tables_in_schema, database };
struct GrantStatement {
    bool revoke = false;
    std::vector<std::string> privileges{};  // empty: ALL [PRIVILEGES]
    GrantObjectKind object = GrantObjectKind::tables;
    std::vector<TableRef> tables{};    // tables
    std::vector<std::string> names{};  // schemas (all tables) or databases
    std::vector<RoleName> roles{};
};

// One option of COPY, CREATE DATABASE or DROP DATABASE as the grammar gives it (a DefElem): a
// lowercase name and an argument, judged by the statement (copy_format.h, session_database.cc).
struct GenericOption {
    enum class Kind : u8 { none, string, number, star, list };
    std::string name{};
    Kind kind = Kind::none;
    std::string value{};              // string: as written; number: its text ("-1", "2.5")
    std::vector<std::string> list{};  // list: names, as (a, b)
    int position = 0;
};

struct Statement;

// COPY t [(columns)] FROM STDIN [[WITH] (options) | old-style options] [WHERE condition]
// COPY {t [(columns)] | (query)} TO STDOUT [[WITH] (options)]
// The data travels over the connection; server files and PROGRAM are refused (0A000). The old
// option syntax (CSV HEADER DELIMITER ',' ...) arrives as the same options (format 'csv',
// header, delimiter ',').
struct CopyStatement {
    TableRef table{};                    // empty name when copying a query's rows
    std::vector<NameRef> columns{};      // empty: every column
    std::unique_ptr<Statement> query{};  // COPY (query) TO: a SELECT
    bool from = false;                   // FROM STDIN (else TO STDOUT)
    std::vector<GenericOption> options{};
    ExprPtr where{};  // FROM only
};

// CREATE DATABASE name [[WITH] option [=] value ...]: options as written (the session accepts
// what matches what kimberlite does and refuses the rest).
struct CreateDatabaseStatement {
    std::string name{};
    std::vector<GenericOption> options{};
};

// DROP DATABASE [IF EXISTS] name [[WITH] (FORCE)].
struct DropDatabaseStatement {
    std::string name{};
    bool if_exists = false;
    bool force = false;
};

// EXPLAIN [VERBOSE] [(VERBOSE [bool], COSTS [bool], FORMAT TEXT)] statement. The statement is
// a SELECT, INSERT, UPDATE or DELETE (its position is the EXPLAIN's, its text empty). ANALYZE
// and other options are refused; COSTS is accepted and ignored (plans carry no costs).
struct ExplainStatement {
    std::unique_ptr<Statement> statement{};
    bool verbose = false;
};

using StatementNode =
    std::variant<SelectStatement, InsertStatement, UpdateStatement, DeleteStatement,
                 CreateTableStatement, DropTableStatement, CreateIndexStatement, DropIndexStatement,
                 AlterTableStatement, TruncateStatement, TransactionStatement, SetStatement,
                 ResetStatement, ShowStatement, ExplainStatement, CreateRoleStatement,
                 AlterRoleStatement, DropRoleStatement, GrantStatement, CopyStatement,
                 CreateDatabaseStatement, DropDatabaseStatement>;

struct Statement {
    StatementNode node{};
    int position = 0;    // its first token in the query string (1-based characters)
    std::string text{};  // its own text: no leading blanks or comments, no semicolon

    template <class T>
    const T* as() const {
        return std::get_if<T>(&node);
    }
    template <class T>
    T* as() {
        return std::get_if<T>(&node);
    }
    template <class T>
    bool is() const {
        return std::holds_alternative<T>(node);
    }
};

// ---------------------------------------------------------------------------------------------
// Printing

// SQL text for the tree. Identifiers are quoted where PostgreSQL's quote_ident would quote
// them, strings as standard literals ('it''s'), types by their PostgreSQL names. Parsing the
// result gives the same tree (positions aside).
std::string to_sql(const Expr& expr);
std::string to_sql(const TypeName& type);
std::string to_sql(const Statement& statement);

// "a", "\"A\"", "\"select\"": quotes when PostgreSQL's quote_ident would.
std::string quote_identifier(std::string_view identifier);
// 'text' with quotes doubled.
std::string quote_literal(std::string_view text);

}  // namespace kb::sql::ast
