// Failure path of KB_ASSERT: report where, then abort (a core dump beats limping on).
#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace kb::detail {

void assert_fail(const char* expression, const char* file, int line, const char* message) {
    if (message != nullptr) {
        std::fprintf(stderr, "kimberlite: assertion failed: %s (%s) at %s:%d\n", expression,
                     message, file, line);
    } else {
        std::fprintf(stderr, "kimberlite: assertion failed: %s at %s:%d\n", expression, file, line);
    }
    std::fflush(stderr);
    std::abort();
}

}  // namespace kb::detail
