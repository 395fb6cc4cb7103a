// Encoding and decoding of backend messages (pg_backend.h).
#include "server/pg_backend.h"

#include <charconv>

#include "base/assert.h"

namespace kb::server {
namespace {

namespace t = pg_backend_type;

void write_empty(Bytes& out, char type) {
    PgMessageWriter writer(out, type);
    writer.finish();
}

void write_authentication(Bytes& out, PgAuthCode code, ByteSpan data) {
    PgMessageWriter writer(out, t::kAuthentication);
    writer.put_i32(static_cast<i32>(code));
    writer.put_raw(data);
    writer.finish();
}

void write_notice_fields(Bytes& out, char type, const PgNotice& notice) {
    PgMessageWriter writer(out, type);
    // Texts may quote what a client sent; a NUL would end the field early and shift every
    // field after it, so a field stops at its first NUL.
    const auto field = [&](char code, std::string_view value) {
        value = value.substr(0, value.find('\0'));
        if (value.empty()) return;
        writer.put_u8(static_cast<u8>(code));
        writer.put_cstring(value);
    };
    field('S', notice.severity);
    field('V', notice.severity);
    field('C', notice.sqlstate);
    // An error always has a message field, even an empty one (clients expect 'M').
    writer.put_u8('M');
    writer.put_cstring(std::string_view(notice.message).substr(0, notice.message.find('\0')));
    field('D', notice.detail);
    field('H', notice.hint);
    if (notice.position > 0) field('P', std::to_string(notice.position));
    field('W', notice.context);
    writer.put_u8(0);
    writer.finish();
}

void write_copy_response(Bytes& out, char type, PgFormat format,
                         std::span<const PgFormat> columns) {
    KB_ASSERT(columns.size() <= 0x7fff);
    PgMessageWriter writer(out, type);
    writer.put_u8(static_cast<u8>(format));
    writer.put_i16(static_cast<i16>(columns.size()));
    for (PgFormat column : columns) writer.put_i16(static_cast<i16>(column));
    writer.finish();
}

}  // namespace

void write_authentication_ok(Bytes& out) { write_authentication(out, PgAuthCode::ok, {}); }

void write_authentication_cleartext_password(Bytes& out) {
    write_authentication(out, PgAuthCode::cleartext_password, {});
}

void write_authentication_sasl(Bytes& out, std::span<const std::string> mechanisms) {
    PgMessageWriter writer(out, t::kAuthentication);
    writer.put_i32(static_cast<i32>(PgAuthCode::sasl));
    for (const std::string& mechanism : mechanisms) writer.put_cstring(mechanism);
    writer.put_u8(0);
    writer.finish();
}

void write_authentication_sasl_continue(Bytes& out, ByteSpan data) {
    write_authentication(out, PgAuthCode::sasl_continue, data);
}

void write_authentication_sasl_final(Bytes& out, ByteSpan data) {
    write_authentication(out, PgAuthCode::sasl_final, data);
}

void write_parameter_status(Bytes& out, std::string_view name, std::string_view value) {
    PgMessageWriter writer(out, t::kParameterStatus);
    writer.put_cstring(name);
    writer.put_cstring(value);
    writer.finish();
}

void write_backend_key_data(Bytes& out, i32 process_id, i32 secret_key) {
    PgMessageWriter writer(out, t::kBackendKeyData);
    writer.put_i32(process_id);
    writer.put_i32(secret_key);
    writer.finish();
}

void write_ready_for_query(Bytes& out, PgTransactionStatus status) {
    PgMessageWriter writer(out, t::kReadyForQuery);
    writer.put_u8(static_cast<u8>(status));
    writer.finish();
}

void write_row_description(Bytes& out, std::span<const PgFieldDescription> fields) {
    KB_ASSERT(fields.size() <= 0x7fff);
    PgMessageWriter writer(out, t::kRowDescription);
    writer.put_i16(static_cast<i16>(fields.size()));
    for (const PgFieldDescription& field : fields) {
        writer.put_cstring(field.name);
        writer.put_i32(static_cast<i32>(field.table_oid));
        writer.put_i16(field.column_number);
        writer.put_i32(static_cast<i32>(field.type_oid));
        writer.put_i16(field.type_length);
        writer.put_i32(field.type_modifier);
        writer.put_i16(static_cast<i16>(field.format));
    }
    writer.finish();
}

void write_command_complete(Bytes& out, std::string_view tag) {
    PgMessageWriter writer(out, t::kCommandComplete);
    writer.put_cstring(tag);
    writer.finish();
}

void write_empty_query_response(Bytes& out) { write_empty(out, t::kEmptyQueryResponse); }

void write_error_response(Bytes& out, const PgNotice& error) {
    write_notice_fields(out, t::kErrorResponse, error);
}

void write_notice_response(Bytes& out, const PgNotice& notice) {
    write_notice_fields(out, t::kNoticeResponse, notice);
}

void write_parse_complete(Bytes& out) { write_empty(out, t::kParseComplete); }
void write_bind_complete(Bytes& out) { write_empty(out, t::kBindComplete); }
void write_close_complete(Bytes& out) { write_empty(out, t::kCloseComplete); }
void write_no_data(Bytes& out) { write_empty(out, t::kNoData); }
void write_portal_suspended(Bytes& out) { write_empty(out, t::kPortalSuspended); }

void write_parameter_description(Bytes& out, std::span<const u32> type_oids) {
    KB_ASSERT(type_oids.size() <= 0xffff);
    PgMessageWriter writer(out, t::kParameterDescription);
    // PostgreSQL allows up to 65535 parameters: the count is sent as an unsigned 16 bits.
    put_be_u16(writer.buffer(), static_cast<u16>(type_oids.size()));
    for (u32 oid : type_oids) writer.put_i32(static_cast<i32>(oid));
    writer.finish();
}

void write_copy_in_response(Bytes& out, PgFormat format, std::span<const PgFormat> columns) {
    write_copy_response(out, t::kCopyInResponse, format, columns);
}

void write_copy_out_response(Bytes& out, PgFormat format, std::span<const PgFormat> columns) {
    write_copy_response(out, t::kCopyOutResponse, format, columns);
}

void write_copy_data(Bytes& out, ByteSpan data) {
    PgMessageWriter writer(out, t::kCopyData);
    writer.put_raw(data);
    writer.finish();
}

void write_copy_done(Bytes& out) { write_empty(out, t::kCopyDone); }

void write_negotiate_protocol_version(Bytes& out, i32 newest_minor,
                                      std::span<const std::string> unrecognized_options) {
    PgMessageWriter writer(out, t::kNegotiateProtocolVersion);
    writer.put_i32(newest_minor);
    writer.put_i32(static_cast<i32>(unrecognized_options.size()));
    for (const std::string& option : unrecognized_options) writer.put_cstring(option);
    writer.finish();
}

PgDataRowWriter::PgDataRowWriter(Bytes& out, usize column_count)
    : out_(out), writer_(out, t::kDataRow) {
    KB_ASSERT(column_count <= 0xffff);
    put_be_u16(out_, static_cast<u16>(column_count));
}

// --- decoding ---------------------------------------------------------------------------------

namespace {

using sql::SqlResult;

sql::SqlStatus finish(const PgReader& reader, char type) {
    if (!reader.ok() || !reader.at_end()) {
        return protocol_violation(std::string("invalid backend message '") + type + "'");
    }
    return sql::sql_ok();
}

PgFormat format_of(i16 code) { return code == 0 ? PgFormat::text : PgFormat::binary; }

SqlResult<PgBackendMessage> decode_notice(PgReader& reader, char type) {
    PgNotice notice;
    notice.severity.clear();
    notice.sqlstate.clear();
    while (reader.ok()) {
        const u8 code = reader.get_u8();
        if (code == 0) break;
        const std::string value(reader.get_cstring());
        switch (code) {
            case 'V':
                notice.severity = value;
                break;
            case 'S':
                if (notice.severity.empty()) notice.severity = value;
                break;
            case 'C':
                notice.sqlstate = value;
                break;
            case 'M':
                notice.message = value;
                break;
            case 'D':
                notice.detail = value;
                break;
            case 'H':
                notice.hint = value;
                break;
            case 'W':
                notice.context = value;
                break;
            case 'P': {
                int position = 0;
                std::from_chars(value.data(), value.data() + value.size(), position);
                notice.position = position;
                break;
            }
            default:
                break;  // fields this decoder does not keep (file, line, routine, ...)
        }
    }
    KB_SQL_TRY(finish(reader, type));
    if (type == t::kErrorResponse) return PgBackendMessage(PgErrorResponse{std::move(notice)});
    return PgBackendMessage(PgNoticeResponse{std::move(notice)});
}

SqlResult<PgBackendMessage> decode_authentication(PgReader& reader) {
    PgAuthentication auth;
    const i32 code = reader.get_i32();
    auth.code = static_cast<PgAuthCode>(code);
    switch (auth.code) {
        case PgAuthCode::ok:
        case PgAuthCode::cleartext_password:
            break;
        case PgAuthCode::sasl:
            while (reader.ok()) {
                const std::string_view mechanism = reader.get_cstring();
                if (mechanism.empty()) break;
                auth.mechanisms.emplace_back(mechanism);
            }
            break;
        case PgAuthCode::sasl_continue:
        case PgAuthCode::sasl_final:
            auth.data = copy_of(reader.get_rest());
            break;
        default:
            return protocol_violation("unsupported authentication request " + std::to_string(code));
    }
    KB_SQL_TRY(finish(reader, t::kAuthentication));
    return PgBackendMessage(std::move(auth));
}

SqlResult<PgBackendMessage> decode_row_description(PgReader& reader) {
    PgRowDescription description;
    const usize count = reader.get_u16();
    for (usize i = 0; i < count && reader.ok(); ++i) {
        PgFieldDescription field;
        field.name = std::string(reader.get_cstring());
        field.table_oid = reader.get_u32();
        field.column_number = reader.get_i16();
        field.type_oid = reader.get_u32();
        field.type_length = reader.get_i16();
        field.type_modifier = reader.get_i32();
        field.format = format_of(reader.get_i16());
        description.fields.push_back(std::move(field));
    }
    KB_SQL_TRY(finish(reader, t::kRowDescription));
    return PgBackendMessage(std::move(description));
}

SqlResult<PgBackendMessage> decode_data_row(PgReader& reader) {
    PgDataRow row;
    const usize count = reader.get_u16();
    for (usize i = 0; i < count && reader.ok(); ++i) {
        const i32 length = reader.get_i32();
        if (length < 0) {
            row.values.emplace_back(std::nullopt);
        } else {
            row.values.emplace_back(copy_of(reader.get_bytes(static_cast<usize>(length))));
        }
    }
    KB_SQL_TRY(finish(reader, t::kDataRow));
    return PgBackendMessage(std::move(row));
}

SqlResult<PgBackendMessage> decode_copy_response(PgReader& reader, char type) {
    PgCopyResponse response;
    response.in = type == t::kCopyInResponse;
    response.format = format_of(reader.get_u8());
    const usize count = reader.get_u16();
    for (usize i = 0; i < count && reader.ok(); ++i) {
        response.columns.push_back(format_of(reader.get_i16()));
    }
    KB_SQL_TRY(finish(reader, type));
    return PgBackendMessage(std::move(response));
}

template <class Message>
SqlResult<PgBackendMessage> decode_empty(const PgReader& reader, char type) {
    KB_SQL_TRY(finish(reader, type));
    return PgBackendMessage(Message{});
}

}  // namespace

SqlResult<PgBackendMessage> decode_backend_message(char type, ByteSpan body) {
    PgReader reader(body);
    switch (type) {
        case t::kAuthentication:
            return decode_authentication(reader);
        case t::kParameterStatus: {
            PgParameterStatus status;
            status.name = std::string(reader.get_cstring());
            status.value = std::string(reader.get_cstring());
            KB_SQL_TRY(finish(reader, type));
            return PgBackendMessage(std::move(status));
        }
        case t::kBackendKeyData: {
            PgBackendKeyData key;
            key.process_id = reader.get_i32();
            key.secret_key = reader.get_i32();
            KB_SQL_TRY(finish(reader, type));
            return PgBackendMessage(key);
        }
        case t::kReadyForQuery: {
            const u8 status = reader.get_u8();
            if (status != 'I' && status != 'T' && status != 'E') {
                return protocol_violation("invalid transaction status " + std::to_string(status));
            }
            KB_SQL_TRY(finish(reader, type));
            return PgBackendMessage(PgReadyForQuery{static_cast<PgTransactionStatus>(status)});
        }
        case t::kRowDescription:
            return decode_row_description(reader);
        case t::kDataRow:
            return decode_data_row(reader);
        case t::kCommandComplete: {
            PgCommandComplete complete{std::string(reader.get_cstring())};
            KB_SQL_TRY(finish(reader, type));
            return PgBackendMessage(std::move(complete));
        }
        case t::kEmptyQueryResponse:
            return decode_empty<PgEmptyQueryResponse>(reader, type);
        case t::kErrorResponse:
        case t::kNoticeResponse:
            return decode_notice(reader, type);
        case t::kParseComplete:
            return decode_empty<PgParseComplete>(reader, type);
        case t::kBindComplete:
            return decode_empty<PgBindComplete>(reader, type);
        case t::kCloseComplete:
            return decode_empty<PgCloseComplete>(reader, type);
        case t::kNoData:
            return decode_empty<PgNoData>(reader, type);
        case t::kPortalSuspended:
            return decode_empty<PgPortalSuspended>(reader, type);
        case t::kParameterDescription: {
            PgParameterDescription description;
            const usize count = reader.get_u16();
            for (usize i = 0; i < count && reader.ok(); ++i) {
                description.type_oids.push_back(reader.get_u32());
            }
            KB_SQL_TRY(finish(reader, type));
            return PgBackendMessage(std::move(description));
        }
        case t::kCopyInResponse:
        case t::kCopyOutResponse:
            return decode_copy_response(reader, type);
        case t::kCopyData:
            return PgBackendMessage(PgBackendCopyData{copy_of(body)});
        case t::kCopyDone:
            return decode_empty<PgBackendCopyDone>(reader, type);
        case t::kNegotiateProtocolVersion: {
            PgNegotiateProtocolVersion negotiate;
            negotiate.newest_minor = reader.get_i32();
            const i32 count = reader.get_i32();
            for (i32 i = 0; i < count && reader.ok(); ++i) {
                negotiate.unrecognized_options.emplace_back(reader.get_cstring());
            }
            KB_SQL_TRY(finish(reader, type));
            return PgBackendMessage(std::move(negotiate));
        }
        default:
            return protocol_violation("invalid backend message type " +
                                      std::to_string(static_cast<u8>(type)));
    }
}

}  // namespace kb::server
