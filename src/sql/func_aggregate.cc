// Aggregate accumulators and their signatures (see func_aggregate.h).
//
// Signatures from PostgreSQL 15:
//   SELECT p.proname, pg_get_function_arguments(p.oid), p.prorettype::regtype
//   FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
//   WHERE p.proname IN ('sum', 'avg', 'min', 'max', 'count', 'bool_and', 'bool_or', 'every',
//                       'string_agg');
// (min/max have no bool, bytea, uuid or jsonb forms in PostgreSQL 15, so neither do we.)
#include "sql/func_aggregate.h"

#include <cmath>

#include "sql/value_compare.h"
#include "sql/value_float.h"
#include "sql/value_interval.h"
#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

using kernel::Numeric;

kernel::Numeric numeric_of(__int128 value) {
    if (value >= INT64_MIN && value <= INT64_MAX) return Numeric::from_i64(static_cast<i64>(value));
    const bool negative = value < 0;
    unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(-(value + 1)) + 1
                                           : static_cast<unsigned __int128>(value);
    std::string digits;
    while (magnitude > 0) {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
        magnitude /= 10;
    }
    return Numeric::from_parts(negative, std::move(digits), 0).value();
}

class Count final : public AggregateAccumulator {
public:
    SqlStatus add(std::span<const Value> a) override {
        if (a.empty() || !a[0].is_null()) ++count_;
        return sql_ok();
    }
    SqlResult<Value> result() const override { return Value::int64(count_); }

private:
    i64 count_ = 0;
};

// sum(smallint|integer) -> bigint.
class SumInteger final : public AggregateAccumulator {
public:
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        if (__builtin_add_overflow(sum_, a[0].as_int(), &sum_)) {
            return SqlError(sqlstate::kNumericValueOutOfRange, "bigint out of range");
        }
        any_ = true;
        return sql_ok();
    }
    SqlResult<Value> result() const override { return any_ ? Value::int64(sum_) : Value::null(); }

private:
    i64 sum_ = 0;
    bool any_ = false;
};

// sum(bigint) -> numeric and avg over integers: a 128-bit sum and a count.
class IntegerSumAvg final : public AggregateAccumulator {
public:
    explicit IntegerSumAvg(bool average) : average_(average) {}
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        sum_ += a[0].as_int();
        ++count_;
        return sql_ok();
    }
    SqlResult<Value> result() const override {
        if (count_ == 0) return Value::null();
        if (!average_) return Value::numeric(numeric_of(sum_));
        return Value::numeric(KB_SQL_TRY(numeric_div(numeric_of(sum_), Numeric::from_i64(count_))));
    }

private:
    bool average_;
    __int128 sum_ = 0;
    i64 count_ = 0;
};

class NumericSumAvg final : public AggregateAccumulator {
public:
    explicit NumericSumAvg(bool average) : average_(average) {}
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        sum_ = KB_SQL_TRY(numeric_add(sum_, a[0].as_numeric()));
        ++count_;
        return sql_ok();
    }
    SqlResult<Value> result() const override {
        if (count_ == 0) return Value::null();
        if (!average_) return Value::numeric(sum_);
        return Value::numeric(KB_SQL_TRY(numeric_div(sum_, Numeric::from_i64(count_))));
    }

private:
    bool average_;
    Numeric sum_;
    i64 count_ = 0;
};

class SumFloat4 final : public AggregateAccumulator {
public:
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        sum_ = any_ ? KB_SQL_TRY(float4_add(sum_, a[0].as_float32())) : a[0].as_float32();
        any_ = true;
        return sql_ok();
    }
    SqlResult<Value> result() const override { return any_ ? Value::float32(sum_) : Value::null(); }

private:
    float sum_ = 0;
    bool any_ = false;
};

class SumFloat8 final : public AggregateAccumulator {
public:
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        sum_ = any_ ? KB_SQL_TRY(float8_add(sum_, a[0].as_float64())) : a[0].as_float64();
        any_ = true;
        return sql_ok();
    }
    SqlResult<Value> result() const override { return any_ ? Value::float64(sum_) : Value::null(); }

private:
    double sum_ = 0;
    bool any_ = false;
};

// avg(real|double precision): PostgreSQL's float8_accum (N, Sx, Sxx by Youngs-Cramer); the
// Sxx update can overflow before the sum does, and PostgreSQL reports that too.
class AvgFloat final : public AggregateAccumulator {
public:
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        const double x = a[0].kind() == ValueKind::float32 ? static_cast<double>(a[0].as_float32())
                                                           : a[0].as_float64();
        const double previous_n = n_;
        const double previous_sx = sx_;
        n_ += 1.0;
        sx_ += x;
        if (previous_n > 0.0) {
            const double t = x * n_ - sx_;
            sxx_ += t * t / (n_ * previous_n);
            if (std::isinf(sx_) || std::isinf(sxx_)) {
                if (!std::isinf(previous_sx) && !std::isinf(x)) {
                    return SqlError(sqlstate::kNumericValueOutOfRange,
                                    "value out of range: overflow");
                }
                sxx_ = std::nan("");
            }
        } else if (std::isnan(x) || std::isinf(x)) {
            sxx_ = std::nan("");
        }
        return sql_ok();
    }
    SqlResult<Value> result() const override {
        if (n_ == 0.0) return Value::null();
        return Value::float64(sx_ / n_);
    }

private:
    double n_ = 0;
    double sx_ = 0;
    double sxx_ = 0;
};

class IntervalSumAvg final : public AggregateAccumulator {
public:
    explicit IntervalSumAvg(bool average) : average_(average) {}
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        sum_ = KB_SQL_TRY(interval_add(sum_, a[0].as_interval()));
        ++count_;
        return sql_ok();
    }
    SqlResult<Value> result() const override {
        if (count_ == 0) return Value::null();
        if (!average_) return Value::interval(sum_);
        return Value::interval(KB_SQL_TRY(interval_div(sum_, static_cast<double>(count_))));
    }

private:
    bool average_;
    kernel::Interval sum_{};
    i64 count_ = 0;
};

class MinMax final : public AggregateAccumulator {
public:
    MinMax(SqlType type, bool max) : type_(type), max_(max) {}
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        if (best_.is_null()) {
            best_ = a[0];
        } else {
            // As PostgreSQL's int4larger, numeric_smaller, text_larger ...: among equal values
            // the later one wins (1.5 then 1.50 gives 1.50), except char(n), whose
            // bpchar_larger keeps the earlier.
            const int c = compare_values(a[0], best_, type_);
            const bool later_wins = type_ != SqlType::character;
            if (max_ ? (c > 0 || (c == 0 && later_wins)) : (c < 0 || (c == 0 && later_wins))) {
                best_ = a[0];
            }
        }
        return sql_ok();
    }
    SqlResult<Value> result() const override { return best_; }

private:
    SqlType type_;
    bool max_;
    Value best_;
};

class BoolAndOr final : public AggregateAccumulator {
public:
    explicit BoolAndOr(bool is_and) : and_(is_and) {}
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        const bool next = a[0].as_bool();
        state_ = Value::boolean(
            state_.is_null() ? next : (and_ ? state_.as_bool() && next : state_.as_bool() || next));
        return sql_ok();
    }
    SqlResult<Value> result() const override { return state_; }

private:
    bool and_;
    Value state_;  // NULL until the first non-NULL row
};

class StringAgg final : public AggregateAccumulator {
public:
    explicit StringAgg(bool bytea) : bytea_(bytea) {}
    SqlStatus add(std::span<const Value> a) override {
        if (a[0].is_null()) return sql_ok();
        auto bytes_of = [&](const Value& v) -> std::string_view {
            return bytea_ ? as_chars(v.as_bytea()) : std::string_view(v.as_text());
        };
        // The delimiter goes before every value but the first; a NULL delimiter is empty.
        if (any_ && !a[1].is_null()) buffer_ += bytes_of(a[1]);
        buffer_ += bytes_of(a[0]);
        any_ = true;
        if (buffer_.size() >= (usize{1} << 30)) {
            return SqlError(sqlstate::kProgramLimitExceeded, "out of memory")
                .with_detail("Cannot enlarge string buffer beyond 1 GB.");
        }
        return sql_ok();
    }
    SqlResult<Value> result() const override {
        if (!any_) return Value::null();
        if (bytea_) return Value::bytea(Bytes(buffer_.begin(), buffer_.end()));
        return Value::text(buffer_);
    }

private:
    bool bytea_;
    bool any_ = false;
    std::string buffer_;
};

using Maker = std::unique_ptr<AggregateAccumulator> (*)(SqlType);

AggregateDef aggregate(std::string_view name, std::initializer_list<ParamType> params,
                       SqlType result, Maker make) {
    AggregateDef def;
    def.name = name;
    usize i = 0;
    for (const ParamType& p : params) def.params[i++] = p;
    def.param_count = static_cast<u8>(params.size());
    def.result = result;
    def.make = make;
    return def;
}

std::vector<AggregateDef> build() {
    constexpr SqlType i2 = SqlType::smallint;
    constexpr SqlType i4 = SqlType::integer;
    constexpr SqlType i8 = SqlType::bigint;
    constexpr SqlType f4 = SqlType::real;
    constexpr SqlType f8 = SqlType::double_precision;
    constexpr SqlType num = SqlType::numeric;
    constexpr SqlType iv = SqlType::interval;
    constexpr SqlType boolean = SqlType::boolean;
    std::vector<AggregateDef> out;
    auto count = [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
        return std::make_unique<Count>();
    };
    out.push_back(aggregate("count", {}, i8, count));
    out.push_back(aggregate("count", {ParamType{.any = true}}, i8, count));

    auto sum_integer = [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
        return std::make_unique<SumInteger>();
    };
    out.push_back(aggregate("sum", {{i2}}, i8, sum_integer));
    out.push_back(aggregate("sum", {{i4}}, i8, sum_integer));
    out.push_back(
        aggregate("sum", {{i8}}, num, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<IntegerSumAvg>(false);
        }));
    out.push_back(
        aggregate("sum", {{num}}, num, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<NumericSumAvg>(false);
        }));
    out.push_back(
        aggregate("sum", {{f4}}, f4, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<SumFloat4>();
        }));
    out.push_back(
        aggregate("sum", {{f8}}, f8, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<SumFloat8>();
        }));
    out.push_back(
        aggregate("sum", {{iv}}, iv, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<IntervalSumAvg>(false);
        }));

    auto avg_integer = [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
        return std::make_unique<IntegerSumAvg>(true);
    };
    out.push_back(aggregate("avg", {{i2}}, num, avg_integer));
    out.push_back(aggregate("avg", {{i4}}, num, avg_integer));
    out.push_back(aggregate("avg", {{i8}}, num, avg_integer));
    out.push_back(
        aggregate("avg", {{num}}, num, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<NumericSumAvg>(true);
        }));
    auto avg_float = [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
        return std::make_unique<AvgFloat>();
    };
    out.push_back(aggregate("avg", {{f4}}, f8, avg_float));
    out.push_back(aggregate("avg", {{f8}}, f8, avg_float));
    out.push_back(
        aggregate("avg", {{iv}}, iv, [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
            return std::make_unique<IntervalSumAvg>(true);
        }));

    for (SqlType type : {i2, i4, i8, f4, f8, num, SqlType::text, SqlType::character, SqlType::date,
                         SqlType::timestamp, SqlType::timestamptz, iv}) {
        out.push_back(aggregate("min", {{type}}, type,
                                [](SqlType t) -> std::unique_ptr<AggregateAccumulator> {
                                    return std::make_unique<MinMax>(t, false);
                                }));
        out.push_back(aggregate("max", {{type}}, type,
                                [](SqlType t) -> std::unique_ptr<AggregateAccumulator> {
                                    return std::make_unique<MinMax>(t, true);
                                }));
    }

    auto bool_and = [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
        return std::make_unique<BoolAndOr>(true);
    };
    out.push_back(aggregate("bool_and", {{boolean}}, boolean, bool_and));
    out.push_back(aggregate("every", {{boolean}}, boolean, bool_and));
    out.push_back(aggregate("bool_or", {{boolean}}, boolean,
                            [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
                                return std::make_unique<BoolAndOr>(false);
                            }));
    out.push_back(aggregate("string_agg", {{SqlType::text}, {SqlType::text}}, SqlType::text,
                            [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
                                return std::make_unique<StringAgg>(false);
                            }));
    out.push_back(aggregate("string_agg", {{SqlType::bytea}, {SqlType::bytea}}, SqlType::bytea,
                            [](SqlType) -> std::unique_ptr<AggregateAccumulator> {
                                return std::make_unique<StringAgg>(true);
                            }));
    return out;
}

const std::vector<AggregateDef>& all_aggregates() {
    static const std::vector<AggregateDef> definitions = build();
    return definitions;
}

}  // namespace

std::unique_ptr<AggregateAccumulator> AggregateFunction::make_accumulator() const {
    KB_ASSERT(def != nullptr);
    const SqlType argument = argument_types.empty() ? SqlType::bigint : argument_types[0].id();
    return def->make(argument);
}

bool is_aggregate_function(std::string_view name) {
    for (const AggregateDef& def : all_aggregates()) {
        if (def.name == name) return true;
    }
    return false;
}

SqlResult<AggregateFunction> resolve_aggregate_function(std::string_view name,
                                                        std::span<const Type> arguments) {
    std::vector<const AggregateDef*> defs;
    std::vector<Signature> signatures;
    for (const AggregateDef& def : all_aggregates()) {
        if (def.name != name) continue;
        defs.push_back(&def);
        signatures.push_back(Signature{std::span(def.params, def.param_count), false});
    }
    const std::optional<int> choice = select_candidate(signatures, arguments);
    const std::string signature = std::string(name) + "(" + argument_list(arguments) + ")";
    if (!choice) {
        return SqlError(sqlstate::kUndefinedFunction, "function " + signature + " does not exist")
            .with_hint(
                "No function matches the given name and argument types. You might need to add "
                "explicit type casts.");
    }
    if (*choice < 0) {
        return SqlError("42725", "function " + signature + " is not unique")
            .with_hint(
                "Could not choose a best candidate function. You might need to add explicit "
                "type casts.");
    }
    const AggregateDef* def = defs[static_cast<usize>(*choice)];
    AggregateFunction out;
    out.def = def;
    for (usize i = 0; i < arguments.size(); ++i) {
        const ParamType& p = def->params[i];
        out.argument_types.push_back(
            p.any
                ? (arguments[i].unknown ? Type::of(SqlType::text) : arguments[i].without_modifier())
                : Type::of(p.type));
    }
    out.result_type = Type::of(def->result);
    return out;
}

}  // namespace kb::sql
