// Prepared statements end to end on a simulated node: parameter type inference checked against
// what PostgreSQL 15's Parse/Describe answers for the same statements (probed with libpq's
// PQprepare + PQdescribePrepared), descriptions of every statement kind, execution with
// parameters (WHERE, LIMIT, VALUES, SET, ON CONFLICT, NULLs), the count check, schema changes
// between prepare and execute, transactions, and the text format of parameter values.
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "sql/bind_resolve.h"
#include "sql/prepared.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

using Lines = std::vector<std::string>;
using Types = std::vector<std::string>;

class PreparedTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        session = std::make_unique<Session>(node, node.default_tenant(), db::kAdminPrincipal);
        ok("CREATE TABLE t (a int PRIMARY KEY, b text, c bigint, d numeric(10,2), e boolean)");
    }

    void ok(std::string_view sql) {
        for (const auto& result : session->execute(sql)) {
            ASSERT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
        }
    }

    std::shared_ptr<const PreparedStatement> prepare(
        std::string_view sql, std::vector<std::optional<Type>> declared = {}) {
        auto prepared = session->prepare(sql, declared);
        EXPECT_TRUE(prepared.has_value()) << sql << ": " << prepared.error().to_string();
        return prepared ? *prepared : nullptr;
    }

    // The error preparing `sql` gives.
    SqlError prepare_error(std::string_view sql, std::vector<std::optional<Type>> declared = {}) {
        auto prepared = session->prepare(sql, declared);
        if (prepared) {
            ADD_FAILURE() << sql << " prepared";
            return {};
        }
        return prepared.error();
    }

    // Parameter types as PostgreSQL names them.
    Types parameter_types(std::string_view sql, std::vector<std::optional<Type>> declared = {}) {
        auto prepared = prepare(sql, std::move(declared));
        Types out;
        if (!prepared) return out;
        for (const Type& type : prepared->description().parameter_types)
            out.push_back(type_name(type));
        return out;
    }

    // Result columns as "name type".
    Types columns(std::string_view sql) {
        auto prepared = prepare(sql);
        Types out;
        if (!prepared) return out;
        for (const ResultColumn& column : prepared->description().columns)
            out.push_back(column.name + " " + type_name_with_modifier(column.type));
        return out;
    }

    // Parameters from text (nullopt: NULL), converted with the described types.
    std::vector<Value> values(const PreparedStatement& prepared,
                              const std::vector<std::optional<std::string>>& texts) {
        std::vector<Value> out;
        for (usize i = 0; i < texts.size(); ++i) {
            if (!texts[i]) {
                out.push_back(Value::null());
                continue;
            }
            auto value = parameter_from_text(*texts[i], prepared.description().parameter_types[i]);
            EXPECT_TRUE(value.has_value()) << *texts[i];
            out.push_back(value ? *value : Value::null());
        }
        return out;
    }

    SqlResult<StatementResult> run(const PreparedStatement& prepared,
                                   const std::vector<std::optional<std::string>>& texts) {
        std::vector<Value> parameters = values(prepared, texts);
        return session->execute_prepared(prepared, parameters);
    }

    // Rows as "v1|v2" lines (NULL as "NULL").
    static Lines lines(const StatementResult& result) {
        Lines out;
        for (const Row& row : result.rows) {
            std::string line;
            for (usize i = 0; i < row.size(); ++i) {
                if (i > 0) line += "|";
                line += row[i].is_null() ? "NULL" : value_to_text(row[i], result.columns[i].type);
            }
            out.push_back(line);
        }
        return out;
    }

    Lines run_rows(const PreparedStatement& prepared,
                   const std::vector<std::optional<std::string>>& texts) {
        auto result = run(prepared, texts);
        EXPECT_TRUE(result.has_value()) << prepared.text() << ": " << result.error().to_string();
        return result ? lines(*result) : Lines{};
    }

    Lines query(std::string_view sql) {
        auto results = session->execute(sql);
        EXPECT_TRUE(!results.empty() && results.back().has_value()) << sql;
        if (results.empty() || !results.back()) return {};
        return lines(*results.back());
    }

    db::testing::SimNode node{43};
    std::unique_ptr<Session> session;
};

// --- inference (each expectation is PostgreSQL 15's answer) ------------------------------------

TEST_F(PreparedTest, ComparedAssignedAndInsertedParametersTakeTheColumnType) {
    EXPECT_EQ(parameter_types("SELECT * FROM t WHERE a = $1"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t WHERE $1 = a"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t WHERE a = $1 AND c = $1"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT a FROM t WHERE d > $1"), (Types{"numeric"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t WHERE b LIKE $1"), (Types{"text"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t WHERE a IN ($1, $2)"),
              (Types{"integer", "integer"}));
    EXPECT_EQ(parameter_types("SELECT coalesce($1, a) FROM t"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("UPDATE t SET c = $1 WHERE a = $1"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("INSERT INTO t (a, b) VALUES ($1, $2) RETURNING a, b, $3"),
              (Types{"integer", "text", "text"}));
    EXPECT_EQ(parameter_types("INSERT INTO t VALUES ($1, $2, $3, $4, $5) ON CONFLICT (a) DO "
                              "UPDATE SET b = $6 RETURNING *"),
              (Types{"integer", "text", "bigint", "numeric", "boolean", "text"}));
    EXPECT_EQ(parameter_types("DELETE FROM t WHERE a = $1 RETURNING b"), (Types{"integer"}));
}

TEST_F(PreparedTest, ArithmeticCastsLimitsAndTheSelectList) {
    EXPECT_EQ(parameter_types("SELECT a + $1 FROM t"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT d * $1 FROM t"), (Types{"numeric"}));
    EXPECT_EQ(parameter_types("SELECT $1 + 1, $1 || 'x'"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT $1::int"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t LIMIT $1 OFFSET $2"), (Types{"bigint", "bigint"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t WHERE a = $1 LIMIT $1"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT $1"), (Types{"text"}));
    EXPECT_EQ(parameter_types("SELECT $1, $2::int"), (Types{"text", "integer"}));
    EXPECT_EQ(parameter_types("SELECT $1 = $2"), (Types{"text", "text"}));
    EXPECT_EQ(parameter_types("SELECT CASE WHEN $1 THEN $2 ELSE 3 END"),
              (Types{"boolean", "integer"}));
    EXPECT_EQ(parameter_types("SELECT max(a) + $1 FROM t GROUP BY b HAVING count(*) > $2"),
              (Types{"integer", "bigint"}));
    EXPECT_EQ(parameter_types("EXPLAIN SELECT * FROM t WHERE a = $1"), (Types{"integer"}));
}

TEST_F(PreparedTest, DeclaredTypesWin) {
    const Type integer = Type::of(SqlType::integer);
    EXPECT_EQ(parameter_types("SELECT $1", {integer}), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT $1", {std::nullopt}), (Types{"text"}));
    EXPECT_EQ(parameter_types("SELECT $1 + 1", {Type::unknown_type()}), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT a FROM t WHERE a = $1", {Type::of(SqlType::bigint)}),
              (Types{"bigint"}));
    // More declared than used: all of them count.
    EXPECT_EQ(parameter_types("SELECT $1", {integer, Type::of(SqlType::boolean)}),
              (Types{"integer", "boolean"}));
    // $2 typed by use, $1 by declaration.
    EXPECT_EQ(parameter_types("SELECT $2", {integer}), (Types{"integer", "text"}));
    // A declared modifier is dropped (types are described by oid).
    EXPECT_EQ(parameter_types("SELECT $1", {Type::varchar(3)}), (Types{"character varying"}));
    EXPECT_EQ(prepare_error("SELECT a FROM t WHERE a = $1", {Type::of(SqlType::text)}).sqlstate,
              "42883");
}

TEST_F(PreparedTest, UndeterminedAndInconsistentTypes) {
    SqlError unused = prepare_error("SELECT $2::int");
    EXPECT_EQ(unused.sqlstate, "42P18");
    EXPECT_EQ(unused.message, "could not determine data type of parameter $1");
    EXPECT_EQ(prepare_error("SELECT 1 WHERE $1 IS NULL").sqlstate, "42P18");

    SqlError inconsistent = prepare_error("SELECT substr($1, $1)");
    EXPECT_EQ(inconsistent.sqlstate, "42P08");
    EXPECT_EQ(inconsistent.message, "inconsistent types deduced for parameter $1");
    EXPECT_EQ(inconsistent.detail, "text versus integer");
    EXPECT_EQ(inconsistent.position, 19);

    // An INSERT row's values (an UPDATE's SET list) are all read before any is coerced.
    SqlError values = prepare_error("INSERT INTO t (a, b) VALUES ($1, $1)");
    EXPECT_EQ(values.sqlstate, "42P08");
    EXPECT_EQ(values.detail, "integer versus text");
    EXPECT_EQ(values.position, 34);
    SqlError set = prepare_error("UPDATE t SET b = $1, c = $1");
    EXPECT_EQ(set.sqlstate, "42P08");
    EXPECT_EQ(set.detail, "text versus bigint");
    EXPECT_EQ(prepare_error("INSERT INTO t (a, c) VALUES ($1, $1)").detail,
              "integer versus bigint");
    EXPECT_EQ(parameter_types("INSERT INTO t (a, b) VALUES ($1, $2), ($1, $3)"),
              (Types{"integer", "text", "text"}));
    EXPECT_EQ(parameter_types("UPDATE t SET c = $1 WHERE a = $1"), (Types{"integer"}));
    EXPECT_EQ(parameter_types("SELECT * FROM t LIMIT $1 OFFSET $1"), (Types{"bigint"}));
    // A declared type is no deduction: the second use is an assignment cast.
    EXPECT_EQ(parameter_types("INSERT INTO t (a, b) VALUES ($1, $1)", {Type::of(SqlType::integer)}),
              (Types{"integer"}));

    // A typed use is an ordinary value: it casts or fails as one.
    EXPECT_EQ(prepare_error("SELECT * FROM t WHERE a = $1 AND b = $1").sqlstate, "42883");
    EXPECT_EQ(prepare_error("SELECT 1; SELECT 2").sqlstate, "42601");
    EXPECT_EQ(prepare_error("SELECT 1; SELECT 2").message,
              "cannot insert multiple commands into a prepared statement");
    EXPECT_EQ(prepare_error("SELECT * FROM missing WHERE x = $1").sqlstate, "42P01");
    EXPECT_EQ(prepare_error("SELECT $0").sqlstate, "42P02");
}

// --- descriptions ---------------------------------------------------------------------------

TEST_F(PreparedTest, DescribesEveryStatementKindWithoutRunningIt) {
    EXPECT_EQ(columns("SELECT a, b AS name, d FROM t WHERE a = $1"),
              (Types{"a integer", "name text", "d numeric(10,2)"}));
    EXPECT_EQ(columns("SELECT count(*) FROM t"), (Types{"count bigint"}));
    EXPECT_EQ(columns("INSERT INTO t (a) VALUES ($1) RETURNING a, b"),
              (Types{"a integer", "b text"}));
    EXPECT_EQ(columns("UPDATE t SET b = $1 WHERE a = $2 RETURNING c"), (Types{"c bigint"}));
    EXPECT_EQ(columns("DELETE FROM t WHERE a = $1 RETURNING *"),
              (Types{"a integer", "b text", "c bigint", "d numeric(10,2)", "e boolean"}));
    EXPECT_EQ(columns("EXPLAIN SELECT * FROM t"), (Types{"QUERY PLAN text"}));
    EXPECT_EQ(columns("SHOW timezone"), (Types{"TimeZone text"}));  // PostgreSQL's spelling

    for (std::string_view sql :
         {"INSERT INTO t (a) VALUES ($1)", "UPDATE t SET b = $1", "DELETE FROM t WHERE a = $1",
          "CREATE TABLE u (x int PRIMARY KEY)", "BEGIN", "SET application_name = 'x'"}) {
        auto prepared = prepare(sql);
        ASSERT_TRUE(prepared);
        EXPECT_FALSE(prepared->description().returns_rows) << sql;
        EXPECT_TRUE(prepared->description().columns.empty()) << sql;
    }
    EXPECT_TRUE(prepare("SELECT 1")->description().returns_rows);

    // Describing ran nothing: no row written, no table created, no sequence value spent.
    ok("CREATE TABLE s (id serial PRIMARY KEY, v int NOT NULL)");
    prepare("INSERT INTO s (v) VALUES ($1) RETURNING id");
    prepare("INSERT INTO t (a) SELECT a + 100 FROM t");
    EXPECT_EQ(query("SELECT count(*) FROM t"), (Lines{"0"}));
    EXPECT_EQ(query("SELECT count(*) FROM s"), (Lines{"0"}));
    auto insert = prepare("INSERT INTO s (v) VALUES ($1) RETURNING id");
    EXPECT_EQ(run_rows(*insert, {"5"}), (Lines{"1"}));
    auto create = prepare("CREATE TABLE u (x int PRIMARY KEY)");
    EXPECT_EQ(query("SELECT count(*) FROM t"), (Lines{"0"}));
    EXPECT_EQ(session->execute("SELECT * FROM u").back().error().sqlstate, "42P01");
    EXPECT_EQ(run(*create, {})->tag, "CREATE TABLE");
    EXPECT_EQ(query("SELECT count(*) FROM u"), (Lines{"0"}));
}

TEST_F(PreparedTest, EmptyQueryAndParametersInsideStringsAndComments) {
    auto empty = prepare("  -- nothing\n");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->statement(), nullptr);
    EXPECT_EQ(run(*empty, {})->tag, "");

    EXPECT_EQ(*highest_parameter_number("SELECT '$1', $2 -- $3\n /* $4 */"), 2u);
    EXPECT_EQ(*highest_parameter_number("SELECT 1"), 0u);
    EXPECT_EQ(*highest_parameter_number("SELECT $$ $7 $$, $12"), 12u);
    EXPECT_EQ(highest_parameter_number("SELECT $70000").error().sqlstate, "54000");
}

// --- execution ------------------------------------------------------------------------------

TEST_F(PreparedTest, ParametersInValuesWhereSetLimitAndOnConflict) {
    auto insert = prepare("INSERT INTO t VALUES ($1, $2, $3, $4, $5)");
    ASSERT_TRUE(insert);
    for (int i = 1; i <= 5; ++i) {
        auto result = run(*insert, {std::to_string(i), "v" + std::to_string(i),
                                    std::to_string(i * 10), "1.5", i % 2 ? "t" : "f"});
        ASSERT_TRUE(result.has_value()) << result.error().to_string();
        EXPECT_EQ(result->tag, "INSERT 0 1");
    }
    auto point = prepare("SELECT b, c FROM t WHERE a = $1");
    EXPECT_EQ(run_rows(*point, {"3"}), (Lines{"v3|30"}));
    EXPECT_EQ(run_rows(*point, {"4"}), (Lines{"v4|40"}));
    EXPECT_EQ(run_rows(*point, {"9"}), (Lines{}));

    auto page = prepare("SELECT a FROM t WHERE a >= $1 ORDER BY a LIMIT $2 OFFSET $3");
    EXPECT_EQ(run_rows(*page, {"2", "2", "1"}), (Lines{"3", "4"}));
    EXPECT_EQ(run_rows(*page, {"1", std::nullopt, "3"}), (Lines{"4", "5"}));  // LIMIT NULL: all

    auto update = prepare("UPDATE t SET b = $1, d = d + $2 WHERE a = $3 RETURNING b, d");
    EXPECT_EQ(run_rows(*update, {"new", "0.25", "2"}), (Lines{"new|1.75"}));

    auto upsert = prepare(
        "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = excluded.b || $3 "
        "RETURNING a, b");
    EXPECT_EQ(run_rows(*upsert, {"1", "x", "!"}), (Lines{"1|x!"}));
    EXPECT_EQ(run_rows(*upsert, {"6", "y", "!"}), (Lines{"6|y"}));

    auto remove = prepare("DELETE FROM t WHERE a = $1 OR b = $2");
    EXPECT_EQ(run(*remove, {"5", "y"})->tag, "DELETE 2");
    EXPECT_EQ(query("SELECT a, b FROM t ORDER BY a"), (Lines{"1|x!", "2|new", "3|v3", "4|v4"}));
}

TEST_F(PreparedTest, NullParameters) {
    auto insert = prepare("INSERT INTO t (a, b, c) VALUES ($1, $2, $3) RETURNING a, b, c");
    EXPECT_EQ(run_rows(*insert, {"1", std::nullopt, std::nullopt}), (Lines{"1|NULL|NULL"}));
    auto missing_key = run(*insert, {std::nullopt, "b", "1"});
    ASSERT_FALSE(missing_key.has_value());
    EXPECT_EQ(missing_key.error().sqlstate, "23502");
    auto is_null = prepare("SELECT a FROM t WHERE b IS NOT DISTINCT FROM $1");
    EXPECT_EQ(run_rows(*is_null, {std::nullopt}), (Lines{"1"}));
    auto equal = prepare("SELECT a FROM t WHERE a = $1");
    EXPECT_EQ(run_rows(*equal, {std::nullopt}), (Lines{}));
}

TEST_F(PreparedTest, ParameterCountMismatchIsAProtocolViolation) {
    auto prepared = session->prepare("SELECT * FROM t WHERE a = $1 AND c = $2", {}, "s1");
    ASSERT_TRUE(prepared.has_value());
    const Value one[] = {Value::int32(1)};
    auto result = session->execute_prepared(**prepared, one);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().sqlstate, "08P01");
    EXPECT_EQ(result.error().message,
              "bind message supplies 1 parameters, but prepared statement \"s1\" requires 2");
    auto unnamed = prepare("SELECT 1");
    const Value two[] = {Value::int32(1), Value::int32(2)};
    EXPECT_EQ(session->execute_prepared(*unnamed, two).error().message,
              "bind message supplies 2 parameters, but prepared statement \"\" requires 0");
}

TEST_F(PreparedTest, AssignmentChecksTheColumnModifier) {
    ok("CREATE TABLE v (k int PRIMARY KEY, s varchar(3), n numeric(4,1))");
    auto insert = prepare("INSERT INTO v VALUES ($1, $2, $3)");
    ASSERT_TRUE(insert);
    EXPECT_EQ(type_name_with_modifier(insert->description().parameter_types[1]),
              "character varying");
    auto too_long = run(*insert, {"1", "abcd", "1"});
    ASSERT_FALSE(too_long.has_value());
    EXPECT_EQ(too_long.error().sqlstate, "22001");
    ASSERT_TRUE(run(*insert, {"1", "abc", "2.25"}).has_value());
    EXPECT_EQ(query("SELECT s, n FROM v"), (Lines{"abc|2.3"}));
    auto overflow = run(*insert, {"2", "a", "1000"});
    ASSERT_FALSE(overflow.has_value());
    EXPECT_EQ(overflow.error().sqlstate, "22003");
}

TEST_F(PreparedTest, SchemaChangesBetweenPrepareAndExecute) {
    ok("INSERT INTO t (a, b) VALUES (1, 'one')");
    auto star = prepare("SELECT * FROM t WHERE a = $1");
    auto named = prepare("SELECT b FROM t WHERE a = $1");
    auto insert = prepare("INSERT INTO t (a, b) VALUES ($1, $2)");
    ok("ALTER TABLE t ADD COLUMN f int");
    auto changed = run(*star, {"1"});
    ASSERT_FALSE(changed.has_value());
    EXPECT_EQ(changed.error().sqlstate, "0A000");
    EXPECT_EQ(changed.error().message, "cached plan must not change result type");
    EXPECT_EQ(run_rows(*named, {"1"}), (Lines{"one"}));
    EXPECT_TRUE(run(*insert, {"2", "two"}).has_value());
    // Preparing again sees the new shape.
    EXPECT_EQ(prepare("SELECT * FROM t WHERE a = $1")->description().columns.size(), 6u);

    ok("DROP TABLE t");
    auto dropped = run(*named, {"1"});
    ASSERT_FALSE(dropped.has_value());
    EXPECT_EQ(dropped.error().sqlstate, "42P01");
    // Re-created with the same shape: the statement works again.
    ok("CREATE TABLE t (a int PRIMARY KEY, b text)");
    ok("INSERT INTO t VALUES (1, 'again')");
    EXPECT_EQ(run_rows(*named, {"1"}), (Lines{"again"}));
}

TEST_F(PreparedTest, TransactionsFollowTheSameRules) {
    auto insert = prepare("INSERT INTO t (a) VALUES ($1)");
    ok("BEGIN");
    ASSERT_TRUE(run(*insert, {"1"}).has_value());
    ASSERT_TRUE(run(*insert, {"2"}).has_value());
    auto count = prepare("SELECT count(*) FROM t");  // prepared inside: sees the overlay's table
    EXPECT_EQ(run_rows(*count, {}), (Lines{"2"}));
    ok("ROLLBACK");
    EXPECT_EQ(run_rows(*count, {}), (Lines{"0"}));

    ok("BEGIN");
    ASSERT_TRUE(run(*insert, {"1"}).has_value());
    auto duplicate = run(*insert, {"1"});
    ASSERT_FALSE(duplicate.has_value());
    EXPECT_EQ(duplicate.error().sqlstate, "23505");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::failed);
    EXPECT_EQ(run(*count, {}).error().sqlstate, "25P02");
    EXPECT_EQ(prepare_error("SELECT 1").sqlstate, "25P02");
    auto rollback = prepare("ROLLBACK");
    ASSERT_TRUE(rollback);
    EXPECT_EQ(run(*rollback, {})->tag, "ROLLBACK");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::idle);

    // A table created inside the transaction can be prepared against there.
    ok("BEGIN; CREATE TABLE inner_t (k int PRIMARY KEY)");
    auto inner = prepare("INSERT INTO inner_t VALUES ($1) RETURNING k");
    EXPECT_EQ(run_rows(*inner, {"7"}), (Lines{"7"}));
    ok("COMMIT");
    EXPECT_EQ(query("SELECT k FROM inner_t"), (Lines{"7"}));

    // A failed Parse fails the transaction, as any error does.
    ok("BEGIN");
    EXPECT_EQ(prepare_error("SELECT * FROM nowhere").sqlstate, "42P01");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::failed);
    ok("ROLLBACK");
    // So does a Bind with the wrong count.
    ok("BEGIN");
    EXPECT_EQ(session->execute_prepared(*insert, {}).error().sqlstate, "08P01");
    EXPECT_EQ(session->transaction_status(), TransactionStatus::failed);
    ok("ROLLBACK");
}

// --- the text format ------------------------------------------------------------------------

TEST_F(PreparedTest, ParametersFromText) {
    auto integer = parameter_from_text("42", Type::of(SqlType::integer));
    ASSERT_TRUE(integer.has_value());
    EXPECT_EQ(integer->as_int(), 42);
    EXPECT_EQ(integer->kind(), kernel::ValueKind::int32);

    SqlError bad = parameter_from_text("4x", Type::of(SqlType::integer)).error();
    EXPECT_EQ(bad.sqlstate, "22P02");
    EXPECT_EQ(bad.message, "invalid input syntax for type integer: \"4x\"");
    EXPECT_EQ(bad.position, 0);
    EXPECT_EQ(parameter_from_text("99999999999", Type::of(SqlType::integer)).error().sqlstate,
              "22003");
    EXPECT_EQ(parameter_from_text("maybe", Type::of(SqlType::boolean)).error().sqlstate, "22P02");
    EXPECT_EQ(parameter_from_text("2024-13-01", Type::of(SqlType::date)).error().sqlstate, "22008");

    const std::pair<SqlType, std::string_view> round_trips[] = {
        {SqlType::bigint, "-9223372036854775808"},
        {SqlType::numeric, "12.500"},
        {SqlType::boolean, "t"},
        {SqlType::text, "it's"},
        {SqlType::timestamptz, "2024-02-29 12:00:00+00"},
        {SqlType::uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        {SqlType::interval, "1 day 02:00:00"},
        {SqlType::jsonb, "{\"a\": [1, 2]}"},
        {SqlType::bytea, "\\x0102"},
    };
    for (const auto& [type, text] : round_trips) {
        auto value = parameter_from_text(text, Type::of(type));
        ASSERT_TRUE(value.has_value()) << text;
        EXPECT_EQ(value->kind(), kernel::value_kind_of(type)) << text;
        EXPECT_EQ(value_to_text(*value, Type::of(type)), text);
    }
}

TEST_F(PreparedTest, TextParametersRunLikeLiterals) {
    // The same statement with literals and with parameters gives the same rows.
    ok("INSERT INTO t VALUES (1, 'a', 10, 2.50, true), (2, 'b', 20, 3.75, false), "
       "(3, NULL, 30, NULL, NULL)");
    auto prepared = prepare(
        "SELECT a, d * $1, b || $2 FROM t WHERE c > $3 AND e IS DISTINCT FROM $4 "
        "ORDER BY a");
    ASSERT_TRUE(prepared);
    EXPECT_EQ(run_rows(*prepared, {"2", "!", "5", "false"}),
              query("SELECT a, d * 2, b || '!' FROM t WHERE c > 5 AND e IS DISTINCT FROM false "
                    "ORDER BY a"));
}

}  // namespace
}  // namespace kb::sql
