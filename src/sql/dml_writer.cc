// TableWriter: constraint-checked row writes (see dml_writer.h).
#include "sql/dml_writer.h"

#include "sql/parse.h"
#include "sql/plan_access.h"
#include "types/limits.h"

namespace kb::sql {

TableWriter::TableWriter(db::Transaction& transaction, const kernel::TableSchema& table,
                         EvalContext& eval)
    : transaction_(&transaction), table_(table), eval_(&eval), keys_(table_, {}) {}

void TableWriter::rebind(db::Transaction& transaction, EvalContext& eval) {
    transaction_ = &transaction;
    eval_ = &eval;
}

SqlResult<std::unique_ptr<TableWriter>> TableWriter::make(db::Transaction& transaction,
                                                          const kernel::TableSchema& table,
                                                          EvalContext& eval) {
    std::unique_ptr<TableWriter> writer(new TableWriter(transaction, table, eval));
    for (const kernel::IndexSchema* index :
         transaction.catalog().indexes_of(table.id, transaction.schema_position())) {
        writer->indexes_.push_back(*index);
    }
    const Scope scope = writer->scope(table.name);
    ParameterTypes no_parameters;
    for (const kernel::CheckConstraint& check : table.checks) {
        ast::ExprPtr expr = KB_SQL_TRY(parse_expression(check.expression));
        ExprBinder binder(scope, no_parameters);
        writer->checks_.emplace_back(check.name, KB_SQL_TRY(binder.bind_condition(*expr, "CHECK")));
    }
    writer->checks_other_keys_ = !table.foreign_keys.empty();
    for (const kernel::IndexSchema& index : writer->indexes_) {
        writer->checks_other_keys_ = writer->checks_other_keys_ || index.unique;
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

namespace {

// The key prefix `values` (in `columns` order) take in key columns `key_columns` of types
// `types`; nullopt when no stored key can start with it (a value out of the column's range, or
// a prefix over the key size limit). The values need not be of the columns' exact types (a
// foreign key may pair integer and bigint).
SqlResult<std::optional<Bytes>> key_prefix(std::span<const kernel::KeyColumn> key_columns,
                                           std::span<const SqlType> types, const Row& values) {
    Bytes prefix;
    for (usize i = 0; i < values.size(); ++i) {
        if (values[i].is_null()) {
            kernel::encode_key_column(key_columns[i], kernel::KeyNull{}, &prefix);
            continue;
        }
        auto [fit, key] = KB_SQL_TRY(key_value_for(types[i], values[i]));
        if (fit != KeyFit::exact) return std::optional<Bytes>();
        kernel::encode_key_column(key_columns[i], key, &prefix);
    }
    if (prefix.size() > limits::kKeySizeBytesMax) return std::optional<Bytes>();
    return std::optional<Bytes>(std::move(prefix));
}

// Whether key_value_for accepts `value` for `column` (the planner's comparable families).
bool key_encodable(const kernel::ColumnDef& column, const Value& value) {
    const SqlType type = column.type.type;
    if (!kernel::key_type_of(type)) return false;
    const ValueKind kind = value.kind();
    if (kind == ValueKind::null) return true;
    auto is_int = [](ValueKind k) {
        return k == ValueKind::int16 || k == ValueKind::int32 || k == ValueKind::int64;
    };
    auto is_float = [](ValueKind k) { return k == ValueKind::float32 || k == ValueKind::float64; };
    const ValueKind column_kind = kernel::value_kind_of(type);
    if (is_int(column_kind)) return is_int(kind);
    if (is_float(column_kind)) return is_float(kind);
    return kind == column_kind;
}

}  // namespace

SqlResult<Bytes> TableWriter::key_of(const Row& row) const {
    auto key = keys_.primary_key(row);
    if (!key) {
        usize size = 0;
        for (kernel::ColumnId id : table_.primary_key) {
            Bytes column;
            const usize at = column_index(id);
            kernel::encode_key_column({.type = *kernel::key_type_of(table_.columns[at].type.type)},
                                      kernel::key_value_of(row[at]), &column);
            size += column.size();
        }
        return SqlError(sqlstate::kProgramLimitExceeded,
                        "index row size " + std::to_string(size) + " exceeds maximum " +
                            std::to_string(limits::kKeySizeBytesMax) + " for index \"" +
                            table_.primary_key_name() + "\"")
            .with_hint("Values larger than " + std::to_string(limits::kKeySizeBytesMax) +
                       " bytes (encoded) cannot be indexed.");
    }
    return std::move(*key);
}

SqlStatus TableWriter::check_key_sizes(const Row& row, ByteSpan primary_key) const {
    for (const kernel::IndexSchema& index : indexes_) {
        const std::vector<kernel::KeyColumn> columns = kernel::index_key_columns(index, table_);
        Bytes key;
        bool any_null = false;
        for (usize i = 0; i < index.columns.size(); ++i) {
            const Value& value = row[column_index(index.columns[i].column)];
            any_null = any_null || value.is_null();
            kernel::encode_key_column(columns[i], kernel::key_value_of(value), &key);
        }
        const usize size = key.size() + (index.unique && !any_null ? 0 : primary_key.size());
        if (size > limits::kKeySizeBytesMax) {
            return SqlError(sqlstate::kProgramLimitExceeded,
                            "index row size " + std::to_string(size) + " exceeds maximum " +
                                std::to_string(limits::kKeySizeBytesMax) + " for index \"" +
                                index.name + "\"")
                .with_hint("Values larger than " + std::to_string(limits::kKeySizeBytesMax) +
                           " bytes (encoded) cannot be indexed.");
        }
    }
    return sql_ok();
}

SqlResult<std::vector<db::KeyedRow>> TableWriter::rows_with(
    const kernel::TableSchema& table, const std::vector<kernel::ColumnId>& columns,
    const Row& values) {
    auto position_in = [&](kernel::ColumnId id) -> std::optional<usize> {
        for (usize i = 0; i < columns.size(); ++i) {
            if (columns[i] == id) return i;
        }
        return std::nullopt;
    };
    // A key whose first columns.size() columns are exactly `columns` (in any order), with
    // every value encodable in its column: the values reordered as the key has them.
    auto prefix_for = [&](const std::vector<kernel::ColumnId>& key_ids,
                          std::span<const kernel::KeyColumn> key_columns)
        -> SqlResult<std::optional<std::optional<Bytes>>> {
        using Found = std::optional<std::optional<Bytes>>;
        if (key_ids.size() < columns.size()) return Found();
        Row ordered;
        std::vector<SqlType> types;
        for (usize i = 0; i < columns.size(); ++i) {
            const auto at = position_in(key_ids[i]);
            if (!at) return Found();
            const kernel::ColumnDef* column = table.column(key_ids[i]);
            if (column == nullptr || column->type.type == SqlType::character ||
                !key_encodable(*column, values[*at])) {
                return Found();
            }
            ordered.push_back(values[*at]);
            types.push_back(column->type.type);
        }
        return Found(KB_SQL_TRY(key_prefix(key_columns.first(columns.size()), types, ordered)));
    };

    std::vector<db::KeyedRow> rows;
    const std::vector<kernel::KeyColumn> primary = kernel::primary_key_columns(table);
    if (auto prefix = KB_SQL_TRY(prefix_for(table.primary_key, primary))) {
        if (!*prefix) return rows;  // no key can hold those values
        auto found = transaction_->scan(table.id, **prefix, kernel::prefix_end(**prefix));
        if (!found) return from_status(found.status());
        return std::move(*found);
    }
    for (const kernel::IndexSchema* index :
         transaction_->catalog().indexes_of(table.id, transaction_->schema_position())) {
        std::vector<kernel::ColumnId> ids;
        for (const kernel::IndexColumn& column : index->columns) ids.push_back(column.column);
        auto prefix = KB_SQL_TRY(prefix_for(ids, kernel::index_key_columns(*index, table)));
        if (!prefix) continue;
        if (!*prefix) return rows;
        auto found = transaction_->index_scan(index->id, **prefix, kernel::prefix_end(**prefix));
        if (!found) return from_status(found.status());
        for (db::IndexedRow& row : *found) {
            rows.push_back(db::KeyedRow{std::move(row.key), std::move(row.row)});
        }
        return rows;
    }
    auto all = transaction_->scan(table.id, {}, {});
    if (!all) return from_status(all.status());
    return std::move(*all);
}

SqlResult<std::optional<Row>> TableWriter::find(ByteSpan key) {
    auto image = transaction_->get(table_.id, key);
    if (!image) return from_status(image.status());
    if (!*image) return std::optional<Row>();
    auto values = kernel::decode_row(table_, **image);
    if (!values) return from_status(values.status());
    return std::optional<Row>(std::move(*values));
}

SqlResult<std::optional<Row>> TableWriter::conflicting(const Row& row,
                                                       std::optional<kernel::IndexId> constraint) {
    if (!constraint) return find(KB_SQL_TRY(key_of(row)));
    const kernel::IndexSchema* index =
        transaction_->catalog().index(*constraint, transaction_->schema_position());
    KB_ASSERT(index != nullptr && index->unique && index->table == table_.id);
    for (const kernel::IndexColumn& column : index->columns) {
        if (row[column_index(column.column)].is_null()) {
            return std::optional<Row>();  // NULLs never collide
        }
    }
    // The unique index holds the values alone as the key (none is NULL): one lookup through
    // the snapshot and this transaction's writes, recorded as read whether found or not.
    Row values;
    std::vector<SqlType> types;
    for (const kernel::IndexColumn& column : index->columns) {
        const usize at = column_index(column.column);
        values.push_back(row[at]);
        types.push_back(table_.columns[at].type.type);
    }
    auto prefix = KB_SQL_TRY(key_prefix(kernel::index_key_columns(*index, table_), types, values));
    if (!prefix) return std::optional<Row>();  // too long to be stored: nothing holds it
    auto found = transaction_->index_get(index->id, *prefix);
    if (!found) return from_status(found.status());
    if (!*found) return std::optional<Row>();
    auto decoded = kernel::decode_row(table_, (*found)->row);
    if (!decoded) return from_status(decoded.status());
    return std::optional<Row>(std::move(*decoded));
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
        Value result = KB_SQL_TRY(evaluate(check, row, *eval_));
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
    // Every unique index: those enforcing UNIQUE constraints and CREATE UNIQUE INDEX ones.
    for (const kernel::IndexSchema& index : indexes_) {
        if (!index.unique) continue;
        auto other = KB_SQL_TRY(conflicting(row, index.id));
        if (!other) continue;
        const Bytes other_key = KB_SQL_TRY(key_of(*other));
        if (own_key && ByteSpan(other_key).size() == own_key->size() &&
            std::equal(other_key.begin(), other_key.end(), own_key->begin())) {
            continue;  // the row itself (an update that keeps the value)
        }
        std::string name = index.name;
        for (const kernel::UniqueConstraint& unique : table_.uniques) {
            if (unique.index == index.id) name = unique.name;
        }
        std::vector<kernel::ColumnId> columns;
        for (const kernel::IndexColumn& column : index.columns) columns.push_back(column.column);
        return SqlError(sqlstate::kUniqueViolation,
                        "duplicate key value violates unique constraint \"" + name + "\"")
            .with_detail(key_detail(columns, row) + " already exists.");
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
                : transaction_->catalog().table(key.parent, transaction_->schema_position());
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
            // The child's values in the parent's key order and types (a bigint child of an
            // integer parent may hold a value no parent key can).
            Row ordered;
            std::vector<SqlType> types;
            for (kernel::ColumnId id : parent->primary_key) {
                for (usize c = 0; c < parent->columns.size(); ++c) {
                    if (parent->columns[c].id == id) {
                        ordered.push_back(probe[c]);
                        types.push_back(parent->columns[c].type.type);
                    }
                }
            }
            auto parent_key =
                KB_SQL_TRY(key_prefix(kernel::primary_key_columns(*parent), types, ordered));
            if (parent_key) {
                auto image = transaction_->get(parent->id, *parent_key);
                if (!image) return from_status(image.status());
                found = image->has_value();
                transaction_->note_parent(kernel::object_of(parent->id), *parent_key);
            }
        } else {
            auto writer = KB_SQL_TRY(TableWriter::make(*transaction_, *parent, *eval_));
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
    const Position at = transaction_->schema_position();
    for (const auto& [child_id, versions] : transaction_->catalog().table_versions()) {
        const kernel::TableSchema* child = transaction_->catalog().table(child_id, at);
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
            auto child_writer = KB_SQL_TRY(TableWriter::make(*transaction_, *child, *eval_));
            const std::vector<db::KeyedRow> rows =
                KB_SQL_TRY(rows_with(*child, key.columns, referenced));
            for (const db::KeyedRow& stored : rows) {
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
    Bytes key = KB_SQL_TRY(key_of(row));
    KB_SQL_TRY(check_key_sizes(row, key));
    auto duplicate = [&] {
        return SqlError(sqlstate::kUniqueViolation,
                        "duplicate key value violates unique constraint \"" +
                            table_.primary_key_name() + "\"")
            .with_detail(key_detail(table_.primary_key, row) + " already exists.");
    };
    if (!checks_other_keys_) {
        // Nothing is checked between the primary key's probe and the write: one probe does
        // both (Transaction::insert records the key as absent; a taken key is read again
        // below, so the read set holds what find() would have recorded).
        Status written =
            transaction_->insert(table_.id, std::move(key), kernel::encode_row(table_, row));
        if (written.is_ok()) return sql_ok();
        if (written.code() != StatusCode::already_exists) return from_status(written);
        const Bytes taken = KB_SQL_TRY(key_of(row));
        KB_SQL_TRY(find(taken));
        return duplicate();
    }
    if (KB_SQL_TRY(find(key))) return duplicate();
    KB_SQL_TRY(check_unique(row, std::nullopt));
    KB_SQL_TRY(check_references_from(row));
    Status written = transaction_->insert(table_.id, key, kernel::encode_row(table_, row));
    if (!written.is_ok()) return from_status(written);
    return sql_ok();
}

SqlStatus TableWriter::update(const Row& old_row, const Row& new_row) {
    KB_SQL_TRY(check_row(new_row));
    const Bytes old_key = KB_SQL_TRY(key_of(old_row));
    const Bytes new_key = KB_SQL_TRY(key_of(new_row));
    KB_SQL_TRY(check_key_sizes(new_row, new_key));
    if (old_key != new_key) {
        KB_SQL_TRY(check_references_to(old_row, &new_row));
        if (KB_SQL_TRY(find(new_key))) {
            return SqlError(sqlstate::kUniqueViolation,
                            "duplicate key value violates unique constraint \"" +
                                table_.primary_key_name() + "\"")
                .with_detail(key_detail(table_.primary_key, new_row) + " already exists.");
        }
        KB_SQL_TRY(check_unique(new_row, ByteSpan(old_key)));
        KB_SQL_TRY(check_references_from(new_row));
        Status removed = transaction_->remove(table_.id, old_key);
        if (!removed.is_ok()) return from_status(removed);
        Status written =
            transaction_->insert(table_.id, new_key, kernel::encode_row(table_, new_row));
        if (!written.is_ok()) return from_status(written);
        return sql_ok();
    }
    KB_SQL_TRY(check_references_to(old_row, &new_row));
    KB_SQL_TRY(check_unique(new_row, ByteSpan(old_key)));
    KB_SQL_TRY(check_references_from(new_row));
    Status written = transaction_->update(table_.id, new_key, kernel::encode_row(table_, new_row));
    if (!written.is_ok()) return from_status(written);
    return sql_ok();
}

SqlStatus TableWriter::remove(const Row& row) {
    const Bytes key = KB_SQL_TRY(key_of(row));
    if (!KB_SQL_TRY(find(key))) return sql_ok();  // already removed (by a cascade)
    Status removed = transaction_->remove(table_.id, key);
    if (!removed.is_ok()) return from_status(removed);
    KB_SQL_TRY(check_references_to(row, nullptr));
    return sql_ok();
}

}  // namespace kb::sql
