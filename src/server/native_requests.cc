// The native protocol's request handlers (native_session.h): streams, appends, reads, SQL and
// attestations, each answered with its response frames or one Error.
#include <algorithm>

#include "db/engine.h"
#include "db/stream_reads.h"
#include "kernel/kernel_reads.h"
#include "server/native_session.h"
#include "server/pg_types.h"
#include "sql/session.h"
#include "storage/digest.h"

namespace kb::server {
namespace {

// Room kept in a frame beyond the data a chunk carries (per-event and per-row overhead is
// counted as it is added; this covers the fixed fields).
constexpr usize kFrameSlack = 1024;

// A stream as of `snapshot`. The shared catalog names the streams, but only the snapshot's
// stream record has the next offset every applied append advanced.
Result<NativeStreamInfo> native_stream_info(const store::Snapshot& snapshot, TenantId tenant,
                                            const kernel::StreamInfo& named) {
    const std::optional<kernel::StreamInfo> current =
        KB_TRY(kernel::reads::stream_info(snapshot, tenant, named.id));
    const kernel::StreamInfo& info = current ? *current : named;
    NativeStreamInfo out;
    out.id = info.id.value();
    out.name = info.name;
    out.data_class = info.data_class;
    out.next_offset = info.next_offset.value();
    if (info.deleted != Position::none()) out.deleted_at = info.deleted.value();
    return out;
}

// The SQL type a parameter of this kind is declared as (null: inferred from the statement).
std::optional<sql::Type> parameter_type(const kernel::Value& value) {
    using kernel::SqlType;
    using kernel::ValueKind;
    switch (value.kind()) {
        case ValueKind::null:
            return std::nullopt;
        case ValueKind::boolean:
            return sql::Type::of(SqlType::boolean);
        case ValueKind::int16:
            return sql::Type::of(SqlType::smallint);
        case ValueKind::int32:
            return sql::Type::of(SqlType::integer);
        case ValueKind::int64:
            return sql::Type::of(SqlType::bigint);
        case ValueKind::float32:
            return sql::Type::of(SqlType::real);
        case ValueKind::float64:
            return sql::Type::of(SqlType::double_precision);
        case ValueKind::numeric:
            return sql::Type::of(SqlType::numeric);
        case ValueKind::text:
            return sql::Type::of(SqlType::text);
        case ValueKind::bytea:
            return sql::Type::of(SqlType::bytea);
        case ValueKind::date:
            return sql::Type::of(SqlType::date);
        case ValueKind::timestamp:
            return sql::Type::of(SqlType::timestamp);
        case ValueKind::timestamptz:
            return sql::Type::of(SqlType::timestamptz);
        case ValueKind::interval:
            return sql::Type::of(SqlType::interval);
        case ValueKind::uuid:
            return sql::Type::of(SqlType::uuid);
        case ValueKind::jsonb:
            return sql::Type::of(SqlType::jsonb);
    }
    return std::nullopt;
}

usize value_bytes(const kernel::Value& value) {
    switch (value.kind()) {
        case kernel::ValueKind::text:
        case kernel::ValueKind::jsonb:
            return 5 + value.as_text().size();
        case kernel::ValueKind::bytea:
            return 5 + value.as_bytea().size();
        case kernel::ValueKind::numeric:
            return 5 + value.as_numeric().digits().size() + 2;
        default:
            return 17;  // a kind byte and at most 16 bytes of fixed-size value
    }
}

}  // namespace

void NativeSession::server_info(u64 request_id) {
    const auto start = host_.transactions().start(login_->tenant);
    send(request_id,
         NativeServerInfoReply{options_.server_version, start.snapshot.applied().value()});
}

void NativeSession::stream_create(u64 request_id, const NativeStreamCreate& request) {
    kernel::CreateStreamOp create;
    create.name = request.name;
    create.data_class = request.data_class;
    submit_write(request_id, WriteKind::stream_create, 0, std::move(create));
}

void NativeSession::stream_list(u64 request_id) {
    const auto start = host_.transactions().start(login_->tenant);
    NativeStreamListReply reply;
    if (start.catalog) {
        for (const auto& [id, named] : start.catalog->streams()) {
            if (named.deleted != Position::none()) continue;
            auto info = native_stream_info(start.snapshot, login_->tenant, named);
            if (!info) return send_status(request_id, info.error());
            reply.streams.push_back(std::move(*info));
        }
    }
    send(request_id, reply);
}

void NativeSession::stream_describe(u64 request_id, const NativeStreamDescribe& request) {
    const auto start = host_.transactions().start(login_->tenant);
    const kernel::StreamInfo* info =
        start.catalog ? start.catalog->find_stream(request.name) : nullptr;
    if (info == nullptr) {
        return send_error(request_id, NativeErrorCode::not_found, true,
                          "stream \"" + request.name + "\" does not exist");
    }
    auto described = native_stream_info(start.snapshot, login_->tenant, *info);
    if (!described) return send_status(request_id, described.error());
    send(request_id, NativeStreamDescribeReply{std::move(*described)});
}

void NativeSession::append(u64 request_id, NativeAppend request) {
    kernel::AppendBatchOp op;
    op.stream = StreamId(request.stream_id);
    if (request.expected_offset) op.expected_offset = Offset(*request.expected_offset);
    op.idempotency = request.idempotency;
    op.events = std::move(request.events);
    const u64 count = op.events.size();
    submit_write(request_id, WriteKind::append, count, std::move(op));
}

void NativeSession::answer_write(FinishedWrite& write) {
    const Result<db::SubmitResult>& result = write.result;
    if (!result) return send_status(write.request_id, result.error());
    if (Status refused = db::status_of_outcome(result->outcome, result->detail); !refused.is_ok()) {
        return send_status(write.request_id, refused);
    }
    switch (write.kind) {
        case WriteKind::stream_create:
            return send(write.request_id, NativeStreamCreated{result->applied.stream.value()});
        case WriteKind::append:
            return send(write.request_id,
                        NativeAppended{result->applied.first_offset.value(),
                                       static_cast<u32>(result->applied.event_count
                                                            ? result->applied.event_count
                                                            : write.events),
                                       result->position.value()});
    }
}

const kernel::StreamInfo* NativeSession::stream_or_not_found(
    u64 request_id, const db::TransactionHost::Start& start, u64 stream_id) {
    const kernel::StreamInfo* info =
        start.catalog ? start.catalog->stream(StreamId(stream_id)) : nullptr;
    if (info == nullptr) {
        send_error(request_id, NativeErrorCode::not_found, true,
                   "stream " + std::to_string(stream_id) + " does not exist");
    }
    return info;
}

void NativeSession::read(u64 request_id, const NativeRead& request) {
    // One snapshot for the whole read: the chunks agree with each other.
    const auto start = host_.transactions().start(login_->tenant);
    const kernel::StreamInfo* info = stream_or_not_found(request_id, start, request.stream_id);
    if (info == nullptr) return;
    auto current = native_stream_info(start.snapshot, login_->tenant, *info);
    if (!current) return send_status(request_id, current.error());
    const u64 end = current->next_offset;
    const u64 limit =
        request.max_events == 0 ? end : std::min(end, request.from_offset + request.max_events);
    u64 next = request.from_offset;
    do {
        NativeEvents chunk;
        if (next < limit) {
            auto events =
                events_chunk(start.snapshot, StreamId(request.stream_id), next, limit - next);
            if (!events) return send_status(request_id, events.error());
            chunk = std::move(*events);
            // An empty chunk: nothing more as of this snapshot.
            next = chunk.events.empty() ? limit : chunk.next_offset;
        }
        chunk.next_offset = std::max(next, request.from_offset);
        send(request_id, chunk, next < limit ? kNativeFlagMore : u16{0});
    } while (next < limit);
}

Result<NativeEvents> NativeSession::events_chunk(const store::Snapshot& snapshot, StreamId stream,
                                                 u64 from, u64 max_count) {
    // The events come from the log's records of their appends, read through its verified read
    // path and checked against the store's record of each append (db/stream_reads.h).
    auto events =
        KB_TRY(db::read_stream_events(host_.transactions(), snapshot, login_->tenant, stream,
                                      Offset(from), options_.max_frame_body / 2, max_count));
    NativeEvents chunk;
    chunk.next_offset = from;
    usize bytes = kFrameSlack;
    for (auto& event : events) {
        bytes += 20 + event.data.size();
        if (bytes > options_.max_frame_body) {
            return Status::out_of_range("event " + std::to_string(event.offset.value()) +
                                        " is larger than a frame");
        }
        chunk.next_offset = event.offset.value() + 1;
        chunk.events.push_back(
            NativeEvent{event.offset.value(), event.position.value(), std::move(event.data)});
    }
    return chunk;
}

void NativeSession::query(u64 request_id, const NativeQuery& request) {
    if (!sql_) {
        sql::SessionOptions options;
        options.database_name = login_->database;
        options.user_name = login_->user;
        sql_ = std::make_unique<sql::Session>(host_.transactions(), login_->tenant,
                                              login_->principal, options);
    }
    auto sql_error = [&](const sql::SqlError& error) {
        send_error(request_id, NativeErrorCode::sql_error, true, error.message, error.sqlstate);
    };
    std::vector<std::optional<sql::Type>> declared;
    declared.reserve(request.parameters.size());
    for (const kernel::Value& value : request.parameters) declared.push_back(parameter_type(value));
    auto prepared = sql_->prepare(request.sql, declared);
    if (!prepared) return sql_error(prepared.error());
    auto result = sql_->execute_prepared(**prepared, request.parameters);
    if (!result) return sql_error(result.error());
    if (result->copy) {
        if (result->copy->from) sql_->copy_fail("COPY is not available over the native protocol");
        return send_error(request_id, NativeErrorCode::invalid_argument, true,
                          "COPY is not available over the native protocol: use pgwire");
    }

    NativeRows rows;
    if (result->returns_rows) {
        for (const sql::ResultColumn& column : result->columns) {
            rows.columns.push_back(NativeColumn{column.name,
                                                column.type.unknown
                                                    ? kernel::ValueKind::text
                                                    : kernel::value_kind_of(column.type.id()),
                                                pg_type_oid(column.type)});
        }
    }
    // Rows go in frames of about half the maximum body, so a frame never overflows.
    const usize chunk_bytes = options_.max_frame_body / 2;
    usize bytes = kFrameSlack;
    for (sql::Row& row : result->rows) {
        usize row_bytes = 4;
        for (const kernel::Value& value : row) row_bytes += value_bytes(value);
        if (row_bytes + kFrameSlack > options_.max_frame_body) {
            return send_error(request_id, NativeErrorCode::too_large, true,
                              "a result row is larger than a frame");
        }
        if (bytes + row_bytes > chunk_bytes && !rows.rows.empty()) {
            send(request_id, rows, kNativeFlagMore);
            rows = NativeRows{};
            bytes = kFrameSlack;
        }
        bytes += row_bytes;
        rows.rows.push_back(std::move(row));
    }
    rows.tag = result->tag;
    send(request_id, rows);
}

void NativeSession::attest(u64 request_id, bool make_new) {
    if (!login_->superuser) {
        return send_error(request_id, NativeErrorCode::permission_denied, true,
                          "only a superuser may ask for attestations");
    }
    if (make_new) {
        auto digest = host_.transactions().attest_digest();
        if (!digest) return send_status(request_id, digest.error());
        return send(request_id, NativeAttestation{storage::encode_digest_json(*digest)});
    }
    auto digest = host_.transactions().newest_digest();
    if (!digest) return send_status(request_id, digest.error());
    if (!*digest) {
        return send_error(request_id, NativeErrorCode::not_found, true,
                          "the log holds no attestation yet (ask for one with kmb attest)");
    }
    send(request_id, NativeAttestation{storage::encode_digest_json(**digest)});
}

}  // namespace kb::server
