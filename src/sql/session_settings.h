// Session settings: the parameters SET, RESET, SHOW, current_setting() and set_config() know,
// with PostgreSQL 15's names, defaults, value syntax and errors.
//
// Every parameter drivers and tools set on connect is known (docs/SQL.md, "Settings"). Values
// Kimberlite behaves by are accepted: client_encoding UTF8 (and SQL_ASCII, which libpq asks for
// in a C locale and which converts nothing), DateStyle ISO with MDY order, TimeZone UTC (and
// its aliases: GMT, Etc/UTC, ...), IntervalStyle postgres, standard_conforming_strings on,
// extra_float_digits 1 to 3 (floats are always printed shortest-exact, which is what any
// positive value means in PostgreSQL 12 and later), bytea_output hex, search_path naming public,
// pg_catalog and "$user" only. Any other valid value is refused with 0A000 rather than accepted
// with a different meaning; a value PostgreSQL would refuse too is 22023 as there. Values are
// kept as SHOW prints them ("ISO, MDY", "5s" for statement_timeout = 5000).
//
// Timeouts (statement_timeout, lock_timeout, idle_in_transaction_session_timeout,
// idle_session_timeout) are accepted and remembered with PostgreSQL's units (setting_milliseconds
// reads them back). The session enforces statement_timeout (session.h); the others are
// remembered only (the server has its own idle-in-transaction-timeout). Isolation levels are
// accepted and remembered as the default asked for, but every transaction is serializable, and
// transaction_isolation always says so. Read-only parameters (server_version,
// server_version_num, server_encoding, ...) are 55P02 to SET. Names with a dot
// (kimberlite.as_of_position, myapp.x) are custom parameters: any value.
//
// Names are case-insensitive (kept lowercase); SHOW and errors use PostgreSQL's spelling
// (DateStyle, TimeZone, IntervalStyle).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sql/ast.h"
#include "sql/eval_context.h"
#include "sql/session.h"

namespace kb::sql {

using SettingMap = std::map<std::string, std::string, std::less<>>;

// Who and where a session of `principal` in `tenant` is (SessionInfo without its setting
// functions): the options' names, else the tenant's name and the principal's role name as of
// the latest state ("admin" for the built-in administrator, "system" for the system), and
// whether the role is a superuser.
SessionInfo session_identity(db::TransactionHost& host, TenantId tenant, PrincipalId principal,
                             const SessionOptions& options);

// The settings every session starts with: lowercase name -> value as SHOW prints it.
const SettingMap& default_settings();

// A setting's value as SHOW prints it, or nullopt for an unknown name (any case). Also the
// parameters that describe the session rather than being set (session_authorization,
// is_superuser).
std::optional<std::string> read_setting(const SettingMap& settings, const SessionInfo& session,
                                        std::string_view name);

// SET name = value, ...: the values as the statement wrote them (a list for DateStyle and
// search_path, one value otherwise). Nothing changes on an error.
SqlStatus assign_setting(SettingMap& settings, std::string_view name,
                         std::span<const ast::SetValue> values);
// The same with the value as text (set_config(), startup parameters); the value as SHOW prints
// it afterwards.
SqlResult<std::string> assign_setting_text(SettingMap& settings, std::string_view name,
                                           std::string_view value);
// RESET name and SET name TO DEFAULT: the value `defaults` has (a session's defaults: PostgreSQL's,
// with what the server configures, such as statement_timeout), else PostgreSQL's default.
// RESET ALL is settings = defaults, custom parameters kept (empty).
SqlStatus reset_setting(SettingMap& settings, std::string_view name,
                        const SettingMap& defaults = default_settings());

// SET / RESET / SHOW statements run against `settings`; RESET goes back to `defaults`.
SqlResult<StatementResult> execute_setting_statement(
    SettingMap& settings, const SessionInfo& session, const ast::Statement& statement,
    const SettingMap& defaults = default_settings());
// The columns SHOW name returns: one text column named as PostgreSQL names the parameter, or
// name, setting, description for SHOW ALL.
std::vector<ResultColumn> show_columns(std::string_view name);

// A duration setting as SHOW prints it ("0", "1500ms", "5s", "2min") in milliseconds; nullopt
// when it is not one.
std::optional<i64> setting_milliseconds(std::string_view shown);

}  // namespace kb::sql
