// Logins by API key and the writes of a key's session (see native_api_key.h), with the
// handshake's part of it (NativeSession::login_with_api_key) and the hosts' API key logins.
#include "server/native_api_key.h"

#include "crypto/constant_time.h"
#include "kernel/access_reads.h"
#include "kernel/api_keys.h"
#include "server/native_session.h"
#include "server/pg_host.h"

namespace kb::server {
namespace {

sql::SqlError key_refused() {
    return sql::SqlError(kSqlstateInvalidPassword, std::string(kApiKeyAuthenticationFailed));
}

db::SubmitResult refused(std::string detail) {
    db::SubmitResult result;
    result.outcome = kernel::Outcome::permission_denied;
    result.detail = std::move(detail);
    result.position = Position::none();
    return result;
}

}  // namespace

sql::SqlResult<PgLogin> find_api_key_login(db::TransactionHost& transactions,
                                           std::string_view key_text, std::string_view database) {
    const std::optional<kernel::ApiKeyText> key = kernel::parse_api_key(key_text);
    if (!key) return key_refused();
    // The key's record first, to learn its tenant; then everything on that tenant's snapshot.
    const db::TransactionHost::Start latest = transactions.start(TenantId(0));
    auto stored = kernel::reads::api_key(latest.snapshot, key->key_id);
    if (!stored) return sql::from_status(stored.status());
    if (!*stored) return key_refused();
    const kernel::ApiKeyInfo& info = **stored;
    const auto hash = kernel::api_key_secret_hash(*key);
    if (!crypto::constant_time_equal(hash, info.secret_hash)) return key_refused();

    const db::TransactionHost::Start start = transactions.start(info.tenant);
    if (start.catalog == nullptr || start.catalog->info().is_dropped()) return key_refused();
    const std::string& tenant_name = start.catalog->info().name;
    if (!database.empty() && database != tenant_name) return key_refused();
    auto role = kernel::reads::role(start.snapshot, info.role);
    if (!role) return sql::from_status(role.status());
    if (!*role || !(*role)->login) return key_refused();
    auto connect = kernel::reads::may_connect(start.snapshot, info.role, info.tenant);
    if (!connect) return sql::from_status(connect.status());
    if (!*connect) {
        return sql::SqlError(sql::sqlstate::kInsufficientPrivilege,
                             "permission denied for database \"" + tenant_name + "\"");
    }
    return PgLogin{.tenant = info.tenant,
                   .principal = info.role,
                   .user = (*role)->name,
                   .database = tenant_name,
                   .superuser = (*role)->superuser,
                   .api_key = info.key_id,
                   .read_only = info.read_only};
}

Result<bool> api_key_live(db::TransactionHost& transactions, TenantId tenant, u64 key_id) {
    const db::TransactionHost::Start start = transactions.start(tenant);
    return KB_TRY(kernel::reads::api_key(start.snapshot, key_id)).has_value();
}

// --- ApiKeyTransactionHost ------------------------------------------------------------------

std::optional<Result<db::SubmitResult>> ApiKeyTransactionHost::refusal() {
    if (read_only_) {
        return Result<db::SubmitResult>(refused("permission denied: API key " +
                                                kernel::api_key_id_hex(key_id_) + " is read-only"));
    }
    auto live = api_key_live(inner_, tenant_, key_id_);
    if (!live) return Result<db::SubmitResult>(live.status());
    if (!*live) {
        return Result<db::SubmitResult>(refused("permission denied: API key " +
                                                kernel::api_key_id_hex(key_id_) + " was revoked"));
    }
    return std::nullopt;
}

Result<db::SubmitResult> ApiKeyTransactionHost::submit(TenantId tenant, PrincipalId principal,
                                                       kernel::OpBody body) {
    if (auto refused_now = refusal()) return std::move(*refused_now);
    return inner_.submit(tenant, principal, std::move(body));
}

void ApiKeyTransactionHost::submit_async(TenantId tenant, PrincipalId principal,
                                         kernel::OpBody body, db::SubmitCallback done) {
    if (auto refused_now = refusal()) return done(std::move(*refused_now));
    inner_.submit_async(tenant, principal, std::move(body), std::move(done));
}

Result<storage::Digest> ApiKeyTransactionHost::attest_digest() {
    // An attestation is a write to the log.
    if (auto refused_now = refusal()) {
        if (!*refused_now) return refused_now->status();
        return Status::permission_denied((*refused_now)->detail);
    }
    return inner_.attest_digest();
}

// --- hosts ------------------------------------------------------------------------------------

sql::SqlResult<PgLogin> PgConnectionHost::login_with_api_key(std::string_view, std::string_view,
                                                             bool) {
    return key_refused();
}

sql::SqlResult<PgLogin> PgHost::login_with_api_key(std::string_view key, std::string_view database,
                                                   bool tls_active, const std::string& peer_host,
                                                   Clock::time_point now) {
    if (options_.tls_required && !tls_active) {
        return sql::SqlError("28000", "this server accepts only TLS connections");
    }
    if (locked_out(peer_host, now)) {
        return sql::SqlError("28000", "too many failed login attempts from " + peer_host +
                                          "; try again in a minute");
    }
    auto login = find_api_key_login(transactions(), key, database);
    if (!login && login.error().sqlstate == kSqlstateInvalidPassword) {
        record_failure(peer_host, now);
    }
    return login;
}

sql::SqlResult<PgLogin> PgPeerHost::login_with_api_key(std::string_view key,
                                                       std::string_view database, bool tls_active) {
    auto login = host_.login_with_api_key(key, database, tls_active, peer_host_);
    if (login && login->api_key) {
        key_transactions_ = std::make_unique<ApiKeyTransactionHost>(
            host_.transactions(), login->tenant, *login->api_key, login->read_only);
    }
    return login;
}

// --- the handshake ------------------------------------------------------------------------------

void NativeSession::login_with_api_key(const NativeHello& hello) {
    const std::string key(hello.initial.begin(), hello.initial.end());
    auto login = host_.login_with_api_key(key, hello.tenant, options_.tls_active);
    if (!login) {
        const std::string& sqlstate = login.error().sqlstate;
        return fail_connection(sqlstate == sql::sqlstate::kInsufficientPrivilege
                                   ? NativeErrorCode::permission_denied
                                   : NativeErrorCode::authentication_failed,
                               login.error().message);
    }
    login_ = std::move(*login);
    apply_auth_step(PgAuthStep::ok());
}

}  // namespace kb::server
