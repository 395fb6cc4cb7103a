// Database: roles and grants (see include/kimberlite/database.h). Writes are role and grant ops
// (kernel/op.h, system-wide: tenant 0) submitted as the built-in administrator; names are
// resolved to ids on the latest published snapshot, and admission checks them again at the
// op's own position (a role dropped meanwhile is refused, not silently recreated). Lookups read
// the roles and grants trees of a snapshot (kernel/access_reads.h) on the calling thread.
#include <algorithm>

#include "crypto/scram.h"
#include "db/database_core.h"
#include "kernel/access_reads.h"
#include "kimberlite/database.h"

namespace kb {
namespace {

Status write_status(const Result<db::SubmitResult>& result) {
    if (!result) return result.error();
    return db::status_of_outcome(result->outcome, result->detail);
}

RoleDescription describe(const kernel::RoleInfo& role) {
    return RoleDescription{.principal = role.principal,
                           .name = role.name,
                           .login = role.login,
                           .superuser = role.superuser,
                           .verifier = role.verifier,
                           .created = role.created,
                           .altered = role.altered};
}

// The verifier must be one a login can use: parsed, not merely prefixed (the kernel checks
// only the prefix, so its rule never depends on the SCRAM parser's version).
Result<kernel::RoleAttributes> attributes_of(const RoleSettings& settings) {
    if (settings.verifier && !settings.verifier->empty()) {
        auto parsed = crypto::ScramVerifier::parse(*settings.verifier);
        if (!parsed) return parsed.error().with_context("role verifier");
    }
    return kernel::RoleAttributes{
        .login = settings.login, .superuser = settings.superuser, .verifier = settings.verifier};
}

kernel::Privilege privilege_of(TablePrivilege privilege) {
    switch (privilege) {
        case TablePrivilege::select:
            return kernel::Privilege::select;
        case TablePrivilege::insert:
            return kernel::Privilege::insert;
        case TablePrivilege::update:
            return kernel::Privilege::update;
        case TablePrivilege::remove:
            return kernel::Privilege::remove;
        case TablePrivilege::truncate:
            return kernel::Privilege::truncate;
    }
    return kernel::Privilege::select;
}

}  // namespace

Result<PrincipalId> Database::create_role(std::string_view name, RoleSettings settings) {
    kernel::RoleOp op{.action = kernel::RoleAction::create,
                      .name = std::string(name),
                      .attributes = KB_TRY(attributes_of(settings))};
    auto result = core_->submit(store::kSystemTenant, db::kAdminPrincipal, std::move(op));
    KB_TRY(write_status(result));
    return result->applied.principal;
}

Status Database::alter_role(std::string_view name, RoleSettings settings) {
    const auto role = KB_TRY(find_role(name));
    if (!role) return Status::not_found("role \"" + std::string(name) + "\" does not exist");
    kernel::RoleOp op{.action = kernel::RoleAction::alter,
                      .roles = {role->principal},
                      .attributes = KB_TRY(attributes_of(settings))};
    return write_status(core_->submit(store::kSystemTenant, db::kAdminPrincipal, std::move(op)));
}

Status Database::drop_role(std::string_view name) {
    const auto role = KB_TRY(find_role(name));
    if (!role) return Status::not_found("role \"" + std::string(name) + "\" does not exist");
    kernel::RoleOp op{.action = kernel::RoleAction::drop, .roles = {role->principal}};
    return write_status(core_->submit(store::kSystemTenant, db::kAdminPrincipal, std::move(op)));
}

namespace {

// A grant or revoke of CONNECT (`table` nullopt) or of table privileges.
Status submit_grant(Database& database, db::DatabaseCore& core, std::string_view role_name,
                    TenantId tenant, std::optional<std::string_view> table,
                    const std::vector<TablePrivilege>& privileges, bool revoke) {
    const auto role = KB_TRY(database.find_role(role_name));
    if (!role) return Status::not_found("role \"" + std::string(role_name) + "\" does not exist");
    kernel::GrantOp op{.revoke = revoke, .tenant = tenant, .roles = {role->principal}};
    if (!table) {
        op.target = kernel::GrantTarget::database;
        op.privileges = {kernel::Privilege::connect};
    } else {
        if (privileges.empty()) return Status::invalid_argument("no privileges to grant");
        for (TablePrivilege privilege : privileges)
            op.privileges.push_back(privilege_of(privilege));
        if (table->empty()) {
            op.target = kernel::GrantTarget::all_tables;
        } else {
            const auto start = core.start(tenant);
            if (start.catalog == nullptr) {
                return Status::not_found("no tenant " + std::to_string(tenant.value()));
            }
            const kernel::TableSchema* schema = start.catalog->find_table(*table);
            if (schema == nullptr) {
                return Status::not_found("relation \"" + std::string(*table) + "\" does not exist");
            }
            op.target = kernel::GrantTarget::tables;
            op.tables = {schema->id};
        }
    }
    return write_status(core.submit(store::kSystemTenant, db::kAdminPrincipal, std::move(op)));
}

}  // namespace

Status Database::grant_connect(std::string_view role, TenantId tenant) {
    return submit_grant(*this, *core_, role, tenant, std::nullopt, {}, false);
}

Status Database::revoke_connect(std::string_view role, TenantId tenant) {
    return submit_grant(*this, *core_, role, tenant, std::nullopt, {}, true);
}

Status Database::grant_table(std::string_view role, TenantId tenant, std::string_view table,
                             std::vector<TablePrivilege> privileges) {
    return submit_grant(*this, *core_, role, tenant, table, privileges, false);
}

Status Database::revoke_table(std::string_view role, TenantId tenant, std::string_view table,
                              std::vector<TablePrivilege> privileges) {
    return submit_grant(*this, *core_, role, tenant, table, privileges, true);
}

Result<std::optional<RoleDescription>> Database::find_role(std::string_view name) const {
    auto role = KB_TRY(kernel::reads::find_role(core_->snapshot(), name));
    if (!role) return std::optional<RoleDescription>();
    return std::optional<RoleDescription>(describe(*role));
}

Result<std::vector<RoleDescription>> Database::roles() const {
    std::vector<RoleDescription> out;
    for (const kernel::RoleInfo& role : KB_TRY(kernel::reads::roles(core_->snapshot()))) {
        out.push_back(describe(role));
    }
    return out;
}

Result<bool> Database::may_connect(PrincipalId principal, TenantId tenant) const {
    // A tenant that does not exist admits nobody, superusers included (3D000 at the edge).
    const db::TransactionHost::Start start = core_->start(tenant);
    if (start.catalog == nullptr) return false;
    return kernel::reads::may_connect(start.snapshot, principal, tenant);
}

}  // namespace kb
