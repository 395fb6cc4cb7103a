// Roles and privileges: CREATE ROLE / CREATE USER, ALTER ROLE / ALTER USER, DROP ROLE / DROP
// USER, GRANT and REVOKE (ast.h has what is accepted). The grammar turns role options into
// DefElems named as PostgreSQL's CreateRole() reads them ("canlogin", "superuser", "password",
// "createdb", ...), with Boolean (or, before PostgreSQL 15, Integer) arguments.
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

bool empty(const char* s) { return s == nullptr || s[0] == '\0'; }

// The Boolean or Integer argument of a role option; nullopt when it has neither.
std::optional<bool> flag_of(const PgQuery__Node* arg) {
    if (arg == nullptr) return std::nullopt;
    if (arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN) return arg->boolean->boolval != 0;
    if (arg->node_case == PG_QUERY__NODE__NODE_INTEGER) return arg->integer->ival != 0;
    return std::nullopt;
}

// What an option is worth to kimberlite: one it models, one it accepts because the value is
// what it always does, or one it refuses.
SqlStatus role_option(const Converter& converter, const PgQuery__DefElem& option,
                      ast::RoleOptions& out, std::string_view statement) {
    const std::string name = option.defname != nullptr ? option.defname : "";
    auto redundant = [&]() {
        return converter.error(sqlstate::kSyntaxError, "conflicting or redundant options",
                               option.location);
    };
    const std::optional<bool> flag = flag_of(option.arg);
    if (name == "canlogin" || name == "superuser") {
        if (!flag) return converter.malformed("role option " + name);
        std::optional<bool>& target = name == "canlogin" ? out.login : out.superuser;
        if (target) return redundant();
        target = *flag;
        return sql_ok();
    }
    if (name == "password") {
        if (out.password_given) return redundant();
        out.password_given = true;
        if (option.arg != nullptr) {
            const char* text = string_of(option.arg);
            if (text == nullptr) return converter.malformed("role password");
            out.password = text;
        }
        return sql_ok();
    }
    // What kimberlite always does: accepted so that pg_dumpall's ALTER ROLE lines run.
    if ((name == "inherit" && flag == true) || ((name == "createdb" || name == "createrole" ||
                                                 name == "isreplication" || name == "bypassrls") &&
                                                flag == false)) {
        return sql_ok();
    }
    if (name == "connectionlimit" && option.arg != nullptr &&
        option.arg->node_case == PG_QUERY__NODE__NODE_INTEGER && option.arg->integer->ival == -1) {
        return sql_ok();
    }
    static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
        {"inherit", "NOINHERIT"},
        {"createdb", "CREATEDB"},
        {"createrole", "CREATEROLE"},
        {"isreplication", "REPLICATION"},
        {"bypassrls", "BYPASSRLS"},
        {"connectionlimit", "CONNECTION LIMIT"},
        {"validUntil", "VALID UNTIL"},
        {"rolemembers", "ROLE / USER"},
        {"adminmembers", "ADMIN"},
        {"addroleto", "IN ROLE"},
        {"sysid", "SYSID"},
    };
    std::string shown = name;
    for (const auto& [defname, sql] : kNames) {
        if (defname == name) shown = sql;
    }
    return converter.unsupported(std::string(statement) + " ... " + shown, option.location);
}

SqlResult<ast::RoleOptions> role_options(const Converter& converter, NodeList options,
                                         std::string_view statement) {
    ast::RoleOptions out;
    for (const PgQuery__Node* node : options) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
            return converter.malformed("role option");
        }
        KB_SQL_TRY(role_option(converter, *node->def_elem, out, statement));
    }
    return out;
}

// A RoleSpec: a name, or the session's own role; PUBLIC (and anything else) is refused.
SqlResult<ast::RoleName> role_name(const Converter& converter, const PgQuery__RoleSpec* spec,
                                   int32_t location) {
    if (spec == nullptr) return converter.malformed("role name");
    switch (spec->roletype) {
        case PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING:
            if (empty(spec->rolename)) return converter.malformed("role name");
            return ast::RoleName{.kind = ast::RoleName::Kind::name, .name = spec->rolename};
        case PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CURRENT_ROLE:
        case PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CURRENT_USER:
        case PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_SESSION_USER:
            return ast::RoleName{.kind = ast::RoleName::Kind::current_user};
        case PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_PUBLIC:
            return converter.unsupported("PUBLIC (grant to each role instead)",
                                         spec->location >= 0 ? spec->location : location);
        default:
            return converter.malformed("role specification");
    }
}

SqlResult<ast::RoleName> role_name_node(const Converter& converter, const PgQuery__Node* node,
                                        int32_t location) {
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ROLE_SPEC) {
        return converter.malformed("role name");
    }
    return role_name(converter, node->role_spec, location);
}

}  // namespace

SqlResult<ast::CreateRoleStatement> Converter::create_role(const PgQuery__CreateRoleStmt& s,
                                                           int32_t location) {
    if (s.stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_GROUP) {
        return unsupported("CREATE GROUP", location);
    }
    if (empty(s.role)) return malformed("CREATE ROLE name");
    ast::CreateRoleStatement result;
    result.name = s.role;
    result.user = s.stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_USER;
    result.options = KB_SQL_TRY(
        role_options(*this, {s.options, s.n_options}, result.user ? "CREATE USER" : "CREATE ROLE"));
    return result;
}

SqlResult<ast::AlterRoleStatement> Converter::alter_role(const PgQuery__AlterRoleStmt& s,
                                                         int32_t location) {
    // action is +1 for ALTER ROLE ... [WITH] options; -1 only for ALTER GROUP ... DROP USER.
    if (s.action != 1) return unsupported("ALTER GROUP", location);
    ast::AlterRoleStatement result;
    result.role = KB_SQL_TRY(role_name(*this, s.role, location));
    result.options = KB_SQL_TRY(role_options(*this, {s.options, s.n_options}, "ALTER ROLE"));
    return result;
}

SqlResult<ast::DropRoleStatement> Converter::drop_role(const PgQuery__DropRoleStmt& s,
                                                       int32_t location) {
    ast::DropRoleStatement result;
    result.if_exists = s.missing_ok != 0;
    for (const PgQuery__Node* node : NodeList{s.roles, s.n_roles}) {
        ast::RoleName name = KB_SQL_TRY(role_name_node(*this, node, location));
        if (name.kind != ast::RoleName::Kind::name) {
            // PostgreSQL: 'cannot use special role specifier in DROP ROLE'.
            return error(sqlstate::kSyntaxError, "cannot use special role specifier in DROP ROLE",
                         location);
        }
        result.names.push_back(std::move(name.name));
    }
    if (result.names.empty()) return malformed("DROP ROLE without roles");
    return result;
}

SqlResult<ast::GrantStatement> Converter::grant(const PgQuery__GrantStmt& s, int32_t location) {
    const char* verb = s.is_grant ? "GRANT" : "REVOKE";
    ast::GrantStatement result;
    result.revoke = !s.is_grant;
    if (s.grant_option) {
        return unsupported(s.is_grant ? "WITH GRANT OPTION" : "REVOKE GRANT OPTION FOR", location);
    }
    if (s.grantor != nullptr) return unsupported("GRANTED BY", location);
    if (s.targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_DEFAULTS) {
        return unsupported("ALTER DEFAULT PRIVILEGES", location);
    }
    const bool all_in_schema = s.targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_ALL_IN_SCHEMA;
    switch (s.objtype) {
        case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
            result.object = all_in_schema ? ast::GrantObjectKind::all_tables_in_schema
                                          : ast::GrantObjectKind::tables;
            break;
        case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
            result.object = ast::GrantObjectKind::database;
            break;
        case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
            return unsupported(std::string(verb) + " ON SEQUENCE", location);
        case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
            return unsupported(std::string(verb) + " ON SCHEMA", location);
        case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
        case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
        case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
            return unsupported(std::string(verb) + " ON FUNCTION", location);
        default:
            return unsupported(std::string(verb) + " on this kind of object", location);
    }
    if (all_in_schema && s.objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        return unsupported(std::string(verb) + " ON ALL SEQUENCES / FUNCTIONS", location);
    }
    for (const PgQuery__Node* node : NodeList{s.privileges, s.n_privileges}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ACCESS_PRIV) {
            return malformed("privilege");
        }
        const PgQuery__AccessPriv& privilege = *node->access_priv;
        if (privilege.n_cols > 0) return unsupported("column privileges", location);
        if (empty(privilege.priv_name)) return malformed("privilege name");
        result.privileges.emplace_back(privilege.priv_name);
    }
    for (const PgQuery__Node* node : NodeList{s.objects, s.n_objects}) {
        if (node == nullptr) return malformed("GRANT object");
        if (result.object == ast::GrantObjectKind::tables) {
            if (node->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) return malformed("GRANT table");
            result.tables.push_back(KB_SQL_TRY(table_ref(node->range_var, location, false)));
        } else {
            const char* name = string_of(node);
            if (name == nullptr) return malformed("GRANT object name");
            result.names.emplace_back(name);
        }
    }
    for (const PgQuery__Node* node : NodeList{s.grantees, s.n_grantees}) {
        result.roles.push_back(KB_SQL_TRY(role_name_node(*this, node, location)));
    }
    if (result.roles.empty()) return malformed("GRANT without grantees");
    return result;
}

}  // namespace kb::sql::parse_internal
