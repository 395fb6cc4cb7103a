// The expression binder: ast::Expr -> BoundExpr, resolving column names against a scope, typing
// every node with PostgreSQL's rules (unknown literals take their type from context, operators
// and functions by resolution, CASE/COALESCE/IN by the common type) and folding literals given
// a type into constants at bind time ('2024-01-01'::date is a date constant).
//
// Aggregates: when the binder is told aggregates are allowed, each aggregate call is bound
// once, collected in aggregates(), and replaced by a reference to its result (BoundKind::
// aggregate); grouping expressions (GROUP BY) are matched by their SQL text and replaced by
// references to the grouped row. Column references outside them are 42803 errors, as in
// PostgreSQL.
//
// Parameters ($n) are typed as PostgreSQL types them: a $n whose type is known (declared by the
// client, or deduced earlier in the statement) is a value of that type; otherwise it is an
// unknown-typed node, like an untyped string literal, and the first coercion it meets (an
// operator or function resolving with it, an assignment to a column, a cast, LIMIT's bigint,
// a select-list output's text) deduces its type. Nodes made before the deduction are coerced
// to the deduced type when they meet one; meeting another is 42P08 'inconsistent types deduced
// for parameter $1' (DETAIL 'integer versus text'), as in PostgreSQL.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sql/ast.h"
#include "sql/bind_resolve.h"
#include "sql/bound.h"

namespace kb::sql {

struct ScopeColumn {
    std::string table;  // the name or alias it is visible under
    std::string name;
    Type type;
};

struct Scope {
    std::vector<ScopeColumn> columns;
};

// A key of an aggregate's own ORDER BY (string_agg(x, ',' ORDER BY y DESC)).
struct BoundAggregateOrder {
    BoundExpr expr;  // against the input row
    bool descending = false;
    kernel::NullsOrder nulls = kernel::NullsOrder::standard;  // standard: NULLS LAST for ASC
};

struct BoundAggregate {
    std::string name;
    ResolvedAggregate aggregate;
    std::vector<BoundExpr> arguments;  // against the input row
    bool distinct = false;
    std::vector<BoundAggregateOrder> order_by;  // the order rows reach the aggregate in
    std::string sql;                            // the call as SQL, to share identical calls
};

class ExprBinder {
public:
    ExprBinder(const Scope& scope, ParameterTypes& parameters)
        : scope_(scope), parameters_(parameters) {}

    // Aggregate handling (see above): `group_keys` are the GROUP BY expressions' SQL texts, in
    // the order their values appear in the grouped row.
    void allow_aggregates(std::vector<std::string> group_keys);
    const std::vector<BoundAggregate>& aggregates() const { return aggregates_; }

    // Binds `expr`; `expected` is the type context gives it (for unknown literals and $n).
    // A bare $n bound with `expected` (a value assigned to a column) whose type an earlier such
    // bind of this binder deduced comes back untyped, so that coercing it checks the two
    // deductions agree: PostgreSQL reads all of an INSERT row's (an UPDATE's SET list's)
    // values before coercing any, so `VALUES ($1, $1)` into an integer and a text column is
    // 42P08, not a cast. (One binder serves all rows of a VALUES list: a $n repeated across
    // rows into columns of different types is 42P08 here, a cast in PostgreSQL.)
    SqlResult<BoundExpr> bind(const ast::Expr& expr, const std::optional<Type>& expected = {});
    // Binds and coerces to boolean (WHERE, HAVING, CHECK): 42804 'argument of WHERE must be
    // type boolean, not type integer' otherwise; `clause` names it.
    SqlResult<BoundExpr> bind_condition(const ast::Expr& expr, std::string_view clause);
    // Coerces a bound expression to `target` in `context`, with PostgreSQL's errors (42804
    // 'column "c" is of type integer but expression is of type text' is the caller's wording
    // for assignment; this gives the generic one).
    SqlResult<BoundExpr> coerce(BoundExpr expr, const Type& target, CoercionContext context);

    // Whether constants are folded (bind_fold.h; on by default). Off, the expression is bound
    // as PostgreSQL's parse analysis leaves it, for comparing two select-list entries as
    // PostgreSQL does before planning.
    void set_folding(bool fold) { fold_ = fold; }

    // The clause being bound, for "aggregate functions are not allowed in WHERE" (bind_condition
    // names its own clause).
    void set_clause(std::string clause) { clause_ = std::move(clause); }

private:
    SqlResult<BoundExpr> bind_node(const ast::Expr& expr, const std::optional<Type>& expected);
    // bind_condition without naming a clause (AND / OR / NOT arguments, CASE conditions).
    SqlResult<BoundExpr> bind_boolean(const ast::Expr& expr, std::string_view clause);
    SqlResult<BoundExpr> bind_column(const ast::ColumnRef& column, int position);
    SqlResult<BoundExpr> bind_literal(const ast::Literal& literal, int position,
                                      const std::optional<Type>& expected);
    SqlResult<BoundExpr> bind_operator(const ast::Operator& op, int position);
    SqlResult<BoundExpr> bind_call(std::string_view name, std::vector<BoundExpr> arguments,
                                   int position, bool fold = true, bool* immutable = nullptr);
    SqlResult<BoundExpr> bind_function(const ast::FuncCall& call, int position);
    SqlResult<BoundExpr> bind_aggregate(const ast::FuncCall& call, int position);
    SqlResult<BoundExpr> bind_order_key(const ast::FuncCall& call, const ast::OrderItem& item);
    SqlResult<BoundExpr> bind_case(const ast::Case& node, int position);
    // The = operator resolved for two operands as PostgreSQL resolves it for NULLIF and IS
    // [NOT] DISTINCT FROM (on the operands' own types, coercing them as it needs, an untyped
    // side taking the other's type): the operands after that coercion, and the comparison over
    // column references 0 and 1 of their types, to evaluate on their values.
    struct EqualityPair {
        std::vector<BoundExpr> operands;
        BoundExpr equal;
        bool immutable = true;
    };
    SqlResult<EqualityPair> bind_equality(const ast::Expr& left, const ast::Expr& right,
                                          int position);
    SqlResult<BoundExpr> bind_list_to_common(std::vector<BoundExpr> items, std::string_view what,
                                             BoundKind kind, int position);
    SqlResult<std::vector<BoundExpr>> to_common_type(std::vector<BoundExpr> items,
                                                     std::string_view context, Type* common);
    std::optional<usize> group_key_of(const ast::Expr& expr) const;
    BoundExpr folded(BoundExpr node, bool immutable) const;  // fold_call when folding is on

    const Scope& scope_;
    ParameterTypes& parameters_;
    bool aggregates_allowed_ = false;
    bool inside_aggregate_ = false;
    std::vector<std::string> group_keys_;
    std::vector<BoundAggregate> aggregates_;
    std::vector<usize> assigned_parameters_;  // $n (0-based) deduced by bind(bare $n, expected)
    std::string clause_ = "this context";
    bool fold_ = true;
};

}  // namespace kb::sql
