// Statement parsing: each statement form of issue 5 and the tree it must become, compared
// through to_sql(), plus the fields the print does not show; several statements per string.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/parse.h"

namespace kb::sql {
namespace {

std::vector<ast::Statement> parse_ok(std::string_view text) {
    auto result = parse(text);
    EXPECT_TRUE(result.has_value()) << text << ": " << result.error().to_string();
    if (!result) return {};
    return std::move(result).value();
}

// The single statement in `text`.
ast::Statement parse_one(std::string_view text) {
    std::vector<ast::Statement> statements = parse_ok(text);
    EXPECT_EQ(statements.size(), 1u) << text;
    if (statements.size() != 1) return ast::Statement{.node = ast::ShowStatement{.name = "?"}};
    return std::move(statements[0]);
}

struct PrintCase {
    const char* sql;
    const char* printed;
};

constexpr PrintCase kStatements[] = {
    // SELECT
    {"select 1", "SELECT 1"},
    {"select", "SELECT"},
    {"select from t", "SELECT FROM t"},
    {"select a, b as c, d e, t.*, * from t", "SELECT a, b AS c, d AS e, t.*, * FROM t"},
    {"select distinct a from only public.t as x", "SELECT DISTINCT a FROM public.t AS x"},
    {"select a from t x where a > 1 and b", "SELECT a FROM t AS x WHERE ((a > 1) AND b)"},
    {"select a, count(*) from t group by 1, a having count(*) > 1",
     "SELECT a, count(*) FROM t GROUP BY 1, a HAVING (count(*) > 1)"},
    {"select a from t order by a desc nulls first, 2 asc, b nulls last",
     "SELECT a FROM t ORDER BY a DESC NULLS FIRST, 2, b NULLS LAST"},
    {"select a from t limit 10 offset 5", "SELECT a FROM t LIMIT 10 OFFSET 5"},
    {"select a from t offset $1 limit $2", "SELECT a FROM t LIMIT $2 OFFSET $1"},
    {"select a from t limit all", "SELECT a FROM t LIMIT NULL"},
    {"select a from t fetch first 3 rows only", "SELECT a FROM t LIMIT 3"},
    {"select a from t order by a fetch next row only", "SELECT a FROM t ORDER BY a LIMIT 1"},
    {"(select a from t)", "SELECT a FROM t"},
    {"table t", "SELECT * FROM t"},
    // INSERT
    {"insert into t values (1, default), (2, 3)", "INSERT INTO t VALUES (1, DEFAULT), (2, 3)"},
    {"insert into t (a, b) values ($1, $2)", "INSERT INTO t (a, b) VALUES ($1, $2)"},
    {"insert into t (a, b) select a, b from s where x = 1",
     "INSERT INTO t (a, b) SELECT a, b FROM s WHERE (x = 1)"},
    {"insert into t default values", "INSERT INTO t DEFAULT VALUES"},
    {"insert into t overriding system value values (1)",
     "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1)"},
    {"insert into t overriding user value values (1)",
     "INSERT INTO t OVERRIDING USER VALUE VALUES (1)"},
    {"insert into t values (1) on conflict do nothing",
     "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"},
    {"insert into t values (1) on conflict (a, b) do nothing",
     "INSERT INTO t VALUES (1) ON CONFLICT (a, b) DO NOTHING"},
    {"insert into t values (1) on conflict on constraint t_pkey do nothing",
     "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING"},
    {"insert into t as x values (1, 2) on conflict (a) do update set b = excluded.b + x.b, "
     "c = default where x.b < 10 returning *, a + 1 as z",
     "INSERT INTO t AS x VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = (excluded.b + x.b), "
     "c = DEFAULT WHERE (x.b < 10) RETURNING *, (a + 1) AS z"},
    {"insert into t values (1) returning a", "INSERT INTO t VALUES (1) RETURNING a"},
    // UPDATE, DELETE
    {"update t set a = a + 1, b = default where id = $1 returning a, b",
     "UPDATE t SET a = (a + 1), b = DEFAULT WHERE (id = $1) RETURNING a, b"},
    {"update t x set a = 1", "UPDATE t AS x SET a = 1"},
    {"update only public.t set a = 1", "UPDATE public.t SET a = 1"},
    {"delete from t where a = 1 returning *", "DELETE FROM t WHERE (a = 1) RETURNING *"},
    {"delete from t as x", "DELETE FROM t AS x"},
    // CREATE TABLE
    {"create table t (id bigint primary key)", "CREATE TABLE t (id bigint PRIMARY KEY)"},
    {"create table if not exists public.t (a int)",
     "CREATE TABLE IF NOT EXISTS public.t (a integer)"},
    {"create table t (id serial, b bigserial, c smallserial, d serial4, e serial8, f serial2)",
     "CREATE TABLE t (id serial, b bigserial, c smallserial, d serial, e bigserial, "
     "f smallserial)"},
    {"create table t (a int not null default 5, b text null, c varchar(10) unique, "
     "d numeric(10,2) check (d > 0), e timestamptz default now())",
     "CREATE TABLE t (a integer NOT NULL DEFAULT 5, b text NULL, c character varying(10) "
     "UNIQUE, d numeric(10,2) CHECK ((d > 0)), e timestamp with time zone DEFAULT now())"},
    {"create table t (a int references p, b int references p (x) on delete cascade, "
     "c int references p on delete restrict on update restrict, d int references p on delete "
     "no action)",
     "CREATE TABLE t (a integer REFERENCES p, b integer REFERENCES p (x) ON DELETE CASCADE, "
     "c integer REFERENCES p ON DELETE RESTRICT ON UPDATE RESTRICT, d integer REFERENCES p)"},
    {"create table t (a int generated always as identity, b bigint generated by default as "
     "identity (start with 10 increment by -2 minvalue -100 no maxvalue cycle))",
     "CREATE TABLE t (a integer GENERATED ALWAYS AS IDENTITY, b bigint GENERATED BY DEFAULT "
     "AS IDENTITY (START WITH 10 INCREMENT BY -2 MINVALUE -100 CYCLE))"},
    {"create table t (a int constraint a_nn not null constraint a_pk primary key not deferrable "
     "initially immediate)",
     "CREATE TABLE t (a integer CONSTRAINT a_nn NOT NULL CONSTRAINT a_pk PRIMARY KEY)"},
    {"create table t (a int, b int, primary key (a, b), unique (b), constraint c check (a < b), "
     "foreign key (a) references p (x) on delete cascade, constraint fk foreign key (a, b) "
     "references q)",
     "CREATE TABLE t (a integer, b integer, PRIMARY KEY (a, b), UNIQUE (b), CONSTRAINT c CHECK "
     "((a < b)), FOREIGN KEY (a) REFERENCES p (x) ON DELETE CASCADE, CONSTRAINT fk FOREIGN KEY "
     "(a, b) REFERENCES q)"},
    {"create table t (a char, b char(3), c character varying, d double precision, e real, "
     "f float(10), g float(30), h decimal, i dec(5), j bytea, k date, l timestamp, m interval, "
     "n uuid, o jsonb, p smallint, q integer, r bigint, s boolean, t int2, u int4, v int8, "
     "w float4, x float8, y bool, z text, aa timestamp with time zone, ab timestamp(6))",
     "CREATE TABLE t (a character(1), b character(3), c character varying, d double precision, "
     "e real, f real, g double precision, h numeric, i numeric(5,0), j bytea, k date, "
     "l timestamp without time zone, m interval, n uuid, o jsonb, p smallint, q integer, "
     "r bigint, s boolean, t smallint, u integer, v bigint, w real, x double precision, "
     "y boolean, z text, aa timestamp with time zone, ab timestamp without time zone)"},
    {"create table \"T\" (\"Select\" int)", "CREATE TABLE \"T\" (\"Select\" integer)"},
    // DROP, INDEX, ALTER, TRUNCATE
    {"drop table t", "DROP TABLE t"},
    {"drop table if exists a, public.b restrict", "DROP TABLE IF EXISTS a, public.b"},
    {"create index on t (a)", "CREATE INDEX ON t (a)"},
    {"create unique index if not exists i on t using btree (a desc nulls last, b nulls first, c "
     "asc)",
     "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC NULLS LAST, b NULLS FIRST, c)"},
    {"drop index i", "DROP INDEX i"},
    {"drop index if exists i, public.j", "DROP INDEX IF EXISTS i, public.j"},
    {"alter table t add column x int not null default 0",
     "ALTER TABLE t ADD COLUMN x integer "
     "NOT NULL DEFAULT 0"},
    {"alter table if exists only t add if not exists x text, drop column if exists y, drop z",
     "ALTER TABLE IF EXISTS t ADD COLUMN IF NOT EXISTS x text, DROP COLUMN IF EXISTS y, "
     "DROP COLUMN z"},
    {"truncate t", "TRUNCATE t"},
    {"truncate table only a, b continue identity restrict", "TRUNCATE a, b"},
    // transactions
    {"begin", "BEGIN"},
    {"begin work", "BEGIN"},
    {"begin transaction isolation level repeatable read, read only",
     "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"},
    {"start transaction isolation level serializable read write not deferrable",
     "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE, NOT DEFERRABLE"},
    {"start transaction isolation level read uncommitted, deferrable",
     "BEGIN ISOLATION LEVEL READ UNCOMMITTED, DEFERRABLE"},
    {"commit", "COMMIT"},
    {"commit work", "COMMIT"},
    {"end", "COMMIT"},
    {"end transaction", "COMMIT"},
    {"rollback", "ROLLBACK"},
    {"abort", "ROLLBACK"},
    {"savepoint s1", "SAVEPOINT s1"},
    {"release savepoint s1", "RELEASE SAVEPOINT s1"},
    {"release s1", "RELEASE SAVEPOINT s1"},
    {"rollback to savepoint s1", "ROLLBACK TO SAVEPOINT s1"},
    {"rollback work to s1", "ROLLBACK TO SAVEPOINT s1"},
    {"set transaction isolation level read committed",
     "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"},
    {"set transaction read only", "SET TRANSACTION READ ONLY"},
    // settings
    {"set a = 1", "SET a TO 1"},
    {"set a to on", "SET a TO 'on'"},
    {"set local search_path = a, 'b', 1.5, -3", "SET LOCAL search_path TO 'a', 'b', 1.5, -3"},
    {"set session application_name to 'psql'", "SET application_name TO 'psql'"},
    {"set time zone 'UTC'", "SET timezone TO 'UTC'"},
    {"set time zone local", "SET timezone TO DEFAULT"},
    {"set names 'utf8'", "SET client_encoding TO 'utf8'"},
    {"set x to default", "SET x TO DEFAULT"},
    {"set kimberlite.as_of_position = 42", "SET kimberlite.as_of_position TO 42"},
    {"set kimberlite.as_of_timestamp = '2024-01-01 00:00:00+00'",
     "SET kimberlite.as_of_timestamp TO '2024-01-01 00:00:00+00'"},
    {"reset all", "RESET ALL"},
    {"reset kimberlite.as_of_position", "RESET kimberlite.as_of_position"},
    {"reset time zone", "RESET timezone"},
    {"show all", "SHOW ALL"},
    {"show search_path", "SHOW search_path"},
    {"show time zone", "SHOW timezone"},
    {"show transaction isolation level", "SHOW transaction_isolation"},
    // EXPLAIN
    {"explain select 1", "EXPLAIN SELECT 1"},
    {"explain verbose delete from t", "EXPLAIN VERBOSE DELETE FROM t"},
    {"explain (costs off, format text, verbose true) update t set a = 1",
     "EXPLAIN VERBOSE UPDATE t SET a = 1"},
    {"explain (analyze false) insert into t values (1)", "EXPLAIN INSERT INTO t VALUES (1)"},
    // roles and privileges
    {"create role r", "CREATE ROLE r"},
    {"create user \"Bob\" with password 'pw'", "CREATE USER \"Bob\" WITH PASSWORD 'pw'"},
    {"create role r login superuser encrypted password 'it''s'",
     "CREATE ROLE r WITH LOGIN SUPERUSER PASSWORD 'it''s'"},
    {"create role r with nologin nosuperuser password null",
     "CREATE ROLE r WITH NOLOGIN NOSUPERUSER PASSWORD NULL"},
    {"create role r inherit nocreatedb nocreaterole noreplication nobypassrls connection limit -1",
     "CREATE ROLE r"},
    {"alter role r with password 'x'", "ALTER ROLE r WITH PASSWORD 'x'"},
    {"alter user current_user password 'x'", "ALTER ROLE CURRENT_USER WITH PASSWORD 'x'"},
    {"alter role r nologin", "ALTER ROLE r WITH NOLOGIN"},
    {"drop role r", "DROP ROLE r"},
    {"drop user if exists a, b", "DROP ROLE IF EXISTS a, b"},
    {"grant select, insert on t, public.s to a, b",
     "GRANT select, insert ON TABLE t, public.s TO a, b"},
    {"grant all on table t to a", "GRANT ALL PRIVILEGES ON TABLE t TO a"},
    {"revoke all privileges on all tables in schema public from a",
     "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM a"},
    {"grant connect on database app to current_user",
     "GRANT connect ON DATABASE app TO CURRENT_USER"},
    {"revoke delete, truncate, update on t from a",
     "REVOKE delete, truncate, update ON TABLE t FROM a"},
    // COPY and databases
    {"copy t from stdin", "COPY t FROM STDIN"},
    {"copy s.t (a, \"B\") from stdin with (format csv, header match, delimiter ';', null '', "
     "force_not_null (a), quote '\"', escape '\\') where a > 1",
     "COPY s.t (a, \"B\") FROM STDIN WITH (format 'csv', header 'match', delimiter ';', "
     "\"null\" '', force_not_null (a), quote '\"', escape '\\') WHERE (a > 1)"},
    {"copy t to stdout csv header force quote *",
     "COPY t TO STDOUT WITH (format 'csv', header 'true', force_quote *)"},
    {"copy (select a from t order by a) to stdout (format text, header 0)",
     "COPY (SELECT a FROM t ORDER BY a) TO STDOUT WITH (format 'text', header 0)"},
    {"copy t from stdin delimiter '|' null 'x' freeze",
     "COPY t FROM STDIN WITH (delimiter '|', \"null\" 'x', \"freeze\" 'true')"},
    {"create database shop", "CREATE DATABASE shop"},
    {"create database \"Shop\" with owner = admin encoding 'UTF8' template template0 "
     "connection limit -1 is_template = false tablespace = default",
     "CREATE DATABASE \"Shop\" owner = 'admin' encoding = 'UTF8' template = 'template0' "
     "connection_limit = -1 is_template = 'false' tablespace = DEFAULT"},
    {"drop database shop", "DROP DATABASE shop"},
    {"drop database if exists shop with (force)", "DROP DATABASE IF EXISTS shop WITH (FORCE)"},
};

TEST(ParseStatement, PrintsEveryFormAsPostgresShapesIt) {
    for (const PrintCase& c : kStatements) {
        std::vector<ast::Statement> statements = parse_ok(c.sql);
        if (statements.size() != 1) {
            ADD_FAILURE() << c.sql << ": " << statements.size() << " statements";
            continue;
        }
        EXPECT_EQ(ast::to_sql(statements[0]), c.printed) << c.sql;
    }
}

TEST(ParseStatement, PrintedFormParsesToTheSameTree) {
    for (const PrintCase& c : kStatements) {
        std::vector<ast::Statement> statements = parse_ok(c.printed);
        if (statements.size() != 1) continue;
        EXPECT_EQ(ast::to_sql(statements[0]), c.printed) << c.printed;
    }
}

TEST(ParseStatement, SelectClauses) {
    ast::Statement statement = parse_one(
        "SELECT DISTINCT a AS x, t.* FROM s.t AS u WHERE b GROUP BY a HAVING c ORDER BY x DESC "
        "LIMIT 3 OFFSET 4");
    const auto* select = statement.as<ast::SelectStatement>();
    ASSERT_NE(select, nullptr);
    EXPECT_TRUE(select->distinct);
    ASSERT_EQ(select->targets.size(), 2u);
    EXPECT_EQ(select->targets[0].alias, "x");
    EXPECT_EQ(select->targets[0].position, 17);
    const auto* star = select->targets[1].expr->as<ast::ColumnRef>();
    ASSERT_NE(star, nullptr);
    EXPECT_TRUE(star->star);
    EXPECT_EQ(star->table, "t");
    ASSERT_TRUE(select->from.has_value());
    EXPECT_EQ(select->from->schema, "s");
    EXPECT_EQ(select->from->name, "t");
    EXPECT_EQ(select->from->alias, "u");
    EXPECT_EQ(select->from->position, 34);
    EXPECT_TRUE(select->where);
    EXPECT_EQ(select->group_by.size(), 1u);
    EXPECT_TRUE(select->having);
    ASSERT_EQ(select->order_by.size(), 1u);
    EXPECT_TRUE(select->order_by[0].descending);
    EXPECT_EQ(select->order_by[0].nulls, kernel::NullsOrder::standard);
    ASSERT_TRUE(select->limit);
    EXPECT_EQ(select->limit->as<ast::Literal>()->integer, 3);
    ASSERT_TRUE(select->offset);
    EXPECT_EQ(select->offset->as<ast::Literal>()->integer, 4);
}

TEST(ParseStatement, InsertSources) {
    ast::Statement values = parse_one("INSERT INTO t (a, b) VALUES (1, DEFAULT), (2, 3)");
    const auto* insert = values.as<ast::InsertStatement>();
    ASSERT_NE(insert, nullptr);
    EXPECT_EQ(insert->source, ast::InsertSource::values);
    ASSERT_EQ(insert->columns.size(), 2u);
    EXPECT_EQ(insert->columns[1].name, "b");
    EXPECT_EQ(insert->columns[1].position, 19);
    ASSERT_EQ(insert->rows.size(), 2u);
    EXPECT_TRUE(insert->rows[0][1]->is<ast::DefaultValue>());
    EXPECT_EQ(insert->rows[0][1]->position, 33);
    EXPECT_EQ(insert->table.position, 13);

    ast::Statement select = parse_one("INSERT INTO t SELECT * FROM s");
    ASSERT_NE(select.as<ast::InsertStatement>(), nullptr);
    EXPECT_EQ(select.as<ast::InsertStatement>()->source, ast::InsertSource::select);
    ASSERT_TRUE(select.as<ast::InsertStatement>()->select);
    EXPECT_EQ(select.as<ast::InsertStatement>()->select->from->name, "s");

    ast::Statement defaults = parse_one("INSERT INTO t DEFAULT VALUES");
    ASSERT_NE(defaults.as<ast::InsertStatement>(), nullptr);
    EXPECT_EQ(defaults.as<ast::InsertStatement>()->source, ast::InsertSource::default_values);
}

TEST(ParseStatement, OnConflict) {
    ast::Statement statement = parse_one(
        "INSERT INTO t VALUES (1) ON CONFLICT (a, b) DO UPDATE SET c = EXCLUDED.c WHERE t.d");
    const auto* insert = statement.as<ast::InsertStatement>();
    ASSERT_NE(insert, nullptr);
    ASSERT_TRUE(insert->on_conflict.has_value());
    const ast::OnConflict& conflict = *insert->on_conflict;
    EXPECT_EQ(conflict.action, ast::ConflictAction::update);
    ASSERT_EQ(conflict.target_columns.size(), 2u);
    EXPECT_EQ(conflict.target_columns[0].name, "a");
    EXPECT_TRUE(conflict.constraint_name.empty());
    ASSERT_EQ(conflict.set.size(), 1u);
    EXPECT_EQ(conflict.set[0].column, "c");
    EXPECT_EQ(conflict.set[0].position, 59);
    const auto* excluded = conflict.set[0].value->as<ast::ColumnRef>();
    ASSERT_NE(excluded, nullptr);
    EXPECT_EQ(excluded->table, "excluded");
    EXPECT_TRUE(conflict.where);
    EXPECT_EQ(conflict.position, 26);

    ast::Statement named =
        parse_one("INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_a_key DO NOTHING");
    const auto& on = *named.as<ast::InsertStatement>()->on_conflict;
    EXPECT_EQ(on.action, ast::ConflictAction::nothing);
    EXPECT_EQ(on.constraint_name, "t_a_key");
    EXPECT_TRUE(on.target_columns.empty());
}

TEST(ParseStatement, CreateTableConstraints) {
    ast::Statement statement = parse_one(
        "CREATE TABLE t (id bigserial PRIMARY KEY, a int NOT NULL DEFAULT 1 CHECK (a > 0), "
        "b int GENERATED BY DEFAULT AS IDENTITY (START WITH 7 INCREMENT BY 3), "
        "c int REFERENCES p (x) ON DELETE CASCADE, "
        "CONSTRAINT t_u UNIQUE (a, b), FOREIGN KEY (c) REFERENCES p ON UPDATE RESTRICT)");
    const auto* create = statement.as<ast::CreateTableStatement>();
    ASSERT_NE(create, nullptr);
    ASSERT_EQ(create->columns.size(), 4u);

    const ast::ColumnDefinition& id = create->columns[0];
    EXPECT_EQ(id.name, "id");
    EXPECT_TRUE(id.serial);
    EXPECT_EQ(id.type.type.type, kernel::SqlType::bigint);
    ASSERT_EQ(id.constraints.size(), 1u);
    EXPECT_EQ(id.constraints[0].kind, ast::ConstraintKind::primary_key);
    EXPECT_TRUE(id.constraints[0].columns.empty());
    EXPECT_EQ(id.position, 17);

    const ast::ColumnDefinition& a = create->columns[1];
    EXPECT_FALSE(a.serial);
    ASSERT_EQ(a.constraints.size(), 3u);
    EXPECT_EQ(a.constraints[0].kind, ast::ConstraintKind::not_null);
    EXPECT_EQ(a.constraints[1].kind, ast::ConstraintKind::default_value);
    EXPECT_EQ(ast::to_sql(*a.constraints[1].expr), "1");
    EXPECT_EQ(a.constraints[2].kind, ast::ConstraintKind::check);
    EXPECT_EQ(ast::to_sql(*a.constraints[2].expr), "(a > 0)");

    const ast::Constraint& identity = create->columns[2].constraints.at(0);
    EXPECT_EQ(identity.kind, ast::ConstraintKind::identity);
    EXPECT_EQ(identity.identity, kernel::Identity::by_default);
    EXPECT_EQ(identity.sequence.start, 7);
    EXPECT_EQ(identity.sequence.increment, 3);
    EXPECT_FALSE(identity.sequence.min_value.has_value());

    const ast::Constraint& fk = create->columns[3].constraints.at(0);
    EXPECT_EQ(fk.kind, ast::ConstraintKind::foreign_key);
    ASSERT_TRUE(fk.references.has_value());
    EXPECT_EQ(fk.references->table.name, "p");
    ASSERT_EQ(fk.references->columns.size(), 1u);
    EXPECT_EQ(fk.references->columns[0].name, "x");
    EXPECT_EQ(fk.references->on_delete, kernel::ReferentialAction::cascade);
    EXPECT_EQ(fk.references->on_update, kernel::ReferentialAction::no_action);

    ASSERT_EQ(create->constraints.size(), 2u);
    EXPECT_EQ(create->constraints[0].name, "t_u");
    EXPECT_EQ(create->constraints[0].kind, ast::ConstraintKind::unique);
    ASSERT_EQ(create->constraints[0].columns.size(), 2u);
    EXPECT_EQ(create->constraints[0].columns[1].name, "b");
    const ast::Constraint& table_fk = create->constraints[1];
    EXPECT_EQ(table_fk.kind, ast::ConstraintKind::foreign_key);
    ASSERT_EQ(table_fk.columns.size(), 1u);
    EXPECT_EQ(table_fk.columns[0].name, "c");
    EXPECT_TRUE(table_fk.references->columns.empty());
    EXPECT_EQ(table_fk.references->on_update, kernel::ReferentialAction::restrict);
    EXPECT_EQ(table_fk.references->on_delete, kernel::ReferentialAction::no_action);
}

TEST(ParseStatement, AlterTableActions) {
    ast::Statement statement =
        parse_one("ALTER TABLE t ADD COLUMN IF NOT EXISTS x int, DROP COLUMN IF EXISTS y");
    const auto* alter = statement.as<ast::AlterTableStatement>();
    ASSERT_NE(alter, nullptr);
    ASSERT_EQ(alter->actions.size(), 2u);
    EXPECT_EQ(alter->actions[0].kind, ast::AlterKind::add_column);
    EXPECT_TRUE(alter->actions[0].missing_ok);
    EXPECT_EQ(alter->actions[0].column.name, "x");
    EXPECT_EQ(alter->actions[0].position, 40);
    EXPECT_EQ(alter->actions[1].kind, ast::AlterKind::drop_column);
    EXPECT_TRUE(alter->actions[1].missing_ok);
    EXPECT_EQ(alter->actions[1].column_name, "y");
}

TEST(ParseStatement, TransactionModes) {
    ast::Statement begin = parse_one("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const auto* t = begin.as<ast::TransactionStatement>();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->kind, ast::TransactionKind::begin);
    EXPECT_EQ(t->isolation, ast::IsolationLevel::repeatable_read);
    EXPECT_EQ(t->read_only, true);
    EXPECT_FALSE(t->deferrable.has_value());

    ast::Statement savepoint = parse_one("ROLLBACK TO SAVEPOINT \"Sp\"");
    const auto* s = savepoint.as<ast::TransactionStatement>();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->kind, ast::TransactionKind::rollback_to);
    EXPECT_EQ(s->savepoint, "Sp");
}

TEST(ParseStatement, SetValues) {
    ast::Statement statement = parse_one("SET LOCAL search_path = a, 'b', 1.5, -3");
    const auto* set = statement.as<ast::SetStatement>();
    ASSERT_NE(set, nullptr);
    EXPECT_TRUE(set->local);
    EXPECT_EQ(set->name, "search_path");
    ASSERT_EQ(set->values.size(), 4u);
    EXPECT_EQ(set->values[0].kind, ast::SetValue::Kind::string);
    EXPECT_EQ(set->values[0].text, "a");
    EXPECT_EQ(set->values[0].position, 25);
    EXPECT_EQ(set->values[2].kind, ast::SetValue::Kind::number);
    EXPECT_EQ(set->values[2].text, "1.5");
    EXPECT_EQ(set->values[3].text, "-3");

    ast::Statement reset = parse_one("RESET ALL");
    ASSERT_NE(reset.as<ast::ResetStatement>(), nullptr);
    EXPECT_TRUE(reset.as<ast::ResetStatement>()->all);
}

TEST(ParseStatement, RoleOptionsAndGrants) {
    ast::Statement user = parse_one("create user u");
    ASSERT_TRUE(user.is<ast::CreateRoleStatement>());
    EXPECT_TRUE(user.as<ast::CreateRoleStatement>()->user) << "USER implies LOGIN at run time";
    EXPECT_FALSE(user.as<ast::CreateRoleStatement>()->options.login.has_value());
    ast::Statement null_password = parse_one("alter role r password null");
    const ast::RoleOptions& options = null_password.as<ast::AlterRoleStatement>()->options;
    EXPECT_TRUE(options.password_given);
    EXPECT_FALSE(options.password.has_value());
    // An option twice is PostgreSQL's 42601.
    auto twice = parse("create role r login nologin");
    ASSERT_FALSE(twice.has_value());
    EXPECT_EQ(twice.error().sqlstate, sqlstate::kSyntaxError);
    EXPECT_EQ(twice.error().message, "conflicting or redundant options");
    auto drop_current = parse("drop role current_user");
    ASSERT_FALSE(drop_current.has_value());
    EXPECT_EQ(drop_current.error().message, "cannot use special role specifier in DROP ROLE");

    ast::Statement grant = parse_one("grant select on all tables in schema public, x to r");
    const auto& g = *grant.as<ast::GrantStatement>();
    EXPECT_EQ(g.object, ast::GrantObjectKind::all_tables_in_schema);
    EXPECT_EQ(g.names, (std::vector<std::string>{"public", "x"}));
    EXPECT_FALSE(g.revoke);
}

TEST(ParseStatement, ExplainHoldsTheStatement) {
    ast::Statement statement = parse_one("EXPLAIN VERBOSE SELECT a FROM t");
    const auto* explain = statement.as<ast::ExplainStatement>();
    ASSERT_NE(explain, nullptr);
    EXPECT_TRUE(explain->verbose);
    ASSERT_TRUE(explain->statement);
    ASSERT_NE(explain->statement->as<ast::SelectStatement>(), nullptr);
    EXPECT_EQ(explain->statement->as<ast::SelectStatement>()->from->name, "t");
}

// The simple query protocol sends several statements in one string; positions stay relative
// to the whole string, as PostgreSQL reports them.
TEST(ParseStatement, SeveralStatementsPerString) {
    std::vector<ast::Statement> statements =
        parse_ok("SELECT 1;  select 'é' + x ;; -- note\n INSERT INTO t VALUES (2);");
    ASSERT_EQ(statements.size(), 3u);
    EXPECT_EQ(statements[0].text, "SELECT 1");
    EXPECT_EQ(statements[0].position, 1);
    EXPECT_EQ(statements[1].text, "select 'é' + x");
    EXPECT_EQ(statements[1].position, 12);
    const auto* select = statements[1].as<ast::SelectStatement>();
    ASSERT_NE(select, nullptr);
    EXPECT_EQ(select->targets[0].expr->position, 23);  // the + after a two-byte character
    EXPECT_EQ(statements[2].text, "INSERT INTO t VALUES (2)");
    EXPECT_EQ(statements[2].position, 39);
    ASSERT_NE(statements[2].as<ast::InsertStatement>(), nullptr);
}

TEST(ParseStatement, EmptyInputHasNoStatements) {
    for (const char* text : {"", "   ", ";", ";;  ;", "-- only a comment", "/* c */ ;"}) {
        std::vector<ast::Statement> statements = parse_ok(text);
        EXPECT_TRUE(statements.empty()) << text;
    }
}

TEST(ParseStatement, LargeFlatStatementsParse) {
    // Width is not depth: long lists and long AND/OR chains are flat in PostgreSQL's tree.
    std::string insert = "INSERT INTO t VALUES (0, 'x')";
    for (int i = 1; i < 5000; ++i) insert += ", (" + std::to_string(i) + ", 'x')";
    std::vector<ast::Statement> rows = parse_ok(insert);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].as<ast::InsertStatement>()->rows.size(), 5000u);

    std::string where = "SELECT a FROM t WHERE a = 0";
    for (int i = 1; i < 2000; ++i) where += " OR a = " + std::to_string(i) + " AND b IS NOT NULL";
    std::vector<ast::Statement> select = parse_ok(where);
    ASSERT_EQ(select.size(), 1u);

    std::string in = "SELECT a FROM t WHERE a IN (0";
    for (int i = 1; i < 5000; ++i) in += ", " + std::to_string(i);
    std::vector<ast::Statement> list = parse_ok(in + ")");
    ASSERT_EQ(list.size(), 1u);
}

}  // namespace
}  // namespace kb::sql
