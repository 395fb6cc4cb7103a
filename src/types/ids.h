// Domain identifiers and counters. Each is its own type (strong_int.h), so mixing them up is
// a compile error rather than a corrupt log.
#pragma once

#include <string>

#include "base/assert.h"
#include "types/strong_int.h"

namespace kb {

// An isolated namespace of data (a PostgreSQL database name selects one).
using TenantId = StrongInt<struct TenantIdTag, u64>;
// A named, append-only sequence of events inside a tenant.
using StreamId = StrongInt<struct StreamIdTag, u64>;
// The user or API key on whose behalf an op runs.
using PrincipalId = StrongInt<struct PrincipalIdTag, u64>;
// A client session; together with RequestNumber it makes retries idempotent.
using ClientId = StrongInt<struct ClientIdTag, u64>;
using RequestNumber = StrongInt<struct RequestNumberTag, u64>;
// A Viewstamped Replication view number.
using View = StrongInt<struct ViewTag, u64>;

// A global log position (= VSR op number). Position 0 is "before the first op"; the first
// record is at position 1, so a zero position in a header is always a bug or corruption.
class Position : public StrongInt<struct PositionTag, u64> {
public:
    using StrongInt::StrongInt;
    constexpr Position next() const { return Position(value() + 1); }
    constexpr Position prev() const {
        KB_ASSERT(value() > 0);
        return Position(value() - 1);
    }
    static constexpr Position none() { return Position(0); }
};

// An event's index within its stream, starting at 0.
class Offset : public StrongInt<struct OffsetTag, u64> {
public:
    using StrongInt::StrongInt;
    constexpr Offset advanced_by(u64 count) const { return Offset(value() + count); }
};

// Nanoseconds since the Unix epoch (UTC), as assigned by the primary to an op.
class Timestamp : public StrongInt<struct TimestampTag, u64> {
public:
    using StrongInt::StrongInt;
    static constexpr Timestamp from_seconds(u64 seconds) {
        return Timestamp(seconds * 1'000'000'000ULL);
    }
};

std::string to_string(Position position);
std::string to_string(Timestamp timestamp);  // RFC 3339 with nanoseconds, UTC

}  // namespace kb

template <>
struct std::hash<kb::Position> : std::hash<kb::StrongInt<kb::PositionTag, kb::u64>> {};
template <>
struct std::hash<kb::Offset> : std::hash<kb::StrongInt<kb::OffsetTag, kb::u64>> {};
template <>
struct std::hash<kb::Timestamp> : std::hash<kb::StrongInt<kb::TimestampTag, kb::u64>> {};
