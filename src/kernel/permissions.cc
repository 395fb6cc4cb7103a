// The permission hook (see permissions.h).
#include "kernel/permissions.h"

#include <algorithm>

#include "base/assert.h"

namespace kb::kernel {
namespace {

class RequestBuilder {
public:
    RequestBuilder(const TenantCatalog* catalog, Position at) : catalog_(catalog), at_(at) {}

    void add(ObjectKind kind, u64 id, Access access) { objects_.push_back({kind, id, access}); }

    // A key space is a table or an index of one; permissions are the table's.
    void add_key_space(ObjectId object, Access access) {
        u64 table = object.value();
        if (catalog_ != nullptr && catalog_->table(TableId(table), at_) == nullptr) {
            if (const IndexSchema* index = catalog_->index(IndexId(table), at_)) {
                table = index->table.value();
            }
        }
        add(ObjectKind::table, table, access);
    }
    void add_index_owner(IndexId index, Access access) {
        const IndexSchema* schema = catalog_ != nullptr ? catalog_->index(index, kLatest) : nullptr;
        add(ObjectKind::table, schema != nullptr ? schema->table.value() : index.value(), access);
    }

    std::vector<ObjectAccess> take() {
        std::sort(objects_.begin(), objects_.end());
        objects_.erase(std::unique(objects_.begin(), objects_.end()), objects_.end());
        return std::move(objects_);
    }

private:
    const TenantCatalog* catalog_;
    Position at_;
    std::vector<ObjectAccess> objects_;
};

void describe_transaction(const TransactionOp& txn, TenantId tenant, RequestBuilder& builder) {
    for (const KeyRef& ref : txn.reads.keys) builder.add_key_space(ref.object, Access::read);
    for (const KeyRange& range : txn.reads.ranges) {
        builder.add_key_space(range.object, Access::read);
    }
    for (const DdlChange& change : txn.ddl) {
        std::visit(
            [&](const auto& c) {
                using T = std::decay_t<decltype(c)>;
                // Drawing values from a sequence the op itself creates is part of creating it.
                if constexpr (std::is_same_v<T, CreateTableChange> ||
                              std::is_same_v<T, CreateSequenceChange> ||
                              std::is_same_v<T, AdvanceSequenceChange>) {
                    builder.add(ObjectKind::tenant, tenant.value(), Access::create);
                } else if constexpr (std::is_same_v<T, DropTableChange>) {
                    builder.add(ObjectKind::table, c.table.value(), Access::drop);
                } else if constexpr (std::is_same_v<T, CreateIndexChange>) {
                    builder.add(ObjectKind::table, c.schema.table.value(), Access::alter);
                } else if constexpr (std::is_same_v<T, DropIndexChange>) {
                    builder.add_index_owner(c.index, Access::alter);
                } else if constexpr (std::is_same_v<T, AddColumnChange> ||
                                     std::is_same_v<T, DropColumnChange>) {
                    builder.add(ObjectKind::table, c.table.value(), Access::alter);
                } else {
                    static_assert(std::is_same_v<T, TruncateTableChange>);
                    builder.add(ObjectKind::table, c.table.value(), Access::truncate);
                }
            },
            change);
    }
    for (const RowEffect& effect : txn.effects) {
        Access access = effect.kind == RowEffectKind::insert   ? Access::insert
                        : effect.kind == RowEffectKind::update ? Access::update
                                                               : Access::remove;
        builder.add(ObjectKind::table, effect.table.value(), access);
    }
}

void describe_role_op(const RoleOp& op, RequestBuilder& builder) {
    switch (op.action) {
        case RoleAction::create:
            builder.add(ObjectKind::role, 0, Access::create);
            return;
        case RoleAction::alter: {
            const RoleAttributes& set = op.attributes;
            const bool password_only = set.verifier && !set.login && !set.superuser;
            for (PrincipalId role : op.roles) {
                builder.add(ObjectKind::role, role.value(),
                            password_only ? Access::password : Access::alter);
            }
            return;
        }
        case RoleAction::drop:
            for (PrincipalId role : op.roles) {
                builder.add(ObjectKind::role, role.value(), Access::drop);
            }
            return;
    }
}

PermissionDecision deny(std::string reason) {
    return {.outcome = Outcome::permission_denied, .reason = std::move(reason)};
}

std::string table_name(const PermissionContext& context, TenantId tenant, u64 table) {
    const TenantCatalog* in =
        context.catalog != nullptr ? context.catalog->tenant(tenant) : nullptr;
    const TableSchema* schema = in != nullptr ? in->table(TableId(table)) : nullptr;
    return schema != nullptr ? schema->name : "with id " + std::to_string(table);
}

std::string database_name(const PermissionContext& context, TenantId tenant) {
    const TenantCatalog* in =
        context.catalog != nullptr ? context.catalog->tenant(tenant) : nullptr;
    return in != nullptr ? in->info().name : "with id " + std::to_string(tenant.value());
}

std::optional<Privilege> table_privilege(Access access) {
    switch (access) {
        case Access::insert:
            return Privilege::insert;
        case Access::update:
            return Privilege::update;
        case Access::remove:
            return Privilege::remove;
        case Access::truncate:
            return Privilege::truncate;
        default:
            return std::nullopt;
    }
}

// A non-superuser role's access to one object (CONNECT already checked for tenant ops).
PermissionDecision decide_object(const PermissionRequest& request, const ObjectAccess& object,
                                 const PermissionContext& context, const RoleInfo& role) {
    const AccessControl& access = *context.access;
    const auto holds = [&](u64 table, Privilege privilege) {
        return access.holds({request.principal, request.tenant, TableId(table), privilege});
    };
    switch (object.kind) {
        case ObjectKind::table: {
            if (object.access == Access::read) return {};  // checked where the read happens
            if (object.access == Access::usage) {
                if (holds(object.id, Privilege::insert) || holds(object.id, Privilege::update)) {
                    return {};
                }
                return deny("permission denied for sequence of table " +
                            table_name(context, request.tenant, object.id));
            }
            if (auto privilege = table_privilege(object.access)) {
                if (holds(object.id, *privilege)) return {};
                return deny("permission denied for table " +
                            table_name(context, request.tenant, object.id));
            }
            return deny("must be superuser to " + std::string(access_name(object.access)) +
                        " table " + table_name(context, request.tenant, object.id) +
                        " (tables have no owners yet)");
        }
        case ObjectKind::role:
            if (object.access == Access::password && object.id == request.principal.value()) {
                return {};  // a role may change its own password, as in PostgreSQL
            }
            return deny("permission denied to " +
                        std::string(object.access == Access::create ? "create"
                                    : object.access == Access::drop ? "drop"
                                                                    : "alter") +
                        " role: must be superuser (role \"" + role.name + "\" is not)");
        case ObjectKind::tenant:
            if (object.access == Access::grant) {
                return deny("permission denied to grant privileges in database " +
                            database_name(context, TenantId(object.id)) + ": must be superuser");
            }
            if (object.access == Access::drop) {
                // PostgreSQL's words for a non-owner; databases have no owners here.
                return deny("must be owner of database " +
                            database_name(context, TenantId(object.id)));
            }
            if (object.id == 0) {
                return deny("permission denied to " +
                            std::string(request.op == OpKind::create_tenant
                                            ? "create database"
                                            : "change system settings") +
                            ": must be superuser");
            }
            return deny("permission denied for schema public: creating objects in database " +
                        database_name(context, TenantId(object.id)) + " needs a superuser");
        case ObjectKind::stream:
        case ObjectKind::sequence:
            return deny("permission denied to " + std::string(access_name(object.access)) + " " +
                        std::string(object_kind_name(object.kind)) + " " +
                        std::to_string(object.id) + ": must be superuser");
    }
    KB_UNREACHABLE();
}

}  // namespace

std::string_view access_name(Access access) {
    switch (access) {
        case Access::read:
            return "read";
        case Access::insert:
            return "insert into";
        case Access::update:
            return "update";
        case Access::remove:
            return "delete from";
        case Access::truncate:
            return "truncate";
        case Access::append:
            return "append to";
        case Access::create:
            return "create in";
        case Access::drop:
            return "drop";
        case Access::alter:
            return "alter";
        case Access::usage:
            return "use";
        case Access::password:
            return "set the password of";
        case Access::grant:
            return "grant on";
    }
    KB_UNREACHABLE();
}

std::string_view object_kind_name(ObjectKind kind) {
    switch (kind) {
        case ObjectKind::tenant:
            return "tenant";
        case ObjectKind::stream:
            return "stream";
        case ObjectKind::table:
            return "table";
        case ObjectKind::sequence:
            return "sequence";
        case ObjectKind::role:
            return "role";
    }
    KB_UNREACHABLE();
}

PermissionRequest permission_request_for(const Op& op, const TenantCatalog* catalog,
                                         Position position) {
    PermissionRequest request{
        .principal = op.principal, .tenant = op.tenant, .op = op.kind(), .position = position};
    Position schema_at = position;
    if (const auto* txn = std::get_if<TransactionOp>(&op.body)) schema_at = txn->snapshot;
    RequestBuilder builder(catalog, schema_at);
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, CreateTenantOp> || std::is_same_v<T, CreateStreamOp>) {
                builder.add(ObjectKind::tenant, op.tenant.value(), Access::create);
            } else if constexpr (std::is_same_v<T, DeleteStreamOp>) {
                builder.add(ObjectKind::stream, body.stream.value(), Access::drop);
            } else if constexpr (std::is_same_v<T, AppendBatchOp>) {
                builder.add(ObjectKind::stream, body.stream.value(), Access::append);
            } else if constexpr (std::is_same_v<T, ReserveSequenceOp>) {
                // A SERIAL or identity column's sequence is the table's: inserting needs it.
                const SequenceSchema* sequence =
                    catalog != nullptr ? catalog->sequence(body.sequence, position) : nullptr;
                if (sequence != nullptr && sequence->owner_table.value() != 0) {
                    builder.add(ObjectKind::table, sequence->owner_table.value(), Access::usage);
                } else {
                    builder.add(ObjectKind::sequence, body.sequence.value(), Access::usage);
                }
            } else if constexpr (std::is_same_v<T, ConfigureOp>) {
                // System settings: altering the system tenant (0).
                builder.add(ObjectKind::tenant, 0, Access::alter);
            } else if constexpr (std::is_same_v<T, RoleOp>) {
                describe_role_op(body, builder);
            } else if constexpr (std::is_same_v<T, GrantOp>) {
                builder.add(ObjectKind::tenant, body.tenant.value(), Access::grant);
            } else if constexpr (std::is_same_v<T, DropTenantOp>) {
                builder.add(ObjectKind::tenant, body.tenant.value(), Access::drop);
            } else if constexpr (std::is_same_v<T, ApiKeyOp>) {
                // A key is a login of its role: making or revoking one alters the role, which
                // only superusers may (a revoke names no role: role 0).
                builder.add(ObjectKind::role, body.role.value(), Access::alter);
            } else {
                static_assert(std::is_same_v<T, TransactionOp>);
                describe_transaction(body, op.tenant, builder);
            }
        },
        op.body);
    request.objects = builder.take();
    return request;
}

PermissionDecision GrantPermissions::check(const PermissionRequest& request,
                                           const PermissionContext& context) const {
    if (is_builtin_principal(request.principal)) return {};
    const RoleInfo* role =
        context.access != nullptr ? context.access->role(request.principal) : nullptr;
    if (role == nullptr) {
        return deny("principal " + std::to_string(request.principal.value()) +
                    " is no role (it was dropped, or never existed)");
    }
    if (role->superuser) return {};
    if (request.tenant.value() != 0 && !context.access->holds({request.principal, request.tenant,
                                                               TableId(0), Privilege::connect})) {
        return deny("permission denied for database " + database_name(context, request.tenant) +
                    ": role \"" + role->name + "\" has no CONNECT privilege on it");
    }
    for (const ObjectAccess& object : request.objects) {
        PermissionDecision decision = decide_object(request, object, context, *role);
        if (!decision.allowed()) return decision;
    }
    return {};
}

PermissionDecision AdminPermissions::check(const PermissionRequest& request,
                                           const PermissionContext&) const {
    if (std::find(admins_.begin(), admins_.end(), request.principal) != admins_.end()) {
        return {};
    }
    return {.outcome = Outcome::permission_denied,
            .reason = "principal " + std::to_string(request.principal.value()) +
                      " has no grants (only admins may " + std::string(op_kind_name(request.op)) +
                      " until grants exist)"};
}

void ScriptedPermissions::deny(PrincipalId principal, ObjectAccess object) {
    denied_.emplace_back(principal, object);
}

PermissionDecision ScriptedPermissions::check(const PermissionRequest& request,
                                              const PermissionContext&) const {
    requests_.push_back(request);
    for (const ObjectAccess& object : request.objects) {
        for (const auto& [principal, denied] : denied_) {
            if ((principal.value() == 0 || principal == request.principal) && denied == object) {
                return {.outcome = Outcome::permission_denied,
                        .reason = "principal " + std::to_string(request.principal.value()) +
                                  " may not " + std::string(access_name(object.access)) + " " +
                                  std::string(object_kind_name(object.kind)) + " " +
                                  std::to_string(object.id)};
            }
        }
    }
    return {};
}

}  // namespace kb::kernel
