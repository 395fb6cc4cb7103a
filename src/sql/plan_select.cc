// SELECT binding and planning (see plan_select.h).
#include "sql/plan_select.h"

#include <algorithm>

#include "kernel/row_codec.h"
#include "sql/ast_walk.h"
#include "sql/bind_ddl.h"
#include "sql/bind_fold.h"
#include "sql/catalog_tables.h"
#include "sql/exec_query.h"
#include "sql/exec_scan.h"
#include "sql/plan_access.h"
#include "sql/statement_guard.h"

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

// Binds a LIMIT / OFFSET expression (constants and parameters only) as a bigint; the Limit
// operator evaluates it when it opens, so a reused plan takes each execution's parameters.
SqlResult<std::optional<BoundExpr>> bind_count(const ast::Expr* expr, ExprBinder& binder,
                                               const char* what) {
    if (expr == nullptr) return std::optional<BoundExpr>();
    binder.set_clause(what);
    BoundExpr bound = KB_SQL_TRY(binder.bind(*expr, Type::of(SqlType::bigint)));
    bound = KB_SQL_TRY(
        binder.coerce(std::move(bound), Type::of(SqlType::bigint), CoercionContext::assignment));
    return std::optional<BoundExpr>(std::move(bound));
}

bool is_constant_null(const std::optional<BoundExpr>& expr) {
    return expr && expr->kind == BoundKind::constant && expr->value.is_null();
}

std::vector<std::string> names_of(const Scope& scope) {
    std::vector<std::string> names;
    for (const ScopeColumn& column : scope.columns) names.push_back(column.name);
    return names;
}

// The table a FROM or a DML target names, the scope its rows bind in, and its WHERE bound.
struct Source {
    const kernel::TableSchema* table = nullptr;
    const SystemTable* system = nullptr;  // a system catalog table (table is its columns)
    std::string label;                    // for EXPLAIN: "t" or "t x"
    Scope scope;
    std::optional<BoundExpr> condition;
};

SqlResult<Source> bind_source(const ast::TableRef& table_ref, const ast::Expr* where,
                              db::Transaction& transaction, ParameterTypes& parameters) {
    Source source;
    // pg_catalog first, as PostgreSQL's search path has it (catalog_tables.h).
    source.system = KB_SQL_TRY(resolve_system_table(table_ref));
    source.table = source.system != nullptr ? &source.system->table
                                            : KB_SQL_TRY(find_table(transaction, table_ref));
    source.label = source.table->name + (table_ref.alias.empty() ? "" : " " + table_ref.alias);
    source.scope =
        scope_of(*source.table, table_ref.alias.empty() ? table_ref.name : table_ref.alias);
    ExprBinder binder(source.scope, parameters);
    if (where != nullptr) source.condition = KB_SQL_TRY(binder.bind_condition(*where, "WHERE"));
    return source;
}

// The scan of the source's table through the access path chosen for its WHERE and `order`,
// with a Filter for what the path does not apply. `ordered`: the rows come in `order`.
std::unique_ptr<Operator> access_plan(Source& source, db::Transaction& transaction,
                                      std::span<const SortKey> order, bool limited, bool* ordered) {
    const std::vector<std::string> names = names_of(source.scope);
    if (source.system != nullptr) {
        // Rows computed when the scan opens: every condition is a filter over them.
        if (ordered != nullptr) *ordered = false;
        std::unique_ptr<Operator> root = system_table_scan(*source.system, source.label);
        if (source.condition) {
            std::string description = describe(*source.condition, names);
            root = std::make_unique<Filter>(std::move(root), std::move(*source.condition),
                                            std::move(description));
        }
        return root;
    }
    const std::vector<const kernel::IndexSchema*> indexes =
        transaction.catalog().indexes_of(source.table->id, transaction.schema_position());
    AccessChoice choice =
        choose_access(*source.table, indexes, std::move(source.condition), order, limited, names);
    if (ordered != nullptr) *ordered = choice.ordered;
    std::unique_ptr<Operator> root =
        std::make_unique<TableScan>(*source.table, std::move(choice.path), source.label);
    if (choice.residual) {
        std::string description = describe(*choice.residual, names);
        root = std::make_unique<Filter>(std::move(root), std::move(*choice.residual),
                                        std::move(description));
    }
    return root;
}

}  // namespace

namespace {

// pg_type.typname, what PostgreSQL names a column after a cast to the type.
std::string_view typname(SqlType type) {
    switch (type) {
        case SqlType::smallint:
            return "int2";
        case SqlType::integer:
            return "int4";
        case SqlType::bigint:
            return "int8";
        case SqlType::real:
            return "float4";
        case SqlType::double_precision:
            return "float8";
        case SqlType::character:
            return "bpchar";
        case SqlType::boolean:
            return "bool";
        case SqlType::varchar:
            return "varchar";
        case SqlType::timestamp:
            return "timestamp";
        case SqlType::timestamptz:
            return "timestamptz";
        default:
            return kernel::sql_type_name(type);  // numeric, text, date, uuid, ...
    }
}

// PostgreSQL's FigureColnameInternal: the name and its strength (0 none, 1 a type or CASE
// name a cast may replace, 2 a column or function name).
int figure_name(const ast::Expr& expr, std::string& name) {
    if (const auto* column = expr.as<ast::ColumnRef>()) {
        name = column->column;
        return 2;
    }
    if (const auto* call = expr.as<ast::FuncCall>()) {
        name = call->name;
        return 2;
    }
    if (const auto* cast = expr.as<ast::Cast>()) {
        const int strength = figure_name(*cast->expr, name);
        if (strength > 1) return strength;
        name = std::string(typname(cast->type.type.type));
        return 1;
    }
    if (const auto* node = expr.as<ast::Case>()) {
        // Named after its ELSE when that is a column or function: CASE ... ELSE c END is "c".
        const int strength = node->else_result ? figure_name(*node->else_result, name) : 0;
        if (strength > 1) return strength;
        name = "case";
        return 1;
    }
    if (expr.is<ast::Coalesce>()) {
        name = "coalesce";
        return 2;
    }
    if (const auto* minmax = expr.as<ast::MinMax>()) {
        name = minmax->op == ast::MinMaxOp::greatest ? "greatest" : "least";
        return 2;
    }
    if (expr.is<ast::NullIf>()) {
        name = "nullif";
        return 2;
    }
    if (const auto* function = expr.as<ast::SqlValueFunction>()) {
        switch (function->kind) {
            case ast::SqlValueKind::current_date:
                name = "current_date";
                return 2;
            case ast::SqlValueKind::current_timestamp:
                name = "current_timestamp";
                return 2;
            case ast::SqlValueKind::localtimestamp:
                name = "localtimestamp";
                return 2;
            case ast::SqlValueKind::current_role:
                name = "current_role";
                return 2;
            case ast::SqlValueKind::current_user:
                name = "current_user";
                return 2;
            case ast::SqlValueKind::user:
                name = "user";
                return 2;
            case ast::SqlValueKind::session_user:
                name = "session_user";
                return 2;
            case ast::SqlValueKind::current_catalog:
                name = "current_catalog";
                return 2;
            case ast::SqlValueKind::current_schema:
                name = "current_schema";
                return 2;
        }
    }
    return 0;
}

}  // namespace

std::string output_name(const ast::Expr& expr) {
    std::string name;
    if (figure_name(expr, name) == 0) return "?column?";
    return name;
}

SqlResult<std::vector<Row>> run_plan(Operator& root, ExecContext& context) {
    std::vector<Row> rows;
    KB_SQL_TRY(run_plan_into(root, context, rows));
    return rows;
}

SqlStatus run_plan_into(Operator& root, ExecContext& context, std::vector<Row>& rows) {
    usize count = 0;
    // Rows past `count` are the earlier run's, kept for their memory until the end.
    const auto finish = [&rows, &count] { rows.resize(count); };
    if (auto opened = root.open(context); !opened) {
        finish();
        return opened.error();
    }
    StatementGuard* guard = context.eval.guard;
    for (;;) {
        if (count == rows.size()) rows.emplace_back();
        Row& row = rows[count];
        auto more = root.next(context, row);
        if (!more) {
            finish();
            return more.error();
        }
        if (!*more) break;
        ++count;
        // The rows are held until the statement ends: they count against its memory limit.
        if (guard != nullptr && guard->hold(row_bytes(row))) {
            finish();
            return guard->error();
        }
    }
    finish();
    return sql_ok();
}

SqlResult<RowSource> plan_rows(const ast::TableRef& table_ref, const ast::Expr* where,
                               db::Transaction& transaction, ParameterTypes& parameters) {
    Source bound = KB_SQL_TRY(bind_source(table_ref, where, transaction, parameters));
    if (bound.system != nullptr) {
        // UPDATE and DELETE are refused before they get here (refuse_system_catalog_writes).
        return SqlError(sqlstate::kInsufficientPrivilege,
                        "permission denied: \"" + bound.table->name + "\" is a system catalog")
            .at(table_ref.position);
    }
    RowSource source;
    source.table = bound.table;
    source.where_folding.note(bound.condition);
    source.root = access_plan(bound, transaction, {}, false, nullptr);
    source.scope = std::move(bound.scope);
    return source;
}

SqlResult<QueryPlan> plan_select(const ast::SelectStatement& select, db::Transaction& transaction,
                                 ParameterTypes& parameters) {
    QueryPlan plan;
    Scope scope;
    std::optional<Source> source;  // FROM a table; without FROM, one empty row
    std::optional<BoundExpr> where_without_from;
    if (select.from) {
        source = KB_SQL_TRY(bind_source(*select.from, select.where.get(), transaction, parameters));
        scope = source->scope;
    } else if (select.where) {
        ExprBinder binder(scope, parameters);
        where_without_from = KB_SQL_TRY(binder.bind_condition(*select.where, "WHERE"));
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
        } else if (const auto* ref = expr->as<ast::ColumnRef>();
                   ref && !ref->star && ref->table.empty() &&
                   std::none_of(scope.columns.begin(), scope.columns.end(),
                                [&](const ScopeColumn& c) { return c.name == ref->column; })) {
            // Not an input column: an output column's alias (PostgreSQL tries the input
            // columns first in GROUP BY).
            const ast::Expr* aliased = nullptr;
            for (const Target& target : targets) {
                if (target.expr == nullptr || target.name != ref->column) continue;
                if (aliased != nullptr && ast::to_sql(*aliased) != ast::to_sql(*target.expr)) {
                    return SqlError("42702", "GROUP BY \"" + ref->column + "\" is ambiguous")
                        .at(expr->position);
                }
                aliased = target.expr;
            }
            if (aliased != nullptr) expr = aliased;
        }
        group_exprs.push_back(expr);
    }

    // Grouped columns are usable written either way (id, t.id); grouping by the primary key
    // makes every column of the table usable (PostgreSQL's functional dependency). Both join
    // the keys as extra grouping columns, which cannot split a group.
    std::vector<ast::ExprPtr> implied_keys;
    if (source && aggregated && !group_exprs.empty()) {
        const std::string label = scope.columns.empty() ? std::string() : scope.columns[0].table;
        std::vector<std::string> key_texts;
        for (const ast::Expr* expr : group_exprs) key_texts.push_back(ast::to_sql(*expr));
        auto grouped = [&](const std::string& name) {
            return std::any_of(group_exprs.begin(), group_exprs.end(), [&](const ast::Expr* e) {
                const auto* ref = e->as<ast::ColumnRef>();
                return ref != nullptr && !ref->star && ref->column == name &&
                       (ref->table.empty() || ref->table == label);
            });
        };
        // (A system view has no primary key: no functional dependency.)
        bool by_primary_key = !source->table->primary_key.empty();
        for (kernel::ColumnId id : source->table->primary_key) {
            by_primary_key = by_primary_key && grouped(source->table->column(id)->name);
        }
        for (const ScopeColumn& column : scope.columns) {
            if (!by_primary_key && !grouped(column.name)) continue;
            for (ast::ColumnRef ref : {ast::ColumnRef{.column = column.name},
                                       ast::ColumnRef{.table = label, .column = column.name}}) {
                ast::ExprPtr key = ast::make_expr(std::move(ref), 0);
                const std::string text = ast::to_sql(*key);
                if (std::find(key_texts.begin(), key_texts.end(), text) != key_texts.end()) {
                    continue;
                }
                key_texts.push_back(text);
                implied_keys.push_back(std::move(key));
            }
        }
        for (const ast::ExprPtr& key : implied_keys) group_exprs.push_back(key.get());
    }

    ExprBinder input_binder(scope, parameters);
    input_binder.set_clause("GROUP BY");
    Scope output_scope = scope;  // what targets bind against (the grouped row when aggregated)
    ExprBinder binder(output_scope, parameters);
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
    std::vector<std::optional<usize>> sort_outputs;  // per key: the output column it is
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
            // An output column's name wins over an input column (SQL92's rule, as PostgreSQL);
            // two output columns of that name must be the same expression as analysed, before
            // constant folding (`CAST(ts AS timestamp)` of a timestamp column is the column
            // itself; `CASE WHEN NULL THEN a ELSE b END` is not b).
            auto analysed = [&](usize i) -> std::optional<BoundExpr> {
                if (targets[i].expr == nullptr) return projections[i];
                ParameterTypes scratch = parameters;
                ExprBinder unfolded(scope, scratch);
                unfolded.set_folding(false);
                auto bound = unfolded.bind(*targets[i].expr);
                if (!bound) return std::nullopt;  // aggregates: compare the bound entries
                return std::move(*bound);
            };
            auto same = [&](usize a, usize b) {
                const auto first = analysed(a);
                const auto second = analysed(b);
                return first && second ? same_expression(*first, *second)
                                       : same_expression(projections[a], projections[b]);
            };
            for (usize i = 0; i < targets.size(); ++i) {
                if (targets[i].name != column->column) continue;
                if (output && !same(*output, i)) {
                    return SqlError("42702", "ORDER BY \"" + column->column + "\" is ambiguous")
                        .at(expr.position);
                }
                if (!output) output = i;
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
        sort_outputs.push_back(output);
    }

    ExprBinder limit_binder(scope, parameters);
    auto limit = KB_SQL_TRY(bind_count(select.limit.get(), limit_binder, "LIMIT"));
    auto offset = KB_SQL_TRY(bind_count(select.offset.get(), limit_binder, "OFFSET"));
    if (is_constant_null(limit)) limit.reset();  // LIMIT NULL / ALL: no limit
    if (is_constant_null(offset) ||
        (offset && offset->kind == BoundKind::constant && offset->value.as_int() == 0)) {
        offset.reset();
    }

    // Everything is bound: what PostgreSQL's planner would raise folding constants, in its
    // order (the target list with ORDER BY and GROUP BY expressions, WHERE, HAVING, OFFSET,
    // LIMIT), to be raised before anything runs.
    for (const BoundExpr& expr : projections) plan.folding.note(expr);
    for (const SortKey& key : sort_keys) plan.folding.note(key.expr);
    for (const BoundExpr& expr : group_keys) plan.folding.note(expr);
    for (const BoundAggregate& aggregate : binder.aggregates()) {
        for (const BoundExpr& expr : aggregate.arguments) plan.folding.note(expr);
    }
    plan.folding.note(source ? source->condition : where_without_from);
    plan.folding.note(having);
    plan.folding.note(offset);
    plan.folding.note(limit);

    std::unique_ptr<Operator> input;
    bool ordered = false;
    if (!source) {
        input = std::make_unique<Values>(std::vector<std::vector<BoundExpr>>{{}});
        if (where_without_from) {
            input = std::make_unique<Filter>(std::move(input), std::move(*where_without_from),
                                             "(condition)");
        }
    } else {
        // ORDER BY can come from the access path only when rows reach it as scanned.
        input = access_plan(
            *source, transaction,
            aggregated ? std::span<const SortKey>() : std::span<const SortKey>(sort_keys),
            limit.has_value(), &ordered);
    }
    std::unique_ptr<Operator> root = std::move(input);
    if (aggregated) {
        root = std::make_unique<Aggregate>(std::move(root), std::move(group_keys),
                                           binder.aggregates());
        if (having)
            root = std::make_unique<Filter>(std::move(root), std::move(*having), "(having)");
    }
    if (!sort_keys.empty() && !ordered) {
        // As PostgreSQL: the select list is computed below the Sort, for every row sorted
        // (its errors too, whatever LIMIT keeps), with any other ORDER BY expression as an
        // extra column that a Project above drops.
        const usize width = projections.size();
        std::vector<BoundExpr> wide = std::move(projections);
        for (usize i = 0; i < sort_keys.size(); ++i) {
            usize column = sort_outputs[i].value_or(wide.size());
            if (!sort_outputs[i]) wide.push_back(sort_keys[i].expr);
            sort_keys[i].expr = BoundExpr::column_of(column, wide[column].type, "sort");
        }
        const bool extra = wide.size() > width;
        std::vector<BoundExpr> outputs;
        for (usize i = 0; extra && i < width; ++i) {
            outputs.push_back(BoundExpr::column_of(i, wide[i].type, plan.columns[i].name));
        }
        root = std::make_unique<Project>(std::move(root), std::move(wide));
        root = std::make_unique<Sort>(std::move(root), std::move(sort_keys), sort_description);
        if (extra) root = std::make_unique<Project>(std::move(root), std::move(outputs));
    } else {
        root = std::make_unique<Project>(std::move(root), std::move(projections));
    }
    if (select.distinct) {
        std::vector<Type> types;
        for (const ResultColumn& column : plan.columns) types.push_back(column.type);
        root = std::make_unique<Distinct>(std::move(root), std::move(types));
    }
    if (limit || offset)
        root = std::make_unique<Limit>(std::move(root), std::move(limit), std::move(offset));
    plan.root = std::move(root);
    return plan;
}

}  // namespace kb::sql
