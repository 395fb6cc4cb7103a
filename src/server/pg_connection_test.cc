// PgConnection driven by client byte scripts against a real (simulated-disk) database:
// startup and its refusals, SSL/GSS/cancel requests, authentication conversations, the simple
// query protocol, errors and ReadyForQuery's transaction status.
#include "server/pg_connection.h"

#include <gtest/gtest.h>

#include "server/pg_test_support.h"

namespace kb::server {
namespace {

using namespace std::string_literals;
using testing::describe_output;
using testing::PgScript;
using testing::TestPgHost;
using Lines = std::vector<std::string>;

class PgConnectionTest : public ::testing::Test {
protected:
    Lines run(PgConnection& on, const PgScript& script) {
        on.receive(script.bytes());
        return describe_output(on.take_output());
    }
    Lines query(PgConnection& on, std::string_view text) { return run(on, PgScript().query(text)); }
    // A fresh connection's replies to `script` (which starts with the startup message).
    Lines start(const PgScript& script, PgConnectionOptions options = {}) {
        connection = std::make_unique<PgConnection>(host, options);
        return run(*connection, script);
    }

    TestPgHost host;
    std::unique_ptr<PgConnection> connection;
};

TEST_F(PgConnectionTest, StartupWithTrustAuthentication) {
    connection = std::make_unique<PgConnection>(host);
    connection->receive(PgScript().startup("admin", "default").bytes());
    const Bytes output = connection->take_output();
    // Exact bytes at both ends: AuthenticationOk first, ReadyForQuery (idle) last.
    ASSERT_GT(output.size(), 15u);
    EXPECT_EQ(to_hex(ByteSpan(output).first(9)), to_hex(as_bytes("R\0\0\0\x08\0\0\0\0"s)));
    EXPECT_EQ(to_hex(ByteSpan(output).last(6)), to_hex(as_bytes("Z\0\0\0\x05I"s)));
    Lines lines = describe_output(output);
    ASSERT_EQ(lines.size(), 16u);
    const std::string version = lines[10];
    EXPECT_TRUE(version.starts_with("S server_version=15.")) << version;
    lines[10] = "S server_version";
    EXPECT_EQ(
        lines,
        (Lines{"R0", "S application_name=", "S client_encoding=UTF8", "S DateStyle=ISO, MDY",
               "S default_transaction_read_only=off", "S in_hot_standby=off",
               "S integer_datetimes=on", "S IntervalStyle=postgres", "S is_superuser=on",
               "S server_encoding=UTF8", "S server_version", "S session_authorization=admin",
               "S standard_conforming_strings=on", "S TimeZone=UTC", "K 4242/6211559", "Z I"}));
    EXPECT_EQ(host.keys_registered, 1);
    ASSERT_NE(connection->login(), nullptr);
    EXPECT_EQ(connection->login()->user, "admin");
    EXPECT_FALSE(connection->closed());
    // The cancel key goes back to the host with the connection.
    connection.reset();
    ASSERT_EQ(host.released.size(), 1u);
    EXPECT_EQ(host.released[0], (PgBackendKey{4242, 0x5ec7e7}));
}

TEST_F(PgConnectionTest, StartupParametersBecomeSettings) {
    const Lines lines =
        start(PgScript().startup({{"user", "alice"},
                                  {"database", "default"},
                                  {"application_name", "psql"},
                                  {"client_encoding", "utf-8"},
                                  {"options", "-c search_path=public --DateStyle=ISO,\\ MDY"}}));
    EXPECT_EQ(lines[1], "S application_name=psql");
    EXPECT_EQ(lines[2], "S client_encoding=UTF8");
    EXPECT_EQ(lines[3], "S DateStyle=ISO, MDY");
    EXPECT_EQ(lines[8], "S is_superuser=off");
    EXPECT_EQ(lines[11], "S session_authorization=alice");
    EXPECT_EQ(query(*connection, "SHOW application_name"),
              (Lines{"T application_name:25", "D psql", "C SHOW", "Z I"}));
    EXPECT_EQ(query(*connection, "SHOW search_path"),
              (Lines{"T search_path:25", "D public", "C SHOW", "Z I"}));
    // libpq's "auto" in a C locale asks for SQL_ASCII: no conversion, accepted as such.
    const Lines ascii = start(PgScript().startup(
        {{"user", "admin"}, {"database", "default"}, {"client_encoding", "SQL_ASCII"}}));
    EXPECT_EQ(ascii[2], "S client_encoding=SQL_ASCII");
}

TEST_F(PgConnectionTest, StartupRefusals) {
    const auto refused = [&](const PgScript& script) {
        const Lines lines = start(script);
        EXPECT_TRUE(connection->closed());
        EXPECT_EQ(connection->login(), nullptr);
        return lines;
    };
    EXPECT_EQ(refused(PgScript().startup({{"database", "default"}})),
              (Lines{"E FATAL 28000 no PostgreSQL user name specified in startup packet"}));
    EXPECT_EQ(refused(PgScript().startup("admin", "elsewhere")),
              (Lines{"E FATAL 3D000 database \"elsewhere\" does not exist"}));
    EXPECT_EQ(refused(PgScript().startup("mallory", "default")),
              (Lines{"E FATAL 28000 role \"mallory\" does not exist"}));
    EXPECT_EQ(refused(PgScript().startup({{"user", "admin"}, {"client_encoding", "LATIN1"}})),
              (Lines{"E FATAL 22023 invalid value for parameter \"client_encoding\": \"LATIN1\""}));
    EXPECT_EQ(refused(PgScript().startup({{"user", "admin"}, {"replication", "database"}})),
              (Lines{"E FATAL 0A000 replication connections are not supported"}));
    EXPECT_EQ(refused(PgScript().startup({{"user", "admin"}, {"options", "-x"}})),
              (Lines{"E FATAL 08P01 invalid command-line argument in startup options: \"-x\""}));
    EXPECT_EQ(
        refused(PgScript().startup(
            {{"user", "admin"}, {"database", "default"}, {"no_such_setting", "1"}})),
        (Lines{"R0", "E FATAL 42704 unrecognized configuration parameter \"no_such_setting\""}));
    // Other protocol versions.
    Bytes v2;
    put_be_u32(v2, 8);
    put_be_u32(v2, 2u << 16);
    EXPECT_EQ(
        refused(PgScript().raw(v2)),
        (Lines{"E FATAL 0A000 unsupported frontend protocol 2.0: server supports 3.0 to 3.0"}));
    // A broken packet.
    EXPECT_EQ(refused(PgScript().raw(as_bytes("\0\0\0\x0a\0\x03\0\0ab"s))),
              (Lines{"E FATAL 08P01 invalid startup packet layout: expected terminator as last "
                     "byte"}));
    EXPECT_EQ(refused(PgScript().raw(as_bytes("\0\x01\0\0"s))),
              (Lines{"E FATAL 08P01 invalid length of startup packet: 65536"}));
    EXPECT_EQ(host.keys_registered, 0);
}

TEST_F(PgConnectionTest, NewerMinorVersionAndProtocolOptionsAreNegotiated) {
    Bytes packet;
    {
        PgStartupMessage message;
        message.minor = 2;
        message.parameters = {
            {"user", "admin"}, {"database", "default"}, {"_pq_.compression", "on"}};
        encode_startup_message(packet, message);
    }
    const Lines lines = start(PgScript().raw(packet));
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "v 0 _pq_.compression");
    EXPECT_EQ(lines[1], "R0");
    EXPECT_EQ(lines.back(), "Z I");
}

TEST_F(PgConnectionTest, SslRequestWithoutTls) {
    connection = std::make_unique<PgConnection>(host);
    connection->receive(PgScript().ssl_request().startup().bytes());
    const Bytes output = connection->take_output();
    const Lines lines = describe_output(output, true);
    EXPECT_EQ(lines.front(), "ssl:N");
    EXPECT_EQ(lines.back(), "Z I");
    EXPECT_FALSE(connection->tls_active());
}

TEST_F(PgConnectionTest, SslRequestWithTls) {
    bool authenticated_over_tls = false;
    host.make_authenticator = [&](const PgLogin&, bool tls_active) {
        authenticated_over_tls = tls_active;
        return std::make_unique<PgTrustAuthenticator>();
    };
    connection = std::make_unique<PgConnection>(host, PgConnectionOptions{.tls_available = true});
    connection->receive(PgScript().ssl_request().bytes());
    EXPECT_EQ(connection->take_output(), Bytes{'S'});
    EXPECT_TRUE(connection->wants_tls());
    connection->tls_started();
    EXPECT_FALSE(connection->wants_tls());
    EXPECT_TRUE(connection->tls_active());
    EXPECT_EQ(run(*connection, PgScript().startup()).back(), "Z I");
    EXPECT_TRUE(authenticated_over_tls);
    // A second SSLRequest is not allowed once inside TLS.
    connection = std::make_unique<PgConnection>(host, PgConnectionOptions{.tls_available = true});
    connection->receive(PgScript().ssl_request().bytes());
    connection->take_output();
    connection->tls_started();
    EXPECT_EQ(run(*connection, PgScript().ssl_request()),
              (Lines{"E FATAL 08P01 SSLRequest sent twice"}));
}

TEST_F(PgConnectionTest, BytesStuffedAfterSslRequestAreRefused) {
    connection = std::make_unique<PgConnection>(host, PgConnectionOptions{.tls_available = true});
    connection->receive(PgScript().ssl_request().startup().bytes());
    const Lines lines = describe_output(connection->take_output(), true);
    EXPECT_EQ(lines, (Lines{"ssl:S", "E FATAL 08P01 received unencrypted data after SSL request"}));
    EXPECT_TRUE(connection->closed());

    // Bytes fed before the transport reports the handshake are refused too.
    connection = std::make_unique<PgConnection>(host, PgConnectionOptions{.tls_available = true});
    connection->receive(PgScript().ssl_request().bytes());
    connection->take_output();
    EXPECT_EQ(run(*connection, PgScript().startup()),
              (Lines{"E FATAL 08P01 received unencrypted data before the TLS handshake"}));
}

TEST_F(PgConnectionTest, GssEncRequestIsDeclined) {
    Bytes gss;
    encode_gss_enc_request(gss);
    connection = std::make_unique<PgConnection>(host);
    connection->receive(PgScript().raw(gss).startup().bytes());
    const Lines lines = describe_output(connection->take_output(), true);
    EXPECT_EQ(lines.front(), "ssl:N");
    EXPECT_EQ(lines.back(), "Z I");
}

TEST_F(PgConnectionTest, CancelRequestGoesToTheHostAndCloses) {
    Bytes cancel;
    encode_cancel_request(cancel, {.process_id = 4242, .secret_key = 99});
    EXPECT_EQ(start(PgScript().raw(cancel)), Lines{});
    EXPECT_TRUE(connection->closed());
    ASSERT_EQ(host.cancelled.size(), 1u);
    EXPECT_EQ(host.cancelled[0], (PgBackendKey{4242, 99}));
}

// A password exchange and a SASL exchange with a fake authenticator.
class FakeAuthenticator final : public PgAuthenticator {
public:
    explicit FakeAuthenticator(bool sasl) : sasl_(sasl) {}
    PgAuthStep start() override {
        return sasl_ ? PgAuthStep::sasl({"SCRAM-SHA-256"}) : PgAuthStep::cleartext_password();
    }
    PgAuthStep respond(const PgAuthMessage& message) override {
        if (const auto* password = std::get_if<PgPasswordMessage>(&message)) {
            if (password->password == "sesame") return PgAuthStep::ok();
            return PgAuthStep::fail("password authentication failed for user \"alice\"");
        }
        if (const auto* initial = std::get_if<PgSaslInitialResponse>(&message)) {
            if (initial->mechanism != "SCRAM-SHA-256" || !initial->data ||
                as_chars(*initial->data) != "client-first") {
                return PgAuthStep::fail("bad initial response", "08P01");
            }
            return PgAuthStep::sasl_continue(testing::text_bytes("server-first"));
        }
        const auto& response = std::get<PgSaslResponse>(message);
        if (as_chars(response.data) != "client-final") {
            return PgAuthStep::fail("password authentication failed for user \"alice\"");
        }
        return PgAuthStep::sasl_final(testing::text_bytes("server-final"));
    }

private:
    bool sasl_;
};

TEST_F(PgConnectionTest, CleartextPasswordAuthentication) {
    host.make_authenticator = [](const PgLogin&, bool) {
        return std::make_unique<FakeAuthenticator>(false);
    };
    EXPECT_EQ(start(PgScript().startup("alice")), (Lines{"R3"}));
    Bytes password;
    encode_password_message(password, {"sesame"});
    const Lines lines = run(*connection, PgScript().raw(password));
    EXPECT_EQ(lines.front(), "R0");
    EXPECT_EQ(lines.back(), "Z I");

    EXPECT_EQ(start(PgScript().startup("alice")), (Lines{"R3"}));
    password.clear();
    encode_password_message(password, {"guess"});
    EXPECT_EQ(run(*connection, PgScript().raw(password)),
              (Lines{"E FATAL 28P01 password authentication failed for user \"alice\""}));
    EXPECT_TRUE(connection->closed());
    EXPECT_EQ(host.keys_registered, 1);
}

TEST_F(PgConnectionTest, SaslAuthentication) {
    host.make_authenticator = [](const PgLogin&, bool) {
        return std::make_unique<FakeAuthenticator>(true);
    };
    EXPECT_EQ(start(PgScript().startup("alice")), (Lines{"R10 SCRAM-SHA-256"}));
    Bytes message;
    encode_sasl_initial_response(message, {"SCRAM-SHA-256", as_bytes("client-first")});
    EXPECT_EQ(run(*connection, PgScript().raw(message)), (Lines{"R11 server-first"}));
    message.clear();
    encode_sasl_response(message, {as_bytes("client-final")});
    const Lines lines = run(*connection, PgScript().raw(message));
    ASSERT_GE(lines.size(), 3u);
    EXPECT_EQ(lines[0], "R12 server-final");
    EXPECT_EQ(lines[1], "R0");
    EXPECT_EQ(lines.back(), "Z I");

    // A wrong final answer, and a message that is not a SASL response at all.
    start(PgScript().startup("alice"));
    message.clear();
    encode_sasl_initial_response(message, {"SCRAM-SHA-256", as_bytes("client-first")});
    run(*connection, PgScript().raw(message));
    message.clear();
    encode_sasl_response(message, {as_bytes("forged")});
    EXPECT_EQ(run(*connection, PgScript().raw(message)),
              (Lines{"E FATAL 28P01 password authentication failed for user \"alice\""}));
    start(PgScript().startup("alice"));
    EXPECT_EQ(run(*connection, PgScript().query("SELECT 1")),
              (Lines{"E FATAL 08P01 expected password response, got message type 81"}));
    start(PgScript().startup("alice"));
    EXPECT_EQ(run(*connection, PgScript().raw(as_bytes("p\0\0\0\x06M\0"s))),
              (Lines{"E FATAL 08P01 invalid message format: SASLInitialResponse message is "
                     "truncated"}));
    // Before authentication a message may not be large (the limit for everyone else is the
    // configured one).
    start(PgScript().startup("alice"));
    Bytes huge;
    put_raw(huge, "p");
    put_be_u32(huge, 100000);
    EXPECT_EQ(run(*connection, PgScript().raw(huge)),
              (Lines{"E FATAL 08P01 invalid message length 100000 for message type 112 (at most "
                     "65535 bytes of body allowed)"}));
}

TEST_F(PgConnectionTest, SimpleQueryCreateInsertSelect) {
    connection = testing::connect(host);
    EXPECT_EQ(
        query(*connection, "CREATE TABLE items (id bigint PRIMARY KEY, name text, qty integer)"),
        (Lines{"C CREATE TABLE", "Z I"}));
    EXPECT_EQ(query(*connection, "INSERT INTO items VALUES (1, 'apple', 3), (2, NULL, NULL)"),
              (Lines{"C INSERT 0 2", "Z I"}));
    connection->receive(PgScript().query("SELECT id, name FROM items ORDER BY id").bytes());
    const Bytes output = connection->take_output();
    EXPECT_EQ(to_hex(output),
              to_hex(as_bytes("T\0\0\0\x32\0\x02"
                              "id\0\0\0\0\0\0\0\0\0\0\x14\0\x08\xff\xff\xff\xff\0\0"
                              "name\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff\0\0"
                              "D\0\0\0\x14\0\x02\0\0\0\x01"
                              "1\0\0\0\x05"
                              "apple"
                              "D\0\0\0\x0f\0\x02\0\0\0\x01"
                              "2\xff\xff\xff\xff"
                              "C\0\0\0\x0dSELECT 2\0"
                              "Z\0\0\0\x05I"s)));
}

TEST_F(PgConnectionTest, SeveralStatementsInOneQuery) {
    connection = testing::connect(host);
    EXPECT_EQ(query(*connection,
                    "CREATE TABLE t (a int PRIMARY KEY); INSERT INTO t VALUES (1); "
                    "SELECT a FROM t; SELECT 'x' AS b"),
              (Lines{"C CREATE TABLE", "C INSERT 0 1", "T a:23", "D 1", "C SELECT 1", "T b:25",
                     "D x", "C SELECT 1", "Z I"}));
    // The first error stops the rest, and rolls back the statements before it: a Query's
    // statements are one implicit transaction.
    EXPECT_EQ(query(*connection, "INSERT INTO t VALUES (2); SELECT 1/0; INSERT INTO t VALUES (3)"),
              (Lines{"C INSERT 0 1", "E 22012 division by zero @35", "Z I"}));
    EXPECT_EQ(query(*connection, "SELECT count(*) FROM t"),
              (Lines{"T count:20", "D 1", "C SELECT 1", "Z I"}));
}

TEST_F(PgConnectionTest, EmptyQueries) {
    connection = testing::connect(host);
    EXPECT_EQ(query(*connection, ""), (Lines{"I", "Z I"}));
    EXPECT_EQ(query(*connection, "  ;  "), (Lines{"I", "Z I"}));
    EXPECT_EQ(query(*connection, "-- only a comment"), (Lines{"I", "Z I"}));
}

TEST_F(PgConnectionTest, ErrorsCarrySqlstatePositionAndDetail) {
    connection = testing::connect(host);
    EXPECT_EQ(query(*connection, "SELECT * FROM nowhere"),
              (Lines{"E 42P01 relation \"nowhere\" does not exist @15", "Z I"}));
    EXPECT_EQ(query(*connection, "SELEC 1"),
              (Lines{"E 42601 syntax error at or near \"SELEC\" @1", "Z I"}));
    query(*connection, "CREATE TABLE u (k int PRIMARY KEY)");
    query(*connection, "INSERT INTO u VALUES (1)");
    connection->receive(PgScript().query("INSERT INTO u VALUES (1)").bytes());
    const Bytes output = connection->take_output();
    // Decode the ErrorResponse fully: its detail names the key.
    const u32 length = load_be_u32(output.data() + 1);
    auto error = decode_backend_message('E', ByteSpan(output).subspan(5, length - 4));
    ASSERT_TRUE(error.has_value());
    const PgNotice& fields = std::get<PgErrorResponse>(*error).fields;
    EXPECT_EQ(fields.severity, "ERROR");
    EXPECT_EQ(fields.sqlstate, "23505");
    EXPECT_EQ(fields.message, "duplicate key value violates unique constraint \"u_pkey\"");
    EXPECT_EQ(fields.detail, "Key (k)=(1) already exists.");
}

TEST_F(PgConnectionTest, ReadyForQueryFollowsTheTransaction) {
    connection = testing::connect(host);
    query(*connection, "CREATE TABLE t (a int PRIMARY KEY)");
    EXPECT_EQ(query(*connection, "BEGIN"), (Lines{"C BEGIN", "Z T"}));
    EXPECT_EQ(query(*connection, "INSERT INTO t VALUES (1)"), (Lines{"C INSERT 0 1", "Z T"}));
    EXPECT_EQ(query(*connection, "SELECT 1/0"), (Lines{"E 22012 division by zero @9", "Z E"}));
    EXPECT_EQ(query(*connection, "SELECT 1"),
              (Lines{"E 25P02 current transaction is aborted, commands ignored until end of "
                     "transaction block",
                     "Z E"}));
    EXPECT_EQ(query(*connection, "ROLLBACK"), (Lines{"C ROLLBACK", "Z I"}));
    EXPECT_EQ(query(*connection, "SELECT count(*) FROM t"),
              (Lines{"T count:20", "D 0", "C SELECT 1", "Z I"}));
    EXPECT_EQ(query(*connection, "BEGIN; INSERT INTO t VALUES (2); COMMIT"),
              (Lines{"C BEGIN", "C INSERT 0 1", "C COMMIT", "Z I"}));
    EXPECT_EQ(query(*connection, "BEGIN; SELECT a FROM t"),
              (Lines{"C BEGIN", "T a:23", "D 2", "C SELECT 1", "Z T"}));
}

TEST_F(PgConnectionTest, NoticesAndParameterStatusChanges) {
    connection = testing::connect(host);
    query(*connection, "CREATE TABLE t (a int PRIMARY KEY)");
    EXPECT_EQ(query(*connection, "CREATE TABLE IF NOT EXISTS t (a int PRIMARY KEY)"),
              (Lines{"N relation \"t\" already exists, skipping", "C CREATE TABLE", "Z I"}));
    EXPECT_EQ(query(*connection, "SET application_name = 'reporting'"),
              (Lines{"C SET", "S application_name=reporting", "Z I"}));
    // A setting that is not reported, and a SET to the value already reported.
    EXPECT_EQ(query(*connection, "SET search_path = public"), (Lines{"C SET", "Z I"}));
    EXPECT_EQ(query(*connection, "SET application_name = 'reporting'"), (Lines{"C SET", "Z I"}));
    EXPECT_EQ(query(*connection, "RESET application_name"),
              (Lines{"C RESET", "S application_name=", "Z I"}));
}

TEST_F(PgConnectionTest, InvalidUtf8QueryIsAnError) {
    connection = testing::connect(host);
    const Lines lines = query(*connection, "SELECT '\xff'");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(lines[0].starts_with("E 22021 invalid byte sequence for encoding \"UTF8\""))
        << lines[0];
    EXPECT_EQ(lines[1], "Z I");
}

TEST_F(PgConnectionTest, TerminateCloses) {
    connection = testing::connect(host);
    EXPECT_EQ(run(*connection, PgScript().terminate().query("SELECT 1")), Lines{});
    EXPECT_TRUE(connection->closed());
    EXPECT_EQ(connection->close_reason(), "terminated by the client");
    EXPECT_EQ(query(*connection, "SELECT 1"), Lines{});
}

TEST_F(PgConnectionTest, FramingErrorsAreFatal) {
    connection = testing::connect(host);
    EXPECT_EQ(run(*connection, PgScript().raw(as_bytes("Z\0\0\0\x04"s))),
              (Lines{"E FATAL 08P01 invalid frontend message type 90"}));
    EXPECT_TRUE(connection->closed());

    connection = testing::connect(host, "admin", PgConnectionOptions{.max_message_bytes = 64});
    EXPECT_EQ(query(*connection, std::string(63, ' ')), (Lines{"I", "Z I"}));
    EXPECT_EQ(query(*connection, std::string(64, ' ')),
              (Lines{"E FATAL 08P01 invalid message length 69 for message type 81 (at most 64 "
                     "bytes of body allowed)"}));

    connection = testing::connect(host);
    EXPECT_EQ(run(*connection, PgScript().raw(as_bytes("Q\0\0\0\x02"s))),
              (Lines{"E FATAL 08P01 invalid message length 2 for message type 81"}));
    // 'p' outside authentication is not a message of this phase.
    connection = testing::connect(host);
    EXPECT_EQ(run(*connection, PgScript().raw(as_bytes("p\0\0\0\x05x"s))),
              (Lines{"E FATAL 08P01 invalid frontend message type 112"}));
}

TEST_F(PgConnectionTest, MalformedQueryIsAnErrorNotFatal) {
    connection = testing::connect(host);
    EXPECT_EQ(run(*connection, PgScript().raw(as_bytes("Q\0\0\0\x08SELE"s))),
              (Lines{"E 08P01 invalid message format: Query message is truncated", "Z I"}));
    EXPECT_FALSE(connection->closed());
    EXPECT_EQ(query(*connection, "SELECT 1 AS one"),
              (Lines{"T one:23", "D 1", "C SELECT 1", "Z I"}));
}

TEST_F(PgConnectionTest, UnsupportedAndIgnoredMessages) {
    connection = testing::connect(host);
    EXPECT_EQ(run(*connection, PgScript().message(PgFunctionCall{as_bytes("\0\0\0\x01"s)})),
              (Lines{"E 0A000 the fast-path function call protocol is not supported", "Z I"}));
    // COPY messages outside COPY are dropped, as PostgreSQL drops a failed COPY's leftovers.
    EXPECT_EQ(run(*connection, PgScript()
                                   .message(PgCopyData{as_bytes("1\n")})
                                   .message(PgCopyDone{})
                                   .message(PgCopyFail{"x"})
                                   .flush()),
              Lines{});
    EXPECT_FALSE(connection->closed());
}

// However the client's bytes are chunked, the replies are the same.
TEST_F(PgConnectionTest, ChunkingDoesNotChangeReplies) {
    const PgScript script = PgScript()
                                .startup()
                                .query("CREATE TABLE t (a int PRIMARY KEY, b text)")
                                .query("INSERT INTO t VALUES (1, 'x'), (2, 'y')")
                                .parse("s", "SELECT b FROM t WHERE a = $1")
                                .bind("", "s", {}, {testing::text_bytes("2")}, {})
                                .execute("")
                                .sync()
                                .query("SELECT a, b FROM t ORDER BY a");
    TestPgHost host_whole(3);
    PgConnection whole(host_whole);
    whole.receive(script.bytes());
    const Bytes expected = whole.take_output();

    TestPgHost host_bytes(3);
    PgConnection bytewise(host_bytes);
    Bytes got;
    for (u8 byte : script.bytes()) {
        bytewise.receive(ByteSpan(&byte, 1));
        const Bytes out = bytewise.take_output();
        got.insert(got.end(), out.begin(), out.end());
    }
    EXPECT_EQ(describe_output(got), describe_output(expected));
    EXPECT_EQ(describe_output(got).back(), "Z I");
}

TEST_F(PgConnectionTest, PartialOutputConsumption) {
    connection = testing::connect(host);
    connection->receive(PgScript().query("SELECT 1").bytes());
    const Bytes all(connection->pending_output().begin(), connection->pending_output().end());
    connection->consume_output(3);
    EXPECT_EQ(connection->pending_output().size(), all.size() - 3);
    Bytes rest = connection->take_output();
    EXPECT_TRUE(std::equal(rest.begin(), rest.end(), all.begin() + 3));
    EXPECT_TRUE(connection->pending_output().empty());
}

}  // namespace
}  // namespace kb::server
