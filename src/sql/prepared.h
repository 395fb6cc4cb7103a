// Prepared statements: one statement parsed once, with its parameters' types and the shape of
// its result worked out before it runs — what the wire protocols' Parse / Describe / Bind /
// Execute need (PostgreSQL's extended query protocol), and the fast path for statements run
// many times (no parsing per execution).
//
//     auto prepared = session.prepare("SELECT name FROM items WHERE id = $1");
//     (*prepared)->description();   // parameter_types {integer}, columns {name text}
//     Value id = *parameter_from_text("7", (*prepared)->description().parameter_types[0]);
//     session.execute_prepared(**prepared, std::span(&id, 1));
//
// Parameter types are PostgreSQL's: declared by the client (a nullopt entry, like type oid 0,
// leaves that one to inference) or deduced from where $n is used (bind_expr.h); a $n nothing
// types is 42P18 'could not determine data type of parameter $n', as PostgreSQL's Parse says.
// Types carry no modifier (PostgreSQL describes parameters by type oid: varchar, not
// varchar(3)); assignments still check the column's modifier.
//
// Executing binds the statement again against the catalog of the moment (tables may have been
// dropped or altered since: 42P01 and the like, as for any statement); a result whose columns
// no longer match the description is 0A000 'cached plan must not change result type'.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/value.h"
#include "sql/ast.h"
#include "sql/error.h"
#include "sql/value_type.h"

namespace kb::sql {

class PlanCache;

// One output column of a statement: its name and type (with modifier, as the rows carry it).
struct ResultColumn {
    std::string name;
    Type type;

    friend bool operator==(const ResultColumn& a, const ResultColumn& b) {
        return a.name == b.name && a.type == b.type;
    }
};

// What Describe answers: the parameters' types ($1 first) and, for statements returning rows
// (SELECT, SHOW, EXPLAIN, INSERT/UPDATE/DELETE ... RETURNING), the columns.
struct StatementDescription {
    std::vector<Type> parameter_types;
    bool returns_rows = false;
    std::vector<ResultColumn> columns;
};

// The most parameters a statement may have (the wire protocol counts them in 16 bits).
inline constexpr usize kMaxParameters = 65535;

class PreparedStatement {
public:
    // An empty text (or only comments) prepares to "no statement": executing it returns an
    // empty result with an empty tag (PostgreSQL's EmptyQueryResponse).
    PreparedStatement(std::string name, std::string text, std::optional<ast::Statement> statement,
                      StatementDescription description);
    ~PreparedStatement();

    const std::string& name() const { return name_; }
    const std::string& text() const { return text_; }
    // nullptr for an empty query.
    const ast::Statement* statement() const { return statement_ ? &*statement_ : nullptr; }
    const StatementDescription& description() const { return description_; }
    usize parameter_count() const { return description_.parameter_types.size(); }
    // The statement's kept plan (plan_cache.h): running a const statement may refresh it.
    PlanCache& plan_cache() const { return *plan_cache_; }

private:
    std::string name_;
    std::string text_;
    std::optional<ast::Statement> statement_;
    StatementDescription description_;
    std::unique_ptr<PlanCache> plan_cache_;
};

// The highest $n in `text` (0 when it has none), found by PostgreSQL's scanner, so $1 inside a
// string or a comment does not count. 54000 over kMaxParameters.
SqlResult<usize> highest_parameter_number(std::string_view text);

// A parameter sent as text (the wire's text format) as a value of `type`: the type's input
// function, with PostgreSQL's errors (22P02 'invalid input syntax for type integer: "x"',
// 22003 out of range, ...). Positions are cleared: the text is not part of the statement.
SqlResult<kernel::Value> parameter_from_text(std::string_view text, const Type& type);

// Checks parameter values against a description before execution: their count (08P01 'bind
// message supplies 1 parameters, but prepared statement "s" requires 2', PostgreSQL's words).
SqlStatus check_parameter_count(const PreparedStatement& prepared, usize supplied);

}  // namespace kb::sql
