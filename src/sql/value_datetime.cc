// date, timestamp and timestamptz input, output and arithmetic (see value_datetime.h).
#include "sql/value_datetime.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

#include "sql/value_datetime_parse.h"

namespace kb::sql {
namespace {

// Days from 4714-11-24 BC (Julian day 0, PostgreSQL's first date) to 2000-01-01, and from
// 2000-01-01 to PostgreSQL's end of dates (Julian day 2147483494) and of timestamps
// (294277-01-01).
constexpr i64 kFirstDate = -2451545;
constexpr i64 kDateEnd = 2147483494 - 2451545;
constexpr i64 kTimestampEndDays = 109203528 - 2451545;
constexpr i64 kTimestampMin = kFirstDate * kMicrosecondsPerDay;
constexpr i64 kTimestampEnd = kTimestampEndDays * kMicrosecondsPerDay;

bool valid_date_days(i64 days) { return days >= kFirstDate && days < kDateEnd; }
bool valid_timestamp(i64 ts) { return ts >= kTimestampMin && ts < kTimestampEnd; }

i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

bool is_leap(i64 year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

// PostgreSQL's field buffer sizes: date_in's MAXDATELEN + 1, timestamp_in's MAXDATELEN +
// MAXDATEFIELDS (longer input is a syntax error).
constexpr usize kDateWorkBytes = 129;
constexpr usize kTimestampWorkBytes = 153;

// The local microseconds since 2000-01-01 of a decoded finite value, or nullopt out of range.
std::optional<i64> local_timestamp(const DecodedDateTime& decoded) {
    const i64 days = days_from_civil(decoded.date);
    if (days < kFirstDate || days > kTimestampEndDays) return std::nullopt;
    return days * kMicrosecondsPerDay + decoded.time_us;
}

SqlResult<i64> parse_timestamp(std::string_view text, bool with_zone) {
    const char* type = with_zone ? "timestamp with time zone" : "timestamp";
    DecodedDateTime decoded;
    DateTimeStatus status = decode_datetime(text, kTimestampWorkBytes, &decoded);
    if (status == DateTimeStatus::ok && with_zone && decoded.zone_unsupported) {
        status = DateTimeStatus::unsupported_zone;
    }
    if (status != DateTimeStatus::ok) return datetime_parse_error(status, text, type, decoded);
    switch (decoded.kind) {
        case DecodedDateTime::Kind::infinity:
            return kTimestampPositiveInfinity;
        case DecodedDateTime::Kind::negative_infinity:
            return kTimestampNegativeInfinity;
        case DecodedDateTime::Kind::epoch:
            return days_from_civil(CivilDate{1970, 1, 1}) * kMicrosecondsPerDay;
        case DecodedDateTime::Kind::date:
            break;
    }
    std::optional<i64> local = local_timestamp(decoded);
    if (local && with_zone) *local -= decoded.zone_east_s * kMicrosecondsPerSecond;
    if (!local || !valid_timestamp(*local)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow,
                        "timestamp out of range: \"" + std::string(text) + "\"");
    }
    return *local;
}

void append_two(std::string& out, i64 value) {
    out.push_back(static_cast<char>('0' + value / 10));
    out.push_back(static_cast<char>('0' + value % 10));
}

// "YYYY-MM-DD" with the BC suffix left to the caller.
std::string format_date(const CivilDate& date) {
    const i64 year = date.year > 0 ? date.year : 1 - date.year;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d", static_cast<long long>(year),
                  date.month, date.day);
    return buffer;
}

std::string format_timestamp(i64 ts, bool with_zone) {
    if (ts == kTimestampPositiveInfinity) return "infinity";
    if (ts == kTimestampNegativeInfinity) return "-infinity";
    const i64 days = floor_div(ts, kMicrosecondsPerDay);
    i64 time = ts - days * kMicrosecondsPerDay;
    const CivilDate date = civil_from_days(days);
    std::string out = format_date(date);
    out.push_back(' ');
    append_two(out, time / kMicrosecondsPerHour);
    time %= kMicrosecondsPerHour;
    out.push_back(':');
    append_two(out, time / kMicrosecondsPerMinute);
    time %= kMicrosecondsPerMinute;
    out.push_back(':');
    append_two(out, time / kMicrosecondsPerSecond);
    i64 fraction = time % kMicrosecondsPerSecond;
    if (fraction != 0) {
        std::string digits = std::to_string(fraction + kMicrosecondsPerSecond).substr(1);
        while (digits.back() == '0') digits.pop_back();
        out += "." + digits;
    }
    if (with_zone) out += "+00";
    if (date.year <= 0) out += " BC";
    return out;
}

SqlError timestamp_out_of_range() {
    return SqlError(sqlstate::kDatetimeFieldOverflow, "timestamp out of range");
}

}  // namespace

// Howard Hinnant's days_from_civil, shifted to PostgreSQL's 2000-01-01 epoch.
i64 days_from_civil(const CivilDate& date) {
    const i64 y = date.year - (date.month <= 2 ? 1 : 0);
    const i64 era = floor_div(y, 400);
    const i64 year_of_era = y - era * 400;
    const i64 m = date.month;
    const i64 day_of_year = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + date.day - 1;
    const i64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468 - 10957;
}

CivilDate civil_from_days(i64 days) {
    const i64 z = days + 10957 + 719468;
    const i64 era = floor_div(z, 146097);
    const i64 day_of_era = z - era * 146097;
    const i64 year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const i64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const i64 mp = (5 * day_of_year + 2) / 153;
    const i64 day = day_of_year - (153 * mp + 2) / 5 + 1;
    const i64 month = mp < 10 ? mp + 3 : mp - 9;
    return CivilDate{year_of_era + era * 400 + (month <= 2 ? 1 : 0), static_cast<int>(month),
                     static_cast<int>(day)};
}

int days_in_month(i64 year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && is_leap(year)) return 29;
    return kDays[month - 1];
}

bool date_is_finite(i32 date) {
    return date != kDateNegativeInfinity && date != kDatePositiveInfinity;
}
bool timestamp_is_finite(i64 ts) {
    return ts != kTimestampNegativeInfinity && ts != kTimestampPositiveInfinity;
}

SqlResult<i32> date_input(std::string_view text) {
    DecodedDateTime decoded;
    if (DateTimeStatus status = decode_datetime(text, kDateWorkBytes, &decoded);
        status != DateTimeStatus::ok) {
        return datetime_parse_error(status, text, "date", decoded);
    }
    switch (decoded.kind) {
        case DecodedDateTime::Kind::infinity:
            return kDatePositiveInfinity;
        case DecodedDateTime::Kind::negative_infinity:
            return kDateNegativeInfinity;
        case DecodedDateTime::Kind::epoch:
            return static_cast<i32>(days_from_civil(CivilDate{1970, 1, 1}));
        case DecodedDateTime::Kind::date:
            break;
    }
    const i64 days = days_from_civil(decoded.date);
    if (!valid_date_days(days)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow,
                        "date out of range: \"" + std::string(text) + "\"");
    }
    return static_cast<i32>(days);
}

SqlResult<i64> timestamp_input(std::string_view text) { return parse_timestamp(text, false); }
SqlResult<i64> timestamptz_input(std::string_view text) { return parse_timestamp(text, true); }

std::string date_output(i32 date) {
    if (date == kDatePositiveInfinity) return "infinity";
    if (date == kDateNegativeInfinity) return "-infinity";
    const CivilDate civil = civil_from_days(date);
    std::string out = format_date(civil);
    if (civil.year <= 0) out += " BC";
    return out;
}

std::string timestamp_output(i64 ts) { return format_timestamp(ts, false); }
std::string timestamptz_output(i64 ts) { return format_timestamp(ts, true); }

SqlResult<i64> date_to_timestamp(i32 date) {
    if (date == kDatePositiveInfinity) return kTimestampPositiveInfinity;
    if (date == kDateNegativeInfinity) return kTimestampNegativeInfinity;
    if (date >= kTimestampEndDays) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "date out of range for timestamp");
    }
    return i64{date} * kMicrosecondsPerDay;
}

i64 date_to_timestamp_for_compare(i32 date) {
    if (date == kDateNegativeInfinity) return kTimestampNegativeInfinity;
    if (date >= kTimestampEndDays) return kTimestampPositiveInfinity;
    return i64{date} * kMicrosecondsPerDay;
}

i32 timestamp_to_date(i64 ts) {
    if (ts == kTimestampPositiveInfinity) return kDatePositiveInfinity;
    if (ts == kTimestampNegativeInfinity) return kDateNegativeInfinity;
    return static_cast<i32>(floor_div(ts, kMicrosecondsPerDay));
}

SqlResult<i32> date_add_days(i32 date, i64 days) {
    if (!date_is_finite(date)) return date;
    const i64 result = i64{date} + days;
    if (!valid_date_days(result)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "date out of range");
    }
    return static_cast<i32>(result);
}

SqlResult<i32> date_diff(i32 a, i32 b) {
    if (!date_is_finite(a) || !date_is_finite(b)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "cannot subtract infinite dates");
    }
    return static_cast<i32>(i64{a} - i64{b});
}

SqlResult<i64> timestamp_add_interval(i64 ts, const Interval& interval) {
    if (!timestamp_is_finite(ts)) return ts;
    if (interval.months != 0) {
        const i64 days = floor_div(ts, kMicrosecondsPerDay);
        const i64 time = ts - days * kMicrosecondsPerDay;
        CivilDate date = civil_from_days(days);
        const i64 month_index = date.year * 12 + (date.month - 1) + interval.months;
        date.year = floor_div(month_index, 12);
        date.month = static_cast<int>(month_index - date.year * 12) + 1;
        date.day = std::min(date.day, days_in_month(date.year, date.month));
        const i64 new_days = days_from_civil(date);
        if (new_days < kFirstDate || new_days >= kTimestampEndDays) return timestamp_out_of_range();
        ts = new_days * kMicrosecondsPerDay + time;
    }
    if (interval.days != 0) {
        const i64 days = floor_div(ts, kMicrosecondsPerDay) + interval.days;
        if (days < kFirstDate || days >= kTimestampEndDays) return timestamp_out_of_range();
        ts += i64{interval.days} * kMicrosecondsPerDay;
    }
    i64 result = 0;
    if (__builtin_add_overflow(ts, interval.microseconds, &result) || !valid_timestamp(result)) {
        return timestamp_out_of_range();
    }
    return result;
}

SqlResult<i64> timestamp_sub_interval(i64 ts, const Interval& interval) {
    if (interval.months == INT32_MIN || interval.days == INT32_MIN ||
        interval.microseconds == INT64_MIN) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "interval out of range");
    }
    return timestamp_add_interval(
        ts, Interval{-interval.months, -interval.days, -interval.microseconds});
}

SqlResult<Interval> timestamp_diff(i64 a, i64 b) {
    if (!timestamp_is_finite(a) || !timestamp_is_finite(b)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "cannot subtract infinite timestamps");
    }
    i64 time = 0;
    if (__builtin_sub_overflow(a, b, &time)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "interval out of range");
    }
    // justify_hours: whole days out of the microseconds, the remainder keeping their sign.
    i64 days = time / kMicrosecondsPerDay;
    time -= days * kMicrosecondsPerDay;
    if (days > 0 && time < 0) {
        time += kMicrosecondsPerDay;
        --days;
    } else if (days < 0 && time > 0) {
        time -= kMicrosecondsPerDay;
        ++days;
    }
    return Interval{0, static_cast<i32>(days), time};
}

}  // namespace kb::sql
