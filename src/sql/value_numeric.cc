// Exact decimal arithmetic (see value_numeric.h).
//
// Values are worked on as vectors of decimal digits (most significant first) with a scale:
// simple schoolbook algorithms, linear in the digits for + and -, quadratic for * and /.
// Typical SQL numerics have tens of digits, where this costs well under a microsecond.
#include "sql/value_numeric.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

namespace kb::sql {
namespace {

// The largest number of digits PostgreSQL's numeric holds before the decimal point.
constexpr usize kIntegerDigitsMax = 131072;
// NUMERIC_MAX_DISPLAY_SCALE / NUMERIC_MIN_SIG_DIGITS / NUMERIC_MAX_RESULT_SCALE.
constexpr int kDisplayScaleMax = 1000;
constexpr int kMinSignificantDigits = 16;
constexpr i64 kResultScaleMax = 2000;

struct Dec {
    bool negative = false;
    std::vector<u8> digits;  // 0..9, most significant first; may have leading zeros
    i64 scale = 0;           // digits after the point

    bool is_zero() const {
        return std::all_of(digits.begin(), digits.end(), [](u8 d) { return d == 0; });
    }
};

Dec to_dec(const Numeric& n) {
    Dec d;
    d.negative = n.negative();
    d.digits.reserve(n.digits().size());
    for (char c : n.digits()) d.digits.push_back(static_cast<u8>(c - '0'));
    d.scale = n.scale();
    return d;
}

SqlError overflow_error() {
    return SqlError(sqlstate::kNumericValueOutOfRange, "value overflows numeric format");
}

SqlError division_by_zero() { return SqlError(sqlstate::kDivisionByZero, "division by zero"); }

SqlResult<Numeric> from_dec(Dec d) {
    usize first = 0;
    while (first < d.digits.size() && d.digits[first] == 0) ++first;
    std::string text;
    text.reserve(d.digits.size() - first);
    for (usize i = first; i < d.digits.size(); ++i)
        text.push_back(static_cast<char>('0' + d.digits[i]));
    if (d.scale > Numeric::kScaleMax) return overflow_error();
    if (text.size() > static_cast<usize>(d.scale) &&
        text.size() - static_cast<usize>(d.scale) > kIntegerDigitsMax) {
        return overflow_error();
    }
    const bool negative = d.negative && !text.empty();  // before `text` is moved from
    auto number = Numeric::from_parts(negative, std::move(text), static_cast<u16>(d.scale));
    if (!number) return overflow_error();
    return std::move(number).value();
}

// Appends zeros so `d` has `scale` digits after the point (scale >= d.scale).
void extend_scale(Dec& d, i64 scale) {
    if (scale > d.scale) {
        d.digits.insert(d.digits.end(), static_cast<usize>(scale - d.scale), 0);
        d.scale = scale;
    }
}

// Magnitude comparison of digit vectors of equal scale (leading zeros allowed).
int compare_magnitude(const std::vector<u8>& a, const std::vector<u8>& b) {
    usize ia = 0;
    usize ib = 0;
    while (ia < a.size() && a[ia] == 0) ++ia;
    while (ib < b.size() && b[ib] == 0) ++ib;
    const usize la = a.size() - ia;
    const usize lb = b.size() - ib;
    if (la != lb) return la < lb ? -1 : 1;
    for (; ia < a.size(); ++ia, ++ib) {
        if (a[ia] != b[ib]) return a[ia] < b[ib] ? -1 : 1;
    }
    return 0;
}

std::vector<u8> add_magnitude(const std::vector<u8>& a, const std::vector<u8>& b) {
    std::vector<u8> out(std::max(a.size(), b.size()) + 1, 0);
    int carry = 0;
    usize ia = a.size();
    usize ib = b.size();
    for (usize io = out.size(); io-- > 0;) {
        int sum = carry;
        if (ia > 0) sum += a[--ia];
        if (ib > 0) sum += b[--ib];
        out[io] = static_cast<u8>(sum % 10);
        carry = sum / 10;
    }
    return out;
}

// a - b with |a| >= |b|.
std::vector<u8> sub_magnitude(const std::vector<u8>& a, const std::vector<u8>& b) {
    std::vector<u8> out(a.size(), 0);
    int borrow = 0;
    usize ib = b.size();
    for (usize ia = a.size(); ia-- > 0;) {
        int diff = a[ia] - borrow - (ib > 0 ? b[--ib] : 0);
        borrow = diff < 0 ? 1 : 0;
        out[ia] = static_cast<u8>(diff + borrow * 10);
    }
    return out;
}

Dec add_dec(Dec a, Dec b) {
    const i64 scale = std::max(a.scale, b.scale);
    extend_scale(a, scale);
    extend_scale(b, scale);
    Dec out;
    out.scale = scale;
    if (a.negative == b.negative) {
        out.digits = add_magnitude(a.digits, b.digits);
        out.negative = a.negative;
    } else if (compare_magnitude(a.digits, b.digits) >= 0) {
        out.digits = sub_magnitude(a.digits, b.digits);
        out.negative = a.negative;
    } else {
        out.digits = sub_magnitude(b.digits, a.digits);
        out.negative = b.negative;
    }
    return out;
}

std::vector<u8> mul_magnitude(const std::vector<u8>& a, const std::vector<u8>& b) {
    std::vector<u32> acc(a.size() + b.size(), 0);
    for (usize i = a.size(); i-- > 0;) {
        if (a[i] == 0) continue;
        for (usize j = b.size(); j-- > 0;) acc[i + j + 1] += u32{a[i]} * b[j];
        // Keep the accumulators small enough never to overflow: carry every row.
        u32 carry = 0;
        for (usize k = acc.size(); k-- > 0;) {
            const u32 v = acc[k] + carry;
            acc[k] = v % 10;
            carry = v / 10;
        }
    }
    std::vector<u8> out(acc.size());
    for (usize k = 0; k < acc.size(); ++k) out[k] = static_cast<u8>(acc[k]);
    return out;
}

// floor(n / d) of non-negative integers given as digit vectors; d is not zero.
std::vector<u8> div_magnitude(const std::vector<u8>& n, const std::vector<u8>& d) {
    std::vector<u8> quotient(n.size(), 0);
    std::vector<u8> remainder;
    for (usize i = 0; i < n.size(); ++i) {
        remainder.push_back(n[i]);
        u8 q = 0;
        while (compare_magnitude(remainder, d) >= 0) {
            remainder = sub_magnitude(remainder, d);
            ++q;
        }
        // Drop leading zeros so the remainder stays short.
        usize lead = 0;
        while (lead < remainder.size() && remainder[lead] == 0) ++lead;
        remainder.erase(remainder.begin(), remainder.begin() + static_cast<std::ptrdiff_t>(lead));
        quotient[i] = q;
    }
    return quotient;
}

// |a| / |b| truncated at `scale` digits after the point (b not zero); sign from both.
Dec divide_truncated(const Dec& a, const Dec& b, i64 scale) {
    // a / b = (A / B) * 10^(b.scale - a.scale); scaled by 10^scale:
    // floor(A * 10^(b.scale - a.scale + scale) / B).
    std::vector<u8> numerator = a.digits;
    std::vector<u8> denominator = b.digits;
    const i64 shift = b.scale - a.scale + scale;
    if (shift >= 0) {
        numerator.insert(numerator.end(), static_cast<usize>(shift), 0);
    } else {
        denominator.insert(denominator.end(), static_cast<usize>(-shift), 0);
    }
    Dec out;
    out.scale = scale;
    out.negative = a.negative != b.negative;
    // Both within 38 digits (what avg() and most divisions need): one 128-bit division.
    auto significant = [](const std::vector<u8>& digits) {
        usize lead = 0;
        while (lead < digits.size() && digits[lead] == 0) ++lead;
        return digits.size() - lead;
    };
    if (significant(numerator) <= 38 && significant(denominator) <= 38) {
        auto value_of = [](const std::vector<u8>& digits) {
            unsigned __int128 v = 0;
            for (u8 d : digits) v = v * 10 + d;
            return v;
        };
        unsigned __int128 quotient = value_of(numerator) / value_of(denominator);
        out.digits.assign(numerator.size(), 0);
        for (usize i = out.digits.size(); i-- > 0 && quotient > 0;) {
            out.digits[i] = static_cast<u8>(quotient % 10);
            quotient /= 10;
        }
        return out;
    }
    out.digits = div_magnitude(numerator, denominator);
    return out;
}

// Adds one unit in the last place to the magnitude.
void increment_magnitude(std::vector<u8>& digits) {
    for (usize i = digits.size(); i-- > 0;) {
        if (digits[i] < 9) {
            ++digits[i];
            return;
        }
        digits[i] = 0;
    }
    digits.insert(digits.begin(), 1);
}

// Rounds (half away from zero) or truncates to `scale` digits after the point; a negative
// scale rounds to tens, hundreds ... and leaves scale 0.
Dec round_dec(Dec d, i64 scale, bool round) {
    if (scale >= d.scale) {
        extend_scale(d, scale);
        return d;
    }
    const usize drop = static_cast<usize>(d.scale - scale);
    if (drop > d.digits.size()) d.digits.insert(d.digits.begin(), drop - d.digits.size(), 0);
    const u8 first_dropped = d.digits[d.digits.size() - drop];
    d.digits.resize(d.digits.size() - drop);
    if (round && first_dropped >= 5) increment_magnitude(d.digits);
    if (scale < 0) {
        d.digits.insert(d.digits.end(), static_cast<usize>(-scale), 0);
        d.scale = 0;
    } else {
        d.scale = scale;
    }
    return d;
}

bool has_fraction(const Dec& d) {
    const usize fraction =
        static_cast<usize>(std::min<i64>(d.scale, static_cast<i64>(d.digits.size())));
    for (usize i = d.digits.size() - fraction; i < d.digits.size(); ++i) {
        if (d.digits[i] != 0) return true;
    }
    return false;
}

bool is_nan(const Numeric& n) { return n.special() == Numeric::Special::nan; }
bool is_infinite(const Numeric& n) { return !n.is_finite() && !is_nan(n); }
bool is_positive_infinity(const Numeric& n) {
    return n.special() == Numeric::Special::positive_infinity;
}

// The common case of + and -: both operands, aligned to the larger scale, fit in 36 digits,
// so the sum is computed in a 128-bit integer (about 10x faster than the digit vectors).
constexpr usize kSmallDigitsMax = 36;

// Digits of a magnitude, most significant first.
template <class U>
std::string digits_of(U magnitude) {
    char buffer[40];
    usize length = 0;
    while (magnitude > 0) {
        buffer[sizeof buffer - 1 - length++] =
            static_cast<char>('0' + static_cast<int>(magnitude % 10));
        magnitude /= 10;
    }
    return std::string(buffer + sizeof buffer - length, length);
}

std::optional<Numeric> add_small(const Numeric& a, const Numeric& b) {
    const usize scale = std::max(a.scale(), b.scale());
    const usize length_a = a.digits().size() + (scale - a.scale());
    const usize length_b = b.digits().size() + (scale - b.scale());
    if (length_a > kSmallDigitsMax || length_b > kSmallDigitsMax) return std::nullopt;
    auto aligned = [scale](const Numeric& n, auto zero) {
        decltype(zero) v = 0;
        for (char c : n.digits()) v = v * 10 + (c - '0');
        for (usize i = n.scale(); i < scale; ++i) v *= 10;
        return n.negative() ? -v : v;
    };
    bool negative = false;
    std::string digits;
    if (length_a <= 18 && length_b <= 18) {
        // Both below 10^18: the sum fits in 63 bits.
        const i64 sum = aligned(a, i64{0}) + aligned(b, i64{0});
        negative = sum < 0;
        digits = digits_of(negative ? u64{0} - static_cast<u64>(sum) : static_cast<u64>(sum));
    } else {
        const __int128 sum = aligned(a, __int128{0}) + aligned(b, __int128{0});
        negative = sum < 0;
        digits = digits_of(negative ? static_cast<unsigned __int128>(-sum)
                                    : static_cast<unsigned __int128>(sum));
    }
    return Numeric::from_parts(negative, std::move(digits),  // a negative sum is non-zero
                               static_cast<u16>(scale))
        .value();
}

}  // namespace

int numeric_sign(const Numeric& a) {
    switch (a.special()) {
        case Numeric::Special::nan:
            return 0;
        case Numeric::Special::positive_infinity:
            return 1;
        case Numeric::Special::negative_infinity:
            return -1;
        case Numeric::Special::finite:
            break;
    }
    if (a.digits().empty()) return 0;
    return a.negative() ? -1 : 1;
}

SqlResult<Numeric> numeric_add(const Numeric& a, const Numeric& b) {
    if (!a.is_finite() || !b.is_finite()) {
        if (is_nan(a) || is_nan(b)) return Numeric::nan();
        if (is_infinite(a) && is_infinite(b) && a.special() != b.special()) return Numeric::nan();
        return is_infinite(a) ? a : b;
    }
    if (auto fast = add_small(a, b)) return std::move(*fast);
    return from_dec(add_dec(to_dec(a), to_dec(b)));
}

SqlResult<Numeric> numeric_sub(const Numeric& a, const Numeric& b) {
    return numeric_add(a, numeric_neg(b));
}

SqlResult<Numeric> numeric_mul(const Numeric& a, const Numeric& b) {
    if (!a.is_finite() || !b.is_finite()) {
        if (is_nan(a) || is_nan(b)) return Numeric::nan();
        const int sign = numeric_sign(a) * numeric_sign(b);
        if (sign == 0) return Numeric::nan();  // infinity * 0
        return Numeric::infinity(sign < 0);
    }
    const Dec da = to_dec(a);
    const Dec db = to_dec(b);
    Dec out;
    out.digits = mul_magnitude(da.digits, db.digits);
    out.scale = da.scale + db.scale;
    out.negative = da.negative != db.negative;
    if (out.scale > Numeric::kScaleMax) out = round_dec(std::move(out), Numeric::kScaleMax, true);
    return from_dec(std::move(out));
}

int numeric_div_scale(const Numeric& a, const Numeric& b) {
    // PostgreSQL computes in base-10000 digits: the weight of the first non-zero base-10000
    // digit (its power of 10000) and that digit's value.
    auto weight_and_first = [](const Numeric& n, i64* weight, int* first) {
        *weight = 0;
        *first = 0;
        if (!n.is_finite() || n.digits().empty()) return;
        const std::string& digits = n.digits();
        const i64 top_power = static_cast<i64>(digits.size()) - 1 - n.scale();
        // Floor division by 4 of a possibly negative power.
        const i64 w = top_power >= 0 ? top_power / 4 : -((-top_power + 3) / 4);
        *weight = w;
        int value = 0;
        for (i64 power = 4 * w + 3; power >= 4 * w; --power) {
            const i64 index = top_power - power;
            const int digit = index >= 0 && index < static_cast<i64>(digits.size())
                                  ? digits[static_cast<usize>(index)] - '0'
                                  : 0;
            value = value * 10 + digit;
        }
        *first = value;
    };
    i64 weight1 = 0;
    i64 weight2 = 0;
    int first1 = 0;
    int first2 = 0;
    weight_and_first(a, &weight1, &first1);
    weight_and_first(b, &weight2, &first2);
    i64 quotient_weight = weight1 - weight2;
    if (first1 <= first2) --quotient_weight;
    i64 scale = kMinSignificantDigits - quotient_weight * 4;
    scale = std::max<i64>(scale, a.is_finite() ? a.scale() : 0);
    scale = std::max<i64>(scale, b.is_finite() ? b.scale() : 0);
    scale = std::max<i64>(scale, 0);
    scale = std::min<i64>(scale, kDisplayScaleMax);
    return static_cast<int>(scale);
}

namespace {

// Shared special-value rules of / (PostgreSQL's numeric_div): nullopt when both are finite.
std::optional<SqlResult<Numeric>> divide_special(const Numeric& a, const Numeric& b) {
    if (a.is_finite() && b.is_finite()) return std::nullopt;
    if (is_nan(a) || is_nan(b)) return SqlResult<Numeric>(Numeric::nan());
    if (is_infinite(a)) {
        if (!b.is_finite()) return SqlResult<Numeric>(Numeric::nan());
        const int sign = numeric_sign(b);
        if (sign == 0) return SqlResult<Numeric>(division_by_zero());
        return SqlResult<Numeric>(Numeric::infinity(is_positive_infinity(a) != (sign > 0)));
    }
    return SqlResult<Numeric>(Numeric());  // finite / infinity = 0
}

}  // namespace

SqlResult<Numeric> numeric_div(const Numeric& a, const Numeric& b) {
    if (auto special = divide_special(a, b)) return std::move(*special);
    if (b.digits().empty()) return division_by_zero();
    const int scale = numeric_div_scale(a, b);
    Dec quotient = divide_truncated(to_dec(a), to_dec(b), scale + 1);
    return from_dec(round_dec(std::move(quotient), scale, true));
}

SqlResult<Numeric> numeric_div_trunc(const Numeric& a, const Numeric& b, int scale) {
    if (auto special = divide_special(a, b)) return std::move(*special);
    if (b.digits().empty()) return division_by_zero();
    return from_dec(divide_truncated(to_dec(a), to_dec(b), scale));
}

SqlResult<Numeric> numeric_mod(const Numeric& a, const Numeric& b) {
    if (!a.is_finite() || !b.is_finite()) {
        if (is_nan(a) || is_nan(b)) return Numeric::nan();
        if (is_infinite(a)) {
            if (numeric_sign(b) == 0) return division_by_zero();
            return Numeric::nan();
        }
        return a;  // finite % infinity
    }
    if (b.digits().empty()) return division_by_zero();
    const Dec da = to_dec(a);
    const Dec db = to_dec(b);
    Dec quotient = divide_truncated(da, db, 0);
    Dec product;
    product.digits = mul_magnitude(quotient.digits, db.digits);
    product.scale = db.scale;
    product.negative = !(quotient.negative != db.negative);  // subtracting b * q
    return from_dec(add_dec(da, std::move(product)));
}

Numeric numeric_neg(const Numeric& a) {
    switch (a.special()) {
        case Numeric::Special::nan:
            return a;
        case Numeric::Special::positive_infinity:
            return Numeric::infinity(true);
        case Numeric::Special::negative_infinity:
            return Numeric::infinity(false);
        case Numeric::Special::finite:
            break;
    }
    if (a.digits().empty()) return a;
    return Numeric::from_parts(!a.negative(), a.digits(), a.scale()).value();
}

Numeric numeric_abs(const Numeric& a) {
    if (a.special() == Numeric::Special::negative_infinity) return Numeric::infinity(false);
    if (!a.is_finite() || !a.negative()) return a;
    return numeric_neg(a);
}

SqlResult<Numeric> numeric_round(const Numeric& a, i64 scale) {
    if (!a.is_finite()) return a;
    scale = std::clamp(scale, -kResultScaleMax, kResultScaleMax);
    return from_dec(round_dec(to_dec(a), scale, true));
}

SqlResult<Numeric> numeric_trunc(const Numeric& a, i64 scale) {
    if (!a.is_finite()) return a;
    scale = std::clamp(scale, -kResultScaleMax, kResultScaleMax);
    return from_dec(round_dec(to_dec(a), scale, false));
}

Numeric numeric_floor(const Numeric& a) {
    if (!a.is_finite()) return a;
    const Dec d = to_dec(a);
    Dec out = round_dec(d, 0, false);
    if (d.negative && has_fraction(d)) increment_magnitude(out.digits);
    return from_dec(std::move(out)).value();
}

Numeric numeric_ceil(const Numeric& a) {
    if (!a.is_finite()) return a;
    const Dec d = to_dec(a);
    Dec out = round_dec(d, 0, false);
    if (!d.negative && has_fraction(d)) increment_magnitude(out.digits);
    return from_dec(std::move(out)).value();
}

SqlResult<Numeric> numeric_apply_typmod(const Numeric& a, u16 precision, u16 scale) {
    if (precision == 0) return a;
    const std::string field =
        "A field with precision " + std::to_string(precision) + ", scale " + std::to_string(scale);
    if (!a.is_finite()) {
        if (is_nan(a)) return a;
        return SqlError(sqlstate::kNumericValueOutOfRange, "numeric field overflow")
            .with_detail(field + " cannot hold an infinite value.");
    }
    Numeric rounded = KB_SQL_TRY(numeric_round(a, scale));
    const int max_digits = precision - scale;
    if (!rounded.digits().empty() && rounded.integer_digits() > static_cast<usize>(max_digits)) {
        return SqlError(sqlstate::kNumericValueOutOfRange, "numeric field overflow")
            .with_detail(field + " must round to an absolute value less than " +
                         (max_digits > 0 ? "10^" + std::to_string(max_digits) : "1") + ".");
    }
    return rounded;
}

SqlResult<i64> numeric_to_integer(const Numeric& a, i64 min, i64 max, const char* type_name) {
    if (!a.is_finite()) {
        return SqlError(
            sqlstate::kFeatureNotSupported,
            std::string("cannot convert ") + (is_nan(a) ? "NaN" : "infinity") + " to " + type_name);
    }
    const SqlError out_of_range(sqlstate::kNumericValueOutOfRange,
                                std::string(type_name) + " out of range");
    Dec rounded = round_dec(to_dec(a), 0, true);
    // Fits in u64 magnitude when at most 19 significant digits remain.
    u64 magnitude = 0;
    usize significant = 0;
    for (u8 digit : rounded.digits) {
        if (significant == 0 && digit == 0) continue;
        if (++significant > 19) return out_of_range;
        magnitude = magnitude * 10 + digit;
    }
    if (rounded.negative) {
        if (magnitude > static_cast<u64>(-(min + 1)) + 1) return out_of_range;
        return static_cast<i64>(u64{0} - magnitude);
    }
    if (magnitude > static_cast<u64>(max)) return out_of_range;
    return static_cast<i64>(magnitude);
}

Numeric numeric_from_double(double value, int significant_digits) {
    if (std::isnan(value)) return Numeric::nan();
    if (std::isinf(value)) return Numeric::infinity(value < 0);
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value,
                                      std::chars_format::general, significant_digits);
    KB_ASSERT(result.ec == std::errc());
    return Numeric::parse(std::string_view(buffer, static_cast<usize>(result.ptr - buffer)))
        .value();
}

std::string numeric_hash_key(const Numeric& a) {
    switch (a.special()) {
        case Numeric::Special::nan:
            return "NaN";
        case Numeric::Special::positive_infinity:
            return "+Inf";
        case Numeric::Special::negative_infinity:
            return "-Inf";
        case Numeric::Special::finite:
            break;
    }
    std::string digits = a.digits();
    usize scale = a.scale();
    while (scale > 0 && !digits.empty() && digits.back() == '0') {
        digits.pop_back();
        --scale;
    }
    if (digits.empty()) return "0";
    return (a.negative() ? "-" : "+") + digits + "e-" + std::to_string(scale);
}

}  // namespace kb::sql
