// Fuzz target for the SQL front end: statement text arrives from any client, so parse() must
// take any bytes. Anything must either parse into statements that print back (to_sql) as text
// parsing to the same statements, or be refused with a SqlError carrying a SQLSTATE (never an
// internal error, never a crash, never unbounded recursion).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/assert.h"
#include "sql/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace kb::sql;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse(text);
    if (!parsed) {
        KB_ASSERT(parsed.error().sqlstate.size() == 5);
        KB_ASSERT(parsed.error().sqlstate != sqlstate::kInternalError);
        KB_ASSERT(parsed.error().position >= 0);
        return 0;
    }
    for (const ast::Statement& statement : *parsed) {
        KB_ASSERT(statement.position >= 1);
        std::string printed = ast::to_sql(statement);
        auto again = parse(printed);
        if (!again) {
            // The printed form spells some nodes with more tokens (CAST(x AS t) for x::t), so
            // a tree near the nesting limit may print past it; nothing else may fail.
            KB_ASSERT_MSG(again.error().sqlstate == "54001", again.error().to_string().c_str());
            continue;
        }
        KB_ASSERT(again->size() == 1);
        KB_ASSERT(ast::to_sql((*again)[0]) == printed);
    }
    return 0;
}
