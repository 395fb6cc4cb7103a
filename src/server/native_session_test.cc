// Tests of the native protocol's server side (native_session.h) and of choosing the protocol by
// the first bytes (protocol_dispatch.h), driven byte for byte over a simulated database node.
#include "server/native_session.h"

#include <gtest/gtest.h>

#include "crypto/scram.h"
#include "kernel/kernel_reads.h"
#include "server/native_frame.h"
#include "server/native_test_support.h"
#include "server/pg_test_support.h"
#include "server/protocol_dispatch.h"
#include "server/scram_authenticator.h"

namespace kb::server {
namespace {

using testing::TestPgHost;

constexpr std::string_view kPassword = "native secret";

using Received = testing::NativeReceived;

// A test client: builds frames and decodes everything the session sends back.
class Client {
public:
    explicit Client(ProtocolSession& session) : session_(session) {}

    void preface(NativeVersion version = kNativeVersion) {
        Bytes bytes;
        encode_native_preface(bytes, version);
        session_.receive(bytes);
        const Bytes out = session_.take_output();
        ASSERT_GE(out.size(), kNativePrefaceBytes);
        auto answered = decode_native_preface(ByteSpan(out).first(kNativePrefaceBytes));
        ASSERT_TRUE(answered.has_value());
        server_version = *answered;
        framer_.feed(ByteSpan(out).subspan(kNativePrefaceBytes));
    }

    std::vector<Received> send(u64 request_id, const NativeMessage& message) {
        return send_raw(frame_of(request_id, message));
    }

    std::vector<Received> send_raw(ByteSpan bytes) {
        session_.receive(bytes);
        return collect();
    }

    // The frame of `message` under `request_id`, for sending several at once.
    static Bytes frame_of(u64 request_id, const NativeMessage& message) {
        return testing::native_frame_of(request_id, message);
    }

    // What the session has sent since, decoded (without giving it anything).
    std::vector<Received> collect() { return testing::collect_native(session_, framer_); }

    // The one message a request was answered with, of type T (a test failure otherwise).
    template <class T>
    T one(u64 request_id, const NativeMessage& request) {
        auto received = send(request_id, request);
        EXPECT_EQ(received.size(), 1u);
        if (received.empty()) return T{};
        EXPECT_EQ(received[0].header.request_id, request_id);
        if (const auto* error = std::get_if<NativeError>(&received[0].message);
            error && !std::is_same_v<T, NativeError>) {
            ADD_FAILURE() << "error " << native_error_code_name(error->code) << ": "
                          << error->message;
            return T{};
        }
        EXPECT_TRUE(std::holds_alternative<T>(received[0].message));
        return std::holds_alternative<T>(received[0].message) ? std::get<T>(received[0].message)
                                                              : T{};
    }

    // Hello and the SCRAM exchange; returns Ready (or a default one after a failure).
    NativeReady log_in(std::string_view password = kPassword, std::string user = "admin",
                       std::string tenant = "default") {
        crypto::ScramClient scram(password, {});
        NativeHello hello{"test", std::move(tenant), NativeAuthMethod::scram_sha_256,
                          std::move(user), copy_of(as_bytes(scram.client_first()))};
        auto first = send(1, hello);
        if (first.size() != 1 || !std::holds_alternative<NativeAuthContinue>(first[0].message)) {
            last_error = first.empty() ? NativeError{}
                         : std::get_if<NativeError>(&first[0].message)
                             ? std::get<NativeError>(first[0].message)
                             : NativeError{};
            return {};
        }
        const Bytes& server_first = std::get<NativeAuthContinue>(first[0].message).data;
        auto client_final = scram.handle_server_first(as_chars(server_first));
        EXPECT_TRUE(client_final.has_value());
        auto rest = send(1, NativeAuthContinue{copy_of(as_bytes(*client_final))});
        if (rest.size() != 2) {
            if (rest.size() == 1 && std::holds_alternative<NativeError>(rest[0].message)) {
                last_error = std::get<NativeError>(rest[0].message);
            }
            return {};
        }
        const Bytes& server_final = std::get<NativeAuthContinue>(rest[0].message).data;
        EXPECT_TRUE(scram.handle_server_final(as_chars(server_final)).is_ok());
        return std::get<NativeReady>(rest[1].message);
    }

    NativeVersion server_version;
    NativeError last_error;

private:
    ProtocolSession& session_;
    NativeFramer framer_;
};

class NativeSessionTest : public ::testing::Test {
protected:
    NativeSessionTest() {
        const Bytes salt = {1, 2, 3, 4, 5, 6, 7, 8};
        verifier_ = crypto::make_scram_verifier(kPassword, salt, 16);
        host.make_authenticator = [this](const PgLogin& login, bool) {
            ScramAuthenticatorOptions options;
            options.user = login.user;
            options.verifier = verifier_;
            options.mock_secret = Bytes(32, 9);
            return std::make_unique<ScramAuthenticator>(std::move(options));
        };
    }

    NativeSession& open(NativeSessionOptions options = {}) {
        session = std::make_unique<NativeSession>(host, std::move(options));
        client = std::make_unique<Client>(*session);
        client->preface();
        return *session;
    }

    TestPgHost host;
    std::unique_ptr<NativeSession> session;
    std::unique_ptr<Client> client;

private:
    crypto::ScramVerifier verifier_;
};

TEST_F(NativeSessionTest, AnswersThePrefaceWithTheNegotiatedVersion) {
    session = std::make_unique<NativeSession>(host, NativeSessionOptions{});
    Client newer(*session);
    newer.preface(NativeVersion{1, 9});
    EXPECT_EQ(newer.server_version, (NativeVersion{1, 0}));
    EXPECT_FALSE(session->closed());

    session = std::make_unique<NativeSession>(host, NativeSessionOptions{});
    Client other_major(*session);
    other_major.preface(NativeVersion{2, 0});
    EXPECT_EQ(other_major.server_version, kNativeVersion);
    EXPECT_TRUE(session->closed());
}

TEST_F(NativeSessionTest, LogsInWithScram) {
    open();
    const NativeReady ready = client->log_in();
    EXPECT_EQ(ready.tenant_id, host.node().engine().tenant_id("default")->value());
    EXPECT_EQ(ready.max_frame_body, kNativeFrameBodyMax);
    EXPECT_GT(ready.max_in_flight, 0u);
    EXPECT_EQ(client->one<NativePong>(2, NativePing{}), NativePong{});
}

TEST_F(NativeSessionTest, RefusesAWrongPasswordAndAnUnknownTenant) {
    open();
    EXPECT_EQ(client->log_in("wrong"), NativeReady{});
    EXPECT_EQ(client->last_error.code, NativeErrorCode::authentication_failed);
    EXPECT_TRUE(session->closed());

    open();
    EXPECT_EQ(client->log_in(kPassword, "admin", "nowhere"), NativeReady{});
    EXPECT_EQ(client->last_error.code, NativeErrorCode::not_found);
    EXPECT_NE(client->last_error.message.find("\"nowhere\" does not exist"), std::string::npos);
    EXPECT_TRUE(session->closed());
}

TEST_F(NativeSessionTest, RequestsBeforeTheHandshakeCloseTheConnection) {
    open();
    auto received = client->send(5, NativePing{});
    ASSERT_EQ(received.size(), 1u);
    const auto& error = std::get<NativeError>(received[0].message);
    EXPECT_EQ(error.code, NativeErrorCode::protocol_violation);
    EXPECT_EQ(received[0].header.request_id, 0u);
    EXPECT_TRUE(session->closed());
}

TEST_F(NativeSessionTest, AnOversizedFrameBeforeAuthenticationClosesTheConnection) {
    open();
    Bytes frame;
    encode_native_frame(frame, {1, static_cast<u16>(NativeType::hello), 0}, Bytes(70000, 0));
    client->send_raw(ByteSpan(frame).first(kNativeFrameHeaderBytes));
    EXPECT_TRUE(session->closed());
}

TEST_F(NativeSessionTest, CreatesListsAndDescribesStreams) {
    open();
    client->log_in();
    const u64 orders =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"orders", DataClass::phi}).stream_id;
    const u64 audit =
        client->one<NativeStreamCreated>(3, NativeStreamCreate{"audit", DataClass::internal})
            .stream_id;
    EXPECT_NE(orders, audit);
    const auto list = client->one<NativeStreamListReply>(4, NativeStreamList{});
    ASSERT_EQ(list.streams.size(), 2u);
    EXPECT_EQ(list.streams[0].name, "orders");
    EXPECT_EQ(list.streams[0].data_class, DataClass::phi);
    const auto described = client->one<NativeStreamDescribeReply>(5, NativeStreamDescribe{"audit"});
    EXPECT_EQ(described.stream.id, audit);
    EXPECT_EQ(described.stream.next_offset, 0u);

    const auto taken = client->one<NativeError>(6, NativeStreamCreate{"orders", DataClass::phi});
    EXPECT_EQ(taken.code, NativeErrorCode::already_exists);
    EXPECT_TRUE(taken.retry_safe);
    const auto missing = client->one<NativeError>(7, NativeStreamDescribe{"nope"});
    EXPECT_EQ(missing.code, NativeErrorCode::not_found);
}

TEST_F(NativeSessionTest, AppendsWithExpectedOffsetsAndIdempotency) {
    open();
    client->log_in();
    const u64 stream =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"s", DataClass::internal}).stream_id;
    Bytes id_bytes(16, 0x5A);
    const IdempotencyId id = IdempotencyId::from_bytes(id_bytes);
    const NativeAppend first{stream, 0, id, {Bytes{'a'}, Bytes{'b'}}};
    const auto appended = client->one<NativeAppended>(3, first);
    EXPECT_EQ(appended.first_offset, 0u);
    EXPECT_EQ(appended.count, 2u);
    EXPECT_GT(appended.position, 0u);
    // The same request again (a retry after a lost reply): the original answer, nothing added.
    const auto again = client->one<NativeAppended>(4, first);
    EXPECT_EQ(again.first_offset, 0u);
    EXPECT_EQ(
        client->one<NativeStreamDescribeReply>(5, NativeStreamDescribe{"s"}).stream.next_offset,
        2u);
    // A stale expected offset is a conflict, safe to retry after re-reading.
    const auto conflict =
        client->one<NativeError>(6, NativeAppend{stream, 1, IdempotencyId{}, {Bytes{'c'}}});
    EXPECT_EQ(conflict.code, NativeErrorCode::conflict);
    EXPECT_TRUE(conflict.retry_safe);
    const auto empty = client->one<NativeError>(7, NativeAppend{stream, {}, IdempotencyId{}, {}});
    EXPECT_EQ(empty.code, NativeErrorCode::invalid_argument);
}

TEST_F(NativeSessionTest, ReadsInChunksThatFitTheFrame) {
    NativeSessionOptions options;
    options.max_frame_body = 4096;  // a chunk holds about 2 KiB of events
    open(options);
    client->log_in();
    const u64 stream =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"s", DataClass::internal}).stream_id;
    std::vector<Bytes> events;
    for (int i = 0; i < 40; ++i) events.push_back(Bytes(60, static_cast<u8>(i)));
    client->one<NativeAppended>(3, NativeAppend{stream, {}, IdempotencyId{}, events});

    auto received = client->send(4, NativeRead{stream, 5, 0});
    ASSERT_GT(received.size(), 1u);  // more than one frame
    u64 expected = 5;
    for (usize i = 0; i < received.size(); ++i) {
        EXPECT_EQ(received[i].header.request_id, 4u);
        EXPECT_EQ(received[i].header.flags, i + 1 < received.size() ? kNativeFlagMore : 0);
        const auto& chunk = std::get<NativeEvents>(received[i].message);
        for (const NativeEvent& event : chunk.events) {
            EXPECT_EQ(event.offset, expected);
            EXPECT_EQ(event.data, Bytes(60, static_cast<u8>(expected)));
            ++expected;
        }
        EXPECT_EQ(chunk.next_offset, expected);
    }
    EXPECT_EQ(expected, 40u);

    // max_events stops early; reading at the end answers one empty chunk.
    const auto three = client->one<NativeEvents>(5, NativeRead{stream, 10, 3});
    EXPECT_EQ(three.events.size(), 3u);
    EXPECT_EQ(three.next_offset, 13u);
    const auto at_end = client->one<NativeEvents>(6, NativeRead{stream, 40, 0});
    EXPECT_TRUE(at_end.events.empty());
    EXPECT_EQ(at_end.next_offset, 40u);
    EXPECT_EQ(client->one<NativeError>(7, NativeRead{999, 0, 0}).code, NativeErrorCode::not_found);
}

TEST_F(NativeSessionTest, RunsSqlWithTypedParametersAndRows) {
    open();
    client->log_in();
    EXPECT_EQ(client
                  ->one<NativeRows>(2, NativeQuery{"CREATE TABLE t (id bigint PRIMARY KEY, "
                                                   "name text, price numeric(8,2))",
                                                   {}})
                  .tag,
              "CREATE TABLE");
    const auto inserted = client->one<NativeRows>(
        3, NativeQuery{"INSERT INTO t VALUES ($1, $2, $3), (2, NULL, 0.5)",
                       {kernel::Value::int64(1), kernel::Value::text("tea"),
                        kernel::Value::numeric(*kernel::Numeric::parse("3.25"))}});
    EXPECT_EQ(inserted.tag, "INSERT 0 2");
    const auto rows = client->one<NativeRows>(
        4, NativeQuery{"SELECT id, name, price FROM t WHERE id >= $1 ORDER BY id",
                       {kernel::Value::int32(1)}});
    ASSERT_EQ(rows.columns.size(), 3u);
    EXPECT_EQ(rows.columns[0], (NativeColumn{"id", kernel::ValueKind::int64, 20}));
    EXPECT_EQ(rows.columns[2].kind, kernel::ValueKind::numeric);
    ASSERT_EQ(rows.rows.size(), 2u);
    EXPECT_EQ(rows.rows[0][1], kernel::Value::text("tea"));
    EXPECT_TRUE(rows.rows[1][1].is_null());
    EXPECT_EQ(rows.rows[1][2].as_numeric().to_string(), "0.50");
    EXPECT_EQ(rows.tag, "SELECT 2");

    const auto error = client->one<NativeError>(5, NativeQuery{"SELECT * FROM missing", {}});
    EXPECT_EQ(error.code, NativeErrorCode::sql_error);
    EXPECT_EQ(error.sqlstate, "42P01");
    const auto duplicate =
        client->one<NativeError>(6, NativeQuery{"INSERT INTO t VALUES (1, 'x', 1)", {}});
    EXPECT_EQ(duplicate.sqlstate, "23505");
}

// Offsets of the events a batch of received frames carries for `subscription`.
std::vector<u64> offsets_in(const std::vector<Received>& received, u64 subscription) {
    std::vector<u64> offsets;
    for (const Received& frame : received) {
        if (frame.header.request_id != subscription) continue;
        for (const NativeEvent& event : std::get<NativeEvents>(frame.message).events) {
            offsets.push_back(event.offset);
        }
    }
    return offsets;
}

TEST_F(NativeSessionTest, SubscriptionsCatchUpTailLiveAndObeyCredits) {
    open();
    client->log_in();
    const u64 stream =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"s", DataClass::internal}).stream_id;
    std::vector<Bytes> five;
    for (u8 i = 0; i < 5; ++i) five.push_back(Bytes{i});
    client->one<NativeAppended>(3, NativeAppend{stream, {}, IdempotencyId{}, five});
    EXPECT_EQ(session->wake_after_ms(), std::nullopt);  // nothing to look for yet

    // Three credits: the opening frame, then events 0..2 and no more.
    auto received = client->send(10, NativeSubscribe{stream, 0, 3});
    ASSERT_FALSE(received.empty());
    EXPECT_EQ(received[0].header.flags, kNativeFlagMore);
    EXPECT_EQ(offsets_in(received, 10), (std::vector<u64>{0, 1, 2}));
    EXPECT_EQ(session->wake_after_ms(), NativeSession::kSubscriptionPollMs);
    session->wake();
    EXPECT_TRUE(client->send_raw({}).empty());  // out of credits: nothing more

    // More credits: the rest of the catch-up.
    EXPECT_EQ(offsets_in(client->send(11, NativeCredit{10, 10}), 10), (std::vector<u64>{3, 4}));
    // Live: an append (here on the same connection) reaches the subscriber.
    received = client->send(12, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{5}, Bytes{6}}});
    EXPECT_EQ(offsets_in(received, 10), (std::vector<u64>{5, 6}));
    // One from elsewhere is found when the loop wakes the session.
    ASSERT_TRUE(host.node()
                    .submit(host.node().engine().tenant_id("default").value(), db::kAdminPrincipal,
                            kernel::AppendBatchOp{StreamId(stream), {}, {}, {Bytes{7}}})
                    .has_value());
    EXPECT_TRUE(client->send_raw({}).empty());
    session->wake();
    EXPECT_EQ(offsets_in(client->send_raw({}), 10), (std::vector<u64>{7}));

    // Unsubscribe ends the subscription's frames and answers with where it stopped.
    received = client->send(13, NativeUnsubscribe{10});
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].header.request_id, 10u);
    EXPECT_EQ(received[0].header.flags, 0);
    EXPECT_EQ(std::get<NativeUnsubscribed>(received[1].message).next_offset, 8u);
    EXPECT_EQ(session->wake_after_ms(), std::nullopt);
    EXPECT_EQ(client->one<NativeError>(14, NativeUnsubscribe{10}).code, NativeErrorCode::not_found);
}

TEST_F(NativeSessionTest, SubscriptionsAreBounded) {
    open();
    client->log_in();
    const u64 stream =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"s", DataClass::internal}).stream_id;
    EXPECT_EQ(client->one<NativeError>(3, NativeSubscribe{999, 0, 1}).code,
              NativeErrorCode::not_found);
    for (u64 i = 0; i < NativeSession::kMaxSubscriptions; ++i) {
        client->send(100 + i, NativeSubscribe{stream, 0, 1});
    }
    EXPECT_EQ(client->one<NativeError>(200, NativeSubscribe{stream, 0, 1}).code,
              NativeErrorCode::invalid_argument);
}

// --- events verified against the log ----------------------------------------------------------

// Event `offset` of the verification tests' stream: 60 bytes that differ for every offset.
Bytes numbered_event(u64 offset) {
    Bytes event(60, static_cast<u8>(offset * 7));
    event[0] = static_cast<u8>(offset);
    event[1] = static_cast<u8>(offset >> 8);
    return event;
}

TEST_F(NativeSessionTest, ReadsAndSubscriptionsAcrossManyAppendsAllVerify) {
    NativeSessionOptions options;
    options.max_frame_body = 8192;  // chunks of 68 events: boundaries inside appends
    open(options);
    client->log_in();
    const u64 stream =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"s", DataClass::internal}).stream_id;
    const u64 other =
        client->one<NativeStreamCreated>(3, NativeStreamCreate{"o", DataClass::internal}).stream_id;
    // Appends of 1 and 100 events, another stream's between them.
    u64 total = 0;
    for (int round = 0; round < 3; ++round) {
        for (const u64 size : {u64{1}, u64{100}}) {
            std::vector<Bytes> events;
            for (u64 i = 0; i < size; ++i) events.push_back(numbered_event(total++));
            client->one<NativeAppended>(4, NativeAppend{stream, {}, IdempotencyId{}, events});
            client->one<NativeAppended>(5, NativeAppend{other, {}, IdempotencyId{}, {Bytes{1}}});
        }
    }
    for (const u64 from : {u64{0}, u64{37}, u64{101}}) {
        auto received = client->send(6, NativeRead{stream, from, 0});
        ASSERT_GT(received.size(), 2u);
        u64 expected = from;
        for (const Received& frame : received) {
            ASSERT_TRUE(std::holds_alternative<NativeEvents>(frame.message))
                << native_error_code_name(std::get<NativeError>(frame.message).code) << ": "
                << std::get<NativeError>(frame.message).message;
            for (const NativeEvent& event : std::get<NativeEvents>(frame.message).events) {
                EXPECT_EQ(event.offset, expected);
                EXPECT_EQ(event.data, numbered_event(expected));
                ++expected;
            }
        }
        EXPECT_EQ(expected, total);
    }
    // A subscription granted 7 credits at a time.
    std::vector<u64> seen = offsets_in(client->send(10, NativeSubscribe{stream, 0, 7}), 10);
    for (int grants = 0; grants < 100 && seen.size() < total; ++grants) {
        const auto more = offsets_in(client->send(11, NativeCredit{10, 7}), 10);
        seen.insert(seen.end(), more.begin(), more.end());
    }
    ASSERT_EQ(seen.size(), total);
    for (u64 i = 0; i < total; ++i) EXPECT_EQ(seen[i], i);
}

// A host over the test node whose log holds, at `position`, an append whose event `index` has
// other bytes than those the store's record of the append (their digest) was made from.
class DoctoredLogHost final : public db::TransactionHost {
public:
    DoctoredLogHost(db::testing::SimNode& node, Position position, usize index)
        : node_(node), position_(position), index_(index) {}

    Start start(TenantId tenant) override { return node_.start(tenant); }
    Result<db::SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                    kernel::OpBody body) override {
        return node_.submit(tenant, principal, std::move(body));
    }
    Result<std::vector<db::LoggedAppend>> logged_appends(
        std::span<const Position> positions) override {
        auto logged = KB_TRY(node_.logged_appends(positions));
        for (db::LoggedAppend& record : logged) {
            if (record.position == position_ && record.append) {
                record.append->events.at(index_).push_back('!');
            }
        }
        return logged;
    }

private:
    db::testing::SimNode& node_;
    Position position_;
    usize index_;
};

TEST_F(NativeSessionTest, ReadAndSubscribeSendNothingTheLogDoesNotHold) {
    open();
    client->log_in();
    const u64 stream =
        client->one<NativeStreamCreated>(2, NativeStreamCreate{"s", DataClass::internal}).stream_id;
    std::vector<Bytes> ten(10, Bytes{'a'});
    client->one<NativeAppended>(3, NativeAppend{stream, {}, IdempotencyId{}, ten});
    client->one<NativeAppended>(4, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{'b'}}});
    const NativeAppended third = client->one<NativeAppended>(
        5, NativeAppend{stream, {}, IdempotencyId{}, std::vector<Bytes>(5, Bytes{'c'})});
    ASSERT_EQ(third.first_offset, 11u);
    // The log's record of the third append holds other bytes for its event 1 (offset 12).
    DoctoredLogHost doctored(host.node(), Position(third.position), 1);
    host.transactions_override = &doctored;

    auto received = client->send(6, NativeRead{stream, 0, 0});
    ASSERT_EQ(received.size(), 1u);  // the error, and no events
    ASSERT_TRUE(std::holds_alternative<NativeError>(received[0].message));
    const auto& error = std::get<NativeError>(received[0].message);
    EXPECT_EQ(error.code, NativeErrorCode::internal);
    EXPECT_FALSE(error.retry_safe);
    EXPECT_NE(
        error.message.find("stream " + std::to_string(stream) + " offsets 11..15 (log position " +
                           std::to_string(third.position) + ")"),
        std::string::npos)
        << error.message;
    // A read that stops before that append is served.
    EXPECT_EQ(client->one<NativeEvents>(7, NativeRead{stream, 0, 11}).events.size(), 11u);

    // A subscription: its opening frame, then the error ends it.
    received = client->send(8, NativeSubscribe{stream, 0, 100});
    ASSERT_EQ(received.size(), 2u);
    EXPECT_TRUE(std::get<NativeEvents>(received[0].message).events.empty());
    EXPECT_EQ(received[1].header.request_id, 8u);
    ASSERT_TRUE(std::holds_alternative<NativeError>(received[1].message));
    EXPECT_EQ(std::get<NativeError>(received[1].message).code, NativeErrorCode::internal);
    EXPECT_EQ(session->wake_after_ms(), std::nullopt);
    host.transactions_override = nullptr;
}

TEST_F(NativeSessionTest, AMalformedRequestIsAnsweredAndTheConnectionGoesOn) {
    open();
    client->log_in();
    Bytes frame;
    encode_native_frame(frame, {9, static_cast<u16>(NativeType::append), 0}, Bytes{1, 2, 3});
    auto received = client->send_raw(frame);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].header.request_id, 9u);
    EXPECT_EQ(std::get<NativeError>(received[0].message).code, NativeErrorCode::protocol_violation);
    EXPECT_FALSE(session->closed());
    // A response type sent as a request, and a request not supported yet.
    EXPECT_EQ(client->one<NativeError>(10, NativePong{}).code, NativeErrorCode::protocol_violation);
    EXPECT_EQ(client->one<NativeError>(11, NativeCredit{77, 10}).code, NativeErrorCode::not_found);
    EXPECT_EQ(client->one<NativePong>(12, NativePing{}), NativePong{});
    // A corrupted frame ends the connection.
    encode_native_frame(frame = {}, {13, static_cast<u16>(NativeType::ping), 0}, {});
    frame[8] ^= 1;  // the request id: only the checksum can tell
    client->send_raw(frame);
    EXPECT_TRUE(session->closed());
}

TEST_F(NativeSessionTest, ARefusedConnectionIsToldWhy) {
    NativeSessionOptions options;
    options.refusal = "too many connections";
    session = std::make_unique<NativeSession>(host, options);
    Bytes preface;
    encode_native_preface(preface, kNativeVersion);
    session->receive(preface);
    const Bytes out = session->take_output();
    NativeFramer framer;
    framer.feed(ByteSpan(out).subspan(kNativePrefaceBytes));
    auto frame = framer.next();
    ASSERT_TRUE(frame.has_value() && frame->has_value());
    auto message = decode_native_message((*frame)->header.type, (*frame)->body);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(std::get<NativeError>(*message).code, NativeErrorCode::unavailable);
    EXPECT_TRUE(session->closed());
}

// --- answering out of order -------------------------------------------------------------------

// A host over the test node whose asynchronous submits are admitted at once, in the order they
// come (as the database admits them), but whose completions are held until the test releases
// them, in any order.
class HeldHost final : public db::TransactionHost {
public:
    explicit HeldHost(db::testing::SimNode& node) : node_(node) {}

    Start start(TenantId tenant) override { return node_.start(tenant); }
    Result<db::SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                    kernel::OpBody body) override {
        return node_.submit(tenant, principal, std::move(body));
    }
    void submit_async(TenantId tenant, PrincipalId principal, kernel::OpBody body,
                      db::SubmitCallback done) override {
        held_.push_back(Held{node_.submit(tenant, principal, std::move(body)), std::move(done)});
        ++submitted_;
    }
    Result<std::vector<db::LoggedAppend>> logged_appends(
        std::span<const Position> positions) override {
        return node_.logged_appends(positions);
    }

    usize held() const { return held_.size(); }
    u64 submitted() const { return submitted_; }
    // Runs the callback of the held submit at `index` (in the order they were submitted).
    void release(usize index) {
        Held held = std::move(held_.at(index));
        held_.erase(held_.begin() + static_cast<long>(index));
        held.done(std::move(held.result));
    }
    void release_all() {
        while (!held_.empty()) release(0);
    }

private:
    struct Held {
        Result<db::SubmitResult> result;
        db::SubmitCallback done;
    };
    db::testing::SimNode& node_;
    std::vector<Held> held_;
    u64 submitted_ = 0;
};

class NativeOutOfOrderTest : public NativeSessionTest {
protected:
    NativeOutOfOrderTest() : held(host.node()) {}

    // Logs in over the held host and creates stream "s" (its completion released).
    u64 open_with_stream() {
        host.transactions_override = &held;
        open();
        session->set_waker([this] { ++wakes; });
        client->log_in();
        EXPECT_TRUE(client->send(2, NativeStreamCreate{"s", DataClass::internal}).empty());
        EXPECT_EQ(held.held(), 1u);
        held.release(0);
        session->wake();
        auto created = client->collect();
        EXPECT_EQ(created.size(), 1u);
        if (created.size() != 1 || !std::holds_alternative<NativeStreamCreated>(created[0].message))
            return 0;
        EXPECT_EQ(created[0].header.request_id, 2u);
        return std::get<NativeStreamCreated>(created[0].message).stream_id;
    }

    HeldHost held;
    int wakes = 0;
};

TEST_F(NativeOutOfOrderTest, LaterRequestsAreAnsweredWhileAnAppendIsInFlight) {
    const u64 stream = open_with_stream();
    const int wakes_before = wakes;
    // The append is admitted (held: not answered); the ping and the list after it are answered.
    EXPECT_TRUE(client->send(3, NativeAppend{stream, 0, IdempotencyId{}, {Bytes{'a'}}}).empty());
    EXPECT_EQ(session->in_flight(), 1u);
    EXPECT_EQ(client->one<NativePong>(4, NativePing{}), NativePong{});
    EXPECT_EQ(client->one<NativeStreamListReply>(5, NativeStreamList{}).streams.size(), 1u);
    EXPECT_EQ(wakes, wakes_before);
    // Its completion wakes the loop, and wake() answers it.
    held.release(0);
    EXPECT_EQ(wakes, wakes_before + 1);
    EXPECT_TRUE(client->collect().empty());  // nothing before the loop wakes the session
    session->wake();
    auto received = client->collect();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].header.request_id, 3u);
    EXPECT_EQ(std::get<NativeAppended>(received[0].message).first_offset, 0u);
    EXPECT_EQ(session->in_flight(), 0u);
}

TEST_F(NativeOutOfOrderTest, AnswersGoOutInTheOrderTheWritesFinish) {
    const u64 stream = open_with_stream();
    Bytes pipelined;
    for (u64 i = 0; i < 5; ++i) {
        const Bytes frame = Client::frame_of(
            10 + i, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{static_cast<u8>(i)}}});
        pipelined.insert(pipelined.end(), frame.begin(), frame.end());
    }
    EXPECT_TRUE(client->send_raw(pipelined).empty());
    ASSERT_EQ(held.held(), 5u);
    // Released last first: each answer goes to its own request, with its own offset.
    for (u64 i = 5; i-- > 0;) {
        held.release(i);
        session->wake();
        auto received = client->collect();
        ASSERT_EQ(received.size(), 1u);
        EXPECT_EQ(received[0].header.request_id, 10 + i);
        ASSERT_TRUE(std::holds_alternative<NativeAppended>(received[0].message));
        EXPECT_EQ(std::get<NativeAppended>(received[0].message).first_offset, i);
    }
}

TEST_F(NativeOutOfOrderTest, PipelinedAppendsWithExpectedOffsetsAllSucceedInOrder) {
    const u64 stream = open_with_stream();
    constexpr u64 kAppends = 100;
    Bytes pipelined;
    for (u64 i = 0; i < kAppends; ++i) {
        const Bytes frame = Client::frame_of(
            100 + i, NativeAppend{stream, i * 2, IdempotencyId{}, {Bytes{1}, Bytes{2}}});
        pipelined.insert(pipelined.end(), frame.begin(), frame.end());
    }
    EXPECT_TRUE(client->send_raw(pipelined).empty());  // all in flight at once
    EXPECT_EQ(held.held(), kAppends);
    held.release_all();
    session->wake();
    auto received = client->collect();
    ASSERT_EQ(received.size(), kAppends);
    for (u64 i = 0; i < kAppends; ++i) {
        EXPECT_EQ(received[i].header.request_id, 100 + i);
        ASSERT_TRUE(std::holds_alternative<NativeAppended>(received[i].message))
            << "append " << i << ": " << std::get<NativeError>(received[i].message).message;
        EXPECT_EQ(std::get<NativeAppended>(received[i].message).first_offset, i * 2);
    }
    EXPECT_EQ(
        client->one<NativeStreamDescribeReply>(999, NativeStreamDescribe{"s"}).stream.next_offset,
        kAppends * 2);
}

TEST_F(NativeOutOfOrderTest, ClosingWithAppendsInFlightDropsTheirAnswers) {
    const u64 stream = open_with_stream();
    for (u64 i = 0; i < 3; ++i) {
        client->send(10 + i, NativeAppend{stream, {}, IdempotencyId{}, {Bytes{'x'}}});
    }
    ASSERT_EQ(held.held(), 3u);
    const int wakes_before = wakes;
    client.reset();
    session.reset();  // the connection is gone; its appends are not
    held.release_all();
    EXPECT_EQ(wakes, wakes_before);  // the waker is not called for a session that is gone
    const auto info = kernel::reads::stream_info(host.node().engine().snapshot(),
                                                 host.node().default_tenant(), StreamId(stream));
    ASSERT_TRUE(info.has_value() && info->has_value());
    EXPECT_EQ((*info)->next_offset.value(), 3u);  // they committed all the same
}

TEST_F(NativeOutOfOrderTest, TheInFlightLimitHoldsLaterRequestsBack) {
    const u64 stream = open_with_stream();
    const u64 before = held.submitted();  // the stream's creation
    constexpr u64 kAppends = NativeSession::kMaxInFlight + 10;
    Bytes pipelined;
    for (u64 i = 0; i < kAppends; ++i) {
        const Bytes frame =
            Client::frame_of(1000 + i, NativeAppend{stream, i, IdempotencyId{}, {Bytes{'e'}}});
        pipelined.insert(pipelined.end(), frame.begin(), frame.end());
    }
    const Bytes ping = Client::frame_of(5, NativePing{});
    pipelined.insert(pipelined.end(), ping.begin(), ping.end());
    // The limit's worth is submitted; the rest, and the ping behind them, wait.
    EXPECT_TRUE(client->send_raw(pipelined).empty());
    EXPECT_EQ(held.submitted() - before, NativeSession::kMaxInFlight);
    EXPECT_EQ(session->in_flight(), NativeSession::kMaxInFlight);
    EXPECT_FALSE(session->wants_input());
    // Each answer makes room for one more.
    held.release(0);
    session->wake();
    auto received = client->collect();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].header.request_id, 1000u);
    EXPECT_EQ(held.submitted() - before, NativeSession::kMaxInFlight + 1);
    EXPECT_FALSE(session->wants_input());
    // Releasing everything as it comes answers every append, in order; the ping is answered
    // once every append before it was taken (submitted).
    std::vector<u64> ids;
    u64 submitted_at_pong = 0;
    while (held.held() > 0) {
        held.release_all();
        session->wake();
        for (const Received& frame : client->collect()) {
            EXPECT_FALSE(std::holds_alternative<NativeError>(frame.message));
            if (frame.header.request_id == 5) {
                submitted_at_pong = held.submitted() - before;
            } else {
                ids.push_back(frame.header.request_id);
            }
        }
    }
    EXPECT_TRUE(session->wants_input());
    EXPECT_EQ(held.submitted() - before, kAppends);
    EXPECT_EQ(submitted_at_pong, kAppends);
    ASSERT_EQ(ids.size(), kAppends - 1);
    for (usize i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], 1001 + i);
}

// --- choosing the protocol by the first bytes ------------------------------------------------

class FirstBytesTest : public NativeSessionTest {
protected:
    std::unique_ptr<FirstBytesSession> dispatcher(bool tls_available) {
        return std::make_unique<FirstBytesSession>(
            [this, tls_available](bool) -> std::unique_ptr<ProtocolSession> {
                ++pgwire_sessions;
                return std::make_unique<PgConnectionSession>(host, tls_available);
            },
            [this](bool tls_active) -> std::unique_ptr<ProtocolSession> {
                native_tls.push_back(tls_active);
                return std::make_unique<NativeSession>(
                    host, NativeSessionOptions{.tls_active = tls_active});
            },
            tls_available);
    }

    // A PgConnection as a ProtocolSession, for the dispatcher.
    class PgConnectionSession final : public ProtocolSession {
    public:
        PgConnectionSession(PgConnectionHost& host, bool tls_available)
            : connection_(host, PgConnectionOptions{.tls_available = tls_available}) {}
        void receive(ByteSpan bytes) override { connection_.receive(bytes); }
        Bytes take_output() override { return connection_.take_output(); }
        bool wants_tls() const override { return connection_.wants_tls(); }
        void tls_started() override { connection_.tls_started(); }
        bool closed() const override { return connection_.closed(); }
        bool in_transaction() const override { return connection_.in_transaction(); }
        Bytes goodbye(const char*, const char*) override { return {}; }
        bool logged_in() const override { return connection_.login() != nullptr; }
        bool tls_active() const { return connection_.tls_active(); }

    private:
        PgConnection connection_;
    };

    int pgwire_sessions = 0;
    std::vector<bool> native_tls;
};

TEST_F(FirstBytesTest, NativeAndPgwireShareThePort) {
    auto native = dispatcher(false);
    Client native_client(*native);
    native_client.preface();
    EXPECT_EQ(native_tls, std::vector<bool>{false});
    host.make_authenticator = nullptr;  // trust, for pgwire below

    auto pg = dispatcher(false);
    pg->receive(testing::PgScript().startup().bytes());
    EXPECT_EQ(pgwire_sessions, 1);
    EXPECT_EQ(testing::describe_output(pg->take_output()).back(), "Z I");
}

TEST_F(FirstBytesTest, BothProtocolsNegotiateTlsTheSameWay) {
    auto native = dispatcher(true);
    native->receive(testing::PgScript().ssl_request().bytes());
    EXPECT_EQ(native->take_output(), Bytes{'S'});
    EXPECT_TRUE(native->wants_tls());
    native->tls_started();
    Client native_client(*native);
    native_client.preface();
    EXPECT_EQ(native_tls, std::vector<bool>{true});

    bool pgwire_saw_tls = false;
    host.make_authenticator = [&](const PgLogin&, bool tls_active) {
        pgwire_saw_tls = tls_active;
        return std::make_unique<PgTrustAuthenticator>();
    };
    auto pg = dispatcher(true);
    pg->receive(testing::PgScript().ssl_request().bytes());
    EXPECT_EQ(pg->take_output(), Bytes{'S'});
    pg->tls_started();
    pg->receive(testing::PgScript().startup().bytes());
    EXPECT_EQ(testing::describe_output(pg->take_output()).back(), "Z I");
    EXPECT_TRUE(pgwire_saw_tls);  // the pgwire session knows its bytes are encrypted

    // Without TLS the answer is 'N' and either protocol goes on in clear.
    auto clear = dispatcher(false);
    clear->receive(testing::PgScript().ssl_request().bytes());
    EXPECT_EQ(clear->take_output(), Bytes{'N'});
    EXPECT_FALSE(clear->wants_tls());
    Client later(*clear);
    later.preface();
    EXPECT_EQ(native_tls, (std::vector<bool>{true, false}));
}

TEST_F(FirstBytesTest, TheNativeSessionGetsTheWakerAndHoldsInputBack) {
    HeldHost held(host.node());
    host.transactions_override = &held;
    auto native = dispatcher(false);
    int wakes = 0;
    native->set_waker([&] { ++wakes; });  // before the protocol is known, as the server does
    EXPECT_TRUE(native->wants_input());
    Client native_client(*native);
    native_client.preface();
    native_client.log_in();
    EXPECT_TRUE(native_client.send(2, NativeStreamCreate{"s", DataClass::internal}).empty());
    held.release(0);
    EXPECT_EQ(wakes, 1);
    native->wake();
    auto received = native_client.collect();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<NativeStreamCreated>(received[0].message));
    // At the in-flight limit the dispatcher says so too.
    const u64 stream = std::get<NativeStreamCreated>(received[0].message).stream_id;
    Bytes pipelined;
    for (u64 i = 0; i < NativeSession::kMaxInFlight; ++i) {
        const Bytes frame = Client::frame_of(10 + i, NativeAppend{stream, {}, {}, {Bytes{1}}});
        pipelined.insert(pipelined.end(), frame.begin(), frame.end());
    }
    native_client.send_raw(pipelined);
    EXPECT_FALSE(native->wants_input());
    held.release_all();
    native->wake();
    EXPECT_EQ(native_client.collect().size(), NativeSession::kMaxInFlight);
    EXPECT_TRUE(native->wants_input());
}

TEST_F(FirstBytesTest, BytesStuffedAfterAnSslRequestAreRefused) {
    auto pg = dispatcher(true);
    pg->receive(testing::PgScript().ssl_request().startup().bytes());
    const auto lines = testing::describe_output(pg->take_output(), true);
    EXPECT_EQ(lines.back(), "E FATAL 08P01 received unencrypted data after SSL request");
    EXPECT_TRUE(pg->closed());
}

}  // namespace
}  // namespace kb::server
