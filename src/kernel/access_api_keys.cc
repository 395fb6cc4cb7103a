// API keys in AccessControl: the rules of api key ops and the keys' record (see api_keys.h).
#include <algorithm>
#include <cstdio>

#include "kernel/access_control.h"
#include "kernel/kernel_trees.h"
#include "kernel/wire.h"

namespace kb::kernel {
namespace {

constexpr u8 kApiKeyRecordVersion = 1;

Outcome fail(std::string* detail, Outcome outcome, std::string why) {
    if (detail != nullptr) *detail = std::move(why);
    return outcome;
}

std::string key_label(u64 key_id) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(key_id));
    return std::string("API key ") + hex;
}

}  // namespace

std::array<u8, 8> api_key_tree_key(u64 key_id) { return trees::be64(key_id); }

Bytes encode_api_key_record(const ApiKeyInfo& key) {
    WireWriter out;
    out.u8(kApiKeyRecordVersion);
    out.u64(key.key_id);
    out.u64(key.role.value());
    out.u64(key.tenant.value());
    out.boolean(key.read_only);
    out.raw(key.secret_hash);
    out.u64(key.created.value());
    return out.take();
}

Result<ApiKeyInfo> decode_api_key_record(ByteSpan bytes) {
    if (bytes.empty() || bytes[0] != kApiKeyRecordVersion) {
        return Status::corruption(
            "API key record: format version " +
            (bytes.empty() ? std::string("missing") : std::to_string(bytes[0])));
    }
    WireReader in(bytes.subspan(1), "API key record");
    ApiKeyInfo key;
    key.key_id = in.u64("key id");
    key.role = PrincipalId(in.u64("role"));
    key.tenant = TenantId(in.u64("tenant"));
    key.read_only = in.boolean("read only");
    const ByteSpan hash = in.raw(kApiKeySecretHashBytes, "secret hash");
    if (in.ok()) std::copy(hash.begin(), hash.end(), key.secret_hash.begin());
    key.created = Position(in.u64("created"));
    KB_TRY(in.finish().with_context(key_label(key.key_id)));
    return key;
}

const ApiKeyInfo* AccessControl::api_key(u64 key_id) const {
    auto found = api_keys_.find(key_id);
    return found != api_keys_.end() ? &found->second : nullptr;
}

void AccessControl::load_api_key(ApiKeyInfo key) {
    const u64 id = key.key_id;
    api_keys_.insert_or_assign(id, std::move(key));
}

Outcome AccessControl::apply(const ApiKeyOp& op, Position at, const Catalog& catalog,
                             std::string* detail, AccessChanges* changes) {
    if (op.key_id == 0) return fail(detail, Outcome::invalid_definition, "an API key id is not 0");
    switch (op.action) {
        case ApiKeyAction::create: {
            if (api_keys_.contains(op.key_id)) {
                return fail(detail, Outcome::api_key_exists,
                            key_label(op.key_id) + " already exists");
            }
            const RoleInfo* owner = role(op.role);
            if (owner == nullptr) {
                return fail(detail, Outcome::no_such_role,
                            "role with principal id " + std::to_string(op.role.value()) +
                                " does not exist");
            }
            const TenantCatalog* tenant = catalog.tenant(op.tenant);
            if (tenant == nullptr || tenant->info().is_dropped()) {
                return fail(
                    detail, Outcome::no_such_tenant,
                    "database with id " + std::to_string(op.tenant.value()) + " does not exist");
            }
            load_api_key(ApiKeyInfo{.key_id = op.key_id,
                                    .role = op.role,
                                    .tenant = op.tenant,
                                    .read_only = op.read_only,
                                    .secret_hash = op.secret_hash,
                                    .created = at});
            if (changes != nullptr) changes->api_keys_added.push_back(op.key_id);
            return Outcome::ok;
        }
        case ApiKeyAction::revoke:
            if (api_keys_.erase(op.key_id) == 0) {
                return fail(detail, Outcome::no_such_api_key,
                            key_label(op.key_id) + " does not exist");
            }
            if (changes != nullptr) changes->api_keys_removed.push_back(op.key_id);
            return Outcome::ok;
    }
    return fail(detail, Outcome::invalid_definition, "unknown API key action");
}

void AccessControl::drop_role_api_keys(PrincipalId owner, AccessChanges* changes) {
    for (auto it = api_keys_.begin(); it != api_keys_.end();) {
        if (it->second.role == owner) {
            if (changes != nullptr) changes->api_keys_removed.push_back(it->first);
            it = api_keys_.erase(it);
        } else {
            ++it;
        }
    }
}

void AccessControl::drop_tenant_api_keys(TenantId tenant, AccessChanges* changes) {
    for (auto it = api_keys_.begin(); it != api_keys_.end();) {
        if (it->second.tenant == tenant) {
            if (changes != nullptr) changes->api_keys_removed.push_back(it->first);
            it = api_keys_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace kb::kernel
