// Roles, grants and the rules of role and grant ops (see access_control.h).
#include "kernel/access_control.h"

#include <algorithm>
#include <set>

#include "base/assert.h"
#include "base/endian.h"
#include "kernel/kernel_trees.h"
#include "kernel/schema_codec.h"
#include "kernel/wire.h"

namespace kb::kernel {
namespace {

constexpr u8 kRoleRecordVersion = 1;

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string role_label(const AccessControl& access, PrincipalId principal) {
    const RoleInfo* role = access.role(principal);
    return role != nullptr ? "role " + quoted(role->name)
                           : "role with principal id " + std::to_string(principal.value());
}

Outcome fail(std::string* detail, Outcome outcome, std::string why) {
    if (detail != nullptr) *detail = std::move(why);
    return outcome;
}

std::string table_label(const Catalog& catalog, TenantId tenant, TableId table) {
    const TenantCatalog* in = catalog.tenant(tenant);
    const TableSchema* schema = in != nullptr ? in->table(table) : nullptr;
    return schema != nullptr ? "table " + quoted(schema->name)
                             : "table with id " + std::to_string(table.value());
}

std::string database_label(const Catalog& catalog, TenantId tenant) {
    const TenantCatalog* in = catalog.tenant(tenant);
    return in != nullptr ? "database " + quoted(in->info().name)
                         : "database with id " + std::to_string(tenant.value());
}

// Whether what a grant names exists at `at` (a privilege on a dropped table is no dependency).
bool grant_object_live(const Catalog& catalog, const GrantKey& key, Position at) {
    const TenantCatalog* tenant = catalog.tenant(key.tenant);
    if (tenant == nullptr) return false;
    return key.table.value() == 0 || tenant->table(key.table, at) != nullptr;
}

// The grants of `principal`, in key order.
auto grants_of(const std::map<GrantKey, PrincipalId>& grants, PrincipalId principal) {
    const GrantKey first{principal, TenantId(0), TableId(0), static_cast<Privilege>(0)};
    auto begin = grants.lower_bound(first);
    auto end = begin;
    while (end != grants.end() && end->first.principal == principal) ++end;
    return std::make_pair(begin, end);
}

}  // namespace

Outcome check_role_name(std::string_view name) {
    if (name.empty() || name.find('\0') != std::string_view::npos) {
        return Outcome::invalid_definition;
    }
    if (name.size() > kRoleNameBytesMax) return Outcome::name_too_long;
    if (name == "public" || name == "none" || name.starts_with("pg_")) {
        return Outcome::reserved_name;
    }
    return Outcome::ok;
}

Outcome check_verifier(std::string_view verifier) {
    if (!verifier.starts_with(kVerifierPrefix) || verifier.size() > kVerifierBytesMax) {
        return Outcome::invalid_definition;
    }
    return Outcome::ok;
}

// --- reads ---------------------------------------------------------------------------------------

const RoleInfo* AccessControl::role(PrincipalId principal) const {
    auto found = roles_.find(principal);
    return found != roles_.end() ? &found->second : nullptr;
}

const RoleInfo* AccessControl::find_role(std::string_view name) const {
    auto found = names_.find(name);
    return found != names_.end() ? role(found->second) : nullptr;
}

bool AccessControl::is_superuser(PrincipalId principal) const {
    if (is_builtin_principal(principal)) return true;
    const RoleInfo* found = role(principal);
    return found != nullptr && found->superuser;
}

bool AccessControl::may_connect(PrincipalId principal, TenantId tenant) const {
    return is_superuser(principal) || holds({principal, tenant, TableId(0), Privilege::connect});
}

bool AccessControl::has_table_privilege(PrincipalId principal, TenantId tenant, TableId table,
                                        Privilege privilege) const {
    if (is_superuser(principal)) return true;
    return holds({principal, tenant, TableId(0), Privilege::connect}) &&
           holds({principal, tenant, table, privilege});
}

// --- loading -------------------------------------------------------------------------------------

void AccessControl::load_role(RoleInfo role) {
    const PrincipalId id = role.principal;
    names_[role.name] = id;
    roles_[id] = std::move(role);
    if (id >= next_principal_) next_principal_ = PrincipalId(id.value() + 1);
}

void AccessControl::load_grant(const GrantKey& key, PrincipalId grantor) { grants_[key] = grantor; }

void AccessControl::set_next_principal(PrincipalId next) {
    next_principal_ = std::max(next, PrincipalId(kFirstRolePrincipal));
}

// --- role ops ------------------------------------------------------------------------------------

Outcome AccessControl::apply(const RoleOp& op, Position at, const Catalog& catalog,
                             std::string* detail, AccessChanges* changes) {
    switch (op.action) {
        case RoleAction::create:
            return create_role(op, at, detail, changes);
        case RoleAction::alter:
            return alter_role(op, at, detail, changes);
        case RoleAction::drop:
            return drop_roles(op, at, catalog, detail, changes);
    }
    return fail(detail, Outcome::invalid_definition, "unknown role action");
}

Outcome AccessControl::create_role(const RoleOp& op, Position at, std::string* detail,
                                   AccessChanges* changes) {
    if (!op.roles.empty()) {
        return fail(detail, Outcome::invalid_definition, "creating a role names no other roles");
    }
    switch (check_role_name(op.name)) {
        case Outcome::ok:
            break;
        case Outcome::reserved_name:
            return fail(detail, Outcome::reserved_name,
                        "role name " + quoted(op.name) + " is reserved");
        case Outcome::name_too_long:
            return fail(detail, Outcome::name_too_long,
                        "role name is longer than " + std::to_string(kRoleNameBytesMax) + " bytes");
        default:
            return fail(detail, Outcome::invalid_definition, "invalid role name");
    }
    if (names_.contains(op.name)) {
        return fail(detail, Outcome::role_exists, "role " + quoted(op.name) + " already exists");
    }
    const std::string verifier = op.attributes.verifier.value_or("");
    if (!verifier.empty() && check_verifier(verifier) != Outcome::ok) {
        return fail(detail, Outcome::invalid_definition,
                    "a role's password must be stored as a SCRAM-SHA-256 verifier");
    }
    RoleInfo role{.principal = next_principal_,
                  .name = op.name,
                  .login = op.attributes.login.value_or(false),
                  .superuser = op.attributes.superuser.value_or(false),
                  .verifier = verifier,
                  .created = at,
                  .altered = at};
    if (changes != nullptr) changes->roles_written.push_back(role.principal);
    load_role(std::move(role));
    return Outcome::ok;
}

Outcome AccessControl::alter_role(const RoleOp& op, Position at, std::string* detail,
                                  AccessChanges* changes) {
    if (op.roles.size() != 1 || !op.name.empty()) {
        return fail(detail, Outcome::invalid_definition, "altering a role names exactly one role");
    }
    auto found = roles_.find(op.roles.front());
    if (found == roles_.end()) {
        return fail(detail, Outcome::no_such_role,
                    role_label(*this, op.roles.front()) + " does not exist");
    }
    const RoleAttributes& set = op.attributes;
    if (set.verifier && !set.verifier->empty() && check_verifier(*set.verifier) != Outcome::ok) {
        return fail(detail, Outcome::invalid_definition,
                    "a role's password must be stored as a SCRAM-SHA-256 verifier");
    }
    RoleInfo& role = found->second;
    if (set.login) role.login = *set.login;
    if (set.superuser) role.superuser = *set.superuser;
    if (set.verifier) role.verifier = *set.verifier;
    role.altered = at;
    if (changes != nullptr) changes->roles_written.push_back(role.principal);
    return Outcome::ok;
}

Outcome AccessControl::drop_roles(const RoleOp& op, Position at, const Catalog& catalog,
                                  std::string* detail, AccessChanges* changes) {
    if (op.roles.empty() || !op.name.empty()) {
        return fail(detail, Outcome::invalid_definition, "dropping roles names at least one");
    }
    if (std::set<PrincipalId>(op.roles.begin(), op.roles.end()).size() != op.roles.size()) {
        return fail(detail, Outcome::invalid_definition, "a role is named twice");
    }
    for (PrincipalId id : op.roles) {
        if (role(id) == nullptr) {
            return fail(detail, Outcome::no_such_role, role_label(*this, id) + " does not exist");
        }
    }
    // All or none: the first role something still depends on refuses the whole op.
    for (PrincipalId id : op.roles) {
        std::string depends;
        const auto [begin, end] = grants_of(grants_, id);
        std::set<std::string> lines;  // one line per object, as PostgreSQL lists them
        for (auto it = begin; it != end; ++it) {
            const GrantKey& key = it->first;
            if (!grant_object_live(catalog, key, at)) continue;
            lines.insert("privileges for " + (key.table.value() == 0
                                                  ? database_label(catalog, key.tenant)
                                                  : table_label(catalog, key.tenant, key.table)));
        }
        if (!lines.empty()) {
            std::string why = "role " + quoted(role(id)->name) +
                              " cannot be dropped because some objects depend on it";
            for (const std::string& line : lines) why += "\n" + line;
            return fail(detail, Outcome::dependent_objects_exist, std::move(why));
        }
    }
    for (PrincipalId id : op.roles) {
        const auto [begin, end] = grants_of(grants_, id);
        if (changes != nullptr) {
            for (auto it = begin; it != end; ++it) changes->grants_removed.push_back(it->first);
        }
        grants_.erase(begin, end);
        drop_role_api_keys(id, changes);
        auto found = roles_.find(id);
        names_.erase(found->second.name);
        if (changes != nullptr) changes->roles_dropped.push_back(std::move(found->second));
        roles_.erase(found);
    }
    return Outcome::ok;
}

// --- grant ops -----------------------------------------------------------------------------------

Outcome AccessControl::apply(const GrantOp& op, PrincipalId by, Position at, const Catalog& catalog,
                             std::string* detail, AccessChanges* changes) {
    if (op.roles.empty() || op.privileges.empty()) {
        return fail(detail, Outcome::invalid_definition,
                    "a grant names at least one role and one privilege");
    }
    const bool database = op.target == GrantTarget::database;
    for (Privilege privilege : op.privileges) {
        if ((privilege == Privilege::connect) != database) {
            return fail(detail, Outcome::invalid_definition,
                        "invalid privilege type " + std::string(privilege_name(privilege)) +
                            (database ? " for database" : " for relation"));
        }
    }
    if ((op.target == GrantTarget::tables) == op.tables.empty()) {
        return fail(detail, Outcome::invalid_definition,
                    "a grant lists tables exactly when its target is tables");
    }
    const TenantCatalog* tenant = catalog.tenant(op.tenant);
    if (tenant == nullptr) {
        return fail(detail, Outcome::no_such_tenant,
                    database_label(catalog, op.tenant) + " does not exist");
    }
    std::set<TableId> objects;
    switch (op.target) {
        case GrantTarget::database:
            objects.insert(TableId(0));
            break;
        case GrantTarget::tables:
            for (TableId table : op.tables) {
                if (table.value() == 0 || tenant->table(table, at) == nullptr) {
                    return fail(
                        detail, Outcome::no_such_table,
                        "relation with id " + std::to_string(table.value()) + " does not exist");
                }
                objects.insert(table);
            }
            break;
        case GrantTarget::all_tables:
            // The tables live now: PostgreSQL's ALL TABLES IN SCHEMA is not a default for
            // tables created later.
            for (const auto& [id, versions] : tenant->table_versions()) {
                if (tenant->table(id, at) != nullptr) objects.insert(id);
            }
            break;
    }
    for (PrincipalId id : op.roles) {
        if (role(id) == nullptr) {
            return fail(detail, Outcome::no_such_role, role_label(*this, id) + " does not exist");
        }
    }
    const std::set<PrincipalId> grantees(op.roles.begin(), op.roles.end());
    const std::set<Privilege> privileges(op.privileges.begin(), op.privileges.end());
    for (PrincipalId grantee : grantees) {
        for (TableId table : objects) {
            for (Privilege privilege : privileges) {
                const GrantKey key{grantee, op.tenant, table, privilege};
                if (!op.revoke && !grants_.contains(key)) {
                    grants_.emplace(key, by);
                    if (changes != nullptr) changes->grants_added.emplace_back(key, by);
                } else if (op.revoke && grants_.erase(key) > 0) {
                    if (changes != nullptr) changes->grants_removed.push_back(key);
                }
            }
        }
    }
    return Outcome::ok;
}

// --- records -------------------------------------------------------------------------------------

Bytes encode_role_record(const RoleInfo& role) {
    WireWriter out;
    out.u8(kRoleRecordVersion);
    out.u64(role.principal.value());
    out.string(role.name);
    out.boolean(role.login);
    out.boolean(role.superuser);
    out.string(role.verifier);
    out.u64(role.created.value());
    out.u64(role.altered.value());
    return out.take();
}

Result<RoleInfo> decode_role_record(ByteSpan bytes) {
    if (bytes.empty() || bytes[0] != kRoleRecordVersion) {
        return Status::corruption(
            "role record: format version " +
            (bytes.empty() ? std::string("missing") : std::to_string(bytes[0])));
    }
    WireReader in(bytes.subspan(1), "role record");
    RoleInfo role;
    role.principal = PrincipalId(in.u64("principal"));
    role.name = in.string("name");
    role.login = in.boolean("login");
    role.superuser = in.boolean("superuser");
    role.verifier = in.string("verifier");
    role.created = Position(in.u64("created"));
    role.altered = Position(in.u64("altered"));
    KB_TRY(in.finish().with_context("role " + std::to_string(role.principal.value())));
    return role;
}

std::array<u8, kGrantKeyBytes> encode_grant_key(const GrantKey& key) {
    std::array<u8, kGrantKeyBytes> out{};
    const auto principal = trees::be64(key.principal.value());
    const auto tenant = trees::be64(key.tenant.value());
    const auto table = trees::be64(key.table.value());
    std::copy(principal.begin(), principal.end(), out.begin());
    std::copy(tenant.begin(), tenant.end(), out.begin() + 8);
    std::copy(table.begin(), table.end(), out.begin() + 16);
    out[24] = static_cast<u8>(key.privilege);
    return out;
}

Result<GrantKey> decode_grant_key(ByteSpan bytes) {
    if (bytes.size() != kGrantKeyBytes || bytes[24] == 0 ||
        bytes[24] > static_cast<u8>(kPrivilegeMax)) {
        return Status::corruption("grants tree: a key of " + std::to_string(bytes.size()) +
                                  " bytes that is no grant (" + to_hex(bytes) + ")");
    }
    return GrantKey{
        PrincipalId(trees::load_be64(bytes.data())), TenantId(trees::load_be64(bytes.data() + 8)),
        TableId(trees::load_be64(bytes.data() + 16)), static_cast<Privilege>(bytes[24])};
}

std::array<u8, 8> encode_grantor(PrincipalId grantor) {
    std::array<u8, 8> out{};
    store_le_u64(out.data(), grantor.value());
    return out;
}

Result<PrincipalId> decode_grantor(ByteSpan bytes) {
    if (bytes.size() != 8) {
        return Status::corruption("grants tree: a grantor of " + std::to_string(bytes.size()) +
                                  " bytes");
    }
    return PrincipalId(load_le_u64(bytes.data()));
}

}  // namespace kb::kernel
