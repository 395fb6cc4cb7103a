// Sorting, grouping and DISTINCT (see exec_query.h).
#include "sql/exec_query.h"

#include <algorithm>
#include <unordered_map>

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

}  // namespace

std::string grouping_key(std::span<const Value> values, std::span<const Type> types) {
    std::string key;
    for (usize i = 0; i < values.size(); ++i) {
        const std::string part = grouping_text(values[i], types[i]);
        key += std::to_string(part.size());
        key += ':';
        key += part;
    }
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
    while (KB_SQL_TRY(children_[0]->next(context, row))) {
        Entry entry;
        for (const SortKey& key : keys_) {
            entry.keys.push_back(KB_SQL_TRY(evaluate(key.expr, row, context.eval)));
        }
        entry.row = std::move(row);
        entries.push_back(std::move(entry));
        row = Row();
    }
    std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
        for (usize i = 0; i < keys_.size(); ++i) {
            const SortKey& key = keys_[i];
            const bool a_null = a.keys[i].is_null();
            const bool b_null = b.keys[i].is_null();
            if (a_null || b_null) {
                if (a_null && b_null) continue;
                // PostgreSQL: NULLs sort as larger than every value unless NULLS FIRST.
                bool nulls_first = key.descending;
                if (key.nulls == kernel::NullsOrder::first) nulls_first = true;
                if (key.nulls == kernel::NullsOrder::last) nulls_first = false;
                return a_null ? nulls_first : !nulls_first;
            }
            const int order = compare_for_sort(a.keys[i], b.keys[i], key.expr.type);
            if (order != 0) return key.descending ? order > 0 : order < 0;
        }
        return false;
    });
    rows_.clear();
    rows_.reserve(entries.size());
    for (Entry& entry : entries) rows_.push_back(std::move(entry.row));
    next_ = 0;
    return sql_ok();
}

SqlResult<bool> Sort::next(ExecContext&, Row& row) {
    if (next_ >= rows_.size()) return false;
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
        groups.push_back(std::move(group));
        return groups.size() - 1;
    };
    if (group_keys_.empty()) new_group({});
    Row row;
    while (KB_SQL_TRY(children_[0]->next(context, row))) {
        usize at = 0;
        if (!group_keys_.empty()) {
            Row keys;
            for (const BoundExpr& key : group_keys_) {
                keys.push_back(KB_SQL_TRY(evaluate(key, row, context.eval)));
            }
            std::string key = grouping_key(keys, key_types);
            auto found = index.find(key);
            if (found == index.end()) {
                at = new_group(std::move(keys));
                index.emplace(std::move(key), at);
            } else {
                at = found->second;
            }
        }
        Group& group = groups[at];
        for (usize a = 0; a < aggregates_.size(); ++a) {
            Row arguments;
            for (const BoundExpr& argument : aggregates_[a].arguments) {
                arguments.push_back(KB_SQL_TRY(evaluate(argument, row, context.eval)));
            }
            if (aggregates_[a].distinct) {
                std::vector<Type> types;
                for (const BoundExpr& argument : aggregates_[a].arguments)
                    types.push_back(argument.type);
                if (!group.distinct_seen[a].emplace(grouping_key(arguments, types), true).second) {
                    continue;
                }
            }
            KB_SQL_TRY(group.accumulators[a]->add(arguments));
        }
    }
    output_.clear();
    for (Group& group : groups) {
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
        if (seen_.emplace(grouping_key(row, types_), true).second) return true;
    }
    return false;
}

}  // namespace kb::sql
