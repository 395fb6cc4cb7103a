// read_stream_events: a stream's events from the log, where the store says they are
// (stream_reads.h).
#include "db/stream_reads.h"

#include <algorithm>
#include <string>

namespace kb::db {
namespace {

// Positions whose records one host call reads: a read of many small appends is done in several
// loop turns, so writes are not held up for all of it.
constexpr usize kPositionsPerRead = 1024;

std::string where(StreamId stream, const kernel::reads::AppendRun& run) {
    return "stream " + std::to_string(stream.value()) + " offsets " +
           std::to_string(run.first.value()) + ".." + std::to_string(run.end().value() - 1) +
           " (log position " + to_string(run.append.position) + ")";
}

// The runs must tile the stream: each starts where the one before ends, at a later position
// (appends apply in log order).
Status check_runs(StreamId stream, std::span<const kernel::reads::AppendRun> runs) {
    for (usize i = 1; i < runs.size(); ++i) {
        if (runs[i].first != runs[i - 1].end()) {
            return Status::corruption(where(stream, runs[i]) + ": the store's appends skip from " +
                                      std::to_string(runs[i - 1].end().value()));
        }
        if (runs[i].append.position <= runs[i - 1].append.position) {
            return Status::corruption(where(stream, runs[i]) +
                                      ": the store records it at a position not after its "
                                      "predecessor's");
        }
    }
    return Status::ok();
}

// The log's record of `run` checked against the store's: an append to the stream, with the
// count and digest the store recorded.
Status check_logged(TenantId tenant, StreamId stream, const kernel::reads::AppendRun& run,
                    const LoggedAppend& record) {
    if (record.position != run.append.position) {
        return Status::internal("the log returned position " + to_string(record.position) +
                                " for " + to_string(run.append.position));
    }
    if (!record.append || record.tenant != tenant || record.append->stream != stream) {
        return Status::corruption(where(stream, run) +
                                  ": the log's record at that position is not an append to this "
                                  "stream");
    }
    const std::vector<Bytes>& events = record.append->events;
    if (events.size() != run.append.count) {
        return Status::corruption(where(stream, run) + ": the log's append holds " +
                                  std::to_string(events.size()) + " events, the store records " +
                                  std::to_string(run.append.count));
    }
    if (kernel::trees::events_digest(events) != run.append.digest) {
        return Status::corruption(where(stream, run) +
                                  ": the log's events differ from the digest the store records");
    }
    return Status::ok();
}

}  // namespace

Result<std::vector<kernel::reads::Event>> read_stream_events(TransactionHost& host,
                                                             const store::Snapshot& snapshot,
                                                             TenantId tenant, StreamId stream,
                                                             Offset from, u64 max_bytes,
                                                             u64 max_count) {
    std::vector<kernel::reads::Event> events;
    const auto runs =
        KB_TRY(kernel::reads::append_runs(snapshot, tenant, stream, from, max_bytes, max_count));
    KB_TRY(check_runs(stream, runs));
    u64 bytes = 0;
    std::vector<Position> positions;
    for (usize group = 0; group < runs.size(); group += kPositionsPerRead) {
        const usize count = std::min(kPositionsPerRead, runs.size() - group);
        positions.clear();
        for (usize i = group; i < group + count; ++i) positions.push_back(runs[i].append.position);
        auto logged = KB_TRY(host.logged_appends(positions));
        if (logged.size() != count) {
            return Status::internal("the log returned " + std::to_string(logged.size()) +
                                    " appends for " + std::to_string(count) + " positions");
        }
        for (usize i = 0; i < count; ++i) {
            const kernel::reads::AppendRun& run = runs[group + i];
            KB_TRY(check_logged(tenant, stream, run, logged[i]));
            std::vector<Bytes>& appended = logged[i].append->events;
            const u64 skip = from > run.first ? from.value() - run.first.value() : 0;
            for (u64 index = skip; index < appended.size(); ++index) {
                Bytes& data = appended[index];
                if (!events.empty() &&
                    (events.size() == max_count || bytes + data.size() > max_bytes)) {
                    return events;
                }
                bytes += data.size();
                events.push_back(kernel::reads::Event{run.first.advanced_by(index),
                                                      run.append.position, std::move(data)});
            }
        }
    }
    return events;
}

}  // namespace kb::db
