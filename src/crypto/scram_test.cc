// SCRAM-SHA-256: RFC 7677's exchange byte for byte on both sides, a verifier made by a real
// PostgreSQL 15, client/server round trips, wrong passwords, tampered and malformed messages,
// channel binding and mock authentication.
#include "crypto/scram.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "base/base64.h"

namespace kb::crypto {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view kRfcClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kRfcSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

// Produced by PostgreSQL 15.x: a throwaway cluster (initdb -E UTF8 --locale=C, port on
// 127.0.0.1), then
//   SET password_encryption='scram-sha-256';
//   CREATE ROLE x PASSWORD 'secret'; CREATE ROLE y PASSWORD 'pässwörd';  -- UTF-8 client
//   SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN ('x','y');
constexpr std::string_view kPostgresVerifierSecret =
    "SCRAM-SHA-256$4096:q6OOkX5JdJYYwmCrSdYehw==$tHiX144q7bAQLvBcHQrAvQJxj2NdSbAX6YJ4OL27Ovc=:"
    "ksxptSj8nz0IaUwbCp4kKoCjkbgqX4qhp7TkE6csny4=";
constexpr std::string_view kPostgresVerifierUmlauts =
    "SCRAM-SHA-256$4096:qEWPc6a9a9qWGXkTA5bQDg==$IUEdhlMBjpEvmaHJPH7P+hg3Dujv9v30rLp7M+3JnKE=:"
    "eHe7pPcIVWkhEsttCscn9PBX7GmvgwhiH09toKs3LB8=";

Bytes decode(std::string_view text) {
    Bytes out;
    EXPECT_TRUE(base64_decode(text, &out)) << text;
    return out;
}

ScramVerifier rfc_verifier() { return make_scram_verifier("pencil", decode(kRfcSalt), 4096); }

// Runs a whole exchange; returns the first error, or ok when both sides are satisfied.
Status run_exchange(ScramServer& server, ScramClient& client) {
    std::string first = client.client_first();
    std::string server_first = KB_TRY(server.handle_client_first(client.mechanism(), first));
    std::string client_final = KB_TRY(client.handle_server_first(server_first));
    std::string server_final = KB_TRY(server.handle_client_final(client_final));
    KB_TRY(client.handle_server_final(server_final));
    EXPECT_TRUE(server.authenticated());
    EXPECT_TRUE(client.server_verified());
    return Status::ok();
}

Status exchange(const ScramVerifier& verifier, std::string_view password, u64 seed = 1) {
    SeededRandom random(seed);
    ScramServer server(verifier.salt.empty() ? rfc_verifier() : verifier, {}, random);
    ScramClient client(password, {}, random);
    return run_exchange(server, client);
}

TEST(Scram, Rfc7677ClientSide) {
    ScramClient client("pencil",
                       {.user_name = "user", .client_nonce = std::string(kRfcClientNonce)});
    EXPECT_EQ(client.mechanism(), "SCRAM-SHA-256");
    EXPECT_EQ(client.client_first(), kRfcClientFirst);
    Result<std::string> client_final = client.handle_server_first(kRfcServerFirst);
    ASSERT_TRUE(client_final) << client_final.status().to_string();
    EXPECT_EQ(*client_final, kRfcClientFinal);
    Status done = client.handle_server_final(kRfcServerFinal);
    EXPECT_TRUE(done.is_ok()) << done.to_string();
    EXPECT_TRUE(client.server_verified());
}

TEST(Scram, Rfc7677ServerSide) {
    ScramServer server(rfc_verifier(), {.server_nonce = std::string(kRfcServerNonce)});
    EXPECT_EQ(server.mechanisms(), std::vector<std::string_view>{"SCRAM-SHA-256"});
    Result<std::string> server_first = server.handle_client_first("SCRAM-SHA-256", kRfcClientFirst);
    ASSERT_TRUE(server_first) << server_first.status().to_string();
    EXPECT_EQ(*server_first, kRfcServerFirst);
    Result<std::string> server_final = server.handle_client_final(kRfcClientFinal);
    ASSERT_TRUE(server_final) << server_final.status().to_string();
    EXPECT_EQ(*server_final, kRfcServerFinal);
    EXPECT_TRUE(server.authenticated());
}

TEST(Scram, PostgresVerifierAcceptsItsPasswordOnly) {
    Result<ScramVerifier> verifier = ScramVerifier::parse(kPostgresVerifierSecret);
    ASSERT_TRUE(verifier) << verifier.status().to_string();
    EXPECT_EQ(verifier->iterations, 4096u);
    EXPECT_EQ(verifier->salt.size(), 16u);
    EXPECT_EQ(verifier->to_string(), kPostgresVerifierSecret);

    EXPECT_TRUE(scram_password_matches(*verifier, "secret"));
    EXPECT_FALSE(scram_password_matches(*verifier, "Secret"));
    EXPECT_FALSE(scram_password_matches(*verifier, "secret "));
    EXPECT_FALSE(scram_password_matches(*verifier, ""));
    // Recomputing under PostgreSQL's salt gives PostgreSQL's keys exactly.
    EXPECT_EQ(make_scram_verifier("secret", verifier->salt, 4096), *verifier);

    EXPECT_TRUE(exchange(*verifier, "secret").is_ok());
    Status wrong = exchange(*verifier, "secreT");
    EXPECT_EQ(wrong.code(), StatusCode::crypto) << wrong.to_string();
}

TEST(Scram, PostgresVerifierForNonAsciiPassword) {
    // NFC-composed umlauts: SASLprep leaves them unchanged, so we agree with PostgreSQL.
    Result<ScramVerifier> verifier = ScramVerifier::parse(kPostgresVerifierUmlauts);
    ASSERT_TRUE(verifier) << verifier.status().to_string();
    EXPECT_TRUE(scram_password_matches(*verifier, "p\xc3\xa4ssw\xc3\xb6rd"));
    EXPECT_FALSE(scram_password_matches(*verifier, "passwoerd"));
    EXPECT_TRUE(exchange(*verifier, "p\xc3\xa4ssw\xc3\xb6rd").is_ok());
}

TEST(Scram, VerifierFromRandomSaltVerifiesAndRoundTrips) {
    SeededRandom random(7);
    ScramVerifier verifier = make_scram_verifier("hunter2", random);
    EXPECT_EQ(verifier.iterations, kScramDefaultIterations);
    EXPECT_EQ(verifier.salt.size(), kScramDefaultSaltSize);
    Result<ScramVerifier> parsed = ScramVerifier::parse(verifier.to_string());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, verifier);
    EXPECT_TRUE(scram_password_matches(verifier, "hunter2"));
    EXPECT_FALSE(scram_password_matches(verifier, "hunter3"));
    // A second verifier for the same password gets a different salt and different keys.
    ScramVerifier other = make_scram_verifier("hunter2", random);
    EXPECT_NE(other.salt, verifier.salt);
    EXPECT_NE(other.stored_key, verifier.stored_key);
}

TEST(Scram, VerifierParseErrorsSayWhatIsWrong) {
    const std::string good(kPostgresVerifierSecret);
    const std::pair<std::string, std::string> cases[] = {
        {"", "does not start with"},
        {"md5abcdef", "does not start with"},
        {"SCRAM-SHA-1$4096:q6OOkX5JdJYYwmCrSdYehw==$a:b", "does not start with"},
        {"SCRAM-SHA-256$4096:q6OOkX5JdJYYwmCrSdYehw==", "missing '$'"},
        {"SCRAM-SHA-256$4096q6OOkX5JdJYYwmCrSdYehw==$a:b", "missing ':'"},
        {"SCRAM-SHA-256$4096:q6OOkX5JdJYYwmCrSdYehw==$ab", "missing ':'"},
        {"SCRAM-SHA-256$0:q6OOkX5JdJYYwmCrSdYehw==$a:b", "iteration count"},
        {"SCRAM-SHA-256$-1:q6OOkX5JdJYYwmCrSdYehw==$a:b", "iteration count"},
        {"SCRAM-SHA-256$04096:q6OOkX5JdJYYwmCrSdYehw==$a:b", "iteration count"},
        {"SCRAM-SHA-256$99999999999:q6OOkX5JdJYYwmCrSdYehw==$a:b", "iteration count"},
        {"SCRAM-SHA-256$20000000:q6OOkX5JdJYYwmCrSdYehw==$a:b", "exceeds the limit"},
        {"SCRAM-SHA-256$4096:$a:b", "salt is empty"},
        {"SCRAM-SHA-256$4096:q6OOkX5J*JYYwmCrSdYehw==$a:b", "salt is not valid base64"},
        {"SCRAM-SHA-256$4096:q6OOkX5JdJYYwmCrSdYehw==$abcd:" + good.substr(good.rfind(':') + 1),
         "StoredKey is 3 bytes"},
        {good.substr(0, good.rfind(':') + 1) + "!!!!", "ServerKey is not valid base64"},
        {good + "x", "ServerKey is not valid base64"},
    };
    for (const auto& [text, expected] : cases) {
        Result<ScramVerifier> parsed = ScramVerifier::parse(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error().code(), StatusCode::invalid_argument) << text;
        EXPECT_NE(parsed.error().message().find(expected), std::string::npos)
            << text << " -> " << parsed.error().message();
    }
}

RC_GTEST_PROP(Scram, ClientAndServerAgreeOnAnyPassword,
              (std::string password, std::string user, u64 seed)) {
    SeededRandom random(seed);
    const u32 iterations = *rc::gen::inRange<u32>(1, 64);
    ScramVerifier verifier = make_scram_verifier(password, random, iterations);
    RC_ASSERT(ScramVerifier::parse(verifier.to_string()).value() == verifier);
    ScramServer server(verifier, {}, random);
    ScramClient client(password, {.user_name = user}, random);
    Status result = run_exchange(server, client);
    RC_ASSERT(result.is_ok());
}

RC_GTEST_PROP(Scram, DifferentPasswordIsRefused, (std::string password, std::string other)) {
    RC_PRE(password != other);
    SeededRandom random(3);
    ScramVerifier verifier = make_scram_verifier(password, random, 2);
    ScramServer server(verifier, {}, random);
    ScramClient client(other, {}, random);
    Status result = run_exchange(server, client);
    RC_ASSERT(result.code() == StatusCode::crypto);
    RC_ASSERT(!server.authenticated());
}

TEST(Scram, WrongPasswordFailsAtTheServerWithACryptoError) {
    SeededRandom random(11);
    ScramServer server(make_scram_verifier("right", random), {}, random);
    ScramClient client("wrong", {}, random);
    std::string server_first =
        server.handle_client_first(kScramSha256, client.client_first()).value();
    std::string client_final = client.handle_server_first(server_first).value();
    Result<std::string> server_final = server.handle_client_final(client_final);
    ASSERT_FALSE(server_final);
    EXPECT_EQ(server_final.error().code(), StatusCode::crypto);
    EXPECT_EQ(server_final.error().message().find("right"), std::string::npos);
    EXPECT_FALSE(server.authenticated());
    // A failed exchange stays failed.
    EXPECT_FALSE(server.handle_client_final(client_final));
}

TEST(Scram, TamperedClientFinalIsRefused) {
    // Change one character of each part of the RFC client-final-message in turn.
    const std::string original(kRfcClientFinal);
    const usize positions[] = {
        2,                    // inside c=
        10,                   // inside the nonce
        original.size() - 5,  // inside the proof
    };
    for (usize position : positions) {
        std::string tampered = original;
        tampered[position] = tampered[position] == 'A' ? 'B' : 'A';
        ScramServer server(rfc_verifier(), {.server_nonce = std::string(kRfcServerNonce)});
        ASSERT_TRUE(server.handle_client_first(kScramSha256, kRfcClientFirst));
        Result<std::string> result = server.handle_client_final(tampered);
        EXPECT_FALSE(result) << tampered;
        EXPECT_FALSE(server.authenticated());
    }
}

TEST(Scram, TamperedServerMessagesAreRefusedByTheClient) {
    auto client_after_first = [](std::string_view server_first) {
        auto client = std::make_unique<ScramClient>(
            "pencil", ScramClient::Options{.user_name = "user",
                                           .client_nonce = std::string(kRfcClientNonce)});
        (void)client->client_first();
        return std::make_pair(std::move(client), client->handle_server_first(server_first));
    };
    // A server nonce that does not extend ours.
    auto [c1, r1] =
        client_after_first("r=XOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error().code(), StatusCode::crypto);
    // The server echoing our nonce without adding its own.
    auto [c2, r2] = client_after_first("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    EXPECT_FALSE(r2);
    // A changed iteration count: the client answers, but its proof and the expected server
    // signature no longer match the genuine ones.
    auto [c3, r3] = client_after_first(
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095");
    ASSERT_TRUE(r3);
    EXPECT_NE(*r3, kRfcClientFinal);
    EXPECT_EQ(c3->handle_server_final(kRfcServerFinal).code(), StatusCode::crypto);
    // A forged server signature.
    auto [c4, r4] = client_after_first(kRfcServerFirst);
    ASSERT_TRUE(r4);
    std::string forged(kRfcServerFinal);
    forged[5] = forged[5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(c4->handle_server_final(forged).code(), StatusCode::crypto);
    EXPECT_FALSE(c4->server_verified());
    // The server reporting an error.
    auto [c5, r5] = client_after_first(kRfcServerFirst);
    Status error = c5->handle_server_final("e=invalid-proof");
    EXPECT_EQ(error.code(), StatusCode::crypto);
    EXPECT_NE(error.message().find("invalid-proof"), std::string::npos);
}

TEST(Scram, MalformedClientFirstIsAnErrorNeverACrash) {
    const std::pair<std::string, StatusCode> cases[] = {
        {"", StatusCode::invalid_argument},
        {"n", StatusCode::invalid_argument},
        {"x,,n=,r=abc", StatusCode::invalid_argument},
        {"n,,", StatusCode::invalid_argument},
        {"n,,n=", StatusCode::invalid_argument},
        {"n,,n=,r=", StatusCode::invalid_argument},
        {"n,,n=,r=ab,c", StatusCode::invalid_argument},
        {"n,,n=,r=abc,", StatusCode::invalid_argument},
        {"n,,r=abc", StatusCode::invalid_argument},
        {"n,,n=,r=a\x01"
         "c",
         StatusCode::invalid_argument},
        {"n,,n=,r=a c", StatusCode::invalid_argument},
        {"n,x,n=,r=abc", StatusCode::invalid_argument},
        {"n,a=admin,n=,r=abc", StatusCode::unsupported},
        {"n,,m=ext,n=,r=abc", StatusCode::unsupported},
        {"p=tls-server-end-point,,n=,r=abc", StatusCode::invalid_argument},  // not PLUS
        {"p=,,n=,r=abc", StatusCode::invalid_argument},
        {"n,,n=,r=" + std::string(kScramMaxMessageSize, 'a'), StatusCode::invalid_argument},
    };
    for (const auto& [message, code] : cases) {
        ScramServer server(rfc_verifier(), {});
        Result<std::string> result = server.handle_client_first(kScramSha256, message);
        ASSERT_FALSE(result) << message;
        EXPECT_EQ(result.error().code(), code) << message << ": " << result.error().to_string();
    }
    // Extensions after the nonce are allowed and ignored; so is any user name.
    ScramServer server(rfc_verifier(), {});
    EXPECT_TRUE(server.handle_client_first(kScramSha256, "y,,n=*,r=abc,x=1,q=2"));
}

TEST(Scram, MalformedClientFinalIsAnError) {
    const std::string nonce = std::string(kRfcClientNonce) + std::string(kRfcServerNonce);
    const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const std::string cases[] = {
        "",
        "c=biws",
        "c=biws,r=" + nonce,
        "c=biws,r=" + nonce + ",",
        "c=bi,r=" + nonce + "," + proof,
        "r=" + nonce + ",c=biws," + proof,
        "c=biws,r=" + nonce + "," + proof + ",x=1",
        "c=biws,r=" + nonce + "," + proof + ",",
        "c=biws,r=" + nonce + ",p=dHzb",
        "c=biws,r=" + nonce + ",p=",
        "c=biws,r=" + nonce + ",1=2," + proof,
    };
    for (const std::string& message : cases) {
        ScramServer server(rfc_verifier(), {.server_nonce = std::string(kRfcServerNonce)});
        ASSERT_TRUE(server.handle_client_first(kScramSha256, kRfcClientFirst));
        Result<std::string> result = server.handle_client_final(message);
        ASSERT_FALSE(result) << message;
        EXPECT_EQ(result.error().code(), StatusCode::invalid_argument) << message;
    }
    // An extension before the proof is fine syntactically (the proof then covers it, so the
    // RFC proof no longer matches: that is a crypto failure, not a parse error).
    Result<ScramClientFinal> parsed =
        parse_scram_client_final("c=biws,r=" + nonce + ",x=ext," + proof);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->without_proof, "c=biws,r=" + nonce + ",x=ext");
}

TEST(Scram, OutOfOrderCallsAreErrors) {
    ScramServer server(rfc_verifier(), {});
    EXPECT_EQ(server.handle_client_final(kRfcClientFinal).error().code(),
              StatusCode::invalid_argument);
    ScramServer twice(rfc_verifier(), {});
    ASSERT_TRUE(twice.handle_client_first(kScramSha256, kRfcClientFirst));
    EXPECT_FALSE(twice.handle_client_first(kScramSha256, kRfcClientFirst));

    ScramClient client("pencil", {});
    EXPECT_FALSE(client.handle_server_first(kRfcServerFirst));
    EXPECT_FALSE(client.handle_server_final(kRfcServerFinal).is_ok());
}

TEST(Scram, UnknownMechanismIsRefused) {
    ScramServer server(rfc_verifier(), {});
    EXPECT_FALSE(server.handle_client_first("SCRAM-SHA-1", kRfcClientFirst));
    ScramServer no_tls(rfc_verifier(), {});
    EXPECT_FALSE(no_tls.handle_client_first(kScramSha256Plus, "p=tls-server-end-point,,n=,r=abc"));
}

TEST(Scram, ChannelBindingRoundTrip) {
    const Bytes end_point(32, 0x5a);
    SeededRandom random(5);
    ScramVerifier verifier = make_scram_verifier("pw", random);
    ScramServer server(verifier, {.tls_server_end_point = end_point}, random);
    EXPECT_EQ(server.mechanisms(),
              (std::vector<std::string_view>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
    ScramClient client("pw", {.tls_server_end_point = end_point, .server_offers_plus = true},
                       random);
    EXPECT_EQ(client.mechanism(), kScramSha256Plus);
    Status result = run_exchange(server, client);
    EXPECT_TRUE(result.is_ok()) << result.to_string();
}

TEST(Scram, ChannelBindingMismatchIsRefused) {
    SeededRandom random(5);
    ScramVerifier verifier = make_scram_verifier("pw", random);
    ScramServer server(verifier, {.tls_server_end_point = Bytes(32, 0x5a)}, random);
    // A client that sees a different certificate: a man in the middle terminating TLS.
    ScramClient client("pw", {.tls_server_end_point = Bytes(32, 0xa5), .server_offers_plus = true},
                       random);
    Status result = run_exchange(server, client);
    EXPECT_EQ(result.code(), StatusCode::crypto) << result.to_string();
    EXPECT_NE(result.message().find("channel binding"), std::string::npos);
}

TEST(Scram, ChannelBindingDowngradeIsRefused) {
    // The client could bind but did not see -PLUS offered ("y"), while the server offered it.
    SeededRandom random(5);
    ScramVerifier verifier = make_scram_verifier("pw", random);
    ScramServer server(verifier, {.tls_server_end_point = Bytes(32, 0x5a)}, random);
    ScramClient client("pw", {.tls_server_end_point = Bytes(32, 0x5a)}, random);
    std::string first = client.client_first();
    EXPECT_TRUE(first.starts_with("y,,"));
    Result<std::string> result = server.handle_client_first(client.mechanism(), first);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), StatusCode::crypto);
}

TEST(Scram, ClientThatCouldBindStillWorksWithoutPlus) {
    // TLS on the client but a server without channel binding: "y" is accepted.
    SeededRandom random(6);
    ScramServer server(make_scram_verifier("pw", random), {}, random);
    ScramClient client("pw", {.tls_server_end_point = Bytes(32, 1)}, random);
    EXPECT_TRUE(run_exchange(server, client).is_ok());
}

TEST(Scram, PlusMechanismRequiresTheRightBindingType) {
    ScramServer server(rfc_verifier(), {.tls_server_end_point = Bytes(32, 1)});
    Result<std::string> unique =
        server.handle_client_first(kScramSha256Plus, "p=tls-unique,,n=,r=abc");
    ASSERT_FALSE(unique);
    EXPECT_EQ(unique.error().code(), StatusCode::unsupported);
    ScramServer no_binding(rfc_verifier(), {.tls_server_end_point = Bytes(32, 1)});
    EXPECT_FALSE(no_binding.handle_client_first(kScramSha256Plus, "n,,n=,r=abc"));
}

TEST(Scram, MockAuthenticationLooksLikeAWrongPassword) {
    const Bytes secret(32, 0x42);
    ScramVerifier alice = scram_mock_verifier("alice", secret);
    EXPECT_EQ(alice, scram_mock_verifier("alice", secret));  // stable per name
    EXPECT_NE(alice.salt, scram_mock_verifier("bob", secret).salt);
    EXPECT_NE(alice.salt, scram_mock_verifier("alice", Bytes(32, 0x43)).salt);
    EXPECT_EQ(alice.salt.size(), kScramDefaultSaltSize);
    EXPECT_EQ(alice.iterations, kScramDefaultIterations);

    SeededRandom random(9);
    ScramServer server(alice, {.doomed = true}, random);
    ScramClient client("anything", {}, random);
    Status result = run_exchange(server, client);
    EXPECT_EQ(result.code(), StatusCode::crypto);

    // Even the right password fails when the exchange is doomed, with the same message.
    ScramServer doomed(make_scram_verifier("pw", random), {.doomed = true}, random);
    ScramClient right("pw", {}, random);
    Status doomed_result = run_exchange(doomed, right);
    EXPECT_EQ(doomed_result, result);
}

TEST(Scram, RandomNoncesAreFreshAndPrintable) {
    ScramServer a(rfc_verifier(), {});
    ScramServer b(rfc_verifier(), {});
    std::string first_a = a.handle_client_first(kScramSha256, "n,,n=,r=abc").value();
    std::string first_b = b.handle_client_first(kScramSha256, "n,,n=,r=abc").value();
    ScramServerFirst parsed_a = parse_scram_server_first(first_a).value();
    ScramServerFirst parsed_b = parse_scram_server_first(first_b).value();
    EXPECT_EQ(parsed_a.nonce.size(), 3 + 24u);
    EXPECT_NE(parsed_a.nonce, parsed_b.nonce);

    ScramClient client("pw", {});
    std::string first = client.client_first();
    EXPECT_TRUE(first.starts_with("n,,n=,r="));
    EXPECT_EQ(first.size(), 8 + 24u);
}

TEST(Scram, UserNameIsEscaped) {
    ScramClient client("pw", {.user_name = "a,b=c", .client_nonce = "xyz"});
    EXPECT_EQ(client.client_first(), "n,,n=a=2Cb=3Dc,r=xyz");
}

TEST(Scram, ServerFirstParserChecksEveryField) {
    EXPECT_TRUE(parse_scram_server_first("r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1"));
    EXPECT_TRUE(parse_scram_server_first("r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1,z=ext"));
    const std::string cases[] = {
        "",
        "r=abc",
        "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==",
        "r=abc,s=,i=4096",
        "r=abc,s=W22Z*J0SNY7soEsUEjb6gQ==,i=4096",
        "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=x",
        "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4294967296",
        "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,",
        "m=x,r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=abc,i=4096",
    };
    for (const std::string& message : cases)
        EXPECT_FALSE(parse_scram_server_first(message)) << message;
}

TEST(Scram, ServerFinalParser) {
    EXPECT_TRUE(parse_scram_server_final(kRfcServerFinal));
    EXPECT_TRUE(parse_scram_server_final(std::string(kRfcServerFinal) + ",x=1"));
    EXPECT_FALSE(parse_scram_server_final(""));
    EXPECT_FALSE(parse_scram_server_final("v="));
    EXPECT_FALSE(parse_scram_server_final("v=abcd"));
    EXPECT_FALSE(parse_scram_server_final(std::string(kRfcServerFinal) + ","));
    EXPECT_EQ(parse_scram_server_final("e=other-error").error().code(), StatusCode::crypto);
}

}  // namespace
}  // namespace kb::crypto
