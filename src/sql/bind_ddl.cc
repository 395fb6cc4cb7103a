// DDL statements as schema changes (see bind_ddl.h).
#include "sql/bind_ddl.h"

#include <algorithm>
#include <set>

#include "sql/ast_walk.h"
#include "sql/exec_dml.h"

namespace kb::sql {

namespace {

using kernel::ColumnId;
using kernel::Outcome;

Position at_of(const db::Transaction& transaction) { return transaction.schema_position(); }

SqlStatus check_schema(const ast::TableRef& table) {
    if (!table.schema.empty() && table.schema != "public") {
        return SqlError("3F000", "schema \"" + table.schema + "\" does not exist")
            .at(table.position);
    }
    return sql_ok();
}

SqlError undefined_table(const ast::TableRef& table) {
    return SqlError(sqlstate::kUndefinedTable, "relation \"" + table.name + "\" does not exist")
        .at(table.position);
}

// A catalog outcome that the checks here did not foresee, as a SQL error.
SqlError outcome_error(Outcome outcome, const std::string& what) {
    switch (outcome) {
        case Outcome::table_exists:
        case Outcome::index_exists:
        case Outcome::sequence_exists:
            return SqlError(sqlstate::kDuplicateTable, "relation \"" + what + "\" already exists");
        case Outcome::column_exists:
            return SqlError(sqlstate::kDuplicateColumn, "column \"" + what + "\" already exists");
        case Outcome::no_such_table:
            return SqlError(sqlstate::kUndefinedTable, "relation \"" + what + "\" does not exist");
        case Outcome::no_such_column:
            return SqlError(sqlstate::kUndefinedColumn, "column \"" + what + "\" does not exist");
        case Outcome::no_such_index:
            return SqlError(sqlstate::kUndefinedObject, "index \"" + what + "\" does not exist");
        case Outcome::dependent_objects_exist:
            return SqlError(sqlstate::kDependentObjectsStillExist,
                            "cannot drop " + what + " because other objects depend on it");
        case Outcome::name_too_long:
            return SqlError(sqlstate::kProgramLimitExceeded, "identifier too long: " + what);
        default:
            return SqlError(sqlstate::kInvalidTableDefinition,
                            "invalid definition of " + what + ": " +
                                std::string(kernel::outcome_name(outcome)));
    }
}

SqlStatus apply(db::Transaction& transaction, kernel::DdlChange change, const std::string& what) {
    const Outcome outcome = transaction.try_change_schema(std::move(change));
    if (outcome != Outcome::ok) return outcome_error(outcome, what);
    return sql_ok();
}

// The largest value a sequence behind a column of this type may reach.
i64 sequence_max(kernel::SqlType type) {
    switch (type) {
        case kernel::SqlType::smallint:
            return 32767;
        case kernel::SqlType::integer:
            return 2147483647;
        default:
            return 0x7fff'ffff'ffff'ffff;
    }
}

// The sequence a SERIAL or identity column owns, with PostgreSQL's defaults for its type.
kernel::SequenceSchema owned_sequence(kernel::SequenceId id, std::string name,
                                      kernel::TableId table, const kernel::ColumnDef& column,
                                      const ast::SequenceOptions& options) {
    kernel::SequenceSchema sequence;
    sequence.id = id;
    sequence.name = std::move(name);
    sequence.increment = options.increment.value_or(1);
    const bool ascending = sequence.increment > 0;
    sequence.max_value =
        options.max_value.value_or(ascending ? sequence_max(column.type.type) : -1);
    sequence.min_value =
        options.min_value.value_or(ascending ? 1 : -sequence_max(column.type.type));
    sequence.start = options.start.value_or(ascending ? sequence.min_value : sequence.max_value);
    sequence.cycle = options.cycle.value_or(false);
    sequence.owner_table = table;
    sequence.owner_column = column.id;
    return sequence;
}

bool is_integer(kernel::SqlType type) {
    return type == kernel::SqlType::smallint || type == kernel::SqlType::integer ||
           type == kernel::SqlType::bigint;
}

// How a DEFAULT is kept: the functions apply treats specially by kind, anything else as its
// SQL text.
kernel::ColumnDefault default_of(const ast::Expr& expr) {
    kernel::ColumnDefault value;
    value.expression = ast::to_sql(expr);
    value.kind = kernel::DefaultKind::expression;
    if (const auto* call = expr.as<ast::FuncCall>(); call != nullptr && call->args.empty()) {
        if (call->name == "now") value.kind = kernel::DefaultKind::now;
        if (call->name == "gen_random_uuid") value.kind = kernel::DefaultKind::gen_random_uuid;
    }
    if (const auto* function = expr.as<ast::SqlValueFunction>();
        function != nullptr && function->kind == ast::SqlValueKind::current_timestamp) {
        value.kind = kernel::DefaultKind::now;
    }
    if (const auto* literal = expr.as<ast::Literal>();
        literal != nullptr && literal->kind == ast::Literal::Kind::null) {
        value.kind = kernel::DefaultKind::none;
        value.expression.clear();
    }
    return value;
}

// The ids of `names` in `table` (42703 for a name it does not have).
SqlResult<std::vector<ColumnId>> column_ids(const kernel::TableSchema& table,
                                            const std::vector<ast::NameRef>& names) {
    std::vector<ColumnId> ids;
    for (const auto& name : names) {
        const kernel::ColumnDef* column = table.find_column(name.name);
        if (column == nullptr) {
            return SqlError(sqlstate::kUndefinedColumn,
                            "column \"" + name.name + "\" named in key does not exist")
                .at(name.position);
        }
        ids.push_back(column->id);
    }
    return ids;
}

// PostgreSQL names a CHECK after its column when it mentions exactly one (t_c_check), else
// after the table alone (t_check), whether written on a column or the table.
std::vector<ast::NameRef> check_name_columns(const ast::Constraint& constraint) {
    std::vector<std::string> mentioned;
    ast::collect_column_names(*constraint.expr, mentioned);
    std::sort(mentioned.begin(), mentioned.end());
    mentioned.erase(std::unique(mentioned.begin(), mentioned.end()), mentioned.end());
    if (mentioned.size() != 1) return {};
    return {ast::NameRef{mentioned.front(), constraint.position}};
}

// A CHECK constraint of `table` (which holds every column it may mention).
SqlResult<kernel::CheckConstraint> build_check(const ast::Constraint& constraint,
                                               const kernel::TableSchema& table, std::string name) {
    std::vector<std::string> mentioned;
    ast::collect_column_names(*constraint.expr, mentioned);
    kernel::CheckConstraint check;
    check.name = std::move(name);
    check.expression = ast::to_sql(*constraint.expr);
    for (const std::string& column_name : mentioned) {
        const kernel::ColumnDef* column = table.find_column(column_name);
        if (column == nullptr) {
            return SqlError(sqlstate::kUndefinedColumn,
                            "column \"" + column_name + "\" does not exist")
                .at(constraint.position);
        }
        if (std::find(check.columns.begin(), check.columns.end(), column->id) ==
            check.columns.end()) {
            check.columns.push_back(column->id);
        }
    }
    return check;
}

// A FOREIGN KEY of `child` over `columns` (child columns that exist), with PostgreSQL's
// checks of the referenced table and columns.
SqlResult<kernel::ForeignKey> build_foreign_key(const ast::Constraint& constraint,
                                                const std::vector<ast::NameRef>& columns,
                                                const kernel::TableSchema& child, std::string name,
                                                const db::Transaction& transaction) {
    const ast::ForeignKeyRef& reference = *constraint.references;
    kernel::ForeignKey key;
    key.name = std::move(name);
    key.columns = KB_SQL_TRY(column_ids(child, columns));
    key.on_delete = reference.on_delete;
    const bool self = reference.table.name == child.name;
    const kernel::TableSchema* parent =
        self ? &child : transaction.catalog().find_table(reference.table.name, at_of(transaction));
    if (parent == nullptr) return undefined_table(reference.table);
    key.parent = parent->id;
    if (reference.columns.empty()) {
        key.parent_columns = parent->primary_key;
    } else {
        for (const auto& column_name : reference.columns) {
            const kernel::ColumnDef* column = parent->find_column(column_name.name);
            if (column == nullptr) {
                return SqlError(sqlstate::kUndefinedColumn,
                                "column \"" + column_name.name +
                                    "\" referenced in foreign key constraint does not exist")
                    .at(column_name.position);
            }
            key.parent_columns.push_back(column->id);
        }
    }
    if (key.parent_columns.size() != key.columns.size()) {
        return SqlError("42830",
                        "number of referencing and referenced columns for foreign key "
                        "disagree")
            .at(constraint.position);
    }
    auto same_set = [&](const std::vector<ColumnId>& a) {
        return std::is_permutation(a.begin(), a.end(), key.parent_columns.begin(),
                                   key.parent_columns.end());
    };
    bool matches = same_set(parent->primary_key);
    for (const auto& unique : parent->uniques) matches = matches || same_set(unique.columns);
    if (!matches) {
        return SqlError("42830",
                        "there is no unique constraint matching given keys for referenced "
                        "table \"" +
                            parent->name + "\"")
            .at(constraint.position);
    }
    for (usize i = 0; i < key.columns.size(); ++i) {
        const kernel::ColumnDef* referencing = child.column(key.columns[i]);
        const kernel::ColumnDef* referenced = parent->column(key.parent_columns[i]);
        if (referencing->type.type != referenced->type.type) {
            return SqlError(sqlstate::kDatatypeMismatch,
                            "foreign key constraint \"" + key.name + "\" cannot be implemented")
                .with_detail("Key columns \"" + referencing->name + "\" and \"" + referenced->name +
                             "\" are of incompatible types.")
                .at(constraint.position);
        }
    }
    return key;
}

// Builds a new table's schema from its statement.
class TableBuilder {
public:
    TableBuilder(const ast::CreateTableStatement& statement, db::Transaction& transaction)
        : statement_(statement),
          transaction_(transaction),
          next_id_(transaction.catalog().next_object_id().value()) {
        schema_.name = statement.table.name;
        schema_.id = kernel::TableId(next_id_++);
    }

    SqlResult<kernel::CreateTableChange> build() {
        for (const ast::ColumnDefinition& column : statement_.columns) {
            KB_SQL_TRY(add_column(column));
        }
        schema_.next_column_id = ColumnId(static_cast<u32>(schema_.columns.size() + 1));
        for (const ast::ColumnDefinition& column : statement_.columns) {
            for (const ast::Constraint& constraint : column.constraints) {
                KB_SQL_TRY(
                    add_constraint(constraint, {ast::NameRef{column.name, column.position}}));
            }
        }
        for (const ast::Constraint& constraint : statement_.constraints) {
            KB_SQL_TRY(add_constraint(constraint, constraint.columns));
        }
        if (schema_.primary_key.empty()) {
            return SqlError(sqlstate::kFeatureNotSupported,
                            "tables without a primary key are not supported")
                .with_hint("Add PRIMARY KEY to a column or a table constraint.")
                .at(statement_.table.position);
        }
        for (ColumnId id : schema_.primary_key) column_by_id(id)->not_null = true;
        return kernel::CreateTableChange{.schema = schema_, .sequences = sequences_};
    }

private:
    kernel::ColumnDef* column_by_id(ColumnId id) {
        for (auto& column : schema_.columns) {
            if (column.id == id) return &column;
        }
        return nullptr;
    }

    kernel::SequenceSchema new_sequence(const kernel::ColumnDef& column,
                                        const ast::SequenceOptions& options) {
        return owned_sequence(kernel::SequenceId(next_id_++),
                              schema_.name + "_" + column.name + "_seq", schema_.id, column,
                              options);
    }

    SqlStatus add_column(const ast::ColumnDefinition& definition) {
        if (schema_.find_column(definition.name) != nullptr) {
            return SqlError(sqlstate::kDuplicateColumn,
                            "column \"" + definition.name + "\" specified more than once")
                .at(definition.position);
        }
        kernel::ColumnDef column;
        column.id = ColumnId(static_cast<u32>(schema_.columns.size() + 1));
        column.name = definition.name;
        column.type = definition.type.type;
        bool saw_null = false;
        for (const ast::Constraint& constraint : definition.constraints) {
            switch (constraint.kind) {
                case ast::ConstraintKind::null:
                    saw_null = true;
                    break;
                case ast::ConstraintKind::not_null:
                    column.not_null = true;
                    break;
                case ast::ConstraintKind::default_value:
                    column.default_value = default_of(*constraint.expr);
                    break;
                case ast::ConstraintKind::identity: {
                    if (!is_integer(column.type.type)) {
                        return SqlError(sqlstate::kInvalidParameterValue,
                                        "identity column type must be smallint, integer, or "
                                        "bigint")
                            .at(constraint.position);
                    }
                    column.identity = constraint.identity;
                    column.not_null = true;
                    sequences_.push_back(new_sequence(column, constraint.sequence));
                    column.identity_sequence = sequences_.back().id;
                    break;
                }
                default:
                    break;  // keys and checks: add_constraint, once every column exists
            }
        }
        if (saw_null && column.not_null) {
            return SqlError(sqlstate::kSyntaxError,
                            "conflicting NULL/NOT NULL declarations for column \"" + column.name +
                                "\" of table \"" + schema_.name + "\"")
                .at(definition.position);
        }
        if (definition.serial) {
            sequences_.push_back(new_sequence(column, {}));
            column.not_null = true;
            column.default_value = kernel::ColumnDefault{
                .kind = kernel::DefaultKind::nextval,
                .expression = "nextval('" + sequences_.back().name + "'::regclass)",
                .sequence = sequences_.back().id};
        }
        schema_.columns.push_back(std::move(column));
        return sql_ok();
    }

    std::string constraint_name(const ast::Constraint& constraint,
                                const std::vector<ast::NameRef>& columns, std::string_view suffix) {
        if (!constraint.name.empty()) return constraint.name;
        std::string name = schema_.name;
        for (const auto& column : columns) name += "_" + column.name;
        name += "_";
        name += suffix;
        // PostgreSQL appends a number to a name already taken.
        std::string candidate = name;
        for (int n = 1; taken_names_.contains(candidate); ++n) candidate = name + std::to_string(n);
        taken_names_.insert(candidate);
        return candidate;
    }

    SqlResult<std::vector<ColumnId>> columns_of(const std::vector<ast::NameRef>& names) {
        return column_ids(schema_, names);
    }

    SqlStatus add_constraint(const ast::Constraint& constraint,
                             const std::vector<ast::NameRef>& columns) {
        switch (constraint.kind) {
            case ast::ConstraintKind::primary_key: {
                if (!schema_.primary_key.empty()) {
                    return SqlError(sqlstate::kInvalidTableDefinition,
                                    "multiple primary keys for table \"" + schema_.name +
                                        "\" are not allowed")
                        .at(constraint.position);
                }
                schema_.primary_key = KB_SQL_TRY(columns_of(columns));
                schema_.primary_key_constraint =
                    constraint.name.empty() ? schema_.name + "_pkey" : constraint.name;
                taken_names_.insert(schema_.primary_key_constraint);
                return sql_ok();
            }
            case ast::ConstraintKind::unique: {
                kernel::UniqueConstraint unique;
                unique.columns = KB_SQL_TRY(columns_of(columns));
                unique.name = constraint_name(constraint, columns, "key");
                unique.index = kernel::IndexId(next_id_++);
                schema_.uniques.push_back(std::move(unique));
                return sql_ok();
            }
            case ast::ConstraintKind::check: {
                std::string name =
                    constraint_name(constraint, check_name_columns(constraint), "check");
                schema_.checks.push_back(
                    KB_SQL_TRY(build_check(constraint, schema_, std::move(name))));
                return sql_ok();
            }
            case ast::ConstraintKind::foreign_key:
                return add_foreign_key(constraint, columns);
            default:
                return sql_ok();  // column-only constraints: add_column
        }
    }

    SqlStatus add_foreign_key(const ast::Constraint& constraint,
                              const std::vector<ast::NameRef>& columns) {
        std::string name = constraint_name(constraint, columns, "fkey");
        schema_.foreign_keys.push_back(KB_SQL_TRY(
            build_foreign_key(constraint, columns, schema_, std::move(name), transaction_)));
        return sql_ok();
    }

    const ast::CreateTableStatement& statement_;
    db::Transaction& transaction_;
    u64 next_id_;
    kernel::TableSchema schema_;
    std::vector<kernel::SequenceSchema> sequences_;
    std::set<std::string> taken_names_;
};

// Every constraint name of `table` and every relation name: what a generated name avoids.
bool name_taken(const kernel::TableSchema& table, const db::Transaction& transaction,
                const std::string& name) {
    if (name == table.primary_key_name()) return true;
    for (const auto& unique : table.uniques)
        if (unique.name == name) return true;
    for (const auto& check : table.checks)
        if (check.name == name) return true;
    for (const auto& key : table.foreign_keys)
        if (key.name == name) return true;
    const auto& catalog = transaction.catalog();
    const Position at = at_of(transaction);
    return catalog.find_table(name, at) != nullptr || catalog.find_index(name, at) != nullptr ||
           catalog.find_sequence(name, at) != nullptr;
}

// ALTER TABLE t ADD COLUMN: the column and its own constraints (NOT NULL, DEFAULT, UNIQUE,
// CHECK, REFERENCES), named as PostgreSQL names them.
SqlResult<kernel::AddColumnChange> added_column(const kernel::TableSchema& table,
                                                const ast::ColumnDefinition& definition,
                                                const db::Transaction& transaction) {
    kernel::AddColumnChange change;
    change.table = table.id;
    kernel::ColumnDef& column = change.column;
    column.id = table.next_column_id;
    column.name = definition.name;
    column.type = definition.type.type;
    bool saw_null = false;
    for (const ast::Constraint& constraint : definition.constraints) {
        if (constraint.kind == ast::ConstraintKind::not_null) column.not_null = true;
        if (constraint.kind == ast::ConstraintKind::null) saw_null = true;
        if (constraint.kind == ast::ConstraintKind::default_value)
            column.default_value = default_of(*constraint.expr);
    }
    if (saw_null && column.not_null) {
        return SqlError(sqlstate::kSyntaxError,
                        "conflicting NULL/NOT NULL declarations for column \"" + column.name +
                            "\" of table \"" + table.name + "\"")
            .at(definition.position);
    }
    u64 next_id = transaction.catalog().next_object_id().value();
    // SERIAL and identity: a sequence the column owns, named as PostgreSQL names it (a number
    // appended when the name is taken); existing rows draw from it (fill_added_column).
    auto add_sequence = [&](const ast::SequenceOptions& options) {
        const std::string base = table.name + "_" + column.name + "_seq";
        std::string name = base;
        for (int n = 1; name_taken(table, transaction, name); ++n) name = base + std::to_string(n);
        change.sequence =
            owned_sequence(kernel::SequenceId(next_id++), name, table.id, column, options);
        column.not_null = true;
        return change.sequence->id;
    };
    if (definition.serial) {
        const kernel::SequenceId sequence = add_sequence({});
        column.default_value = kernel::ColumnDefault{
            .kind = kernel::DefaultKind::nextval,
            .expression = "nextval('" + change.sequence->name + "'::regclass)",
            .sequence = sequence};
    }
    for (const ast::Constraint& constraint : definition.constraints) {
        if (constraint.kind != ast::ConstraintKind::identity) continue;
        if (!is_integer(column.type.type)) {
            return SqlError(sqlstate::kInvalidParameterValue,
                            "identity column type must be smallint, integer, or bigint")
                .at(constraint.position);
        }
        column.identity = constraint.identity;
        column.identity_sequence = add_sequence(constraint.sequence);
    }
    // The table as it will be, for resolving the constraints' columns.
    kernel::TableSchema after = table;
    after.columns.push_back(column);
    std::set<std::string> used;
    auto name_for = [&](const ast::Constraint& constraint, std::string_view suffix) {
        if (!constraint.name.empty()) return constraint.name;
        std::string base = table.name + "_";
        if (suffix != "check") {
            base += column.name + "_";
        } else {
            for (const ast::NameRef& name : check_name_columns(constraint)) base += name.name + "_";
        }
        base += suffix;
        std::string candidate = base;
        for (int n = 1; used.contains(candidate) || name_taken(table, transaction, candidate);
             ++n) {
            candidate = base + std::to_string(n);
        }
        used.insert(candidate);
        return candidate;
    };
    const std::vector<ast::NameRef> own = {ast::NameRef{column.name, definition.position}};
    for (const ast::Constraint& constraint : definition.constraints) {
        switch (constraint.kind) {
            case ast::ConstraintKind::primary_key:
                return SqlError(
                           sqlstate::kInvalidTableDefinition,
                           "multiple primary keys for table \"" + table.name + "\" are not allowed")
                    .at(constraint.position);
            case ast::ConstraintKind::unique: {
                kernel::UniqueConstraint unique;
                unique.name = name_for(constraint, "key");
                if (!constraint.name.empty() && name_taken(table, transaction, unique.name)) {
                    return SqlError(sqlstate::kDuplicateTable,
                                    "relation \"" + unique.name + "\" already exists")
                        .at(constraint.position);
                }
                unique.columns = {column.id};
                unique.index = kernel::IndexId(next_id++);
                change.constraints.uniques.push_back(std::move(unique));
                break;
            }
            case ast::ConstraintKind::check:
                change.constraints.checks.push_back(
                    KB_SQL_TRY(build_check(constraint, after, name_for(constraint, "check"))));
                break;
            case ast::ConstraintKind::foreign_key:
                change.constraints.foreign_keys.push_back(KB_SQL_TRY(build_foreign_key(
                    constraint, own, after, name_for(constraint, "fkey"), transaction)));
                break;
            default:
                break;  // NULL, NOT NULL, DEFAULT, identity: above
        }
    }
    return change;
}

}  // namespace

SqlResult<const kernel::TableSchema*> find_table(const db::Transaction& transaction,
                                                 const ast::TableRef& table) {
    KB_SQL_TRY(check_schema(table));
    const kernel::TableSchema* found =
        transaction.catalog().find_table(table.name, at_of(transaction));
    if (found == nullptr) return undefined_table(table);
    return found;
}

SqlResult<DdlOutcome> execute_create_table(const ast::CreateTableStatement& statement,
                                           db::Transaction& transaction) {
    KB_SQL_TRY(check_schema(statement.table));
    const auto& catalog = transaction.catalog();
    if (catalog.find_table(statement.table.name, at_of(transaction)) != nullptr ||
        catalog.find_index(statement.table.name, at_of(transaction)) != nullptr) {
        if (statement.if_not_exists) {
            return DdlOutcome{"CREATE TABLE",
                              "relation \"" + statement.table.name + "\" already exists, skipping"};
        }
        return SqlError(sqlstate::kDuplicateTable,
                        "relation \"" + statement.table.name + "\" already exists")
            .at(statement.table.position);
    }
    auto change = KB_SQL_TRY(TableBuilder(statement, transaction).build());
    KB_SQL_TRY(apply(transaction, std::move(change), statement.table.name));
    return DdlOutcome{"CREATE TABLE", ""};
}

SqlResult<DdlOutcome> execute_drop_table(const ast::DropTableStatement& statement,
                                         db::Transaction& transaction) {
    std::string notice;
    for (const ast::TableRef& table : statement.tables) {
        KB_SQL_TRY(check_schema(table));
        const kernel::TableSchema* found =
            transaction.catalog().find_table(table.name, at_of(transaction));
        if (found == nullptr) {
            if (statement.if_exists) {
                notice = "table \"" + table.name + "\" does not exist, skipping";
                continue;
            }
            return SqlError(sqlstate::kUndefinedTable,
                            "table \"" + table.name + "\" does not exist");
        }
        const Outcome outcome =
            transaction.try_change_schema(kernel::DropTableChange{.table = found->id});
        if (outcome == Outcome::dependent_objects_exist) {
            return SqlError(
                       sqlstate::kDependentObjectsStillExist,
                       "cannot drop table " + table.name + " because other objects depend on it")
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too.");
        }
        if (outcome != Outcome::ok) return outcome_error(outcome, table.name);
    }
    return DdlOutcome{"DROP TABLE", notice};
}

SqlResult<DdlOutcome> execute_create_index(const ast::CreateIndexStatement& statement,
                                           db::Transaction& transaction) {
    const kernel::TableSchema* table = KB_SQL_TRY(find_table(transaction, statement.table));
    std::string name = statement.name;
    const auto& catalog = transaction.catalog();
    if (name.empty()) {
        // PostgreSQL: t_a_b_idx (unique or not), numbered past names already taken.
        std::string base = table->name;
        for (const auto& column : statement.columns) base += "_" + column.name;
        base += "_idx";
        name = base;
        for (int n = 1; catalog.find_index(name, at_of(transaction)) != nullptr ||
                        catalog.find_table(name, at_of(transaction)) != nullptr ||
                        catalog.find_sequence(name, at_of(transaction)) != nullptr;
             ++n) {
            name = base + std::to_string(n);
        }
    }
    if (catalog.find_index(name, at_of(transaction)) != nullptr ||
        catalog.find_table(name, at_of(transaction)) != nullptr) {
        if (statement.if_not_exists) {
            return DdlOutcome{"CREATE INDEX", "relation \"" + name + "\" already exists, skipping"};
        }
        return SqlError(sqlstate::kDuplicateTable, "relation \"" + name + "\" already exists");
    }
    kernel::IndexSchema index;
    index.id = kernel::IndexId(catalog.next_object_id().value());
    index.table = table->id;
    index.name = name;
    index.unique = statement.unique;
    for (const auto& column : statement.columns) {
        const kernel::ColumnDef* found = table->find_column(column.name);
        if (found == nullptr) {
            return SqlError(sqlstate::kUndefinedColumn,
                            "column \"" + column.name + "\" does not exist");
        }
        index.columns.push_back(kernel::IndexColumn{
            .column = found->id, .descending = column.descending, .nulls = column.nulls});
    }
    const Outcome outcome =
        transaction.try_change_schema(kernel::CreateIndexChange{.schema = index});
    if (outcome == Outcome::unique_violation) {
        return SqlError(sqlstate::kUniqueViolation,
                        "could not create unique index \"" + name + "\"")
            .with_detail("The table holds duplicate values in the indexed columns.");
    }
    if (outcome != Outcome::ok) return outcome_error(outcome, name);
    if (index.unique) {
        // Apply would refuse the whole op at commit; PostgreSQL refuses the statement.
        std::vector<kernel::ColumnId> columns;
        for (const kernel::IndexColumn& column : index.columns) columns.push_back(column.column);
        KB_SQL_TRY(check_unique_index(transaction, index.table, name, columns));
    }
    return DdlOutcome{"CREATE INDEX", ""};
}

SqlResult<DdlOutcome> execute_drop_index(const ast::DropIndexStatement& statement,
                                         db::Transaction& transaction) {
    std::string notice;
    for (const ast::TableRef& index : statement.indexes) {
        KB_SQL_TRY(check_schema(index));
        const kernel::IndexSchema* found =
            transaction.catalog().find_index(index.name, at_of(transaction));
        if (found == nullptr) {
            if (statement.if_exists) {
                notice = "index \"" + index.name + "\" does not exist, skipping";
                continue;
            }
            return SqlError(sqlstate::kUndefinedObject,
                            "index \"" + index.name + "\" does not exist");
        }
        const Outcome outcome =
            transaction.try_change_schema(kernel::DropIndexChange{.index = found->id});
        if (outcome == Outcome::dependent_objects_exist) {
            return SqlError(sqlstate::kDependentObjectsStillExist,
                            "cannot drop index " + index.name + " because constraint " +
                                index.name + " on its table requires it")
                .with_hint("You can drop the constraint instead.");
        }
        if (outcome != Outcome::ok) return outcome_error(outcome, index.name);
    }
    return DdlOutcome{"DROP INDEX", notice};
}

SqlResult<DdlOutcome> execute_alter_table(const ast::AlterTableStatement& statement,
                                          db::Transaction& transaction, EvalContext& eval) {
    KB_SQL_TRY(check_schema(statement.table));
    const kernel::TableSchema* table =
        transaction.catalog().find_table(statement.table.name, at_of(transaction));
    if (table == nullptr) {
        if (statement.if_exists) {
            return DdlOutcome{"ALTER TABLE",
                              "relation \"" + statement.table.name + "\" does not exist, skipping"};
        }
        return undefined_table(statement.table);
    }
    std::string notice;
    for (const ast::AlterAction& action : statement.actions) {
        table = transaction.catalog().find_table(statement.table.name, at_of(transaction));
        if (action.kind == ast::AlterKind::drop_column) {
            const kernel::ColumnDef* column = table->find_column(action.column_name);
            if (column == nullptr) {
                if (action.missing_ok) {
                    notice = "column \"" + action.column_name + "\" of relation \"" + table->name +
                             "\" does not exist, skipping";
                    continue;
                }
                return SqlError(sqlstate::kUndefinedColumn, "column \"" + action.column_name +
                                                                "\" of relation \"" + table->name +
                                                                "\" does not exist");
            }
            const Outcome outcome = transaction.try_change_schema(
                kernel::DropColumnChange{.table = table->id, .column = column->id});
            if (outcome == Outcome::dependent_objects_exist) {
                return SqlError(sqlstate::kDependentObjectsStillExist,
                                "cannot drop column " + action.column_name + " of table " +
                                    statement.table.name + " because other objects depend on it");
            }
            if (outcome != Outcome::ok) return outcome_error(outcome, action.column_name);
            continue;
        }
        const ast::ColumnDefinition& definition = action.column;
        if (table->find_column(definition.name) != nullptr) {
            if (action.missing_ok) {
                notice = "column \"" + definition.name + "\" of relation \"" + table->name +
                         "\" already exists, skipping";
                continue;
            }
            return SqlError(sqlstate::kDuplicateColumn, "column \"" + definition.name +
                                                            "\" of relation \"" + table->name +
                                                            "\" already exists");
        }
        kernel::AddColumnChange change = KB_SQL_TRY(added_column(*table, definition, transaction));
        // The change adds a table version: `table` may dangle after it.
        const kernel::ColumnId added = change.column.id;
        const kernel::TableId table_id = table->id;
        const kernel::AddedConstraints constraints = change.constraints;
        const Outcome outcome = transaction.try_change_schema(std::move(change));
        if (outcome != Outcome::ok) return outcome_error(outcome, definition.name);
        // Existing rows get the default (or NULL, refused for NOT NULL), as in PostgreSQL, and
        // must then satisfy the column's constraints.
        KB_SQL_TRY(fill_added_column(transaction, table_id, added, eval));
        KB_SQL_TRY(check_added_constraints(transaction, table_id, constraints, eval));
    }
    return DdlOutcome{"ALTER TABLE", notice};
}

SqlResult<DdlOutcome> execute_truncate(const ast::TruncateStatement& statement,
                                       db::Transaction& transaction) {
    // PostgreSQL refuses to empty a table another table references (whatever the rows), unless
    // the referencing table is truncated by the same command.
    std::vector<const kernel::TableSchema*> tables;
    for (const ast::TableRef& table : statement.tables) {
        tables.push_back(KB_SQL_TRY(find_table(transaction, table)));
    }
    const auto listed = [&](kernel::TableId id) {
        return std::any_of(tables.begin(), tables.end(),
                           [&](const kernel::TableSchema* table) { return table->id == id; });
    };
    const auto& catalog = transaction.catalog();
    for (const kernel::TableSchema* table : tables) {
        for (const auto& [child_id, versions] : catalog.table_versions()) {
            const kernel::TableSchema* child = catalog.table(child_id, at_of(transaction));
            if (child == nullptr || listed(child_id)) continue;
            for (const kernel::ForeignKey& key : child->foreign_keys) {
                if (key.parent != table->id) continue;
                return SqlError(sqlstate::kFeatureNotSupported,
                                "cannot truncate a table referenced in a foreign key constraint")
                    .with_detail("Table \"" + child->name + "\" references \"" + table->name +
                                 "\".")
                    .with_hint("Truncate table \"" + child->name +
                               "\" at the same time, or use TRUNCATE ... CASCADE.");
            }
        }
    }
    for (usize i = 0; i < tables.size(); ++i) {
        // Each change adds nothing but a truncation mark: the schemas stay valid.
        KB_SQL_TRY(apply(transaction, kernel::TruncateTableChange{.table = tables[i]->id},
                         statement.tables[i].name));
    }
    return DdlOutcome{"TRUNCATE TABLE", ""};
}

}  // namespace kb::sql
