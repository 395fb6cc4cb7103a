// INSERT, UPDATE, DELETE (see exec_dml.h).
#include "sql/exec_dml.h"

#include <algorithm>
#include <set>

#include "sql/bind_ddl.h"
#include "sql/dml_defaults.h"
#include "sql/dml_writer.h"
#include "sql/parse.h"
#include "sql/plan_cache.h"
#include "sql/plan_select.h"
#include "sql/statement_guard.h"

namespace kb::sql {

namespace {

using Returning = BoundReturning;

// `table`'s column `name`, or 42703 naming the relation, at `position`.
SqlResult<const kernel::ColumnDef*> column_of_relation(const kernel::TableSchema& table,
                                                       const std::string& name, int position) {
    const kernel::ColumnDef* column = table.find_column(name);
    if (column == nullptr) {
        return SqlError(sqlstate::kUndefinedColumn,
                        "column \"" + name + "\" of relation \"" + table.name + "\" does not exist")
            .at(position);
    }
    return column;
}

SqlResult<Returning> bind_returning(const std::vector<ast::SelectItem>& items, const Scope& scope,
                                    ParameterTypes& parameters) {
    Returning returning;
    ExprBinder binder(scope, parameters);
    binder.set_clause("RETURNING");
    for (const ast::SelectItem& item : items) {
        const auto* column = item.expr->as<ast::ColumnRef>();
        if (column != nullptr && column->star) {
            for (usize i = 0; i < scope.columns.size(); ++i) {
                returning.expressions.push_back(
                    BoundExpr::column_of(i, scope.columns[i].type, scope.columns[i].name));
                returning.columns.push_back({scope.columns[i].name, scope.columns[i].type});
            }
            continue;
        }
        BoundExpr bound = KB_SQL_TRY(binder.bind(*item.expr));
        if (bound.type.unknown) {
            // An untyped literal or $n is text, as in a select list (PostgreSQL).
            bound = KB_SQL_TRY(binder.coerce(std::move(bound), Type::of(SqlType::text),
                                             CoercionContext::implicit));
        }
        const std::string name = item.alias.empty() ? output_name(*item.expr) : item.alias;
        returning.columns.push_back({name, bound.type});
        returning.expressions.push_back(std::move(bound));
    }
    return returning;
}

SqlStatus add_returning_row(const Returning& returning, const Row& row, EvalContext& eval,
                            StatementResult& result) {
    if (returning.expressions.empty()) return sql_ok();
    Row out;
    for (const BoundExpr& expr : returning.expressions)
        out.push_back(KB_SQL_TRY(evaluate(expr, row, eval)));
    // RETURNING rows are held until the statement ends (statement_guard.h).
    if (eval.guard != nullptr && eval.guard->hold(row_bytes(out))) return eval.guard->error();
    result.rows.push_back(std::move(out));
    return sql_ok();
}

// What folding an UPDATE's or DELETE's constants raised (bind_fold.h), in PostgreSQL's planning
// order: the target list (`target`: the SET list), RETURNING, then WHERE.
SqlStatus raise_folding(FoldingError target, const Returning& returning, const RowSource& rows) {
    for (const BoundExpr& expr : returning.expressions) target.note(expr);
    KB_SQL_TRY(target.raise());
    return rows.where_folding.raise();
}

void describe_returning(const Returning& returning, StatementResult& result) {
    if (returning.expressions.empty()) return;
    result.returns_rows = true;
    result.columns = returning.columns;
}

std::string insert_tag(usize rows) { return "INSERT 0 " + std::to_string(rows); }

}  // namespace

namespace {

using InsertRows = std::vector<std::vector<std::optional<Value>>>;  // nullopt: DEFAULT

// The table, its writer, the target columns and the VALUES bound (the first part of the
// analysis, in PostgreSQL's order).
SqlStatus bind_insert_target(const ast::InsertStatement& statement, db::Transaction& transaction,
                             EvalContext& eval, InsertPlan& plan) {
    plan.table = *KB_SQL_TRY(find_table(transaction, statement.table));
    const kernel::TableSchema& table = plan.table;
    plan.writer = KB_SQL_TRY(TableWriter::make(transaction, table, eval));
    ParameterTypes& parameters = eval.parameter_types;  // $n: one type across the statement

    // Which table column each written value goes to.
    std::vector<usize>& targets = plan.targets;
    if (statement.columns.empty()) {
        for (usize i = 0; i < table.columns.size(); ++i) targets.push_back(i);
    } else {
        for (const ast::NameRef& name : statement.columns) {
            const kernel::ColumnDef* column =
                KB_SQL_TRY(column_of_relation(table, name.name, name.position));
            const usize index = static_cast<usize>(column - table.columns.data());
            if (std::find(targets.begin(), targets.end(), index) != targets.end()) {
                return SqlError(sqlstate::kDuplicateColumn,
                                "column \"" + name.name + "\" specified more than once")
                    .at(name.position);
            }
            targets.push_back(index);
        }
    }
    if (statement.source == ast::InsertSource::default_values) {
        targets.clear();  // one row, every column its default
        return sql_ok();
    }
    if (statement.source != ast::InsertSource::values) return sql_ok();

    Scope empty;
    ExprBinder binder(empty, parameters);
    binder.set_clause("VALUES");
    std::optional<SqlError> data_error;
    for (const ast::ExprList& values : statement.rows) {
        if (values.size() > targets.size()) {
            return SqlError(sqlstate::kSyntaxError,
                            "INSERT has more expressions than target columns")
                .at(values[targets.size()]->position);
        }
        // Without a column list, PostgreSQL fills the columns after the last value with
        // their defaults.
        if (values.size() < targets.size() && !statement.columns.empty()) {
            return SqlError(sqlstate::kSyntaxError,
                            "INSERT has more target columns than expressions")
                .at(values.empty() ? 0 : values.back()->position);
        }
        std::vector<std::optional<BoundExpr>> row;
        row.reserve(values.size());
        for (usize i = 0; i < values.size(); ++i) {
            if (values[i]->is<ast::DefaultValue>()) {
                row.emplace_back();
                continue;
            }
            auto bound = bind_assignment(binder, *values[i], table.columns[targets[i]]);
            if (!bound) {
                // A data exception of a constant (its conversion to the column's type)
                // surfaces at execution in PostgreSQL, after every analysis error.
                if (bound.error().sqlstate.rfind("22", 0) != 0) return bound.error();
                if (!data_error) data_error = bound.error();
                row.emplace_back();
                continue;
            }
            row.emplace_back(std::move(*bound));
        }
        plan.values.push_back(std::move(row));
    }
    if (data_error) return *data_error;
    return sql_ok();
}

// The rows to insert, as values for the target columns: the VALUES computed (every row was
// bound, type errors first, before any value is computed), the SELECT planned and run, or
// DEFAULT VALUES' one row. Nothing is computed for a description.
SqlStatus insert_rows(const ast::InsertStatement& statement, db::Transaction& transaction,
                      EvalContext& eval, const InsertPlan& plan, InsertRows& rows) {
    const kernel::TableSchema& table = plan.table;
    const std::vector<usize>& targets = plan.targets;
    if (statement.source == ast::InsertSource::default_values) {
        rows.emplace_back();
        return sql_ok();
    }
    if (statement.source == ast::InsertSource::values) {
        if (eval.describe_only) return sql_ok();  // bound (typed) is all a description needs
        rows.reserve(plan.values.size());
        for (const auto& bound_row : plan.values) {
            std::vector<std::optional<Value>> row;
            row.reserve(bound_row.size());
            for (const auto& bound : bound_row) {
                if (!bound) {
                    row.emplace_back();
                    continue;
                }
                row.emplace_back(KB_SQL_TRY(evaluate(*bound, {}, eval)));
            }
            rows.push_back(std::move(row));
        }
        return sql_ok();
    }
    ParameterTypes& parameters = eval.parameter_types;
    QueryPlan query = KB_SQL_TRY(plan_select(*statement.select, transaction, parameters));
    if (query.columns.size() > targets.size()) {
        return SqlError(sqlstate::kSyntaxError, "INSERT has more expressions than target columns");
    }
    if (query.columns.size() < targets.size() && !statement.columns.empty()) {
        return SqlError(sqlstate::kSyntaxError, "INSERT has more target columns than expressions");
    }
    // Types are checked before any row is read, as PostgreSQL's analysis does (an empty
    // source does not excuse a mismatch).
    const std::vector<ast::SelectItem>& items = statement.select->targets;
    const bool one_to_one = items.size() == query.columns.size();
    for (usize i = 0; i < query.columns.size(); ++i) {
        const ast::Expr* item = one_to_one ? items[i].expr.get() : nullptr;
        // A bare NULL or string literal is of unknown type there: its row values are
        // converted (or refused) one by one below.
        const auto* literal = item != nullptr ? item->as<ast::Literal>() : nullptr;
        if (literal != nullptr && (literal->kind == ast::Literal::Kind::null ||
                                   literal->kind == ast::Literal::Kind::string)) {
            continue;
        }
        KB_SQL_TRY(check_assignable(query.columns[i].type, table.columns[targets[i]],
                                    item != nullptr ? item->position : 0));
    }
    ExecContext context{&transaction, eval};
    std::vector<Row> selected;
    if (!eval.describe_only) {
        KB_SQL_TRY(query.folding.raise());
        selected = KB_SQL_TRY(run_plan(*query.root, context));
    }
    for (Row& source : selected) {
        std::vector<std::optional<Value>> row;
        for (usize i = 0; i < source.size(); ++i) {
            const Type target = Type::of(table.columns[targets[i]].type);
            const Type from = query.columns[i].type;
            if (from == target || source[i].is_null()) {
                row.emplace_back(std::move(source[i]));
                continue;
            }
            ScalarImpl cast = KB_SQL_TRY(resolve_cast(from, target, CoercionContext::assignment));
            Value args[] = {std::move(source[i])};
            row.emplace_back(KB_SQL_TRY(cast(args, eval)));
        }
        rows.push_back(std::move(row));
    }
    return sql_ok();
}

// RETURNING and ON CONFLICT: which constraint, and the SET list bound against the row and
// EXCLUDED (the rest of the analysis).
SqlStatus bind_insert_clauses(const ast::InsertStatement& statement, db::Transaction& transaction,
                              EvalContext& eval, InsertPlan& plan) {
    const kernel::TableSchema& table = plan.table;
    ParameterTypes& parameters = eval.parameter_types;
    const std::string visible = statement.table.alias.empty() ? table.name : statement.table.alias;
    const Scope table_scope = plan.writer->scope(visible);
    plan.returning = KB_SQL_TRY(bind_returning(statement.returning, table_scope, parameters));

    for (const kernel::IndexSchema* index :
         transaction.catalog().indexes_of(table.id, transaction.schema_position())) {
        if (index->unique) plan.unique_indexes.push_back(*index);
    }
    if (!statement.on_conflict) return sql_ok();
    std::optional<std::optional<kernel::IndexId>>& conflict_target = plan.conflict_target;
    const ast::OnConflict& conflict = *statement.on_conflict;
    if (!conflict.target_columns.empty()) {
        std::vector<kernel::ColumnId> columns;
        for (const ast::NameRef& name : conflict.target_columns) {
            const kernel::ColumnDef* column = table.find_column(name.name);
            if (column == nullptr) {
                return SqlError(sqlstate::kUndefinedColumn,
                                "column \"" + name.name + "\" does not exist")
                    .at(name.position);
            }
            columns.push_back(column->id);
        }
        auto same = [&](const std::vector<kernel::ColumnId>& other) {
            return std::is_permutation(columns.begin(), columns.end(), other.begin(), other.end());
        };
        if (same(table.primary_key)) {
            conflict_target = std::optional<kernel::IndexId>();
        } else {
            // Any unique index over exactly those columns is an arbiter (PostgreSQL's
            // inference), whether a UNIQUE constraint or CREATE UNIQUE INDEX made it.
            for (const kernel::IndexSchema& index : plan.unique_indexes) {
                std::vector<kernel::ColumnId> indexed;
                for (const kernel::IndexColumn& column : index.columns)
                    indexed.push_back(column.column);
                if (!conflict_target && same(indexed))
                    conflict_target = std::optional<kernel::IndexId>(index.id);
            }
        }
        if (!conflict_target) {
            return SqlError(sqlstate::kInvalidColumnReference,
                            "there is no unique or exclusion constraint matching the ON CONFLICT "
                            "specification")
                .at(conflict.position);
        }
    } else if (!conflict.constraint_name.empty()) {
        if (conflict.constraint_name == table.primary_key_name()) {
            conflict_target = std::optional<kernel::IndexId>();
        }
        for (const auto& unique : table.uniques) {
            if (unique.name == conflict.constraint_name) {
                conflict_target = std::optional<kernel::IndexId>(unique.index);
            }
        }
        if (!conflict_target) {
            return SqlError(sqlstate::kUndefinedObject, "constraint \"" + conflict.constraint_name +
                                                            "\" for table \"" + table.name +
                                                            "\" does not exist")
                .at(conflict.position);
        }
    } else if (conflict.action == ast::ConflictAction::update) {
        return SqlError(sqlstate::kSyntaxError,
                        "ON CONFLICT DO UPDATE requires inference specification or constraint name")
            .with_hint("For example, ON CONFLICT (column_name).")
            .at(conflict.position);
    }
    if (conflict.action == ast::ConflictAction::update) {
        Scope both = table_scope;
        for (const ScopeColumn& column : table_scope.columns) {
            both.columns.push_back({"excluded", column.name, column.type});
        }
        ExprBinder set_binder(both, parameters);
        set_binder.set_clause("UPDATE");
        for (const ast::SetClause& set : conflict.set) {
            const kernel::ColumnDef* column =
                KB_SQL_TRY(column_of_relation(table, set.column, set.position));
            const usize index = static_cast<usize>(column - table.columns.data());
            if (set.value->is<ast::DefaultValue>()) {
                return SqlError(sqlstate::kFeatureNotSupported,
                                "DEFAULT in ON CONFLICT DO UPDATE is not supported")
                    .at(set.position);
            }
            plan.conflict_set.emplace_back(
                index, KB_SQL_TRY(bind_assignment(set_binder, *set.value, *column)));
        }
        if (conflict.where)
            plan.conflict_where = KB_SQL_TRY(set_binder.bind_condition(*conflict.where, "WHERE"));
    }
    return sql_ok();
}

// Each row filled with its defaults, checked and written (or resolved by ON CONFLICT).
SqlResult<StatementResult> write_insert(const ast::InsertStatement& statement,
                                        db::Transaction& transaction, EvalContext& eval,
                                        const InsertPlan& plan, InsertRows& rows) {
    const kernel::TableSchema& table = plan.table;
    TableWriter* writer = plan.writer.get();
    const Returning& returning = plan.returning;
    const auto& conflict_target = plan.conflict_target;
    StatementResult result;
    describe_returning(returning, result);
    if (eval.describe_only) return result;
    ColumnDefaults defaults(transaction, table, eval);
    defaults.expect_rows(rows.size());
    // Constant-folding errors of RETURNING and ON CONFLICT (the VALUES were evaluated above).
    FoldingError folding;
    for (const BoundExpr& expr : returning.expressions) folding.note(expr);
    for (const auto& [index, expr] : plan.conflict_set) folding.note(expr);
    folding.note(plan.conflict_where);
    KB_SQL_TRY(folding.raise());
    const std::vector<usize>& targets = plan.targets;
    usize inserted = 0;
    // Primary keys of the rows this statement inserted or updated: DO UPDATE may not touch one
    // of them again (PostgreSQL cannot tell which proposed row should win).
    std::set<Bytes> affected;
    Row row;
    std::vector<bool> given;
    for (auto& values : rows) {
        if (must_stop(eval.guard)) return eval.guard->error();  // a cancellation point per row
        row.assign(table.columns.size(), Value::null());
        given.assign(table.columns.size(), false);
        for (usize i = 0; i < values.size(); ++i) {
            if (!values[i]) continue;
            const kernel::ColumnDef& column = table.columns[targets[i]];
            if (column.identity == kernel::Identity::always &&
                statement.overriding != ast::Overriding::system_value) {
                return SqlError("428C9", "cannot insert a non-DEFAULT value into column \"" +
                                             column.name + "\"")
                    .with_detail("Column \"" + column.name +
                                 "\" is an identity column defined as GENERATED ALWAYS.")
                    .with_hint("Use OVERRIDING SYSTEM VALUE to override.");
            }
            row[targets[i]] = std::move(*values[i]);
            given[targets[i]] = true;
        }
        for (usize c = 0; c < table.columns.size(); ++c) {
            if (!given[c]) row[c] = KB_SQL_TRY(defaults.value(c));
        }
        // PostgreSQL checks NOT NULL and CHECK before it looks for a conflict.
        if (statement.on_conflict) KB_SQL_TRY(writer->check_constraints(row));
        if (conflict_target) {
            auto existing = KB_SQL_TRY(writer->conflicting(row, *conflict_target));
            if (!existing && statement.on_conflict->target_columns.empty() &&
                statement.on_conflict->constraint_name.empty()) {
                existing = KB_SQL_TRY(writer->conflicting(row, std::nullopt));
            }
            if (existing) {
                if (statement.on_conflict->action == ast::ConflictAction::nothing) continue;
                if (affected.contains(KB_SQL_TRY(writer->key_of(*existing)))) {
                    return SqlError(sqlstate::kCardinalityViolation,
                                    "ON CONFLICT DO UPDATE command cannot affect row a second time")
                        .with_hint(
                            "Ensure that no rows proposed for insertion within the same "
                            "command have duplicate constrained values.");
                }
                Row both = *existing;
                both.insert(both.end(), row.begin(), row.end());
                if (plan.conflict_where &&
                    !KB_SQL_TRY(evaluate_condition(*plan.conflict_where, both, eval)))
                    continue;
                Row updated = *existing;
                for (const auto& [index, expr] : plan.conflict_set)
                    updated[index] = KB_SQL_TRY(evaluate(expr, both, eval));
                KB_SQL_TRY(writer->update(*existing, updated));
                affected.insert(KB_SQL_TRY(writer->key_of(updated)));
                KB_SQL_TRY(add_returning_row(returning, updated, eval, result));
                ++inserted;
                continue;
            }
        } else if (statement.on_conflict) {
            // DO NOTHING without a target: any unique violation skips the row.
            if (KB_SQL_TRY(writer->conflicting(row, std::nullopt))) continue;
            bool taken = false;
            for (const kernel::IndexSchema& index : plan.unique_indexes) {
                taken = taken || KB_SQL_TRY(writer->conflicting(row, index.id)).has_value();
            }
            if (taken) continue;
        }
        KB_SQL_TRY(writer->insert(row));
        if (statement.on_conflict) affected.insert(KB_SQL_TRY(writer->key_of(row)));
        KB_SQL_TRY(add_returning_row(returning, row, eval, result));
        ++inserted;
    }
    result.tag = insert_tag(inserted);
    return result;
}

// The statement run with `plan` bound (nullptr: bound now, into `plan`).
SqlResult<StatementResult> run_insert(const ast::InsertStatement& statement,
                                      db::Transaction& transaction, EvalContext& eval,
                                      std::unique_ptr<InsertPlan>& plan) {
    InsertRows rows;
    if (plan != nullptr) {
        plan->writer->rebind(transaction, eval);
        KB_SQL_TRY(insert_rows(statement, transaction, eval, *plan, rows));
    } else {
        auto bound = std::make_unique<InsertPlan>();
        KB_SQL_TRY(bind_insert_target(statement, transaction, eval, *bound));
        KB_SQL_TRY(insert_rows(statement, transaction, eval, *bound, rows));
        KB_SQL_TRY(bind_insert_clauses(statement, transaction, eval, *bound));
        plan = std::move(bound);  // fully bound: good for the next run too
    }
    return write_insert(statement, transaction, eval, *plan, rows);
}

}  // namespace

SqlResult<StatementResult> execute_insert(const ast::InsertStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval,
                                          PlanCache* plan_cache) {
    // INSERT ... SELECT plans its query afresh every run (its operators are not kept).
    const std::optional<db::SchemaKey> key = plan_cache != nullptr && !eval.describe_only &&
                                                     statement.source != ast::InsertSource::select
                                                 ? transaction.schema_key()
                                                 : std::nullopt;
    std::unique_ptr<InsertPlan> plan = key ? plan_cache->take_insert(*key) : nullptr;
    SqlResult<StatementResult> result = run_insert(statement, transaction, eval, plan);
    if (key && plan != nullptr) {  // kept whatever this run met: the binding is as good
        plan->key = *key;
        plan_cache->keep_insert(std::move(plan));
    }
    return result;
}

SqlStatus fill_added_column(db::Transaction& transaction, kernel::TableId table_id,
                            kernel::ColumnId column_id, EvalContext& eval) {
    const kernel::TableSchema* table =
        transaction.catalog().table(table_id, transaction.schema_position());
    KB_ASSERT(table != nullptr);
    usize index = 0;
    while (table->columns[index].id != column_id) ++index;
    const kernel::ColumnDef& column = table->columns[index];
    if (column.default_value.kind == kernel::DefaultKind::none && !column.not_null) return sql_ok();
    // As PostgreSQL: a default that is not volatile is evaluated once, now — even for an empty
    // table, so its error is the ALTER's — and every row gets that value; a volatile one (a
    // sequence, gen_random_uuid()) is evaluated per row.
    const kernel::ColumnDefault& given = column.default_value;
    const bool is_volatile = column.identity != kernel::Identity::none ||
                             given.kind == kernel::DefaultKind::nextval ||
                             given.kind == kernel::DefaultKind::gen_random_uuid ||
                             (given.kind == kernel::DefaultKind::expression &&
                              (given.expression.find("gen_random_uuid") != std::string::npos ||
                               given.expression.find("nextval") != std::string::npos));
    ColumnDefaults defaults(transaction, *table, eval);
    std::optional<Value> once;
    if (!is_volatile) {
        defaults.expect_rows(1);
        once = KB_SQL_TRY(defaults.value(index));
    }
    auto rows = transaction.scan(table_id, {}, {});
    if (!rows) return from_status(rows.status());
    if (is_volatile) defaults.expect_rows(rows->size());
    for (const db::KeyedRow& stored : *rows) {
        auto values = kernel::decode_row(*table, stored.row);
        if (!values) return from_status(values.status());
        (*values)[index] = once ? *once : KB_SQL_TRY(defaults.value(index));
        if (column.not_null && (*values)[index].is_null()) {
            return SqlError(sqlstate::kNotNullViolation, "column \"" + column.name +
                                                             "\" of relation \"" + table->name +
                                                             "\" contains null values");
        }
        Status written =
            transaction.update(table_id, stored.key, kernel::encode_row(*table, *values));
        if (!written.is_ok()) return from_status(written);
    }
    return sql_ok();
}

namespace {

// "Key (a, b)=(1, x)" for the row's values in `columns`.
std::string key_text(const kernel::TableSchema& table, const std::vector<kernel::ColumnId>& columns,
                     const Row& row) {
    std::string names, values;
    for (usize i = 0; i < columns.size(); ++i) {
        const kernel::ColumnDef* column = table.column(columns[i]);
        const usize at = static_cast<usize>(column - table.columns.data());
        names += (i > 0 ? ", " : "") + column->name;
        values += (i > 0 ? ", " : "") + (row[at].is_null()
                                             ? std::string("null")
                                             : value_to_text(row[at], Type::of(column->type)));
    }
    return "Key (" + names + ")=(" + values + ")";
}

}  // namespace

SqlStatus check_unique_index(db::Transaction& transaction, kernel::TableId table_id,
                             const std::string& name,
                             const std::vector<kernel::ColumnId>& columns) {
    const kernel::TableSchema& table =
        *transaction.catalog().table(table_id, transaction.schema_position());
    auto rows = transaction.scan(table_id, {}, {});
    if (!rows) return from_status(rows.status());
    std::set<Bytes> seen;  // the values' key encodings (equal values, equal bytes)
    for (const db::KeyedRow& stored : *rows) {
        auto row = kernel::decode_row(table, stored.row);
        if (!row) return from_status(row.status());
        Bytes key;
        bool has_null = false;
        for (kernel::ColumnId id : columns) {
            const kernel::ColumnDef* column = table.column(id);
            const Value& value = (*row)[static_cast<usize>(column - table.columns.data())];
            has_null = has_null || value.is_null();
            if (has_null) break;
            kernel::encode_key_column({.type = *kernel::key_type_of(column->type.type)},
                                      kernel::key_value_of(value), &key);
        }
        if (has_null) continue;  // NULLs never collide
        if (!seen.insert(std::move(key)).second) {
            return SqlError(sqlstate::kUniqueViolation,
                            "could not create unique index \"" + name + "\"")
                .with_detail(key_text(table, columns, *row) + " is duplicated.");
        }
    }
    return sql_ok();
}

SqlStatus check_added_constraints(db::Transaction& transaction, kernel::TableId table_id,
                                  const kernel::AddedConstraints& constraints, EvalContext& eval) {
    if (constraints.empty()) return sql_ok();
    const kernel::TableSchema table =
        *transaction.catalog().table(table_id, transaction.schema_position());
    auto writer = KB_SQL_TRY(TableWriter::make(transaction, table, eval));
    const Scope scope = writer->scope(table.name);
    ParameterTypes no_parameters;
    std::vector<std::pair<std::string, BoundExpr>> checks;
    for (const kernel::CheckConstraint& check : constraints.checks) {
        ast::ExprPtr expr = KB_SQL_TRY(parse_expression(check.expression));
        ExprBinder binder(scope, no_parameters);
        checks.emplace_back(check.name, KB_SQL_TRY(binder.bind_condition(*expr, "CHECK")));
    }
    auto index_of = [&](kernel::ColumnId id) {
        usize at = 0;
        while (table.columns[at].id != id) ++at;
        return at;
    };
    auto scanned = transaction.scan(table_id, {}, {});
    if (!scanned) return from_status(scanned.status());
    std::vector<Row> rows;
    for (const db::KeyedRow& stored : *scanned) {
        auto decoded = kernel::decode_row(table, stored.row);
        if (!decoded) return from_status(decoded.status());
        rows.push_back(std::move(*decoded));
    }
    // In PostgreSQL's order: the rewrite checks each row, then the indexes are built, then the
    // foreign keys validated.
    for (const Row& row : rows) {
        for (const auto& [name, check] : checks) {
            Value result = KB_SQL_TRY(evaluate(check, row, eval));
            if (!result.is_null() && !result.as_bool()) {
                return SqlError(sqlstate::kCheckViolation, "check constraint \"" + name +
                                                               "\" of relation \"" + table.name +
                                                               "\" is violated by some row");
            }
        }
    }
    for (const kernel::UniqueConstraint& unique : constraints.uniques) {
        KB_SQL_TRY(check_unique_index(transaction, table_id, unique.name, unique.columns));
    }
    for (const Row& row : rows) {
        for (const kernel::ForeignKey& key : constraints.foreign_keys) {
            const kernel::TableSchema* parent =
                key.parent == table.id
                    ? &table
                    : transaction.catalog().table(key.parent, transaction.schema_position());
            KB_ASSERT(parent != nullptr);
            Row probe(parent->columns.size(), Value::null());
            bool has_null = false;
            for (usize i = 0; i < key.columns.size(); ++i) {
                const Value& value = row[index_of(key.columns[i])];
                has_null = has_null || value.is_null();
                for (usize c = 0; c < parent->columns.size(); ++c) {
                    if (parent->columns[c].id == key.parent_columns[i]) probe[c] = value;
                }
            }
            if (has_null) continue;  // MATCH SIMPLE: no reference
            auto parent_writer = KB_SQL_TRY(TableWriter::make(transaction, *parent, eval));
            std::optional<kernel::IndexId> target;  // nullopt: the primary key
            if (!std::is_permutation(key.parent_columns.begin(), key.parent_columns.end(),
                                     parent->primary_key.begin(), parent->primary_key.end())) {
                for (const auto& unique : parent->uniques) {
                    if (std::is_permutation(unique.columns.begin(), unique.columns.end(),
                                            key.parent_columns.begin(), key.parent_columns.end())) {
                        target = unique.index;
                    }
                }
            }
            if (!KB_SQL_TRY(parent_writer->conflicting(probe, target))) {
                return SqlError(sqlstate::kForeignKeyViolation,
                                "insert or update on table \"" + table.name +
                                    "\" violates foreign key constraint \"" + key.name + "\"")
                    .with_detail(key_text(table, key.columns, row) + " is not present in table \"" +
                                 parent->name + "\".");
            }
        }
    }
    return sql_ok();
}

SqlResult<StatementResult> execute_update(const ast::UpdateStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval) {
    ParameterTypes& parameters = eval.parameter_types;  // $n: one type across the statement
    RowSource source =
        KB_SQL_TRY(plan_rows(statement.table, statement.where.get(), transaction, parameters));
    const kernel::TableSchema table = *source.table;
    auto writer = KB_SQL_TRY(TableWriter::make(transaction, table, eval));
    ExprBinder binder(source.scope, parameters);
    binder.set_clause("UPDATE");
    std::vector<std::pair<usize, std::optional<BoundExpr>>> assignments;
    for (const ast::SetClause& set : statement.set) {
        const kernel::ColumnDef* column =
            KB_SQL_TRY(column_of_relation(table, set.column, set.position));
        const usize index = static_cast<usize>(column - table.columns.data());
        if (column->identity == kernel::Identity::always && !set.value->is<ast::DefaultValue>()) {
            return SqlError("428C9",
                            "column \"" + column->name + "\" can only be updated to DEFAULT")
                .with_detail("Column \"" + column->name +
                             "\" is an identity column defined as GENERATED ALWAYS.");
        }
        if (set.value->is<ast::DefaultValue>()) {
            assignments.emplace_back(index, std::nullopt);
        } else {
            assignments.emplace_back(index,
                                     KB_SQL_TRY(bind_assignment(binder, *set.value, *column)));
        }
    }
    Returning returning = KB_SQL_TRY(bind_returning(statement.returning, source.scope, parameters));
    if (eval.describe_only) {
        StatementResult described;
        describe_returning(returning, described);
        return described;
    }
    FoldingError set_folding;
    for (const auto& [index, expr] : assignments) set_folding.note(expr);
    KB_SQL_TRY(raise_folding(std::move(set_folding), returning, source));
    // Every row is read before any is written: the statement sees the state as of its start.
    ExecContext context{&transaction, eval};
    std::vector<Row> rows = KB_SQL_TRY(run_plan(*source.root, context));
    ColumnDefaults defaults(transaction, table, eval);
    defaults.expect_rows(rows.size());
    StatementResult result;
    describe_returning(returning, result);
    for (const Row& old_row : rows) {
        if (must_stop(eval.guard)) return eval.guard->error();  // a cancellation point per row
        Row new_row = old_row;
        for (const auto& [index, expr] : assignments) {
            new_row[index] = expr ? KB_SQL_TRY(evaluate(*expr, old_row, eval))
                                  : KB_SQL_TRY(defaults.value(index));
        }
        KB_SQL_TRY(writer->update(old_row, new_row));
        KB_SQL_TRY(add_returning_row(returning, new_row, eval, result));
    }
    result.tag = "UPDATE " + std::to_string(rows.size());
    return result;
}

SqlResult<StatementResult> execute_delete(const ast::DeleteStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval) {
    ParameterTypes& parameters = eval.parameter_types;  // $n: one type across the statement
    RowSource source =
        KB_SQL_TRY(plan_rows(statement.table, statement.where.get(), transaction, parameters));
    auto writer = KB_SQL_TRY(TableWriter::make(transaction, *source.table, eval));
    Returning returning = KB_SQL_TRY(bind_returning(statement.returning, source.scope, parameters));
    if (eval.describe_only) {
        StatementResult described;
        describe_returning(returning, described);
        return described;
    }
    KB_SQL_TRY(raise_folding({}, returning, source));
    ExecContext context{&transaction, eval};
    std::vector<Row> rows = KB_SQL_TRY(run_plan(*source.root, context));
    StatementResult result;
    describe_returning(returning, result);
    for (const Row& row : rows) {
        if (must_stop(eval.guard)) return eval.guard->error();  // a cancellation point per row
        KB_SQL_TRY(writer->remove(row));
        KB_SQL_TRY(add_returning_row(returning, row, eval, result));
    }
    result.tag = "DELETE " + std::to_string(rows.size());
    return result;
}

}  // namespace kb::sql
