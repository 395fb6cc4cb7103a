// Deterministic bytes for schema objects (see schema_codec.h).
#include "kernel/schema_codec.h"

namespace kb::kernel {
namespace {

// Lower bounds of encoded item sizes, so a forged list count is refused before reserving.
constexpr usize kMinColumnIdBytes = 4;
constexpr usize kMinColumnDefBytes = 40;
constexpr usize kMinConstraintBytes = 12;
constexpr usize kMinIndexColumnBytes = 6;

void encode_column_ids(WireWriter& out, const std::vector<ColumnId>& ids) {
    out.count(ids.size());
    for (ColumnId id : ids) out.u32(id.value());
}

std::vector<ColumnId> decode_column_ids(WireReader& in, std::string_view field) {
    std::vector<ColumnId> ids(in.count(field, kMinColumnIdBytes));
    for (ColumnId& id : ids) id = ColumnId(in.u32(field));
    return ids;
}

void encode_column_type(WireWriter& out, const ColumnType& type) {
    out.u8(static_cast<u8>(type.type));
    out.u32(type.length);
    out.u16(type.precision);
    out.u16(type.scale);
}

ColumnType decode_column_type(WireReader& in) {
    ColumnType type;
    type.type =
        static_cast<SqlType>(decode_enum_byte(in, "column type", 1, static_cast<u8>(kSqlTypeMax)));
    type.length = in.u32("column type length");
    type.precision = in.u16("column type precision");
    type.scale = in.u16("column type scale");
    return type;
}

void encode_default(WireWriter& out, const ColumnDefault& value) {
    out.u8(static_cast<u8>(value.kind));
    out.string(value.expression);
    out.boolean(value.constant_is_null);
    out.string(value.constant_text);
    out.u64(value.sequence.value());
}

ColumnDefault decode_default(WireReader& in) {
    ColumnDefault value;
    value.kind = static_cast<DefaultKind>(
        decode_enum_byte(in, "default kind", 0, static_cast<u8>(DefaultKind::expression)));
    value.expression = in.string("default expression");
    value.constant_is_null = in.boolean("default constant is null");
    value.constant_text = in.string("default constant");
    value.sequence = SequenceId(in.u64("default sequence"));
    return value;
}

void encode_constraint_lists(WireWriter& out, const std::vector<UniqueConstraint>& uniques,
                             const std::vector<CheckConstraint>& checks,
                             const std::vector<ForeignKey>& foreign_keys) {
    out.count(uniques.size());
    for (const UniqueConstraint& unique : uniques) {
        out.string(unique.name);
        encode_column_ids(out, unique.columns);
        out.u64(unique.index.value());
    }
    out.count(checks.size());
    for (const CheckConstraint& check : checks) {
        out.string(check.name);
        out.string(check.expression);
        encode_column_ids(out, check.columns);
    }
    out.count(foreign_keys.size());
    for (const ForeignKey& key : foreign_keys) {
        out.string(key.name);
        encode_column_ids(out, key.columns);
        out.u64(key.parent.value());
        encode_column_ids(out, key.parent_columns);
        out.u8(static_cast<u8>(key.on_delete));
    }
}

void decode_constraint_lists(WireReader& in, std::vector<UniqueConstraint>& uniques,
                             std::vector<CheckConstraint>& checks,
                             std::vector<ForeignKey>& foreign_keys) {
    uniques.resize(in.count("table unique constraints", kMinConstraintBytes));
    for (UniqueConstraint& unique : uniques) {
        unique.name = in.string("unique constraint name");
        unique.columns = decode_column_ids(in, "unique constraint columns");
        unique.index = IndexId(in.u64("unique constraint index"));
        if (!in.ok()) return;
    }
    checks.resize(in.count("table check constraints", kMinConstraintBytes));
    for (CheckConstraint& check : checks) {
        check.name = in.string("check constraint name");
        check.expression = in.string("check constraint expression");
        check.columns = decode_column_ids(in, "check constraint columns");
        if (!in.ok()) return;
    }
    foreign_keys.resize(in.count("table foreign keys", kMinConstraintBytes));
    for (ForeignKey& key : foreign_keys) {
        key.name = in.string("foreign key name");
        key.columns = decode_column_ids(in, "foreign key columns");
        key.parent = TableId(in.u64("foreign key parent"));
        key.parent_columns = decode_column_ids(in, "foreign key parent columns");
        key.on_delete = static_cast<ReferentialAction>(decode_enum_byte(
            in, "foreign key on delete", 0, static_cast<u8>(ReferentialAction::cascade)));
        if (!in.ok()) return;
    }
}

}  // namespace

u8 decode_enum_byte(WireReader& in, std::string_view field, u8 min, u8 max) {
    usize at = in.offset();
    u8 value = in.u8(field);
    if (in.ok() && (value < min || value > max)) {
        in.fail(std::string(field) + " at byte " + std::to_string(at) + " is " +
                std::to_string(value) + ", not a known value");
        return min;
    }
    return value;
}

void encode_column_def(WireWriter& out, const ColumnDef& column) {
    out.u32(column.id.value());
    out.string(column.name);
    encode_column_type(out, column.type);
    out.boolean(column.not_null);
    encode_default(out, column.default_value);
    out.u8(static_cast<u8>(column.identity));
    out.u64(column.identity_sequence.value());
    out.u8(static_cast<u8>(column.data_class));
}

ColumnDef decode_column_def(WireReader& in) {
    ColumnDef column;
    column.id = ColumnId(in.u32("column id"));
    column.name = in.string("column name");
    column.type = decode_column_type(in);
    column.not_null = in.boolean("column not null");
    column.default_value = decode_default(in);
    column.identity = static_cast<Identity>(
        decode_enum_byte(in, "column identity", 0, static_cast<u8>(Identity::by_default)));
    column.identity_sequence = SequenceId(in.u64("column identity sequence"));
    column.data_class = static_cast<DataClass>(
        decode_enum_byte(in, "column data class", 0, static_cast<u8>(kDataClassMax)));
    return column;
}

void encode_table_schema(WireWriter& out, const TableSchema& schema) {
    out.u64(schema.id.value());
    out.string(schema.name);
    out.count(schema.columns.size());
    for (const ColumnDef& column : schema.columns) encode_column_def(out, column);
    out.u32(schema.next_column_id.value());
    encode_column_ids(out, schema.primary_key);
    out.string(schema.primary_key_constraint);
    encode_constraint_lists(out, schema.uniques, schema.checks, schema.foreign_keys);
}

TableSchema decode_table_schema(WireReader& in) {
    TableSchema schema;
    schema.id = TableId(in.u64("table id"));
    schema.name = in.string("table name");
    schema.columns.resize(in.count("table columns", kMinColumnDefBytes));
    for (ColumnDef& column : schema.columns) {
        column = decode_column_def(in);
        if (!in.ok()) return schema;
    }
    schema.next_column_id = ColumnId(in.u32("table next column id"));
    schema.primary_key = decode_column_ids(in, "table primary key");
    schema.primary_key_constraint = in.string("table primary key constraint");
    decode_constraint_lists(in, schema.uniques, schema.checks, schema.foreign_keys);
    return schema;
}

void encode_added_constraints(WireWriter& out, const AddedConstraints& constraints) {
    encode_constraint_lists(out, constraints.uniques, constraints.checks, constraints.foreign_keys);
}

AddedConstraints decode_added_constraints(WireReader& in) {
    AddedConstraints constraints;
    decode_constraint_lists(in, constraints.uniques, constraints.checks, constraints.foreign_keys);
    return constraints;
}

void encode_index_schema(WireWriter& out, const IndexSchema& schema) {
    out.u64(schema.id.value());
    out.u64(schema.table.value());
    out.string(schema.name);
    out.count(schema.columns.size());
    for (const IndexColumn& column : schema.columns) {
        out.u32(column.column.value());
        out.boolean(column.descending);
        out.u8(static_cast<u8>(column.nulls));
    }
    out.boolean(schema.unique);
}

IndexSchema decode_index_schema(WireReader& in) {
    IndexSchema schema;
    schema.id = IndexId(in.u64("index id"));
    schema.table = TableId(in.u64("index table"));
    schema.name = in.string("index name");
    schema.columns.resize(in.count("index columns", kMinIndexColumnBytes));
    for (IndexColumn& column : schema.columns) {
        column.column = ColumnId(in.u32("index column"));
        column.descending = in.boolean("index column descending");
        column.nulls = static_cast<NullsOrder>(
            decode_enum_byte(in, "index column nulls", 0, static_cast<u8>(NullsOrder::last)));
        if (!in.ok()) return schema;
    }
    schema.unique = in.boolean("index unique");
    return schema;
}

void encode_sequence_schema(WireWriter& out, const SequenceSchema& schema) {
    out.u64(schema.id.value());
    out.string(schema.name);
    out.i64(schema.start);
    out.i64(schema.increment);
    out.i64(schema.min_value);
    out.i64(schema.max_value);
    out.boolean(schema.cycle);
    out.u64(schema.owner_table.value());
    out.u32(schema.owner_column.value());
}

SequenceSchema decode_sequence_schema(WireReader& in) {
    SequenceSchema schema;
    schema.id = SequenceId(in.u64("sequence id"));
    schema.name = in.string("sequence name");
    schema.start = in.i64("sequence start");
    schema.increment = in.i64("sequence increment");
    schema.min_value = in.i64("sequence min value");
    schema.max_value = in.i64("sequence max value");
    schema.cycle = in.boolean("sequence cycle");
    schema.owner_table = TableId(in.u64("sequence owner table"));
    schema.owner_column = ColumnId(in.u32("sequence owner column"));
    return schema;
}

}  // namespace kb::kernel
