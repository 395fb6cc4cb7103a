// Segments prepared ahead of need, zero-filled while flushes are small.
//
// Overwriting blocks a file already holds syncs faster than filling preallocated (unwritten)
// extents, whose first write also commits file-system metadata: on this machine's ext4 a 4 KiB
// write + fdatasync costs 92 µs into written blocks, 134 µs into fallocate'd ones. So, while
// flushes are small, the log writes zeros over the next segment in the background, one segment
// ahead, and syncs it and its directory entry before records go there. Zeros cost a byte of
// device bandwidth per byte of log, though, and bulk appends (a 1 MiB record per sync) lose
// more to that than they save (LogOptions::zero_fill_flush_bytes_max): then the segment is only
// fallocate'd, and a fill in progress stops and fallocates the rest.
//
// A prepared file has an all-zero header, so a crash leaves it as "a segment that was never
// completed", which recovery removes. If records must go to the next segment before it is
// ready, the segment is adopted anyway and flushes into it wait for the preparation (zero
// writes must not land over records). Small records wait for the zeros (a few milliseconds
// once, then cheaper syncs for the whole segment); when the records waiting would make a flush
// too big for zeros to pay, the fill stops after the chunk in flight and the rest is
// fallocate'd (waiting for 64 MiB of zeros would cost more than it saves).
#include <algorithm>

#include "base/assert.h"
#include "storage/log.h"

namespace kb::storage {

namespace {
// Zeros are written a chunk at a time; small segments (tests) still take several chunks, so a
// fill can stop part-way there too.
constexpr u64 kZeroChunkBytes = limits::kMiB;
u64 zero_chunk_bytes(u64 capacity_bytes) {
    return std::clamp<u64>(capacity_bytes / 8, 4 * limits::kKiB, kZeroChunkBytes);
}
}  // namespace

void Log::prepare_next_segment() {
    if (!options_.zero_fill_segments || prepared_ || !failure_.is_ok()) return;
    const u64 number = segments_.empty() ? 1 : segments_.back().number + 1;
    // A failed directory sync poisons the storage: the next flush fails the log fatal.
    if (!sync_segment_entries().is_ok()) return;
    auto file =
        storage_.open(segment_path(number), {.write = true, .create = true, .exclusive = true});
    if (!file) return;  // the fallocate path will create it when needed
    prepared_ = PreparedSegment{
        .number = number, .file = *file, .capacity_bytes = options_.segment_capacity_bytes};
    continue_zero_fill(0);
}

bool Log::zero_fill_pays() const {
    if (flush_bytes_average_ > options_.zero_fill_flush_bytes_max) return false;
    if (!prepared_ || !prepared_->adopted) return true;
    // Records already wait for this segment: the flush they make decides.
    u64 waiting = 0;
    for (const PendingRecord& record : pending_) {
        if (segments_[record.segment].number != prepared_->number) continue;
        waiting += record.bytes.size();
        if (waiting > options_.zero_fill_flush_bytes_max) return false;
    }
    return true;
}

// One chunk at a time: the fill runs beside appends without flooding the device queue, and
// stops as soon as flushes turn big.
void Log::continue_zero_fill(u64 offset) {
    KB_ASSERT(prepared_);
    if (offset >= prepared_->capacity_bytes || !zero_fill_pays()) {
        allocate_rest_and_sync(offset);
        return;
    }
    if (!zeros_) zeros_ = std::make_shared<Bytes>(kZeroChunkBytes);
    const u64 length =
        std::min(zero_chunk_bytes(prepared_->capacity_bytes), prepared_->capacity_bytes - offset);
    zero_bytes_written_ += length;
    storage_.write(prepared_->file, offset, ByteSpan(zeros_->data(), length),
                   [this, alive = alive_, zeros = zeros_, next = offset + length](Status status) {
                       if (!*alive) return;
                       if (!status.is_ok()) {
                           finish_zero_fill(std::move(status));
                           return;
                       }
                       continue_zero_fill(next);
                   });
}

void Log::allocate_rest_and_sync(u64 offset) {
    KB_ASSERT(prepared_);
    if (offset < prepared_->capacity_bytes) {
        Status allocated =
            storage_.preallocate(prepared_->file, offset, prepared_->capacity_bytes - offset);
        if (!allocated.is_ok()) {
            finish_zero_fill(std::move(allocated));
            return;
        }
    }
    storage_.sync(prepared_->file, [this, alive = alive_](Status status) {
        if (!*alive) return;
        if (status.is_ok()) status = storage_.sync_directory(kLogDirectory);
        finish_zero_fill(std::move(status));
    });
}

void Log::finish_zero_fill(Status status) {
    KB_ASSERT(prepared_);
    PreparedSegment prepared = *prepared_;
    if (!prepared.adopted) {
        if (status.is_ok()) {
            prepared_->ready = true;
        } else {
            // A full disk or an IO error while preparing: give up on this file; the
            // fallocate path reports the problem if the segment is ever needed.
            (void)storage_.close(prepared.file);
            (void)storage_.remove(segment_path(prepared.number));
            prepared_.reset();
        }
        return;
    }
    prepared_.reset();
    for (Segment& segment : segments_) {
        if (segment.number != prepared.number) continue;
        segment.zero_filling = false;
        segment.entry_synced = status.is_ok();  // the preparation synced the directory
        if (!status.is_ok()) {
            // Records are already placed in it: fall back to allocating the rest.
            status = storage_.preallocate(segment.file, 0, segment.capacity_bytes);
        }
        if (!status.is_ok()) {
            fail(Status::fatal("preparing log segment " + segment_path(segment.number) + ": " +
                               status.message()));
            return;
        }
        request_flush();
    }
    prepare_next_segment();
}

Result<bool> Log::adopt_prepared_segment(u64 number, u64 capacity_bytes) {
    if (!prepared_) return false;
    if (prepared_->number != number || prepared_->adopted) {
        // Left over from before a truncation renumbered the tail: drop it. Its zero writes may
        // still be in flight; the removed file's handle stays valid until they finish.
        if (prepared_->ready) {
            (void)storage_.close(prepared_->file);
            (void)storage_.remove(segment_path(prepared_->number));
            prepared_.reset();
        }
        return false;
    }
    if (capacity_bytes > prepared_->capacity_bytes) {
        // A record bigger than a segment: the tail beyond the zeros is fallocate'd.
        Status grown = storage_.preallocate(prepared_->file, 0, capacity_bytes);
        if (!grown.is_ok()) {
            return grown.with_context("allocating log segment " + segment_path(number));
        }
    }
    segments_.push_back(
        Segment{.number = number,
                .file = prepared_->file,
                .capacity_bytes = std::max(capacity_bytes, prepared_->capacity_bytes),
                .mirror_slot_bytes = mirror_slot_bytes_,
                .records_offset = new_records_offset(),
                .entry_synced = prepared_->ready,
                .zero_filling = !prepared_->ready});
    if (prepared_->ready) {
        prepared_.reset();
        prepare_next_segment();
    } else {
        prepared_->adopted = true;
    }
    return true;
}

}  // namespace kb::storage
