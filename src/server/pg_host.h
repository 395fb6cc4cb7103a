// PgHost: what pgwire connections of `kmb server` need from the database (PgConnectionHost):
// tenants by database name, roles and their SCRAM verifiers, CONNECT privileges, cancel keys.
//
// Login rules, as PostgreSQL's:
//   * the database must exist (3D000 at once: database names are not secret);
//   * every other failure — unknown role, NOLOGIN, no password, wrong password — is the same
//     "password authentication failed for user" after a complete SCRAM exchange (a mock one
//     for a role that cannot log in), so clients cannot probe which roles exist;
//   * a role without CONNECT on the database (and not a superuser) is refused after it proved
//     its password: 42501 'permission denied for database "x"';
//   * SCRAM-SHA-256 always (and -PLUS over TLS); the cleartext password method only over TLS
//     and only when allowed (--allow-cleartext-password);
//   * with tls_required, a connection that did not start TLS is refused (28000) before any
//     password is exchanged;
//   * an address with max_failed_logins_per_minute failed attempts in its current minute is
//     refused (28000) until the minute is over, before any password is exchanged.
//
// A PgHost is shared by every connection; each connection talks to it through a
// PgPeerHost, which adds the client's address.
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "kimberlite/database.h"
#include "server/native_api_key.h"
#include "server/pg_connection.h"
#include "server/tls_context.h"

namespace kb::server {

struct PgHostOptions {
    const TlsContext* tls = nullptr;  // for SCRAM-SHA-256-PLUS channel binding
    bool allow_cleartext_password = false;
    bool tls_required = false;
    u32 max_failed_logins_per_minute = 30;  // 0: no limit
};

class PgHost {
public:
    using Clock = std::chrono::steady_clock;

    PgHost(Database& database, PgHostOptions options);

    db::TransactionHost& transactions();
    sql::SqlResult<PgLogin> find_login(std::string_view user, std::string_view database);
    std::unique_ptr<PgAuthenticator> authenticator(const PgLogin& login, bool tls_active,
                                                   const std::string& peer_host,
                                                   Clock::time_point now = Clock::now());
    // A login by API key (native_api_key.h), with the same TLS and failed-login rules as a
    // password's (native_api_key.cc).
    sql::SqlResult<PgLogin> login_with_api_key(std::string_view key, std::string_view database,
                                               bool tls_active, const std::string& peer_host,
                                               Clock::time_point now = Clock::now());
    PgBackendKey register_backend_key(const PgLogin& login,
                                      std::shared_ptr<sql::CancelSignal> signal);
    void release_backend_key(const PgBackendKey& key);
    // Cancels the running statement of the connection holding `key` (its secret compared in
    // constant time); nothing for an unknown key or an idle connection. Any thread.
    void cancel(const PgBackendKey& key);

private:
    struct FailureWindow {
        Clock::time_point start;
        u32 failures = 0;
    };

    // Whether `peer_host` has used up its failed attempts for the minute now.
    bool locked_out(const std::string& peer_host, Clock::time_point now);
    void record_failure(const std::string& peer_host, Clock::time_point now);

    Database& database_;
    PgHostOptions options_;
    Bytes mock_secret_;  // keys the salts of mock verifiers for this server's life
    std::mutex mutex_;
    struct Backend {
        i32 secret = 0;
        std::shared_ptr<sql::CancelSignal> signal;
    };
    std::map<i32, Backend> backend_keys_;  // by process id
    i32 next_process_id_ = 1;
    std::map<std::string, FailureWindow> failures_;  // by client address
};

// One connection's view of the shared PgHost: the same, plus the client's address. After a
// login by API key its transactions are the key's (ApiKeyTransactionHost).
class PgPeerHost final : public PgConnectionHost {
public:
    PgPeerHost(PgHost& host, std::string peer_host)
        : host_(host), peer_host_(std::move(peer_host)) {}

    db::TransactionHost& transactions() override {
        return key_transactions_ != nullptr ? *key_transactions_ : host_.transactions();
    }
    sql::SqlResult<PgLogin> login_with_api_key(std::string_view key, std::string_view database,
                                               bool tls_active) override;
    sql::SqlResult<PgLogin> find_login(std::string_view user, std::string_view database) override {
        return host_.find_login(user, database);
    }
    std::unique_ptr<PgAuthenticator> authenticator(const PgLogin& login, bool tls_active) override {
        return host_.authenticator(login, tls_active, peer_host_);
    }
    PgBackendKey register_backend_key(const PgLogin& login,
                                      std::shared_ptr<sql::CancelSignal> signal) override {
        return host_.register_backend_key(login, std::move(signal));
    }
    void release_backend_key(const PgBackendKey& key) override { host_.release_backend_key(key); }
    void cancel(const PgBackendKey& key) override { host_.cancel(key); }

private:
    PgHost& host_;
    std::string peer_host_;
    std::unique_ptr<ApiKeyTransactionHost> key_transactions_;
};

}  // namespace kb::server
