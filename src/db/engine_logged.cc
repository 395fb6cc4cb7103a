// Engine::logged_appends: ops read back from the log through its verified read path, for
// reading the events of a stream where the store says they are (stream_reads.h).
#include <utility>

#include "db/engine.h"
#include "kernel/op_codec.h"
#include "storage/record_builder.h"

namespace kb::db {
namespace {

// Record bytes one log read may return: bounds what a run of positions holds in memory at once
// (a read returns at least one record, however large).
constexpr u64 kReadBytes = 4 * 1024 * 1024;

}  // namespace

Result<std::vector<LoggedAppend>> Engine::logged_appends(std::span<const Position> positions) {
    std::vector<LoggedAppend> out;
    out.reserve(positions.size());
    usize next = 0;
    while (next < positions.size()) {
        // A run of consecutive positions is read together.
        usize end = next + 1;
        while (end < positions.size() && positions[end] == positions[end - 1].next()) ++end;
        Position from = positions[next];
        const Position last = positions[end - 1];
        while (next < end) {
            auto read = log_->read(from, last, kReadBytes);
            if (!read) {
                // Callers ask for applied positions, which are durable: a refusal for range is
                // not the caller's request being too large but the log disagreeing.
                if (read.status().code() == StatusCode::out_of_range) {
                    return Status::internal(read.status().message());
                }
                return read.status();
            }
            std::vector<Bytes> records = std::move(*read);
            if (records.empty()) {
                return Status::corruption("log position " + to_string(from) +
                                          ": the log returned no record");
            }
            for (const Bytes& bytes : records) {
                if (next == end) break;
                const Position position = positions[next];
                auto record = KB_TRY(storage::parse_record(bytes));
                if (record.header.position != position) {
                    return Status::corruption("log position " + to_string(position) +
                                              ": the log returned the record of position " +
                                              to_string(record.header.position));
                }
                LoggedAppend logged;
                logged.position = position;
                if (record.header.kind == storage::RecordKind::op) {
                    auto payload = KB_TRY(storage::open_record_payload(record, &keys_));
                    auto op = KB_TRY(kernel::decode_op(payload));
                    if (op.tenant != record.header.tenant) {
                        return Status::corruption("log position " + to_string(position) +
                                                  ": the op's tenant differs from its record's");
                    }
                    logged.tenant = op.tenant;
                    if (auto* append = std::get_if<kernel::AppendBatchOp>(&op.body)) {
                        logged.append = std::move(*append);
                    }
                }
                out.push_back(std::move(logged));
                ++next;
            }
            if (next < end) from = positions[next];
        }
    }
    return out;
}

}  // namespace kb::db
