// Fuzz target for the SCRAM message parsers and both exchange state machines: whatever a
// client or server sends must either parse or be refused with a Status; never a crash, an
// assertion or a read out of bounds, and nothing that parses may violate the grammar.
//
// The input is up to three '\n'-separated parts. Every part goes through every parser; the
// first two also play client-first / client-final against a ScramServer and server-first /
// server-final against a ScramClient; the whole input goes through the verifier parser, and a
// verifier that parses must print back to exactly the input (canonical form).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "crypto/random.h"
#include "crypto/scram.h"

namespace {

using namespace kb;
using namespace kb::crypto;

bool is_nonce(std::string_view nonce) {
    if (nonce.empty()) return false;
    for (char c : nonce) {
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    }
    return true;
}

void parse_everything(std::string_view part) {
    if (auto first = parse_scram_client_first(part)) {
        KB_ASSERT(is_nonce(first->nonce));
        KB_ASSERT(first->gs2_header + first->bare == part);
    }
    if (auto first = parse_scram_server_first(part)) {
        KB_ASSERT(is_nonce(first->nonce));
        KB_ASSERT(!first->salt.empty() && first->salt.size() <= kScramMaxSaltSize);
        KB_ASSERT(first->iterations >= 1 && first->iterations <= kScramMaxIterations);
    }
    if (auto final_message = parse_scram_client_final(part)) {
        KB_ASSERT(is_nonce(final_message->nonce));
        KB_ASSERT(part.starts_with(final_message->without_proof));
        KB_ASSERT(part.substr(final_message->without_proof.size()).starts_with(",p="));
    }
    (void)parse_scram_server_final(part);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    if (auto verifier = ScramVerifier::parse(input)) {
        KB_ASSERT(verifier->to_string() == input);
    }

    std::vector<std::string_view> parts;
    std::string_view rest = input;
    while (parts.size() < 3) {
        size_t newline = rest.find('\n');
        parts.push_back(rest.substr(0, newline));
        if (newline == std::string_view::npos) break;
        rest.remove_prefix(newline + 1);
    }
    for (std::string_view part : parts) parse_everything(part);
    const std::string_view first = parts[0];
    const std::string_view second = parts.size() > 1 ? parts[1] : std::string_view();

    // The server, with RFC 7677's verifier and nonce (so the corpus can reach success) and a
    // channel binding offered when the client asks for -PLUS.
    static const ScramVerifier verifier = [] {
        const u8 salt[] = {0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e,
                           0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36, 0xfa, 0x81};
        return make_scram_verifier("pencil", salt, 4096);
    }();
    SeededRandom random(1);
    const bool plus = first.starts_with("p=");
    ScramServer server(verifier,
                       {.tls_server_end_point = plus ? Bytes(32, 0x5a) : Bytes(),
                        .doomed = false,
                        .server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"},
                       random);
    auto server_first = server.handle_client_first(plus ? kScramSha256Plus : kScramSha256, first);
    if (server_first) {
        KB_ASSERT(parse_scram_server_first(*server_first).has_value());
        auto server_final = server.handle_client_final(second);
        KB_ASSERT(server_final.has_value() == server.authenticated());
        if (server_final) KB_ASSERT(parse_scram_server_final(*server_final).has_value());
    } else {
        KB_ASSERT(!server.handle_client_final(second).has_value());
    }

    // The client, answering what a (possibly hostile) server sent. Iteration counts above
    // the default are skipped only to keep each run fast; their parsing is covered above.
    auto parsed_first = parse_scram_server_first(first);
    if (parsed_first && parsed_first->iterations <= kScramDefaultIterations) {
        ScramClient client("pencil",
                           {.tls_server_end_point = {},
                            .server_offers_plus = false,
                            .user_name = "user",
                            .client_nonce = "rOprNGfwEbeRWgbNEkqO"},
                           random);
        (void)client.client_first();
        auto client_final = client.handle_server_first(first);
        if (client_final) {
            KB_ASSERT(parse_scram_client_final(*client_final).has_value());
            Status verified = client.handle_server_final(second);
            KB_ASSERT(verified.is_ok() == client.server_verified());
        }
    }
    return 0;
}
