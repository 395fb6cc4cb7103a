// interval as PostgreSQL 15 reads, prints and computes it (IntervalStyle 'postgres').
//
// An interval keeps months, days and microseconds apart (kernel/value.h). Input accepts
// PostgreSQL's verbose form ('1 year 2 mons 3 days 04:05:06.5', '@ 1 hour ago', '1.5 months',
// '-1 day +02:00', units from microseconds to millennia with their abbreviations, a bare
// trailing number as seconds, 'Y-M' year-month) and ISO 8601 designators ('P1Y2M3DT4H5M6.5S',
// 'PT1.5H'), with PostgreSQL's fraction cascading (months to 30-day days, days to 24-hour
// days) and errors (22007 bad syntax, 22015 field out of range, 22008 interval out of range).
// ISO 8601's alternative 'P0001-02-03T04:05:06' form and typmod field restrictions
// (INTERVAL '1' HOUR) are not supported.
//
// Comparison and grouping use PostgreSQL's linear span (a month is 30 days, a day 24 hours),
// so '1 mon' = '30 days' and both group together.
#pragma once

#include <string>
#include <string_view>

#include "kernel/value.h"
#include "sql/error.h"

namespace kb::sql {

using kernel::Interval;

SqlResult<Interval> interval_input(std::string_view text);
std::string interval_output(const Interval& interval);

SqlResult<Interval> interval_add(const Interval& a, const Interval& b);
SqlResult<Interval> interval_sub(const Interval& a, const Interval& b);
SqlResult<Interval> interval_neg(const Interval& a);
// interval * float8 and interval / float8 with PostgreSQL's cascading of fractional months
// into days and fractional days into microseconds (interval_mul / interval_div).
SqlResult<Interval> interval_mul(const Interval& a, double factor);
SqlResult<Interval> interval_div(const Interval& a, double divisor);

// Order by the linear span: <0, 0, >0.
int interval_compare(const Interval& a, const Interval& b);
// The linear span in microseconds as two halves of an __int128 (for hashing).
__int128 interval_span(const Interval& a);

}  // namespace kb::sql
