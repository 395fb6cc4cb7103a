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
                builder.add(ObjectKind::sequence, body.sequence.value(), Access::usage);
            } else if constexpr (std::is_same_v<T, ConfigureOp>) {
                // System settings: altering the system tenant (0).
                builder.add(ObjectKind::tenant, 0, Access::alter);
            } else {
                static_assert(std::is_same_v<T, TransactionOp>);
                describe_transaction(body, op.tenant, builder);
            }
        },
        op.body);
    request.objects = builder.take();
    return request;
}

PermissionDecision AdminPermissions::check(const PermissionRequest& request) const {
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

PermissionDecision ScriptedPermissions::check(const PermissionRequest& request) const {
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
