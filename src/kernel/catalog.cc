// The catalog's mutations and reads at a position (see catalog.h).
#include "kernel/catalog.h"

#include <algorithm>
#include <set>

#include "base/assert.h"
#include "types/limits.h"

namespace kb::kernel {
namespace {

template <class T>
const T* live_version(const std::vector<Versioned<T>>& versions, Position at) {
    // Versions are contiguous in time: scan from the newest, which is what most reads want.
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
        if (it->live_at(at)) return &it->value;
        if (it->created <= at) break;  // older versions ended before this one began
    }
    return nullptr;
}

bool distinct(const std::vector<ColumnId>& ids) {
    std::set<ColumnId> seen(ids.begin(), ids.end());
    return seen.size() == ids.size();
}

bool same_set(const std::vector<ColumnId>& a, const std::vector<ColumnId>& b) {
    return std::set<ColumnId>(a.begin(), a.end()) == std::set<ColumnId>(b.begin(), b.end()) &&
           a.size() == b.size();
}

bool mentions(const std::vector<ColumnId>& ids, ColumnId column) {
    return std::find(ids.begin(), ids.end(), column) != ids.end();
}

// Columns all exist in `table`, are distinct and non-empty, and (if `keyed`) key-encodable.
bool columns_usable(const TableSchema& table, const std::vector<ColumnId>& ids, bool keyed) {
    if (ids.empty() || !distinct(ids)) return false;
    for (ColumnId id : ids) {
        const ColumnDef* column = table.column(id);
        if (column == nullptr) return false;
        if (keyed && !key_type_of(column->type.type).has_value()) return false;
    }
    return true;
}

Outcome validate_sequence(const SequenceSchema& schema) {
    if (Outcome name = check_name(schema.name); name != Outcome::ok) return name;
    if (schema.increment == 0 || schema.min_value >= schema.max_value ||
        schema.start < schema.min_value || schema.start > schema.max_value) {
        return Outcome::invalid_definition;
    }
    return Outcome::ok;
}

bool is_integer(SqlType type) {
    return type == SqlType::smallint || type == SqlType::integer || type == SqlType::bigint;
}

}  // namespace

Outcome check_name(std::string_view name) {
    if (name.empty() || name.find('\0') != std::string_view::npos) {
        return Outcome::invalid_definition;
    }
    if (name.size() > limits::kNameBytesMax) return Outcome::name_too_long;
    return Outcome::ok;
}

// --- bookkeeping -----------------------------------------------------------------------------

void TenantCatalog::note_change(Position at) {
    KB_ASSERT(at >= last_change_);
    last_change_ = at;
}

bool TenantCatalog::relation_name_taken(std::string_view name, Position at) const {
    return find_table(name, at) != nullptr || find_index(name, at) != nullptr ||
           find_sequence(name, at) != nullptr;
}

Outcome TenantCatalog::check_new_object_id(u64 id) const {
    return id >= next_object_id_.value() && id < kObjectIdLimit ? Outcome::ok
                                                                : Outcome::invalid_definition;
}

Versioned<TableSchema>* TenantCatalog::live_table(TableId id) {
    auto found = tables_.find(id);
    if (found == tables_.end() || found->second.empty()) return nullptr;
    Versioned<TableSchema>& newest = found->second.back();
    return newest.ended == Position::none() ? &newest : nullptr;
}

// --- streams ---------------------------------------------------------------------------------

Outcome TenantCatalog::create_stream(std::string_view name, DataClass data_class, Position at,
                                     StreamId* id) {
    if (Outcome outcome = check_name(name); outcome != Outcome::ok) return outcome;
    if (find_stream(name, kLatest) != nullptr) return Outcome::stream_exists;
    note_change(at);
    *id = next_stream_id_;
    next_stream_id_ = StreamId(next_stream_id_.value() + 1);
    streams_.emplace(*id, StreamInfo{.id = *id,
                                     .name = std::string(name),
                                     .data_class = data_class,
                                     .created = at,
                                     .deleted = Position::none(),
                                     .next_offset = Offset(0)});
    return Outcome::ok;
}

Outcome TenantCatalog::delete_stream(StreamId id, Position at) {
    if (Outcome outcome = check_append(id, std::nullopt); outcome != Outcome::ok) return outcome;
    note_change(at);
    streams_.at(id).deleted = at;
    return Outcome::ok;
}

Outcome TenantCatalog::check_append(StreamId id, std::optional<Offset> expected) const {
    auto found = streams_.find(id);
    if (found == streams_.end()) return Outcome::no_such_stream;
    if (found->second.deleted != Position::none()) return Outcome::stream_deleted;
    if (expected.has_value() && *expected != found->second.next_offset) {
        return Outcome::offset_mismatch;
    }
    return Outcome::ok;
}

Offset TenantCatalog::append(StreamId id, u64 count) {
    KB_ASSERT(check_append(id, std::nullopt) == Outcome::ok);
    StreamInfo& stream = streams_.at(id);
    Offset first = stream.next_offset;
    KB_ASSERT(first.value() + count >= first.value());
    stream.next_offset = first.advanced_by(count);
    return first;
}

const StreamInfo* TenantCatalog::stream(StreamId id) const {
    auto found = streams_.find(id);
    return found == streams_.end() ? nullptr : &found->second;
}

const StreamInfo* TenantCatalog::find_stream(std::string_view name, Position at) const {
    for (const auto& [id, stream] : streams_) {
        if (stream.name == name && stream.live_at(at)) return &stream;
    }
    return nullptr;
}

// --- validation ------------------------------------------------------------------------------

Outcome TenantCatalog::validate_column(const TableSchema& table, const ColumnDef& column,
                                       const std::vector<SequenceSchema>& owned,
                                       Position at) const {
    if (Outcome name = check_name(column.name); name != Outcome::ok) return name;
    if (!column_type_valid(column.type) || column.id.value() == 0 ||
        column.id >= table.next_column_id || column.data_class > kDataClassMax) {
        return Outcome::invalid_definition;
    }
    auto owned_sequence = [&](SequenceId id) -> const SequenceSchema* {
        for (const SequenceSchema& sequence : owned) {
            if (sequence.id == id && sequence.owner_column == column.id) return &sequence;
        }
        return nullptr;
    };
    const ColumnDefault& default_value = column.default_value;
    switch (default_value.kind) {
        case DefaultKind::none:
            if (!default_value.expression.empty()) return Outcome::invalid_definition;
            break;
        case DefaultKind::nextval:
            if (owned_sequence(default_value.sequence) == nullptr &&
                sequence(default_value.sequence, at) == nullptr) {
                return Outcome::no_such_sequence;
            }
            break;
        case DefaultKind::constant:
        case DefaultKind::now:
        case DefaultKind::gen_random_uuid:
        case DefaultKind::expression:
            break;
    }
    if (default_value.kind != DefaultKind::constant &&
        (default_value.constant_is_null || !default_value.constant_text.empty())) {
        return Outcome::invalid_definition;
    }
    if (column.identity != Identity::none) {
        // PostgreSQL: identity columns are integers, NOT NULL, with no other default.
        if (!is_integer(column.type.type) || !column.not_null ||
            default_value.kind != DefaultKind::none ||
            owned_sequence(column.identity_sequence) == nullptr) {
            return Outcome::invalid_definition;
        }
    } else if (column.identity_sequence.value() != 0) {
        return Outcome::invalid_definition;
    }
    return Outcome::ok;
}

Outcome TenantCatalog::validate_table(const TableSchema& schema,
                                      const std::vector<SequenceSchema>& owned, Position at) const {
    if (Outcome name = check_name(schema.name); name != Outcome::ok) return name;
    if (relation_name_taken(schema.name, at)) return Outcome::table_exists;
    if (schema.columns.empty()) return Outcome::invalid_definition;

    // Every new object: ids fresh and distinct, relation names free and distinct.
    std::set<u64> new_ids = {schema.id.value()};
    std::set<std::string> relation_names = {schema.name};
    if (check_new_object_id(schema.id.value()) != Outcome::ok) return Outcome::invalid_definition;
    for (const UniqueConstraint& unique : schema.uniques) {
        if (check_new_object_id(unique.index.value()) != Outcome::ok ||
            !new_ids.insert(unique.index.value()).second) {
            return Outcome::invalid_definition;
        }
        if (Outcome name = check_name(unique.name); name != Outcome::ok) return name;
        if (relation_name_taken(unique.name, at) || !relation_names.insert(unique.name).second) {
            return Outcome::index_exists;
        }
    }
    for (const SequenceSchema& sequence : owned) {
        if (Outcome valid = validate_sequence(sequence); valid != Outcome::ok) return valid;
        if (check_new_object_id(sequence.id.value()) != Outcome::ok ||
            !new_ids.insert(sequence.id.value()).second || sequence.owner_table != schema.id ||
            schema.column(sequence.owner_column) == nullptr) {
            return Outcome::invalid_definition;
        }
        if (relation_name_taken(sequence.name, at) ||
            !relation_names.insert(sequence.name).second) {
            return Outcome::sequence_exists;
        }
    }

    std::set<ColumnId> column_ids;
    std::set<std::string> column_names;
    for (const ColumnDef& column : schema.columns) {
        if (Outcome valid = validate_column(schema, column, owned, at); valid != Outcome::ok) {
            return valid;
        }
        if (!column_ids.insert(column.id).second) return Outcome::invalid_definition;
        if (!column_names.insert(column.name).second) return Outcome::column_exists;
    }

    if (!columns_usable(schema, schema.primary_key, /*keyed=*/true)) {
        return Outcome::invalid_definition;
    }
    for (ColumnId id : schema.primary_key) {
        if (!schema.column(id)->not_null) return Outcome::invalid_definition;
    }

    std::set<std::string> constraint_names;
    if (!schema.primary_key_constraint.empty()) {
        if (Outcome name = check_name(schema.primary_key_constraint); name != Outcome::ok) {
            return name;
        }
        constraint_names.insert(schema.primary_key_constraint);
    }
    for (const UniqueConstraint& unique : schema.uniques) {
        if (!columns_usable(schema, unique.columns, /*keyed=*/true) ||
            !constraint_names.insert(unique.name).second) {
            return Outcome::invalid_definition;
        }
    }
    for (const CheckConstraint& check : schema.checks) {
        if (Outcome name = check_name(check.name); name != Outcome::ok) return name;
        if (check.expression.empty() || !constraint_names.insert(check.name).second) {
            return Outcome::invalid_definition;
        }
        for (ColumnId id : check.columns) {
            if (schema.column(id) == nullptr) return Outcome::no_such_column;
        }
    }
    for (const ForeignKey& foreign_key : schema.foreign_keys) {
        if (!constraint_names.insert(foreign_key.name).second) return Outcome::invalid_definition;
        if (Outcome valid = validate_foreign_key(schema, foreign_key, at); valid != Outcome::ok) {
            return valid;
        }
    }
    return Outcome::ok;
}

Outcome TenantCatalog::validate_foreign_key(const TableSchema& schema,
                                            const ForeignKey& foreign_key, Position at) const {
    if (Outcome name = check_name(foreign_key.name); name != Outcome::ok) return name;
    if (!columns_usable(schema, foreign_key.columns, /*keyed=*/true) ||
        foreign_key.parent_columns.size() != foreign_key.columns.size() ||
        foreign_key.on_delete > ReferentialAction::cascade) {
        return Outcome::invalid_definition;
    }
    const TableSchema* parent =
        foreign_key.parent == schema.id ? &schema : table(foreign_key.parent, at);
    if (parent == nullptr) return Outcome::no_such_table;
    // PostgreSQL: the referenced columns must carry the parent's primary key or a unique
    // constraint, so a parent lookup is a point read.
    bool keyed = same_set(foreign_key.parent_columns, parent->primary_key);
    for (const UniqueConstraint& unique : parent->uniques) {
        keyed = keyed || same_set(foreign_key.parent_columns, unique.columns);
    }
    return keyed ? Outcome::ok : Outcome::invalid_definition;
}

// `table` already holds the new column (and its constraints are not yet in its lists).
Outcome TenantCatalog::validate_added_constraints(const TableSchema& schema,
                                                  const AddedConstraints& constraints,
                                                  Position at) const {
    std::set<std::string> constraint_names = {schema.primary_key_name()};
    for (const UniqueConstraint& unique : schema.uniques) constraint_names.insert(unique.name);
    for (const CheckConstraint& check : schema.checks) constraint_names.insert(check.name);
    for (const ForeignKey& key : schema.foreign_keys) constraint_names.insert(key.name);
    std::set<u64> new_ids;
    std::set<std::string> relation_names;
    for (const UniqueConstraint& unique : constraints.uniques) {
        if (check_new_object_id(unique.index.value()) != Outcome::ok ||
            !new_ids.insert(unique.index.value()).second ||
            !columns_usable(schema, unique.columns, /*keyed=*/true)) {
            return Outcome::invalid_definition;
        }
        if (Outcome name = check_name(unique.name); name != Outcome::ok) return name;
        if (relation_name_taken(unique.name, at) || !relation_names.insert(unique.name).second) {
            return Outcome::index_exists;
        }
        if (!constraint_names.insert(unique.name).second) return Outcome::invalid_definition;
    }
    for (const CheckConstraint& check : constraints.checks) {
        if (Outcome name = check_name(check.name); name != Outcome::ok) return name;
        if (check.expression.empty() || !constraint_names.insert(check.name).second) {
            return Outcome::invalid_definition;
        }
        for (ColumnId id : check.columns) {
            if (schema.column(id) == nullptr) return Outcome::no_such_column;
        }
    }
    for (const ForeignKey& foreign_key : constraints.foreign_keys) {
        if (!constraint_names.insert(foreign_key.name).second) return Outcome::invalid_definition;
        if (Outcome valid = validate_foreign_key(schema, foreign_key, at); valid != Outcome::ok) {
            return valid;
        }
    }
    return Outcome::ok;
}

Outcome TenantCatalog::validate_index(const IndexSchema& schema, const TableSchema& table) const {
    if (check_new_object_id(schema.id.value()) != Outcome::ok) return Outcome::invalid_definition;
    std::vector<ColumnId> ids;
    for (const IndexColumn& column : schema.columns) {
        if (column.nulls > NullsOrder::last) return Outcome::invalid_definition;
        ids.push_back(column.column);
    }
    for (ColumnId id : ids) {
        if (table.column(id) == nullptr) return Outcome::no_such_column;
    }
    return columns_usable(table, ids, /*keyed=*/true) ? Outcome::ok : Outcome::invalid_definition;
}

// --- DDL -------------------------------------------------------------------------------------

void TenantCatalog::install_sequence(const SequenceSchema& schema, Position at) {
    sequences_.emplace(schema.id,
                       std::make_pair(Versioned<SequenceSchema>{schema, at, Position::none()},
                                      SequenceState{.next_value = schema.start}));
    next_object_id_ = ObjectId(std::max(next_object_id_.value(), schema.id.value() + 1));
}

Outcome TenantCatalog::create_table(const TableSchema& schema,
                                    const std::vector<SequenceSchema>& owned, Position at) {
    if (Outcome valid = validate_table(schema, owned, at); valid != Outcome::ok) return valid;
    note_change(at);
    tables_[schema.id].push_back({schema, at, Position::none()});
    next_object_id_ = ObjectId(std::max(next_object_id_.value(), schema.id.value() + 1));
    install_unique_indexes(schema.id, schema.uniques, at);
    for (const SequenceSchema& sequence : owned) install_sequence(sequence, at);
    ++version_;
    return Outcome::ok;
}

void TenantCatalog::install_unique_indexes(TableId table_id,
                                           const std::vector<UniqueConstraint>& uniques,
                                           Position at) {
    for (const UniqueConstraint& unique : uniques) {
        IndexSchema index;
        index.id = unique.index;
        index.table = table_id;
        index.name = unique.name;
        index.unique = true;
        for (ColumnId column : unique.columns) index.columns.push_back({.column = column});
        indexes_.emplace(unique.index, Versioned<IndexSchema>{index, at, Position::none()});
        next_object_id_ = ObjectId(std::max(next_object_id_.value(), unique.index.value() + 1));
    }
}

Outcome TenantCatalog::drop_table(TableId id, Position at) {
    Versioned<TableSchema>* live = live_table(id);
    if (live == nullptr) return Outcome::no_such_table;
    for (const auto& [other_id, versions] : tables_) {
        const TableSchema* other = live_version(versions, kLatest);
        if (other_id == id || other == nullptr) continue;
        for (const ForeignKey& foreign_key : other->foreign_keys) {
            if (foreign_key.parent == id) return Outcome::dependent_objects_exist;
        }
    }
    note_change(at);
    live->ended = at;
    for (auto& [index_id, index] : indexes_) {
        if (index.value.table == id && index.ended == Position::none()) index.ended = at;
    }
    end_sequences_owned_by(id, std::nullopt, at);
    ++version_;
    return Outcome::ok;
}

Outcome TenantCatalog::create_index(const IndexSchema& schema, Position at) {
    if (Outcome name = check_name(schema.name); name != Outcome::ok) return name;
    const TableSchema* owner = table(schema.table, kLatest);
    if (owner == nullptr) return Outcome::no_such_table;
    if (relation_name_taken(schema.name, at)) return Outcome::index_exists;
    if (Outcome valid = validate_index(schema, *owner); valid != Outcome::ok) return valid;
    note_change(at);
    indexes_.emplace(schema.id, Versioned<IndexSchema>{schema, at, Position::none()});
    next_object_id_ = ObjectId(schema.id.value() + 1);
    ++version_;
    return Outcome::ok;
}

Outcome TenantCatalog::drop_index(IndexId id, Position at) {
    auto found = indexes_.find(id);
    if (found == indexes_.end() || found->second.ended != Position::none()) {
        return Outcome::no_such_index;
    }
    // (Dropping a table ends its indexes, so the owner is live; checked all the same, as a
    // catalog decoded from disk is not trusted to be consistent.)
    if (const TableSchema* owner = table(found->second.value.table, kLatest)) {
        for (const UniqueConstraint& unique : owner->uniques) {
            if (unique.index == id) return Outcome::dependent_objects_exist;
        }
    }
    note_change(at);
    found->second.ended = at;
    ++version_;
    return Outcome::ok;
}

Outcome TenantCatalog::add_column(TableId table_id, const ColumnDef& column,
                                  const std::optional<SequenceSchema>& owned, Position at,
                                  const AddedConstraints& constraints) {
    Versioned<TableSchema>* live = live_table(table_id);
    if (live == nullptr) return Outcome::no_such_table;
    TableSchema next = live->value;
    if (next.find_column(column.name) != nullptr) return Outcome::column_exists;
    if (column.id < next.next_column_id) return Outcome::invalid_definition;
    next.next_column_id = ColumnId(column.id.value() + 1);
    if (next.next_column_id.value() == 0) return Outcome::invalid_definition;  // wrapped
    std::vector<SequenceSchema> sequences;
    if (owned.has_value()) {
        if (Outcome valid = validate_sequence(*owned); valid != Outcome::ok) return valid;
        if (check_new_object_id(owned->id.value()) != Outcome::ok ||
            owned->owner_table != table_id || owned->owner_column != column.id) {
            return Outcome::invalid_definition;
        }
        if (relation_name_taken(owned->name, at)) return Outcome::sequence_exists;
        sequences.push_back(*owned);
    }
    if (Outcome valid = validate_column(next, column, sequences, at); valid != Outcome::ok) {
        return valid;
    }
    next.columns.push_back(column);
    if (Outcome valid = validate_added_constraints(next, constraints, at); valid != Outcome::ok) {
        return valid;
    }
    for (const UniqueConstraint& unique : constraints.uniques) {
        for (const SequenceSchema& sequence : sequences) {
            if (sequence.id.value() == unique.index.value()) return Outcome::invalid_definition;
        }
    }
    next.uniques.insert(next.uniques.end(), constraints.uniques.begin(), constraints.uniques.end());
    next.checks.insert(next.checks.end(), constraints.checks.begin(), constraints.checks.end());
    next.foreign_keys.insert(next.foreign_keys.end(), constraints.foreign_keys.begin(),
                             constraints.foreign_keys.end());
    note_change(at);
    live->ended = at;
    tables_[table_id].push_back({std::move(next), at, Position::none()});
    install_unique_indexes(table_id, constraints.uniques, at);
    for (const SequenceSchema& sequence : sequences) install_sequence(sequence, at);
    ++version_;
    return Outcome::ok;
}

Outcome TenantCatalog::drop_column(TableId table_id, ColumnId column, Position at) {
    Versioned<TableSchema>* live = live_table(table_id);
    if (live == nullptr) return Outcome::no_such_table;
    const TableSchema& current = live->value;
    if (current.column(column) == nullptr) return Outcome::no_such_column;
    if (mentions(current.primary_key, column)) return Outcome::dependent_objects_exist;
    for (const auto& [other_id, versions] : tables_) {
        const TableSchema* other = live_version(versions, kLatest);
        if (other == nullptr) continue;
        for (const ForeignKey& foreign_key : other->foreign_keys) {
            // A self-reference from this table's own constraint goes with the column.
            bool own = other_id == table_id && mentions(foreign_key.columns, column);
            if (foreign_key.parent == table_id && mentions(foreign_key.parent_columns, column) &&
                !own) {
                return Outcome::dependent_objects_exist;
            }
        }
    }

    TableSchema next = current;
    std::erase_if(next.columns, [&](const ColumnDef& def) { return def.id == column; });
    std::erase_if(next.uniques,
                  [&](const UniqueConstraint& unique) { return mentions(unique.columns, column); });
    std::erase_if(next.checks,
                  [&](const CheckConstraint& check) { return mentions(check.columns, column); });
    std::erase_if(next.foreign_keys,
                  [&](const ForeignKey& key) { return mentions(key.columns, column); });
    note_change(at);
    live->ended = at;
    for (auto& [index_id, index] : indexes_) {
        if (index.value.table != table_id || index.ended != Position::none()) continue;
        for (const IndexColumn& indexed : index.value.columns) {
            if (indexed.column == column) index.ended = at;
        }
    }
    end_sequences_owned_by(table_id, column, at);
    tables_[table_id].push_back({std::move(next), at, Position::none()});
    ++version_;
    return Outcome::ok;
}

void TenantCatalog::end_sequences_owned_by(TableId table_id, std::optional<ColumnId> column,
                                           Position at) {
    for (auto& [id, entry] : sequences_) {
        Versioned<SequenceSchema>& sequence = entry.first;
        if (sequence.ended == Position::none() && sequence.value.owner_table == table_id &&
            (!column.has_value() || sequence.value.owner_column == *column)) {
            sequence.ended = at;
        }
    }
}

Outcome TenantCatalog::create_sequence(const SequenceSchema& schema, Position at) {
    if (Outcome valid = validate_sequence(schema); valid != Outcome::ok) return valid;
    if (relation_name_taken(schema.name, at)) return Outcome::sequence_exists;
    if (check_new_object_id(schema.id.value()) != Outcome::ok) return Outcome::invalid_definition;
    if (schema.owner_table.value() != 0) {
        const TableSchema* owner = table(schema.owner_table, kLatest);
        if (owner == nullptr) return Outcome::no_such_table;
        if (owner->column(schema.owner_column) == nullptr) return Outcome::no_such_column;
    } else if (schema.owner_column.value() != 0) {
        return Outcome::invalid_definition;
    }
    note_change(at);
    install_sequence(schema, at);
    ++version_;
    return Outcome::ok;
}

// --- sequences -------------------------------------------------------------------------------

Outcome TenantCatalog::reserve(SequenceId id, u64 count, Position at, SequenceBlock* block) {
    KB_ASSERT(count >= 1);
    auto found = sequences_.find(id);
    if (found == sequences_.end() || found->second.first.ended != Position::none()) {
        return Outcome::no_such_sequence;
    }
    const SequenceSchema& schema = found->second.first.value;
    SequenceState& state = found->second.second;
    if (state.exhausted) {
        if (!schema.cycle) return Outcome::sequence_exhausted;
        // PostgreSQL cycles to the bound the sequence starts from: min ascending, max
        // descending.
        state.next_value = schema.increment > 0 ? schema.min_value : schema.max_value;
        state.exhausted = false;
    }
    // 128-bit arithmetic: increments and bounds span the whole i64 range.
    using Wide = __int128;
    const Wide next = state.next_value;
    const Wide step = schema.increment;
    const Wide room =
        step > 0 ? (Wide{schema.max_value} - next) / step : (next - Wide{schema.min_value}) / -step;
    const Wide available = room + 1;  // next itself is always within bounds
    const Wide granted = std::min<Wide>(available, static_cast<Wide>(count));
    note_change(at);
    *block = SequenceBlock{.first = state.next_value,
                           .increment = schema.increment,
                           .count = static_cast<u64>(granted)};
    if (granted == available) {
        state.exhausted = true;
    } else {
        state.next_value = static_cast<i64>(next + granted * step);
    }
    return Outcome::ok;
}

const SequenceState* TenantCatalog::sequence_state(SequenceId id) const {
    auto found = sequences_.find(id);
    return found == sequences_.end() ? nullptr : &found->second.second;
}

// --- reads -----------------------------------------------------------------------------------

const TableSchema* TenantCatalog::table(TableId id, Position at) const {
    auto found = tables_.find(id);
    return found == tables_.end() ? nullptr : live_version(found->second, at);
}

const TableSchema* TenantCatalog::find_table(std::string_view name, Position at) const {
    for (const auto& [id, versions] : tables_) {
        const TableSchema* schema = live_version(versions, at);
        if (schema != nullptr && schema->name == name) return schema;
    }
    return nullptr;
}

const IndexSchema* TenantCatalog::index(IndexId id, Position at) const {
    auto found = indexes_.find(id);
    if (found == indexes_.end() || !found->second.live_at(at)) return nullptr;
    return &found->second.value;
}

const IndexSchema* TenantCatalog::find_index(std::string_view name, Position at) const {
    for (const auto& [id, index] : indexes_) {
        if (index.live_at(at) && index.value.name == name) return &index.value;
    }
    return nullptr;
}

std::vector<const IndexSchema*> TenantCatalog::indexes_of(TableId table_id, Position at) const {
    std::vector<const IndexSchema*> result;
    for (const auto& [id, index] : indexes_) {
        if (index.live_at(at) && index.value.table == table_id) result.push_back(&index.value);
    }
    return result;
}

const SequenceSchema* TenantCatalog::sequence(SequenceId id, Position at) const {
    auto found = sequences_.find(id);
    if (found == sequences_.end() || !found->second.first.live_at(at)) return nullptr;
    return &found->second.first.value;
}

const SequenceSchema* TenantCatalog::find_sequence(std::string_view name, Position at) const {
    for (const auto& [id, entry] : sequences_) {
        if (entry.first.live_at(at) && entry.first.value.name == name) return &entry.first.value;
    }
    return nullptr;
}

// --- tenants ---------------------------------------------------------------------------------

Outcome Catalog::create_tenant(TenantInfo info, Position at) {
    if (Outcome name = check_name(info.name); name != Outcome::ok) return name;
    if (info.id.value() == 0) return Outcome::invalid_definition;
    if (tenants_.contains(info.id) || find_tenant(info.name) != nullptr) {
        return Outcome::tenant_exists;
    }
    info.created = at;
    info.dropped = Position::none();
    TenantId id = info.id;
    tenants_.emplace(id, TenantCatalog(std::move(info)));
    return Outcome::ok;
}

Outcome Catalog::drop_tenant(TenantId id, Position at) {
    auto found = tenants_.find(id);
    if (found == tenants_.end() || found->second.info().is_dropped()) {
        return Outcome::no_such_tenant;
    }
    KB_ASSERT(at > found->second.info().created);
    found->second.info_.dropped = at;
    return Outcome::ok;
}

const TenantCatalog* Catalog::tenant(TenantId id) const {
    auto found = tenants_.find(id);
    return found == tenants_.end() ? nullptr : &found->second;
}

TenantCatalog* Catalog::tenant(TenantId id) {
    auto found = tenants_.find(id);
    return found == tenants_.end() ? nullptr : &found->second;
}

const TenantCatalog* Catalog::find_tenant(std::string_view name) const {
    for (const auto& [id, tenant] : tenants_) {
        if (tenant.info().name == name && !tenant.info().is_dropped()) return &tenant;
    }
    return nullptr;
}

}  // namespace kb::kernel
