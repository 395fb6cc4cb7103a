// Log: accepting records and the flush pipeline (group commit, durability marks, tail mirrors).
//
// One flush = (records of one batch, their tail mirror when they fit a slot, plus the
// durability mark for records an earlier flush made durable) written, then every touched file
// synced, then (for a new segment) the directory. A record's callback runs once a flush that
// carried its mirror, or its mark, has completed, so an acknowledged record is always covered
// by a durable mark or a durable mirror that no later write touches before a mark covers it
// (see log.h). Flushes never overlap; under load each one carries everything that queued while
// the previous one ran.
#include "storage/log.h"

#include <algorithm>

#include "base/assert.h"
#include "crypto/crc32c.h"
#include "storage/io_group.h"
#include "storage/record_builder.h"

namespace kb::storage {

namespace {
// Records at least this big are written from their own buffers instead of being copied into
// one buffer with their neighbours (a 1 MiB copy costs ~0.1 ms of the loop's time; a write
// costs a system call and a hop to an IO thread, more than copying a small record).
constexpr usize kSeparateWriteBytes = 64 * 1024;

// The slot size of new segments (LogOptions::tail_mirror_slot_bytes).
u64 mirror_slot_bytes_for(const LogOptions& options) {
    u64 slot = std::min(options.tail_mirror_slot_bytes, options.segment_capacity_bytes / 8);
    slot = std::min(slot, kMirrorSlotBytesMax);
    slot -= slot % kMirrorSlotUnit;
    return slot >= 2 * kMirrorSlotUnit ? slot : 0;
}
}  // namespace

std::string_view fsync_policy_name(FsyncPolicy policy) {
    switch (policy) {
        case FsyncPolicy::every_record:
            return "every_record";
        case FsyncPolicy::every_batch:
            return "every_batch";
        case FsyncPolicy::group_commit:
            return "group_commit";
    }
    return "unknown";
}

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view name) {
    for (FsyncPolicy policy :
         {FsyncPolicy::every_record, FsyncPolicy::every_batch, FsyncPolicy::group_commit}) {
        if (fsync_policy_name(policy) == name) return policy;
    }
    return std::nullopt;
}

Log::Log(io::Storage& storage, io::EventLoop& loop, LogOptions options)
    : storage_(storage),
      loop_(loop),
      options_(options),
      mirror_slot_bytes_(mirror_slot_bytes_for(options)) {}

Log::~Log() {
    *alive_ = false;
    // Callbacks still waiting will never run: the process is shutting the log down. Closing
    // handles with operations in flight is allowed by the Storage contract.
    for (Segment& segment : segments_) {
        (void)storage_.close(segment.file);
    }
}

Result<std::unique_ptr<Log>> Log::open(io::Storage& storage, io::EventLoop& loop,
                                       LogOptions options) {
    KB_ASSERT(options.segment_capacity_bytes >
              kSegmentRecordsOffset + 2 * mirror_slot_bytes_for(options) + kRecordHeaderSize);
    KB_ASSERT(options.group_commit_bytes_max > 0);
    if (storage.read_only()) {
        return Status::invalid_argument("the log needs writable storage (verify reads without it)");
    }
    std::unique_ptr<Log> log(new Log(storage, loop, options));
    KB_TRY(log->recover());
    KB_TRY(log->establish_trust_anchor(log->durable_position_));
    log->prepare_next_segment();
    return log;
}

// Runs the loop until the asynchronous work started by `start` reports (open-time only:
// never from inside a loop task).
Status Log::run_until_done(const std::function<void(io::UniqueFunction<void(Status)>)>& start) {
    bool finished = false;
    Status result;
    start([&](Status status) {
        result = std::move(status);
        finished = true;
    });
    if (!loop_.run_until([&] { return finished; })) {
        return Status::internal("event loop stopped before the log's IO completed");
    }
    return result;
}

Status Log::create_segment(Position first_position, const ComplianceHash& previous_chain_hash,
                           u64 capacity_bytes) {
    const u64 number = segments_.empty() ? 1 : segments_.back().number + 1;
    if (!KB_TRY(adopt_prepared_segment(number, capacity_bytes))) {
        // A failed directory sync poisons the storage: the next flush fails the log fatal.
        if (Status synced = sync_segment_entries(); !synced.is_ok()) {
            return Status::fatal("syncing the log directory before creating " +
                                 segment_path(number) + ": " + synced.message());
        }
        const std::string path = segment_path(number);
        io::FileHandle file =
            KB_TRY(storage_.open(path, {.write = true, .create = true, .exclusive = true}));
        Status allocated = storage_.preallocate(file, 0, capacity_bytes);
        if (!allocated.is_ok()) {
            (void)storage_.close(file);
            (void)storage_.remove(path);
            return allocated.with_context("allocating log segment " + path);
        }
        segments_.push_back(Segment{.number = number,
                                    .file = file,
                                    .capacity_bytes = capacity_bytes,
                                    .mirror_slot_bytes = mirror_slot_bytes_,
                                    .records_offset = new_records_offset()});
    }
    SegmentSummary summary;
    summary.segment_number = number;
    summary.first_position = first_position;
    summary.last_position = first_position.prev();
    summary.end_offset = segments_.back().records_offset;
    summary.previous_chain_hash = previous_chain_hash;
    summary.last_chain_hash = previous_chain_hash;
    summaries_.push_back(std::move(summary));
    prepare_next_segment();
    return Status::ok();
}

Status Log::sync_segment_entries() {
    if (std::all_of(segments_.begin(), segments_.end(),
                    [](const Segment& segment) { return segment.entry_synced; })) {
        return Status::ok();
    }
    KB_TRY(storage_.sync_directory(kLogDirectory));
    for (Segment& segment : segments_) segment.entry_synced = true;
    return Status::ok();
}

Status Log::grow_empty_tail_segment(u64 capacity_bytes) {
    Segment& tail = segments_.back();
    Status grown = storage_.preallocate(tail.file, 0, capacity_bytes);
    if (!grown.is_ok()) {
        return grown.with_context("allocating log segment " + segment_path(tail.number));
    }
    tail.capacity_bytes = capacity_bytes;
    tail.header_written = false;  // the next flush rewrites it with the new capacity
    return Status::ok();
}

// The index of a segment that just filled up. It is derived data: written without a sync, and
// rebuilt by recovery when it is missing, torn, or disagrees with the segments around it.
void Log::write_segment_index(usize segment) {
    const SegmentSummary& summary = summaries_[segment];
    ++indexes_written_;
    auto bytes = std::make_shared<Bytes>(encode_segment_index(summary));
    auto file =
        storage_.open(segment_index_path(summary.segment_number), {.write = true, .create = true});
    if (!file) return;  // recovery rebuilds it
    io::FileHandle handle = *file;
    (void)storage_.truncate(handle, 0);
    // The storage outlives the log; the log may be gone when this completes.
    storage_.write(handle, 0, *bytes,
                   [storage = &storage_, bytes, handle](Status) { (void)storage->close(handle); });
}

Status Log::append(std::vector<Bytes> records, DurableCallback on_durable, RecordSource source) {
    KB_ASSERT(on_durable);
    if (!failure_.is_ok()) return failure_;
    if (records.empty()) {
        return Status::invalid_argument("append of no records");
    }
    // Check every record before accepting any: all or nothing.
    Position expected = last_position_.next();
    ComplianceHash chain = last_chain_hash_;
    std::vector<ComplianceHash> chain_hashes;
    chain_hashes.reserve(records.size());
    std::vector<SignedNote> signed_notes;
    for (const Bytes& bytes : records) {
        auto view = source == RecordSource::peer ? parse_record(bytes) : parse_record_header(bytes);
        if (!view) {
            return view.error().with_context("append at position " + to_string(expected));
        }
        if (view->header.position != expected) {
            return Status::invalid_argument("append: record has position " +
                                            to_string(view->header.position) + ", expected " +
                                            to_string(expected));
        }
        if (view->header.previous_chain_hash != chain) {
            return Status::invalid_argument("append: record at position " + to_string(expected) +
                                            " does not chain to the log's tail");
        }
        if (view->header.kind == RecordKind::attestation ||
            view->header.kind == RecordKind::cosignature) {
            KB_TRY(check_signed_record(*view, records, chain_hashes, &signed_notes.emplace_back()));
        }
        chain = chain_hash_next(chain, view->header_bytes);
        chain_hashes.push_back(chain);
        expected = expected.next();
    }

    // Place each record, starting new segments as needed. A failure here (no space for a new
    // segment) accepts nothing; segments already created stay, empty, for the retry.
    const usize segments_before = segments_.size();
    std::vector<std::pair<usize, u64>> placement;
    placement.reserve(records.size());
    u64 segment_end = summaries_.empty() ? 0 : summaries_.back().end_offset;
    Position position = last_position_.next();
    ComplianceHash previous = last_chain_hash_;
    for (usize i = 0; i < records.size(); ++i) {
        const u64 size = records[i].size();
        const bool fits =
            !segments_.empty() && segment_end + size <= segments_.back().capacity_bytes;
        if (!fits) {
            const bool grow = !segments_.empty() && summaries_.back().empty() &&
                              segment_end == segments_.back().records_offset;
            const u64 records_offset =
                grow ? segments_.back().records_offset : new_records_offset();
            const u64 capacity = std::max(options_.segment_capacity_bytes, records_offset + size);
            if (grow) {
                // An empty tail segment too small for this record grows instead: two
                // segments must never claim the same first position.
                KB_TRY(grow_empty_tail_segment(capacity));
            } else {
                KB_TRY(create_segment(position, previous, capacity));
            }
            segment_end = segments_.back().records_offset;
        }
        placement.emplace_back(segments_.size() - 1, segment_end);
        segment_end += size;
        previous = chain_hashes[i];
        position = position.next();
    }

    const u64 batch = next_batch_++;
    previous = last_chain_hash_;
    for (usize i = 0; i < records.size(); ++i) {
        const Position record_position = last_position_.next();
        const auto [segment, offset] = placement[i];
        const u64 next_offset = offset + records[i].size();
        summaries_[segment].add(record_position, offset, next_offset, previous, chain_hashes[i]);
        pending_.push_back(PendingRecord{.bytes = std::move(records[i]),
                                         .position = record_position,
                                         .segment = segment,
                                         .offset = offset,
                                         .batch = batch,
                                         .chain_hash = chain_hashes[i]});
        previous = chain_hashes[i];
        last_position_ = record_position;
        last_chain_hash_ = chain_hashes[i];
    }
    // Segments this call filled up are sealed: their indexes can be written (once: the
    // previous tail, if this call moved past it, and any it filled on the way).
    for (usize segment = segments_before == 0 ? 0 : segments_before - 1;
         segment + 1 < segments_.size(); ++segment) {
        write_segment_index(segment);
    }
    if (!options_.trusted_keys.empty()) {
        signed_pending_.insert(signed_pending_.end(), signed_notes.begin(), signed_notes.end());
    }
    waiters_.push_back(Waiter{last_position_, std::move(on_durable)});
    request_flush();
    return Status::ok();
}

void Log::request_flush() {
    if (flush_posted_ || flush_in_flight_) return;
    flush_posted_ = true;
    loop_.post([this, alive = alive_] {
        if (!*alive) return;
        flush_posted_ = false;
        maybe_flush();
    });
}

void Log::maybe_flush(bool may_delay) {
    if (flush_in_flight_ || flush_timer_armed_ || !failure_.is_ok()) return;
    if (truncation_) {
        // Records at or below the truncation point are written first; the rest are dropped.
        drop_pending_after(truncation_->position);
        if (pending_.empty()) {
            start_truncation();
            return;
        }
    }
    // A mark is due once records are synced and not yet marked; it is awaited while those
    // records wait for it to be acknowledged (they were not mirrored).
    const bool mark_due = data_durable_position_ > mark_position_written_;
    const bool mark_awaited = data_durable_position_ > durable_position_;
    if (pending_.empty() && !mark_awaited) {
        // A mirrored flush's mark: the next flush carries it, or a flush of its own later.
        if (mark_due) arm_mark_timer();
        return;
    }
    if (may_delay && options_.fsync == FsyncPolicy::group_commit &&
        options_.group_commit_delay_ns_max > 0 && !mark_awaited) {
        // Wait a little for more records to share this sync.
        flush_timer_armed_ = true;
        loop_.schedule_after(options_.group_commit_delay_ns_max, [this, alive = alive_] {
            if (!*alive) return;
            flush_timer_armed_ = false;
            maybe_flush(/*may_delay=*/false);
        });
        return;
    }
    start_flush();
}

// The timer measures quiet time: it writes the mark only once no flush has completed for
// tail_mirror_mark_delay_ns, so a steady stream of commits (each flush carrying the previous
// one's mark) never meets a mark-only flush in its way.
void Log::arm_mark_timer() {
    if (mark_timer_armed_) return;
    mark_timer_armed_ = true;
    const u64 quiet = loop_.clock().monotonic_ns() - last_flush_end_ns_;
    const u64 delay =
        options_.tail_mirror_mark_delay_ns > quiet ? options_.tail_mirror_mark_delay_ns - quiet : 0;
    loop_.schedule_after(delay, [this, alive = alive_] {
        if (!*alive) return;
        mark_timer_armed_ = false;
        // A flush in flight (or about to start) carries the mark, or re-arms this.
        if (flush_in_flight_ || flush_timer_armed_ || flush_posted_ || truncation_ ||
            !failure_.is_ok()) {
            return;
        }
        if (data_durable_position_ <= mark_position_written_) return;
        if (loop_.clock().monotonic_ns() - last_flush_end_ns_ <
            options_.tail_mirror_mark_delay_ns) {
            arm_mark_timer();  // a flush completed since: wait for quiet again
            return;
        }
        start_flush();
    });
}

SegmentHeader Log::header_of(usize segment) const {
    const Segment& target = segments_[segment];
    SegmentHeader header;
    header.version = target.version;
    header.segment_number = target.number;
    header.first_position = summaries_[segment].first_position;
    header.previous_chain_hash = summaries_[segment].previous_chain_hash;
    header.capacity_bytes = target.capacity_bytes;
    header.mirror_slot_bytes = target.mirror_slot_bytes;
    return header;
}

DurabilityMark Log::next_mark(Position position, u64 end_offset, const ComplianceHash& chain_hash) {
    DurabilityMark mark;
    mark.sequence = ++mark_sequence_;
    mark.position = position;
    mark.end_offset = end_offset;
    mark.chain_hash = chain_hash;
    return mark;
}

void Log::start_flush() {
    KB_ASSERT(!flush_in_flight_);
    if (!failure_.is_ok()) return;
    flush_ = Flush{};

    // The records: one, one append() call's worth, or everything up to the byte budget, all
    // in one segment so they form one contiguous write. Not while that segment is still being
    // zero-filled (its zero writes could land over them); the fill's end requests a flush.
    if (!pending_.empty() && !segments_[pending_.front().segment].zero_filling) {
        const usize segment = pending_.front().segment;
        const u64 batch = pending_.front().batch;
        u64 bytes = 0;
        usize count = 0;
        for (const PendingRecord& record : pending_) {
            if (record.segment != segment) break;
            if (options_.fsync == FsyncPolicy::every_record && count == 1) break;
            if (options_.fsync == FsyncPolicy::every_batch && record.batch != batch) break;
            if (options_.fsync == FsyncPolicy::group_commit && count > 0 &&
                bytes + record.bytes.size() > options_.group_commit_bytes_max) {
                break;
            }
            bytes += record.bytes.size();
            ++count;
        }
        flush_bytes_average_ = flush_bytes_averaged_
                                   ? flush_bytes_average_ - flush_bytes_average_ / 8 + bytes / 8
                                   : bytes;
        flush_bytes_averaged_ = true;
        // Records written from their own buffers where that saves copying a large one; runs
        // of small ones are concatenated into one write.
        flush_.first_position = pending_.front().position;
        const u64 first_offset = pending_.front().offset;
        bool in_run = false;
        for (usize i = 0; i < count; ++i) {
            PendingRecord& record = pending_.front();
            flush_.last_position = record.position;
            flush_.last_chain_hash = record.chain_hash;
            flush_.last_end_offset = record.offset + record.bytes.size();
            if (record.bytes.size() >= kSeparateWriteBytes) {
                flush_.writes.push_back(FlushWrite{
                    .segment = segment, .offset = record.offset, .bytes = std::move(record.bytes)});
                in_run = false;
            } else if (in_run) {
                Bytes& run = flush_.writes.back().bytes;
                run.insert(run.end(), record.bytes.begin(), record.bytes.end());
            } else {
                flush_.writes.push_back(FlushWrite{
                    .segment = segment, .offset = record.offset, .bytes = std::move(record.bytes)});
                in_run = true;
            }
            pending_.pop_front();
        }
        flush_.has_data = true;
        flush_.record_writes = flush_.writes.size();
        flush_.first_offset = first_offset;
        flush_.bytes = bytes;
        flush_.last_segment = segment;
        flush_.touched.push_back(segment);
        Segment& target = segments_[segment];
        // Mirrored when the records fit a slot, and:
        //  * the segment's header is already durable (recovery finds a mirror through the
        //    header's slot size, so a flush that writes the header takes two syncs);
        //  * no records wait behind this flush: then the next flush, starting as soon as this
        //    one completes, carries this one's mark anyway, and the pipeline is full (every
        //    sync acknowledges a flush either way), so a mirror would only add a page to each
        //    sync (measured: -15% records/s with 16 appenders under every_record).
        flush_.mirrored = target.header_written && target.mirror_slot_bytes > 0 &&
                          bytes + kMirrorHeaderSize <= target.mirror_slot_bytes && pending_.empty();
        if (!target.header_written) {
            auto block = encode_segment_header(header_of(segment));
            flush_.writes.push_back(FlushWrite{
                .segment = segment, .offset = 0, .bytes = Bytes(block.begin(), block.end())});
            target.header_written = true;
        }
        if (!target.entry_synced) {
            flush_.sync_directory = true;
        }
    }

    // The mark for records an earlier flush made durable.
    if (data_durable_position_ > mark_position_written_) {
        flush_.has_mark = true;
        flush_.mark =
            next_mark(data_durable_position_, data_durable_end_offset_, data_durable_chain_hash_);
        auto block = encode_mark(flush_.mark);
        flush_.writes.push_back(FlushWrite{.segment = data_durable_segment_,
                                           .offset = kMarkSlotOffset[flush_.mark.sequence % 2],
                                           .bytes = Bytes(block.begin(), block.end())});
        if (std::find(flush_.touched.begin(), flush_.touched.end(), data_durable_segment_) ==
            flush_.touched.end()) {
            flush_.touched.push_back(data_durable_segment_);
        }
    }
    // Built after the mark so that it names the newest mark sequence, this flush's included.
    if (flush_.mirrored) add_tail_mirror();
    if (!flush_.has_data && !flush_.has_mark) return;

    flush_in_flight_ = true;
    // A log destroyed with a flush in flight (shutting down; the Storage allows closing
    // handles with IO in flight) ignores its completion.
    if (flush_.touched.size() == 1 && storage_.has_write_and_sync()) {
        // One file (the usual case: the mark is in the records' segment): its writes and its
        // sync as one unit of IO, with no loop round trip between them.
        std::vector<io::WriteSpan> spans;
        spans.reserve(flush_.writes.size());
        for (const FlushWrite& write : flush_.writes) {
            KB_ASSERT(write.segment == flush_.touched.front());
            spans.push_back(io::WriteSpan{write.offset, write.bytes});
        }
        storage_.write_and_sync(segments_[flush_.touched.front()].file, std::move(spans),
                                [this, alive = alive_](Status status) {
                                    if (!*alive) return;
                                    flush_synced(std::move(status));
                                });
        return;
    }
    IoGroup writes([this, alive = alive_](Status status) {
        if (!*alive) return;
        if (!status.is_ok()) {
            finish_flush(std::move(status));
            return;
        }
        sync_flush();
    });
    for (const FlushWrite& write : flush_.writes) {
        storage_.write(segments_[write.segment].file, write.offset, write.bytes,
                       writes.write_callback());
    }
    writes.seal();
}

void Log::add_tail_mirror() {
    const usize segment = flush_.last_segment;
    const Segment& target = segments_[segment];
    const u64 sequence = ++mirror_sequence_;
    const usize slot = static_cast<usize>(sequence % 2);
    // The slot's previous flush must be covered by a durable mark: a crash may tear this write,
    // and recovery must then not need that copy. Flushes never overlap and each carries the
    // mark for the data the previous one synced, so the mark of the flush two mirrors ago has
    // completed; a truncation clears what the slots hold.
    KB_ASSERT(!mirror_slot_holds_[slot] || *mirror_slot_holds_[slot] <= mark_position_written_);
    mirror_slot_holds_[slot] = flush_.last_position;

    Bytes block(static_cast<usize>(kMirrorHeaderSize + flush_.bytes));
    u64 at = kMirrorHeaderSize;
    for (usize i = 0; i < flush_.record_writes; ++i) {
        const FlushWrite& write = flush_.writes[i];
        KB_ASSERT(write.segment == segment &&
                  write.offset == flush_.first_offset + at - kMirrorHeaderSize);
        std::copy(write.bytes.begin(), write.bytes.end(),
                  block.begin() + static_cast<std::ptrdiff_t>(at));
        at += write.bytes.size();
    }
    KB_ASSERT(at == block.size());
    MirrorHeader header;
    header.sequence = sequence;
    header.mark_sequence = mark_sequence_;
    header.segment_number = target.number;
    header.first_position = flush_.first_position;
    header.last_position = flush_.last_position;
    header.offset = flush_.first_offset;
    header.length = flush_.bytes;
    header.copy_checksum =
        crypto::crc32c(ByteSpan(block).subspan(static_cast<usize>(kMirrorHeaderSize)));
    const auto encoded = encode_mirror_header(header);
    std::copy(encoded.begin(), encoded.end(), block.begin());
    flush_.writes.push_back(FlushWrite{.segment = segment,
                                       .offset = header_of(segment).mirror_slot_offset(slot),
                                       .bytes = std::move(block)});
}

void Log::sync_flush() {
    IoGroup syncs([this, alive = alive_](Status status) {
        if (!*alive) return;
        flush_synced(std::move(status));
    });
    for (usize segment : flush_.touched) {
        storage_.sync(segments_[segment].file, syncs.sync_callback());
    }
    syncs.seal();
}

void Log::flush_synced(Status status) {
    if (status.is_ok() && flush_.sync_directory) {
        status = storage_.sync_directory(kLogDirectory);
        if (status.is_ok()) {
            for (Segment& segment : segments_) segment.entry_synced = true;
        }
    }
    finish_flush(std::move(status));
}

void Log::finish_flush(Status status) {
    KB_ASSERT(flush_in_flight_);
    flush_in_flight_ = false;
    ++flush_count_;
    last_flush_end_ns_ = loop_.clock().monotonic_ns();
    flush_.writes.clear();
    if (!status.is_ok()) {
        // EIO, a failed sync or ENOSPC inside preallocated space: nothing in this flush can be
        // called durable, and later writes cannot be trusted to land. Stop.
        fail(status.code() == StatusCode::fatal
                 ? std::move(status)
                 : Status::fatal("log write failed: " + status.message()));
        return;
    }
    if (flush_.has_data) {
        data_durable_position_ = flush_.last_position;
        data_durable_chain_hash_ = flush_.last_chain_hash;
        data_durable_segment_ = flush_.last_segment;
        data_durable_end_offset_ = flush_.last_end_offset;
    }
    // What this flush acknowledges: its own records when they were mirrored, else the records
    // its mark covers.
    Position acknowledged = durable_position_;
    ComplianceHash acknowledged_chain_hash = durable_chain_hash_;
    if (flush_.has_mark) {
        mark_position_written_ = flush_.mark.position;
        if (flush_.mark.position > acknowledged) {
            acknowledged = flush_.mark.position;
            acknowledged_chain_hash = flush_.mark.chain_hash;
        }
    }
    if (flush_.mirrored) {
        ++mirrored_flush_count_;
        acknowledged = flush_.last_position;
        acknowledged_chain_hash = flush_.last_chain_hash;
    }
    const bool advanced = acknowledged > durable_position_;
    if (advanced) {
        durable_position_ = acknowledged;
        durable_chain_hash_ = acknowledged_chain_hash;
        promote_signed_records();
    }
    // Records that queued while this flush ran go out now, before the waiters' callbacks: the
    // callbacks commit and apply (the costly part of a cycle under load), and this way the
    // next flush's writes and sync overlap them instead of following them.
    if (!pending_.empty()) maybe_flush();
    if (advanced) fire_waiters();
    // Posted, not inline: what the callbacks just queued (the next appends, often posted as
    // tasks of their own) joins the next flush (or this one, when none was started above).
    request_flush();
}

void Log::fire_waiters() {
    while (!waiters_.empty() && waiters_.front().last <= durable_position_) {
        DurableCallback callback = std::move(waiters_.front().callback);
        waiters_.pop_front();
        callback(Status::ok());
    }
}

void Log::fail(Status status) {
    KB_ASSERT(!status.is_ok());
    if (failure_.is_ok()) failure_ = status;
    pending_.clear();
    std::deque<Waiter> waiters = std::move(waiters_);
    waiters_.clear();
    for (Waiter& waiter : waiters) waiter.callback(failure_);
    if (truncation_) {
        DurableCallback done = std::move(truncation_->done);
        truncation_.reset();
        done(failure_);
    }
}

}  // namespace kb::storage
