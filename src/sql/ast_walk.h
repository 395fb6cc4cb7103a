// Walking expression trees: visiting every sub-expression, and the questions the binder asks
// of a whole tree (which columns it names, whether it calls an aggregate).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sql/ast.h"

namespace kb::sql::ast {

// Calls `visit` on `expr` and then on every expression below it, depth first, in the order
// they were written.
void walk(const Expr& expr, const std::function<void(const Expr&)>& visit);

// The column names `expr` refers to (unqualified part), in order of first mention.
void collect_column_names(const Expr& expr, std::vector<std::string>& names);

}  // namespace kb::sql::ast
