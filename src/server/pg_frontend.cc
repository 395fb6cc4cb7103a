// Decoding and encoding of frontend messages (pg_frontend.h).
#include "server/pg_frontend.h"

#include "base/assert.h"

namespace kb::server {
namespace {

using sql::SqlError;
using sql::SqlResult;

// The checks every decoder ends with: no field ran off the end, nothing is left over.
SqlError malformed(std::string_view what) {
    return protocol_violation("invalid message format: " + std::string(what));
}

sql::SqlStatus finish(const PgReader& reader, std::string_view what) {
    if (!reader.ok()) return malformed(std::string(what) + " message is truncated");
    if (!reader.at_end()) return malformed(std::string(what) + " message has trailing bytes");
    return sql::sql_ok();
}

// A count field: int16, non-negative.
SqlResult<usize> read_count(PgReader& reader, std::string_view what) {
    const i16 count = reader.get_i16();
    if (count < 0) {
        return protocol_violation("invalid message format: negative " + std::string(what) +
                                  " count " + std::to_string(count));
    }
    return static_cast<usize>(count);
}

SqlResult<PgTarget> read_target(PgReader& reader, std::string_view what) {
    const u8 target = reader.get_u8();
    if (target == 'S') return PgTarget::statement;
    if (target == 'P') return PgTarget::portal;
    return protocol_violation("invalid " + std::string(what) + " message subtype " +
                              std::to_string(target));
}

SqlResult<PgFrontendMessage> decode_parse(ByteSpan body) {
    PgReader reader(body);
    PgParse parse;
    parse.statement = reader.get_cstring();
    parse.query = reader.get_cstring();
    const usize count = KB_SQL_TRY(read_count(reader, "parameter type"));
    if (count > reader.remaining() / 4) return malformed("Parse message is truncated");
    parse.parameter_types.reserve(count);
    for (usize i = 0; i < count; ++i) parse.parameter_types.push_back(reader.get_u32());
    KB_SQL_TRY(finish(reader, "Parse"));
    return PgFrontendMessage(std::move(parse));
}

SqlResult<std::vector<i16>> read_formats(PgReader& reader, std::string_view what) {
    const usize count = KB_SQL_TRY(read_count(reader, what));
    if (count > reader.remaining() / 2) return malformed("Bind message is truncated");
    std::vector<i16> formats;
    formats.reserve(count);
    for (usize i = 0; i < count; ++i) formats.push_back(reader.get_i16());
    return formats;
}

SqlResult<PgFrontendMessage> decode_bind(ByteSpan body) {
    PgReader reader(body);
    PgBind bind;
    bind.portal = reader.get_cstring();
    bind.statement = reader.get_cstring();
    bind.parameter_formats = KB_SQL_TRY(read_formats(reader, "parameter format"));
    const usize count = KB_SQL_TRY(read_count(reader, "parameter"));
    if (count > reader.remaining() / 4) return malformed("Bind message is truncated");
    bind.parameters.reserve(count);
    for (usize i = 0; i < count; ++i) {
        const i32 length = reader.get_i32();
        if (length == -1) {
            bind.parameters.emplace_back(std::nullopt);
        } else if (length < 0) {
            return protocol_violation("invalid message format: parameter " + std::to_string(i + 1) +
                                      " has length " + std::to_string(length));
        } else {
            const ByteSpan value = reader.get_bytes(static_cast<usize>(length));
            if (!reader.ok()) return malformed("Bind message is truncated");
            bind.parameters.emplace_back(value);
        }
    }
    bind.result_formats = KB_SQL_TRY(read_formats(reader, "result format"));
    KB_SQL_TRY(finish(reader, "Bind"));
    return PgFrontendMessage(std::move(bind));
}

}  // namespace

std::optional<std::string_view> PgStartupMessage::parameter(std::string_view name) const {
    std::optional<std::string_view> found;
    for (const auto& [key, value] : parameters) {
        if (key == name) found = value;
    }
    return found;
}

SqlResult<PgStartupPacket> decode_startup_packet(ByteSpan body) {
    PgReader reader(body);
    const u32 code = reader.get_u32();
    if (!reader.ok()) return protocol_violation("invalid length of startup packet");
    const auto fixed = [&](PgStartupPacket packet) -> SqlResult<PgStartupPacket> {
        if (!reader.at_end()) return protocol_violation("invalid length of startup packet");
        return packet;
    };
    switch (code) {
        case kPgSslRequestCode:
            return fixed(PgSslRequest{});
        case kPgGssEncRequestCode:
            return fixed(PgGssEncRequest{});
        case kPgCancelRequestCode: {
            PgCancelRequest cancel;
            cancel.process_id = reader.get_i32();
            cancel.secret_key = reader.get_i32();
            if (!reader.ok()) return protocol_violation("invalid length of startup packet");
            return fixed(cancel);
        }
        default:
            break;
    }
    PgStartupMessage message;
    message.major = static_cast<u16>(code >> 16);
    message.minor = static_cast<u16>(code & 0xffff);
    if (message.major != kPgProtocolMajor) return PgStartupPacket(std::move(message));
    // Name/value pairs until an empty name; the terminator must be the last byte.
    while (true) {
        const std::string_view name = reader.get_cstring();
        if (!reader.ok()) {
            return protocol_violation(
                "invalid startup packet layout: expected terminator as last byte");
        }
        if (name.empty()) break;
        const std::string_view value = reader.get_cstring();
        if (!reader.ok()) {
            return protocol_violation("invalid startup packet layout: parameter \"" +
                                      std::string(name) + "\" has no value");
        }
        message.parameters.emplace_back(name, value);
    }
    if (!reader.at_end()) {
        return protocol_violation(
            "invalid startup packet layout: expected terminator as last byte");
    }
    return PgStartupPacket(std::move(message));
}

SqlResult<PgFrontendMessage> decode_frontend_message(char type, ByteSpan body) {
    namespace t = pg_frontend_type;
    PgReader reader(body);
    switch (type) {
        case t::kQuery: {
            PgQuery query{reader.get_cstring()};
            KB_SQL_TRY(finish(reader, "Query"));
            return PgFrontendMessage(query);
        }
        case t::kParse:
            return decode_parse(body);
        case t::kBind:
            return decode_bind(body);
        case t::kDescribe: {
            PgDescribe describe;
            describe.target = KB_SQL_TRY(read_target(reader, "DESCRIBE"));
            describe.name = reader.get_cstring();
            KB_SQL_TRY(finish(reader, "Describe"));
            return PgFrontendMessage(describe);
        }
        case t::kExecute: {
            PgExecute execute;
            execute.portal = reader.get_cstring();
            execute.max_rows = reader.get_i32();
            KB_SQL_TRY(finish(reader, "Execute"));
            return PgFrontendMessage(execute);
        }
        case t::kClose: {
            PgClose close;
            close.target = KB_SQL_TRY(read_target(reader, "CLOSE"));
            close.name = reader.get_cstring();
            KB_SQL_TRY(finish(reader, "Close"));
            return PgFrontendMessage(close);
        }
        case t::kSync:
            KB_SQL_TRY(finish(reader, "Sync"));
            return PgFrontendMessage(PgSync{});
        case t::kFlush:
            KB_SQL_TRY(finish(reader, "Flush"));
            return PgFrontendMessage(PgFlush{});
        case t::kTerminate:
            KB_SQL_TRY(finish(reader, "Terminate"));
            return PgFrontendMessage(PgTerminate{});
        case t::kCopyData:
            return PgFrontendMessage(PgCopyData{body});
        case t::kCopyDone:
            KB_SQL_TRY(finish(reader, "CopyDone"));
            return PgFrontendMessage(PgCopyDone{});
        case t::kCopyFail: {
            PgCopyFail fail{reader.get_cstring()};
            KB_SQL_TRY(finish(reader, "CopyFail"));
            return PgFrontendMessage(fail);
        }
        case t::kAuthResponse:
            return PgFrontendMessage(PgAuthResponse{body});
        case t::kFunctionCall:
            return PgFrontendMessage(PgFunctionCall{body});
        default:
            return protocol_violation("invalid frontend message type " +
                                      std::to_string(static_cast<u8>(type)));
    }
}

SqlResult<PgPasswordMessage> decode_password_message(ByteSpan body) {
    PgReader reader(body);
    PgPasswordMessage message{reader.get_cstring()};
    KB_SQL_TRY(finish(reader, "password"));
    return message;
}

SqlResult<PgSaslInitialResponse> decode_sasl_initial_response(ByteSpan body) {
    PgReader reader(body);
    PgSaslInitialResponse message;
    message.mechanism = reader.get_cstring();
    const i32 length = reader.get_i32();
    if (length == -1) {
        message.data = std::nullopt;
    } else if (length < 0) {
        return protocol_violation("invalid message format: SASL initial response length " +
                                  std::to_string(length));
    } else {
        message.data = reader.get_bytes(static_cast<usize>(length));
    }
    KB_SQL_TRY(finish(reader, "SASLInitialResponse"));
    return message;
}

PgSaslResponse decode_sasl_response(ByteSpan body) { return PgSaslResponse{body}; }

// --- encoders ---------------------------------------------------------------------------------

void encode_startup_message(Bytes& out, const PgStartupMessage& message) {
    PgMessageWriter writer(out, 0);
    writer.put_i32(static_cast<i32>((u32{message.major} << 16) | message.minor));
    for (const auto& [name, value] : message.parameters) {
        writer.put_cstring(name);
        writer.put_cstring(value);
    }
    writer.put_u8(0);
    writer.finish();
}

namespace {
void encode_code_only(Bytes& out, u32 code) {
    PgMessageWriter writer(out, 0);
    writer.put_i32(static_cast<i32>(code));
    writer.finish();
}

void encode_formats(PgMessageWriter& writer, const std::vector<i16>& formats) {
    KB_ASSERT(formats.size() <= 0x7fff);
    writer.put_i16(static_cast<i16>(formats.size()));
    for (i16 format : formats) writer.put_i16(format);
}

struct Encoder {
    Bytes& out;

    void operator()(const PgQuery& m) {
        message(pg_frontend_type::kQuery, [&](auto& w) { w.put_cstring(m.text); });
    }
    void operator()(const PgParse& m) {
        message(pg_frontend_type::kParse, [&](PgMessageWriter& w) {
            w.put_cstring(m.statement);
            w.put_cstring(m.query);
            KB_ASSERT(m.parameter_types.size() <= 0x7fff);
            w.put_i16(static_cast<i16>(m.parameter_types.size()));
            for (u32 oid : m.parameter_types) w.put_i32(static_cast<i32>(oid));
        });
    }
    void operator()(const PgBind& m) {
        message(pg_frontend_type::kBind, [&](PgMessageWriter& w) {
            w.put_cstring(m.portal);
            w.put_cstring(m.statement);
            encode_formats(w, m.parameter_formats);
            KB_ASSERT(m.parameters.size() <= 0x7fff);
            w.put_i16(static_cast<i16>(m.parameters.size()));
            for (const std::optional<ByteSpan>& value : m.parameters) {
                if (!value) {
                    w.put_i32(-1);
                    continue;
                }
                w.put_i32(static_cast<i32>(value->size()));
                w.put_raw(*value);
            }
            encode_formats(w, m.result_formats);
        });
    }
    void operator()(const PgDescribe& m) {
        message(pg_frontend_type::kDescribe, [&](PgMessageWriter& w) {
            w.put_u8(static_cast<u8>(m.target));
            w.put_cstring(m.name);
        });
    }
    void operator()(const PgExecute& m) {
        message(pg_frontend_type::kExecute, [&](PgMessageWriter& w) {
            w.put_cstring(m.portal);
            w.put_i32(m.max_rows);
        });
    }
    void operator()(const PgClose& m) {
        message(pg_frontend_type::kClose, [&](PgMessageWriter& w) {
            w.put_u8(static_cast<u8>(m.target));
            w.put_cstring(m.name);
        });
    }
    void operator()(const PgSync&) { empty(pg_frontend_type::kSync); }
    void operator()(const PgFlush&) { empty(pg_frontend_type::kFlush); }
    void operator()(const PgTerminate&) { empty(pg_frontend_type::kTerminate); }
    void operator()(const PgCopyData& m) {
        message(pg_frontend_type::kCopyData, [&](PgMessageWriter& w) { w.put_raw(m.data); });
    }
    void operator()(const PgCopyDone&) { empty(pg_frontend_type::kCopyDone); }
    void operator()(const PgCopyFail& m) {
        message(pg_frontend_type::kCopyFail, [&](PgMessageWriter& w) { w.put_cstring(m.message); });
    }
    void operator()(const PgAuthResponse& m) {
        message(pg_frontend_type::kAuthResponse, [&](PgMessageWriter& w) { w.put_raw(m.body); });
    }
    void operator()(const PgFunctionCall& m) {
        message(pg_frontend_type::kFunctionCall, [&](PgMessageWriter& w) { w.put_raw(m.body); });
    }

    template <class Fill>
    void message(char type, Fill fill) {
        PgMessageWriter writer(out, type);
        fill(writer);
        writer.finish();
    }
    void empty(char type) {
        PgMessageWriter writer(out, type);
        writer.finish();
    }
};
}  // namespace

void encode_ssl_request(Bytes& out) { encode_code_only(out, kPgSslRequestCode); }
void encode_gss_enc_request(Bytes& out) { encode_code_only(out, kPgGssEncRequestCode); }

void encode_cancel_request(Bytes& out, const PgCancelRequest& request) {
    PgMessageWriter writer(out, 0);
    writer.put_i32(static_cast<i32>(kPgCancelRequestCode));
    writer.put_i32(request.process_id);
    writer.put_i32(request.secret_key);
    writer.finish();
}

void encode_frontend_message(Bytes& out, const PgFrontendMessage& message) {
    std::visit(Encoder{out}, message);
}

void encode_password_message(Bytes& out, const PgPasswordMessage& message) {
    PgMessageWriter writer(out, pg_frontend_type::kAuthResponse);
    writer.put_cstring(message.password);
    writer.finish();
}

void encode_sasl_initial_response(Bytes& out, const PgSaslInitialResponse& message) {
    PgMessageWriter writer(out, pg_frontend_type::kAuthResponse);
    writer.put_cstring(message.mechanism);
    if (message.data) {
        writer.put_i32(static_cast<i32>(message.data->size()));
        writer.put_raw(*message.data);
    } else {
        writer.put_i32(-1);
    }
    writer.finish();
}

void encode_sasl_response(Bytes& out, const PgSaslResponse& message) {
    PgMessageWriter writer(out, pg_frontend_type::kAuthResponse);
    writer.put_raw(message.data);
    writer.finish();
}

}  // namespace kb::server
