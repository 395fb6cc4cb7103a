// Kept plans of prepared SELECTs (plan_cache.h): reused across runs and transactions while the
// schema is the same, planned afresh after a schema change, inside a transaction with schema
// changes of its own and while reading the past; parameter values, LIMIT / OFFSET and now()
// are read per run, never frozen into a kept plan.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "db/engine_test_support.h"
#include "sql/plan_cache.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

using Lines = std::vector<std::string>;

class PlanCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        session = std::make_unique<Session>(node, node.default_tenant(), db::kAdminPrincipal);
        ok("CREATE TABLE t (a int PRIMARY KEY, b text)");
        ok("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')");
    }

    void ok(std::string_view sql) {
        for (const auto& result : session->execute(sql)) {
            ASSERT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
        }
    }

    std::shared_ptr<const PreparedStatement> prepare(std::string_view sql) {
        auto prepared = session->prepare(sql);
        EXPECT_TRUE(prepared.has_value()) << sql << ": " << prepared.error().to_string();
        return prepared ? *prepared : nullptr;
    }

    SqlResult<StatementResult> run(const PreparedStatement& prepared, std::vector<Value> values) {
        return session->execute_prepared(prepared, values);
    }

    // Rows as "v1|v2" lines.
    Lines rows(const PreparedStatement& prepared, std::vector<Value> values = {}) {
        auto result = run(prepared, std::move(values));
        EXPECT_TRUE(result.has_value()) << prepared.text() << ": " << result.error().to_string();
        Lines out;
        if (!result) return out;
        for (const Row& row : result->rows) {
            std::string line;
            for (usize i = 0; i < row.size(); ++i) {
                if (i > 0) line += "|";
                line += row[i].is_null() ? "NULL" : value_to_text(row[i], result->columns[i].type);
            }
            out.push_back(line);
        }
        return out;
    }

    std::string error(const PreparedStatement& prepared, std::vector<Value> values = {}) {
        auto result = run(prepared, std::move(values));
        return result ? "no error" : result.error().sqlstate;
    }

    db::testing::SimNode node{44};
    std::unique_ptr<Session> session;
};

TEST_F(PlanCacheTest, ReusesThePlanAcrossRunsAndTransactionsWithEachRunsParameters) {
    auto select = prepare("SELECT b FROM t WHERE a = $1");
    EXPECT_EQ(rows(*select, {Value::int32(1)}), (Lines{"one"}));
    EXPECT_EQ(select->plan_cache().reuses(), 0U);
    EXPECT_EQ(rows(*select, {Value::int32(3)}), (Lines{"three"}));
    EXPECT_EQ(rows(*select, {Value::int32(9)}), (Lines{}));
    EXPECT_EQ(select->plan_cache().reuses(), 2U);

    // Rows written since are seen: the plan holds no snapshot.
    ok("INSERT INTO t VALUES (9, 'nine')");
    EXPECT_EQ(rows(*select, {Value::int32(9)}), (Lines{"nine"}));
    ok("BEGIN");
    ok("UPDATE t SET b = 'NINE' WHERE a = 9");
    EXPECT_EQ(rows(*select, {Value::int32(9)}), (Lines{"NINE"}));  // the transaction's overlay
    ok("ROLLBACK");
    EXPECT_EQ(rows(*select, {Value::int32(9)}), (Lines{"nine"}));
    EXPECT_EQ(select->plan_cache().reuses(), 5U);
}

TEST_F(PlanCacheTest, LimitOffsetAndNowAreReadPerRun) {
    auto page = prepare("SELECT a FROM t ORDER BY a LIMIT $1 OFFSET $2");
    EXPECT_EQ(rows(*page, {Value::int64(2), Value::int64(0)}), (Lines{"1", "2"}));
    EXPECT_EQ(rows(*page, {Value::int64(1), Value::int64(2)}), (Lines{"3"}));
    EXPECT_EQ(rows(*page, {Value::null(), Value::int64(3)}), (Lines{"4"}));
    EXPECT_EQ(error(*page, {Value::int64(-1), Value::int64(0)}), "2201W");
    EXPECT_EQ(error(*page, {Value::int64(1), Value::int64(-1)}), "2201X");
    EXPECT_EQ(rows(*page, {Value::int64(0), Value::int64(0)}), (Lines{}));
    EXPECT_GE(page->plan_cache().reuses(), 3U);

    // now() is the transaction's: the same within one, later in a later one.
    auto now = prepare("SELECT now(), CURRENT_TIMESTAMP = now()");
    ok("BEGIN");
    const Lines first = rows(*now);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_EQ(rows(*now), first);
    ok("COMMIT");
    ASSERT_EQ(first.size(), 1U);
    EXPECT_TRUE(first[0].ends_with("|t")) << first[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const Lines later = rows(*now);
    EXPECT_NE(later, first);
    EXPECT_EQ(now->plan_cache().reuses(), 2U);
}

TEST_F(PlanCacheTest, SchemaChangesPlanAfresh) {
    auto by_b = prepare("SELECT a FROM t WHERE b = $1");
    EXPECT_EQ(rows(*by_b, {Value::text("two")}), (Lines{"2"}));
    EXPECT_EQ(rows(*by_b, {Value::text("two")}), (Lines{"2"}));
    EXPECT_EQ(by_b->plan_cache().reuses(), 1U);

    ok("CREATE INDEX t_b ON t (b)");
    EXPECT_EQ(rows(*by_b, {Value::text("four")}), (Lines{"4"}));  // planned again: the index
    EXPECT_EQ(by_b->plan_cache().reuses(), 1U);
    EXPECT_EQ(rows(*by_b, {Value::text("one")}), (Lines{"1"}));
    EXPECT_EQ(by_b->plan_cache().reuses(), 2U);

    // A transaction's own schema changes: planned for it alone, the kept plan left alone.
    ok("BEGIN");
    ok("DROP INDEX t_b");
    EXPECT_EQ(rows(*by_b, {Value::text("one")}), (Lines{"1"}));
    ok("ROLLBACK");
    EXPECT_EQ(by_b->plan_cache().reuses(), 2U);
    EXPECT_EQ(rows(*by_b, {Value::text("three")}), (Lines{"3"}));
    EXPECT_EQ(by_b->plan_cache().reuses(), 3U);

    auto star = prepare("SELECT * FROM t WHERE a = $1");
    EXPECT_EQ(rows(*star, {Value::int32(1)}), (Lines{"1|one"}));
    ok("ALTER TABLE t ADD COLUMN c int");
    EXPECT_EQ(error(*star, {Value::int32(1)}), "0A000");  // cached plan must not change result type
    ok("DROP TABLE t");
    EXPECT_EQ(error(*by_b, {Value::text("one")}), "42P01");
}

TEST_F(PlanCacheTest, ReadingThePastPlansAgainstThePastSchema) {
    auto select = prepare("SELECT b FROM t WHERE a = $1");
    EXPECT_EQ(rows(*select, {Value::int32(2)}), (Lines{"two"}));
    const std::string before = std::to_string(node.engine().applied_position().value());
    ok("UPDATE t SET b = 'TWO' WHERE a = 2");
    ok("SET kimberlite.as_of_position = " + before);
    EXPECT_EQ(rows(*select, {Value::int32(2)}), (Lines{"two"}));
    ok("RESET kimberlite.as_of_position");
    EXPECT_EQ(rows(*select, {Value::int32(2)}), (Lines{"TWO"}));
    EXPECT_EQ(select->plan_cache().reuses(), 1U);  // the present run only
}

TEST_F(PlanCacheTest, FoldingErrorsComeWithEveryRunNotWithTheDescription) {
    // PostgreSQL folds constants when it plans (Bind / Execute), not when it describes.
    auto divide = prepare("SELECT 1 / 0 FROM t WHERE a = $1");
    ASSERT_NE(divide, nullptr);
    EXPECT_EQ(divide->description().columns.size(), 1U);
    EXPECT_EQ(error(*divide, {Value::int32(1)}), "22012");
    EXPECT_EQ(error(*divide, {Value::int32(99)}), "22012");  // no row: still the planner's error
    EXPECT_EQ(divide->plan_cache().reuses(), 1U);
}

TEST(PlanCache, HandsOutOnePlanAndDropsPlansForAnotherSchema) {
    PlanCache cache;
    const db::SchemaKey key{1, TenantId(1), 7};
    EXPECT_EQ(cache.take(key), nullptr);
    auto make = [&](db::SchemaKey for_key) {
        auto plan = std::make_unique<CachedPlan>();
        plan->key = for_key;
        plan->plan.root = std::make_unique<Values>(std::vector<std::vector<BoundExpr>>{{}});
        return plan;
    };
    cache.keep(make(key));
    auto taken = cache.take(key);
    ASSERT_NE(taken, nullptr);
    EXPECT_EQ(cache.take(key), nullptr);  // out: a second runner plans for itself
    cache.keep(std::move(taken));
    cache.keep(make(key));  // one is kept already: this one is dropped
    EXPECT_NE(cache.take(key), nullptr);
    EXPECT_EQ(cache.reuses(), 2U);

    cache.keep(make(key));
    EXPECT_EQ(cache.take(db::SchemaKey{1, TenantId(1), 8}), nullptr);  // stale: dropped
    EXPECT_EQ(cache.take(key), nullptr);
}

}  // namespace
}  // namespace kb::sql
