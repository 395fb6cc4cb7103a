// Log reads: records by position, each checked, linked to the chain, and bound to something
// the log trusts (log.h, "Trust").
//
// A read walks forward from a chain hash it can start from (an index anchor, or the chain
// hashes the previous attested read left in run_), computing chain_hash(n) = SHA-256(
// chain_hash(n - 1) || header(n)) and checking each record's previous_chain_hash against it,
// and each chain hash the summaries claim (index anchors, segment ends) on the way. Where it
// may stop depends on the last record returned:
//   * at or below the attested position: at a chain hash a verified attestation vouches for,
//     at or after that record — the attested hash itself, a claim inside a verified span, or
//     run_ — walking on through headers if need be. A match proves every header walked (and
//     the starting claim) is the one the attestation vouches for, so the span grows down to
//     where the walk started: the first read far below the anchor walks every header up to it
//     (~0.1 µs each here), later ones at most to the next index anchor (64 records), sequential
//     ones nothing (run_).
//   * above it: at the next record's link, the segment's last chain hash or the durable chain
//     hash, as the log computed them (at open, or from appended bytes).
#include <algorithm>
#include <optional>

#include "base/assert.h"
#include "storage/log.h"
#include "storage/log_walker.h"
#include "storage/segment_reader.h"

namespace kb::storage {

namespace {

// Chain hashes kept past a read's last record for the next one (32 + 8 bytes each).
constexpr usize kRunLengthMax = 1024;

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

const ComplianceHash* Log::claimed_chain_hash(usize segment, Position position) const {
    const SegmentSummary& summary = summaries_[segment];
    if (position == summary.last_position) return &summary.last_chain_hash;
    // Anchors sit at the segment's first position and every kIndexStride-th after it.
    const u64 index = position.value() + 1 - summary.first_position.value();
    if (index % kIndexStride != 0) return nullptr;
    const u64 anchor = index / kIndexStride;
    if (anchor >= summary.anchors.size() || summary.anchors[anchor].position != position.next()) {
        return nullptr;
    }
    return &summary.anchors[anchor].previous_chain_hash;
}

const Log::VerifiedSpan* Log::span_holding(Position position) const {
    for (const VerifiedSpan& span : verified_) {
        if (position < span.low) return nullptr;
        if (position <= span.high) return &span;
    }
    return nullptr;
}

const ComplianceHash* Log::verified_chain_hash(usize segment, Position position) const {
    if (run_.segment == segment && run_.holds(position)) {
        return &run_.hashes[position.value() - run_.first.value()];
    }
    const VerifiedSpan* span = span_holding(position);
    if (span == nullptr) return nullptr;
    if (position == span->high) return &span->high_chain_hash;
    return claimed_chain_hash(segment, position);
}

void Log::merge_verified(Position low, Position high) {
    const VerifiedSpan* holder = span_holding(high);
    KB_ASSERT(holder != nullptr);  // run_ lies inside a span
    VerifiedSpan merged = *holder;
    merged.low = std::min(merged.low, low);
    std::vector<VerifiedSpan> spans;
    spans.reserve(verified_.size());
    for (const VerifiedSpan& span : verified_) {
        // Overlapping spans join. Merely adjacent ones do not: the claims at the lower one's
        // high end (the index anchor right after it) were never compared.
        if (span.high >= merged.low && span.low <= merged.high) {
            merged.low = std::min(merged.low, span.low);
            if (span.high > merged.high) {
                merged.high = span.high;
                merged.high_chain_hash = span.high_chain_hash;
                merged.attestation_position = span.attestation_position;
            }
        } else {
            spans.push_back(span);
        }
    }
    spans.insert(std::upper_bound(
                     spans.begin(), spans.end(), merged,
                     [](const VerifiedSpan& a, const VerifiedSpan& b) { return a.low < b.low; }),
                 merged);
    verified_ = std::move(spans);
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
    std::vector<Bytes> records;
    Status walked = walk(from, to, max_bytes, &records);
    if (!walked.is_ok()) {
        if (trust_anchor_ && from <= attested_position() &&
            walked.code() == StatusCode::corruption) {
            return walked.with_context("position " + to_string(from) +
                                       " cannot be verified against the attestation at position " +
                                       to_string(trust_anchor_->attestation_position));
        }
        return walked;
    }
    return records;
}

Status Log::walk(Position from, Position to, u64 max_bytes, std::vector<Bytes>* out) {
    const Position attested = attested_position();

    // Where to start: the chain hash of from - 1 if the last attested read left it, else the
    // index anchor at or before `from`.
    usize segment = segment_of(summaries_, from);
    Position position;
    ComplianceHash chain;
    u64 offset = 0;
    if (run_.segment == segment && run_.holds(from.prev())) {
        const usize index = static_cast<usize>(from.prev().value() - run_.first.value());
        position = from;
        chain = run_.hashes[index];
        offset = run_.next_offsets[index];
    } else {
        const IndexAnchor& anchor = summaries_[segment].anchor_for(from);
        position = anchor.position;
        chain = anchor.previous_chain_hash;
        offset = anchor.offset;
        if (position == summaries_[segment].first_position &&
            (chain != summaries_[segment].previous_chain_hash ||
             (segment > 0 && chain != summaries_[segment - 1].last_chain_hash))) {
            return link_error(segment_path(summaries_[segment].segment_number), position,
                              "segment does not chain to the previous one");
        }
    }
    const Position walk_start = position.prev();  // chain == chain_hash(walk_start)

    auto walker_for = [&](usize index) {
        return RecordWalker(storage_, segments_[index].file, segments_[index].capacity_bytes,
                            segment_path(summaries_[index].segment_number));
    };
    std::optional<RecordWalker> walker;
    walker.emplace(walker_for(segment));

    bool taking = true;  // still taking records into *out
    u64 taken = 0;
    u64 bytes_total = 0;
    Position last_taken;
    ComplianceHash last_taken_chain;
    u64 last_taken_next_offset = 0;
    usize last_taken_segment = 0;
    bool proven_any = false;  // a chain hash matched one an attestation vouches for
    Position proven;          // the last such position
    bool proven_by_run = false;
    VerifiedRun next_run;  // what run_ becomes after an attested read
    auto remember = [&](usize at_segment, Position at, const ComplianceHash& hash, u64 next) {
        if (next_run.segment != at_segment || (!next_run.empty() && at != next_run.last().next())) {
            next_run = VerifiedRun{};
            next_run.segment = at_segment;
        }
        if (next_run.hashes.size() >= kRunLengthMax) return;
        if (next_run.empty()) next_run.first = at;
        next_run.hashes.push_back(hash);
        next_run.next_offsets.push_back(next);
    };

    while (true) {
        if (position > summaries_[segment].last_position) {
            // Continue in the next segment, which must start where this one ended.
            if (segment + 1 == summaries_.size()) {
                return Status::internal("log read walked past the end of the log at position " +
                                        to_string(position));
            }
            const SegmentSummary& next = summaries_[segment + 1];
            if (next.previous_chain_hash != chain ||
                (!next.anchors.empty() && next.anchors.front().previous_chain_hash != chain)) {
                return link_error(segment_path(next.segment_number), position,
                                  "segment does not chain to the previous one");
            }
            ++segment;
            walker.emplace(walker_for(segment));
            offset = segments_[segment].records_offset;
        }
        WalkStep step = KB_TRY(walker->header_at(offset));
        if (step.outcome != ScanOutcome::record) {
            return link_error(walker->path(), position,
                              step.problem.empty() ? "record missing" : step.problem);
        }
        if (step.header.position != position || step.header.previous_chain_hash != chain) {
            return link_error(walker->path(), position, "record does not link to the chain");
        }
        if (taking && position >= from) {
            const u64 size = kRecordHeaderSize + step.header.payload_length;
            if (out != nullptr && taken > 0 && bytes_total + size > max_bytes) {
                taking = false;  // this record is walked (its link checked), not returned
            } else {
                if (out != nullptr) {
                    Bytes record;
                    KB_TRY(walker->read_record(offset, step, &record));
                    out->push_back(std::move(record));
                }
                ++taken;
                bytes_total += size;
                last_taken = position;
                if (position == to) taking = false;
            }
        }
        chain = chain_hash_next(chain, step.header_bytes);
        offset = step.next_offset;
        if (last_taken == position) {
            last_taken_chain = chain;
            last_taken_next_offset = offset;
            last_taken_segment = segment;
        }
        // Every claim passed is compared, also where an attested hash decides: a span's
        // claims are all verified only if each was compared with the computed chain.
        const ComplianceHash* verified = verified_chain_hash(segment, position);
        if (verified != nullptr && *verified != chain) {
            const VerifiedSpan* span = span_holding(position);
            return link_error(
                walker->path(), position,
                "chain hash differs from the one the attestation at position " +
                    (span ? to_string(span->attestation_position) : std::string("?")) +
                    " vouches for (a record at or before this one was altered)");
        }
        if (const ComplianceHash* claimed = claimed_chain_hash(segment, position);
            claimed != nullptr && claimed != verified && *claimed != chain) {
            return link_error(walker->path(), position,
                              "chain hash differs from the one the log's index holds for it");
        }
        if (verified != nullptr) {
            proven_any = true;
            proven = position;
            proven_by_run = run_.segment == segment && run_.holds(position);
        }
        if (!taking) {
            if (last_taken > attested) {
                // Bound to the durable chain. When the walk already went one record further
                // (the byte budget stopped it there), that record's link was the check.
                if (position == last_taken) {
                    if (last_taken == durable_position_) {
                        if (chain != durable_chain_hash_) {
                            return link_error(walker->path(), last_taken,
                                              "chain hash differs from the log's");
                        }
                    } else if (last_taken != summaries_[segment].last_position) {
                        // (A segment's end was compared with its last chain hash above.)
                        WalkStep next = KB_TRY(walker->header_at(offset));
                        if (next.outcome != ScanOutcome::record ||
                            next.header.previous_chain_hash != chain) {
                            return link_error(walker->path(), last_taken,
                                              "the next record does not chain to this one");
                        }
                    }
                }
                break;
            }
            // Attested: walk on to a chain hash the attestation vouches for.
            if (next_run.empty() && last_taken_segment == segment) {
                remember(segment, last_taken, last_taken_chain, last_taken_next_offset);
            }
            if (position > last_taken) {
                remember(segment, position, chain, offset);
                ++trust_walk_records_;
            }
            if (proven_any && proven >= last_taken) break;
        }
        position = position.next();
    }

    if (proven_any) {
        if (last_taken <= attested) {
            // The old run's hashes past where this walk stopped still follow on.
            if (proven_by_run && !next_run.empty() && next_run.segment == run_.segment &&
                next_run.last() == proven) {
                for (u64 at = proven.value() + 1; at <= run_.last().value(); ++at) {
                    const usize index = static_cast<usize>(at - run_.first.value());
                    if (next_run.hashes.size() >= kRunLengthMax) break;
                    next_run.hashes.push_back(run_.hashes[index]);
                    next_run.next_offsets.push_back(run_.next_offsets[index]);
                }
            }
            run_ = std::move(next_run);
        }
        merge_verified(walk_start, proven);
    }
    return Status::ok();
}

}  // namespace kb::storage
