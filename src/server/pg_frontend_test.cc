// Frontend message codecs: every message round-trips through its encoder and decoder, exact
// bytes match the protocol documentation, and every malformed body is refused with 08P01.
#include "server/pg_frontend.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/bytes.h"

namespace kb::server {
namespace {

// The body of the single message in `bytes` (checking its type byte and length word).
ByteSpan body_of(const Bytes& bytes, char type) {
    EXPECT_GE(bytes.size(), 5u);
    EXPECT_EQ(bytes[0], static_cast<u8>(type));
    EXPECT_EQ(load_be_u32(bytes.data() + 1), bytes.size() - 1);
    return ByteSpan(bytes).subspan(5);
}

PgFrontendMessage round_trip(const PgFrontendMessage& message, Bytes& storage) {
    storage.clear();
    encode_frontend_message(storage, message);
    const char type = static_cast<char>(storage[0]);
    auto decoded = decode_frontend_message(type, body_of(storage, type));
    EXPECT_TRUE(decoded.has_value()) << decoded.error().to_string();
    return *decoded;
}

std::string error_of(char type, const Bytes& body) {
    auto decoded = decode_frontend_message(type, body);
    if (decoded.has_value()) return "decoded";
    EXPECT_EQ(decoded.error().sqlstate, "08P01");
    return decoded.error().message;
}

TEST(PgFrontend, StartupMessageExactBytes) {
    PgStartupMessage message;
    message.parameters = {{"user", "admin"}, {"database", "d"}};
    Bytes bytes;
    encode_startup_message(bytes, message);
    const std::string expected("\x00\x00\x00\x1f\x00\x03\x00\x00user\0admin\0database\0d\0\0", 31);
    EXPECT_EQ(to_hex(bytes), to_hex(as_bytes(expected)));

    auto decoded = decode_startup_packet(ByteSpan(bytes).subspan(4));
    ASSERT_TRUE(decoded.has_value());
    const auto& startup = std::get<PgStartupMessage>(*decoded);
    EXPECT_EQ(startup.major, 3);
    EXPECT_EQ(startup.minor, 0);
    EXPECT_EQ(startup.parameter("user"), "admin");
    EXPECT_EQ(startup.parameter("database"), "d");
    EXPECT_EQ(startup.parameter("options"), std::nullopt);
}

TEST(PgFrontend, SpecialStartupRequests) {
    Bytes ssl;
    encode_ssl_request(ssl);
    EXPECT_EQ(to_hex(ssl), "0000000804d2162f");
    Bytes gss;
    encode_gss_enc_request(gss);
    EXPECT_EQ(to_hex(gss), "0000000804d21630");
    Bytes cancel;
    encode_cancel_request(cancel, {.process_id = 42, .secret_key = -7});
    EXPECT_EQ(to_hex(cancel), "0000001004d2162e0000002afffffff9");

    EXPECT_TRUE(
        std::holds_alternative<PgSslRequest>(*decode_startup_packet(ByteSpan(ssl).subspan(4))));
    EXPECT_TRUE(
        std::holds_alternative<PgGssEncRequest>(*decode_startup_packet(ByteSpan(gss).subspan(4))));
    auto decoded = decode_startup_packet(ByteSpan(cancel).subspan(4));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(std::get<PgCancelRequest>(*decoded).process_id, 42);
    EXPECT_EQ(std::get<PgCancelRequest>(*decoded).secret_key, -7);
}

TEST(PgFrontend, StartupRejections) {
    const auto error = [](std::string_view body) {
        auto decoded = decode_startup_packet(as_bytes(body));
        if (decoded.has_value()) return std::string("decoded");
        EXPECT_EQ(decoded.error().sqlstate, "08P01");
        return decoded.error().message;
    };
    using namespace std::string_literals;
    EXPECT_EQ(error("\x00\x03"s), "invalid length of startup packet");
    EXPECT_EQ(error("\x04\xd2\x16\x2f\x00"s), "invalid length of startup packet");  // SSL + 1
    EXPECT_EQ(error("\x04\xd2\x16\x2e\x00\x00\x00\x01"s), "invalid length of startup packet");
    EXPECT_EQ(error("\x00\x03\x00\x00user\0admin\0"s),
              "invalid startup packet layout: expected terminator as last byte");
    EXPECT_EQ(error("\x00\x03\x00\x00user\0"s),
              "invalid startup packet layout: parameter \"user\" has no value");
    EXPECT_EQ(error("\x00\x03\x00\x00user\0admin\0\0x"s),
              "invalid startup packet layout: expected terminator as last byte");
    EXPECT_EQ(error("\x00\x03\x00\x00"s),
              "invalid startup packet layout: expected terminator as last byte");
    // Another major version decodes (the connection answers it).
    auto v2 = decode_startup_packet(as_bytes("\x00\x02\x00\x00whatever"s));
    ASSERT_TRUE(v2.has_value());
    EXPECT_EQ(std::get<PgStartupMessage>(*v2).major, 2);
}

TEST(PgFrontend, ExtendedMessagesExactBytes) {
    using namespace std::string_literals;
    const auto hex = [](const std::string& text) { return to_hex(as_bytes(text)); };
    Bytes bytes;
    encode_frontend_message(bytes, PgParse{"s1", "SELECT $1", {23}});
    EXPECT_EQ(to_hex(bytes), hex("P\0\0\0\x17s1\0SELECT $1\0\0\x01\0\0\0\x17"s));
    bytes.clear();
    const Bytes one = {0, 0, 0, 1};
    encode_frontend_message(bytes, PgBind{"", "s1", {1}, {ByteSpan(one), std::nullopt}, {1}});
    EXPECT_EQ(to_hex(bytes), hex("B\0\0\0\x1e\0s1\0\0\x01\0\x01\0\x02\0\0\0\x04\0\0\0\x01"
                                 "\xff\xff\xff\xff\0\x01\0\x01"s));
    bytes.clear();
    encode_frontend_message(bytes, PgExecute{"p", 10});
    EXPECT_EQ(to_hex(bytes), hex("E\0\0\0\x0ap\0\0\0\0\x0a"s));
    bytes.clear();
    encode_frontend_message(bytes, PgDescribe{PgTarget::statement, ""});
    EXPECT_EQ(to_hex(bytes), hex("D\0\0\0\x06S\0"s));
    bytes.clear();
    encode_frontend_message(bytes, PgSync{});
    EXPECT_EQ(to_hex(bytes), hex("S\0\0\0\x04"s));
}

TEST(PgFrontend, EveryMessageRoundTrips) {
    Bytes storage;
    const Bytes data = {1, 2, 3};
    {
        auto m = round_trip(PgQuery{"SELECT 1; SELECT 2"}, storage);
        EXPECT_EQ(std::get<PgQuery>(m).text, "SELECT 1; SELECT 2");
    }
    {
        auto m = round_trip(PgParse{"", "INSERT INTO t VALUES ($1, $2)", {0, 25}}, storage);
        const auto& parse = std::get<PgParse>(m);
        EXPECT_EQ(parse.statement, "");
        EXPECT_EQ(parse.query, "INSERT INTO t VALUES ($1, $2)");
        EXPECT_EQ(parse.parameter_types, (std::vector<u32>{0, 25}));
    }
    {
        auto m = round_trip(
            PgBind{"portal", "stmt", {0, 1}, {std::nullopt, ByteSpan(data), ByteSpan()}, {1, 0}},
            storage);
        const auto& bind = std::get<PgBind>(m);
        EXPECT_EQ(bind.portal, "portal");
        EXPECT_EQ(bind.statement, "stmt");
        EXPECT_EQ(bind.parameter_formats, (std::vector<i16>{0, 1}));
        ASSERT_EQ(bind.parameters.size(), 3u);
        EXPECT_FALSE(bind.parameters[0].has_value());
        EXPECT_EQ(copy_of(*bind.parameters[1]), data);
        ASSERT_TRUE(bind.parameters[2].has_value());
        EXPECT_TRUE(bind.parameters[2]->empty());
        EXPECT_EQ(bind.result_formats, (std::vector<i16>{1, 0}));
    }
    {
        auto m = round_trip(PgDescribe{PgTarget::portal, "p"}, storage);
        EXPECT_EQ(std::get<PgDescribe>(m).target, PgTarget::portal);
        EXPECT_EQ(std::get<PgDescribe>(m).name, "p");
    }
    {
        auto m = round_trip(PgExecute{"p", 7}, storage);
        EXPECT_EQ(std::get<PgExecute>(m).portal, "p");
        EXPECT_EQ(std::get<PgExecute>(m).max_rows, 7);
    }
    {
        auto m = round_trip(PgClose{PgTarget::statement, "s"}, storage);
        EXPECT_EQ(std::get<PgClose>(m).target, PgTarget::statement);
        EXPECT_EQ(std::get<PgClose>(m).name, "s");
    }
    EXPECT_TRUE(std::holds_alternative<PgSync>(round_trip(PgSync{}, storage)));
    EXPECT_TRUE(std::holds_alternative<PgFlush>(round_trip(PgFlush{}, storage)));
    EXPECT_TRUE(std::holds_alternative<PgTerminate>(round_trip(PgTerminate{}, storage)));
    EXPECT_TRUE(std::holds_alternative<PgCopyDone>(round_trip(PgCopyDone{}, storage)));
    {
        auto m = round_trip(PgCopyData{ByteSpan(data)}, storage);
        EXPECT_EQ(copy_of(std::get<PgCopyData>(m).data), data);
    }
    {
        auto m = round_trip(PgCopyFail{"client gave up"}, storage);
        EXPECT_EQ(std::get<PgCopyFail>(m).message, "client gave up");
    }
}

TEST(PgFrontend, AuthenticationResponses) {
    using namespace std::string_literals;
    Bytes bytes;
    encode_password_message(bytes, {"secret"});
    auto password = decode_password_message(body_of(bytes, 'p'));
    ASSERT_TRUE(password.has_value());
    EXPECT_EQ(password->password, "secret");

    bytes.clear();
    const std::string first = "n,,n=user,r=abc";
    encode_sasl_initial_response(bytes, {"SCRAM-SHA-256", as_bytes(first)});
    EXPECT_EQ(to_hex(bytes), to_hex(as_bytes("p\0\0\0\x25SCRAM-SHA-256\0\0\0\0\x0f"s + first)));
    auto initial = decode_sasl_initial_response(body_of(bytes, 'p'));
    ASSERT_TRUE(initial.has_value());
    EXPECT_EQ(initial->mechanism, "SCRAM-SHA-256");
    ASSERT_TRUE(initial->data.has_value());
    EXPECT_EQ(as_chars(*initial->data), first);

    bytes.clear();
    encode_sasl_initial_response(bytes, {"SCRAM-SHA-256", std::nullopt});
    initial = decode_sasl_initial_response(body_of(bytes, 'p'));
    ASSERT_TRUE(initial.has_value());
    EXPECT_FALSE(initial->data.has_value());

    bytes.clear();
    encode_sasl_response(bytes, {as_bytes("c=biws")});
    EXPECT_EQ(as_chars(decode_sasl_response(body_of(bytes, 'p')).data), "c=biws");

    // The 'p' message decodes as raw bytes until the authentication state says what it is.
    auto raw = decode_frontend_message('p', body_of(bytes, 'p'));
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(as_chars(std::get<PgAuthResponse>(*raw).body), "c=biws");

    EXPECT_FALSE(decode_password_message(as_bytes("no terminator")).has_value());
    EXPECT_FALSE(decode_password_message(as_bytes("two\0strings\0"s)).has_value());
    EXPECT_FALSE(decode_sasl_initial_response(as_bytes("M\0\xff\xff\xff\xfe"s)).has_value());
    EXPECT_FALSE(decode_sasl_initial_response(as_bytes("M\0\0\0\0\x05"
                                                       "abc"s))
                     .has_value());
    EXPECT_FALSE(decode_sasl_initial_response(as_bytes("M\0\0\0"s)).has_value());
}

TEST(PgFrontend, MalformedBodiesAreProtocolViolations) {
    using namespace std::string_literals;
    const auto body = [](const std::string& text) { return Bytes(text.begin(), text.end()); };
    EXPECT_EQ(error_of('Q', body("SELECT 1")),
              "invalid message format: Query message is truncated");
    EXPECT_EQ(error_of('Q', body("SELECT 1\0x"s)),
              "invalid message format: Query message has trailing bytes");
    EXPECT_EQ(error_of('P', body("s\0q\0\xff\xff"s)),
              "invalid message format: negative parameter type count -1");
    EXPECT_EQ(error_of('P', body("s\0q\0\0\x02\0\0\0\x17"s)),
              "invalid message format: Parse message is truncated");
    EXPECT_EQ(error_of('P', body("s\0q\0\0\0\0"s)),
              "invalid message format: Parse message has trailing bytes");
    EXPECT_EQ(error_of('B', body("\0s\0\0\0\0\x01\xff\xff\xff\xfe\0\0"s)),
              "invalid message format: parameter 1 has length -2");
    EXPECT_EQ(error_of('B', body("\0s\0\0\0\0\x01\0\0\0\x09"
                                 "abc\0\0"s)),
              "invalid message format: Bind message is truncated");
    EXPECT_EQ(error_of('B', body("\0s\0\0\x05\0\0"s)),
              "invalid message format: Bind message is truncated");
    EXPECT_EQ(error_of('B', body("\0s\0\0\0\0\0\xff\xfe"s)),
              "invalid message format: negative result format count -2");
    EXPECT_EQ(error_of('B', body("\0s\0\0\0\0\0\0\0\0"s)),
              "invalid message format: Bind message has trailing bytes");
    EXPECT_EQ(error_of('D', body("X\0"s)), "invalid DESCRIBE message subtype 88");
    EXPECT_EQ(error_of('D', body("")), "invalid DESCRIBE message subtype 0");
    EXPECT_EQ(error_of('C', body("Q\0"s)), "invalid CLOSE message subtype 81");
    EXPECT_EQ(error_of('E', body("p\0\0\0"s)),
              "invalid message format: Execute message is truncated");
    EXPECT_EQ(error_of('S', body("x")), "invalid message format: Sync message has trailing bytes");
    EXPECT_EQ(error_of('H', body("x")), "invalid message format: Flush message has trailing bytes");
    EXPECT_EQ(error_of('X', body("x")),
              "invalid message format: Terminate message has trailing bytes");
    EXPECT_EQ(error_of('c', body("x")),
              "invalid message format: CopyDone message has trailing bytes");
    EXPECT_EQ(error_of('f', body("oops")), "invalid message format: CopyFail message is truncated");
    EXPECT_EQ(error_of('Z', body("")), "invalid frontend message type 90");
    EXPECT_EQ(error_of('\0', body("")), "invalid frontend message type 0");
    EXPECT_EQ(error_of('\xff', body("")), "invalid frontend message type 255");
}

// Any bytes, as any message type: a message or an 08P01 error, never a crash; what decodes
// encodes back to the same bytes.
RC_GTEST_PROP(PgFrontendProperty, DecodingArbitraryBytesIsSafeAndExact,
              (const std::vector<u8>& body, u8 type_index)) {
    static constexpr char kTypes[] = {'Q', 'P', 'B', 'D', 'E', 'C', 'S', 'H',
                                      'X', 'd', 'c', 'f', 'p', 'F', 'Z', 'A'};
    const char type = kTypes[type_index % sizeof(kTypes)];
    auto decoded = decode_frontend_message(type, body);
    if (!decoded) {
        RC_ASSERT(decoded.error().sqlstate == std::string("08P01"));
        return;
    }
    Bytes again;
    encode_frontend_message(again, *decoded);
    RC_ASSERT(again.size() == body.size() + 5);
    RC_ASSERT(static_cast<char>(again[0]) == type);
    RC_ASSERT(std::equal(body.begin(), body.end(), again.begin() + 5));
}

RC_GTEST_PROP(PgFrontendProperty, StartupPacketsRoundTrip,
              (const std::vector<std::pair<std::string, std::string>>& parameters)) {
    PgStartupMessage message;
    std::vector<std::string> names, values;
    for (const auto& [name, value] : parameters) {
        // Names and values are C strings; a parameter name is never empty.
        std::string n = name.substr(0, name.find('\0'));
        std::string v = value.substr(0, value.find('\0'));
        if (n.empty()) continue;
        names.push_back(n);
        values.push_back(v);
    }
    for (usize i = 0; i < names.size(); ++i) message.parameters.emplace_back(names[i], values[i]);
    Bytes bytes;
    encode_startup_message(bytes, message);
    auto decoded = decode_startup_packet(ByteSpan(bytes).subspan(4));
    RC_ASSERT(decoded.has_value());
    const auto& startup = std::get<PgStartupMessage>(*decoded);
    RC_ASSERT(startup.parameters == message.parameters);
}

}  // namespace
}  // namespace kb::server
