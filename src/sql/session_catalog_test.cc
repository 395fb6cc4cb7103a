// The system catalog's virtual tables through SQL sessions on a simulated node: what pg_type,
// pg_namespace, pg_class, pg_attribute, pg_database, pg_roles and information_schema.tables /
// .columns hold, name resolution with and without the schema, ordinary queries over them,
// transaction-local DDL and time travel, tenant isolation and privileges, and the refusal of
// writes.
#include <gtest/gtest.h>

#include <set>

#include "db/engine_test_support.h"
#include "kernel/access_reads.h"
#include "sql/bind_resolve.h"
#include "sql/catalog_tables.h"
#include "sql/session.h"
#include "sql/session_test_support.h"

namespace kb::sql {
namespace {

using testing::Lines;

class SessionCatalogTest : public testing::SessionTestBase {
protected:
    SessionCatalogTest() : SessionTestBase(53) {}

    // The oid pg_class gives a relation.
    std::string oid_of(std::string_view relation) {
        Lines found =
            rows("SELECT oid FROM pg_class WHERE relname = '" + std::string(relation) + "'");
        return found.size() == 1 ? found[0] : "?";
    }
    std::unique_ptr<Session> session_of_role(std::string_view name) {
        auto role = kernel::reads::find_role(node.engine().snapshot(), name);
        EXPECT_TRUE(role.has_value() && role->has_value()) << name;
        return std::make_unique<Session>(node, tenant,
                                         role && *role ? (**role).principal : PrincipalId(999));
    }
};

TEST_F(SessionCatalogTest, PgTypeHasPostgresOidsForEveryType) {
    EXPECT_EQ(rows("SELECT typname FROM pg_type WHERE oid = 23"), (Lines{"int4"}));
    EXPECT_EQ(
        rows("SELECT oid, typname, typlen, typbyval, typcategory, typarray, typinput "
             "FROM pg_catalog.pg_type WHERE typname IN ('varchar', 'timestamptz', 'uuid') "
             "ORDER BY oid"),
        (Lines{"1043|varchar|-1|f|S|1015|varcharin", "1184|timestamptz|8|t|D|1185|timestamptz_in",
               "2950|uuid|16|f|U|2951|uuid_in"}));
    EXPECT_EQ(rows("SELECT count(*) FROM pg_type WHERE typtype = 'b' AND typnamespace = 11"),
              (Lines{"17"}));
    EXPECT_EQ(rows("SELECT typname FROM pg_type WHERE typtype = 'p'"), (Lines{"unknown"}));
    // Every type a column can have is there, and format_type names it.
    EXPECT_EQ(rows("SELECT format_type(oid, NULL) FROM pg_type WHERE typname = 'float8'"),
              (Lines{"double precision"}));
}

TEST_F(SessionCatalogTest, NamespacesAndTheDatabase) {
    EXPECT_EQ(rows("SELECT oid, nspname FROM pg_namespace ORDER BY oid"),
              (Lines{"11|pg_catalog", "2200|public", "13207|information_schema"}));
    EXPECT_EQ(rows("SELECT datname, encoding, pg_encoding_to_char(encoding), datallowconn "
                   "FROM pg_database"),
              (Lines{"default|6|UTF8|t"}));
    EXPECT_EQ(rows("SELECT datname = current_database() FROM pg_database"), (Lines{"t"}));
}

TEST_F(SessionCatalogTest, PgClassAndPgAttributeDescribeTheTenantsRelations) {
    ok("CREATE TABLE t (id serial PRIMARY KEY, v varchar(10) NOT NULL, n numeric(10, 2) "
       "DEFAULT 0, ts timestamptz, c char(3), i int GENERATED ALWAYS AS IDENTITY)");
    ok("CREATE UNIQUE INDEX t_v_idx ON t (v)");
    EXPECT_EQ(rows("SELECT relname, relkind, relnatts, relhasindex, relam FROM pg_class WHERE "
                   "relnamespace = 2200 ORDER BY relname"),
              (Lines{"t|r|6|t|2", "t_i_seq|S|3|f|0", "t_id_seq|S|3|f|0", "t_pkey|i|1|f|403",
                     "t_v_idx|i|1|f|403"}));
    const std::string t = oid_of("t");
    EXPECT_EQ(t, std::to_string(std::stoull(t)));  // a number
    EXPECT_GE(std::stoull(t), kFirstUserOid);
    EXPECT_EQ(rows("SELECT attname, atttypid, attlen, attnum, atttypmod, attnotnull, atthasdef, "
                   "attidentity, attisdropped FROM pg_attribute WHERE attrelid = " +
                   t + " AND attnum > 0 ORDER BY attnum"),
              (Lines{"id|23|4|1|-1|t|t||f", "v|1043|-1|2|14|t|f||f", "n|1700|-1|3|655366|f|t||f",
                     "ts|1184|8|4|-1|f|f||f", "c|1042|-1|5|7|f|f||f", "i|23|4|6|-1|t|f|a|f"}));
    EXPECT_EQ(
        rows("SELECT attname, attnum FROM pg_attribute WHERE attrelid = " + oid_of("t_v_idx")),
        (Lines{"v|1"}));
    EXPECT_EQ(rows("SELECT attname FROM pg_attribute WHERE attrelid = " + oid_of("t_pkey")),
              (Lines{"id"}));
    EXPECT_EQ(rows("SELECT pg_table_is_visible(" + t +
                   "), pg_table_is_visible(1247), "
                   "pg_table_is_visible(999999)"),
              (Lines{"t|t|NULL"}));

    // Dropped columns leave a gap in attnum, as in PostgreSQL.
    ok("ALTER TABLE t DROP COLUMN n");
    EXPECT_EQ(rows("SELECT attname, attnum FROM pg_attribute WHERE attrelid = " + t +
                   " AND attnum BETWEEN 2 AND 4 ORDER BY attnum"),
              (Lines{"v|2", "ts|4"}));
    EXPECT_EQ(rows("SELECT relnatts FROM pg_class WHERE oid = " + t), (Lines{"6"}));

    // The catalog's own tables are relations of pg_catalog, with their columns.
    EXPECT_EQ(rows("SELECT oid, relkind FROM pg_class WHERE relname = 'pg_type'"),
              (Lines{"1247|r"}));
    EXPECT_EQ(rows("SELECT relkind, relnamespace FROM pg_class WHERE relname = 'columns'"),
              (Lines{"v|13207"}));
    EXPECT_EQ(rows("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = 2615 "
                   "ORDER BY attnum"),
              (Lines{"oid|20", "nspname|25", "nspowner|20"}));
}

TEST_F(SessionCatalogTest, InformationSchemaTablesAndColumns) {
    ok("CREATE TABLE accounts (id bigserial PRIMARY KEY, owner text NOT NULL, "
       "email varchar(200), balance numeric(12, 2) DEFAULT 0, opened date, "
       "n int GENERATED BY DEFAULT AS IDENTITY)");
    EXPECT_EQ(rows("SELECT table_catalog, table_schema, table_name, table_type, "
                   "is_insertable_into FROM information_schema.tables WHERE table_schema = "
                   "'public'"),
              (Lines{"default|public|accounts|BASE TABLE|YES"}));
    EXPECT_EQ(rows("SELECT table_name, table_type FROM information_schema.tables WHERE "
                   "table_schema = 'information_schema' ORDER BY table_name"),
              (Lines{"columns|VIEW", "tables|VIEW"}));
    EXPECT_EQ(
        rows("SELECT column_name, ordinal_position, column_default, is_nullable, data_type, "
             "character_maximum_length, numeric_precision, numeric_scale, datetime_precision, "
             "udt_name, is_identity, identity_generation FROM information_schema.columns WHERE "
             "table_name = 'accounts' ORDER BY ordinal_position"),
        (Lines{"id|1|nextval('accounts_id_seq'::regclass)|NO|bigint|NULL|64|0|NULL|int8|NO|NULL",
               "owner|2|NULL|NO|text|NULL|NULL|NULL|NULL|text|NO|NULL",
               "email|3|NULL|YES|character varying|200|NULL|NULL|NULL|varchar|NO|NULL",
               "balance|4|0|YES|numeric|NULL|12|2|NULL|numeric|NO|NULL",
               "opened|5|NULL|YES|date|NULL|NULL|NULL|0|date|NO|NULL",
               "n|6|NULL|NO|integer|NULL|32|0|NULL|int4|YES|BY DEFAULT"}));
    EXPECT_EQ(rows("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                   "'pg_catalog' AND table_name = 'pg_namespace'"),
              (Lines{"3"}));
}

TEST_F(SessionCatalogTest, NamesResolveAsThePostgresSearchPath) {
    // pg_catalog first: a public table of the same name is reached only qualified.
    ok("CREATE TABLE pg_type (id int PRIMARY KEY)");
    ok("INSERT INTO public.pg_type VALUES (1)");
    EXPECT_EQ(rows("SELECT count(*) FROM public.pg_type"), (Lines{"1"}));
    EXPECT_EQ(rows("SELECT typname FROM pg_type WHERE oid = 16"), (Lines{"bool"}));
    EXPECT_EQ(rows("SELECT typname FROM pg_catalog.pg_type WHERE oid = 16"), (Lines{"bool"}));
    // information_schema is not on the path.
    EXPECT_EQ(error("SELECT * FROM tables").sqlstate, "42P01");
    ok("CREATE TABLE tables (id int PRIMARY KEY)");
    EXPECT_EQ(rows("SELECT count(*) FROM tables"), (Lines{"0"}));
    // Unknown names in the system schemas.
    const SqlError missing = error("SELECT * FROM pg_catalog.pg_nothing");
    EXPECT_EQ(missing.sqlstate, "42P01");
    EXPECT_EQ(missing.message, "relation \"pg_catalog.pg_nothing\" does not exist");
    EXPECT_EQ(error("SELECT * FROM information_schema.views").sqlstate, "42P01");
    EXPECT_EQ(error("SELECT * FROM pg_proc").sqlstate, "42P01");
    // Aliases and qualified columns.
    EXPECT_EQ(rows("SELECT n.nspname FROM pg_namespace AS n WHERE n.oid = 2200"),
              (Lines{"public"}));
}

TEST_F(SessionCatalogTest, OrdinaryQueriesWork) {
    ok("CREATE TABLE a (id int PRIMARY KEY, x text, y int)");
    EXPECT_EQ(rows("SELECT relkind, count(*) FROM pg_class WHERE relnamespace = 2200 GROUP BY "
                   "relkind ORDER BY relkind"),
              (Lines{"i|1", "r|1"}));
    EXPECT_EQ(rows("SELECT typname FROM pg_type WHERE typlen = 8 ORDER BY typname DESC LIMIT 2"),
              (Lines{"timestamptz", "timestamp"}));
    EXPECT_EQ(rows("SELECT DISTINCT typcategory FROM pg_type WHERE typcategory IN ('N', 'S') "
                   "ORDER BY 1"),
              (Lines{"N", "S"}));
    EXPECT_EQ(rows("SELECT oid, count(*) FROM pg_type WHERE oid < 20 GROUP BY oid ORDER BY oid"),
              (Lines{"16|1", "17|1"}));
    EXPECT_EQ(rows("SELECT attname FROM pg_attribute WHERE attrelid = " + oid_of("a") +
                   " AND atttypid = 23 ORDER BY attnum"),
              (Lines{"id", "y"}));
    // INSERT ... SELECT from the catalog into a table.
    ok("CREATE TABLE names (name text PRIMARY KEY)");
    ok("INSERT INTO names SELECT nspname FROM pg_namespace");
    EXPECT_EQ(rows("SELECT count(*) FROM names"), (Lines{"3"}));
    // EXPLAIN shows a scan of the catalog table.
    EXPECT_EQ(rows("EXPLAIN SELECT typname FROM pg_type WHERE oid = 23"),
              (Lines{"Project", "  ->  Filter: (oid = 23)", "        ->  Seq Scan on pg_type"}));
    // A prepared statement reads fresh rows on every run.
    auto prepared = session->prepare("SELECT count(*) FROM pg_class WHERE relnamespace = $1");
    ASSERT_TRUE(prepared.has_value()) << prepared.error().to_string();
    std::vector<Value> public_ns = {Value::int64(2200)};
    auto before = session->execute_prepared(**prepared, public_ns);
    ASSERT_TRUE(before.has_value()) << before.error().to_string();
    ok("CREATE TABLE b (id int PRIMARY KEY)");
    auto after = session->execute_prepared(**prepared, public_ns);
    ASSERT_TRUE(after.has_value()) << after.error().to_string();
    EXPECT_EQ(after->rows[0][0].as_int(), before->rows[0][0].as_int() + 2);  // b and b_pkey
}

TEST_F(SessionCatalogTest, TransactionLocalDdlAndTimeTravelAreSeen) {
    ok("CREATE TABLE first (id int PRIMARY KEY)");
    ok("BEGIN");
    ok("CREATE TABLE inside (id int PRIMARY KEY, note text)");
    EXPECT_EQ(rows("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200 "
                   "ORDER BY relname"),
              (Lines{"first", "inside"}));
    EXPECT_EQ(rows("SELECT column_name FROM information_schema.columns WHERE table_name = "
                   "'inside' ORDER BY ordinal_position"),
              (Lines{"id", "note"}));
    ok("ROLLBACK");
    EXPECT_EQ(rows("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200"),
              (Lines{"first"}));
}

TEST_F(SessionCatalogTest, TimeTravelShowsThePastSchema) {
    ok("CREATE TABLE early (id int PRIMARY KEY)");
    const Position position = node.engine().snapshot().applied();
    ok("CREATE TABLE later (id int PRIMARY KEY)");
    ok("ALTER TABLE early ADD COLUMN extra text");
    ok("SET kimberlite.as_of_position = " + std::to_string(position.value()));
    EXPECT_EQ(rows("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200"),
              (Lines{"early"}));
    EXPECT_EQ(rows("SELECT column_name FROM information_schema.columns WHERE table_name = "
                   "'early'"),
              (Lines{"id"}));
    ok("RESET kimberlite.as_of_position");
    EXPECT_EQ(rows("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200 "
                   "ORDER BY relname"),
              (Lines{"early", "later"}));
}

TEST_F(SessionCatalogTest, TenantsSeeOnlyThemselves) {
    ok("CREATE TABLE mine (id int PRIMARY KEY)");
    auto created =
        node.submit_op(store::kSystemTenant, kernel::CreateTenantOp{.name = "other_tenant"});
    ASSERT_TRUE(created.has_value()) << created.status().to_string();
    ASSERT_EQ(created->outcome, kernel::Outcome::ok);
    Session elsewhere(node, created->applied.tenant, db::kAdminPrincipal);
    ok("CREATE TABLE theirs (id int PRIMARY KEY)", &elsewhere);
    EXPECT_EQ(rows("SELECT relname FROM pg_class WHERE relnamespace = 2200 AND relkind = 'r'",
                   &elsewhere),
              (Lines{"theirs"}));
    // pg_database lists names only: the superuser may connect to both.
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname", &elsewhere),
              (Lines{"default", "other_tenant"}));
    EXPECT_EQ(rows("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                   "'public'",
                   &elsewhere),
              (Lines{"theirs"}));
    EXPECT_EQ(rows("SELECT relname FROM pg_class WHERE relnamespace = 2200 AND relkind = 'r'"),
              (Lines{"mine"}));
    EXPECT_EQ(rows("SELECT datname FROM pg_database ORDER BY datname"),
              (Lines{"default", "other_tenant"}));
}

TEST_F(SessionCatalogTest, RolesAndPrivileges) {
    ok("CREATE TABLE open_t (id int PRIMARY KEY)");
    ok("CREATE TABLE secret (id int PRIMARY KEY)");
    ok("CREATE USER reader PASSWORD 'pw'");
    ok("CREATE ROLE boss SUPERUSER");
    EXPECT_EQ(rows("SELECT rolname, rolsuper, rolcanlogin, rolpassword, rolconnlimit FROM "
                   "pg_roles ORDER BY rolname"),
              (Lines{"boss|t|f|********|-1", "reader|f|t|********|-1"}));
    EXPECT_EQ(rows("SELECT pg_get_userbyid(oid) FROM pg_roles WHERE rolname = 'reader'"),
              (Lines{"reader"}));
    EXPECT_EQ(rows("SELECT pg_get_userbyid(999999)"), (Lines{"unknown (OID=999999)"}));
    ok("GRANT CONNECT ON DATABASE \"default\" TO reader");
    ok("GRANT SELECT ON open_t TO reader");
    std::unique_ptr<Session> reader = session_of_role("reader");
    EXPECT_EQ(rows("SELECT current_user", reader.get()), (Lines{"reader"}));
    // information_schema lists only what the role holds a privilege on; pg_class lists all.
    EXPECT_EQ(rows("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                   "'public'",
                   reader.get()),
              (Lines{"open_t"}));
    EXPECT_EQ(rows("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200",
                   reader.get()),
              (Lines{"2"}));
    EXPECT_EQ(rows("SELECT has_table_privilege('open_t', 'SELECT'), "
                   "has_table_privilege('open_t', 'INSERT'), "
                   "has_table_privilege('public.open_t', 'insert, select'), "
                   "has_table_privilege('secret', 'SELECT'), "
                   "has_table_privilege('pg_type', 'SELECT'), "
                   "has_table_privilege('pg_catalog.pg_type', 'UPDATE'), "
                   "has_table_privilege('open_t', 'SELECT WITH GRANT OPTION')",
                   reader.get()),
              (Lines{"t|f|t|f|t|f|f"}));
    EXPECT_EQ(rows("SELECT has_table_privilege('secret', 'DELETE'), "
                   "has_table_privilege('pg_type', 'INSERT')"),
              (Lines{"t|t"}));  // superusers hold everything
    EXPECT_EQ(error("SELECT has_table_privilege('nope', 'SELECT')").sqlstate, "42P01");
    EXPECT_EQ(error("SELECT has_table_privilege('open_t', 'bogus')").sqlstate, "22023");
    EXPECT_EQ(error("SELECT has_table_privilege('elsewhere.t', 'SELECT')").sqlstate, "3F000");
    // Without CONNECT on the database, not even its catalog.
    ok("CREATE ROLE outsider LOGIN");
    std::unique_ptr<Session> outsider = session_of_role("outsider");
    const SqlError refused = error("SELECT relname FROM pg_class", outsider.get());
    EXPECT_EQ(refused.sqlstate, "42501");
    EXPECT_EQ(refused.message, "permission denied for database \"default\"");
    EXPECT_EQ(error("SELECT * FROM information_schema.tables", outsider.get()).sqlstate, "42501");
    // A role that is no superuser writing to the catalog.
    EXPECT_EQ(error("INSERT INTO pg_type (oid) VALUES (1)", reader.get()).message,
              "permission denied for table pg_type");
}

TEST_F(SessionCatalogTest, WritesAreRefused) {
    struct Case {
        std::string_view sql;
        std::string_view sqlstate;
        std::string_view message;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"INSERT INTO pg_type (oid) VALUES (1)", "42501",
              "permission denied: \"pg_type\" is a system catalog"},
             {"UPDATE pg_catalog.pg_class SET relname = 'x'", "42501",
              "permission denied: \"pg_class\" is a system catalog"},
             {"DELETE FROM pg_namespace", "42501",
              "permission denied: \"pg_namespace\" is a system catalog"},
             {"TRUNCATE pg_attribute", "42501",
              "permission denied: \"pg_attribute\" is a system catalog"},
             {"DROP TABLE pg_type", "42501", "permission denied: \"pg_type\" is a system catalog"},
             {"ALTER TABLE pg_type ADD COLUMN x int", "42501",
              "permission denied: \"pg_type\" is a system catalog"},
             {"CREATE INDEX ON pg_type (typname)", "42501",
              "permission denied: \"pg_type\" is a system catalog"},
             {"CREATE TABLE pg_catalog.mine (id int PRIMARY KEY)", "42501",
              "permission denied to create \"pg_catalog.mine\""},
             {"INSERT INTO pg_roles (rolname) VALUES ('x')", "55000",
              "cannot insert into view \"pg_roles\""},
             {"UPDATE information_schema.columns SET column_name = 'x'", "55000",
              "cannot update view \"columns\""},
             {"DELETE FROM information_schema.tables", "55000",
              "cannot delete from view \"tables\""},
             {"TRUNCATE information_schema.tables", "42809", "\"tables\" is not a table"},
             {"DROP TABLE pg_roles", "42809", "\"pg_roles\" is not a table"},
             {"EXPLAIN DELETE FROM pg_type", "42501",
              "permission denied: \"pg_type\" is a system catalog"},
             {"INSERT INTO pg_catalog.nothing VALUES (1)", "42P01",
              "relation \"pg_catalog.nothing\" does not exist"},
         }) {
        const SqlError refused = error(c.sql);
        EXPECT_EQ(refused.sqlstate, c.sqlstate) << c.sql;
        EXPECT_EQ(refused.message, c.message) << c.sql;
    }
    // Also when prepared, and inside a transaction (which it fails).
    EXPECT_FALSE(session->prepare("DELETE FROM pg_type WHERE oid = $1").has_value());
    ok("BEGIN");
    EXPECT_EQ(error("DELETE FROM pg_type").sqlstate, "42501");
    EXPECT_EQ(error("SELECT 1").sqlstate, "25P02");
    ok("ROLLBACK");
    EXPECT_EQ(rows("SELECT count(*) FROM pg_namespace"), (Lines{"3"}));
}

TEST(SystemCatalog, EveryTableIsWellFormed) {
    std::set<u64> oids;
    for (const SystemTable& table : system_tables()) {
        EXPECT_TRUE(oids.insert(table.oid).second) << table.name;
        EXPECT_LT(table.oid, kFirstUserOid) << table.name;
        EXPECT_EQ(table.table.columns.size(), table.columns.size()) << table.name;
        EXPECT_EQ(find_system_table(table.schema, table.name), &table);
        EXPECT_NE(table.rows, nullptr);
    }
    EXPECT_EQ(find_system_table("", "pg_type"), find_system_table("pg_catalog", "pg_type"));
    EXPECT_EQ(find_system_table("", "tables"), nullptr);
    EXPECT_EQ(find_system_table("public", "pg_type"), nullptr);
}

}  // namespace
}  // namespace kb::sql
