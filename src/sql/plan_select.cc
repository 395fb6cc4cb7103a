// SELECT binding and planning (see plan_select.h).
#include "sql/plan_select.h"

#include <algorithm>

#include "kernel/row_codec.h"
#include "sql/ast_walk.h"
#include "sql/bind_ddl.h"
#include "sql/exec_query.h"

namespace kb::sql {

namespace {

Scope scope_of(const kernel::TableSchema& table, const std::string& visible_as) {
    Scope scope;
    for (const kernel::ColumnDef& column : table.columns) {
        scope.columns.push_back({visible_as, column.name, Type::of(column.type)});
    }
    return scope;
}

bool mentions_aggregate(const ast::Expr& expr) {
    bool found = false;
    ast::walk(expr, [&](const ast::Expr& node) {
        if (const auto* call = node.as<ast::FuncCall>();
            call != nullptr && is_aggregate(call->name)) {
            found = true;
        }
    });
    return found;
}

// The name PostgreSQL gives an unaliased output column.
std::string output_name(const ast::Expr& expr) {
    if (const auto* column = expr.as<ast::ColumnRef>()) return column->column;
    if (const auto* call = expr.as<ast::FuncCall>()) return call->name;
    if (const auto* cast = expr.as<ast::Cast>()) {
        if (cast->expr->is<ast::Literal>() || cast->expr->is<ast::Param>()) {
            return type_name(Type::of(cast->type.type.type)) == "character varying"
                       ? "varchar"
                       : ast::to_sql(cast->type);
        }
        return output_name(*cast->expr);
    }
    if (expr.is<ast::Case>()) return "case";
    if (expr.is<ast::Coalesce>()) return "coalesce";
    if (const auto* minmax = expr.as<ast::MinMax>()) {
        return minmax->op == ast::MinMaxOp::greatest ? "greatest" : "least";
    }
    if (expr.is<ast::NullIf>()) return "nullif";
    if (const auto* function = expr.as<ast::SqlValueFunction>()) {
        switch (function->kind) {
            case ast::SqlValueKind::current_date:
                return "current_date";
            case ast::SqlValueKind::current_timestamp:
                return "current_timestamp";
            case ast::SqlValueKind::localtimestamp:
                return "localtimestamp";
            default:
                return "?column?";
        }
    }
    return "?column?";
}

// Evaluates a LIMIT / OFFSET expression (constants and parameters only).
SqlResult<std::optional<u64>> count_of(const ast::Expr* expr, ExprBinder& binder, EvalContext& eval,
                                       const char* what) {
    if (expr == nullptr) return std::optional<u64>();
    BoundExpr bound = KB_SQL_TRY(binder.bind(*expr, Type::of(SqlType::bigint)));
    bound = KB_SQL_TRY(
        binder.coerce(std::move(bound), Type::of(SqlType::bigint), CoercionContext::assignment));
    Value value = KB_SQL_TRY(evaluate(bound, {}, eval));
    if (value.is_null()) return std::optional<u64>();
    if (value.as_int() < 0) {
        // PostgreSQL: 2201W for LIMIT, 2201X for OFFSET.
        return SqlError(std::string(what) == "LIMIT" ? "2201W" : "2201X",
                        std::string(what) + " must not be negative")
            .at(expr->position);
    }
    return std::optional<u64>(static_cast<u64>(value.as_int()));
}

// A primary-key point lookup when WHERE is a conjunction fixing every key column to a constant
// or parameter: the encoded key, else nullopt.
SqlResult<std::optional<Bytes>> point_key(const kernel::TableSchema& table, const BoundExpr* where,
                                          EvalContext& eval) {
    if (where == nullptr) return std::optional<Bytes>();
    std::vector<const BoundExpr*> conjuncts;
    if (where->kind == BoundKind::and_) {
        for (const BoundExpr& arg : where->args) conjuncts.push_back(&arg);
    } else {
        conjuncts.push_back(where);
    }
    std::vector<Value> values(table.columns.size(), Value::null());
    std::vector<bool> fixed(table.columns.size(), false);
    for (const BoundExpr* conjunct : conjuncts) {
        if (conjunct->kind != BoundKind::call || conjunct->name != "=" ||
            conjunct->args.size() != 2)
            continue;
        const BoundExpr* column = &conjunct->args[0];
        const BoundExpr* other = &conjunct->args[1];
        if (column->kind != BoundKind::column) std::swap(column, other);
        if (column->kind != BoundKind::column) continue;
        if (other->kind != BoundKind::constant && other->kind != BoundKind::parameter) continue;
        Value value = KB_SQL_TRY(evaluate(*other, {}, eval));
        if (value.is_null()) continue;
        if (!(other->type == column->type)) {
            // A cross-type comparison (bigint = integer): the key is encoded in the column's
            // type, so convert when an implicit cast exists and keeps the value (it fails on
            // overflow, and then this is no point lookup).
            auto cast = resolve_cast(other->type, column->type, CoercionContext::implicit);
            if (!cast) continue;
            Value args[] = {std::move(value)};
            auto converted = (*cast)(args, eval);
            if (!converted) continue;
            value = std::move(*converted);
        }
        values[column->index] = std::move(value);
        fixed[column->index] = true;
    }
    for (kernel::ColumnId id : table.primary_key) {
        for (usize i = 0; i < table.columns.size(); ++i) {
            if (table.columns[i].id == id && !fixed[i]) return std::optional<Bytes>();
        }
    }
    kernel::TableKeys keys(table, {});
    auto key = keys.primary_key(values);
    if (!key) return std::optional<Bytes>();
    return std::optional<Bytes>(std::move(*key));
}

SqlResult<std::unique_ptr<Operator>> scan_of(const kernel::TableSchema& table,
                                             const BoundExpr* where, EvalContext& eval) {
    auto key = KB_SQL_TRY(point_key(table, where, eval));
    if (key) {
        Bytes end = *key;
        end.push_back(0);  // keys are prefix-free: [key, key 00) holds exactly `key`
        return std::unique_ptr<Operator>(std::make_unique<TableScan>(
            table, *key, std::move(end),
            "Index Scan using " + table.name + "_pkey on " + table.name));
    }
    return std::unique_ptr<Operator>(
        std::make_unique<TableScan>(table, Bytes(), Bytes(), "Seq Scan on " + table.name));
}

std::vector<std::string> names_of(const Scope& scope) {
    std::vector<std::string> names;
    for (const ScopeColumn& column : scope.columns) names.push_back(column.name);
    return names;
}

}  // namespace

SqlResult<std::vector<Row>> run_plan(Operator& root, ExecContext& context) {
    KB_SQL_TRY(root.open(context));
    std::vector<Row> rows;
    Row row;
    while (KB_SQL_TRY(root.next(context, row))) {
        rows.push_back(std::move(row));
        row = Row();
    }
    return rows;
}

SqlResult<RowSource> plan_rows(const ast::TableRef& table_ref, const ast::Expr* where,
                               db::Transaction& transaction, ParameterTypes& parameters,
                               EvalContext& eval) {
    RowSource source;
    source.table = KB_SQL_TRY(find_table(transaction, table_ref));
    source.scope =
        scope_of(*source.table, table_ref.alias.empty() ? table_ref.name : table_ref.alias);
    ExprBinder binder(source.scope, parameters);
    binder.set_now(eval.transaction_timestamp);
    std::optional<BoundExpr> condition;
    if (where != nullptr) condition = KB_SQL_TRY(binder.bind_condition(*where, "WHERE"));
    source.root = KB_SQL_TRY(scan_of(*source.table, condition ? &*condition : nullptr, eval));
    if (condition) {
        const std::string description = describe(*condition, names_of(source.scope));
        source.root =
            std::make_unique<Filter>(std::move(source.root), std::move(*condition), description);
    }
    return source;
}

SqlResult<QueryPlan> plan_select(const ast::SelectStatement& select, db::Transaction& transaction,
                                 ParameterTypes& parameters, EvalContext& eval) {
    QueryPlan plan;
    Scope scope;
    std::unique_ptr<Operator> input;
    if (select.from) {
        RowSource source =
            KB_SQL_TRY(plan_rows(*select.from, select.where.get(), transaction, parameters, eval));
        scope = std::move(source.scope);
        input = std::move(source.root);
    } else {
        if (select.where) {
            ExprBinder binder(scope, parameters);
            BoundExpr condition = KB_SQL_TRY(binder.bind_condition(*select.where, "WHERE"));
            input = std::make_unique<Values>(std::vector<std::vector<BoundExpr>>{{}});
            input = std::make_unique<Filter>(std::move(input), std::move(condition), "(condition)");
        } else {
            input = std::make_unique<Values>(std::vector<std::vector<BoundExpr>>{{}});
        }
    }

    // Expand the select list (* and t.*).
    struct Target {
        const ast::Expr* expr;
        std::string name;
        std::optional<usize> column;  // a star expansion: this scope column
        int position;
    };
    std::vector<Target> targets;
    for (const ast::SelectItem& item : select.targets) {
        const auto* column = item.expr->as<ast::ColumnRef>();
        if (column != nullptr && column->star) {
            if (scope.columns.empty()) {
                return SqlError(sqlstate::kSyntaxError,
                                "SELECT * with no tables specified is not valid")
                    .at(item.position);
            }
            for (usize i = 0; i < scope.columns.size(); ++i) {
                if (!column->table.empty() && scope.columns[i].table != column->table) continue;
                targets.push_back({nullptr, scope.columns[i].name, i, item.position});
            }
            continue;
        }
        targets.push_back({item.expr.get(),
                           item.alias.empty() ? output_name(*item.expr) : item.alias, std::nullopt,
                           item.position});
    }

    bool aggregated = !select.group_by.empty() || select.having != nullptr;
    for (const Target& target : targets)
        aggregated = aggregated || (target.expr && mentions_aggregate(*target.expr));
    for (const ast::OrderItem& item : select.order_by)
        aggregated = aggregated || mentions_aggregate(*item.expr);

    // GROUP BY items: an output column's position or alias, or an expression of the input.
    std::vector<const ast::Expr*> group_exprs;
    for (const ast::ExprPtr& item : select.group_by) {
        const ast::Expr* expr = item.get();
        if (const auto* literal = expr->as<ast::Literal>();
            literal && literal->kind == ast::Literal::Kind::int4) {
            if (literal->integer < 1 || static_cast<usize>(literal->integer) > targets.size() ||
                targets[static_cast<usize>(literal->integer - 1)].expr == nullptr) {
                return SqlError(sqlstate::kInvalidColumnReference,
                                "GROUP BY position " + std::to_string(literal->integer) +
                                    " is not in select list")
                    .at(expr->position);
            }
            expr = targets[static_cast<usize>(literal->integer - 1)].expr;
        }
        group_exprs.push_back(expr);
    }

    ExprBinder input_binder(scope, parameters);
    input_binder.set_now(eval.transaction_timestamp);
    Scope output_scope = scope;  // what targets bind against (the grouped row when aggregated)
    ExprBinder binder(output_scope, parameters);
    binder.set_now(eval.transaction_timestamp);
    std::vector<BoundExpr> group_keys;
    if (aggregated) {
        std::vector<std::string> key_sql;
        for (const ast::Expr* expr : group_exprs) {
            group_keys.push_back(KB_SQL_TRY(input_binder.bind(*expr)));
            key_sql.push_back(ast::to_sql(*expr));
        }
        binder.allow_aggregates(std::move(key_sql));
    }

    std::vector<BoundExpr> projections;
    for (const Target& target : targets) {
        if (target.column) {
            if (aggregated) {
                return SqlError(sqlstate::kGroupingError,
                                "column \"" + scope.columns[*target.column].table + "." +
                                    scope.columns[*target.column].name +
                                    "\" must appear in the GROUP BY clause or be used in an "
                                    "aggregate function")
                    .at(target.position);
            }
            projections.push_back(BoundExpr::column_of(*target.column,
                                                       scope.columns[*target.column].type,
                                                       scope.columns[*target.column].name));
        } else {
            BoundExpr bound = KB_SQL_TRY(binder.bind(*target.expr));
            if (bound.type.unknown) {
                bound = KB_SQL_TRY(binder.coerce(std::move(bound), Type::of(SqlType::text),
                                                 CoercionContext::implicit));
            }
            projections.push_back(std::move(bound));
        }
        plan.columns.push_back({target.name, projections.back().type});
    }
    std::optional<BoundExpr> having;
    if (select.having) having = KB_SQL_TRY(binder.bind_condition(*select.having, "HAVING"));

    std::vector<SortKey> sort_keys;
    std::string sort_description;
    for (const ast::OrderItem& item : select.order_by) {
        SortKey key{.expr = {}, .descending = item.descending, .nulls = item.nulls};
        const ast::Expr& expr = *item.expr;
        std::optional<usize> output;
        if (const auto* literal = expr.as<ast::Literal>();
            literal && literal->kind == ast::Literal::Kind::int4) {
            if (literal->integer < 1 || static_cast<usize>(literal->integer) > projections.size()) {
                return SqlError(sqlstate::kInvalidColumnReference,
                                "ORDER BY position " + std::to_string(literal->integer) +
                                    " is not in select list")
                    .at(expr.position);
            }
            output = static_cast<usize>(literal->integer - 1);
        } else if (const auto* column = expr.as<ast::ColumnRef>();
                   column && column->table.empty() && !column->star) {
            // An output column's name wins over an input column (SQL92's rule, as PostgreSQL).
            for (usize i = 0; i < targets.size(); ++i) {
                if (targets[i].name == column->column) {
                    output = i;
                    break;
                }
            }
        }
        if (output) {
            key.expr = projections[*output];
        } else {
            key.expr = KB_SQL_TRY(binder.bind(expr));
            if (select.distinct) {
                const std::string sql = ast::to_sql(expr);
                bool listed = false;
                for (const Target& target : targets) {
                    listed = listed || (target.expr && ast::to_sql(*target.expr) == sql) ||
                             (target.column && scope.columns[*target.column].name == sql);
                }
                if (!listed) {
                    return SqlError(sqlstate::kInvalidColumnReference,
                                    "for SELECT DISTINCT, ORDER BY expressions must appear in "
                                    "select list")
                        .at(expr.position);
                }
            }
        }
        if (!sort_description.empty()) sort_description += ", ";
        sort_description += ast::to_sql(expr) + (item.descending ? " DESC" : "");
        sort_keys.push_back(std::move(key));
    }

    ExprBinder limit_binder(scope, parameters);
    const auto limit = KB_SQL_TRY(count_of(select.limit.get(), limit_binder, eval, "LIMIT"));
    const auto offset = KB_SQL_TRY(count_of(select.offset.get(), limit_binder, eval, "OFFSET"));

    std::unique_ptr<Operator> root = std::move(input);
    if (aggregated) {
        root = std::make_unique<Aggregate>(std::move(root), std::move(group_keys),
                                           binder.aggregates());
        if (having)
            root = std::make_unique<Filter>(std::move(root), std::move(*having), "(having)");
    }
    if (!sort_keys.empty())
        root = std::make_unique<Sort>(std::move(root), std::move(sort_keys), sort_description);
    root = std::make_unique<Project>(std::move(root), std::move(projections));
    if (select.distinct) {
        std::vector<Type> types;
        for (const ResultColumn& column : plan.columns) types.push_back(column.type);
        root = std::make_unique<Distinct>(std::move(root), std::move(types));
    }
    if (limit || offset.value_or(0) > 0)
        root = std::make_unique<Limit>(std::move(root), limit, offset.value_or(0));
    plan.root = std::move(root);
    return plan;
}

}  // namespace kb::sql
