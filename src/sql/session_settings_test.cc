// What drivers ask on connect, through SQL sessions on a simulated node: SET / RESET / SHOW of
// the common parameters with PostgreSQL's values, spellings and errors, and the session
// functions (version(), current_database(), current_user, current_setting(), set_config(), ...).
#include <gtest/gtest.h>

#include "db/engine_test_support.h"
#include "kernel/access_reads.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"
#include "sql/session_settings.h"
#include "sql/session_test_support.h"

namespace kb::sql {
namespace {

using testing::Lines;

class SessionSettingsTest : public testing::SessionTestBase {
protected:
    SessionSettingsTest() : SessionTestBase(47) {}

    std::string state(std::string_view sql) { return error(sql).sqlstate; }

    std::string show(std::string_view name) {
        Lines lines = rows("SHOW " + std::string(name));
        return lines.size() == 1 ? lines[0] : "?";
    }
    // SET name = value, then SHOW name.
    std::string set_and_show(std::string_view name, std::string_view value) {
        ok("SET " + std::string(name) + " = " + std::string(value));
        return show(name);
    }
};

TEST_F(SessionSettingsTest, ShowsWhatPostgresReportsToDrivers) {
    EXPECT_EQ(show("server_version"), "15.8");
    EXPECT_EQ(show("server_version_num"), "150008");
    EXPECT_EQ(show("server_encoding"), "UTF8");
    EXPECT_EQ(show("client_encoding"), "UTF8");
    EXPECT_EQ(show("DateStyle"), "ISO, MDY");
    EXPECT_EQ(show("TimeZone"), "UTC");
    EXPECT_EQ(show("TIME ZONE"), "UTC");
    EXPECT_EQ(show("IntervalStyle"), "postgres");
    EXPECT_EQ(show("integer_datetimes"), "on");
    EXPECT_EQ(show("standard_conforming_strings"), "on");
    EXPECT_EQ(show("extra_float_digits"), "1");
    EXPECT_EQ(show("search_path"), "\"$user\", public");
    EXPECT_EQ(show("transaction_isolation"), "serializable");
    EXPECT_EQ(show("TRANSACTION ISOLATION LEVEL"), "serializable");
    EXPECT_EQ(show("default_transaction_isolation"), "serializable");
    EXPECT_EQ(show("max_identifier_length"), "63");
    EXPECT_EQ(show("lc_collate"), "C");
    EXPECT_EQ(show("statement_timeout"), "0");
    EXPECT_EQ(show("is_superuser"), "on");
    EXPECT_EQ(show("session_authorization"), "admin");
    EXPECT_EQ(show("bytea_output"), "hex");
    // SHOW's column is named as PostgreSQL spells the parameter, whatever the case written.
    EXPECT_EQ(ok("SHOW datestyle").columns[0].name, "DateStyle");
    EXPECT_EQ(ok("SHOW TIME ZONE").columns[0].name, "TimeZone");
    EXPECT_EQ(ok("SHOW TRANSACTION ISOLATION LEVEL").columns[0].name, "transaction_isolation");
    EXPECT_EQ(state("SHOW no_such_parameter"), "42704");
}

TEST_F(SessionSettingsTest, ShowAllListsEveryParameterSortedByName) {
    StatementResult all = ok("SHOW ALL");
    ASSERT_EQ(all.columns.size(), 3U);
    EXPECT_EQ(all.columns[0].name, "name");
    EXPECT_EQ(all.columns[1].name, "setting");
    EXPECT_EQ(all.columns[2].name, "description");
    ASSERT_GT(all.rows.size(), 30U);
    std::string previous;
    bool saw_datestyle = false;
    for (const Row& row : all.rows) {
        std::string key = row[0].as_text();
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_LT(previous, key);
        previous = key;
        if (row[0].as_text() == "DateStyle") {
            saw_datestyle = true;
            EXPECT_EQ(row[1].as_text(), "ISO, MDY");
            EXPECT_FALSE(row[2].as_text().empty());
        }
    }
    EXPECT_TRUE(saw_datestyle);
}

TEST_F(SessionSettingsTest, DriverSetsAreAcceptedAndShownAsPostgresShowsThem) {
    EXPECT_EQ(set_and_show("client_encoding", "'utf-8'"), "UTF8");
    EXPECT_EQ(set_and_show("client_encoding", "'UNICODE'"), "UTF8");
    EXPECT_EQ(set_and_show("client_encoding", "'SQL_ASCII'"), "SQL_ASCII");
    ok("SET NAMES 'UTF8'");
    EXPECT_EQ(show("client_encoding"), "UTF8");
    EXPECT_EQ(set_and_show("DateStyle", "ISO"), "ISO, MDY");
    EXPECT_EQ(set_and_show("DateStyle", "ISO, MDY"), "ISO, MDY");
    EXPECT_EQ(set_and_show("datestyle", "'iso, mdy'"), "ISO, MDY");
    EXPECT_EQ(set_and_show("TimeZone", "'utc'"), "UTC");
    EXPECT_EQ(set_and_show("TimeZone", "'Etc/UTC'"), "Etc/UTC");
    ok("SET TIME ZONE 'GMT'");
    EXPECT_EQ(show("TimeZone"), "GMT");
    ok("SET TIME ZONE LOCAL");
    EXPECT_EQ(show("TimeZone"), "UTC");
    EXPECT_EQ(set_and_show("extra_float_digits", "3"), "3");
    EXPECT_EQ(set_and_show("application_name", "'PostgreSQL JDBC Driver'"),
              "PostgreSQL JDBC Driver");
    EXPECT_EQ(set_and_show("application_name", "'caf\xc3\xa9'"), "caf??");  // printable ASCII
    EXPECT_EQ(set_and_show("standard_conforming_strings", "'yes'"), "on");
    EXPECT_EQ(set_and_show("IntervalStyle", "POSTGRES"), "postgres");
    EXPECT_EQ(set_and_show("client_min_messages", "WARNING"), "warning");
    EXPECT_EQ(set_and_show("bytea_output", "hex"), "hex");
    EXPECT_EQ(set_and_show("lock_timeout", "'1s'"), "1s");
    EXPECT_EQ(set_and_show("idle_in_transaction_session_timeout", "60000"), "1min");
    EXPECT_EQ(set_and_show("check_function_bodies", "false"), "off");
    EXPECT_EQ(set_and_show("row_security", "off"), "off");
    EXPECT_EQ(set_and_show("default_tablespace", "''"), "");
    EXPECT_EQ(set_and_show("default_table_access_method", "heap"), "heap");
    EXPECT_EQ(set_and_show("xmloption", "content"), "content");
    EXPECT_EQ(set_and_show("myapp.tenant", "'blue'"), "blue");
}

TEST_F(SessionSettingsTest, StatementTimeoutTakesUnitsAndShowsTheLargestExact) {
    EXPECT_EQ(set_and_show("statement_timeout", "5000"), "5s");
    EXPECT_EQ(set_and_show("statement_timeout", "1500"), "1500ms");
    EXPECT_EQ(set_and_show("statement_timeout", "'90s'"), "90s");
    EXPECT_EQ(set_and_show("statement_timeout", "'1.5s'"), "1500ms");
    EXPECT_EQ(set_and_show("statement_timeout", "'2 min'"), "2min");
    EXPECT_EQ(set_and_show("statement_timeout", "3600000"), "1h");
    EXPECT_EQ(set_and_show("statement_timeout", "'2d'"), "2d");
    EXPECT_EQ(set_and_show("statement_timeout", "'100us'"), "0");  // rounds to whole ms
    EXPECT_EQ(setting_milliseconds("1500ms"), 1500);
    EXPECT_EQ(setting_milliseconds("2min"), 120'000);
    EXPECT_EQ(setting_milliseconds("5s"), 5000);
    EXPECT_EQ(setting_milliseconds("0"), 0);
    EXPECT_EQ(setting_milliseconds("soon"), std::nullopt);
    ok("SET statement_timeout = '5s'");
    EXPECT_EQ(setting_milliseconds(*session->setting("statement_timeout")), 5000);

    const SqlError negative = error("SET statement_timeout = -1");
    EXPECT_EQ(negative.sqlstate, "22023");
    EXPECT_EQ(negative.message,
              "-1 ms is outside the valid range for parameter \"statement_timeout\" (0 .. "
              "2147483647)");
    EXPECT_EQ(state("SET statement_timeout = 'abc'"), "22023");
    const SqlError unit = error("SET statement_timeout = '10 parsecs'");
    EXPECT_EQ(unit.sqlstate, "22023");
    EXPECT_NE(unit.hint.find("\"min\""), std::string::npos);
    EXPECT_EQ(state("SET statement_timeout = 99999999999"), "22023");
    EXPECT_EQ(show("statement_timeout"), "5s");  // a refused SET changes nothing
}

TEST_F(SessionSettingsTest, SearchPathNamesPublicAndPgCatalogOnly) {
    EXPECT_EQ(set_and_show("search_path", "public"), "public");
    EXPECT_EQ(set_and_show("search_path", "'$user', public"), "\"$user\", public");
    EXPECT_EQ(set_and_show("search_path", "pg_catalog, public"), "pg_catalog, public");
    EXPECT_EQ(set_and_show("search_path", "''"), "\"\"");
    ok("SET SCHEMA 'public'");
    EXPECT_EQ(show("search_path"), "public");
    EXPECT_EQ(state("SET search_path = myschema"), "0A000");
    EXPECT_EQ(state("SET search_path = \"My Schema\""), "0A000");
    EXPECT_EQ(state("SET search_path = information_schema"), "0A000");
    EXPECT_EQ(show("search_path"), "public");
}

TEST_F(SessionSettingsTest, ValuesKimberliteDoesNotBehaveByAreRefused) {
    // Valid in PostgreSQL, another meaning: 0A000, never accepted with a different meaning.
    for (std::string_view sql :
         {"SET TimeZone = 'Europe/Paris'", "SET TIME ZONE 'America/New_York'",
          "SET DateStyle = 'German'", "SET DateStyle = ISO, DMY", "SET DateStyle = 'SQL'",
          "SET IntervalStyle = 'iso_8601'", "SET client_encoding = 'LATIN1'",
          "SET standard_conforming_strings = off", "SET extra_float_digits = 0",
          "SET extra_float_digits = -3", "SET bytea_output = 'escape'",
          "SET default_transaction_read_only = on", "SET transaction_read_only = on",
          "SET default_tablespace = 'fast'", "SET TIME ZONE 0"}) {
        EXPECT_EQ(state(sql), "0A000") << sql;
    }
    // Invalid in PostgreSQL too: 22023.
    for (std::string_view sql :
         {"SET TimeZone = ''", "SET DateStyle = 'bogus'", "SET IntervalStyle = 'bogus'",
          "SET extra_float_digits = 5", "SET extra_float_digits = 'x'",
          "SET standard_conforming_strings = 'maybe'", "SET client_min_messages = 'bogus'",
          "SET default_transaction_isolation = 'bogus'", "SET application_name = 'a', 'b'",
          "SET kimberlite.no_such_thing = 1"}) {
        EXPECT_EQ(state(sql), "22023") << sql;
    }
    const SqlError datestyle = error("SET DateStyle = 'bogus'");
    EXPECT_EQ(datestyle.message, "invalid value for parameter \"DateStyle\": \"bogus\"");
    EXPECT_EQ(datestyle.detail, "Unrecognized key word: \"bogus\".");
    const SqlError zone = error("SET TimeZone = 'Europe/Paris'");
    EXPECT_EQ(zone.message, "time zone \"Europe/Paris\" is not supported");
    // Read-only parameters: 55P02.
    for (std::string_view sql :
         {"SET server_version = '16'", "SET server_version_num = 1", "SET server_encoding = x",
          "SET integer_datetimes = off", "SET is_superuser = off", "SET session_authorization = x",
          "RESET server_version"}) {
        EXPECT_EQ(state(sql), "55P02") << sql;
    }
    EXPECT_EQ(error("SET server_version = '16'").message,
              "parameter \"server_version\" cannot be changed");
    EXPECT_EQ(state("SET no_such_parameter = 1"), "42704");
    EXPECT_EQ(state("RESET no_such_parameter"), "42704");
    // Nothing changed.
    EXPECT_EQ(show("TimeZone"), "UTC");
    EXPECT_EQ(show("DateStyle"), "ISO, MDY");
    EXPECT_EQ(show("server_version"), "15.8");
}

TEST_F(SessionSettingsTest, IsolationLevelsAreAcceptedAndTransactionsStaySerializable) {
    ok("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED");
    EXPECT_EQ(show("default_transaction_isolation"), "read committed");
    EXPECT_EQ(show("transaction_isolation"), "serializable");
    ok("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    EXPECT_EQ(show("default_transaction_isolation"), "serializable");
    ok("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE");
    EXPECT_EQ(state("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"), "0A000");
    EXPECT_EQ(set_and_show("default_transaction_isolation", "'repeatable read'"),
              "repeatable read");
    ok("BEGIN ISOLATION LEVEL READ COMMITTED");
    EXPECT_EQ(show("transaction_isolation"), "serializable");
    ok("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    ok("SET transaction_isolation = 'read committed'");
    EXPECT_EQ(show("transaction_isolation"), "serializable");
    ok("COMMIT");
}

TEST_F(SessionSettingsTest, ResetReturnsToTheDefault) {
    ok("SET application_name = 'x'");
    ok("SET TimeZone = 'GMT'");
    ok("SET myapp.flag = 'on'");
    ok("RESET application_name");
    EXPECT_EQ(show("application_name"), "");
    ok("SET TimeZone TO DEFAULT");
    EXPECT_EQ(show("TimeZone"), "UTC");
    ok("SET statement_timeout = 10");
    ok("RESET ALL");
    EXPECT_EQ(show("statement_timeout"), "0");
    EXPECT_EQ(show("myapp.flag"), "");  // known since it was set, now empty (as PostgreSQL)
    EXPECT_EQ(state("SHOW myapp.never_set"), "42704");
}

TEST_F(SessionSettingsTest, SessionFunctions) {
    const Lines who = rows(
        "SELECT current_database(), current_catalog, current_user, session_user, user, "
        "current_role, current_schema(), current_schema, \"current_user\"()");
    EXPECT_EQ(who, (Lines{"default|default|admin|admin|admin|admin|public|public|admin"}));
    const StatementResult named = ok("SELECT current_user, session_user, current_schema");
    EXPECT_EQ(named.columns[0].name, "current_user");
    EXPECT_EQ(named.columns[1].name, "session_user");
    EXPECT_EQ(named.columns[2].name, "current_schema");

    const Lines version = rows("SELECT version(), pg_catalog.version()");
    ASSERT_EQ(version.size(), 1U);
    EXPECT_TRUE(version[0].starts_with("PostgreSQL 15.8 (Kimberlite ")) << version[0];
    EXPECT_EQ(rows("SELECT version() LIKE 'PostgreSQL 15.%'"), (Lines{"t"}));

    EXPECT_EQ(rows("SELECT current_setting('DateStyle'), current_setting('TIMEZONE'), "
                   "current_setting('nope', true)"),
              (Lines{"ISO, MDY|UTC|NULL"}));
    EXPECT_EQ(state("SELECT current_setting('nope')"), "42704");
    EXPECT_EQ(rows("SELECT set_config('application_name', 'zz', false)"), (Lines{"zz"}));
    EXPECT_EQ(show("application_name"), "zz");
    EXPECT_EQ(rows("SELECT set_config('search_path', '', false)"), (Lines{""}));
    EXPECT_EQ(show("search_path"), "");
    EXPECT_EQ(rows("SELECT set_config('search_path', 'pg_catalog, \"public\"', false)"),
              (Lines{"pg_catalog, public"}));
    EXPECT_EQ(state("SELECT set_config('TimeZone', 'Asia/Tokyo', false)"), "0A000");
    EXPECT_EQ(state("SELECT set_config('application_name', 'x', true)"), "0A000");
    EXPECT_EQ(state("SELECT set_config('server_version', '1', false)"), "55P02");

    EXPECT_EQ(rows("SELECT pg_backend_pid()"), (Lines{"0"}));
    session->set_backend_pid(4242);
    EXPECT_EQ(rows("SELECT pg_backend_pid()"), (Lines{"4242"}));
    EXPECT_EQ(rows("SELECT pg_is_in_recovery(), pg_encoding_to_char(6), pg_encoding_to_char(0)"),
              (Lines{"f|UTF8|SQL_ASCII"}));
    EXPECT_EQ(rows("SELECT format_type(23, -1), format_type(1043, 14), format_type(1700, 655366), "
                   "format_type(1042, 5), format_type(1042, -1), format_type(1042, NULL), "
                   "format_type(1184, NULL), format_type(1114, 3), format_type(9999, -1), "
                   "format_type(NULL, 1), format_type(25, NULL)"),
              (Lines{"integer|character varying(10)|numeric(10,2)|character(1)|bpchar|character|"
                     "timestamp with time zone|timestamp(3) without time zone|???|NULL|text"}));
}

TEST_F(SessionSettingsTest, SessionFunctionsReadTheSessionWhenTheyRun) {
    // A prepared statement keeps its plan; the values are read on every execution.
    auto prepared = session->prepare("SELECT current_setting('application_name'), current_user");
    ASSERT_TRUE(prepared.has_value()) << prepared.error().to_string();
    ok("SET application_name = 'first'");
    auto first = session->execute_prepared(**prepared, {});
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->rows[0][0].as_text(), "first");
    ok("SET application_name = 'second'");
    auto second = session->execute_prepared(**prepared, {});
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->rows[0][0].as_text(), "second");
    // A default may call them too.
    ok("CREATE TABLE audit (id int PRIMARY KEY, who text DEFAULT current_user)");
    ok("INSERT INTO audit (id) VALUES (1)");
    EXPECT_EQ(rows("SELECT who FROM audit"), (Lines{"admin"}));
}

TEST_F(SessionSettingsTest, NamesComeFromTheOptionsOrTheCatalogAndRoles) {
    SessionOptions options;
    options.database_name = "app_db";
    options.user_name = "alice";
    options.backend_pid = 77;
    Session named(node, tenant, db::kAdminPrincipal, options);
    EXPECT_EQ(rows("SELECT current_database(), current_user, pg_backend_pid()", &named),
              (Lines{"app_db|alice|77"}));
    EXPECT_EQ(rows("SELECT datname FROM pg_database", &named), (Lines{"app_db"}));
    EXPECT_EQ(named.setting("session_authorization"), "alice");

    // A role's session is named after its role, and is no superuser.
    ok("CREATE ROLE reader LOGIN");
    auto role = kernel::reads::find_role(node.engine().snapshot(), "reader");
    ASSERT_TRUE(role.has_value() && role->has_value());
    Session reader(node, tenant, (*role)->principal);
    EXPECT_EQ(reader.setting("session_authorization"), "reader");
    EXPECT_EQ(reader.setting("is_superuser"), "off");
}

}  // namespace
}  // namespace kb::sql
