// Backend message encoders: exact bytes as the protocol documentation lays them out (and as
// PostgreSQL 15 sends them), and a round trip through the decoder clients use.
#include "server/pg_backend.h"

#include <gtest/gtest.h>

namespace kb::server {
namespace {

using namespace std::string_literals;

std::string hex(const std::string& text) { return to_hex(as_bytes(text)); }

PgBackendMessage decode_one(const Bytes& bytes) {
    EXPECT_GE(bytes.size(), 5u);
    EXPECT_EQ(load_be_u32(bytes.data() + 1), bytes.size() - 1);
    auto decoded = decode_backend_message(static_cast<char>(bytes[0]), ByteSpan(bytes).subspan(5));
    EXPECT_TRUE(decoded.has_value()) << decoded.error().to_string();
    return *decoded;
}

TEST(PgBackend, AuthenticationRequests) {
    Bytes out;
    write_authentication_ok(out);
    EXPECT_EQ(to_hex(out), hex("R\0\0\0\x08\0\0\0\0"s));
    out.clear();
    write_authentication_cleartext_password(out);
    EXPECT_EQ(to_hex(out), hex("R\0\0\0\x08\0\0\0\x03"s));
    out.clear();
    const std::vector<std::string> mechanisms = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
    write_authentication_sasl(out, mechanisms);
    EXPECT_EQ(to_hex(out), hex("R\0\0\0\x2a\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"s));
    EXPECT_EQ(std::get<PgAuthentication>(decode_one(out)).mechanisms, mechanisms);
    out.clear();
    write_authentication_sasl_continue(out, as_bytes("r=abc,s=x,i=4096"));
    EXPECT_EQ(to_hex(out), hex("R\0\0\0\x18\0\0\0\x0br=abc,s=x,i=4096"s));
    EXPECT_EQ(as_chars(std::get<PgAuthentication>(decode_one(out)).data), "r=abc,s=x,i=4096");
    out.clear();
    write_authentication_sasl_final(out, as_bytes("v=xyz"));
    EXPECT_EQ(to_hex(out), hex("R\0\0\0\x0d\0\0\0\x0cv=xyz"s));
    EXPECT_EQ(std::get<PgAuthentication>(decode_one(out)).code, PgAuthCode::sasl_final);
}

TEST(PgBackend, StartupReplies) {
    Bytes out;
    write_parameter_status(out, "client_encoding", "UTF8");
    EXPECT_EQ(to_hex(out), hex("S\0\0\0\x19"
                               "client_encoding\0UTF8\0"s));
    out.clear();
    write_backend_key_data(out, 0x2cf, -0x2cfd1089);
    EXPECT_EQ(to_hex(out), hex("K\0\0\0\x0c\0\0\x02\xcf\xd3\x02\xefw"s));
    const auto key = std::get<PgBackendKeyData>(decode_one(out));
    EXPECT_EQ(key.process_id, 0x2cf);
    EXPECT_EQ(key.secret_key, -0x2cfd1089);
    for (auto [status, byte] : {std::pair{PgTransactionStatus::idle, 'I'},
                                {PgTransactionStatus::in_transaction, 'T'},
                                {PgTransactionStatus::failed, 'E'}}) {
        out.clear();
        write_ready_for_query(out, status);
        EXPECT_EQ(to_hex(out), hex("Z\0\0\0\x05"s + byte));
        EXPECT_EQ(std::get<PgReadyForQuery>(decode_one(out)).status, status);
    }
    out.clear();
    write_negotiate_protocol_version(out, 0, std::vector<std::string>{"_pq_.x"});
    EXPECT_EQ(to_hex(out), hex("v\0\0\0\x13\0\0\0\0\0\0\0\x01_pq_.x\0"s));
}

TEST(PgBackend, RowsAndCompletion) {
    Bytes out;
    const std::vector<PgFieldDescription> fields = {
        {.name = "id", .type_oid = 23, .type_length = 4},
        {.name = "v",
         .type_oid = 1043,
         .type_length = -1,
         .type_modifier = 14,
         .format = PgFormat::binary},
    };
    write_row_description(out, fields);
    EXPECT_EQ(to_hex(out), hex("T\0\0\0\x2f\0\x02"
                               "id\0\0\0\0\0\0\0\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0"
                               "v\0\0\0\0\0\0\0\0\0\x04\x13\xff\xff\0\0\0\x0e\0\x01"s));
    EXPECT_EQ(std::get<PgRowDescription>(decode_one(out)).fields, fields);

    out.clear();
    {
        PgDataRowWriter row(out, 3);
        row.value(as_bytes("42"));
        row.null();
        row.value_start();
        put_raw(row.buffer(), "ab");
        put_raw(row.buffer(), "c");
        row.value_end();
        row.finish();
    }
    EXPECT_EQ(to_hex(out), hex("D\0\0\0\x17\0\x03\0\0\0\x02"
                               "42\xff\xff\xff\xff\0\0\0\x03"
                               "abc"s));
    const auto row = std::get<PgDataRow>(decode_one(out));
    ASSERT_EQ(row.values.size(), 3u);
    EXPECT_EQ(as_chars(*row.values[0]), "42");
    EXPECT_FALSE(row.values[1].has_value());
    EXPECT_EQ(as_chars(*row.values[2]), "abc");

    out.clear();
    write_command_complete(out, "INSERT 0 3");
    EXPECT_EQ(to_hex(out), hex("C\0\0\0\x0fINSERT 0 3\0"s));
    out.clear();
    write_empty_query_response(out);
    EXPECT_EQ(to_hex(out), hex("I\0\0\0\x04"s));
}

TEST(PgBackend, ErrorAndNoticeFields) {
    Bytes out;
    PgNotice error{.severity = "ERROR",
                   .sqlstate = "42P01",
                   .message = "relation \"t\" does not exist",
                   .detail = "d",
                   .hint = "h",
                   .position = 15};
    write_error_response(out, error);
    EXPECT_EQ(to_hex(out), hex("E\0\0\0\x41SERROR\0VERROR\0C42P01\0Mrelation \"t\" does not exist\0"
                               "Dd\0Hh\0P15\0\0"s));
    EXPECT_EQ(std::get<PgErrorResponse>(decode_one(out)).fields, error);

    // Empty fields and position 0 are left out; the message is always there.
    out.clear();
    PgNotice notice{.severity = "NOTICE", .sqlstate = "00000", .message = ""};
    write_notice_response(out, notice);
    EXPECT_EQ(to_hex(out), hex("N\0\0\0\x1eSNOTICE\0VNOTICE\0C00000\0M\0\0"s));
    EXPECT_EQ(std::get<PgNoticeResponse>(decode_one(out)).fields, notice);

    // A NUL inside a text ends that field instead of corrupting the message.
    out.clear();
    write_error_response(out, PgNotice{.message = "bad\0tail"s, .detail = "x\0y"s});
    const auto cut = std::get<PgErrorResponse>(decode_one(out)).fields;
    EXPECT_EQ(cut.message, "bad");
    EXPECT_EQ(cut.detail, "x");
}

TEST(PgBackend, ExtendedProtocolReplies) {
    Bytes out;
    write_parse_complete(out);
    write_bind_complete(out);
    write_close_complete(out);
    write_no_data(out);
    write_portal_suspended(out);
    EXPECT_EQ(to_hex(out), hex("1\0\0\0\x04"
                               "2\0\0\0\x04"
                               "3\0\0\0\x04"
                               "n\0\0\0\x04"
                               "s\0\0\0\x04"s));
    out.clear();
    const std::vector<u32> oids = {23, 25};
    write_parameter_description(out, oids);
    EXPECT_EQ(to_hex(out), hex("t\0\0\0\x0e\0\x02\0\0\0\x17\0\0\0\x19"s));
    EXPECT_EQ(std::get<PgParameterDescription>(decode_one(out)).type_oids, oids);
}

TEST(PgBackend, CopyMessages) {
    Bytes out;
    const std::vector<PgFormat> columns = {PgFormat::text, PgFormat::text};
    write_copy_in_response(out, PgFormat::text, columns);
    EXPECT_EQ(to_hex(out), hex("G\0\0\0\x0b\0\0\x02\0\0\0\0"s));
    const auto in = std::get<PgCopyResponse>(decode_one(out));
    EXPECT_TRUE(in.in);
    EXPECT_EQ(in.columns, columns);
    out.clear();
    write_copy_out_response(out, PgFormat::binary, std::vector<PgFormat>{PgFormat::binary});
    EXPECT_EQ(to_hex(out), hex("H\0\0\0\x09\x01\0\x01\0\x01"s));
    EXPECT_FALSE(std::get<PgCopyResponse>(decode_one(out)).in);
    out.clear();
    write_copy_data(out, as_bytes("1\tx\n"));
    write_copy_done(out);
    EXPECT_EQ(to_hex(out), hex("d\0\0\0\x08"
                               "1\tx\n"
                               "c\0\0\0\x04"s));
}

TEST(PgBackend, DecoderRefusesMalformedMessages) {
    EXPECT_FALSE(decode_backend_message('Z', as_bytes("X")).has_value());
    EXPECT_FALSE(decode_backend_message('Z', as_bytes("II")).has_value());
    EXPECT_FALSE(decode_backend_message('C', as_bytes("no nul")).has_value());
    EXPECT_FALSE(decode_backend_message('R', as_bytes("\0\0\0\x63"s)).has_value());
    EXPECT_FALSE(decode_backend_message('D', as_bytes("\0\x01\0\0\0\x05"
                                                      "ab"s))
                     .has_value());
    EXPECT_FALSE(decode_backend_message('?', {}).has_value());
}

}  // namespace
}  // namespace kb::server
