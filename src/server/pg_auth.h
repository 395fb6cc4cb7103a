// Authentication of a PostgreSQL wire protocol connection, as a conversation the connection
// (pg_connection.h) drives and a PgAuthenticator decides.
//
// The connection asks start() what to send first; every 'p' message the client answers with
// is decoded according to that request (a PasswordMessage after cleartext_password, a
// SASLInitialResponse after sasl, a SASLResponse after sasl_continue) and handed to
// respond(), which answers with the next step:
//
//   ok                  send AuthenticationOk: the client is in (trust, or a good password)
//   cleartext_password  send AuthenticationCleartextPassword, expect a PasswordMessage
//   sasl(mechanisms)    send AuthenticationSASL, expect a SASLInitialResponse
//   sasl_continue(data) send AuthenticationSASLContinue, expect a SASLResponse
//   sasl_final(data)    send AuthenticationSASLFinal then AuthenticationOk: the client is in
//   fail(message)       send a FATAL ErrorResponse (28P01 unless told otherwise) and close
//
// An authenticator lives for one connection attempt and is used from the connection's thread
// only. It must not reveal whether a user exists through its answers (mock a SCRAM exchange
// for an unknown user, as PostgreSQL does), which is why find_login may hand out an
// authenticator for a login that can never succeed.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "server/pg_frontend.h"
#include "server/pg_wire.h"

namespace kb::server {

struct PgAuthStep {
    enum class Kind : u8 { ok, cleartext_password, sasl, sasl_continue, sasl_final, fail };
    Kind kind = Kind::fail;
    std::vector<std::string> mechanisms{};            // sasl
    Bytes data{};                                     // sasl_continue, sasl_final
    std::string message{};                            // fail
    std::string sqlstate = kSqlstateInvalidPassword;  // fail

    static PgAuthStep ok() { return {Kind::ok}; }
    static PgAuthStep cleartext_password() { return {Kind::cleartext_password}; }
    static PgAuthStep sasl(std::vector<std::string> mechanisms) {
        return {Kind::sasl, std::move(mechanisms)};
    }
    static PgAuthStep sasl_continue(Bytes data) {
        return {Kind::sasl_continue, {}, std::move(data)};
    }
    static PgAuthStep sasl_final(Bytes data) { return {Kind::sasl_final, {}, std::move(data)}; }
    static PgAuthStep fail(std::string message, std::string sqlstate = kSqlstateInvalidPassword) {
        return {Kind::fail, {}, {}, std::move(message), std::move(sqlstate)};
    }
};

class PgAuthenticator {
public:
    virtual ~PgAuthenticator() = default;
    virtual PgAuthStep start() = 0;
    // `message` is the client's answer to the last step, decoded as that step asked for.
    virtual PgAuthStep respond(const PgAuthMessage& message) = 0;
};

// trust: everyone who names an existing login is in.
class PgTrustAuthenticator final : public PgAuthenticator {
public:
    PgAuthStep start() override { return PgAuthStep::ok(); }
    PgAuthStep respond(const PgAuthMessage&) override {
        return PgAuthStep::fail("unexpected authentication message", "08P01");
    }
};

}  // namespace kb::server
