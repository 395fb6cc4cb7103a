// API key functions: what `kmb user api-key create|revoke|list` call over the wire
// (docs/SERVER.md, "API keys"; kernel/api_keys.h has the keys' rules).
//
//   kimberlite_create_api_key(role, database, mode)   makes a key for `role` (a role name)
//       scoped to `database` (a tenant name), mode 'read_only' or 'read_write', and returns the
//       key's text `kmb_...` — the one time it is shown. The secret is drawn here (the edge)
//       from the system's randomness; the op, the log and the store hold only its SHA-256.
//   kimberlite_revoke_api_key(key)   revokes the key a 16-hex-digit id or a whole key names;
//       returns the id. Sessions already logged in with it can no longer write.
//   kimberlite_api_keys()   the live keys as a JSON array of {"id", "role", "database",
//       "mode", "created"} (created: the log position of the op that made it); no secrets.
//
// Superusers only (42501 otherwise). Not transactional: the op is logged at once, like
// kimberlite_attest(). Errors: 42704 for an unknown role or key, 3D000 for an unknown
// database, 22023 for a bad mode or key id.
#include "crypto/random.h"
#include "db/transaction.h"
#include "kernel/access_reads.h"
#include "kernel/api_keys.h"
#include "kernel/kernel_reads.h"
#include "sql/func_catalog.h"

namespace kb::sql {
namespace {

SqlStatus submit(const EvalContext& context, kernel::ApiKeyOp op) {
    const db::Transaction& transaction = *context.transaction;
    auto result = transaction.host().submit(TenantId(0), transaction.principal(), std::move(op));
    if (!result) return from_status(result.error());
    if (result->outcome == kernel::Outcome::ok) return sql_ok();
    return SqlError(std::string(kernel::outcome_sqlstate(result->outcome)), result->detail);
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

SqlResult<Value> create_api_key(Args args, const EvalContext& context) {
    KB_SQL_TRY(require_superuser(context, "kimberlite_create_api_key"));
    const std::string& role_name = args[0].as_text();
    const std::string& database = args[1].as_text();
    const std::string& mode = args[2].as_text();
    if (mode != "read_only" && mode != "read_write") {
        return SqlError(sqlstate::kInvalidParameterValue, "invalid API key mode \"" + mode + "\"")
            .with_hint("Use 'read_only' or 'read_write'.");
    }
    const store::Snapshot& snapshot = context.transaction->snapshot();
    auto role = kernel::reads::find_role(snapshot, role_name);
    if (!role) return from_status(role.status());
    if (!*role) {
        return SqlError(sqlstate::kUndefinedObject, "role \"" + role_name + "\" does not exist");
    }
    auto catalog = kernel::reads::catalog(snapshot);
    if (!catalog) return from_status(catalog.status());
    const kernel::TenantCatalog* tenant = catalog->find_tenant(database);
    if (tenant == nullptr) {
        return SqlError(sqlstate::kInvalidCatalogName,
                        "database \"" + database + "\" does not exist");
    }
    static thread_local crypto::SystemRandom random;
    const kernel::ApiKeyText key = kernel::make_api_key(random);
    KB_SQL_TRY(submit(context, kernel::ApiKeyOp{.action = kernel::ApiKeyAction::create,
                                                .key_id = key.key_id,
                                                .role = (*role)->principal,
                                                .tenant = tenant->info().id,
                                                .read_only = mode == "read_only",
                                                .secret_hash = kernel::api_key_secret_hash(key)}));
    return Value::text(kernel::format_api_key(key));
}

SqlResult<Value> revoke_api_key(Args args, const EvalContext& context) {
    KB_SQL_TRY(require_superuser(context, "kimberlite_revoke_api_key"));
    const auto id = kernel::parse_api_key_id(args[0].as_text());
    if (!id) {
        return SqlError(sqlstate::kInvalidParameterValue, "invalid API key id")
            .with_hint("Give the key's 16 hex digit id, or the whole key.");
    }
    KB_SQL_TRY(
        submit(context, kernel::ApiKeyOp{.action = kernel::ApiKeyAction::revoke, .key_id = *id}));
    return Value::text(kernel::api_key_id_hex(*id));
}

SqlResult<Value> list_api_keys(Args, const EvalContext& context) {
    KB_SQL_TRY(require_superuser(context, "kimberlite_api_keys"));
    const store::Snapshot& snapshot = context.transaction->snapshot();
    auto keys = kernel::reads::api_keys(snapshot);
    if (!keys) return from_status(keys.status());
    auto roles = kernel::reads::roles(snapshot);
    if (!roles) return from_status(roles.status());
    auto catalog = kernel::reads::catalog(snapshot);
    if (!catalog) return from_status(catalog.status());
    std::string out = "[";
    for (const kernel::ApiKeyInfo& key : *keys) {
        std::string role_name;
        for (const kernel::RoleInfo& role : *roles) {
            if (role.principal == key.role) role_name = role.name;
        }
        const kernel::TenantCatalog* tenant = catalog->tenant(key.tenant);
        if (out.size() > 1) out += ", ";
        out += "{\"id\": " + json_string(kernel::api_key_id_hex(key.key_id)) +
               ", \"role\": " + json_string(role_name) +
               ", \"database\": " + json_string(tenant != nullptr ? tenant->info().name : "") +
               ", \"mode\": " + json_string(key.read_only ? "read_only" : "read_write") +
               ", \"created\": " + std::to_string(key.created.value()) + "}";
    }
    return Value::text(out + "]");
}

std::vector<FunctionDef> build() {
    std::vector<FunctionDef> out = {
        function("kimberlite_create_api_key", {SqlType::text, SqlType::text, SqlType::text},
                 SqlType::text, create_api_key),
        function("kimberlite_revoke_api_key", {SqlType::text}, SqlType::text, revoke_api_key),
        function("kimberlite_api_keys", {}, SqlType::text, list_api_keys),
    };
    for (FunctionDef& def : out) def.immutable = false;  // volatile: never folded
    return out;
}

}  // namespace

std::span<const FunctionDef> api_key_function_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
