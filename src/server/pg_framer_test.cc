// The framer: whole messages out of arbitrary chunks, and its length checks.
#include "server/pg_framer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "server/pg_frontend.h"

namespace kb::server {
namespace {

struct Cut {
    char type;
    std::string body;
};

// Every message `framer` has complete, in order.
std::vector<Cut> drain(PgFramer& framer, PgFraming framing) {
    std::vector<Cut> out;
    while (true) {
        auto frame = framer.next(framing);
        EXPECT_TRUE(frame.has_value());
        if (!frame || !frame->has_value()) return out;
        out.push_back({(*frame)->type, std::string(as_chars((*frame)->body))});
        framing = PgFraming::typed;  // one startup packet at most, then typed messages
    }
}

Bytes sample_stream() {
    Bytes bytes;
    PgStartupMessage startup;
    startup.parameters = {{"user", "u"}};
    encode_startup_message(bytes, startup);
    encode_frontend_message(bytes, PgQuery{"SELECT 1"});
    encode_frontend_message(bytes, PgSync{});
    encode_frontend_message(bytes, PgParse{"s", std::string(300, 'x'), {}});
    encode_frontend_message(bytes, PgTerminate{});
    return bytes;
}

TEST(PgFramer, WholeStreamAtOnce) {
    PgFramer framer(1 << 20);
    framer.feed(sample_stream());
    const auto cuts = drain(framer, PgFraming::startup);
    ASSERT_EQ(cuts.size(), 5u);
    EXPECT_EQ(cuts[0].type, 0);
    EXPECT_EQ(cuts[1].type, 'Q');
    EXPECT_EQ(cuts[1].body, std::string("SELECT 1\0", 9));
    EXPECT_EQ(cuts[2].type, 'S');
    EXPECT_EQ(cuts[2].body, "");
    EXPECT_EQ(cuts[3].type, 'P');
    EXPECT_EQ(cuts[4].type, 'X');
    EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(PgFramer, OneByteAtATime) {
    const Bytes stream = sample_stream();
    PgFramer framer(1 << 20);
    std::vector<Cut> cuts;
    PgFraming framing = PgFraming::startup;
    for (u8 byte : stream) {
        framer.feed(ByteSpan(&byte, 1));
        for (Cut& cut : drain(framer, framing)) cuts.push_back(std::move(cut));
        if (!cuts.empty()) framing = PgFraming::typed;
    }
    ASSERT_EQ(cuts.size(), 5u);
    EXPECT_EQ(cuts[3].body.size(), 2 + 301 + 2u);
}

TEST(PgFramer, LengthChecksComeBeforeTheBody) {
    using namespace std::string_literals;
    {
        PgFramer framer(100);
        // Announces a 1 GiB body: refused from the header alone.
        framer.feed(as_bytes("Q\x40\x00\x00\x00"s));
        auto frame = framer.next(PgFraming::typed);
        ASSERT_FALSE(frame.has_value());
        EXPECT_EQ(frame.error().sqlstate, "08P01");
        EXPECT_EQ(frame.error().message,
                  "invalid message length 1073741824 for message type 81 (at most 100 bytes of "
                  "body allowed)");
        // Sticky: the stream has no next boundary.
        framer.feed(as_bytes("S\0\0\0\x04"s));
        EXPECT_FALSE(framer.next(PgFraming::typed).has_value());
    }
    {
        PgFramer framer(100);
        framer.feed(as_bytes("S\0\0\0\x03"s));
        auto frame = framer.next(PgFraming::typed);
        ASSERT_FALSE(frame.has_value());
        EXPECT_EQ(frame.error().message, "invalid message length 3 for message type 83");
    }
    {
        PgFramer framer(100);
        framer.feed(as_bytes("Q\0\0\0\x68"s));  // a body of exactly 100 bytes is fine
        auto frame = framer.next(PgFraming::typed);
        ASSERT_TRUE(frame.has_value());
        EXPECT_FALSE(frame->has_value());
        framer.set_max_body_bytes(99);
        EXPECT_FALSE(framer.next(PgFraming::typed).has_value());
    }
    for (u32 length : {0u, 4u, 7u, 10001u, 0xffffffffu}) {
        PgFramer framer(100);
        Bytes header;
        put_be_u32(header, length);
        framer.feed(header);
        auto frame = framer.next(PgFraming::startup);
        ASSERT_FALSE(frame.has_value()) << length;
        EXPECT_EQ(frame.error().message,
                  "invalid length of startup packet: " + std::to_string(length));
    }
    {
        PgFramer framer(100);
        Bytes header;
        put_be_u32(header, 10000);  // the largest startup packet: waits for its body
        framer.feed(header);
        auto frame = framer.next(PgFraming::startup);
        ASSERT_TRUE(frame.has_value());
        EXPECT_FALSE(frame->has_value());
        EXPECT_EQ(framer.buffered_bytes(), 4u);
    }
}

// However a stream of messages is chunked, the same messages come out.
RC_GTEST_PROP(PgFramerProperty, ChunkingDoesNotMatter,
              (const std::vector<std::string>& queries, const std::vector<u8>& cut_sizes)) {
    Bytes stream;
    for (const std::string& query : queries) {
        encode_frontend_message(stream, PgQuery{query.substr(0, query.find('\0'))});
    }
    PgFramer framer(1 << 20);
    std::vector<std::string> seen;
    usize at = 0;
    usize cut = 0;
    while (at < stream.size()) {
        const usize size =
            cut_sizes.empty() ? stream.size() : 1 + cut_sizes[cut++ % cut_sizes.size()];
        const usize take = std::min(size, stream.size() - at);
        framer.feed(ByteSpan(stream).subspan(at, take));
        at += take;
        while (true) {
            auto frame = framer.next(PgFraming::typed);
            RC_ASSERT(frame.has_value());
            if (!frame->has_value()) break;
            RC_ASSERT((*frame)->type == 'Q');
            seen.emplace_back(as_chars((*frame)->body));
        }
    }
    RC_ASSERT(seen.size() == queries.size());
    for (usize i = 0; i < queries.size(); ++i) {
        RC_ASSERT(seen[i] == queries[i].substr(0, queries[i].find('\0')) + std::string(1, '\0'));
    }
}

}  // namespace
}  // namespace kb::server
