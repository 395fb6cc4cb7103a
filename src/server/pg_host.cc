// Logins and cancel keys for pgwire connections (pg_host.h).
#include "server/pg_host.h"

#include "crypto/random.h"
#include "db/database_core.h"
#include "server/scram_authenticator.h"

namespace kb::server {

PgHost::PgHost(Database& database, PgHostOptions options)
    : database_(database), options_(options), mock_secret_(32) {
    crypto::system_random().fill(mock_secret_);
}

db::TransactionHost& PgHost::transactions() { return database_.core(); }

sql::SqlResult<PgLogin> PgHost::find_login(std::string_view user, std::string_view database) {
    const std::optional<TenantId> tenant = database_.tenant(database);
    if (!tenant) {
        return sql::SqlError("3D000", "database \"" + std::string(database) + "\" does not exist");
    }
    PgLogin login;
    login.tenant = *tenant;
    login.user = std::string(user);
    login.database = std::string(database);
    auto role = database_.find_role(user);
    if (role && role->has_value()) {
        login.principal = (*role)->principal;
        login.superuser = (*role)->superuser;
    }
    return login;
}

namespace {

// An authenticator that refuses before any password is exchanged.
class RefusingAuthenticator final : public PgAuthenticator {
public:
    RefusingAuthenticator(std::string message, std::string sqlstate)
        : message_(std::move(message)), sqlstate_(std::move(sqlstate)) {}
    PgAuthStep start() override { return PgAuthStep::fail(message_, sqlstate_); }
    PgAuthStep respond(const PgAuthMessage&) override { return start(); }

private:
    std::string message_;
    std::string sqlstate_;
};

constexpr auto kFailureWindow = std::chrono::minutes(1);
constexpr usize kMaxTrackedAddresses = 100'000;

}  // namespace

bool PgHost::locked_out(const std::string& peer_host, Clock::time_point now) {
    if (options_.max_failed_logins_per_minute == 0) return false;
    std::lock_guard lock(mutex_);
    auto it = failures_.find(peer_host);
    if (it == failures_.end()) return false;
    if (now - it->second.start >= kFailureWindow) {
        failures_.erase(it);
        return false;
    }
    return it->second.failures >= options_.max_failed_logins_per_minute;
}

void PgHost::record_failure(const std::string& peer_host, Clock::time_point now) {
    if (options_.max_failed_logins_per_minute == 0) return;
    std::lock_guard lock(mutex_);
    if (failures_.size() >= kMaxTrackedAddresses) {
        // Bounded memory under a spray of addresses: forget windows that have ended.
        std::erase_if(failures_, [&](const auto& entry) {
            return now - entry.second.start >= kFailureWindow;
        });
    }
    FailureWindow& window = failures_[peer_host];
    if (window.failures == 0 || now - window.start >= kFailureWindow) window = {now, 0};
    ++window.failures;
}

std::unique_ptr<PgAuthenticator> PgHost::authenticator(const PgLogin& login, bool tls_active,
                                                       const std::string& peer_host,
                                                       Clock::time_point now) {
    if (options_.tls_required && !tls_active) {
        return std::make_unique<RefusingAuthenticator>(
            "this server accepts only TLS connections (use sslmode=require)", "28000");
    }
    if (locked_out(peer_host, now)) {
        return std::make_unique<RefusingAuthenticator>(
            "too many failed login attempts from " + peer_host + "; try again in a minute",
            "28000");
    }
    ScramAuthenticatorOptions scram;
    scram.on_finish = [this, peer_host, now](bool proved) {
        if (!proved) record_failure(peer_host, now);
    };
    scram.user = login.user;
    scram.mock_secret = mock_secret_;
    scram.cleartext = tls_active && options_.allow_cleartext_password;
    if (tls_active && options_.tls != nullptr) {
        scram.tls_server_end_point = options_.tls->server_end_point();
    }
    auto role = database_.find_role(login.user);
    if (role && role->has_value() && (*role)->login && !(*role)->verifier.empty() &&
        (*role)->principal == login.principal) {
        auto verifier = crypto::ScramVerifier::parse((*role)->verifier);
        if (verifier) scram.verifier = std::move(*verifier);
        auto connect = database_.may_connect(login.principal, login.tenant);
        if (!connect || !*connect) {
            PgAuthStep refused = PgAuthStep::fail(
                "permission denied for database \"" + login.database + "\"", "42501");
            scram.refuse_after_success = std::move(refused);
        }
    }
    return std::make_unique<ScramAuthenticator>(std::move(scram));
}

PgBackendKey PgHost::register_backend_key(const PgLogin&,
                                          std::shared_ptr<sql::CancelSignal> signal) {
    PgBackendKey key;
    key.secret_key = static_cast<i32>(static_cast<u32>(crypto::system_random().next_u64()));
    std::lock_guard lock(mutex_);
    key.process_id = next_process_id_++;
    backend_keys_[key.process_id] = Backend{key.secret_key, std::move(signal)};
    return key;
}

void PgHost::release_backend_key(const PgBackendKey& key) {
    std::lock_guard lock(mutex_);
    backend_keys_.erase(key.process_id);
}

void PgHost::cancel(const PgBackendKey& key) {
    std::shared_ptr<sql::CancelSignal> signal;
    {
        std::lock_guard lock(mutex_);
        const auto found = backend_keys_.find(key.process_id);
        if (found == backend_keys_.end()) return;
        // Every bit is compared whatever the first difference: the time taken says nothing
        // about how much of a guessed secret was right.
        const u32 difference =
            static_cast<u32>(found->second.secret) ^ static_cast<u32>(key.secret_key);
        if (difference != 0 || found->second.signal == nullptr) return;
        signal = found->second.signal;
    }
    // Cancels only a statement that is running (statement_guard.h); PostgreSQL too says
    // nothing back either way.
    signal->cancel();
}

}  // namespace kb::server
