// Message codec tests: every command round-trips, and each way a message can be malformed or
// hostile is rejected with a Status naming it (decode_message never asserts on input).
#include "vsr/message.h"

#include <gtest/gtest.h>

#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::vsr {
namespace {

constexpr MessageLimits kLimits{.cluster = 77, .replica_count = 3, .body_size_max = 1 << 16};

Header prepare_header(usize body_size) {
    Header header;
    header.cluster = 77;
    header.command = Command::prepare;
    header.replica = 1;
    header.view = View(4);
    header.op = Position(9);
    header.commit = Position(7);
    header.timestamp = Timestamp(123);
    header.client = ClientId(5);
    header.request = RequestNumber(3);
    header.size = static_cast<u32>(kHeaderSize + body_size);
    return header;
}

// Re-seals the header checksum after a test edits header bytes on purpose.
void reseal(Bytes& bytes) {
    store_le_u32(bytes.data(), crypto::crc32c(ByteSpan(bytes.data() + 4, kHeaderSize - 4)));
}

std::string rejection(const Bytes& bytes, const MessageLimits& limits = kLimits) {
    auto decoded = decode_message(bytes, limits);
    if (decoded) return "accepted";
    EXPECT_EQ(decoded.error().code(), StatusCode::invalid_argument);
    return decoded.error().message();
}

TEST(Message, PrepareRoundTrips) {
    const Bytes body(300, 0x5a);
    const Header header = prepare_header(body.size());
    const Bytes bytes = encode_message(header, body);
    auto decoded = decode_message(bytes, kLimits);
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(decoded->header, header);
    EXPECT_EQ(Bytes(decoded->body.begin(), decoded->body.end()), body);
}

TEST(Message, EveryCommandRoundTripsWithItsFields) {
    Header dvc;
    dvc.cluster = 77;
    dvc.command = Command::do_view_change;
    dvc.replica = 2;
    dvc.view = View(6);
    dvc.log_view = View(5);
    dvc.op = Position(10);
    dvc.commit = Position(8);
    dvc.hash = ComplianceHash::from_bytes(Bytes(32, 7));
    Header request_prepare;
    request_prepare.cluster = 77;
    request_prepare.command = Command::request_prepare;
    request_prepare.replica = 0;
    request_prepare.op = Position(3);
    request_prepare.op_last = Position(66);
    Header request;
    request.cluster = 77;
    request.command = Command::request;
    request.replica = kClientReplica;
    request.client = ClientId(3);
    request.request = RequestNumber(4);
    request.session = SessionNumber(12);
    Header register_reply;
    register_reply.cluster = 77;
    register_reply.command = Command::reply;
    register_reply.replica = 1;
    register_reply.op = Position(12);
    register_reply.commit = Position(12);
    register_reply.client = ClientId(3);
    register_reply.session = SessionNumber(12);
    Header eviction;
    eviction.cluster = 77;
    eviction.command = Command::eviction;
    eviction.replica = 0;
    eviction.client = ClientId(3);
    eviction.request = RequestNumber(4);
    eviction.session = SessionNumber(12);
    for (const Header& header : {dvc, request_prepare, request, register_reply, eviction}) {
        auto decoded = decode_message(encode_message(header, {}), kLimits);
        ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
        EXPECT_EQ(decoded->header, header);
    }
}

TEST(Message, DamageAndLiesAreRejected) {
    const Bytes body(40, 1);
    const Bytes good = encode_message(prepare_header(body.size()), body);
    ASSERT_EQ(rejection(good), "accepted");

    EXPECT_NE(rejection(Bytes(good.begin(), good.begin() + 100)).find("shorter than a header"),
              std::string::npos);
    Bytes flipped = good;
    flipped[50] ^= 1;
    EXPECT_NE(rejection(flipped).find("header checksum"), std::string::npos);
    Bytes body_flipped = good;
    body_flipped.back() ^= 1;
    EXPECT_NE(rejection(body_flipped).find("body checksum"), std::string::npos);
    Bytes truncated(good.begin(), good.end() - 1);
    EXPECT_NE(rejection(truncated).find("size field"), std::string::npos);

    MessageLimits other_cluster = kLimits;
    other_cluster.cluster = 78;
    EXPECT_NE(rejection(good, other_cluster).find("cluster"), std::string::npos);
    MessageLimits small = kLimits;
    small.body_size_max = 10;
    EXPECT_NE(rejection(good, small).find("over the limit"), std::string::npos);
    MessageLimits one = kLimits;
    one.replica_count = 1;
    EXPECT_NE(rejection(good, one).find("out of range"), std::string::npos);

    Bytes version = good;
    version[20] = 9;
    reseal(version);
    EXPECT_NE(rejection(version).find("protocol version"), std::string::npos);
    Bytes command = good;
    command[22] = 99;
    reseal(command);
    EXPECT_NE(rejection(command).find("unknown command"), std::string::npos);
    // The session field (bytes [120, 128)) is not a prepare's: it must be zero.
    Bytes session = good;
    session[125] = 1;
    reseal(session);
    EXPECT_NE(rejection(session).find("session must be zero"), std::string::npos);
}

TEST(Message, CommandRulesAreChecked) {
    auto with = [](Header header) { return encode_message(header, Bytes(header.body_size(), 3)); };
    Header commit_not_below = prepare_header(10);
    commit_not_below.commit = commit_not_below.op;
    EXPECT_NE(rejection(with(commit_not_below)).find("commit not below op"), std::string::npos);

    Header unused = prepare_header(10);
    unused.log_view = View(1);  // a prepare has no log_view
    EXPECT_NE(rejection(with(unused)).find("log_view must be zero"), std::string::npos);

    Header from_client = prepare_header(10);
    from_client.replica = kClientReplica;
    EXPECT_NE(rejection(with(from_client)).find("not a replica"), std::string::npos);

    Header long_range;
    long_range.cluster = 77;
    long_range.command = Command::request_prepare;
    long_range.op = Position(1);
    long_range.op_last = Position(1 + kRequestPrepareOpsMax);
    EXPECT_NE(rejection(with(long_range)).find("range longer"), std::string::npos);

    Header request;
    request.cluster = 77;
    request.command = Command::request;
    request.replica = kClientReplica;
    request.client = ClientId(0);
    request.request = RequestNumber(1);
    EXPECT_NE(rejection(with(request)).find("client id zero"), std::string::npos);

    Header dvc;
    dvc.cluster = 77;
    dvc.command = Command::do_view_change;
    dvc.view = View(2);
    dvc.log_view = View(3);
    EXPECT_NE(rejection(with(dvc)).find("log_view beyond view"), std::string::npos);
}

// Sessions (docs/ARCHITECTURE.md "Client sessions"): a register (request 0) names no session and
// carries nothing; every other request names one; only a register's reply carries a session,
// equal to its op; an eviction names the session and request it refused.
TEST(Message, SessionRulesAreChecked) {
    auto with = [](Header header) { return encode_message(header, Bytes(header.body_size(), 3)); };
    Header request;
    request.cluster = 77;
    request.command = Command::request;
    request.replica = kClientReplica;
    request.client = ClientId(8);
    request.request = RequestNumber(0);
    EXPECT_EQ(rejection(with(request)), "accepted");  // a register
    Header register_with_session = request;
    register_with_session.session = SessionNumber(5);
    EXPECT_NE(rejection(with(register_with_session)).find("register with a session"),
              std::string::npos);
    Header register_with_body = request;
    register_with_body.size = kHeaderSize + 4;
    EXPECT_NE(rejection(with(register_with_body)).find("register with a body"), std::string::npos);
    Header sessionless = request;
    sessionless.request = RequestNumber(1);
    EXPECT_NE(rejection(with(sessionless)).find("request without a session"), std::string::npos);
    Header in_session = sessionless;
    in_session.session = SessionNumber(5);
    EXPECT_EQ(rejection(with(in_session)), "accepted");

    Header reply;
    reply.cluster = 77;
    reply.command = Command::reply;
    reply.replica = 0;
    reply.client = ClientId(8);
    reply.op = Position(5);
    reply.commit = Position(5);
    reply.session = SessionNumber(5);
    EXPECT_EQ(rejection(with(reply)), "accepted");  // to a register
    Header other_session = reply;
    other_session.session = SessionNumber(4);
    EXPECT_NE(rejection(with(other_session)).find("session is not its op"), std::string::npos);
    Header refused_register = reply;
    refused_register.op = Position();
    refused_register.session = SessionNumber();
    EXPECT_NE(rejection(with(refused_register)).find("session is not its op"), std::string::npos);
    Header op_reply = reply;
    op_reply.request = RequestNumber(2);
    EXPECT_NE(rejection(with(op_reply)).find("session must be zero"), std::string::npos);
    op_reply.session = SessionNumber();
    EXPECT_EQ(rejection(with(op_reply)), "accepted");

    Header eviction;
    eviction.cluster = 77;
    eviction.command = Command::eviction;
    eviction.replica = 2;
    eviction.client = ClientId(8);
    eviction.request = RequestNumber(3);
    EXPECT_NE(rejection(with(eviction)).find("eviction without a session"), std::string::npos);
    eviction.session = SessionNumber(5);
    EXPECT_EQ(rejection(with(eviction)), "accepted");
    eviction.request = RequestNumber(0);
    EXPECT_NE(rejection(with(eviction)).find("eviction of a register"), std::string::npos);

    Header prepare = prepare_header(4);
    prepare.session = SessionNumber(1);
    EXPECT_NE(rejection(with(prepare)).find("session must be zero"), std::string::npos);
}

}  // namespace
}  // namespace kb::vsr
