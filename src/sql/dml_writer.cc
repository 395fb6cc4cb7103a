// TableWriter: constraint-checked row writes (see dml_writer.h).
#include "sql/dml_writer.h"

#include "sql/parse.h"

namespace kb::sql {

TableWriter::TableWriter(db::Transaction& transaction, const kernel::TableSchema& table,
                         EvalContext& eval)
    : transaction_(transaction), table_(table), eval_(eval), keys_(table_, {}) {}

SqlResult<std::unique_ptr<TableWriter>> TableWriter::make(db::Transaction& transaction,
                                                          const kernel::TableSchema& table,
                                                          EvalContext& eval) {
    std::unique_ptr<TableWriter> writer(new TableWriter(transaction, table, eval));
    const Scope scope = writer->scope(table.name);
    ParameterTypes no_parameters;
    for (const kernel::CheckConstraint& check : table.checks) {
        ast::ExprPtr expr = KB_SQL_TRY(parse_expression(check.expression));
        ExprBinder binder(scope, no_parameters);
        writer->checks_.emplace_back(check.name, KB_SQL_TRY(binder.bind_condition(*expr, "CHECK")));
    }
    return writer;
}

Scope TableWriter::scope(const std::string& name) const {
    Scope scope;
    for (const kernel::ColumnDef& column : table_.columns) {
        scope.columns.push_back({name, column.name, Type::of(column.type)});
    }
    return scope;
}

usize TableWriter::column_index(kernel::ColumnId id) const {
    for (usize i = 0; i < table_.columns.size(); ++i) {
        if (table_.columns[i].id == id) return i;
    }
    KB_ASSERT_MSG(false, "a constraint names a column the table does not have");
    return 0;
}

std::string TableWriter::failing_row(const Row& row) const {
    std::string out = "Failing row contains (";
    for (usize i = 0; i < row.size(); ++i) {
        if (i > 0) out += ", ";
        out += row[i].is_null() ? "null" : value_to_text(row[i], Type::of(table_.columns[i].type));
    }
    return out + ").";
}

std::string TableWriter::key_detail(const std::vector<kernel::ColumnId>& columns,
                                    const Row& row) const {
    std::string names, values;
    for (usize i = 0; i < columns.size(); ++i) {
        const usize at = column_index(columns[i]);
        if (i > 0) {
            names += ", ";
            values += ", ";
        }
        names += table_.columns[at].name;
        values +=
            row[at].is_null() ? "null" : value_to_text(row[at], Type::of(table_.columns[at].type));
    }
    return "Key (" + names + ")=(" + values + ")";
}

SqlResult<Bytes> TableWriter::key_of(const Row& row) const {
    auto key = keys_.primary_key(row);
    if (!key) {
        return SqlError(sqlstate::kProgramLimitExceeded,
                        "primary key too long: " + key.status().message());
    }
    return std::move(*key);
}

SqlResult<std::optional<Row>> TableWriter::find(ByteSpan key) {
    auto image = transaction_.get(table_.id, key);
    if (!image) return from_status(image.status());
    if (!*image) return std::optional<Row>();
    auto values = kernel::decode_row(table_, **image);
    if (!values) return from_status(values.status());
    return std::optional<Row>(std::move(*values));
}

SqlResult<std::optional<Row>> TableWriter::conflicting(const Row& row,
                                                       std::optional<kernel::IndexId> constraint) {
    if (!constraint) return find(KB_SQL_TRY(key_of(row)));
    const kernel::UniqueConstraint* unique = nullptr;
    for (const auto& candidate : table_.uniques) {
        if (candidate.index == *constraint) unique = &candidate;
    }
    KB_ASSERT(unique != nullptr);
    for (kernel::ColumnId id : unique->columns) {
        if (row[column_index(id)].is_null()) return std::optional<Row>();  // NULLs never collide
    }
    // Scan the table: the snapshot's rows and this transaction's, as one view. (A unique-index
    // lookup through the overlay replaces this when the executor gets index scans with writes.)
    auto rows = transaction_.scan(table_.id, {}, {});
    if (!rows) return from_status(rows.status());
    for (const db::KeyedRow& stored : *rows) {
        auto values = kernel::decode_row(table_, stored.row);
        if (!values) return from_status(values.status());
        bool same = true;
        for (kernel::ColumnId id : unique->columns) {
            const usize at = column_index(id);
            const Type type = Type::of(table_.columns[at].type);
            same = same && !(*values)[at].is_null() &&
                   equal_for_grouping((*values)[at], row[at], type);
        }
        if (same) return std::optional<Row>(std::move(*values));
    }
    return std::optional<Row>();
}

SqlStatus TableWriter::check_row(const Row& row) {
    for (usize i = 0; i < table_.columns.size(); ++i) {
        if (table_.columns[i].not_null && row[i].is_null()) {
            return SqlError(sqlstate::kNotNullViolation, "null value in column \"" +
                                                             table_.columns[i].name +
                                                             "\" of relation \"" + table_.name +
                                                             "\" violates not-null constraint")
                .with_detail(failing_row(row));
        }
    }
    for (const auto& [name, check] : checks_) {
        // CHECK passes unless the condition is FALSE (NULL passes, as in PostgreSQL).
        Value result = KB_SQL_TRY(evaluate(check, row, eval_));
        if (!result.is_null() && !result.as_bool()) {
            return SqlError(sqlstate::kCheckViolation, "new row for relation \"" + table_.name +
                                                           "\" violates check constraint \"" +
                                                           name + "\"")
                .with_detail(failing_row(row));
        }
    }
    return sql_ok();
}

SqlStatus TableWriter::check_unique(const Row& row, std::optional<ByteSpan> own_key) {
    for (const kernel::UniqueConstraint& unique : table_.uniques) {
        auto other = KB_SQL_TRY(conflicting(row, unique.index));
        if (!other) continue;
        const Bytes other_key = KB_SQL_TRY(key_of(*other));
        if (own_key && ByteSpan(other_key).size() == own_key->size() &&
            std::equal(other_key.begin(), other_key.end(), own_key->begin())) {
            continue;  // the row itself (an update that keeps the value)
        }
        return SqlError(sqlstate::kUniqueViolation,
                        "duplicate key value violates unique constraint \"" + unique.name + "\"")
            .with_detail(key_detail(unique.columns, row) + " already exists.");
    }
    return sql_ok();
}

SqlStatus TableWriter::check_references_from(const Row& row) {
    for (const kernel::ForeignKey& key : table_.foreign_keys) {
        Row parent_values;
        bool has_null = false;
        for (kernel::ColumnId id : key.columns) {
            parent_values.push_back(row[column_index(id)]);
            has_null = has_null || parent_values.back().is_null();
        }
        if (has_null) continue;  // MATCH SIMPLE: a NULL in the key means no reference
        const kernel::TableSchema* parent =
            key.parent == table_.id
                ? &table_
                : transaction_.catalog().table(key.parent, transaction_.schema_position());
        KB_ASSERT(parent != nullptr);
        // The parent row with those values in its referenced columns.
        Row probe(parent->columns.size(), Value::null());
        for (usize i = 0; i < key.parent_columns.size(); ++i) {
            for (usize c = 0; c < parent->columns.size(); ++c) {
                if (parent->columns[c].id == key.parent_columns[i]) probe[c] = parent_values[i];
            }
        }
        bool found = false;
        const bool by_primary_key =
            std::is_permutation(key.parent_columns.begin(), key.parent_columns.end(),
                                parent->primary_key.begin(), parent->primary_key.end());
        if (by_primary_key) {
            auto parent_key = kernel::TableKeys(*parent, {}).primary_key(probe);
            if (!parent_key) return from_status(parent_key.status());
            auto image = transaction_.get(parent->id, *parent_key);
            if (!image) return from_status(image.status());
            found = image->has_value();
            transaction_.note_parent(kernel::object_of(parent->id), *parent_key);
        } else {
            auto writer = KB_SQL_TRY(TableWriter::make(transaction_, *parent, eval_));
            for (const auto& unique : parent->uniques) {
                if (std::is_permutation(unique.columns.begin(), unique.columns.end(),
                                        key.parent_columns.begin(), key.parent_columns.end())) {
                    found = KB_SQL_TRY(writer->conflicting(probe, unique.index)).has_value();
                }
            }
        }
        if (!found) {
            std::string names, values;
            for (usize i = 0; i < key.columns.size(); ++i) {
                const usize at = column_index(key.columns[i]);
                names += (i > 0 ? ", " : "") + table_.columns[at].name;
                values +=
                    (i > 0 ? ", " : "") + value_to_text(row[at], Type::of(table_.columns[at].type));
            }
            return SqlError(sqlstate::kForeignKeyViolation,
                            "insert or update on table \"" + table_.name +
                                "\" violates foreign key constraint \"" + key.name + "\"")
                .with_detail("Key (" + names + ")=(" + values + ") is not present in table \"" +
                             parent->name + "\".");
        }
    }
    return sql_ok();
}

SqlStatus TableWriter::check_references_to(const Row& old_row, const Row* new_row) {
    const Position at = transaction_.schema_position();
    for (const auto& [child_id, versions] : transaction_.catalog().table_versions()) {
        const kernel::TableSchema* child = transaction_.catalog().table(child_id, at);
        if (child == nullptr) continue;
        for (const kernel::ForeignKey& key : child->foreign_keys) {
            if (key.parent != table_.id) continue;
            Row referenced;
            bool changed = new_row == nullptr;
            for (kernel::ColumnId id : key.parent_columns) {
                const usize index = column_index(id);
                referenced.push_back(old_row[index]);
                if (new_row != nullptr) {
                    changed = changed || !equal_for_grouping(old_row[index], (*new_row)[index],
                                                             Type::of(table_.columns[index].type));
                }
            }
            if (!changed) continue;
            auto child_writer = KB_SQL_TRY(TableWriter::make(transaction_, *child, eval_));
            auto rows = transaction_.scan(child->id, {}, {});
            if (!rows) return from_status(rows.status());
            for (const db::KeyedRow& stored : *rows) {
                auto values = kernel::decode_row(*child, stored.row);
                if (!values) return from_status(values.status());
                bool matches = true;
                for (usize i = 0; i < key.columns.size(); ++i) {
                    const usize c = child_writer->column_index(key.columns[i]);
                    matches = matches && !(*values)[c].is_null() &&
                              equal_for_grouping((*values)[c], referenced[i],
                                                 Type::of(child->columns[c].type));
                }
                if (!matches) continue;
                if (key.on_delete == kernel::ReferentialAction::cascade && new_row == nullptr) {
                    if (child->id == table_.id && stored.key == KB_SQL_TRY(key_of(old_row)))
                        continue;
                    KB_SQL_TRY(child_writer->remove(*values));
                    continue;
                }
                std::string names, shown;
                for (usize i = 0; i < key.parent_columns.size(); ++i) {
                    const usize p = column_index(key.parent_columns[i]);
                    names += (i > 0 ? ", " : "") + table_.columns[p].name;
                    shown += (i > 0 ? ", " : "") +
                             value_to_text(old_row[p], Type::of(table_.columns[p].type));
                }
                return SqlError(sqlstate::kForeignKeyViolation,
                                "update or delete on table \"" + table_.name +
                                    "\" violates foreign key constraint \"" + key.name +
                                    "\" on table \"" + child->name + "\"")
                    .with_detail("Key (" + names + ")=(" + shown +
                                 ") is still referenced from table \"" + child->name + "\".");
            }
        }
    }
    return sql_ok();
}

SqlStatus TableWriter::insert(const Row& row) {
    KB_SQL_TRY(check_row(row));
    const Bytes key = KB_SQL_TRY(key_of(row));
    if (KB_SQL_TRY(find(key))) {
        return SqlError(
                   sqlstate::kUniqueViolation,
                   "duplicate key value violates unique constraint \"" + table_.name + "_pkey\"")
            .with_detail(key_detail(table_.primary_key, row) + " already exists.");
    }
    KB_SQL_TRY(check_unique(row, std::nullopt));
    KB_SQL_TRY(check_references_from(row));
    Status written = transaction_.insert(table_.id, key, kernel::encode_row(table_, row));
    if (!written.is_ok()) return from_status(written);
    return sql_ok();
}

SqlStatus TableWriter::update(const Row& old_row, const Row& new_row) {
    KB_SQL_TRY(check_row(new_row));
    const Bytes old_key = KB_SQL_TRY(key_of(old_row));
    const Bytes new_key = KB_SQL_TRY(key_of(new_row));
    if (old_key != new_key) {
        KB_SQL_TRY(check_references_to(old_row, &new_row));
        if (KB_SQL_TRY(find(new_key))) {
            return SqlError(sqlstate::kUniqueViolation,
                            "duplicate key value violates unique constraint \"" + table_.name +
                                "_pkey\"")
                .with_detail(key_detail(table_.primary_key, new_row) + " already exists.");
        }
        KB_SQL_TRY(check_unique(new_row, ByteSpan(old_key)));
        KB_SQL_TRY(check_references_from(new_row));
        Status removed = transaction_.remove(table_.id, old_key);
        if (!removed.is_ok()) return from_status(removed);
        Status written =
            transaction_.insert(table_.id, new_key, kernel::encode_row(table_, new_row));
        if (!written.is_ok()) return from_status(written);
        return sql_ok();
    }
    KB_SQL_TRY(check_references_to(old_row, &new_row));
    KB_SQL_TRY(check_unique(new_row, ByteSpan(old_key)));
    KB_SQL_TRY(check_references_from(new_row));
    Status written = transaction_.update(table_.id, new_key, kernel::encode_row(table_, new_row));
    if (!written.is_ok()) return from_status(written);
    return sql_ok();
}

SqlStatus TableWriter::remove(const Row& row) {
    const Bytes key = KB_SQL_TRY(key_of(row));
    if (!KB_SQL_TRY(find(key))) return sql_ok();  // already removed (by a cascade)
    Status removed = transaction_.remove(table_.id, key);
    if (!removed.is_ok()) return from_status(removed);
    KB_SQL_TRY(check_references_to(row, nullptr));
    return sql_ok();
}

}  // namespace kb::sql
