// verify_events: served events checked against the appends the log holds (event_verification.h).
#include "db/event_verification.h"

#include <algorithm>
#include <string>
#include <vector>

namespace kb::db {
namespace {

// Positions whose records one host call reads: a chunk of many small appends (a frame holds up
// to 8 MiB of events) is read in several loop turns, so writes are not held up for all of it,
// and only these records are held at once.
constexpr usize kPositionsPerRead = 1024;

std::string where(StreamId stream, Offset offset, Position position) {
    return "stream " + std::to_string(stream.value()) + " offset " +
           std::to_string(offset.value()) + " (log position " + to_string(position) + ")";
}

// The offset of the first event of the append at `position` that wrote `event` (its offset is
// `offset`; the append holds `count` events): the smallest offset of the stream stored with
// that position, at most count - 1 below `offset`. Positions grow with offsets (appends apply in
// log order), so the events of one append are consecutive.
Result<Offset> first_offset_of_append(const store::Snapshot& snapshot, TenantId tenant,
                                      StreamId stream, Offset offset, Position position,
                                      u64 count) {
    const u64 lowest = offset.value() >= count - 1 ? offset.value() - (count - 1) : 0;
    if (lowest == offset.value()) return offset;
    // The usual case, a chunk starting where an append starts: the event before it was written
    // by another append, and nothing further back needs reading.
    auto previous = KB_TRY(kernel::reads::read_events(snapshot, tenant, stream,
                                                      Offset(offset.value() - 1), ~u64{0}, 1));
    if (previous.empty() || previous.front().position != position) return offset;
    auto before = KB_TRY(kernel::reads::read_events(snapshot, tenant, stream, Offset(lowest),
                                                    ~u64{0}, offset.value() - lowest));
    for (const kernel::reads::Event& event : before) {
        if (event.offset < offset && event.position == position) return event.offset;
    }
    return offset;
}

}  // namespace

Status verify_events(TransactionHost& host, const store::Snapshot& snapshot, TenantId tenant,
                     StreamId stream, std::span<const kernel::reads::Event> events) {
    if (events.empty()) return Status::ok();
    // The chunk's distinct positions, in offset order (which is position order).
    std::vector<Position> positions;
    for (usize i = 0; i < events.size(); ++i) {
        if (i > 0 && events[i].offset != events[i - 1].offset.advanced_by(1)) {
            return Status::corruption(where(stream, events[i].offset, events[i].position) +
                                      ": the store skips offsets after " +
                                      std::to_string(events[i - 1].offset.value()));
        }
        if (!positions.empty() && events[i].position == positions.back()) continue;
        if (!positions.empty() && events[i].position < positions.back()) {
            return Status::corruption(where(stream, events[i].offset, events[i].position) +
                                      ": the store holds it with a position below its "
                                      "predecessor's");
        }
        positions.push_back(events[i].position);
    }
    std::vector<LoggedAppend> logged;
    usize logged_from = 0;  // the index in `positions` of logged[0]
    usize next = 0;         // the chunk's first event not yet checked
    for (usize group = 0; group < positions.size(); ++group) {
        if (group == logged_from + logged.size()) {
            // The next positions' records, a bounded number per host call.
            logged_from = group;
            const usize count = std::min(kPositionsPerRead, positions.size() - group);
            logged = KB_TRY(host.logged_appends(std::span(positions).subspan(group, count)));
            if (logged.size() != count) {
                return Status::internal("the log returned " + std::to_string(logged.size()) +
                                        " appends for " + std::to_string(count) + " positions");
            }
        }
        const Position position = positions[group];
        const LoggedAppend& record = logged[group - logged_from];
        const kernel::reads::Event& first = events[next];
        if (record.position != position) {
            return Status::internal("the log returned position " + to_string(record.position) +
                                    " for " + to_string(position));
        }
        if (!record.append || record.tenant != tenant || record.append->stream != stream) {
            return Status::corruption(where(stream, first.offset, position) +
                                      ": the log's record at that position is not an append "
                                      "to this stream");
        }
        const std::vector<Bytes>& appended = record.append->events;
        if (appended.empty()) {
            return Status::corruption(where(stream, first.offset, position) +
                                      ": the log's append at that position holds no events");
        }
        // Only the chunk's first append may have started before the chunk.
        const Offset start =
            group == 0 ? KB_TRY(first_offset_of_append(snapshot, tenant, stream, first.offset,
                                                       position, appended.size()))
                       : first.offset;
        for (; next < events.size() && events[next].position == position; ++next) {
            const kernel::reads::Event& event = events[next];
            const u64 index = event.offset.value() - start.value();
            if (index >= appended.size()) {
                return Status::corruption(where(stream, event.offset, position) +
                                          ": the log's append at that position holds only " +
                                          std::to_string(appended.size()) + " events from offset " +
                                          std::to_string(start.value()));
            }
            if (event.data != appended[index]) {
                return Status::corruption(
                    where(stream, event.offset, position) + ": the event differs from event " +
                    std::to_string(index) + " of the append the log holds at that position");
            }
        }
        // An append that does not end the chunk must end inside it.
        const u64 served = events[next - 1].offset.value() - start.value() + 1;
        if (next < events.size() && served != appended.size()) {
            return Status::corruption(where(stream, events[next - 1].offset, position) +
                                      ": the store holds " + std::to_string(served) +
                                      " events of an append the log holds with " +
                                      std::to_string(appended.size()));
        }
    }
    return Status::ok();
}

}  // namespace kb::db
