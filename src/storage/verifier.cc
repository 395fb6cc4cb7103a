// The log verifier (see verifier.h for what it checks and why).
//
// Two passes over the segment files. The first reads every segment's header block and both
// durability-mark slots, so the durable position (the newest valid mark, by sequence) is known
// before any record is judged, and the tail mirrors of the segments from the mark's on
// (tail_mirror.h). The second walks every record in order; where it reaches the first record
// of a mirrored flush beyond the durable position, it verifies that flush from the mirror
// (warning when the main copy differs) and goes on after it, as recovery does.
//
// The walk reads through large buffers (RecordScanner, verifier_scanner.h): one read_sync per
// 256 KiB instead of two per record, which at ~1 µs a system call would cost more than all the
// hashing for small records. It classifies each record exactly as SegmentReader::read_at does
// for recovery (same decoders, same outcomes), so verify and recovery agree on what a damaged
// record is.
//
// Classifying (checksums, payload digest, chain hash: the CPU cost of verifying) is shared out
// to helper threads (WorkSharing), a batch of one read at a time, while this thread reads
// the next batch and takes the previous one through the in-order pass: every decision (what
// is damaged, whether the chain links, attestations, marks, the tail rule) is made there, one
// record after another, so the report names the same first bad place whatever the threads
// did. With one thread the same steps run one after another.
//
// Attestations name earlier positions whose chain hashes must be looked up: the last
// `recent_chain_hashes` are kept in a ring (2 MiB by default), and older ones are recomputed
// from a sparse checkpoint (one every 4096 records: ~1.4 MB per 100M records) by re-reading
// at most 4096 headers.
#include "storage/verifier.h"

#include <sched.h>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "storage/record_builder.h"
#include "storage/segment_format.h"
#include "storage/segment_reader.h"  // ScanOutcome
#include "storage/tail_mirror.h"
#include "storage/verifier_scanner.h"
#include "storage/work_sharing.h"

namespace kb::storage {

std::string VerifyFailure::to_string() const {
    std::string text = file;
    if (position) {
        text += " position " + kb::to_string(*position);
        if (offset) text += " (offset " + std::to_string(*offset) + ")";
    } else if (offset) {
        text += " offset " + std::to_string(*offset);
    }
    return text + ": " + what;
}

namespace {

constexpr u64 kCheckpointStride = 4096;
// A batch (256 KiB) is cut into pieces of VerifyOptions::work_unit_bytes (32 KiB by default)
// and the in-order pass stays on one thread, so more threads than this gain little, and
// `kmb verify` should not take every core of a server it runs beside.
constexpr usize kMaxDefaultThreads = 8;
constexpr u64 kProgressStepBytes = u64{1} << 20;
constexpr std::string_view kSlotNames[2] = {"A", "B"};

// What the first pass learned about one segment file.
struct SegmentInfo {
    u64 number = 0;
    std::string path;
    u64 file_size = 0;
    std::optional<SegmentHeader> header;  // when it decoded
    Status header_problem;                // why it did not (corruption or unsupported)
    bool never_written = false;           // the header block is all zero (being created)
    std::array<MarkSlot, 2> marks{};
    std::optional<u64> nonzero_reserved_offset;  // first non-zero byte in [1536, 4096)
    // Tail mirrors that check out and that the newest mark does not cover (segments from the
    // mark's on).
    std::vector<TailMirror> mirrors;
};

// A place from which chain hashes can be recomputed: record `position` starts at `offset` of
// segment `segment_number`, and chain_hash(position - 1) is `previous`.
struct Checkpoint {
    Position position;
    u64 segment_number = 0;
    u64 offset = 0;
    ComplianceHash previous;
};

// VerifyOptions::threads, with 0 resolved: the CPUs this process may run on (fewer than
// hardware_concurrency() under taskset or a cpuset; 2 if unknown), at most
// kMaxDefaultThreads.
usize thread_count(const VerifyOptions& options) {
    if (options.threads != 0) return options.threads;
    usize cpus = std::thread::hardware_concurrency();
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
        cpus = static_cast<usize>(CPU_COUNT(&allowed));
    }
    if (cpus == 0) cpus = 2;
    return std::min(cpus, kMaxDefaultThreads);
}

bool all_zero(ByteSpan bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](u8 byte) { return byte == 0; });
}

class Verifier {
public:
    Verifier(io::Storage& storage, const VerifyOptions& options)
        : storage_(storage), options_(options), work_(thread_count(options)) {
        KB_ASSERT(options.recent_chain_hashes >= 1);
        KB_ASSERT(options.work_unit_bytes >= 1);
        recent_.resize(static_cast<usize>(options.recent_chain_hashes));
    }

    VerifyReport run() {
        report_.keys_given = options_.keys != nullptr;
        trusted_ = options_.trusted_keys;
        if (options_.digest) {
            for (const DigestSignature& signature : options_.digest->signatures) {
                trusted_.add(signature.public_key);
            }
        }
        report_.trust_established = !trusted_.empty();
        report_.trusted_key_count = trusted_.size();

        Status status = run_checks();
        if (!status.is_ok()) report_.error = std::move(status);
        return std::move(report_);
    }

private:
    // --- Outcomes ---------------------------------------------------------------------------

    // Records the first failure. Returns false so callers can `return fail(...)` to stop.
    bool fail(std::string file, std::optional<Position> position, std::optional<u64> offset,
              std::string what) {
        if (!report_.failure) {
            report_.failure = VerifyFailure{std::move(file), position, offset, std::move(what)};
        }
        return false;
    }

    // Structural damage where record `position` should be: a failure when the durable mark
    // covers that position, else the end of the usable log (an unsynced batch, a write in
    // progress). Returns false: the scan stops either way.
    bool damage(const std::string& file, std::optional<Position> position,
                std::optional<u64> offset, const std::string& what) {
        const Position at = position.value_or(expected_);
        if (at <= report_.durable_position) {
            std::string message = what;
            if (!position) {
                message += " (the log's records from position " + to_string(at) +
                           " on are covered by the durability mark at " +
                           to_string(report_.durable_position) + ")";
            }
            return fail(file, position, offset, message);
        }
        report_.tail_cut = true;
        VerifyFailure where{file, position, offset, what};
        report_.tail_reason = "beyond the durable mark at position " +
                              to_string(report_.durable_position) + ", the log ends at position " +
                              to_string(expected_.prev()) + ": " + where.to_string() +
                              " (an unsynced batch or a write in progress)";
        return false;
    }

    // --- Pass 1: segment files, headers, marks -----------------------------------------------

    Status list_segments(std::vector<u64>* numbers) {
        if (!KB_TRY(storage_.exists(kLogDirectory))) {
            return Status::not_found("no log directory '" + std::string(kLogDirectory) +
                                     "': not a Kimberlite data directory");
        }
        auto entries = KB_TRY(storage_.list_directory(kLogDirectory));
        for (const io::DirectoryEntry& entry : entries) {
            if (entry.is_directory) continue;
            if (auto number = parse_segment_file_name(entry.name)) numbers->push_back(*number);
        }
        std::sort(numbers->begin(), numbers->end());
        return Status::ok();
    }

    Status read_segment_info(u64 number, SegmentInfo* info) {
        info->number = number;
        info->path = segment_path(number);
        io::FileHandle file = KB_TRY(storage_.open(info->path, io::OpenOptions{}));
        Status status = read_segment_info_from(file, info);
        (void)storage_.close(file);
        return status;
    }

    Status read_segment_info_from(io::FileHandle file, SegmentInfo* info) {
        info->file_size = KB_TRY(storage_.size(file));
        Bytes head(kSegmentRecordsOffset, 0);
        usize got = 0;
        while (got < head.size()) {
            const usize read = KB_TRY(storage_.read_sync(
                file, got, MutableByteSpan(head.data() + got, head.size() - got)));
            if (read == 0) break;
            got += read;
        }
        // A short file reads as zeros past its end: a segment being created, or truncated.
        const ByteSpan header_block(head.data(), kSegmentHeaderSize);
        info->never_written = all_zero(header_block);
        if (!info->never_written) {
            auto header = decode_segment_header(header_block, info->path);
            if (header) {
                if (header->segment_number != info->number) {
                    info->header_problem =
                        Status::corruption(info->path + ": header says segment " +
                                           std::to_string(header->segment_number));
                } else {
                    info->header = *header;
                }
            } else {
                info->header_problem = header.error();
            }
        }
        for (usize slot = 0; slot < 2; ++slot) {
            info->marks[slot] =
                decode_mark(ByteSpan(head.data() + kMarkSlotOffset[slot], kMarkSlotSize));
        }
        const u64 reserved_begin = kMarkSlotOffset[1] + kMarkSlotSize;
        for (u64 offset = reserved_begin; offset < kSegmentRecordsOffset; ++offset) {
            if (head[offset] != 0) {
                info->nonzero_reserved_offset = offset;
                break;
            }
        }
        return Status::ok();
    }

    // --- Chain hashes of earlier positions ----------------------------------------------------

    void remember_chain_hash(Position position, const ComplianceHash& chain_hash) {
        recent_[static_cast<usize>(position.value() % recent_.size())] = chain_hash;
        recent_newest_ = position;
    }

    void maybe_checkpoint(Position position, u64 segment_number, u64 offset,
                          const ComplianceHash& previous, bool first_in_segment) {
        if (first_in_segment || (position.value() - 1) % kCheckpointStride == 0) {
            checkpoints_.push_back(Checkpoint{position, segment_number, offset, previous});
        }
    }

    // chain_hash(position) for a position already verified (1 <= position <= last verified).
    Result<ComplianceHash> chain_hash_at(Position position) {
        KB_ASSERT(position != Position::none() && position <= recent_newest_);
        if (recent_newest_.value() - position.value() < recent_.size()) {
            return recent_[static_cast<usize>(position.value() % recent_.size())];
        }
        // The last checkpoint at or before `position`, then forward through headers.
        auto after = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), position,
                                      [](Position wanted, const Checkpoint& checkpoint) {
                                          return wanted < checkpoint.position;
                                      });
        KB_ASSERT(after != checkpoints_.begin());
        const Checkpoint& from = *std::prev(after);
        const std::string path = segment_path(from.segment_number);
        auto scanner = KB_TRY(RecordScanner::open(storage_, path));
        ComplianceHash chain = from.previous;
        u64 offset = from.offset;
        for (Position at = from.position; at <= position; at = at.next()) {
            const ScannedRecord step = KB_TRY(scanner->read_at(offset));
            if (step.outcome != ScanOutcome::record || step.header.position != at ||
                step.header.previous_chain_hash != chain) {
                return Status::corruption(path + " position " + to_string(at) +
                                          ": changed while it was being verified");
            }
            chain = chain_hash_next(chain, step.header_bytes);
            offset = step.next_offset;
        }
        return chain;
    }

    // --- Pass 2: records ---------------------------------------------------------------------

    Status run_checks() {
        if (options_.digest) {
            Status signatures = verify_digest_signatures(*options_.digest);
            if (!signatures.is_ok()) {
                fail("digest", std::nullopt, std::nullopt, signatures.message());
                return Status::ok();
            }
        }

        std::vector<u64> numbers;
        KB_TRY(list_segments(&numbers));
        for (usize i = 0; i < numbers.size(); ++i) {
            if (numbers[i] != i + 1) {
                fail(segment_path(i + 1), std::nullopt, std::nullopt,
                     "segment file is missing (the next one found is " + segment_path(numbers[i]) +
                         ")");
                return Status::ok();
            }
        }
        report_.segments = numbers.size();

        std::vector<SegmentInfo> infos(numbers.size());
        for (usize i = 0; i < numbers.size(); ++i) {
            KB_TRY(read_segment_info(numbers[i], &infos[i]));
        }
        // The writer zero-fills the next segment ahead of need: a last segment whose header
        // and mark slots were never written holds nothing yet.
        if (!infos.empty() && infos.back().never_written &&
            infos.back().marks[0].state == MarkSlotState::empty &&
            infos.back().marks[1].state == MarkSlotState::empty) {
            infos.pop_back();
            report_.segments = infos.size();
        }
        find_durable_mark(infos);
        KB_TRY(read_mirrors(infos));

        for (usize i = 0; i < infos.size(); ++i) {
            const bool last = i + 1 == infos.size();
            bytes_total_ +=
                last ? std::max(kSegmentRecordsOffset, newest_mark_end_in(i)) : infos[i].file_size;
        }

        for (usize i = 0; i < infos.size(); ++i) {
            const bool go_on = KB_TRY(verify_segment(infos[i], i + 1 == infos.size()));
            bytes_done_before_ += infos[i].file_size;
            report_progress(0, true);
            if (!go_on) {
                if (report_.tail_cut && i + 1 < infos.size()) {
                    report_.tail_reason += "; later segment files (" + infos[i + 1].path +
                                           " on) hold nothing acknowledged and were not read";
                }
                break;
            }
        }
        finish_checks(infos);
        return Status::ok();
    }

    void find_durable_mark(const std::vector<SegmentInfo>& infos) {
        for (usize i = 0; i < infos.size(); ++i) {
            for (usize slot = 0; slot < 2; ++slot) {
                const MarkSlot& mark = infos[i].marks[slot];
                if (mark.state == MarkSlotState::invalid) {
                    report_.warnings.push_back(
                        infos[i].path + " durability mark slot " + std::string(kSlotNames[slot]) +
                        " (offset " + std::to_string(kMarkSlotOffset[slot]) +
                        ") is damaged or torn: a mark write was interrupted, or the bytes "
                        "changed; the durable position is taken from the other marks");
                }
                if (mark.state == MarkSlotState::valid &&
                    (!newest_mark_ || mark.mark.sequence > newest_mark_->sequence)) {
                    newest_mark_ = mark.mark;
                    newest_mark_segment_ = i;
                    newest_mark_slot_ = slot;
                }
            }
        }
        if (newest_mark_) {
            report_.mark_found = true;
            report_.durable_position = newest_mark_->position;
        }
    }

    // The tail mirrors of the segments a flush beyond the newest mark can lie in, as recovery
    // reads them (log_recovery.cc): those whose mark sequence is at least the newest mark's.
    Status read_mirrors(std::vector<SegmentInfo>& infos) {
        const u64 min_mark_sequence = newest_mark_ ? newest_mark_->sequence : 0;
        for (usize i = newest_mark_ ? newest_mark_segment_ : 0; i < infos.size(); ++i) {
            SegmentInfo& info = infos[i];
            if (!info.header || info.header->mirror_slot_bytes == 0) continue;
            io::FileHandle file = KB_TRY(storage_.open(info.path, io::OpenOptions{}));
            auto mirrors =
                read_tail_mirrors(storage_, file, info.file_size, *info.header, min_mark_sequence);
            (void)storage_.close(file);
            TailMirrors found = KB_TRY(std::move(mirrors));
            info.mirrors = std::move(found.valid);
            for (const DamagedMirrorSlot& damaged : found.damaged) {
                report_.warnings.push_back(
                    info.path + " tail mirror slot " + std::string(kSlotNames[damaged.slot]) +
                    " (offset " + std::to_string(info.header->mirror_slot_offset(damaged.slot)) +
                    ") is damaged or torn (" + damaged.problem +
                    "): a mirror write was interrupted, or the bytes changed; recovery keeps "
                    "the intact records beyond the durable mark in this segment");
            }
        }
        return Status::ok();
    }

    // The mirror that continues the log at `offset`, where the scan expects expected_ after
    // chain_: beyond what is durable so far, as recovery takes one. nullptr when none does.
    const TailMirror* mirror_at(const SegmentInfo& info, u64 offset) const {
        if (expected_ <= report_.durable_position) return nullptr;
        for (const TailMirror& mirror : info.mirrors) {
            if (mirror.continues(expected_, offset, chain_)) return &mirror;
        }
        return nullptr;
    }

    // The records of a mirrored flush that continues the log at `offset`: the flush was
    // completely durable in its mirror, so it may have been acknowledged. Its records are
    // verified from the mirror; where the main copy differs (damaged, torn, missing), that is a
    // warning naming the first such record: recovery restores it from the mirror. What
    // verify_segment returns, or nullopt to go on after the flush.
    Result<std::optional<bool>> verify_mirrored_flush(const SegmentInfo& info, bool last,
                                                      const TailMirror& mirror,
                                                      bool first_in_segment) {
        report_.durable_position = mirror.header.last_position;
        const std::optional<Position> differing = KB_TRY(first_differing(info, mirror));
        if (differing) {
            const MirroredRecord& record = mirror.records[static_cast<usize>(
                differing->value() - mirror.header.first_position.value())];
            report_.warnings.push_back(VerifyFailure{
                info.path, *differing, record.offset,
                "the main copy differs from tail mirror slot " +
                    std::string(kSlotNames[mirror.slot]) + " (offset " +
                    std::to_string(mirror_slot_offset(info, mirror.slot)) +
                    "), which holds positions " + to_string(mirror.header.first_position) + ".." +
                    to_string(mirror.header.last_position) +
                    " intact (the newest flush, perhaps acknowledged); recovery "
                    "restores the main copy from the mirror"}
                                           .to_string());
        }
        for (usize i = 0; i < mirror.records.size(); ++i) {
            const MirroredRecord& mirrored = mirror.records[i];
            const ByteSpan bytes = mirror.record_bytes(i);
            ScannedRecord step;
            step.offset = mirrored.offset;
            step.header_at = bytes.data();
            step.payload_length = mirrored.header.payload_length;
            step.payload_in_file = true;
            classify_record(&step, true);
            const std::optional<bool> stop =
                KB_TRY(verify_record(info, last, step, mirrored.offset, first_in_segment));
            if (stop) return stop;
            first_in_segment = false;
        }
        return std::nullopt;
    }

    static u64 mirror_slot_offset(const SegmentInfo& info, usize slot) {
        return info.header->mirror_slot_offset(slot);
    }

    // The first record of `mirror` whose bytes in the main copy differ from it.
    Result<std::optional<Position>> first_differing(const SegmentInfo& info,
                                                    const TailMirror& mirror) {
        Bytes main(static_cast<usize>(mirror.header.length));
        io::FileHandle file = KB_TRY(storage_.open(info.path, io::OpenOptions{}));
        usize got = 0;
        Status status;
        while (got < main.size()) {
            auto read = storage_.read_sync(file, mirror.header.offset + got,
                                           MutableByteSpan(main.data() + got, main.size() - got));
            if (!read) {
                status = read.status();
                break;
            }
            if (*read == 0) break;
            got += *read;
        }
        (void)storage_.close(file);
        KB_TRY(status);
        for (usize i = 0; i < mirror.records.size(); ++i) {
            const ByteSpan copy = mirror.record_bytes(i);
            const usize at = static_cast<usize>(mirror.records[i].offset - mirror.header.offset);
            if (at + copy.size() > got ||
                !std::equal(copy.begin(), copy.end(),
                            main.begin() + static_cast<std::ptrdiff_t>(at))) {
                return std::optional<Position>(mirror.records[i].position);
            }
        }
        return std::optional<Position>();
    }

    u64 newest_mark_end_in(usize segment_index) const {
        if (newest_mark_ && newest_mark_segment_ == segment_index) return newest_mark_->end_offset;
        return 0;
    }

    void report_progress(u64 offset_in_segment, bool force) {
        if (!options_.progress) return;
        const u64 done = bytes_done_before_ + offset_in_segment;
        if (!force && done < last_progress_ + kProgressStepBytes) return;
        last_progress_ = done;
        bytes_total_ = std::max(bytes_total_, done);
        options_.progress(done, bytes_total_);
    }

    // Checks the newest durability mark once the scan reaches its position: it must name what
    // the log holds there (end offset, chain hash). It lives in the segment being scanned.
    bool check_mark(usize segment_index, u64 end_offset, const ComplianceHash& chain_hash) {
        KB_ASSERT(segment_index == newest_mark_segment_);
        const DurabilityMark& mark = *newest_mark_;
        std::string problem;
        if (mark.end_offset != end_offset) {
            problem = "says position " + to_string(mark.position) + " ends at offset " +
                      std::to_string(mark.end_offset) + ", the log's ends at " +
                      std::to_string(end_offset);
        } else if (mark.chain_hash != chain_hash) {
            problem = "says position " + to_string(mark.position) + " has chain hash " +
                      mark.chain_hash.to_hex() + ", the log's is " + chain_hash.to_hex();
        }
        mark_checked_ = true;
        if (problem.empty()) return true;
        return fail(segment_path(newest_mark_segment_ + 1), mark.position,
                    kMarkSlotOffset[newest_mark_slot_],
                    "the durability mark (slot " + std::string(kSlotNames[newest_mark_slot_]) +
                        ") " + problem);
    }

    // Verifies one segment. Ok(true) to go on with the next; Ok(false) when the scan stopped
    // (failure or tail); an error for IO problems and unsupported versions.
    Result<bool> verify_segment(const SegmentInfo& info, bool last) {
        if (!info.header) {
            if (info.header_problem.code() == StatusCode::unsupported) return info.header_problem;
            const std::string what = info.never_written
                                         ? "segment header is missing (zero bytes: a segment "
                                           "being created)"
                                         : "segment header: " + info.header_problem.message();
            return damage(info.path, std::nullopt, u64{0}, what);
        }
        const SegmentHeader& header = *info.header;
        if (info.nonzero_reserved_offset) {
            return fail(info.path, std::nullopt, *info.nonzero_reserved_offset,
                        "bytes [1536, 4096) of a segment must be zero, this one is not");
        }
        if (info.file_size < header.capacity_bytes) {
            report_.warnings.push_back(info.path + " is " + std::to_string(info.file_size) +
                                       " bytes, its header says " +
                                       std::to_string(header.capacity_bytes));
        }
        if (header.first_position != expected_) {
            // Where the log should have gone on: the end of the previous segment, if any.
            return damage(info.path, std::nullopt, u64{0},
                          "segment starts at position " + to_string(header.first_position) +
                              ", expected " + to_string(expected_));
        }
        if (header.previous_chain_hash != chain_) {
            return damage(info.path, std::nullopt, u64{0},
                          "segment header's previous chain hash does not match the chain hash "
                          "of position " +
                              to_string(expected_.prev()));
        }
        const usize segment_index = static_cast<usize>(info.number - 1);
        if (newest_mark_ && newest_mark_->position == expected_.prev() &&
            newest_mark_segment_ == segment_index) {
            // A mark naming the position before this segment's first record (written when the
            // segment holds no acknowledged record yet).
            if (!check_mark(segment_index, header.records_offset(), chain_)) return false;
        }

        auto scanner = KB_TRY(RecordScanner::open(storage_, info.path));
        // Pipelined by batches (one read each): while the in-order pass goes through batch k,
        // the helpers check batch k + 1, which was read while they checked batch k. Whatever
        // way this function returns, the helpers are done with both batches first.
        struct FinishOnReturn {
            WorkSharing& work;
            ~FinishOnReturn() { work.finish(); }
        } finish_on_return{work_};
        u64 offset = header.records_offset();
        bool first_in_segment = true;
        // Scans from `offset`; starts over after a mirrored flush taken from its mirror.
        while (true) {
            ScannedBatch* current = &batches_[0];
            ScannedBatch* next = &batches_[1];
            work_.finish();
            KB_TRY(scanner->scan_batch(offset, &current->records));
            start_checks(current);
            bool mirrored = false;
            while (!mirrored) {
                // Reading ahead may fail (the file shrank, say); that matters only if the
                // in-order pass goes through all of `current` without stopping, as it would
                // have without reading ahead.
                std::optional<Status> read_ahead;
                if (const std::optional<u64> resume = batch_continues_at(*current)) {
                    read_ahead = scanner->scan_batch(*resume, &next->records);
                }
                work_.finish();
                const bool current_ends_in_record =
                    current->records.back().outcome == ScanOutcome::record;
                if (read_ahead && read_ahead->is_ok() && current_ends_in_record) {
                    start_checks(next);
                }

                for (const ScannedRecord& step : current->records) {
                    if (const TailMirror* mirror = mirror_at(info, offset)) {
                        const std::optional<bool> stop =
                            KB_TRY(verify_mirrored_flush(info, last, *mirror, first_in_segment));
                        if (stop) return *stop;
                        first_in_segment = false;
                        offset = mirror->header.offset + mirror->header.length;
                        mirrored = true;
                        break;
                    }
                    const std::optional<bool> stop =
                        KB_TRY(verify_record(info, last, step, offset, first_in_segment));
                    if (stop) return *stop;
                    first_in_segment = false;
                    offset = step.next_offset;
                }
                if (mirrored) break;
                // Every record of `current` passed, so the last was a record and was read ahead
                // of.
                KB_ASSERT(current_ends_in_record && read_ahead.has_value());
                if (!read_ahead->is_ok()) return std::move(*read_ahead);
                std::swap(current, next);
            }
        }
    }

    // Shares out classify_record() of every record of `batch`, in pieces of about
    // options_.work_unit_bytes; work_.finish() waits for it. Only the in-order pass afterwards
    // decides anything, so the report does not depend on which thread classified what, or
    // when.
    void start_checks(ScannedBatch* batch) {
        batch->piece_starts.clear();
        u64 piece_bytes = options_.work_unit_bytes;  // start a piece with the first record
        for (usize i = 0; i < batch->records.size(); ++i) {
            if (piece_bytes >= options_.work_unit_bytes) {
                batch->piece_starts.push_back(i);
                piece_bytes = 0;
            }
            piece_bytes += kRecordHeaderSize + batch->records[i].payload_length;
        }
        batch->piece_starts.push_back(batch->records.size());
        work_.start(batch->piece_starts.size() - 1, [batch](usize piece) {
            for (usize i = batch->piece_starts[piece]; i < batch->piece_starts[piece + 1]; ++i) {
                classify_record(&batch->records[i], true);
            }
        });
    }

    // The in-order pass over one classified record at `offset`, the next the log should hold.
    // nullopt when it passed and the scan goes on; otherwise what verify_segment returns.
    Result<std::optional<bool>> verify_record(const SegmentInfo& info, bool last,
                                              const ScannedRecord& step, u64 offset,
                                              bool first_in_segment) {
        switch (step.outcome) {
            case ScanOutcome::end:
                if (last && expected_ <= report_.durable_position) {
                    return fail(info.path, expected_, offset,
                                "record missing (zero bytes or end of file) but the "
                                "durability mark covers up to position " +
                                    to_string(report_.durable_position));
                }
                end_path_ = info.path;
                end_offset_ = offset;
                return true;
            case ScanOutcome::unsupported:
                return Status::unsupported(info.path + " offset " + std::to_string(offset) + ": " +
                                           step.problem);
            case ScanOutcome::damaged_header:
                return damage(info.path, expected_, offset, step.problem);
            case ScanOutcome::damaged_payload:
            case ScanOutcome::record:
                break;
        }
        if (step.header.position != expected_) {
            return damage(info.path, expected_, offset,
                          "record holds position " + to_string(step.header.position) +
                              ", expected " + to_string(expected_));
        }
        if (step.header.previous_chain_hash != chain_) {
            return damage(info.path, expected_, offset,
                          "previous chain hash does not match the chain hash of position " +
                              to_string(expected_.prev()) +
                              " (a record from another log or history)");
        }
        if (step.outcome == ScanOutcome::damaged_payload) {
            return damage(info.path, expected_, offset, step.problem);
        }

        // The link was just checked, so the hash classify_record() computed from the record's
        // own stored link is the chain's: SHA-256(chain_ || header).
        const ComplianceHash previous = chain_;
        chain_ = step.chain_hash;
        maybe_checkpoint(expected_, info.number, offset, previous, first_in_segment);
        remember_chain_hash(expected_, chain_);

        if (!KB_TRY(check_record_contents(info, step))) return false;
        const usize segment_index = static_cast<usize>(info.number - 1);
        if (newest_mark_ && newest_mark_->position == expected_ &&
            newest_mark_segment_ == segment_index &&
            !check_mark(segment_index, step.next_offset, chain_)) {
            return false;
        }
        if (options_.digest && options_.digest->statement.position == expected_ &&
            !check_digest_position(info, offset)) {
            return false;
        }

        ++report_.records;
        report_.bytes += step.next_offset - offset;
        report_.last_position = expected_;
        report_.last_chain_hash = chain_;
        expected_ = expected_.next();
        report_progress(step.next_offset, false);
        return std::nullopt;
    }

    bool check_digest_position(const SegmentInfo& info, u64 offset) {
        const Digest& digest = *options_.digest;
        if (chain_ != digest.statement.chain_hash) {
            return fail(info.path, expected_, offset,
                        "the log's chain hash here is " + chain_.to_hex() + ", the digest says " +
                            digest.statement.chain_hash.to_hex() +
                            ": this log does not extend the digest");
        }
        digest_position_matched_ = true;
        return true;
    }

    // What an intact, linked record says: AEAD tag, attestation, co-signature.
    Result<bool> check_record_contents(const SegmentInfo& info, const ScannedRecord& step) {
        const RecordHeader& header = step.header;
        if (header.seal != SealKind::clear) {
            if (options_.keys != nullptr) {
                RecordView view{header, step.header_bytes, step.sealed_payload};
                auto opened = open_record_payload(view, options_.keys);
                if (opened) {
                    ++report_.tags_checked;
                } else if (opened.error().code() == StatusCode::not_found) {
                    if (report_.tags_without_key++ == 0) {
                        report_.first_missing_key = opened.error().message();
                    }
                } else {
                    return fail(info.path, expected_, step.offset,
                                "AEAD tag check failed (wrong key, or the sealed payload was "
                                "altered and its digests recomputed): " +
                                    opened.error().message());
                }
            }
            return true;
        }
        if (header.kind == RecordKind::attestation) return check_attestation(info, step);
        if (header.kind == RecordKind::cosignature) return check_cosignature(info, step);
        return true;
    }

    Result<bool> check_attestation(const SegmentInfo& info, const ScannedRecord& step) {
        auto decoded = decode_attestation(step.sealed_payload);
        if (!decoded) {
            return fail(info.path, expected_, step.offset,
                        "attestation payload: " + decoded.error().message());
        }
        const Attestation& attestation = *decoded;
        const Position attested = attestation.statement.position;
        if (attested >= expected_) {
            return fail(info.path, expected_, step.offset,
                        "attestation names position " + to_string(attested) +
                            ", which is not before its own");
        }
        const ComplianceHash actual = KB_TRY(chain_hash_at(attested));
        if (actual != attestation.statement.chain_hash) {
            return fail(info.path, expected_, step.offset,
                        "attestation says position " + to_string(attested) + " has chain hash " +
                            attestation.statement.chain_hash.to_hex() + ", the log's is " +
                            actual.to_hex());
        }
        Status signature = verify_attestation_signature(attestation);
        if (!signature.is_ok()) {
            return fail(info.path, expected_, step.offset,
                        signature.message() + " (a forged or altered attestation)");
        }
        if (report_.trust_established && !trusted_.contains(attestation.signer)) {
            return fail(info.path, expected_, step.offset,
                        "attestation signed by untrusted key " + attestation.signer.to_hex());
        }
        ++report_.attestations_checked;
        attestations_[expected_.value()] = attestation.statement;
        if (expected_ <= report_.durable_position) {
            report_.newest_attestation = AttestationFound{
                expected_, attestation.statement, {{attestation.signer, attestation.signature}}};
        }
        if (options_.digest && options_.digest->attestation_position == expected_) {
            report_.digest_note = attestation.statement == options_.digest->statement
                                      ? "its attestation is at position " + to_string(expected_)
                                      : "position " + to_string(expected_) +
                                            " holds a different attestation than the digest's";
        }
        return true;
    }

    Result<bool> check_cosignature(const SegmentInfo& info, const ScannedRecord& step) {
        auto decoded = decode_cosignature(step.sealed_payload);
        if (!decoded) {
            return fail(info.path, expected_, step.offset,
                        "co-signature payload: " + decoded.error().message());
        }
        const Cosignature& cosignature = *decoded;
        auto found = attestations_.find(cosignature.attestation_position.value());
        if (cosignature.attestation_position >= expected_ || found == attestations_.end()) {
            return fail(info.path, expected_, step.offset,
                        "co-signature names position " +
                            to_string(cosignature.attestation_position) +
                            ", which holds no earlier attestation");
        }
        Status signature = verify_cosignature_signature(cosignature, found->second);
        if (!signature.is_ok()) {
            return fail(info.path, expected_, step.offset,
                        signature.message() + " (a forged or altered co-signature)");
        }
        if (report_.trust_established && !trusted_.contains(cosignature.signer)) {
            return fail(info.path, expected_, step.offset,
                        "co-signature signed by untrusted key " + cosignature.signer.to_hex());
        }
        ++report_.cosignatures_checked;
        if (report_.newest_attestation &&
            report_.newest_attestation->record_position == cosignature.attestation_position) {
            auto& signatures = report_.newest_attestation->signatures;
            const bool known = std::any_of(
                signatures.begin(), signatures.end(),
                [&](const DigestSignature& s) { return s.public_key == cosignature.signer; });
            if (!known) signatures.push_back({cosignature.signer, cosignature.signature});
        }
        return true;
    }

    // After the last segment: what must hold of the whole log.
    void finish_checks(const std::vector<SegmentInfo>& infos) {
        if (report_.failure) return;
        if (!report_.tail_cut && report_.last_position < report_.durable_position) {
            // The records ran out below the mark (the last segment ended early, or a later
            // segment that should hold them is missing).
            fail(end_path_.empty() ? std::string(kLogDirectory) : end_path_, expected_,
                 end_path_.empty() ? std::nullopt : std::optional<u64>(end_offset_),
                 "acknowledged records " + to_string(expected_) + ".." +
                     to_string(report_.durable_position) + " are missing");
            return;
        }
        if (!report_.tail_cut && newest_mark_ && !mark_checked_) {
            // The scan passed the mark's position without meeting it in the mark's segment.
            fail(segment_path(newest_mark_segment_ + 1), newest_mark_->position,
                 kMarkSlotOffset[newest_mark_slot_],
                 "the durability mark (slot " + std::string(kSlotNames[newest_mark_slot_]) +
                     ") names position " + to_string(newest_mark_->position) +
                     ", which is not in its segment");
            return;
        }
        if (options_.digest && !digest_position_matched_) {
            const Digest& digest = *options_.digest;
            std::string what = "the digest's position " + to_string(digest.statement.position) +
                               " is beyond the end of the log (last position " +
                               to_string(report_.last_position) + ")";
            if (report_.tail_cut) what += "; " + report_.tail_reason;
            fail(infos.empty() ? std::string(kLogDirectory) : infos.back().path,
                 digest.statement.position, std::nullopt, what);
            return;
        }
        if (options_.digest) {
            report_.digest_checked = true;
            if (report_.digest_note.empty()) {
                report_.digest_note =
                    options_.digest->attestation_position > report_.last_position
                        ? "its attestation record (position " +
                              to_string(options_.digest->attestation_position) +
                              ") is beyond the end of this log"
                        : "position " + to_string(options_.digest->attestation_position) +
                              " does not hold its attestation (a rewritten uncommitted suffix?)";
            }
        }
    }

    io::Storage& storage_;
    const VerifyOptions& options_;
    VerifyReport report_;
    TrustedKeys trusted_;

    std::optional<DurabilityMark> newest_mark_;
    usize newest_mark_segment_ = 0;
    usize newest_mark_slot_ = 0;
    bool mark_checked_ = false;

    Position expected_{1};  // the next position the scan expects
    ComplianceHash chain_;  // chain_hash(expected_ - 1)
    std::string end_path_;  // where the records ran out
    u64 end_offset_ = 0;

    std::vector<ComplianceHash> recent_;
    Position recent_newest_;
    std::vector<Checkpoint> checkpoints_;
    std::map<u64, AttestedStatement> attestations_;  // by record position, for co-signatures
    bool digest_position_matched_ = false;

    u64 bytes_total_ = 0;
    u64 bytes_done_before_ = 0;  // sizes of the segments already scanned
    u64 last_progress_ = 0;

    WorkSharing work_;
    ScannedBatch batches_[2];  // the one the in-order pass is in, and the next
};

}  // namespace

VerifyReport verify_log(io::Storage& storage, const VerifyOptions& options) {
    Verifier verifier(storage, options);
    return verifier.run();
}

}  // namespace kb::storage
