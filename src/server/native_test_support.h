// Test-only helpers for driving a native-protocol session byte for byte: the frame of a
// message, and everything a session has sent decoded back into frames and messages.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "server/native_frame.h"
#include "server/native_messages.h"
#include "server/protocol_session.h"

namespace kb::server::testing {

struct NativeReceived {
    NativeFrameHeader header;
    NativeMessage message;
};

// The frame of `message` under `request_id`.
inline Bytes native_frame_of(u64 request_id, const NativeMessage& message) {
    Bytes body;
    encode_native_message(body, message);
    Bytes frame;
    encode_native_frame(frame, {request_id, static_cast<u16>(native_type_of(message)), 0}, body);
    return frame;
}

// What `session` has sent since the last call, through `framer`, decoded (a frame or message
// that does not decode fails the test and ends the list).
inline std::vector<NativeReceived> collect_native(ProtocolSession& session, NativeFramer& framer) {
    framer.feed(session.take_output());
    std::vector<NativeReceived> received;
    for (;;) {
        auto frame = framer.next();
        EXPECT_TRUE(frame.has_value()) << frame.status().message();
        if (!frame || !frame->has_value()) break;
        auto message = decode_native_message((*frame)->header.type, (*frame)->body);
        EXPECT_TRUE(message.has_value()) << message.status().message();
        if (!message) break;
        received.push_back(NativeReceived{(*frame)->header, std::move(*message)});
    }
    return received;
}

}  // namespace kb::server::testing
