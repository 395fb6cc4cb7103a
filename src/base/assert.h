// Always-on assertions for programmer errors (STYLE.md, "errors in three tiers").
//
// KB_ASSERT stays on in release builds: a broken invariant in a database must stop the
// process before it writes a wrong byte, not be optimised away. Never assert on input from
// outside the process (disk, network, users): that is an operating error and returns Status.
#pragma once

namespace kb::detail {

[[noreturn]] void assert_fail(const char* expression, const char* file, int line,
                              const char* message);

}  // namespace kb::detail

#define KB_ASSERT(condition)                                                    \
    do {                                                                        \
        if (!(condition)) [[unlikely]] {                                        \
            ::kb::detail::assert_fail(#condition, __FILE__, __LINE__, nullptr); \
        }                                                                       \
    } while (false)

#define KB_ASSERT_MSG(condition, message)                                       \
    do {                                                                        \
        if (!(condition)) [[unlikely]] {                                        \
            ::kb::detail::assert_fail(#condition, __FILE__, __LINE__, message); \
        }                                                                       \
    } while (false)

#define KB_UNREACHABLE() ::kb::detail::assert_fail("unreachable", __FILE__, __LINE__, nullptr)
