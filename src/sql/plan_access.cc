// Access-path choice and key ranges (see plan_access.h).
#include "sql/plan_access.h"

#include <algorithm>
#include <tuple>

#include "kernel/row_codec.h"

namespace kb::sql {

namespace {

bool is_integer(SqlType type) {
    return type == SqlType::smallint || type == SqlType::integer || type == SqlType::bigint;
}
bool is_float(SqlType type) { return type == SqlType::real || type == SqlType::double_precision; }
bool is_text(SqlType type) { return type == SqlType::text || type == SqlType::varchar; }

// Whether `expr` has one value for the whole statement: no column, nothing volatile.
bool row_independent(const BoundExpr& expr) {
    switch (expr.kind) {
        case BoundKind::constant:
        case BoundKind::parameter:
            return true;
        case BoundKind::column:
            return false;
        case BoundKind::call:
            if (expr.name == "gen_random_uuid") return false;
            break;
        default:
            break;
    }
    for (const BoundExpr& arg : expr.args) {
        if (!row_independent(arg)) return false;
    }
    return true;
}

void flatten_and(BoundExpr expr, std::vector<BoundExpr>& out) {
    if (expr.kind == BoundKind::and_) {
        for (BoundExpr& arg : expr.args) flatten_and(std::move(arg), out);
        return;
    }
    out.push_back(std::move(expr));
}

enum class Op : u8 { eq, lt, le, gt, ge, is_null, in };

std::optional<Op> op_of(std::string_view name) {
    if (name == "=") return Op::eq;
    if (name == "<") return Op::lt;
    if (name == "<=") return Op::le;
    if (name == ">") return Op::gt;
    if (name == ">=") return Op::ge;
    return std::nullopt;
}

Op flipped(Op op) {
    switch (op) {
        case Op::lt:
            return Op::gt;
        case Op::le:
            return Op::ge;
        case Op::gt:
            return Op::lt;
        case Op::ge:
            return Op::le;
        default:
            return op;
    }
}

// A conjunct an access path can apply: `column op value`.
struct Usable {
    usize conjunct = 0;
    usize column = 0;  // position in the table
    Op op = Op::eq;
    const BoundExpr* value = nullptr;        // null for IS NULL and IN
    std::vector<const BoundExpr*> values{};  // IN
};

bool key_column_type(SqlType type) {
    return kernel::key_type_of(type).has_value() && type != SqlType::character;
}

std::optional<Usable> usable(const BoundExpr& conjunct, usize index,
                             const kernel::TableSchema& table) {
    if (conjunct.kind == BoundKind::is_null && conjunct.args.size() == 1 &&
        conjunct.args[0].kind == BoundKind::column &&
        key_column_type(table.columns[conjunct.args[0].index].type.type)) {
        return Usable{index, conjunct.args[0].index, Op::is_null, nullptr, {}};
    }
    if (conjunct.kind == BoundKind::or_ && !conjunct.args.empty()) {
        // x IN (a, b, ...) binds as x = a OR x = b ...: several point lookups.
        Usable in{index, 0, Op::in, nullptr, {}};
        for (const BoundExpr& arg : conjunct.args) {
            auto equal = usable(arg, index, table);
            if (!equal || equal->op != Op::eq ||
                (!in.values.empty() && equal->column != in.column)) {
                return std::nullopt;
            }
            in.column = equal->column;
            in.values.push_back(equal->value);
        }
        return in;
    }
    if (conjunct.kind != BoundKind::call || conjunct.args.size() != 2) return std::nullopt;
    auto op = op_of(conjunct.name);
    if (!op) return std::nullopt;
    const BoundExpr* column = &conjunct.args[0];
    const BoundExpr* value = &conjunct.args[1];
    if (column->kind != BoundKind::column) {
        std::swap(column, value);
        op = flipped(*op);
    }
    if (column->kind != BoundKind::column || !row_independent(*value)) return std::nullopt;
    const SqlType type = table.columns[column->index].type.type;
    if (!key_column_type(type) || !comparable_in_key_order(type, value->type)) return std::nullopt;
    return Usable{index, column->index, *op, value, {}};
}

struct Candidate {
    AccessPath path;
    std::vector<usize> positions;  // of the key columns in the table
    bool primary = false;
    bool unique = false;
};

// Fills the candidate's bounds from the usable conjuncts; returns the conjuncts it used.
std::vector<usize> apply_bounds(Candidate& candidate, std::span<const Usable> usables,
                                std::span<const BoundExpr> conjuncts,
                                std::span<const std::string> column_names) {
    std::vector<usize> used;
    AccessPath& path = candidate.path;
    for (usize j = 0; j < candidate.positions.size(); ++j) {
        const usize position = candidate.positions[j];
        const Usable* equal = nullptr;
        for (const Usable& u : usables) {
            if (u.column != position) continue;
            if (u.op == Op::eq || (u.op == Op::is_null && !candidate.primary)) {
                equal = &u;
                break;
            }
        }
        if (equal != nullptr) {
            path.equal.push_back(equal->value ? std::optional<BoundExpr>(*equal->value)
                                              : std::nullopt);
            used.push_back(equal->conjunct);
            continue;
        }
        for (const Usable& u : usables) {
            if (u.column == position && u.op == Op::in) {
                for (const BoundExpr* value : u.values) path.in_values.push_back(*value);
                used.push_back(u.conjunct);
                break;
            }
        }
        if (!path.in_values.empty()) break;
        for (const Usable& u : usables) {
            if (u.column != position) continue;
            if ((u.op == Op::gt || u.op == Op::ge) && !path.lower) {
                path.lower = KeyBound{*u.value, u.op == Op::ge};
                used.push_back(u.conjunct);
            } else if ((u.op == Op::lt || u.op == Op::le) && !path.upper) {
                path.upper = KeyBound{*u.value, u.op == Op::le};
                used.push_back(u.conjunct);
            }
        }
        break;
    }
    for (usize conjunct : used)
        path.conditions.push_back(describe(conjuncts[conjunct], column_names));
    return used;
}

// Whether the candidate's key order (after its equality-fixed columns) is `order`, forward or
// backward: the direction, or nullopt.
std::optional<bool> serves_order(const Candidate& candidate, const kernel::TableSchema& table,
                                 std::span<const SortKey> order) {
    if (order.empty()) return false;
    const usize fixed = candidate.path.equal.size();
    usize next = fixed;
    std::optional<bool> backward;
    for (const SortKey& key : order) {
        if (key.expr.kind != BoundKind::column) return std::nullopt;
        const usize position = key.expr.index;
        if (std::find(candidate.positions.begin(),
                      candidate.positions.begin() + static_cast<std::ptrdiff_t>(fixed), position) !=
            candidate.positions.begin() + static_cast<std::ptrdiff_t>(fixed)) {
            continue;  // a constant in every row read
        }
        if (next >= candidate.positions.size() || candidate.positions[next] != position ||
            table.columns[position].type.type == SqlType::character) {
            return std::nullopt;
        }
        const kernel::KeyColumn& column = candidate.path.columns[next];
        const bool nulls_first = key.nulls == kernel::NullsOrder::standard
                                     ? key.descending
                                     : key.nulls == kernel::NullsOrder::first;
        const bool reversed = key.descending != column.descending;
        if (reversed != (nulls_first != column.nulls_first())) return std::nullopt;
        if (backward && *backward != reversed) return std::nullopt;
        backward = reversed;
        ++next;
    }
    return backward.value_or(false);
}

// Ranks candidates: full equality on a unique key, leading equalities, range ends, then the
// primary key and unique indexes.
auto rank(const Candidate& candidate) {
    const AccessPath& path = candidate.path;
    bool all_values = true;
    for (const auto& equal : path.equal) all_values = all_values && equal.has_value();
    const usize points = path.equal.size() + (path.in_values.empty() ? 0 : 1);
    const bool unique_hit = (candidate.primary || candidate.unique) && all_values &&
                            points == candidate.positions.size();
    return std::make_tuple(unique_hit, points, path.in_values.empty(),
                           (path.lower ? 1 : 0) + (path.upper ? 1 : 0), candidate.primary,
                           candidate.unique);
}

}  // namespace

bool comparable_in_key_order(SqlType column_type, const Type& value_type) {
    if (value_type.unknown) return false;
    const SqlType value = value_type.id();
    if (is_integer(column_type)) return is_integer(value);
    if (is_float(column_type)) return is_float(value);
    if (is_text(column_type)) return is_text(value);
    if (column_type == SqlType::character) return false;
    return kernel::key_type_of(column_type).has_value() && value == column_type;
}

SqlResult<std::pair<KeyFit, kernel::KeyValue>> key_value_for(SqlType column_type,
                                                             const Value& value) {
    using Fit = std::pair<KeyFit, kernel::KeyValue>;
    const ValueKind kind = value.kind();
    auto misfit = [&] {
        return SqlError(sqlstate::kInternalError,
                        "a " + std::string(kernel::value_kind_name(kind)) +
                            " value bounds a key column of type " +
                            std::string(kernel::sql_type_name(column_type)));
    };
    if (is_integer(column_type)) {
        if (kind != ValueKind::int16 && kind != ValueKind::int32 && kind != ValueKind::int64)
            return misfit();
        const i64 v = value.as_int();
        const i64 max = column_type == SqlType::smallint  ? INT16_MAX
                        : column_type == SqlType::integer ? INT32_MAX
                                                          : INT64_MAX;
        const i64 min = -max - 1;
        if (v > max) return Fit{KeyFit::above_all, kernel::KeyNull{}};
        if (v < min) return Fit{KeyFit::below_all, kernel::KeyNull{}};
        return Fit{KeyFit::exact, v};
    }
    if (is_float(column_type)) {
        // real keys are widened to float64, as the cross-type float operators compare.
        if (kind == ValueKind::float32) {
            return Fit{KeyFit::exact, static_cast<double>(value.as_float32())};
        }
        if (kind == ValueKind::float64) return Fit{KeyFit::exact, value.as_float64()};
        return misfit();
    }
    if (kind != kernel::value_kind_of(column_type)) return misfit();
    return Fit{KeyFit::exact, kernel::key_value_of(value)};
}

AccessChoice choose_access(const kernel::TableSchema& table,
                           std::span<const kernel::IndexSchema* const> indexes,
                           std::optional<BoundExpr> where, std::span<const SortKey> order,
                           bool limited, std::span<const std::string> column_names) {
    std::vector<BoundExpr> conjuncts;
    const int position = where ? where->position : 0;
    if (where) flatten_and(std::move(*where), conjuncts);
    std::vector<Usable> usables;
    for (usize i = 0; i < conjuncts.size(); ++i) {
        if (auto u = usable(conjuncts[i], i, table)) usables.push_back(*u);
    }

    auto position_of = [&](kernel::ColumnId id) {
        for (usize i = 0; i < table.columns.size(); ++i) {
            if (table.columns[i].id == id) return i;
        }
        KB_ASSERT_MSG(false, "a key names a column the table does not have");
        return usize{0};
    };
    std::vector<Candidate> candidates;
    {
        Candidate primary;
        primary.primary = true;
        primary.path.name = table.primary_key_name();
        primary.path.columns = kernel::primary_key_columns(table);
        for (kernel::ColumnId id : table.primary_key) {
            primary.positions.push_back(position_of(id));
            primary.path.column_types.push_back(table.columns[primary.positions.back()].type.type);
        }
        candidates.push_back(std::move(primary));
    }
    for (const kernel::IndexSchema* index : indexes) {
        Candidate candidate;
        candidate.unique = index->unique;
        candidate.path.index = *index;
        candidate.path.name = index->name;
        candidate.path.columns = kernel::index_key_columns(*index, table);
        for (const kernel::IndexColumn& column : index->columns) {
            candidate.positions.push_back(position_of(column.column));
            candidate.path.column_types.push_back(
                table.columns[candidate.positions.back()].type.type);
        }
        candidates.push_back(std::move(candidate));
    }

    std::vector<std::vector<usize>> used(candidates.size());
    usize best = 0;
    for (usize i = 0; i < candidates.size(); ++i) {
        used[i] = apply_bounds(candidates[i], usables, conjuncts, column_names);
        if (rank(candidates[i]) > rank(candidates[best])) best = i;
    }
    std::optional<bool> backward;
    if (candidates[best].path.bounded()) {
        backward = serves_order(candidates[best], table, order);
    } else {
        // Nothing bounds a scan: read the table in key order, or an index that gives ORDER BY
        // its order when a LIMIT makes reading only the first rows worth a lookup per row.
        for (usize i = 0; i < candidates.size(); ++i) {
            if (order.empty() || (!candidates[i].primary && !limited)) continue;
            if (auto direction = serves_order(candidates[i], table, order)) {
                best = i;
                backward = direction;
                break;
            }
        }
    }

    AccessChoice choice;
    choice.path = std::move(candidates[best].path);
    choice.ordered = backward.has_value() && !order.empty();
    choice.path.backward = backward.value_or(false);
    choice.path.serves_order = choice.ordered;
    std::vector<BoundExpr> residual;
    for (usize i = 0; i < conjuncts.size(); ++i) {
        if (std::find(used[best].begin(), used[best].end(), i) == used[best].end())
            residual.push_back(std::move(conjuncts[i]));
    }
    if (residual.size() == 1) {
        choice.residual = std::move(residual[0]);
    } else if (!residual.empty()) {
        BoundExpr all;
        all.kind = BoundKind::and_;
        all.type = Type::of(SqlType::boolean);
        all.position = position;
        all.args = std::move(residual);
        choice.residual = std::move(all);
    }
    return choice;
}

SqlResult<std::vector<KeyRange>> key_ranges(const AccessPath& path, const EvalContext& eval) {
    using Ranges = std::vector<KeyRange>;
    Bytes prefix;
    for (usize j = 0; j < path.equal.size(); ++j) {
        if (!path.equal[j]) {
            kernel::encode_key_column(path.columns[j], kernel::KeyNull{}, &prefix);
            continue;
        }
        const Value value = KB_SQL_TRY(evaluate(*path.equal[j], {}, eval));
        if (value.is_null()) return Ranges();  // = NULL is never true
        auto [fit, key] = KB_SQL_TRY(key_value_for(path.column_types[j], value));
        if (fit != KeyFit::exact) return Ranges();  // beyond every value of the column
        kernel::encode_key_column(path.columns[j], key, &prefix);
    }
    const usize j = path.equal.size();
    if (!path.in_values.empty()) {
        // One range per distinct value, in key order (reversed when reading backward).
        Ranges ranges;
        for (const BoundExpr& expr : path.in_values) {
            const Value value = KB_SQL_TRY(evaluate(expr, {}, eval));
            if (value.is_null()) continue;
            auto [fit, key] = KB_SQL_TRY(key_value_for(path.column_types[j], value));
            if (fit != KeyFit::exact) continue;
            Bytes start = prefix;
            kernel::encode_key_column(path.columns[j], key, &start);
            Bytes end = kernel::prefix_end(start);
            ranges.push_back({std::move(start), std::move(end)});
        }
        std::sort(ranges.begin(), ranges.end());
        ranges.erase(std::unique(ranges.begin(), ranges.end()), ranges.end());
        if (path.backward) std::reverse(ranges.begin(), ranges.end());
        return ranges;
    }
    if (!path.lower && !path.upper) {
        Bytes end = prefix.empty() ? Bytes() : kernel::prefix_end(prefix);
        return Ranges{{std::move(prefix), std::move(end)}};
    }

    // One end of the range column in SQL order: its encoding after the prefix, none (no
    // bound), or nothing can match.
    const kernel::KeyColumn& column = path.columns[j];
    struct End {
        bool empty = false;
        std::optional<Bytes> key;
        bool inclusive = true;
    };
    auto end_of = [&](const std::optional<KeyBound>& bound, bool is_lower) -> SqlResult<End> {
        End end;
        if (!bound) return end;
        const Value value = KB_SQL_TRY(evaluate(bound->value, {}, eval));
        if (value.is_null()) {
            end.empty = true;
            return end;
        }
        auto [fit, key] = KB_SQL_TRY(key_value_for(path.column_types[j], value));
        if (fit == KeyFit::below_all) {
            end.empty = !is_lower;  // x < below-all: nothing; x > below-all: no bound
            return end;
        }
        if (fit == KeyFit::above_all) {
            end.empty = is_lower;
            return end;
        }
        Bytes encoded = prefix;
        kernel::encode_key_column(column, key, &encoded);
        end.key = std::move(encoded);
        end.inclusive = bound->inclusive;
        return end;
    };
    const End lower = KB_SQL_TRY(end_of(path.lower, true));
    const End upper = KB_SQL_TRY(end_of(path.upper, false));
    if (lower.empty || upper.empty) return Ranges();

    // In key order a descending column's SQL upper end comes first. Every value of the column
    // after the prefix starts with the value marker (0x01, inverted 0xFE when descending):
    // [prefix marker, prefix marker+1) holds them all and no NULL.
    const End& first = column.descending ? upper : lower;
    const End& last = column.descending ? lower : upper;
    const u8 marker = column.descending ? 0xFE : 0x01;
    Bytes start, stop;
    if (first.key) {
        start = first.inclusive ? *first.key : kernel::prefix_end(*first.key);
        if (start.empty()) return Ranges();  // nothing sorts after it
    } else {
        start = prefix;
        start.push_back(marker);
    }
    if (last.key) {
        stop = last.inclusive ? kernel::prefix_end(*last.key) : *last.key;
    } else {
        stop = prefix;
        stop.push_back(static_cast<u8>(marker + 1));
    }
    if (!stop.empty() &&
        !std::lexicographical_compare(start.begin(), start.end(), stop.begin(), stop.end())) {
        return Ranges();
    }
    return Ranges{{std::move(start), std::move(stop)}};
}

}  // namespace kb::sql
