// ScramAuthenticator: SCRAM-SHA-256 (and -PLUS over TLS) password authentication of a pgwire
// connection — crypto/scram.h's ScramServer carried in the AuthenticationSASL messages that
// PgConnection drives (pg_auth.h). Optionally the cleartext-password method instead, which the
// host offers only over TLS.
//
// A login that cannot succeed (unknown user, no password, NOLOGIN) still runs the whole
// exchange against a mock verifier and fails only at the end with the same message as a
// wrong password, so a client cannot probe which user names exist.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "crypto/scram.h"
#include "server/pg_auth.h"

namespace kb::server {

struct ScramAuthenticatorOptions {
    std::string user;  // for the failure message
    // The user's verifier; nullopt: the login is doomed (see above).
    std::optional<crypto::ScramVerifier> verifier;
    // A per-server random secret that keys the mock verifier's salt.
    Bytes mock_secret;
    // RFC 5929 data of the TLS connection (offers SCRAM-SHA-256-PLUS); empty without TLS.
    Bytes tls_server_end_point;
    // Ask for the password in clear instead (only over TLS; the caller decides).
    bool cleartext = false;
    // When set, a client that proves its password is refused anyway with this error (a role
    // without CONNECT on the database: PostgreSQL says so only after authentication).
    std::optional<PgAuthStep> refuse_after_success;
    // Told how the attempt ended: true when the client proved its password (whatever
    // refuse_after_success then says), false for any failure. For failed-login limits.
    std::function<void(bool proved)> on_finish;
};

class ScramAuthenticator final : public PgAuthenticator {
public:
    explicit ScramAuthenticator(ScramAuthenticatorOptions options);

    PgAuthStep start() override;
    PgAuthStep respond(const PgAuthMessage& message) override;

private:
    PgAuthStep failed();
    PgAuthStep proved(PgAuthStep step);
    PgAuthStep finish(PgAuthStep step, bool proved);

    ScramAuthenticatorOptions options_;
    crypto::ScramServer scram_;
    bool first_done_ = false;
};

}  // namespace kb::server
