// Fuzz target for the PostgreSQL wire protocol: the framer, every frontend decoder, binary
// parameter decoding, and a PgConnection over a fresh simulated database, fed bytes off the
// network. Whatever the bytes: never a crash, never an assertion, and the connection's output
// is always a well-formed sequence of backend messages.
//
// Input: one flag byte, then client bytes.
//   bit 0  a valid startup (user admin, database default) is sent first, so the bytes reach
//          the query protocols at once;
//   bit 1  TLS is available (an SSLRequest is answered 'S'; the target then "completes" the
//          handshake so the conversation goes on);
//   bit 2  authentication is a SASL exchange (a fake: the final answer "ok" succeeds);
//   bits 3-7  the chunk size the bytes are fed in (0: all at once).
// Each input gets its own database, so a finding replays from its input alone. With
// KB_FUZZ_VERBOSE set, the conversation's replies are printed (for replaying a finding).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "base/assert.h"
#include "server/pg_framer.h"
#include "server/pg_frontend.h"
#include "server/pg_test_support.h"
#include "server/pg_types.h"

namespace {

using namespace kb;
using namespace kb::server;

class FuzzSasl final : public PgAuthenticator {
public:
    PgAuthStep start() override { return PgAuthStep::sasl({"SCRAM-SHA-256"}); }
    PgAuthStep respond(const PgAuthMessage& message) override {
        if (std::holds_alternative<PgSaslInitialResponse>(message)) {
            return PgAuthStep::sasl_continue(testing::text_bytes("r=server"));
        }
        if (const auto* response = std::get_if<PgSaslResponse>(&message)) {
            if (as_chars(response->data) == "ok") {
                return PgAuthStep::sasl_final(testing::text_bytes("v=final"));
            }
        }
        return PgAuthStep::fail("password authentication failed for user \"admin\"");
    }
};

// Every standalone decoder over every frame the bytes hold.
void fuzz_decoders(ByteSpan bytes) {
    PgFramer framer(1 << 20);
    framer.feed(bytes);
    PgFraming framing = PgFraming::startup;
    for (int frames = 0; frames < 64; ++frames) {
        auto frame = framer.next(framing);
        if (!frame || !frame->has_value()) return;
        const PgFrame& message = **frame;
        if (framing == PgFraming::startup) {
            (void)decode_startup_packet(message.body);
            framing = PgFraming::typed;
            continue;
        }
        auto decoded = decode_frontend_message(message.type, message.body);
        if (decoded) {
            Bytes again;
            encode_frontend_message(again, *decoded);
            KB_ASSERT(again.size() == message.body.size() + 5);
        }
        (void)decode_password_message(message.body);
        (void)decode_sasl_initial_response(message.body);
        (void)decode_backend_message(message.type, message.body);
        const sql::SqlType type = static_cast<sql::SqlType>(
            1 + static_cast<u8>(message.type) % static_cast<u8>(kernel::kSqlTypeMax));
        auto value = pg_decode_binary(message.body, sql::Type::of(type));
        if (value) {
            Bytes encoded;
            pg_encode_binary(*value, encoded);
            auto again = pg_decode_binary(encoded, sql::Type::of(type));
            KB_ASSERT(again.has_value() && *again == *value);
        }
    }
}

// Output after the startup phase is whole backend messages, each decodable.
void check_output(ByteSpan output) {
    usize at = 0;
    while (at < output.size()) {
        KB_ASSERT(output.size() - at >= 5);
        const u32 length = load_be_u32(output.data() + at + 1);
        KB_ASSERT(length >= 4 && output.size() - at - 1 >= length);
        auto decoded = decode_backend_message(static_cast<char>(output[at]),
                                              output.subspan(at + 5, length - 4));
        KB_ASSERT_MSG(decoded.has_value(), decoded.error().message.c_str());
        at += 1 + length;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const u8 flags = data[0];
    const ByteSpan bytes(data + 1, size - 1);
    fuzz_decoders(bytes);

    testing::TestPgHost host(11);
    if ((flags & 4) != 0) {
        host.make_authenticator = [](const PgLogin&, bool) { return std::make_unique<FuzzSasl>(); };
    }
    PgConnection connection(
        host, PgConnectionOptions{.max_message_bytes = 1 << 16, .tls_available = (flags & 2) != 0});
    bool checked = false;
    if ((flags & 1) != 0 && (flags & 4) == 0) {
        connection.receive(testing::PgScript().startup().bytes());
        (void)connection.take_output();
        checked = true;  // from here on every output byte is a backend message
    }
    const usize chunk = (flags >> 3) == 0 ? bytes.size() : (flags >> 3);
    static const bool verbose = std::getenv("KB_FUZZ_VERBOSE") != nullptr;
    Bytes conversation;
    for (usize at = 0; at < bytes.size() && !connection.closed(); at += chunk) {
        connection.receive(bytes.subspan(at, std::min(chunk, bytes.size() - at)));
        const Bytes output = connection.take_output();
        if (checked) check_output(output);
        if (verbose) conversation.insert(conversation.end(), output.begin(), output.end());
        if (connection.wants_tls()) connection.tls_started();
    }
    if (verbose) {
        for (const std::string& line : testing::describe_output(conversation, !checked, true)) {
            std::printf("  %s\n", line.c_str());
        }
        std::printf("-- %s\n", connection.closed() ? connection.close_reason().c_str() : "open");
    }
    if (connection.closed()) {
        connection.receive(bytes);
        KB_ASSERT(connection.take_output().empty());
    }
    return 0;
}
