// Session: CREATE / ALTER / DROP ROLE, GRANT and REVOKE (docs/SQL.md, "Users and grants").
//
// Each statement is one role or grant op (kernel/op.h, system-wide: tenant 0) submitted at once:
// these statements are not transactional here, so inside BEGIN they are refused (25001, as
// PostgreSQL refuses CREATE DATABASE there). Names are resolved on a fresh snapshot and errors
// reported as PostgreSQL words them; the primary checks everything again at the op's position
// (a role dropped meanwhile, a REVOKE ordered first), and what it refuses comes back here as
// the same SQLSTATEs.
//
// Passwords become SCRAM-SHA-256 verifiers here, at the edge, with a random salt (apply must be
// deterministic), so the log holds the verifier, never the password. A password given already
// in verifier form is stored as it is, as PostgreSQL does.
#include <algorithm>
#include <set>

#include "crypto/random.h"
#include "crypto/scram.h"
#include "kernel/access_reads.h"
#include "kernel/kernel_reads.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

using kernel::Privilege;

SqlError not_superuser(std::string message) {
    return SqlError(sqlstate::kInsufficientPrivilege, std::move(message));
}

SqlError no_role(std::string_view name) {
    return SqlError(sqlstate::kUndefinedObject,
                    "role \"" + std::string(name) + "\" does not exist");
}

// What the primary answered, as a SQL error: its outcome's SQLSTATE and its detail, whose
// first line is the message and the rest PostgreSQL's DETAIL.
SqlStatus submitted(const Result<db::SubmitResult>& result) {
    if (!result) return from_status(result.error());
    if (result->outcome == kernel::Outcome::ok) return sql_ok();
    std::string message = result->detail;
    std::string detail;
    if (const auto newline = message.find('\n'); newline != std::string::npos) {
        detail = message.substr(newline + 1);
        message.resize(newline);
    }
    return SqlError(std::string(kernel::outcome_sqlstate(result->outcome)), std::move(message))
        .with_detail(std::move(detail));
}

// The verifier a PASSWORD option stores (nullopt: the option was not given; "": none).
SqlResult<std::optional<std::string>> verifier_of(const ast::RoleOptions& options,
                                                  StatementResult& result) {
    if (!options.password_given) return std::optional<std::string>();
    if (!options.password) return std::optional<std::string>(std::string());  // PASSWORD NULL
    const std::string& password = *options.password;
    if (password.empty()) {
        result.notices.push_back("empty string is not a valid password, clearing password");
        return std::optional<std::string>(std::string());
    }
    if (crypto::ScramVerifier::parse(password).has_value()) {
        return std::optional<std::string>(password);  // already a verifier: stored as is
    }
    const bool md5_hash = password.size() == 35 && password.starts_with("md5") &&
                          std::all_of(password.begin() + 3, password.end(), [](char c) {
                              return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                          });
    if (md5_hash) {
        return SqlError(sqlstate::kFeatureNotSupported, "MD5 password hashes are not supported")
            .with_hint("Give the password itself, or a SCRAM-SHA-256 verifier.");
    }
    static thread_local crypto::SystemRandom random;
    return std::optional<std::string>(crypto::make_scram_verifier(password, random).to_string());
}

// The privileges a GRANT or REVOKE names, judged against its object as PostgreSQL does:
// 0LP01 for a privilege the object does not have, 0A000 for one kimberlite does not model.
SqlResult<std::vector<Privilege>> privileges_of(const ast::GrantStatement& statement) {
    const bool database = statement.object == ast::GrantObjectKind::database;
    if (statement.privileges.empty()) {  // ALL [PRIVILEGES]
        if (database) return std::vector<Privilege>{Privilege::connect};
        return std::vector<Privilege>{Privilege::select, Privilege::insert, Privilege::update,
                                      Privilege::remove, Privilege::truncate};
    }
    std::set<Privilege> out;
    for (const std::string& name : statement.privileges) {
        std::string upper = name;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        std::optional<Privilege> privilege;
        bool known_elsewhere = false;  // a PostgreSQL privilege of this object kind
        if (database) {
            if (name == "connect") privilege = Privilege::connect;
            known_elsewhere = name == "create" || name == "temporary" || name == "temp";
        } else {
            if (name == "select") privilege = Privilege::select;
            if (name == "insert") privilege = Privilege::insert;
            if (name == "update") privilege = Privilege::update;
            if (name == "delete") privilege = Privilege::remove;
            if (name == "truncate") privilege = Privilege::truncate;
            known_elsewhere = name == "references" || name == "trigger";
        }
        if (privilege) {
            out.insert(*privilege);
        } else if (known_elsewhere) {
            return SqlError(sqlstate::kFeatureNotSupported,
                            "privilege " + upper + " is not supported")
                .with_hint(
                    "Supported: SELECT, INSERT, UPDATE, DELETE, TRUNCATE on tables and "
                    "CONNECT on databases.");
        } else {
            return SqlError("0LP01", "invalid privilege type " + upper +
                                         (database ? " for database" : " for table"));
        }
    }
    return std::vector<Privilege>(out.begin(), out.end());
}

const char* tag_of(const ast::Statement& statement) {
    if (statement.is<ast::CreateRoleStatement>()) return "CREATE ROLE";
    if (statement.is<ast::AlterRoleStatement>()) return "ALTER ROLE";
    if (statement.is<ast::DropRoleStatement>()) return "DROP ROLE";
    return statement.as<ast::GrantStatement>()->revoke ? "REVOKE" : "GRANT";
}

}  // namespace

SqlResult<StatementResult> Session::run_access_statement(const ast::Statement& statement) {
    const char* tag = tag_of(statement);
    StatementResult result;
    result.tag = tag;
    const db::TransactionHost::Start start = host_.start(tenant_);
    const store::Snapshot& snapshot = start.snapshot;
    auto lift = [](auto found) -> SqlResult<std::decay_t<decltype(*found)>> {
        if (!found) return from_status(found.status());
        return std::move(*found);
    };
    const bool superuser = KB_SQL_TRY(lift(kernel::reads::is_superuser(snapshot, principal_)));
    // A role by name (or the session's own); 42704 when there is none.
    auto resolve = [&](const ast::RoleName& name) -> SqlResult<kernel::RoleInfo> {
        if (name.kind == ast::RoleName::Kind::current_user) {
            auto own = KB_SQL_TRY(lift(kernel::reads::role(snapshot, principal_)));
            if (!own) {
                return SqlError(sqlstate::kUndefinedObject, "the session's principal " +
                                                                std::to_string(principal_.value()) +
                                                                " is not a role");
            }
            return std::move(*own);
        }
        auto found = KB_SQL_TRY(lift(kernel::reads::find_role(snapshot, name.name)));
        if (!found) return no_role(name.name);
        return std::move(*found);
    };
    auto submit = [&](kernel::OpBody body) -> SqlResult<db::SubmitResult> {
        auto done = host_.submit(TenantId(0), principal_, std::move(body));
        KB_SQL_TRY(submitted(done));
        return std::move(*done);
    };

    if (const auto* create = statement.as<ast::CreateRoleStatement>()) {
        if (!superuser) return not_superuser("permission denied to create role");
        switch (kernel::check_role_name(create->name)) {
            case kernel::Outcome::ok:
                break;
            case kernel::Outcome::reserved_name:
                return SqlError("42939", "role name \"" + create->name + "\" is reserved")
                    .with_detail(create->name.starts_with("pg_")
                                     ? "Role names starting with \"pg_\" are reserved."
                                     : "");
            default:
                return SqlError(sqlstate::kInvalidParameterValue,
                                "invalid role name \"" + create->name + "\"");
        }
        if (KB_SQL_TRY(lift(kernel::reads::find_role(snapshot, create->name)))) {
            return SqlError(sqlstate::kDuplicateObject,
                            "role \"" + create->name + "\" already exists");
        }
        kernel::RoleAttributes attributes{
            .login = create->options.login.value_or(create->user),
            .superuser = create->options.superuser.value_or(false),
            .verifier = KB_SQL_TRY(verifier_of(create->options, result))};
        KB_SQL_TRY(submit(kernel::RoleOp{.action = kernel::RoleAction::create,
                                         .name = create->name,
                                         .attributes = std::move(attributes)}));
        return result;
    }

    if (const auto* alter = statement.as<ast::AlterRoleStatement>()) {
        const kernel::RoleInfo role = KB_SQL_TRY(resolve(alter->role));
        const ast::RoleOptions& options = alter->options;
        const bool password_only = options.password_given && !options.login && !options.superuser;
        if (!superuser && !(password_only && role.principal == principal_)) {
            return not_superuser("permission denied to alter role")
                .with_detail(
                    "Only superusers may alter roles; a role may change its own "
                    "password.");
        }
        kernel::RoleAttributes attributes{.login = options.login,
                                          .superuser = options.superuser,
                                          .verifier = KB_SQL_TRY(verifier_of(options, result))};
        if (!attributes.login && !attributes.superuser && !attributes.verifier) return result;
        KB_SQL_TRY(submit(kernel::RoleOp{.action = kernel::RoleAction::alter,
                                         .roles = {role.principal},
                                         .attributes = std::move(attributes)}));
        return result;
    }

    if (const auto* drop = statement.as<ast::DropRoleStatement>()) {
        if (!superuser) return not_superuser("permission denied to drop role");
        std::vector<PrincipalId> roles;
        for (const std::string& name : drop->names) {
            auto found = KB_SQL_TRY(lift(kernel::reads::find_role(snapshot, name)));
            if (!found) {
                if (!drop->if_exists) return no_role(name);
                result.notices.push_back("role \"" + name + "\" does not exist, skipping");
                continue;
            }
            if (found->principal == principal_) {
                return SqlError("55006", "current user cannot be dropped");
            }
            if (std::find(roles.begin(), roles.end(), found->principal) == roles.end()) {
                roles.push_back(found->principal);
            }
        }
        if (roles.empty()) return result;
        KB_SQL_TRY(
            submit(kernel::RoleOp{.action = kernel::RoleAction::drop, .roles = std::move(roles)}));
        return result;
    }

    const auto& grant = *statement.as<ast::GrantStatement>();
    const std::vector<Privilege> privileges = KB_SQL_TRY(privileges_of(grant));
    std::vector<PrincipalId> roles;
    for (const ast::RoleName& name : grant.roles) {
        const PrincipalId id = KB_SQL_TRY(resolve(name)).principal;
        if (std::find(roles.begin(), roles.end(), id) == roles.end()) roles.push_back(id);
    }
    std::vector<kernel::GrantOp> ops;
    kernel::GrantOp base{.revoke = grant.revoke, .privileges = privileges, .roles = roles};
    switch (grant.object) {
        case ast::GrantObjectKind::database: {
            const kernel::Catalog catalog = KB_SQL_TRY(lift(kernel::reads::catalog(snapshot)));
            for (const std::string& name : grant.names) {
                const kernel::TenantCatalog* database = catalog.find_tenant(name);
                if (database == nullptr) {
                    return SqlError(sqlstate::kInvalidCatalogName,
                                    "database \"" + name + "\" does not exist");
                }
                if (!superuser) return not_superuser("permission denied for database " + name);
                kernel::GrantOp op = base;
                op.target = kernel::GrantTarget::database;
                op.tenant = database->info().id;
                ops.push_back(std::move(op));
            }
            break;
        }
        case ast::GrantObjectKind::tables: {
            if (start.catalog == nullptr) {
                return SqlError(sqlstate::kInvalidCatalogName, "the session's database is gone");
            }
            kernel::GrantOp op = base;
            op.target = kernel::GrantTarget::tables;
            op.tenant = tenant_;
            for (const ast::TableRef& ref : grant.tables) {
                if (!ref.schema.empty() && ref.schema != "public") {
                    return SqlError("3F000", "schema \"" + ref.schema + "\" does not exist");
                }
                const kernel::TableSchema* table = start.catalog->find_table(ref.name);
                if (table == nullptr) {
                    return SqlError(sqlstate::kUndefinedTable,
                                    "relation \"" + ref.name + "\" does not exist");
                }
                if (!superuser) return not_superuser("permission denied for table " + ref.name);
                if (std::find(op.tables.begin(), op.tables.end(), table->id) == op.tables.end()) {
                    op.tables.push_back(table->id);
                }
            }
            ops.push_back(std::move(op));
            break;
        }
        case ast::GrantObjectKind::all_tables_in_schema: {
            for (const std::string& schema : grant.names) {
                if (schema != "public") {
                    return SqlError("3F000", "schema \"" + schema + "\" does not exist");
                }
            }
            if (!superuser) return not_superuser("permission denied for schema public");
            kernel::GrantOp op = base;
            op.target = kernel::GrantTarget::all_tables;
            op.tenant = tenant_;
            ops.push_back(std::move(op));
            break;
        }
    }
    // One op per database named (an op is one tenant's grant); each is its own fact.
    for (kernel::GrantOp& op : ops) KB_SQL_TRY(submit(std::move(op)));
    return result;
}

}  // namespace kb::sql
