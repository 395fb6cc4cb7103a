// SCRAM over pgwire's SASL messages (scram_authenticator.h).
#include "server/scram_authenticator.h"

namespace kb::server {

namespace {

crypto::ScramServer::Options scram_options(const ScramAuthenticatorOptions& options) {
    crypto::ScramServer::Options out;
    out.tls_server_end_point = options.tls_server_end_point;
    out.doomed = !options.verifier.has_value();
    return out;
}

crypto::ScramVerifier verifier_or_mock(const ScramAuthenticatorOptions& options) {
    return options.verifier ? *options.verifier
                            : crypto::scram_mock_verifier(options.user, options.mock_secret);
}

std::string_view as_text(ByteSpan bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

ScramAuthenticator::ScramAuthenticator(ScramAuthenticatorOptions options)
    : options_(std::move(options)), scram_(verifier_or_mock(options_), scram_options(options_)) {}

PgAuthStep ScramAuthenticator::finish(PgAuthStep step, bool proved) {
    if (options_.on_finish) options_.on_finish(proved);
    options_.on_finish = nullptr;  // once
    return step;
}

PgAuthStep ScramAuthenticator::failed() {
    // PostgreSQL's words, whatever went wrong: nothing here tells users apart.
    return finish(
        PgAuthStep::fail("password authentication failed for user \"" + options_.user + "\""),
        false);
}

PgAuthStep ScramAuthenticator::proved(PgAuthStep step) {
    if (options_.refuse_after_success) step = *options_.refuse_after_success;
    return finish(std::move(step), true);
}

PgAuthStep ScramAuthenticator::start() {
    if (options_.cleartext) return PgAuthStep::cleartext_password();
    std::vector<std::string> mechanisms;
    for (std::string_view mechanism : scram_.mechanisms()) mechanisms.emplace_back(mechanism);
    return PgAuthStep::sasl(std::move(mechanisms));
}

PgAuthStep ScramAuthenticator::respond(const PgAuthMessage& message) {
    if (const auto* password = std::get_if<PgPasswordMessage>(&message)) {
        if (!options_.cleartext || !options_.verifier ||
            !crypto::scram_password_matches(*options_.verifier, password->password)) {
            return failed();
        }
        return proved(PgAuthStep::ok());
    }
    if (const auto* initial = std::get_if<PgSaslInitialResponse>(&message)) {
        if (options_.cleartext || first_done_ || !initial->data) {
            return finish(
                PgAuthStep::fail("malformed SCRAM message (no initial response)", "08P01"), false);
        }
        first_done_ = true;
        auto server_first = scram_.handle_client_first(initial->mechanism, as_text(*initial->data));
        if (!server_first) {
            return finish(PgAuthStep::fail(server_first.status().message(), "08P01"), false);
        }
        return PgAuthStep::sasl_continue(copy_of(as_bytes(*server_first)));
    }
    const auto& response = std::get<PgSaslResponse>(message);
    if (!first_done_) return finish(PgAuthStep::fail("unexpected SASL response", "08P01"), false);
    auto server_final = scram_.handle_client_final(as_text(response.data));
    if (!server_final) {
        if (server_final.status().code() == StatusCode::crypto) return failed();
        return finish(PgAuthStep::fail(server_final.status().message(), "08P01"), false);
    }
    return proved(PgAuthStep::sasl_final(copy_of(as_bytes(*server_final))));
}

}  // namespace kb::server
