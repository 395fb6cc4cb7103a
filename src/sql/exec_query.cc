// Sorting, grouping and DISTINCT (see exec_query.h).
#include "sql/exec_query.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "sql/statement_guard.h"

namespace kb::sql {

namespace {

// Numeric values equal under = may print differently (1.0, 1.00); floats have -0 and 0.
std::string grouping_text(const Value& value, const Type& type) {
    if (value.is_null()) return std::string(1, '\0');
    std::string text = value_to_text(value, type);
    if (type.id() == SqlType::numeric && text.find('.') != std::string::npos) {
        while (text.back() == '0') text.pop_back();
        if (text.back() == '.') text.pop_back();
        if (text == "-0") text = "0";
    }
    if ((type.id() == SqlType::real || type.id() == SqlType::double_precision) && text == "-0") {
        text = "0";
    }
    return "\x01" + text;
}

// Whether row keys `a` sort before `b` under `keys` (SortKey or BoundAggregateOrder: an
// expression with a direction and a NULLS placement).
template <typename Key>
bool keys_before(const Row& a, const Row& b, const std::vector<Key>& keys) {
    for (usize i = 0; i < keys.size(); ++i) {
        const Key& key = keys[i];
        const bool a_null = a[i].is_null();
        const bool b_null = b[i].is_null();
        if (a_null || b_null) {
            if (a_null && b_null) continue;
            // PostgreSQL: NULLs sort as larger than every value unless NULLS FIRST.
            bool nulls_first = key.descending;
            if (key.nulls == kernel::NullsOrder::first) nulls_first = true;
            if (key.nulls == kernel::NullsOrder::last) nulls_first = false;
            return a_null ? nulls_first : !nulls_first;
        }
        const int order = compare_for_sort(a[i], b[i], key.expr.type);
        if (order != 0) return key.descending ? order > 0 : order < 0;
    }
    return false;
}

// What memory accounting (statement_guard.h) assumes an aggregate's accumulator and a map
// node take: the order of magnitude, not the exact size.
constexpr u64 kAccumulatorBytes = 64;
constexpr u64 kMapNodeBytes = 64;

// The rows of one group for an aggregate with its own ORDER BY: kept until the group is
// complete, then fed to the accumulator in that order (stable: ties keep input order).
struct OrderedInput {
    Row keys;
    Row arguments;
};

}  // namespace

namespace {

// Appends one value's part of a grouping key (see grouping_key).
void append_grouping_key(std::string& key, const Value& value, const Type& type) {
    // Each part is prefix-free for its column's type: a tag byte, then a fixed-size payload or
    // a length-prefixed text.
    if (value.is_null()) {
        key += 'N';
        return;
    }
    auto append_u64 = [&key](u64 bits) {
        char bytes[8];
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(bits >> (8 * i));
        key.append(bytes, 8);
    };
    // Fast paths where equality is equality of the stored value (hot in GROUP BY: no text
    // formatting per row).
    switch (value.kind()) {
        case kernel::ValueKind::int16:
        case kernel::ValueKind::int32:
        case kernel::ValueKind::int64:
        case kernel::ValueKind::date:
        case kernel::ValueKind::timestamp:
        case kernel::ValueKind::timestamptz:
            key += 'I';
            append_u64(static_cast<u64>(value.as_int()));
            return;
        case kernel::ValueKind::boolean:
            key += value.as_bool() ? 'T' : 'F';
            return;
        case kernel::ValueKind::float64:
        case kernel::ValueKind::float32: {
            // = on floats: -0 equals 0 and NaN equals NaN (PostgreSQL's float order).
            double d = value.kind() == kernel::ValueKind::float64 ? value.as_float64()
                                                                  : value.as_float32();
            if (d == 0) d = 0;
            if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
            key += 'D';
            append_u64(std::bit_cast<u64>(d));
            return;
        }
        case kernel::ValueKind::text:
            if (type.id() == SqlType::text || type.id() == SqlType::varchar) {
                const std::string& text = value.as_text();
                key += 'S';
                append_u64(text.size());
                key += text;
                return;
            }
            break;
        default:
            break;
    }
    const std::string part = grouping_text(value, type);
    key += 'X';
    append_u64(part.size());
    key += part;
}

}  // namespace

std::string grouping_key(std::span<const Value> values, std::span<const Type> types) {
    std::string key;
    for (usize i = 0; i < values.size(); ++i) append_grouping_key(key, values[i], types[i]);
    return key;
}

// --- Sort --------------------------------------------------------------------------------

Sort::Sort(std::unique_ptr<Operator> input, std::vector<SortKey> keys, std::string description)
    : keys_(std::move(keys)), description_(std::move(description)) {
    children_.push_back(std::move(input));
}

SqlStatus Sort::open(ExecContext& context) {
    KB_SQL_TRY(children_[0]->open(context));
    struct Entry {
        Row keys;
        Row row;
    };
    std::vector<Entry> entries;
    Row row;
    StatementGuard* guard = context.eval.guard;
    u64 key_bytes = 0;
    while (KB_SQL_TRY(children_[0]->next(context, row))) {
        Entry entry;
        for (const SortKey& key : keys_) {
            entry.keys.push_back(KB_SQL_TRY(evaluate(key.expr, row, context.eval)));
        }
        entry.row = std::move(row);
        // The sort buffer counts against the statement's memory limit until the rows are
        // handed on (next()).
        if (guard != nullptr) {
            const u64 keys = row_bytes(entry.keys);
            key_bytes += keys;
            if (guard->hold(keys + row_bytes(entry.row))) return guard->error();
        }
        entries.push_back(std::move(entry));
        row = Row();
    }
    std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
        return keys_before(a.keys, b.keys, keys_);
    });
    rows_.clear();
    rows_.reserve(entries.size());
    for (Entry& entry : entries) rows_.push_back(std::move(entry.row));
    if (guard != nullptr) guard->release(key_bytes);
    next_ = 0;
    return sql_ok();
}

SqlResult<bool> Sort::next(ExecContext& context, Row& row) {
    if (next_ >= rows_.size()) return false;
    if (context.eval.guard != nullptr) context.eval.guard->release(row_bytes(rows_[next_]));
    row = std::move(rows_[next_++]);
    return true;
}

// --- Aggregate ---------------------------------------------------------------------------

Aggregate::Aggregate(std::unique_ptr<Operator> input, std::vector<BoundExpr> group_keys,
                     std::vector<BoundAggregate> aggregates)
    : group_keys_(std::move(group_keys)), aggregates_(std::move(aggregates)) {
    children_.push_back(std::move(input));
}

std::string Aggregate::explain() const {
    return group_keys_.empty() ? "Aggregate" : "HashAggregate";
}

SqlStatus Aggregate::open(ExecContext& context) {
    KB_SQL_TRY(children_[0]->open(context));
    struct Group {
        Row keys;
        std::vector<std::unique_ptr<AggregateAccumulator>> accumulators;
        std::vector<std::map<std::string, bool>> distinct_seen;
        std::vector<std::vector<OrderedInput>> ordered;  // per aggregate with an ORDER BY
    };
    std::vector<Type> key_types;
    for (const BoundExpr& key : group_keys_) key_types.push_back(key.type);
    std::vector<Group> groups;
    std::unordered_map<std::string, usize> index;
    auto new_group = [&](Row keys) {
        Group group;
        group.keys = std::move(keys);
        for (const BoundAggregate& aggregate : aggregates_) {
            group.accumulators.push_back(aggregate.aggregate.make());
        }
        group.distinct_seen.resize(aggregates_.size());
        group.ordered.resize(aggregates_.size());
        groups.push_back(std::move(group));
        return groups.size() - 1;
    };
    if (group_keys_.empty()) new_group({});
    // Per-row work reuses these buffers: the grouping key is built in `key` and looked up
    // without allocating; plain column references are read in place, not copied.
    std::string key;
    Row keys;
    std::vector<Row> arguments(aggregates_.size());
    std::vector<std::vector<Type>> argument_types(aggregates_.size());
    for (usize a = 0; a < aggregates_.size(); ++a) {
        for (const BoundExpr& argument : aggregates_[a].arguments)
            argument_types[a].push_back(argument.type);
    }
    Row row;
    while (KB_SQL_TRY(children_[0]->next(context, row))) {
        usize at = 0;
        if (!group_keys_.empty()) {
            key.clear();
            for (usize k = 0; k < group_keys_.size(); ++k) {
                const BoundExpr& expr = group_keys_[k];
                if (expr.kind == BoundKind::column) {
                    append_grouping_key(key, row[expr.index], key_types[k]);
                } else {
                    append_grouping_key(key, KB_SQL_TRY(evaluate(expr, row, context.eval)),
                                        key_types[k]);
                }
            }
            auto found = index.find(key);
            if (found == index.end()) {
                keys.clear();
                for (const BoundExpr& expr : group_keys_) {
                    keys.push_back(KB_SQL_TRY(evaluate(expr, row, context.eval)));
                }
                // A group holds its key twice (values and grouping key) and its accumulators
                // until the aggregate ends.
                if (StatementGuard* guard = context.eval.guard;
                    guard != nullptr &&
                    guard->hold(row_bytes(keys) + 2 * key.size() + sizeof(Group) +
                                kAccumulatorBytes * aggregates_.size())) {
                    return guard->error();
                }
                at = new_group(std::move(keys));
                keys = Row();
                index.emplace(key, at);
            } else {
                at = found->second;
            }
        }
        Group& group = groups[at];
        for (usize a = 0; a < aggregates_.size(); ++a) {
            const BoundAggregate& aggregate = aggregates_[a];
            std::span<const Value> values;
            if (aggregate.arguments.size() == 1 &&
                aggregate.arguments[0].kind == BoundKind::column && !aggregate.distinct &&
                aggregate.order_by.empty()) {
                values = std::span<const Value>(&row[aggregate.arguments[0].index], 1);
            } else {
                Row& buffer = arguments[a];
                buffer.clear();
                for (const BoundExpr& argument : aggregate.arguments) {
                    buffer.push_back(KB_SQL_TRY(evaluate(argument, row, context.eval)));
                }
                values = buffer;
            }
            if (aggregate.distinct && !group.distinct_seen[a]
                                           .emplace(grouping_key(values, argument_types[a]), true)
                                           .second) {
                continue;
            }
            if (!aggregate.order_by.empty()) {
                OrderedInput input;
                for (const BoundAggregateOrder& order : aggregate.order_by) {
                    input.keys.push_back(KB_SQL_TRY(evaluate(order.expr, row, context.eval)));
                }
                input.arguments.assign(values.begin(), values.end());
                if (StatementGuard* guard = context.eval.guard;
                    guard != nullptr &&
                    guard->hold(row_bytes(input.keys) + row_bytes(input.arguments))) {
                    return guard->error();
                }
                group.ordered[a].push_back(std::move(input));
                continue;
            }
            KB_SQL_TRY(group.accumulators[a]->add(values));
        }
    }
    output_.clear();
    for (Group& group : groups) {
        for (usize a = 0; a < aggregates_.size(); ++a) {
            std::vector<OrderedInput>& inputs = group.ordered[a];
            std::stable_sort(inputs.begin(), inputs.end(),
                             [&](const OrderedInput& x, const OrderedInput& y) {
                                 return keys_before(x.keys, y.keys, aggregates_[a].order_by);
                             });
            for (const OrderedInput& input : inputs) {
                KB_SQL_TRY(group.accumulators[a]->add(input.arguments));
            }
        }
        Row out = std::move(group.keys);
        for (auto& accumulator : group.accumulators)
            out.push_back(KB_SQL_TRY(accumulator->result()));
        output_.push_back(std::move(out));
    }
    next_ = 0;
    return sql_ok();
}

SqlResult<bool> Aggregate::next(ExecContext&, Row& row) {
    if (next_ >= output_.size()) return false;
    row = std::move(output_[next_++]);
    return true;
}

// --- Distinct ----------------------------------------------------------------------------

Distinct::Distinct(std::unique_ptr<Operator> input, std::vector<Type> types)
    : types_(std::move(types)) {
    children_.push_back(std::move(input));
}

SqlStatus Distinct::open(ExecContext& context) {
    seen_.clear();
    return children_[0]->open(context);
}

SqlResult<bool> Distinct::next(ExecContext& context, Row& row) {
    while (KB_SQL_TRY(children_[0]->next(context, row))) {
        auto [at, inserted] = seen_.emplace(grouping_key(row, types_), true);
        if (!inserted) continue;
        // Every distinct row's key is held until the statement ends (a map node each).
        if (StatementGuard* guard = context.eval.guard;
            guard != nullptr && guard->hold(at->first.capacity() + kMapNodeBytes)) {
            return guard->error();
        }
        return true;
    }
    return false;
}

}  // namespace kb::sql
