// Row images and the keys derived from rows (see row_codec.h).
#include "kernel/row_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "base/assert.h"
#include "base/endian.h"
#include "kernel/wire.h"
#include "types/limits.h"

namespace kb::kernel {
namespace {

constexpr u32 kCanonicalNan32 = 0x7fc00000;
constexpr u64 kCanonicalNan64 = 0x7ff8000000000000;
// The least bytes a column can take: id, kind, a one-byte payload.
constexpr usize kMinColumnBytes = 4 + 1 + 1;

void encode_numeric(WireWriter& out, const Numeric& number) {
    out.u8(static_cast<u8>(number.special()));
    if (!number.is_finite()) return;
    out.boolean(number.negative());
    out.u16(number.scale());
    const std::string& digits = number.digits();
    out.u32(static_cast<u32>(digits.size()));
    // Packed decimal, two digits a byte, high nibble first; an odd count pads a zero nibble.
    for (usize i = 0; i < digits.size(); i += 2) {
        const u8 high = static_cast<u8>(digits[i] - '0');
        const u8 low = i + 1 < digits.size() ? static_cast<u8>(digits[i + 1] - '0') : 0;
        out.u8(static_cast<u8>(high << 4 | low));
    }
}

Numeric decode_numeric(WireReader& in) {
    const u8 special = in.u8("numeric special");
    if (!in.ok()) return {};
    switch (static_cast<Numeric::Special>(special)) {
        case Numeric::Special::nan:
            return Numeric::nan();
        case Numeric::Special::positive_infinity:
            return Numeric::infinity(false);
        case Numeric::Special::negative_infinity:
            return Numeric::infinity(true);
        case Numeric::Special::finite:
            break;
        default:
            in.fail("numeric: unknown special value " + std::to_string(special));
            return {};
    }
    const bool negative = in.boolean("numeric sign");
    const u16 scale = in.u16("numeric scale");
    const u32 count = in.u32("numeric digit count");
    if (!in.ok()) return {};
    if (count > Numeric::kDigitsMax || (count + 1) / 2 > in.remaining()) {
        in.fail("numeric: " + std::to_string(count) + " digits");
        return {};
    }
    ByteSpan packed = in.raw((count + 1) / 2, "numeric digits");
    std::string digits;
    digits.reserve(count);
    for (usize i = 0; i < count; ++i) {
        const u8 byte = packed[i / 2];
        const u8 nibble = i % 2 == 0 ? byte >> 4 : byte & 0x0f;
        if (nibble > 9) {
            in.fail("numeric: a digit nibble of " + std::to_string(nibble));
            return {};
        }
        digits.push_back(static_cast<char>('0' + nibble));
    }
    if (count % 2 == 1 && (packed.back() & 0x0f) != 0) {
        in.fail("numeric: a non-zero padding nibble");
        return {};
    }
    auto number = Numeric::from_parts(negative, std::move(digits), scale);
    if (!number) {
        in.fail(number.error().message());
        return {};
    }
    return *number;
}

void encode_value(WireWriter& out, const Value& value) {
    out.u8(static_cast<u8>(value.kind()));
    switch (value.kind()) {
        case ValueKind::null:
            KB_UNREACHABLE();
        case ValueKind::boolean:
            out.boolean(value.as_bool());
            return;
        case ValueKind::int16:
            out.u16(static_cast<u16>(value.as_int()));
            return;
        case ValueKind::int32:
        case ValueKind::date:
            out.u32(static_cast<u32>(value.as_int()));
            return;
        case ValueKind::int64:
        case ValueKind::timestamp:
        case ValueKind::timestamptz:
            out.i64(value.as_int());
            return;
        case ValueKind::float32: {
            const float f = value.as_float32();
            out.u32(std::isnan(f) ? kCanonicalNan32 : std::bit_cast<u32>(f));
            return;
        }
        case ValueKind::float64: {
            const double d = value.as_float64();
            out.u64(std::isnan(d) ? kCanonicalNan64 : std::bit_cast<u64>(d));
            return;
        }
        case ValueKind::numeric:
            encode_numeric(out, value.as_numeric());
            return;
        case ValueKind::text:
        case ValueKind::jsonb:
            out.string(value.as_text());
            return;
        case ValueKind::bytea:
            out.bytes(value.as_bytea());
            return;
        case ValueKind::interval:
            out.u32(static_cast<u32>(value.as_interval().months));
            out.u32(static_cast<u32>(value.as_interval().days));
            out.i64(value.as_interval().microseconds);
            return;
        case ValueKind::uuid:
            out.raw(value.as_uuid());
            return;
    }
    KB_UNREACHABLE();
}

Value decode_value(WireReader& in, ValueKind kind) {
    switch (kind) {
        case ValueKind::null:
            break;
        case ValueKind::boolean:
            return Value::boolean(in.boolean("boolean"));
        case ValueKind::int16:
            return Value::int16(static_cast<i16>(in.u16("int16")));
        case ValueKind::int32:
            return Value::int32(static_cast<i32>(in.u32("int32")));
        case ValueKind::date:
            return Value::date(static_cast<i32>(in.u32("date")));
        case ValueKind::int64:
            return Value::int64(in.i64("int64"));
        case ValueKind::timestamp:
            return Value::timestamp(in.i64("timestamp"));
        case ValueKind::timestamptz:
            return Value::timestamptz(in.i64("timestamptz"));
        case ValueKind::float32: {
            const u32 bits = in.u32("float32");
            const float f = std::bit_cast<float>(bits);
            if (std::isnan(f) && bits != kCanonicalNan32) in.fail("float32: a non-canonical NaN");
            return Value::float32(f);
        }
        case ValueKind::float64: {
            const u64 bits = in.u64("float64");
            const double d = std::bit_cast<double>(bits);
            if (std::isnan(d) && bits != kCanonicalNan64) in.fail("float64: a non-canonical NaN");
            return Value::float64(d);
        }
        case ValueKind::numeric:
            return Value::numeric(decode_numeric(in));
        case ValueKind::text:
            return Value::text(in.string("text"));
        case ValueKind::jsonb:
            return Value::jsonb(in.string("jsonb"));
        case ValueKind::bytea:
            return Value::bytea(in.bytes("bytea"));
        case ValueKind::interval: {
            Interval interval;
            interval.months = static_cast<i32>(in.u32("interval months"));
            interval.days = static_cast<i32>(in.u32("interval days"));
            interval.microseconds = in.i64("interval microseconds");
            return Value::interval(interval);
        }
        case ValueKind::uuid: {
            Uuid uuid{};
            ByteSpan bytes = in.raw(uuid.size(), "uuid");
            if (in.ok()) std::copy(bytes.begin(), bytes.end(), uuid.begin());
            return Value::uuid(uuid);
        }
    }
    in.fail("unknown value kind " + std::to_string(static_cast<u8>(kind)));
    return Value();
}

// Calls visit(column id, value) for every column of an image, in order; the first problem is
// left in the returned status.
template <class Visit>
Status walk_image(ByteSpan image, Visit&& visit) {
    if (image.empty()) return Status::corruption("row image: empty");
    if (image[0] != kRowFormatVersion) {
        return Status::unsupported("row image: format version " + std::to_string(image[0]) +
                                   " (this build reads version " +
                                   std::to_string(kRowFormatVersion) + ")");
    }
    WireReader in(image.subspan(1), "row image");
    const usize count = in.count("column count", kMinColumnBytes);
    u32 previous = 0;
    for (usize i = 0; i < count && in.ok(); ++i) {
        const u32 id = in.u32("column id");
        const u8 kind = in.u8("value kind");
        if (!in.ok()) break;
        if (id == 0 || (i > 0 && id <= previous)) {
            in.fail("column ids not strictly increasing at column " + std::to_string(id));
            break;
        }
        if (kind == 0 || kind > static_cast<u8>(kValueKindMax)) {
            in.fail("column " + std::to_string(id) + ": value kind " + std::to_string(kind));
            break;
        }
        previous = id;
        Value value = decode_value(in, static_cast<ValueKind>(kind));
        if (!in.ok()) break;
        visit(ColumnId(id), std::move(value));
    }
    return in.finish();
}

// Position of each column id in table.columns, sorted by id, for merging with an image.
std::vector<std::pair<ColumnId, usize>> positions_by_id(const TableSchema& table) {
    std::vector<std::pair<ColumnId, usize>> positions;
    positions.reserve(table.columns.size());
    for (usize i = 0; i < table.columns.size(); ++i) positions.emplace_back(table.columns[i].id, i);
    std::sort(positions.begin(), positions.end());
    return positions;
}

usize position_of(const TableSchema& table, ColumnId id) {
    for (usize i = 0; i < table.columns.size(); ++i) {
        if (table.columns[i].id == id) return i;
    }
    KB_ASSERT(false && "a key column the table does not have");
    KB_UNREACHABLE();
}

}  // namespace

Bytes encode_row(std::span<const RowColumn> columns) {
    WireWriter out;
    out.u8(kRowFormatVersion);
    usize present = 0;
    for (const RowColumn& column : columns) present += column.value.is_null() ? 0u : 1u;
    out.count(present);
    for (usize i = 0; i < columns.size(); ++i) {
        KB_ASSERT(columns[i].column.value() != 0);
        KB_ASSERT(i == 0 || columns[i - 1].column < columns[i].column);
        if (columns[i].value.is_null()) continue;
        out.u32(columns[i].column.value());
        encode_value(out, columns[i].value);
    }
    return out.take();
}

Result<std::vector<RowColumn>> decode_row(ByteSpan image) {
    std::vector<RowColumn> columns;
    KB_TRY(walk_image(image, [&](ColumnId id, Value value) {
        columns.push_back({.column = id, .value = std::move(value)});
    }));
    return columns;
}

Bytes encode_row(const TableSchema& table, std::span<const Value> values) {
    KB_ASSERT(values.size() == table.columns.size());
    // encode_row(columns) of the values in column id order, written straight from `values`:
    // no copies of them, and no sort when the table's columns are in id order (the usual
    // case: columns are added at the end with the next id).
    bool in_id_order = true;
    for (usize i = 1; i < table.columns.size() && in_id_order; ++i) {
        in_id_order = table.columns[i - 1].id < table.columns[i].id;
    }
    std::vector<std::pair<ColumnId, usize>> sorted;
    if (!in_id_order) sorted = positions_by_id(table);
    // Room for the whole image in one allocation: a version and a count, then per value an
    // id, a kind and at most 8 bytes, or a length and the characters of a text.
    usize present = 0;
    usize estimate = 1 + 4;
    for (const Value& value : values) {
        if (value.is_null()) continue;
        ++present;
        estimate += 4 + 1 + 8;
        if (value.kind() == ValueKind::text) estimate += value.as_text().size();
    }
    WireWriter out;
    out.reserve(estimate);
    out.u8(kRowFormatVersion);
    out.count(present);
    for (usize i = 0; i < values.size(); ++i) {
        const usize position = in_id_order ? i : sorted[i].second;
        const ColumnId id = table.columns[position].id;
        KB_ASSERT(id.value() != 0);
        KB_ASSERT(in_id_order || i == 0 || sorted[i - 1].first < id);  // ids are distinct
        if (values[position].is_null()) continue;
        out.u32(id.value());
        encode_value(out, values[position]);
    }
    return out.take();
}

Result<std::vector<Value>> decode_row(const TableSchema& table, ByteSpan image) {
    std::vector<Value> values;
    KB_TRY(RowDecoder(table).decode(image, values));
    return values;
}

RowDecoder::RowDecoder(const TableSchema& table) : table_(table.id) {
    columns_.reserve(table.columns.size());
    for (const auto& [id, position] : positions_by_id(table)) {
        columns_.push_back(Column{id, position, value_kind_of(table.columns[position].type.type)});
    }
}

bool RowDecoder::decode_plain(ByteSpan image, std::vector<Value>& out) const {
    const u8* in = image.data() + 1;  // past the format version
    const u8* const end = image.data() + image.size();
    auto left = [&] { return static_cast<usize>(end - in); };
    if (left() < 4 || load_le_u32(in) != columns_.size()) return false;
    in += 4;
    out.resize(columns_.size());
    for (const Column& column : columns_) {
        if (left() < 5) return false;
        const u32 id = load_le_u32(in);
        if (id == 0 || id != column.id.value() || in[4] != static_cast<u8>(column.kind)) {
            return false;
        }
        in += 5;
        Value& value = out[column.position];
        switch (column.kind) {
            case ValueKind::int64:
            case ValueKind::timestamp:
            case ValueKind::timestamptz: {
                if (left() < 8) return false;
                const i64 bits = static_cast<i64>(load_le_u64(in));
                in += 8;
                value.assign_int(column.kind, bits);
                break;
            }
            case ValueKind::int32:
            case ValueKind::date: {
                if (left() < 4) return false;
                const i32 bits = static_cast<i32>(load_le_u32(in));
                in += 4;
                value.assign_int(column.kind, bits);
                break;
            }
            case ValueKind::int16: {
                if (left() < 2) return false;
                value.assign_int(ValueKind::int16, static_cast<i16>(load_le_u16(in)));
                in += 2;
                break;
            }
            case ValueKind::float32: {
                if (left() < 4) return false;
                const u32 bits = load_le_u32(in);
                const float f = std::bit_cast<float>(bits);
                if (std::isnan(f) && bits != kCanonicalNan32) return false;
                value = Value::float32(f);
                in += 4;
                break;
            }
            case ValueKind::float64: {
                if (left() < 8) return false;
                const u64 bits = load_le_u64(in);
                const double d = std::bit_cast<double>(bits);
                if (std::isnan(d) && bits != kCanonicalNan64) return false;
                value = Value::float64(d);
                in += 8;
                break;
            }
            case ValueKind::boolean: {
                if (left() < 1 || in[0] > 1) return false;
                value = Value::boolean(in[0] == 1);
                in += 1;
                break;
            }
            case ValueKind::text: {
                if (left() < 4) return false;
                const u32 size = load_le_u32(in);
                in += 4;
                if (left() < size) return false;
                value.assign_text(as_chars(ByteSpan(in, size)));
                in += size;
                break;
            }
            default:
                return false;
        }
    }
    return in == end;
}

Status RowDecoder::decode(ByteSpan image, std::vector<Value>& out) const {
    // walk_image's checks, inlined so values decode straight into `out`.
    if (image.empty()) return Status::corruption("row image: empty");
    if (image[0] != kRowFormatVersion) {
        return Status::unsupported("row image: format version " + std::to_string(image[0]) +
                                   " (this build reads version " +
                                   std::to_string(kRowFormatVersion) + ")");
    }
    if (decode_plain(image, out)) return Status::ok();
    out.resize(columns_.size());
    WireReader in(image.subspan(1), "row image");
    const usize count = in.count("column count", kMinColumnBytes);
    u32 previous = 0;
    usize next = 0;  // into columns_: those before it are filled
    std::string problem;
    for (usize i = 0; i < count && in.ok(); ++i) {
        const u32 id = in.u32("column id");
        const u8 kind = in.u8("value kind");
        if (!in.ok()) break;
        if (id == 0 || (i > 0 && id <= previous)) {
            in.fail("column ids not strictly increasing at column " + std::to_string(id));
            break;
        }
        if (kind == 0 || kind > static_cast<u8>(kValueKindMax)) {
            in.fail("column " + std::to_string(id) + ": value kind " + std::to_string(kind));
            break;
        }
        previous = id;
        // Columns the image lacks (NULL) come before this one.
        while (next < columns_.size() && columns_[next].id.value() < id) {
            out[columns_[next++].position] = Value::null();
        }
        if (next == columns_.size() || columns_[next].id.value() != id) {
            (void)decode_value(in, static_cast<ValueKind>(kind));  // a dropped column: skipped
            continue;
        }
        const Column& column = columns_[next++];
        if (problem.empty() && static_cast<ValueKind>(kind) != column.kind) {
            problem = "column " + std::to_string(id) + " holds a " +
                      std::string(value_kind_name(static_cast<ValueKind>(kind))) + " value";
        }
        if (static_cast<ValueKind>(kind) == ValueKind::text) {
            const u32 size = in.u32("text");
            const ByteSpan text = in.raw(size, "text");
            out[column.position].assign_text(as_chars(text));
        } else {
            out[column.position] = decode_value(in, static_cast<ValueKind>(kind));
        }
    }
    while (next < columns_.size()) out[columns_[next++].position] = Value::null();
    KB_TRY(in.finish());
    if (!problem.empty()) {
        return Status::corruption("row image of table " + std::to_string(table_.value()) + ": " +
                                  problem);
    }
    return Status::ok();
}

RowCheck check_row(const TableSchema& table, ByteSpan image) {
    RowCheck check;
    const auto positions = positions_by_id(table);
    check.values.resize(table.columns.size());
    usize next = 0;
    Status decoded = walk_image(image, [&](ColumnId id, Value value) {
        while (next < positions.size() && positions[next].first < id) ++next;
        if (next == positions.size() || positions[next].first != id) {
            if (check.outcome == Outcome::ok) {
                check.outcome = Outcome::invalid_effect;
                check.reason =
                    "column " + std::to_string(id.value()) + " is not in table " + table.name;
            }
            return;
        }
        const ColumnDef& column = table.columns[positions[next].second];
        if (auto misfit = value_misfit(column, value); misfit && check.outcome == Outcome::ok) {
            check.outcome = Outcome::invalid_effect;
            check.reason = *misfit;
        }
        check.values[positions[next].second] = std::move(value);
    });
    if (!decoded.is_ok()) {
        return {.outcome = Outcome::invalid_effect, .reason = decoded.message(), .values = {}};
    }
    if (check.outcome != Outcome::ok) {
        check.values.clear();
        return check;
    }
    for (usize i = 0; i < table.columns.size(); ++i) {
        if (table.columns[i].not_null && check.values[i].is_null()) {
            return {.outcome = Outcome::not_null_violation,
                    .reason = "null value in column \"" + table.columns[i].name + "\" of table \"" +
                              table.name + "\"",
                    .values = {}};
        }
    }
    return check;
}

// --- keys ------------------------------------------------------------------------------------

std::vector<KeyColumn> primary_key_columns(const TableSchema& table) {
    std::vector<KeyColumn> columns;
    for (ColumnId id : table.primary_key) {
        const ColumnDef* column = table.column(id);
        KB_ASSERT(column != nullptr);
        auto type = key_type_of(column->type.type);
        KB_ASSERT(type.has_value());
        columns.push_back({.type = *type});
    }
    return columns;
}

std::vector<KeyColumn> index_key_columns(const IndexSchema& index, const TableSchema& table) {
    std::vector<KeyColumn> columns;
    for (const IndexColumn& indexed : index.columns) {
        const ColumnDef* column = table.column(indexed.column);
        KB_ASSERT(column != nullptr);
        auto type = key_type_of(column->type.type);
        KB_ASSERT(type.has_value());
        columns.push_back(
            {.type = *type, .descending = indexed.descending, .nulls = indexed.nulls});
    }
    return columns;
}

TableKeys::TableKeys(const TableSchema& table, std::vector<const IndexSchema*> indexes)
    : table_(&table), key_columns_(primary_key_columns(table)) {
    for (ColumnId id : table.primary_key) key_positions_.push_back(position_of(table, id));
    for (const IndexSchema* index : indexes) {
        KB_ASSERT(index->table == table.id);
        Plan plan{.schema = index, .positions = {}, .columns = index_key_columns(*index, table)};
        for (const IndexColumn& column : index->columns) {
            plan.positions.push_back(position_of(table, column.column));
        }
        indexes_.push_back(std::move(plan));
    }
}

Result<Bytes> TableKeys::primary_key(std::span<const Value> values) const {
    KB_ASSERT(values.size() == table_->columns.size());
    // encode_key's bytes and refusal, each column encoded straight into the key (this runs
    // for every row written, at the edge, in admission and in apply).
    Bytes out;
    out.reserve(kKeyBytesGuess);
    for (usize i = 0; i < key_positions_.size(); ++i) {
        encode_key_column(key_columns_[i], key_value_of(values[key_positions_[i]]), &out);
    }
    if (out.size() > limits::kKeySizeBytesMax) {
        return Status::out_of_range("key of " + std::to_string(out.size()) +
                                    " encoded bytes exceeds the limit of " +
                                    std::to_string(limits::kKeySizeBytesMax));
    }
    return out;
}

Result<Bytes> TableKeys::index_key(usize i, std::span<const Value> values,
                                   ByteSpan primary_key) const {
    KB_ASSERT(values.size() == table_->columns.size());
    const Plan& plan = indexes_[i];
    std::vector<KeyValue> key;
    key.reserve(plan.positions.size());
    bool any_null = false;
    for (usize position : plan.positions) {
        any_null = any_null || values[position].is_null();
        key.push_back(key_value_of(values[position]));
    }
    Bytes encoded = KB_TRY(encode_key(plan.columns, key));
    if (!plan.schema->unique || any_null) {
        encoded.insert(encoded.end(), primary_key.begin(), primary_key.end());
        if (encoded.size() > limits::kKeySizeBytesMax) {
            return Status::out_of_range("index " + plan.schema->name + ": a key of " +
                                        std::to_string(encoded.size()) +
                                        " bytes with the primary key appended is over the limit "
                                        "of " +
                                        std::to_string(limits::kKeySizeBytesMax));
        }
    }
    return encoded;
}

}  // namespace kb::kernel
