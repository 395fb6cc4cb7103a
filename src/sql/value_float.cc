// real and double precision input, output and arithmetic (see value_float.h).
#include "sql/value_float.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

namespace kb::sql {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// strtod's grammar on `text` (already stripped of surrounding whitespace) with from_chars,
// which rounds correctly and never consults a locale. Returns the errc and the characters used.
template <class F>
std::from_chars_result parse_number(std::string_view text, F* out) {
    const char* begin = text.data();
    const char* end = begin + text.size();
    const char* p = begin;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
        negative = *p == '-';
        ++p;
        if (p < end && (*p == '+' || *p == '-')) return {begin, std::errc::invalid_argument};
    }
    std::from_chars_result result{};
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        result = std::from_chars(p + 2, end, *out, std::chars_format::hex);
        if (result.ec == std::errc::invalid_argument) {
            // "0x" without hex digits: strtod reads the "0" alone.
            *out = 0;
            result = {p + 1, std::errc()};
        }
    } else {
        result = std::from_chars(p, end, *out, std::chars_format::general);
    }
    if (result.ec == std::errc() && negative) *out = -*out;
    return result;
}

template <class F>
SqlResult<F> float_input(std::string_view input, const char* type_name) {
    std::string_view text = input;
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    const auto invalid = [&] {
        return SqlError(sqlstate::kInvalidTextRepresentation,
                        std::string("invalid input syntax for type ") + type_name + ": \"" +
                            std::string(input) + "\"");
    };
    if (text.empty()) return invalid();
    F value = 0;
    const auto result = parse_number(text, &value);
    if (result.ec == std::errc::result_out_of_range) {
        return SqlError(sqlstate::kNumericValueOutOfRange,
                        "\"" + std::string(input) + "\" is out of range for type " + type_name);
    }
    if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return invalid();
    if (std::isnan(value)) value = std::numeric_limits<F>::quiet_NaN();  // no "-nan"
    return value;
}

// Whether D * 10^E equals M * 2^F exactly (D > 0, M odd): the test for a decimal lying on a
// rounding boundary of a binary float.
bool decimal_equals_dyadic(u64 d, int e, u64 m, int f) {
    const int twos = std::countr_zero(d);
    const u64 odd = d >> twos;
    // odd * 5^|e| must fit; 5^27 > 2^62 > any M here.
    auto times_power_of_five = [](u64 x, int k, u64* out) {
        unsigned __int128 v = x;
        for (int i = 0; i < k; ++i) {
            v *= 5;
            if (v > ~u64{0}) return false;
        }
        *out = static_cast<u64>(v);
        return true;
    };
    if (e >= 0) {
        // d * 2^e * 5^e = M * 2^F: the powers of two and the odd parts must agree.
        u64 product = 0;
        return twos + e == f && times_power_of_five(odd, e, &product) && product == m;
    }
    // d = M * 2^(F - e) * 5^(-e).
    u64 product = 0;
    return twos == f - e && times_power_of_five(m, -e, &product) && product == odd;
}

// Whether the decimal text (as to_chars prints it, "[-]d[.ddd]e[+-]XX") is exactly halfway
// between `value` and a neighbour. PostgreSQL's Ryu output never uses such a boundary (it
// does not accept the interval's bounds), while std::to_chars does for even mantissas.
template <class F>
bool on_rounding_boundary(F value, const std::string& text) {
    constexpr int kMantissaBits = std::numeric_limits<F>::digits - 1;  // 52 or 23
    constexpr int kBias = std::numeric_limits<F>::max_exponent - 1;    // 1023 or 127
    using Bits = std::conditional_t<sizeof(F) == 8, u64, u32>;
    const Bits bits = std::bit_cast<Bits>(value) & ~(Bits{1} << (sizeof(F) * 8 - 1));
    const u64 fraction = bits & ((Bits{1} << kMantissaBits) - 1);
    const int biased = static_cast<int>(bits >> kMantissaBits);
    const u64 m = biased == 0 ? fraction : fraction | (u64{1} << kMantissaBits);
    const int e = (biased == 0 ? 1 : biased) - kBias - kMantissaBits;
    if (m == 0) return false;
    // The decimal: digits without the point, and the exponent of the last digit.
    u64 d = 0;
    int count = 0;
    usize i = text[0] == '-' ? 1 : 0;
    for (; i < text.size() && text[i] != 'e'; ++i) {
        if (text[i] == '.') continue;
        d = d * 10 + static_cast<u64>(text[i] - '0');
        ++count;
    }
    const int exponent = std::stoi(text.substr(i + 1)) - (count - 1);
    const bool lower_is_closer = fraction == 0 && biased > 1;  // the gap below halves
    return decimal_equals_dyadic(d, exponent, 2 * m + 1, e - 1) ||
           (lower_is_closer ? decimal_equals_dyadic(d, exponent, 4 * m - 1, e - 2)
                            : decimal_equals_dyadic(d, exponent, 2 * m - 1, e - 1));
}

// The shortest digits that read back as `value` without sitting on a rounding boundary, in
// scientific form ("-2.6041261e+08"), as PostgreSQL's Ryu produces them.
template <class F>
std::string shortest_scientific(F value) {
    char buffer[64];
    auto result =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string text(buffer, result.ptr);
    for (int precision = 1; on_rounding_boundary(value, text) && precision <= 17; ++precision) {
        // One more digit than the boundary candidate has, correctly rounded; trailing zeros
        // dropped.
        const usize digits = text.find('e') - (text[0] == '-' ? 1 : 0) -
                             (text.find('.') == std::string::npos ? 0 : 1);
        if (static_cast<int>(digits) > precision) precision = static_cast<int>(digits);
        result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific,
                               precision);
        text.assign(buffer, result.ptr);
        const usize e = text.find('e');
        usize end = e;
        while (end > 0 && text[end - 1] == '0') --end;
        if (end > 0 && text[end - 1] == '.') --end;
        text.erase(end, e - end);
    }
    return text;
}

// PostgreSQL's shortest output: fixed notation for decimal exponents in [-4, fixed_limit).
template <class F>
std::string float_output(F value, int fixed_limit) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
    const std::string scientific = shortest_scientific(value);
    // "-1.2345e+17": sign, digits around the point, exponent.
    const usize e = scientific.find('e');
    const int exponent = std::stoi(scientific.substr(e + 1));
    if (exponent < -4 || exponent >= fixed_limit) return scientific;
    const bool negative = scientific[0] == '-';
    std::string digits;
    for (usize i = negative ? 1 : 0; i < e; ++i) {
        if (scientific[i] != '.') digits.push_back(scientific[i]);
    }
    std::string out = negative ? "-" : "";
    if (exponent < 0) {
        out += "0.";
        out.append(static_cast<usize>(-exponent - 1), '0');
        out += digits;
    } else {
        const usize integer_digits = static_cast<usize>(exponent) + 1;
        if (digits.size() <= integer_digits) {
            out += digits;
            out.append(integer_digits - digits.size(), '0');
        } else {
            out += digits.substr(0, integer_digits);
            out += '.';
            out += digits.substr(integer_digits);
        }
    }
    return out;
}

SqlError overflow() {
    return SqlError(sqlstate::kNumericValueOutOfRange, "value out of range: overflow");
}
SqlError underflow() {
    return SqlError(sqlstate::kNumericValueOutOfRange, "value out of range: underflow");
}
SqlError zero_divide() { return SqlError(sqlstate::kDivisionByZero, "division by zero"); }

template <class F>
SqlResult<F> checked(F result, bool inputs_infinite, bool zero_allowed) {
    if (std::isinf(result) && !inputs_infinite) return overflow();
    if (result == 0 && !zero_allowed) return underflow();
    return result;
}

template <class F>
SqlResult<F> add(F a, F b) {
    return checked<F>(a + b, std::isinf(a) || std::isinf(b), true);
}
template <class F>
SqlResult<F> sub(F a, F b) {
    return checked<F>(a - b, std::isinf(a) || std::isinf(b), true);
}
template <class F>
SqlResult<F> mul(F a, F b) {
    return checked<F>(a * b, std::isinf(a) || std::isinf(b), a == 0 || b == 0);
}
template <class F>
SqlResult<F> div(F a, F b) {
    if (b == 0 && !std::isnan(a)) return zero_divide();
    return checked<F>(a / b, std::isinf(a), a == 0 || std::isinf(b));
}

}  // namespace

SqlResult<double> float8_input(std::string_view text) {
    return float_input<double>(text, "double precision");
}
SqlResult<float> float4_input(std::string_view text) { return float_input<float>(text, "real"); }
std::string float8_output(double value) { return float_output(value, 15); }
std::string float4_output(float value) { return float_output(value, 6); }

SqlResult<double> float8_checked(double result, bool inputs_infinite, bool zero_allowed) {
    return checked(result, inputs_infinite, zero_allowed);
}
SqlResult<float> float4_checked(float result, bool inputs_infinite, bool zero_allowed) {
    return checked(result, inputs_infinite, zero_allowed);
}

SqlResult<double> float8_add(double a, double b) { return add(a, b); }
SqlResult<double> float8_sub(double a, double b) { return sub(a, b); }
SqlResult<double> float8_mul(double a, double b) { return mul(a, b); }
SqlResult<double> float8_div(double a, double b) { return div(a, b); }
SqlResult<float> float4_add(float a, float b) { return add(a, b); }
SqlResult<float> float4_sub(float a, float b) { return sub(a, b); }
SqlResult<float> float4_mul(float a, float b) { return mul(a, b); }
SqlResult<float> float4_div(float a, float b) { return div(a, b); }

SqlResult<float> float8_to_float4(double value) {
    const float result = static_cast<float>(value);
    if (std::isinf(result) && !std::isinf(value)) return overflow();
    if (result == 0.0F && value != 0.0) return underflow();
    return result;
}

SqlResult<i64> float_to_integer(double value, i64 min, i64 max, const char* type_name) {
    const double rounded = std::rint(value);
    // The bounds as doubles: min is a power of two (exact); max + 1 is too, and a double is
    // in range when it is below it.
    KB_ASSERT(max == -(min + 1));
    const double lower = static_cast<double>(min);
    const double upper = -lower;
    if (std::isnan(rounded) || rounded < lower || rounded >= upper) {
        return SqlError(sqlstate::kNumericValueOutOfRange,
                        std::string(type_name) + " out of range");
    }
    return static_cast<i64>(rounded);
}

int float_compare(double a, double b) {
    if (std::isnan(a)) return std::isnan(b) ? 0 : 1;
    if (std::isnan(b)) return -1;
    if (a < b) return -1;
    if (a > b) return 1;
    return 0;
}

}  // namespace kb::sql
