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
    for (const Header& header : {dvc, request_prepare}) {
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
    Bytes reserved = good;
    reserved[125] = 1;
    reseal(reserved);
    EXPECT_NE(rejection(reserved).find("reserved"), std::string::npos);
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

}  // namespace
}  // namespace kb::vsr
