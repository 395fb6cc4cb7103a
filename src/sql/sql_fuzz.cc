// Fuzz target for the whole SQL statement path: text -> parse -> bind -> plan -> execute, on a
// transaction over a small database with every column type, a composite primary key, unique
// and secondary indexes, a foreign key and a CHECK. Whatever the text, each statement must
// either run or be refused with a SqlError carrying a proper SQLSTATE: never a crash, never
// an assertion, never an internal error (XX000 means a check the edge should have made was
// left to a lower layer).
//
// Every input runs against the same starting state: statements execute on one transaction
// that is never committed (transaction control and settings, which belong to the session, are
// skipped), so a finding replays from its input alone. now() and gen_random_uuid() are fixed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "base/assert.h"
#include "db/engine_test_support.h"
#include "sql/parse.h"
#include "sql/session.h"

namespace {

using namespace kb;
using namespace kb::sql;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE parent (id int PRIMARY KEY, name text UNIQUE NOT NULL, score numeric(8,2));
CREATE TABLE child (
    pid int REFERENCES parent (id) ON DELETE CASCADE,
    seq bigint,
    s smallint CHECK (s > -100),
    r real, d double precision, b boolean, v varchar(8), c char(3), bin bytea,
    day date, at timestamp, atz timestamptz, span interval, u uuid, j jsonb,
    serial_no bigserial,
    PRIMARY KEY (pid, seq));
CREATE INDEX child_day_idx ON child (day);
CREATE INDEX child_v_s_idx ON child (v, s);
INSERT INTO parent VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, 'three', -2.25);
INSERT INTO child (pid, seq, s, r, d, b, v, c, bin, day, at, atz, span, u, j) VALUES
    (1, 1, 5, 1.5, -0.0, true, 'a', 'x', '\x00ff', '2024-02-29', '2024-01-01 10:00',
     '2024-01-01 10:00+02', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     '{"k": [1, "two", null]}'),
    (1, 2, NULL, 'NaN', 1e300, false, 'bb', NULL, '', '1999-01-08', NULL, NULL, '-3 mons',
     NULL, '[]'),
    (2, 1, -5, '-Infinity', 2.5, NULL, NULL, 'abc', NULL, NULL, '2000-02-29 23:59:59.999999',
     '1970-01-01 00:00+00', NULL, '00000000-0000-0000-0000-000000000000', 'null');
)sql";

class Fixture {
public:
    Fixture() {
        KB_ASSERT(node_.open().is_ok());
        tenant_ = node_.default_tenant();
        Session session(node_, tenant_, db::kAdminPrincipal);
        for (const auto& result : session.execute(kSchema)) {
            KB_ASSERT_MSG(result.has_value(), result.error().to_string().c_str());
        }
    }

    void run(std::string_view text) {
        auto parsed = parse(text);
        if (!parsed) {
            check_error(parsed.error());
            return;
        }
        auto begun = db::Transaction::begin(node_, tenant_, db::kAdminPrincipal);
        KB_ASSERT(begun.has_value());
        db::Transaction& transaction = *begun;
        EvalContext eval;
        eval.transaction_timestamp = 788'918'400'000'000;  // 2025-01-01 00:00 UTC
        eval.random_uuid = [] { return kernel::Uuid{0x42}; };
        for (const ast::Statement& statement : *parsed) {
            if (statement.as<ast::TransactionStatement>() || statement.as<ast::SetStatement>() ||
                statement.as<ast::ResetStatement>() || statement.as<ast::ShowStatement>()) {
                continue;
            }
            auto result = execute_statement(statement, transaction, eval);
            if (verbose_) {
                std::fprintf(stderr, "%s\n  -> %s\n", statement.text.c_str(),
                             result ? result->tag.c_str() : result.error().to_string().c_str());
            }
            if (!result) {
                check_error(result.error());
                // As in a transaction block, the first error ends the statements' run.
                return;
            }
        }
        // Nothing commits: the next input starts from the same state.
    }

private:
    static void check_error(const SqlError& error) {
        KB_ASSERT_MSG(error.sqlstate.size() == 5, error.to_string().c_str());
        KB_ASSERT_MSG(error.sqlstate != sqlstate::kInternalError, error.to_string().c_str());
        KB_ASSERT(error.position >= 0);
    }

    db::testing::SimNode node_{7};
    TenantId tenant_;
    // KB_SQL_FUZZ_VERBOSE=1 prints every statement and its outcome (to see what an input does).
    bool verbose_ = std::getenv("KB_SQL_FUZZ_VERBOSE") != nullptr;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixture* fixture = new Fixture();  // never destroyed: libFuzzer exits the process
    fixture->run(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
