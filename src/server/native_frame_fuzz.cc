// Fuzz target for the native protocol's framer, preface decoder (native_frame.h) and message
// decoder (native_messages.h), fed bytes off the network. Whatever the bytes: never a crash or
// an assertion, never a frame the checksum does not vouch for, every frame returned encodes back
// to the bytes it came from, and every message decoded encodes to a body that decodes to the
// same message.
//
// Input: one byte choosing the chunk size the rest is fed in (0: all at once), then the bytes.
// The first kNativePrefaceBytes also go through the preface decoder.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/assert.h"
#include "server/native_frame.h"
#include "server/native_messages.h"

namespace {

using namespace kb;
using namespace kb::server;

void check_message(const NativeFrame& frame) {
    auto message = decode_native_message(frame.header.type, frame.body);
    if (!message) return;
    Bytes body;
    encode_native_message(body, *message);
    auto again = decode_native_message(frame.header.type, body);
    KB_ASSERT(again.has_value());
    KB_ASSERT(*again == *message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const usize chunk = data[0] == 0 ? size : data[0];
    const ByteSpan input(data + 1, size - 1);
    if (input.size() >= kNativePrefaceBytes) {
        auto version = decode_native_preface(input.first(kNativePrefaceBytes));
        if (version) {
            Bytes again;
            encode_native_preface(again, *version);
            KB_ASSERT(std::memcmp(again.data(), input.data(), kNativePrefaceBytes) == 0);
        }
    }
    // A small maximum makes the length check reachable with small inputs too.
    NativeFramer framer(data[0] % 2 == 0 ? kNativeFrameBodyMax : 4096);
    usize consumed = 0;  // bytes of input returned as frames
    for (usize at = 0; at < input.size(); at += chunk) {
        framer.feed(input.subspan(at, std::min(chunk, input.size() - at)));
        for (;;) {
            auto next = framer.next();
            if (!next || !next->has_value()) break;
            const NativeFrame& frame = **next;
            Bytes again;
            encode_native_frame(again, frame.header, frame.body);
            KB_ASSERT(consumed + again.size() <= input.size());
            KB_ASSERT(std::memcmp(again.data(), input.data() + consumed, again.size()) == 0);
            consumed += again.size();
            check_message(frame);
        }
    }
    return 0;
}
