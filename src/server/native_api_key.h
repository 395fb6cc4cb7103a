// Logins by API key (the native protocol's method 3; docs/PROTOCOL.md §4) and the writes a
// key's session may make.
//
// A key `kmb_...` (kernel/api_keys.h) is looked up by its id in the latest published state and
// its secret's SHA-256 compared with the stored one in constant time. It logs in as its role, in
// its tenant, when all of these hold, and otherwise fails with one message for every reason
// (28P01, the native code authentication_failed), so a client cannot tell a wrong secret from
// an unknown or revoked key:
//   * the text is a well-formed key and a live key has its id (not revoked, its role and tenant
//     not dropped), and the secret's hash matches;
//   * the Hello's tenant is empty or names the key's tenant;
//   * the role may log in (LOGIN).
// After that, as for a password, a role without CONNECT on the tenant (and no superuser) is
// refused with 42501. The host counts failures against the failed-login limit (PgHost).
//
// A key's session writes through an ApiKeyTransactionHost: a read-only key's writes — appends,
// stream creations, SQL that writes (the transaction's commit, DDL, roles, nextval, API key
// functions, attestations) — are refused with permission_denied ("read-only API key"), nothing
// applied; and before every write of any key's session the key is looked up again, so a key
// revoked (or dropped with its role) stops the writes of sessions already logged in with it.
// Reads go on until the session ends.
#pragma once

#include <optional>
#include <string_view>

#include "db/transaction.h"
#include "server/pg_connection.h"

namespace kb::server {

// The message of every refused key.
inline constexpr std::string_view kApiKeyAuthenticationFailed = "API key authentication failed";

// Checks `key` for a login to `database` (empty: the key's tenant) against the latest state of
// `transactions`: the login (api_key set), or the error to end the connection with (28P01 for
// anything wrong with the key, 42501 without CONNECT, other codes for I/O failures).
sql::SqlResult<PgLogin> find_api_key_login(db::TransactionHost& transactions, std::string_view key,
                                           std::string_view database);

// Whether the key `key_id` is live in the latest state of `transactions`.
Result<bool> api_key_live(db::TransactionHost& transactions, TenantId tenant, u64 key_id);

// The transactions of a key's session: `inner`'s, with the writes the key may not make refused
// (a refused op's SubmitResult: permission_denied, position none). Reads go to `inner`.
class ApiKeyTransactionHost final : public db::TransactionHost {
public:
    ApiKeyTransactionHost(db::TransactionHost& inner, TenantId tenant, u64 key_id, bool read_only)
        : inner_(inner), tenant_(tenant), key_id_(key_id), read_only_(read_only) {}

    Start start(TenantId tenant) override { return inner_.start(tenant); }
    Result<db::SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                    kernel::OpBody body) override;
    void submit_async(TenantId tenant, PrincipalId principal, kernel::OpBody body,
                      db::SubmitCallback done) override;
    Result<storage::Digest> attest_digest() override;
    Result<std::optional<storage::Digest>> newest_digest() override {
        return inner_.newest_digest();
    }
    Result<std::vector<db::LoggedAppend>> logged_appends(
        std::span<const Position> positions) override {
        return inner_.logged_appends(positions);
    }

private:
    // nullopt when the key may write now, else the refusal.
    std::optional<Result<db::SubmitResult>> refusal();

    db::TransactionHost& inner_;
    TenantId tenant_;
    u64 key_id_;
    bool read_only_;
};

}  // namespace kb::server
