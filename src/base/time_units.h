// Time units as plain integer nanoseconds.
//
// Durations and instants in Kimberlite are u64 nanoseconds: formats store them that way and
// the deterministic core must not depend on std::chrono clock types. These constants make
// conversions read clearly ("5 * kNanosPerMilli").
#pragma once

#include "base/ints.h"

namespace kb {

inline constexpr u64 kNanosPerMicro = 1'000;
inline constexpr u64 kNanosPerMilli = 1'000'000;
inline constexpr u64 kNanosPerSecond = 1'000'000'000;
inline constexpr u64 kNanosPerMinute = 60 * kNanosPerSecond;

}  // namespace kb
