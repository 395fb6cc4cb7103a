// Log recovery: what Log::open does before the first append (see log.h for the contract).
//
//  1. List the segment files; their numbers must run 1..N.
//  2. Read every segment header and both durability-mark slots; the newest valid mark (by
//     sequence) says up to which position records were acknowledged through marks. A torn or
//     damaged slot in the newest segments makes that uncertain: a newer mark may have existed.
//  3. Read the tail mirrors of the segments from the mark's on that the mark does not cover
//     (mark sequence at least the newest mark's), and summarise each segment: sealed segments
//     below the mark from their index file when it is intact and agrees with its neighbours,
//     every other segment by scanning it. Beyond the mark, where the scan reaches a mirror's
//     first position at its offset and the mirror's first record links to the chain there,
//     the scan takes the mirror's records (a flush that was completely durable in its mirror,
//     so it may have been acknowledged) and goes on after them.
//  4. Walk the positions in order. Damage at or below the mark is acknowledged data lost:
//     reported (faulty). A mirrored flush the walk reaches is kept, and its main copy restored
//     from the mirror (written and synced) where they differ. Beyond that nothing was
//     acknowledged: the log is cut before the first damaged or missing record, and, when the
//     mark is certain, right after the mark or the last mirrored flush.
//  5. Make the cut durable: later segments removed, the tail's stale bytes zeroed, a new mark
//     written and synced (also whenever a mirror the old mark did not cover exists, so that
//     from now on every mirror on disk is covered), so a later crash cannot resurrect what was
//     cut.
#include <algorithm>
#include <map>

#include "base/assert.h"
#include "storage/io_group.h"
#include "storage/log.h"
#include "storage/segment_reader.h"
#include "storage/tail_mirror.h"

namespace kb::storage {

namespace {

// A mirror the scan took records from.
struct MirrorUse {
    const TailMirror* mirror = nullptr;
    // The first record whose main copy differs from the mirror (none: the main copy is
    // byte-identical, nothing to restore).
    Position first_differing;
};

// What scanning (or an index) says about one segment.
struct SegmentScan {
    SegmentSummary summary;
    std::vector<MirrorUse> mirror_uses;                              // by position
    std::vector<std::pair<Position, std::string>> damaged_payloads;  // header fine, payload not
    u64 damaged_payload_offset_first = 0;
    // Why the records stopped: empty when they simply ran out (zero bytes or end of file).
    std::string stop_problem;
    u64 stop_offset = 0;
    bool from_index = false;
};

// The mirror in `mirrors` that continues the chain at `position` (beyond `mark`), starting at
// `offset` after chain hash `chain`; nullptr when none does.
const TailMirror* mirror_continuing(const std::vector<TailMirror>& mirrors, Position mark,
                                    Position position, u64 offset, const ComplianceHash& chain) {
    if (position <= mark) return nullptr;
    for (const TailMirror& mirror : mirrors) {
        if (mirror.continues(position, offset, chain)) return &mirror;
    }
    return nullptr;
}

// The first record of `mirror` whose bytes in the main copy differ (none: all identical).
Result<Position> first_differing(SegmentReader& reader, const TailMirror& mirror) {
    const u64 end = mirror.header.offset + mirror.header.length;
    Bytes main(static_cast<usize>(mirror.header.length));
    if (end <= reader.file_size()) {
        KB_TRY(reader.read_exact(mirror.header.offset, main));
    } else {
        return mirror.header.first_position;  // the main copy is cut short
    }
    for (usize i = 0; i < mirror.records.size(); ++i) {
        const ByteSpan copy = mirror.record_bytes(i);
        const usize at = static_cast<usize>(mirror.records[i].offset - mirror.header.offset);
        if (!std::equal(copy.begin(), copy.end(), main.begin() + static_cast<std::ptrdiff_t>(at))) {
            return mirror.records[i].position;
        }
    }
    return Position::none();
}

// Scans records from the start of the segment until the records run out or stop linking.
// Records must continue `first`/`previous` (the segment header's claims); a record with a
// valid checksum that does not link (a stale or misdirected record) ends the scan like damage.
// Beyond `mark`, a mirror in `mirrors` that continues the chain is taken instead of the main
// copy (whatever that holds) and the scan goes on after its records.
Result<SegmentScan> scan_segment(SegmentReader& reader, Position mark,
                                 const std::vector<TailMirror>& mirrors) {
    SegmentScan scan;
    const SegmentHeader& header = reader.header();
    scan.summary.segment_number = header.segment_number;
    scan.summary.first_position = header.first_position;
    scan.summary.last_position = header.first_position.prev();
    scan.summary.end_offset = header.records_offset();
    scan.summary.previous_chain_hash = header.previous_chain_hash;
    scan.summary.last_chain_hash = header.previous_chain_hash;

    u64 offset = header.records_offset();
    Position expected = header.first_position;
    ComplianceHash chain = header.previous_chain_hash;
    while (true) {
        if (const TailMirror* mirror = mirror_continuing(mirrors, mark, expected, offset, chain)) {
            const Position differing = KB_TRY(first_differing(reader, *mirror));
            scan.mirror_uses.push_back(MirrorUse{mirror, differing});
            for (const MirroredRecord& record : mirror->records) {
                scan.summary.add(record.position, record.offset, record.next_offset,
                                 record.previous_chain_hash, record.chain_hash);
            }
            chain = mirror->last_chain_hash();
            expected = mirror->header.last_position.next();
            offset = mirror->header.offset + mirror->header.length;
            continue;
        }
        ScanStep step = KB_TRY(reader.read_at(offset));
        if (step.outcome == ScanOutcome::end) {
            scan.stop_offset = offset;
            return scan;
        }
        if (step.outcome == ScanOutcome::unsupported) {
            return Status::unsupported(reader.path() + " offset " + std::to_string(offset) + ": " +
                                       step.problem);
        }
        if (step.outcome == ScanOutcome::damaged_header) {
            scan.stop_problem = step.problem;
            scan.stop_offset = offset;
            return scan;
        }
        if (step.header.position != expected || step.header.previous_chain_hash != chain) {
            scan.stop_problem = step.header.position != expected
                                    ? "record holds position " + to_string(step.header.position)
                                    : "chain hash does not link to the previous record";
            scan.stop_offset = offset;
            return scan;
        }
        if (step.outcome == ScanOutcome::damaged_payload) {
            scan.damaged_payloads.emplace_back(expected, step.problem);
        }
        const ComplianceHash next = chain_hash_next(chain, step.header_bytes);
        scan.summary.add(expected, offset, step.next_offset, chain, next);
        chain = next;
        expected = expected.next();
        offset = step.next_offset;
    }
}

// Loads the segment's index if it is intact and agrees with the segment header.
std::optional<SegmentSummary> load_index(io::Storage& storage, const SegmentHeader& header) {
    const std::string path = segment_index_path(header.segment_number);
    auto file = storage.open(path, io::OpenOptions{});
    if (!file) return std::nullopt;
    std::optional<SegmentSummary> result;
    auto size = storage.size(*file);
    if (size && *size < limits::kGiB) {
        Bytes bytes(*size);
        auto read = storage.read_sync(*file, 0, bytes);
        if (read && *read == bytes.size()) {
            auto summary = decode_segment_index(bytes, path);
            if (summary && summary->segment_number == header.segment_number &&
                summary->first_position == header.first_position &&
                summary->previous_chain_hash == header.previous_chain_hash) {
                result = std::move(*summary);
            }
        }
    }
    (void)storage.close(*file);
    return result;
}

std::string describe_position(Position position) { return "position " + to_string(position); }

// Re-reads a segment's records up to `last` (all of which scanned fine before, mirrored ones
// restored since) to get the summary of that prefix: end offset, anchors and chain hash of
// `last`.
Result<SegmentSummary> summarize_prefix(SegmentReader& reader, Position last) {
    const SegmentHeader& header = reader.header();
    SegmentSummary summary;
    summary.segment_number = header.segment_number;
    summary.first_position = header.first_position;
    summary.last_position = header.first_position.prev();
    summary.end_offset = header.records_offset();
    summary.previous_chain_hash = header.previous_chain_hash;
    summary.last_chain_hash = header.previous_chain_hash;
    u64 offset = header.records_offset();
    ComplianceHash chain = header.previous_chain_hash;
    for (Position position = header.first_position; position <= last; position = position.next()) {
        ScanStep step = KB_TRY(reader.read_at(offset));
        KB_ASSERT(step.outcome == ScanOutcome::record ||
                  step.outcome == ScanOutcome::damaged_payload);
        const ComplianceHash next = chain_hash_next(chain, step.header_bytes);
        summary.add(position, offset, step.next_offset, chain, next);
        chain = next;
        offset = step.next_offset;
    }
    return summary;
}

}  // namespace

Status Log::recover() {
    // 1. The segment files.
    const bool had_directory = KB_TRY(storage_.exists(kLogDirectory));
    if (!had_directory) {
        KB_TRY(storage_.create_directory(kLogDirectory));
        KB_TRY(storage_.sync_directory(""));
    }
    auto entries = KB_TRY(storage_.list_directory(kLogDirectory));
    std::vector<u64> numbers;
    std::map<u64, bool> has_index;
    for (const io::DirectoryEntry& entry : entries) {
        if (auto number = parse_segment_file_name(entry.name)) numbers.push_back(*number);
    }
    std::sort(numbers.begin(), numbers.end());
    // Segment numbers run 1..N. After a gap, a segment whose directory entry outlived an
    // earlier one's (entries not yet synced can survive a crash in any combination) holds
    // nothing acknowledged, unless it carries a valid durability mark: then a file is missing.
    for (usize i = 0; i < numbers.size(); ++i) {
        if (numbers[i] == i + 1) continue;
        for (usize j = i; j < numbers.size(); ++j) {
            SegmentReader reader = KB_TRY(SegmentReader::open_lenient(storage_, numbers[j]));
            for (const MarkSlot& slot : reader.mark_slots()) {
                if (slot.state == MarkSlotState::valid) {
                    return Status::corruption(std::string(kLogDirectory) + ": segment file " +
                                              segment_path(i + 1) + " is missing (found " +
                                              segment_path(numbers[j]) + ")");
                }
            }
        }
        for (usize j = i; j < numbers.size(); ++j) {
            KB_TRY(storage_.remove(segment_path(numbers[j])));
            if (KB_TRY(storage_.exists(segment_index_path(numbers[j])))) {
                KB_TRY(storage_.remove(segment_index_path(numbers[j])));
            }
        }
        KB_TRY(storage_.sync_directory(kLogDirectory));
        recovery_.cut_reason = "segment file " + segment_path(i + 1) +
                               " never became durable; later segments were never acknowledged";
        numbers.resize(i);
        break;
    }
    recovery_.segments = numbers.size();
    if (numbers.empty()) return Status::ok();

    // 2. Headers and marks.
    std::vector<SegmentReader> readers;
    readers.reserve(numbers.size());
    for (u64 number : numbers) {
        readers.push_back(KB_TRY(SegmentReader::open_lenient(storage_, number)));
    }
    // A segment whose header never became durable (created, then a crash before its first
    // flush completed) holds nothing acknowledged, and neither does anything after it: drop
    // them, unless a valid mark in it or later says otherwise (then it is damage).
    for (usize i = 0; i < readers.size(); ++i) {
        if (readers[i].header_status().is_ok()) continue;
        if (readers[i].header_status().code() == StatusCode::unsupported) {
            return readers[i].header_status();
        }
        for (usize j = i; j < readers.size(); ++j) {
            for (const MarkSlot& slot : readers[j].mark_slots()) {
                if (slot.state == MarkSlotState::valid) {
                    return readers[i].header_status().with_context(
                        "an acknowledged log segment is damaged");
                }
            }
        }
        recovery_.cut_reason = readers[i].path() + ": " + readers[i].header_status().message() +
                               " (a segment that was never completed)";
        const u64 segments_total = readers.size();
        while (readers.size() > i) readers.pop_back();
        for (u64 number = i + 1; number <= segments_total; ++number) {
            KB_TRY(storage_.remove(segment_path(number)));
            if (KB_TRY(storage_.exists(segment_index_path(number)))) {
                KB_TRY(storage_.remove(segment_index_path(number)));
            }
        }
        KB_TRY(storage_.sync_directory(kLogDirectory));
        break;
    }
    if (readers.empty()) return Status::ok();
    if (readers.front().header().first_position != Position(1) ||
        !readers.front().header().previous_chain_hash.is_zero()) {
        return Status::corruption(readers.front().path() +
                                  ": the first segment does not start the log at position 1");
    }
    std::optional<DurabilityMark> newest;
    usize newest_segment = 0;
    for (usize i = 0; i < readers.size(); ++i) {
        for (const MarkSlot& slot : readers[i].mark_slots()) {
            if (slot.state == MarkSlotState::valid &&
                (!newest || slot.mark.sequence > newest->sequence)) {
                newest = slot.mark;
                newest_segment = i;
            }
        }
    }
    bool uncertain = false;
    for (usize i = newest ? newest_segment : 0; i < readers.size(); ++i) {
        for (const MarkSlot& slot : readers[i].mark_slots()) {
            uncertain |= slot.state == MarkSlotState::invalid;
        }
    }
    const Position mark = newest ? newest->position : Position::none();
    mark_sequence_ = newest ? newest->sequence : 0;
    recovery_.mark_position = mark;
    recovery_.mark_uncertain = uncertain;

    // 3. Tail mirrors and summaries. A flush beyond the mark lies in the mark's segment or a
    // later one, and only mirrors the newest mark does not cover can hold one.
    // A damaged or torn slot that may have held such a mirror makes that segment's tail
    // uncertain, as a damaged mark slot does: intact records beyond the mark there are kept (a
    // mirror may have vouched for them), not cut.
    std::vector<std::vector<TailMirror>> mirrors(readers.size());
    std::vector<std::vector<DamagedMirrorSlot>> damaged_mirrors(readers.size());
    bool uncovered_mirror = false;
    for (usize i = newest ? newest_segment : 0; i < readers.size(); ++i) {
        TailMirrors found =
            KB_TRY(read_tail_mirrors(storage_, readers[i].file(), readers[i].file_size(),
                                     readers[i].header(), mark_sequence_));
        mirrors[i] = std::move(found.valid);
        damaged_mirrors[i] = std::move(found.damaged);
        uncovered_mirror |= !mirrors[i].empty() || !damaged_mirrors[i].empty();
        recovery_.mirror_uncertain |= !damaged_mirrors[i].empty();
    }
    const usize scan_from = options_.verification == OpenVerification::full ? 0 : newest_segment;
    std::vector<SegmentScan> scans(readers.size());
    std::vector<bool> index_valid(readers.size(), false);
    for (usize i = 0; i < readers.size(); ++i) {
        if (i < scan_from) {
            if (auto summary = load_index(storage_, readers[i].header())) {
                // It must also agree with the next segment's header.
                const SegmentHeader& next = readers[i + 1].header();
                if (summary->last_position.next() == next.first_position &&
                    summary->last_chain_hash == next.previous_chain_hash) {
                    scans[i].summary = std::move(*summary);
                    scans[i].from_index = true;
                    index_valid[i] = true;
                    continue;
                }
            }
            ++recovery_.indexes_rebuilt;
        }
        scans[i] = KB_TRY(scan_segment(readers[i], mark, mirrors[i]));
    }

    // 4. Walk the positions.
    Position kept;              // the last record kept
    ComplianceHash kept_chain;  // its chain hash
    usize kept_segments = 0;    // segments (a prefix) that keep records or start the tail
    bool cut = false;
    // Up to where records may have been acknowledged: the mark, then each mirrored flush the
    // walk reaches.
    Position vouched = mark;
    std::vector<std::pair<usize, const MirrorUse*>> restore;  // (segment, use) to write back
    auto report_faulty = [&](Position position, const std::string& path, u64 offset,
                             std::string problem) {
        faulty_.push_back(FaultyRecord{position, path, offset, std::move(problem)});
    };
    auto cut_here = [&](std::string reason) {
        if (!cut) {
            cut = true;
            recovery_.cut_reason = std::move(reason);
        }
    };
    for (usize i = 0; i < readers.size() && !cut; ++i) {
        const SegmentHeader& header = readers[i].header();
        const SegmentScan& scan = scans[i];
        if (header.first_position != kept.next() || header.previous_chain_hash != kept_chain) {
            if (kept.next() <= vouched) {
                report_faulty(kept.next(), readers[i].path(), 0,
                              "acknowledged records " + to_string(kept.next()) + ".." +
                                  to_string(vouched) +
                                  " are missing: the segment does not "
                                  "continue the previous one");
            }
            cut_here("segment " + readers[i].path() + " does not continue the log");
            break;
        }
        kept_segments = i + 1;
        usize damaged_index = 0;
        usize use_index = 0;
        Position position = header.first_position;
        for (; position <= scan.summary.last_position; position = position.next()) {
            while (use_index < scan.mirror_uses.size() &&
                   scan.mirror_uses[use_index].mirror->header.first_position < position) {
                ++use_index;
            }
            if (position > vouched && use_index < scan.mirror_uses.size() &&
                scan.mirror_uses[use_index].mirror->header.first_position == position) {
                // A flush completely durable in its mirror: it may have been acknowledged.
                const MirrorUse& use = scan.mirror_uses[use_index];
                vouched = use.mirror->header.last_position;
                recovery_.mirrored_position = vouched;
                if (use.first_differing != Position::none()) restore.emplace_back(i, &use);
            }
            if (position > vouched && !uncertain && damaged_mirrors[i].empty()) {
                cut_here(vouched == mark ? "records after the durability mark at " +
                                               to_string(mark) + " were never acknowledged"
                                         : "records after the mirrored flush ending at " +
                                               to_string(vouched) + " were never acknowledged");
                break;
            }
            const bool damaged = damaged_index < scan.damaged_payloads.size() &&
                                 scan.damaged_payloads[damaged_index].first == position;
            if (damaged) {
                const std::string& problem = scan.damaged_payloads[damaged_index].second;
                ++damaged_index;
                if (position <= vouched) {
                    report_faulty(position, readers[i].path(), 0, problem);
                } else {
                    cut_here(describe_position(position) + ": " + problem +
                             " (beyond the durability mark: an unsynced write)");
                    break;
                }
            }
            kept = position;
        }
        if (cut) break;
        // The records ran out. Fine if the next segment carries on (checked above on the
        // next iteration) or if nothing acknowledged is missing.
        kept_chain = scan.summary.last_chain_hash;
        if (position <= scan.summary.last_position) {
            // Stopped early inside the segment (cut above).
            break;
        }
        const bool last_segment = i + 1 == readers.size();
        if (!scan.stop_problem.empty() || last_segment) {
            if (kept < vouched) {
                report_faulty(
                    kept.next(), readers[i].path(), scan.stop_offset,
                    "acknowledged records " + to_string(kept.next()) + ".." + to_string(vouched) +
                        " are unreadable: " +
                        (scan.stop_problem.empty() ? std::string("missing") : scan.stop_problem));
            }
            if (!scan.stop_problem.empty()) {
                cut_here(readers[i].path() + " offset " + std::to_string(scan.stop_offset) + ": " +
                         scan.stop_problem);
            }
        }
    }
    // Restore the main copy of every mirrored flush kept whose bytes differ from its mirror,
    // before anything reads them again (and before the log is used).
    for (const auto& [segment, use] : restore) {
        const TailMirror& mirror = *use->mirror;
        if (mirror.header.first_position > kept) continue;  // cut after all
        const std::string& path = readers[segment].path();
        io::FileHandle file = KB_TRY(storage_.open(path, {.write = true}));
        Status restored = write_at_open(file, mirror.header.offset, mirror.copy);
        if (restored.is_ok()) restored = sync_at_open(file);
        (void)storage_.close(file);
        if (!restored.is_ok()) {
            return restored.with_context(
                "restoring positions " + to_string(mirror.header.first_position) + ".." +
                to_string(mirror.header.last_position) + " of " + path + " from its tail mirror");
        }
        recovery_.repairs.push_back(MirrorRepair{.path = path,
                                                 .slot = mirror.slot,
                                                 .first = mirror.header.first_position,
                                                 .last = mirror.header.last_position,
                                                 .first_differing = use->first_differing,
                                                 .offset = mirror.header.offset,
                                                 .length = mirror.header.length});
    }

    // When the walk stopped inside a segment, its summary must end at `kept`.
    Position highest_seen;
    for (const SegmentScan& scan : scans) {
        if (!scan.summary.empty())
            highest_seen = std::max(highest_seen, scan.summary.last_position);
    }
    if (kept_segments > 0 && kept < scans[kept_segments - 1].summary.last_position) {
        scans[kept_segments - 1].summary =
            KB_TRY(summarize_prefix(readers[kept_segments - 1], kept));
    }
    if (kept_segments > 0) kept_chain = scans[kept_segments - 1].summary.last_chain_hash;
    recovery_.recovered_position = kept;
    recovery_.records_cut = highest_seen > kept ? highest_seen.value() - kept.value() : 0;

    if (!faulty_.empty() && !options_.tolerate_faulty) {
        const FaultyRecord& first = faulty_.front();
        return Status::corruption(
            first.path + " " + describe_position(first.position) +
            (first.offset ? " (offset " + std::to_string(first.offset) + ")" : std::string()) +
            ": " + first.problem +
            "; refusing to serve a log whose acknowledged records are "
            "damaged (run kmb verify for the full report)");
    }

    // 5. Make the cut durable and open the segments that stay.
    const u64 segments_total = readers.size();
    std::vector<u64> capacities;
    std::vector<SegmentHeader> layouts;
    for (const SegmentReader& reader : readers) {
        capacities.push_back(reader.header().capacity_bytes);
        layouts.push_back(reader.header());
    }
    readers.clear();  // close the read-only handles
    for (u64 number = kept_segments + 1; number <= segments_total; ++number) {
        KB_TRY(storage_.remove(segment_path(number)));
        if (KB_TRY(storage_.exists(segment_index_path(number)))) {
            KB_TRY(storage_.remove(segment_index_path(number)));
        }
    }
    if (kept_segments < segments_total) {
        KB_TRY(storage_.sync_directory(kLogDirectory));
    }
    if (kept_segments == 0) {
        // Not even the first segment continues the log (its header is damaged and nothing was
        // acknowledged): start afresh.
        return Status::ok();
    }
    for (usize i = 0; i < kept_segments; ++i) {
        const u64 number = i + 1;
        io::FileHandle file = KB_TRY(storage_.open(segment_path(number), {.write = true}));
        const u64 capacity = capacities[i];
        if (KB_TRY(storage_.size(file)) < capacity) {
            // The preallocation was lost with a crash (it had not been synced): redo it. The
            // next sync of this segment makes it durable before anything in it is acknowledged.
            KB_TRY(storage_.preallocate(file, 0, capacity));
        }
        segments_.push_back(Segment{.number = number,
                                    .file = file,
                                    .capacity_bytes = capacity,
                                    .version = layouts[i].version,
                                    .mirror_slot_bytes = layouts[i].mirror_slot_bytes,
                                    .records_offset = layouts[i].records_offset(),
                                    .header_written = true,
                                    .entry_synced = true});
        summaries_.push_back(std::move(scans[i].summary));
    }
    if (kept_segments < segments_total &&
        KB_TRY(storage_.exists(segment_index_path(summaries_.back().segment_number)))) {
        // The new tail may have an index from when it was sealed; the tail has none.
        KB_TRY(storage_.remove(segment_index_path(summaries_.back().segment_number)));
    }

    // The tail segment must hold nothing after its last kept record (a cut batch, a torn
    // write): zero stale bytes so no later recovery can mistake them for records. Then make
    // what is kept durable and mark it, if the newest mark does not already say exactly that.
    Segment& tail = segments_.back();
    const u64 tail_end = summaries_.back().end_offset;
    const u64 dirty_end = KB_TRY(last_nonzero_end(tail.file, tail_end, tail.capacity_bytes));
    if (dirty_end > tail_end || kept != mark || uncovered_mirror) {
        const Bytes zeros(static_cast<usize>(std::min<u64>(dirty_end - tail_end, limits::kMiB)));
        for (u64 offset = tail_end; offset < dirty_end; offset += zeros.size()) {
            const u64 length = std::min<u64>(zeros.size(), dirty_end - offset);
            KB_TRY(write_at_open(tail.file, offset, ByteSpan(zeros.data(), length)));
        }
        KB_TRY(sync_at_open(tail.file));
        const DurabilityMark fresh = next_mark(kept, tail_end, kept_chain);
        const auto block = encode_mark(fresh);
        KB_TRY(write_at_open(tail.file, kMarkSlotOffset[fresh.sequence % 2], block));
        KB_TRY(sync_at_open(tail.file));
    }
    // Damaged mirror slots go (their header blocks zeroed), now that the fresh mark covers
    // everything kept: a torn slot left behind would make a later recovery keep intact
    // records a truncation had discarded.
    const Bytes zero_block(static_cast<usize>(kMirrorHeaderSize));
    for (usize i = 0; i < kept_segments; ++i) {
        if (damaged_mirrors[i].empty()) continue;
        for (const DamagedMirrorSlot& damaged : damaged_mirrors[i]) {
            KB_TRY(write_at_open(segments_[i].file, layouts[i].mirror_slot_offset(damaged.slot),
                                 zero_block));
        }
        KB_TRY(sync_at_open(segments_[i].file));
    }

    // Sealed segments whose index was missing or stale get a fresh one.
    for (usize i = 0; i + 1 < segments_.size(); ++i) {
        if (!index_valid[i]) write_segment_index(i);
    }

    last_position_ = kept;
    last_chain_hash_ = kept_chain;
    data_durable_position_ = kept;
    data_durable_chain_hash_ = kept_chain;
    durable_position_ = kept;
    durable_chain_hash_ = kept_chain;
    mark_position_written_ = kept;
    data_durable_segment_ = segments_.size() - 1;
    data_durable_end_offset_ = summaries_.back().end_offset;
    return Status::ok();
}

Status Log::write_at_open(io::FileHandle file, u64 offset, ByteSpan data) {
    return run_until_done([&](io::UniqueFunction<void(Status)> done) {
        storage_.write(file, offset, data, std::move(done));
    });
}

Status Log::sync_at_open(io::FileHandle file) {
    return run_until_done(
        [&](io::UniqueFunction<void(Status)> done) { storage_.sync(file, std::move(done)); });
}

Result<u64> Log::last_nonzero_end(io::FileHandle file, u64 from, u64 to) {
    Bytes chunk(limits::kMiB);
    u64 end = from;
    for (u64 offset = from; offset < to;) {
        const usize want = static_cast<usize>(std::min<u64>(chunk.size(), to - offset));
        const usize got =
            KB_TRY(storage_.read_sync(file, offset, MutableByteSpan(chunk.data(), want)));
        if (got == 0) break;
        for (usize j = got; j > 0; --j) {
            if (chunk[j - 1] != 0) {
                end = offset + j;
                break;
            }
        }
        offset += got;
    }
    return end;
}

}  // namespace kb::storage
