// Session: CREATE DATABASE and DROP DATABASE (docs/SQL.md, "Databases"). A database is a tenant:
// CREATE DATABASE submits a create-tenant op (the primary makes the tenant's keys as it admits
// it, as for Database::create_tenant), DROP DATABASE a drop-tenant op. Both are system ops of
// their own, never part of a transaction block (25001, as in PostgreSQL), for superusers only.
//
// A dropped tenant keeps its history: its log records, store trees and keys stay, readable by id
// and position (kmb verify, rebuild, audit); its name is free for a new database, which gets a
// new id. Sessions connected to it fail with 3D000 from their next statement; new connections
// are refused with 3D000.
//
// CREATE DATABASE options: what matches what kimberlite does is accepted (ENCODING 'UTF8',
// TEMPLATE template0 / template1, LOCALE / LC_COLLATE / LC_CTYPE 'C', LOCALE_PROVIDER libc,
// OWNER the session's own role, CONNECTION LIMIT -1, IS_TEMPLATE false, ALLOW_CONNECTIONS true,
// TABLESPACE pg_default, STRATEGY wal_log / file_copy); anything else is refused with 0A000
// and a hint, never silently ignored.
#include <strings.h>
#include <algorithm>
#include <set>

#include "kernel/access_reads.h"
#include "kernel/kernel_reads.h"
#include "sql/session.h"
#include "store/types.h"

namespace kb::sql {
namespace {

using Kind = ast::GenericOption::Kind;

SqlError unsupported(std::string message, std::string hint) {
    return SqlError(sqlstate::kFeatureNotSupported, std::move(message)).with_hint(std::move(hint));
}

bool equals_any(std::string_view value, std::initializer_list<std::string_view> choices) {
    return std::any_of(choices.begin(), choices.end(), [&](std::string_view choice) {
        return value.size() == choice.size() &&
               strncasecmp(value.data(), choice.data(), value.size()) == 0;
    });
}

// The option's value for messages and comparisons ("" for DEFAULT).
std::string value_of(const ast::GenericOption& option) {
    return option.kind == Kind::string || option.kind == Kind::number ? option.value : "";
}

std::optional<bool> boolean_of(const ast::GenericOption& option) {
    const std::string value = value_of(option);
    if (option.kind == Kind::number) {
        if (value == "0") return false;
        if (value == "1") return true;
        return std::nullopt;
    }
    if (equals_any(value, {"true", "on"})) return true;
    if (equals_any(value, {"false", "off"})) return false;
    return std::nullopt;
}

// One CREATE DATABASE option: accepted (nothing to do) or refused.
SqlStatus check_database_option(const ast::GenericOption& option, std::string_view user) {
    const std::string& name = option.name;
    const bool is_default = option.kind == Kind::none;
    const std::string value = value_of(option);
    const std::string shown = "CREATE DATABASE ... " + name + " " + value;
    if (name == "encoding") {
        if (is_default || equals_any(value, {"UTF8", "UTF-8", "UNICODE", "6"})) return sql_ok();
        return unsupported("encoding \"" + value + "\" is not supported",
                           "Every database is UTF8 (ENCODING 'UTF8').");
    }
    if (name == "template") {
        if (is_default || equals_any(value, {"template0", "template1"})) return sql_ok();
        return unsupported("CREATE DATABASE ... TEMPLATE " + value + " is not supported",
                           "Every database starts empty: use TEMPLATE template0, or none.");
    }
    if (name == "locale" || name == "lc_collate" || name == "lc_ctype") {
        if (is_default || equals_any(value, {"C", "POSIX", "C.UTF-8", "C.utf8"})) return sql_ok();
        return unsupported("locale \"" + value + "\" is not supported",
                           "Text compares byte by byte, as in the C locale: use LOCALE 'C'.");
    }
    if (name == "locale_provider") {
        if (is_default || equals_any(value, {"libc"})) return sql_ok();
        return unsupported(shown + " is not supported", "Use LOCALE_PROVIDER libc (the C locale).");
    }
    if (name == "owner") {
        if (is_default || value == user) return sql_ok();
        return unsupported("CREATE DATABASE ... OWNER " + value + " is not supported",
                           "Databases have no owners: GRANT CONNECT ON DATABASE gives a role "
                           "access to one.");
    }
    if (name == "connection_limit") {
        if (is_default || value == "-1") return sql_ok();
        return unsupported("CREATE DATABASE ... CONNECTION LIMIT " + value + " is not supported",
                           "The server's max-connections setting limits connections.");
    }
    if (name == "is_template") {
        if (is_default || boolean_of(option) == false) return sql_ok();
        return unsupported(shown + " is not supported", "Databases cannot be templates.");
    }
    if (name == "allow_connections") {
        if (is_default || boolean_of(option) == true) return sql_ok();
        return unsupported(shown + " is not supported",
                           "Refuse connections by revoking CONNECT on the database.");
    }
    if (name == "tablespace") {
        if (is_default || value == "pg_default") return sql_ok();
        return unsupported("tablespace \"" + value + "\" does not exist here",
                           "There are no tablespaces: leave TABLESPACE out.");
    }
    if (name == "strategy") {
        if (is_default || equals_any(value, {"wal_log", "file_copy"})) return sql_ok();
        return SqlError(sqlstate::kInvalidParameterValue,
                        "invalid create database strategy \"" + value + "\"")
            .with_hint("Valid strategies are \"wal_log\", and \"file_copy\".");
    }
    if (name == "oid" || name == "icu_locale" || name == "collation_version" ||
        name == "location") {
        return unsupported(shown + " is not supported", "Leave " + name + " out.");
    }
    return SqlError(sqlstate::kSyntaxError, "option \"" + name + "\" not recognized")
        .at(option.position);
}

// What the primary answered, as a SQL error: its outcome's SQLSTATE, its detail as the message.
SqlStatus submitted(const Result<db::SubmitResult>& result) {
    if (!result) return from_status(result.error());
    if (result->outcome == kernel::Outcome::ok) return sql_ok();
    return SqlError(std::string(kernel::outcome_sqlstate(result->outcome)), result->detail);
}

StatementResult tagged(std::string tag) {
    StatementResult result;
    result.tag = std::move(tag);
    return result;
}

}  // namespace

SqlResult<StatementResult> Session::run_database_statement(const ast::Statement& statement) {
    const db::TransactionHost::Start start = host_.start(tenant_);
    auto superuser = kernel::reads::is_superuser(start.snapshot, principal_);
    if (!superuser) return from_status(superuser.status());
    auto catalog = kernel::reads::catalog(start.snapshot);
    if (!catalog) return from_status(catalog.status());

    if (const auto* create = statement.as<ast::CreateDatabaseStatement>()) {
        if (!*superuser) {
            return SqlError(sqlstate::kInsufficientPrivilege,
                            "permission denied to create database")
                .with_hint("Only superusers create databases.");
        }
        std::set<std::string> seen;
        for (const ast::GenericOption& option : create->options) {
            if (!seen.insert(option.name).second) {
                return SqlError(sqlstate::kSyntaxError, "conflicting or redundant options")
                    .at(option.position);
            }
            KB_SQL_TRY(check_database_option(option, info_.user_name));
        }
        if (catalog->find_tenant(create->name) != nullptr) {
            return SqlError(sqlstate::kDuplicateDatabase,
                            "database \"" + create->name + "\" already exists");
        }
        // The primary makes the tenant's keys when it admits the op (db/engine_machine.cc).
        KB_SQL_TRY(submitted(host_.submit(store::kSystemTenant, principal_,
                                          kernel::CreateTenantOp{.name = create->name})));
        return tagged("CREATE DATABASE");
    }

    const auto& drop = *statement.as<ast::DropDatabaseStatement>();
    const kernel::TenantCatalog* found = catalog->find_tenant(drop.name);
    if (found == nullptr) {
        if (drop.if_exists) {
            StatementResult result = tagged("DROP DATABASE");
            result.notices.push_back("database \"" + drop.name + "\" does not exist, skipping");
            return result;
        }
        return SqlError(sqlstate::kInvalidCatalogName,
                        "database \"" + drop.name + "\" does not exist");
    }
    if (!*superuser) {
        return SqlError(sqlstate::kInsufficientPrivilege, "must be owner of database " + drop.name);
    }
    if (found->info().id == tenant_) {
        return SqlError(sqlstate::kObjectInUse, "cannot drop the currently open database");
    }
    KB_SQL_TRY(submitted(host_.submit(store::kSystemTenant, principal_,
                                      kernel::DropTenantOp{.tenant = found->info().id})));
    return tagged("DROP DATABASE");
}

}  // namespace kb::sql
