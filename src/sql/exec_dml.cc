// INSERT, UPDATE, DELETE (see exec_dml.h).
#include "sql/exec_dml.h"

#include <algorithm>

#include "sql/bind_ddl.h"
#include "sql/dml_writer.h"
#include "sql/parse.h"
#include "sql/plan_select.h"

namespace kb::sql {

namespace {

// RETURNING: the select list bound against the table's row.
struct Returning {
    std::vector<BoundExpr> expressions;
    std::vector<ResultColumn> columns;
};

SqlResult<Returning> bind_returning(const std::vector<ast::SelectItem>& items, const Scope& scope,
                                    ParameterTypes& parameters, EvalContext& eval) {
    Returning returning;
    ExprBinder binder(scope, parameters);
    binder.set_now(eval.transaction_timestamp);
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
        std::string name = item.alias;
        if (name.empty()) name = column != nullptr ? column->column : "?column?";
        if (const auto* call = item.expr->as<ast::FuncCall>();
            call != nullptr && item.alias.empty()) {
            name = call->name;
        }
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
    result.rows.push_back(std::move(out));
    return sql_ok();
}

void describe_returning(const Returning& returning, StatementResult& result) {
    if (returning.expressions.empty()) return;
    result.returns_rows = true;
    result.columns = returning.columns;
}

// A value for a column: coerced to its type as an assignment.
SqlResult<BoundExpr> assignment(ExprBinder& binder, const ast::Expr& expr,
                                const kernel::ColumnDef& column) {
    const Type target = Type::of(column.type);
    BoundExpr bound = KB_SQL_TRY(binder.bind(expr, target));
    if (bound.type == target) return bound;
    if (!bound.type.unknown && !can_coerce(bound.type, target.id(), CoercionContext::assignment)) {
        return SqlError(sqlstate::kDatatypeMismatch,
                        "column \"" + column.name + "\" is of type " + type_name(target) +
                            " but expression is of type " + type_name(bound.type))
            .with_hint("You will need to rewrite or cast the expression.")
            .at(expr.position);
    }
    return binder.coerce(std::move(bound), target, CoercionContext::assignment);
}

// Column defaults, computed per row (sequences reserved once per statement).
class Defaults {
public:
    Defaults(db::Transaction& transaction, const kernel::TableSchema& table, EvalContext& eval)
        : transaction_(transaction), table_(table), eval_(eval) {}

    // How many rows of this statement will take sequence values: reserve them in one op.
    void expect_rows(usize rows) { expected_rows_ = std::max<usize>(rows, 1); }

    SqlResult<Value> value(usize column_index) {
        const kernel::ColumnDef& column = table_.columns[column_index];
        const Type type = Type::of(column.type);
        kernel::SequenceId sequence{};
        if (column.identity != kernel::Identity::none) sequence = column.identity_sequence;
        if (column.default_value.kind == kernel::DefaultKind::nextval)
            sequence = column.default_value.sequence;
        if (sequence != kernel::SequenceId{}) {
            const i64 next = KB_SQL_TRY(next_value(sequence));
            return cast_value(Value::int64(next), Type::of(SqlType::bigint), type);
        }
        switch (column.default_value.kind) {
            case kernel::DefaultKind::none:
                return Value::null();
            case kernel::DefaultKind::now:
                return cast_value(Value::timestamptz(eval_.transaction_timestamp),
                                  Type::of(SqlType::timestamptz), type);
            case kernel::DefaultKind::gen_random_uuid:
                return cast_value(Value::uuid(eval_.random_uuid()), Type::of(SqlType::uuid), type);
            case kernel::DefaultKind::constant:
                if (column.default_value.constant_is_null) return Value::null();
                return value_from_text(column.default_value.constant_text, type);
            default: {
                ast::ExprPtr expr = KB_SQL_TRY(parse_expression(column.default_value.expression));
                Scope empty;
                ParameterTypes none;
                ExprBinder binder(empty, none);
                binder.set_now(eval_.transaction_timestamp);
                BoundExpr bound = KB_SQL_TRY(assignment(binder, *expr, column));
                return evaluate(bound, {}, eval_);
            }
        }
    }

private:
    SqlResult<Value> cast_value(Value value, const Type& from, const Type& to) {
        if (from == to) return value;
        ScalarImpl cast = KB_SQL_TRY(resolve_cast(from, to, CoercionContext::assignment));
        Value args[] = {std::move(value)};
        return cast(args, eval_);
    }

    SqlResult<i64> next_value(kernel::SequenceId sequence) {
        auto& block = blocks_[sequence.value()];
        if (block.count == 0) {
            auto reserved = transaction_.reserve_sequence(sequence, expected_rows_);
            if (!reserved) {
                const kernel::SequenceSchema* schema = transaction_.catalog().sequence(sequence);
                const std::string name = schema != nullptr ? schema->name : "?";
                if (reserved.status().code() == StatusCode::out_of_range) {
                    return SqlError("2200H",
                                    "nextval: reached maximum value of sequence \"" + name + "\"");
                }
                return from_status(reserved.status());
            }
            block = *reserved;
        }
        const i64 value = block.first;
        block.first += block.increment;
        --block.count;
        return value;
    }

    db::Transaction& transaction_;
    const kernel::TableSchema& table_;
    EvalContext& eval_;
    usize expected_rows_ = 1;
    std::map<u64, kernel::SequenceBlock> blocks_;
};

std::string insert_tag(usize rows) { return "INSERT 0 " + std::to_string(rows); }

}  // namespace

SqlResult<StatementResult> execute_insert(const ast::InsertStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval) {
    const kernel::TableSchema table = *KB_SQL_TRY(find_table(transaction, statement.table));
    auto writer = KB_SQL_TRY(TableWriter::make(transaction, table, eval));
    const std::string visible = statement.table.alias.empty() ? table.name : statement.table.alias;
    ParameterTypes parameters;

    // Which table column each written value goes to.
    std::vector<usize> targets;
    if (statement.columns.empty()) {
        for (usize i = 0; i < table.columns.size(); ++i) targets.push_back(i);
    } else {
        for (const ast::NameRef& name : statement.columns) {
            const kernel::ColumnDef* column = table.find_column(name.name);
            if (column == nullptr) {
                return SqlError(sqlstate::kUndefinedColumn, "column \"" + name.name +
                                                                "\" of relation \"" + table.name +
                                                                "\" does not exist")
                    .at(name.position);
            }
            const usize index = static_cast<usize>(column - table.columns.data());
            if (std::find(targets.begin(), targets.end(), index) != targets.end()) {
                return SqlError(sqlstate::kDuplicateColumn,
                                "column \"" + name.name + "\" specified more than once")
                    .at(name.position);
            }
            targets.push_back(index);
        }
    }

    // The rows to insert, as values for the target columns (nullopt: DEFAULT).
    std::vector<std::vector<std::optional<Value>>> rows;
    Scope empty;
    ExprBinder binder(empty, parameters);
    binder.set_now(eval.transaction_timestamp);
    if (statement.source == ast::InsertSource::values) {
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
            std::vector<std::optional<Value>> row;
            for (usize i = 0; i < values.size(); ++i) {
                if (values[i]->is<ast::DefaultValue>()) {
                    row.emplace_back();
                    continue;
                }
                BoundExpr bound =
                    KB_SQL_TRY(assignment(binder, *values[i], table.columns[targets[i]]));
                row.emplace_back(KB_SQL_TRY(evaluate(bound, {}, eval)));
            }
            rows.push_back(std::move(row));
        }
    } else if (statement.source == ast::InsertSource::select) {
        QueryPlan plan = KB_SQL_TRY(plan_select(*statement.select, transaction, parameters, eval));
        if (plan.columns.size() > targets.size()) {
            return SqlError(sqlstate::kSyntaxError,
                            "INSERT has more expressions than target columns");
        }
        if (plan.columns.size() < targets.size() && !statement.columns.empty()) {
            return SqlError(sqlstate::kSyntaxError,
                            "INSERT has more target columns than expressions");
        }
        ExecContext context{&transaction, eval};
        std::vector<Row> selected = KB_SQL_TRY(run_plan(*plan.root, context));
        for (Row& source : selected) {
            std::vector<std::optional<Value>> row;
            for (usize i = 0; i < source.size(); ++i) {
                const Type target = Type::of(table.columns[targets[i]].type);
                const Type from = plan.columns[i].type;
                if (from == target || source[i].is_null()) {
                    row.emplace_back(std::move(source[i]));
                    continue;
                }
                ScalarImpl cast =
                    KB_SQL_TRY(resolve_cast(from, target, CoercionContext::assignment));
                Value args[] = {std::move(source[i])};
                row.emplace_back(KB_SQL_TRY(cast(args, eval)));
            }
            rows.push_back(std::move(row));
        }
    } else {
        // DEFAULT VALUES: one row, every column its default.
        targets.clear();
        rows.emplace_back();
    }

    Defaults defaults(transaction, table, eval);
    defaults.expect_rows(rows.size());
    const Scope table_scope = writer->scope(visible);
    Returning returning =
        KB_SQL_TRY(bind_returning(statement.returning, table_scope, parameters, eval));

    // ON CONFLICT: which constraint, and the SET list bound against the row and EXCLUDED.
    std::optional<std::optional<kernel::IndexId>> conflict_target;  // nullopt: none written
    std::vector<std::pair<usize, BoundExpr>> conflict_set;
    std::optional<BoundExpr> conflict_where;
    if (statement.on_conflict) {
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
                return std::is_permutation(columns.begin(), columns.end(), other.begin(),
                                           other.end());
            };
            if (same(table.primary_key)) {
                conflict_target = std::optional<kernel::IndexId>();
            } else {
                for (const auto& unique : table.uniques) {
                    if (same(unique.columns))
                        conflict_target = std::optional<kernel::IndexId>(unique.index);
                }
            }
            if (!conflict_target) {
                return SqlError(
                           sqlstate::kInvalidColumnReference,
                           "there is no unique or exclusion constraint matching the ON CONFLICT "
                           "specification")
                    .at(conflict.position);
            }
        } else if (!conflict.constraint_name.empty()) {
            if (conflict.constraint_name == table.name + "_pkey") {
                conflict_target = std::optional<kernel::IndexId>();
            }
            for (const auto& unique : table.uniques) {
                if (unique.name == conflict.constraint_name) {
                    conflict_target = std::optional<kernel::IndexId>(unique.index);
                }
            }
            if (!conflict_target) {
                return SqlError(sqlstate::kUndefinedObject,
                                "constraint \"" + conflict.constraint_name + "\" for table \"" +
                                    table.name + "\" does not exist")
                    .at(conflict.position);
            }
        } else if (conflict.action == ast::ConflictAction::update) {
            return SqlError(
                       sqlstate::kSyntaxError,
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
            set_binder.set_now(eval.transaction_timestamp);
            for (const ast::SetClause& set : conflict.set) {
                const kernel::ColumnDef* column = table.find_column(set.column);
                if (column == nullptr) {
                    return SqlError(sqlstate::kUndefinedColumn,
                                    "column \"" + set.column + "\" of relation \"" + table.name +
                                        "\" does not exist")
                        .at(set.position);
                }
                const usize index = static_cast<usize>(column - table.columns.data());
                if (set.value->is<ast::DefaultValue>()) {
                    return SqlError(sqlstate::kFeatureNotSupported,
                                    "DEFAULT in ON CONFLICT DO UPDATE is not supported")
                        .at(set.position);
                }
                conflict_set.emplace_back(index,
                                          KB_SQL_TRY(assignment(set_binder, *set.value, *column)));
            }
            if (conflict.where)
                conflict_where = KB_SQL_TRY(set_binder.bind_condition(*conflict.where, "WHERE"));
        }
    }

    StatementResult result;
    describe_returning(returning, result);
    usize inserted = 0;
    for (const auto& values : rows) {
        Row row(table.columns.size(), Value::null());
        std::vector<bool> given(table.columns.size(), false);
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
            row[targets[i]] = *values[i];
            given[targets[i]] = true;
        }
        for (usize c = 0; c < table.columns.size(); ++c) {
            if (!given[c]) row[c] = KB_SQL_TRY(defaults.value(c));
        }
        if (conflict_target) {
            auto existing = KB_SQL_TRY(writer->conflicting(row, *conflict_target));
            if (!existing && statement.on_conflict->target_columns.empty() &&
                statement.on_conflict->constraint_name.empty()) {
                existing = KB_SQL_TRY(writer->conflicting(row, std::nullopt));
            }
            if (existing) {
                if (statement.on_conflict->action == ast::ConflictAction::nothing) continue;
                Row both = *existing;
                both.insert(both.end(), row.begin(), row.end());
                if (conflict_where && !KB_SQL_TRY(evaluate_condition(*conflict_where, both, eval)))
                    continue;
                Row updated = *existing;
                for (const auto& [index, expr] : conflict_set)
                    updated[index] = KB_SQL_TRY(evaluate(expr, both, eval));
                KB_SQL_TRY(writer->update(*existing, updated));
                KB_SQL_TRY(add_returning_row(returning, updated, eval, result));
                ++inserted;
                continue;
            }
        } else if (statement.on_conflict) {
            // DO NOTHING without a target: any unique violation skips the row.
            if (KB_SQL_TRY(writer->conflicting(row, std::nullopt))) continue;
            bool taken = false;
            for (const auto& unique : table.uniques) {
                taken = taken || KB_SQL_TRY(writer->conflicting(row, unique.index)).has_value();
            }
            if (taken) continue;
        }
        KB_SQL_TRY(writer->insert(row));
        KB_SQL_TRY(add_returning_row(returning, row, eval, result));
        ++inserted;
    }
    result.tag = insert_tag(inserted);
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
    auto rows = transaction.scan(table_id, {}, {});
    if (!rows) return from_status(rows.status());
    Defaults defaults(transaction, *table, eval);
    defaults.expect_rows(rows->size());
    for (const db::KeyedRow& stored : *rows) {
        auto values = kernel::decode_row(*table, stored.row);
        if (!values) return from_status(values.status());
        (*values)[index] = KB_SQL_TRY(defaults.value(index));
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

SqlResult<StatementResult> execute_update(const ast::UpdateStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval) {
    ParameterTypes parameters;
    RowSource source = KB_SQL_TRY(
        plan_rows(statement.table, statement.where.get(), transaction, parameters, eval));
    const kernel::TableSchema table = *source.table;
    auto writer = KB_SQL_TRY(TableWriter::make(transaction, table, eval));
    ExprBinder binder(source.scope, parameters);
    binder.set_now(eval.transaction_timestamp);
    std::vector<std::pair<usize, std::optional<BoundExpr>>> assignments;
    for (const ast::SetClause& set : statement.set) {
        const kernel::ColumnDef* column = table.find_column(set.column);
        if (column == nullptr) {
            return SqlError(sqlstate::kUndefinedColumn, "column \"" + set.column +
                                                            "\" of relation \"" + table.name +
                                                            "\" does not exist")
                .at(set.position);
        }
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
            assignments.emplace_back(index, KB_SQL_TRY(assignment(binder, *set.value, *column)));
        }
    }
    Returning returning =
        KB_SQL_TRY(bind_returning(statement.returning, source.scope, parameters, eval));
    // Every row is read before any is written: the statement sees the state as of its start.
    ExecContext context{&transaction, eval};
    std::vector<Row> rows = KB_SQL_TRY(run_plan(*source.root, context));
    Defaults defaults(transaction, table, eval);
    defaults.expect_rows(rows.size());
    StatementResult result;
    describe_returning(returning, result);
    for (const Row& old_row : rows) {
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
    ParameterTypes parameters;
    RowSource source = KB_SQL_TRY(
        plan_rows(statement.table, statement.where.get(), transaction, parameters, eval));
    auto writer = KB_SQL_TRY(TableWriter::make(transaction, *source.table, eval));
    Returning returning =
        KB_SQL_TRY(bind_returning(statement.returning, source.scope, parameters, eval));
    ExecContext context{&transaction, eval};
    std::vector<Row> rows = KB_SQL_TRY(run_plan(*source.root, context));
    StatementResult result;
    describe_returning(returning, result);
    for (const Row& row : rows) {
        KB_SQL_TRY(writer->remove(row));
        KB_SQL_TRY(add_returning_row(returning, row, eval, result));
    }
    result.tag = "DELETE " + std::to_string(rows.size());
    return result;
}

}  // namespace kb::sql
