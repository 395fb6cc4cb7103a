// Log truncation: discarding an uncommitted suffix (after a view change), crash-safely.
//
// Order matters (each step synced before the next):
//   1. sync the segment holding the new last record: everything kept is durable;
//   2. write a durability mark for the new last record: from here recovery cuts what follows;
//   3. zero the discarded bytes of that segment: a later torn mark cannot resurrect them; then
//      its tail mirror slots (the new mark already makes every older mirror irrelevant, as its
//      sequence is higher; zeroing them guards against that mark rotting later);
//   4. remove later segments and their indexes, then sync the directory.
// A crash before 2 leaves the log as it was; after 2, truncated.
#include <algorithm>

#include "base/assert.h"
#include "storage/io_group.h"
#include "storage/log.h"
#include "storage/segment_reader.h"

namespace kb::storage {

Status Log::truncate_after(Position position, DurableCallback done) {
    KB_ASSERT(done);
    if (!failure_.is_ok()) return failure_;
    if (position > last_position_) {
        return Status::invalid_argument("truncate after position " + to_string(position) +
                                        ": the log ends at " + to_string(last_position_));
    }
    if (truncation_) {
        return Status::invalid_argument("a truncation is already in progress");
    }
    // Assigned whole (not emplace()d): clang does not treat a nested struct with default
    // member initializers as default-constructible inside its enclosing class.
    PendingTruncation truncation;
    truncation.position = position;
    truncation.done = std::move(done);
    truncation_ = std::move(truncation);
    maybe_flush(/*may_delay=*/false);
    return Status::ok();
}

void Log::drop_pending_after(Position position) {
    while (!pending_.empty() && pending_.back().position > position) {
        const PendingRecord& dropped = pending_.back();
        if (truncation_ && dropped.position == position.next()) {
            auto view = parse_record_header(dropped.bytes);
            KB_ASSERT(view.has_value());
            truncation_->next_known = true;
            truncation_->next_segment = dropped.segment;
            truncation_->next_offset = dropped.offset;
            truncation_->next_previous_chain_hash = view->header.previous_chain_hash;
        }
        pending_.pop_back();
    }
    // Callbacks of appends that reach past the truncation point fail: those records are gone.
    std::deque<Waiter> kept;
    std::vector<DurableCallback> failed;
    for (Waiter& waiter : waiters_) {
        if (waiter.last > position) {
            failed.push_back(std::move(waiter.callback));
        } else {
            kept.push_back(std::move(waiter));
        }
    }
    waiters_ = std::move(kept);
    for (DurableCallback& callback : failed) {
        callback(Status::invalid_argument("records after position " + to_string(position) +
                                          " were truncated before they became durable"));
    }
}

Result<ComplianceHash> Log::chain_hash_at(Position position) {
    if (position == Position::none()) return ComplianceHash();
    if (position == last_position_) return last_chain_hash_;
    // chain_hash(p) is what record p + 1 names as its predecessor.
    auto after = std::upper_bound(
        summaries_.begin(), summaries_.end(), position.next(),
        [](Position p, const SegmentSummary& summary) { return p < summary.first_position; });
    const usize segment = static_cast<usize>(after - summaries_.begin()) - 1;
    if (summaries_[segment].first_position == position.next()) {
        return summaries_[segment].previous_chain_hash;
    }
    const u64 offset = KB_TRY(find_offset(segment, position.next()));
    SegmentHeader header;
    header.segment_number = summaries_[segment].segment_number;
    header.first_position = summaries_[segment].first_position;
    SegmentReader reader =
        SegmentReader::borrow(storage_, segments_[segment].file, segments_[segment].capacity_bytes,
                              header, segment_path(header.segment_number));
    ScanStep step = KB_TRY(reader.read_header_at(offset));
    if (step.outcome != ScanOutcome::record) {
        return Status::corruption(reader.path() + " position " + to_string(position.next()) + ": " +
                                  step.problem);
    }
    return step.header.previous_chain_hash;
}

void Log::start_truncation() {
    KB_ASSERT(truncation_ && pending_.empty() && !flush_in_flight_);
    const Position position = truncation_->position;
    flush_in_flight_ = true;

    // Where the kept records end: the segment holding `position` (or the first, when the log
    // is emptied), and the offset just past it.
    usize segment = 0;
    u64 end_offset = segments_.empty() ? kSegmentRecordsOffset : segments_[0].records_offset;
    Status located = [&]() -> Status {
        if (segments_.empty()) return Status::ok();
        if (position == Position::none()) return Status::ok();
        auto after = std::upper_bound(
            summaries_.begin(), summaries_.end(), position,
            [](Position p, const SegmentSummary& summary) { return p < summary.first_position; });
        segment = static_cast<usize>(after - summaries_.begin()) - 1;
        if (truncation_->next_known && truncation_->next_segment == segment) {
            end_offset = truncation_->next_offset;
        } else if (position == summaries_[segment].last_position || truncation_->next_known) {
            end_offset = summaries_[segment].end_offset;
        } else {
            end_offset = KB_TRY(find_offset(segment, position.next()));
        }
        return Status::ok();
    }();
    auto chain = !located.is_ok() ? Result<ComplianceHash>(located)
                 : truncation_->next_known
                     ? Result<ComplianceHash>(truncation_->next_previous_chain_hash)
                     : chain_hash_at(position);
    if (!chain) {
        flush_in_flight_ = false;
        fail(Status::fatal("truncating the log: " + chain.error().message()));
        return;
    }
    if (segments_.empty()) {
        // Nothing was ever written.
        flush_in_flight_ = false;
        DurableCallback done = std::move(truncation_->done);
        truncation_.reset();
        done(Status::ok());
        return;
    }
    const ComplianceHash chain_hash = *chain;
    const u64 old_end = summaries_[segment].end_offset;
    const DurabilityMark mark = next_mark(position, end_offset, chain_hash);
    auto mark_block = std::make_shared<std::array<u8, kMarkSlotSize>>(encode_mark(mark));
    auto zeros = std::make_shared<Bytes>(static_cast<usize>(
        std::min<u64>(old_end > end_offset ? old_end - end_offset : 0, limits::kMiB)));
    const io::FileHandle file = segments_[segment].file;
    // The mirror slots' header blocks (a mirror without its header is empty).
    std::vector<u64> mirror_slots;
    if (segments_[segment].mirror_slot_bytes > 0) {
        for (usize slot = 0; slot < 2; ++slot) {
            mirror_slots.push_back(header_of(segment).mirror_slot_offset(slot));
        }
    }
    auto zero_block = std::make_shared<Bytes>(static_cast<usize>(kMirrorHeaderSize));

    auto finish = [this, alive = alive_, segment, position, end_offset, chain_hash](Status status) {
        if (!*alive) return;  // the log was destroyed with the truncation in flight
        flush_in_flight_ = false;
        if (status.is_ok()) {
            // 4. Later segments go.
            for (usize later = segments_.size(); later > segment + 1; --later) {
                const u64 number = segments_[later - 1].number;
                (void)storage_.close(segments_[later - 1].file);
                if (status.is_ok()) status = storage_.remove(segment_path(number));
                auto index = storage_.exists(segment_index_path(number));
                if (status.is_ok() && index && *index) {
                    status = storage_.remove(segment_index_path(number));
                }
            }
            const bool removed = segments_.size() > segment + 1;
            segments_.resize(segment + 1);
            summaries_.resize(segment + 1);
            auto index = storage_.exists(segment_index_path(segments_.back().number));
            if (status.is_ok() && index && *index) {
                status = storage_.remove(segment_index_path(segments_.back().number));
            }
            if (status.is_ok() && removed) status = storage_.sync_directory(kLogDirectory);
        }
        if (!status.is_ok()) {
            fail(status.code() == StatusCode::fatal
                     ? std::move(status)
                     : Status::fatal("truncating the log: " + status.message()));
            return;
        }
        if (position >= summaries_[segment].first_position.prev()) {
            summaries_[segment].truncate_after(
                std::max(position, summaries_[segment].first_position.prev()), end_offset,
                chain_hash);
        }
        // Whatever the mirror slots held is covered by the truncation's mark (and zeroed).
        mirror_slot_holds_ = {};
        last_position_ = position;
        last_chain_hash_ = chain_hash;
        data_durable_position_ = position;
        data_durable_chain_hash_ = chain_hash;
        data_durable_segment_ = segment;
        data_durable_end_offset_ = end_offset;
        durable_position_ = position;
        durable_chain_hash_ = chain_hash;
        mark_position_written_ = position;
        if (Status trusted = trust_after_truncation(position); !trusted.is_ok()) {
            fail(Status::fatal("truncating the log: " + trusted.message()));
            return;
        }
        fire_waiters();
        DurableCallback done = std::move(truncation_->done);
        truncation_.reset();
        done(Status::ok());
        maybe_flush();
    };

    // (The steps below use only the storage, which outlives the log: if the log is destroyed
    // meanwhile, `finish` ignores the outcome.)
    // 3b. Zero the mirror slots' header blocks, then sync. After the discarded bytes are
    // zeroes on disk: a torn slot makes recovery keep intact records beyond the mark.
    auto zero_mirrors = [storage = &storage_, file, zero_block, mirror_slots,
                         finish = std::move(finish)](Status status) mutable {
        if (!status.is_ok() || mirror_slots.empty()) {
            finish(std::move(status));
            return;
        }
        auto synced = std::make_shared<decltype(finish)>(std::move(finish));
        // The group's callback keeps the zero block alive until every write has completed
        // (this lambda may be gone by then).
        IoGroup writes([storage, file, synced, zero_block](Status written) {
            if (!written.is_ok()) {
                (*synced)(std::move(written));
                return;
            }
            storage->sync(file, [synced](Status s) { (*synced)(std::move(s)); });
        });
        for (u64 offset : mirror_slots) {
            storage->write(file, offset, *zero_block, writes.write_callback());
        }
        writes.seal();
    };
    // 3a. Zero the discarded bytes, then sync.
    auto zero_tail = [storage = &storage_, file, zeros, end_offset, old_end,
                      zero_mirrors = std::move(zero_mirrors)](Status status) mutable {
        if (!status.is_ok() || old_end <= end_offset) {
            zero_mirrors(std::move(status));
            return;
        }
        auto next = std::make_shared<decltype(zero_mirrors)>(std::move(zero_mirrors));
        // As above: the group's callback keeps the zeros alive.
        IoGroup writes([storage, file, next, zeros](Status written) {
            if (!written.is_ok()) {
                (*next)(std::move(written));
                return;
            }
            storage->sync(file, [next](Status s) { (*next)(std::move(s)); });
        });
        for (u64 offset = end_offset; offset < old_end; offset += zeros->size()) {
            const usize length = static_cast<usize>(std::min<u64>(zeros->size(), old_end - offset));
            storage->write(file, offset, ByteSpan(zeros->data(), length), writes.write_callback());
        }
        writes.seal();
    };
    // 2. The mark, then sync.
    auto write_mark = [storage = &storage_, file, mark_block,
                       slot = kMarkSlotOffset[mark.sequence % 2],
                       zero_tail = std::move(zero_tail)](Status status) mutable {
        if (!status.is_ok()) {
            zero_tail(std::move(status));
            return;
        }
        auto next = std::make_shared<decltype(zero_tail)>(std::move(zero_tail));
        storage->write(file, slot, *mark_block, [storage, file, next, mark_block](Status written) {
            if (!written.is_ok()) {
                (*next)(std::move(written));
                return;
            }
            storage->sync(file, [next](Status s) { (*next)(std::move(s)); });
        });
    };
    // 1. Everything kept is durable.
    storage_.sync(file, std::move(write_mark));
}

}  // namespace kb::storage
