// Tests of the native protocol's prefaces and framer (native_frame.h).
#include "server/native_frame.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::server {
namespace {

Bytes frame_bytes(u64 request_id, u16 type, u16 flags, const Bytes& body) {
    Bytes out;
    encode_native_frame(out, NativeFrameHeader{request_id, type, flags}, body);
    return out;
}

struct Decoded {
    u64 request_id;
    u16 type;
    u16 flags;
    Bytes body;
    friend bool operator==(const Decoded&, const Decoded&) = default;
};

// Feeds `bytes` in chunks of the given sizes (cycled) and collects every frame.
Result<std::vector<Decoded>> decode_all(NativeFramer& framer, const Bytes& bytes,
                                        const std::vector<usize>& chunks) {
    std::vector<Decoded> frames;
    usize at = 0;
    usize chunk = 0;
    while (at < bytes.size()) {
        const usize size = std::min(bytes.size() - at, std::max<usize>(1, chunks[chunk]));
        chunk = (chunk + 1) % chunks.size();
        framer.feed(ByteSpan(bytes).subspan(at, size));
        at += size;
        for (;;) {
            std::optional<NativeFrame> frame = KB_TRY(framer.next());
            if (!frame) break;
            frames.push_back(Decoded{frame->header.request_id, frame->header.type,
                                     frame->header.flags,
                                     Bytes(frame->body.begin(), frame->body.end())});
        }
    }
    return frames;
}

TEST(NativePreface, RoundTripsAndStartsWithTheMagic) {
    Bytes out;
    encode_native_preface(out, NativeVersion{1, 7});
    ASSERT_EQ(out.size(), kNativePrefaceBytes);
    EXPECT_EQ(to_hex(out), "4b4d424e01000700");
    EXPECT_EQ(out[0], kNativeMagicFirstByte);
    auto version = decode_native_preface(out);
    ASSERT_TRUE(version.has_value());
    EXPECT_EQ(*version, (NativeVersion{1, 7}));
}

TEST(NativePreface, APostgresStartupMessageIsNotAPreface) {
    // SSLRequest: length 8, code 80877103.
    Bytes ssl_request;
    ASSERT_TRUE(from_hex("0000000804d2162f", &ssl_request));
    auto version = decode_native_preface(ssl_request);
    ASSERT_FALSE(version.has_value());
    EXPECT_NE(version.status().message().find("magic 00000008"), std::string::npos);
}

TEST(NativePreface, NegotiationPicksTheOlderMinorOfTheSameMajor) {
    EXPECT_EQ(negotiate_native_version({1, 3}, {1, 0}), (NativeVersion{1, 0}));
    EXPECT_EQ(negotiate_native_version({1, 0}, {1, 3}), (NativeVersion{1, 0}));
    EXPECT_EQ(negotiate_native_version({1, 2}, {1, 2}), (NativeVersion{1, 2}));
    // Another major version: the server answers with its own, and the client gives up.
    EXPECT_EQ(negotiate_native_version({2, 0}, {1, 4}), (NativeVersion{1, 4}));
}

TEST(NativeFrame, LayoutIsAsDocumented) {
    const Bytes body = {0xAA, 0xBB, 0xCC};
    const Bytes frame = frame_bytes(0x0102030405060708, 111, kNativeFlagMore, body);
    ASSERT_EQ(frame.size(), kNativeFrameHeaderBytes + body.size());
    EXPECT_EQ(load_le_u32(frame.data() + 4), 3u);
    EXPECT_EQ(load_le_u64(frame.data() + 8), 0x0102030405060708u);
    EXPECT_EQ(load_le_u16(frame.data() + 16), 111);
    EXPECT_EQ(load_le_u16(frame.data() + 18), kNativeFlagMore);
    EXPECT_EQ(load_le_u32(frame.data() + 20), 0u);
    EXPECT_EQ(Bytes(frame.begin() + 24, frame.end()), body);
    // The checksum covers everything after itself.
    EXPECT_EQ(load_le_u32(frame.data()), crypto::crc32c(ByteSpan(frame).subspan(4)));
}

TEST(NativeFramer, CutsFramesFedByteByByteAndAllAtOnce) {
    Bytes stream;
    encode_native_frame(stream, {1, 101, 0}, {});
    encode_native_frame(stream, {2, 111, kNativeFlagMore}, Bytes{1, 2, 3});
    encode_native_frame(stream, {2, 111, 0}, Bytes(1000, 7));
    const std::vector<Decoded> expected = {
        {1, 101, 0, {}}, {2, 111, kNativeFlagMore, {1, 2, 3}}, {2, 111, 0, Bytes(1000, 7)}};
    for (usize chunk : {usize{1}, usize{5}, usize{24}, stream.size()}) {
        NativeFramer framer;
        auto frames = decode_all(framer, stream, {chunk});
        ASSERT_TRUE(frames.has_value()) << frames.status().message();
        EXPECT_EQ(*frames, expected) << "chunk " << chunk;
        EXPECT_EQ(framer.buffered_bytes(), 0u);
    }
}

TEST(NativeFramer, RefusesAnOversizedLengthBeforeTheBodyArrives) {
    NativeFramer framer(1000);
    Bytes frame = frame_bytes(9, 113, 0, Bytes(1001, 0));
    framer.feed(ByteSpan(frame).first(kNativeFrameHeaderBytes));  // only the header
    auto next = framer.next();
    ASSERT_FALSE(next.has_value());
    EXPECT_NE(next.status().message().find("1001 bytes exceeds the maximum of 1000"),
              std::string::npos);
    // Sticky: more bytes do not revive the stream.
    framer.feed(ByteSpan(frame).subspan(kNativeFrameHeaderBytes));
    EXPECT_FALSE(framer.next().has_value());
}

TEST(NativeFramer, MaximumCanBeLowered) {
    NativeFramer framer;
    framer.set_max_body_bytes(10);
    framer.feed(frame_bytes(1, 101, 0, Bytes(11, 0)));
    EXPECT_FALSE(framer.next().has_value());
}

TEST(NativeFramer, RefusesUnknownFlagsAndReservedBytes) {
    {
        Bytes frame = frame_bytes(1, 101, 0, {});
        store_le_u16(frame.data() + 18, 0x0002);
        NativeFramer framer;
        framer.feed(frame);
        auto next = framer.next();
        ASSERT_FALSE(next.has_value());
        EXPECT_NE(next.status().message().find("unknown bits"), std::string::npos);
    }
    {
        Bytes frame = frame_bytes(1, 101, 0, {});
        frame[21] = 1;
        NativeFramer framer;
        framer.feed(frame);
        auto next = framer.next();
        ASSERT_FALSE(next.has_value());
        EXPECT_NE(next.status().message().find("reserved"), std::string::npos);
    }
}

TEST(NativeFramer, RefusesAChecksumMismatch) {
    Bytes frame = frame_bytes(5, 121, 0, Bytes{'s', 'e', 'l', 'e', 'c', 't'});
    frame.back() ^= 0x01;
    NativeFramer framer;
    framer.feed(frame);
    auto next = framer.next();
    ASSERT_FALSE(next.has_value());
    EXPECT_NE(next.status().message().find("checksum mismatch (request id 5)"), std::string::npos);
}

RC_GTEST_PROP(NativeFramer, RoundTripsAnyFramesInAnyChunks, ()) {
    const auto count = *rc::gen::inRange<usize>(0, 8);
    std::vector<Decoded> expected;
    Bytes stream;
    for (usize i = 0; i < count; ++i) {
        Decoded frame{
            *rc::gen::arbitrary<u64>(), *rc::gen::arbitrary<u16>(),
            *rc::gen::element<u16>(0, kNativeFlagMore),
            *rc::gen::container<Bytes>(*rc::gen::inRange<usize>(0, 300), rc::gen::arbitrary<u8>())};
        encode_native_frame(stream, {frame.request_id, frame.type, frame.flags}, frame.body);
        expected.push_back(std::move(frame));
    }
    const auto chunks =
        *rc::gen::nonEmpty(rc::gen::container<std::vector<usize>>(rc::gen::inRange<usize>(1, 64)));
    NativeFramer framer;
    auto frames = decode_all(framer, stream, chunks);
    RC_ASSERT(frames.has_value());
    RC_ASSERT(*frames == expected);
}

// Any single flipped bit is caught: the framer reports an error, or waits for bytes that never
// come (a flipped length) — it never returns a frame that differs from what was sent.
RC_GTEST_PROP(NativeFramer, NoFlippedBitGoesUnnoticed, ()) {
    const Bytes body =
        *rc::gen::container<Bytes>(*rc::gen::inRange<usize>(0, 100), rc::gen::arbitrary<u8>());
    Bytes frame = frame_bytes(*rc::gen::arbitrary<u64>(), *rc::gen::arbitrary<u16>(), 0, body);
    const usize bit = *rc::gen::inRange<usize>(0, frame.size() * 8);
    frame[bit / 8] = static_cast<u8>(frame[bit / 8] ^ (1u << (bit % 8)));
    NativeFramer framer;
    framer.feed(frame);
    auto next = framer.next();
    const bool caught =
        !next.has_value() || !next->has_value();  // (RC_ASSERT does not short-circuit)
    RC_ASSERT(caught);
}

}  // namespace
}  // namespace kb::server
