// Log reads: records by position, each checked and linked to the chain.
#include <algorithm>
#include <optional>

#include "base/assert.h"
#include "storage/log.h"
#include "storage/segment_reader.h"

namespace kb::storage {

namespace {

// The segment holding `position` (which must be in the log).
usize segment_of(const std::vector<SegmentSummary>& summaries, Position position) {
    auto after = std::upper_bound(
        summaries.begin(), summaries.end(), position,
        [](Position p, const SegmentSummary& summary) { return p < summary.first_position; });
    KB_ASSERT(after != summaries.begin());
    return static_cast<usize>(after - summaries.begin()) - 1;
}

Status link_error(const std::string& path, Position position, const std::string& what) {
    return Status::corruption(path + " position " + to_string(position) + ": " + what);
}

}  // namespace

Result<u64> Log::find_offset(usize segment, Position position) {
    const SegmentSummary& summary = summaries_[segment];
    const IndexAnchor& anchor = summary.anchor_for(position);
    SegmentHeader header;
    header.segment_number = summary.segment_number;
    header.first_position = summary.first_position;
    SegmentReader reader =
        SegmentReader::borrow(storage_, segments_[segment].file, segments_[segment].capacity_bytes,
                              header, segment_path(summary.segment_number));
    u64 offset = anchor.offset;
    for (Position at = anchor.position; at < position; at = at.next()) {
        ScanStep step = KB_TRY(reader.read_header_at(offset));
        if (step.outcome != ScanOutcome::record || step.header.position != at) {
            return link_error(
                reader.path(), at,
                step.problem.empty() ? "record not where the index says" : step.problem);
        }
        offset = step.next_offset;
    }
    return offset;
}

Result<std::vector<Bytes>> Log::read(Position from, Position to, u64 max_bytes) {
    if (!failure_.is_ok()) return failure_;
    if (from == Position::none() || from > durable_position_) {
        return Status::out_of_range("read from position " + to_string(from) +
                                    ": the log's durable records are 1.." +
                                    to_string(durable_position_));
    }
    to = std::min(to, durable_position_);
    if (to < from) {
        return Status::invalid_argument("read range " + to_string(from) + ".." + to_string(to) +
                                        " is empty");
    }

    usize segment = segment_of(summaries_, from);
    const IndexAnchor& anchor = summaries_[segment].anchor_for(from);
    Position position = anchor.position;
    ComplianceHash chain = anchor.previous_chain_hash;
    u64 offset = anchor.offset;
    std::vector<Bytes> records;
    u64 bytes_total = 0;

    auto reader_for = [&](usize index) {
        SegmentHeader header;
        header.segment_number = summaries_[index].segment_number;
        header.first_position = summaries_[index].first_position;
        return SegmentReader::borrow(storage_, segments_[index].file,
                                     segments_[index].capacity_bytes, header,
                                     segment_path(header.segment_number));
    };
    std::optional<SegmentReader> reader_slot;
    reader_slot.emplace(reader_for(segment));
    while (position <= to) {
        if (position > summaries_[segment].last_position) {
            // Continue in the next segment, which must start where this one ended.
            if (summaries_[segment + 1].previous_chain_hash != chain) {
                return link_error(segment_path(summaries_[segment + 1].segment_number), position,
                                  "segment does not chain to the previous one");
            }
            ++segment;
            reader_slot.reset();
            reader_slot.emplace(reader_for(segment));
            offset = kSegmentRecordsOffset;
        }
        const bool wanted = position >= from;
        SegmentReader& reader = *reader_slot;
        ScanStep step = KB_TRY(wanted ? reader.read_at(offset) : reader.read_header_at(offset));
        if (step.outcome != ScanOutcome::record) {
            return link_error(reader.path(), position,
                              step.problem.empty() ? "record missing" : step.problem);
        }
        if (step.header.position != position || step.header.previous_chain_hash != chain) {
            return link_error(reader.path(), position, "record does not link to the chain");
        }
        if (wanted) {
            const u64 size = kRecordHeaderSize + step.sealed_payload.size();
            if (!records.empty() && bytes_total + size > max_bytes) break;
            Bytes record(step.header_bytes.begin(), step.header_bytes.end());
            record.insert(record.end(), step.sealed_payload.begin(), step.sealed_payload.end());
            records.push_back(std::move(record));
            bytes_total += size;
        }
        chain = chain_hash_next(chain, step.header_bytes);
        offset = step.next_offset;
        position = position.next();
    }

    // The last record read is bound by what follows it: the next record's link, or the
    // chain hash the log holds for its segment's end.
    SegmentReader& reader = *reader_slot;
    const Position last_read = position.prev();
    if (last_read == durable_position_) {
        if (chain != durable_chain_hash_) {
            return link_error(reader.path(), last_read, "chain hash differs from the log's");
        }
    } else if (last_read == summaries_[segment].last_position) {
        if (chain != summaries_[segment].last_chain_hash) {
            return link_error(reader.path(), last_read, "chain hash differs from the log's");
        }
    } else {
        ScanStep next = KB_TRY(reader.read_header_at(offset));
        if (next.outcome != ScanOutcome::record || next.header.previous_chain_hash != chain) {
            return link_error(reader.path(), last_read,
                              "the next record does not chain to this one");
        }
    }
    return records;
}

}  // namespace kb::storage
