// Constant folding as PostgreSQL's planner does it (eval_const_expressions), on bound
// expressions as the binder builds them.
//
// An immutable call (operator, function or cast) whose arguments are all constants is
// evaluated at bind time and becomes a constant. When that evaluation fails, PostgreSQL raises
// the error while planning — even if no row would ever reach the expression — unless the
// expression is first simplified away. The binder builds bottom-up, so a failed fold is kept
// as the call, marked with its error (BoundExpr::deferred_error); the simplifications below
// drop marked nodes exactly where PostgreSQL would never have folded them:
//
//   CASE        an arm whose condition is a constant FALSE or NULL goes, THEN and all; after a
//               constant TRUE condition, that arm's result is the whole CASE.
//   COALESCE    NULL constants go; after the first other constant, nothing more is looked at.
//   AND / OR    after the deciding constant (FALSE / TRUE), nothing more is looked at (the
//               arguments before it were folded, so their errors stay).
//
// Once a statement is bound, first_deferred_error() finds what PostgreSQL would have raised
// while planning it; the planner reports it before running anything.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "sql/bound.h"

namespace kb::sql {

// A constant with no deferred error: safe to use as a value at bind time.
bool is_folded_constant(const BoundExpr& expr);

// `call` (a call, NOT, IS NULL ... node) evaluated if it is immutable and its arguments are
// folded constants: the constant, or the node marked with the error the evaluation gave.
// Otherwise unchanged.
BoundExpr fold_call(BoundExpr call, bool immutable);

// The simplifications above, on already coerced arguments.
BoundExpr simplify_coalesce(std::vector<BoundExpr> args, const Type& type, int position);
// `results` holds one result per condition, then the ELSE result when `has_else`.
// `simplify` false builds the CASE node as it is.
BoundExpr simplify_case(std::vector<BoundExpr> conditions, std::vector<BoundExpr> results,
                        bool has_else, const Type& type, int position, bool simplify = true);
// A WHERE or HAVING condition as PostgreSQL's canonicalize_qual leaves it: where NULL means
// FALSE, a constant FALSE or NULL makes an AND false and drops out of an OR, a TRUE drops out
// of an AND and makes an OR true. Errors folding met anywhere in it stand.
BoundExpr canonicalize_condition(BoundExpr condition);

// The first deferred error among `args`, in order (nullptr: none).
std::shared_ptr<const SqlError> first_error_in(const std::vector<BoundExpr>& args);

// The first deferred error in `expr` (depth first, arguments in order), or ok.
SqlStatus first_deferred_error(const BoundExpr& expr);

// The first deferred error over a statement's expressions, noted in the order PostgreSQL's
// planner folds them. Kept with a plan rather than raised at once: describing a prepared
// statement does not plan it in PostgreSQL, so only running (or EXPLAIN) raises it.
class FoldingError {
public:
    void note(const BoundExpr& expr);
    void note(const std::optional<BoundExpr>& expr) {
        if (expr) note(*expr);
    }
    const std::shared_ptr<const SqlError>& error() const { return error_; }
    SqlStatus raise() const;

private:
    std::shared_ptr<const SqlError> error_;
};

}  // namespace kb::sql
