// Fuzz target for the native protocol's framer and preface decoder (native_frame.h), fed
// bytes off the network. Whatever the bytes: never a crash or an assertion, never a frame the
// checksum does not vouch for, and every frame returned encodes back to the bytes it came from.
//
// Input: one byte choosing the chunk size the rest is fed in (0: all at once), then the bytes.
// The first kNativePrefaceBytes also go through the preface decoder.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/assert.h"
#include "server/native_frame.h"

namespace {

using namespace kb;
using namespace kb::server;

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
        }
    }
    return 0;
}
