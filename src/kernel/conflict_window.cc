// The conflict window (see conflict_window.h).
#include "kernel/conflict_window.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace kb::kernel {
namespace {

// Memory per written key beyond its bytes: its copy and slot in a run, entry bookkeeping.
constexpr u64 kKeyOverheadBytes = 64;

// Byte strings in the store's order (unsigned bytes, then length).
int bytes_compare(ByteSpan a, ByteSpan b) {
    const usize common = std::min(a.size(), b.size());
    if (common > 0) {
        const int order = std::memcmp(a.data(), b.data(), common);
        if (order != 0) return order;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace

WriteSet transaction_write_set(const TransactionOp& transaction) {
    WriteSet writes;
    writes.keys.reserve(transaction.effects.size());
    for (const RowEffect& effect : transaction.effects) {
        writes.keys.push_back({.object = object_of(effect.table), .key = effect.key});
    }
    for (const DdlChange& change : transaction.ddl) {
        writes.catalog = true;
        if (const auto* truncate = std::get_if<TruncateTableChange>(&change)) {
            writes.whole_objects.push_back(object_of(truncate->table));
        } else if (const auto* drop = std::get_if<DropTableChange>(&change)) {
            writes.whole_objects.push_back(object_of(drop->table));
        } else if (const auto* drop_index = std::get_if<DropIndexChange>(&change)) {
            writes.whole_objects.push_back(object_of(drop_index->index));
        }
    }
    return writes;
}

std::string ConflictCheck::describe() const {
    switch (verdict) {
        case ConflictVerdict::ok:
            return "ok";
        case ConflictVerdict::conflict:
            if (what == "catalog") {
                return "conflict: the schema was changed at position " +
                       std::to_string(write_position.value());
            }
            return "conflict: " + what + " of object " + std::to_string(object.value()) +
                   " written at position " + std::to_string(write_position.value());
        case ConflictVerdict::too_old:
            return "too old: writes up to position " + std::to_string(write_position.value()) +
                   " are no longer in the conflict window";
    }
    KB_UNREACHABLE();
}

ConflictWindow::ConflictWindow(ConflictWindowOptions options, Position start)
    : options_(options), horizon_(start), newest_(start), tail_start_(Position(start.value() + 1)) {
    KB_ASSERT(options_.positions_max >= 1);
    KB_ASSERT(options_.run_keys >= 1);
}

void ConflictWindow::index_whole(const Entry& entry) {
    for (ObjectId whole : entry.writes.whole_objects) {
        whole_[Space{entry.tenant, whole}] = entry.position;
    }
    if (entry.writes.catalog) catalog_[entry.tenant] = entry.position;
}

void ConflictWindow::record(Position position, TenantId tenant, WriteSet writes) {
    KB_ASSERT(position > newest_);
    newest_ = position;
    if (!writes.empty()) {
        Entry entry{.position = position, .tenant = tenant, .writes = std::move(writes)};
        for (const KeyRef& ref : entry.writes.keys) {
            entry.bytes += ref.key.size() + kKeyOverheadBytes;
        }
        entry.bytes += entry.writes.whole_objects.size() * kKeyOverheadBytes + kKeyOverheadBytes;
        index_whole(entry);
        tail_keys_ += entry.writes.keys.size();
        bytes_ += entry.bytes;
        entries_.push_back(std::move(entry));
        if (tail_keys_ >= options_.run_keys) seal_run();
    }
    evict_to_bounds();
}

usize ConflictWindow::entry_at_or_after(Position position) const {
    return static_cast<usize>(
        std::partition_point(entries_.begin(), entries_.end(),
                             [&](const Entry& entry) { return entry.position < position; }) -
        entries_.begin());
}

void ConflictWindow::seal_run() {
    const usize first = entry_at_or_after(tail_start_);
    const std::vector<Recent> recent = recent_keys(first);
    Run run{.last = newest_};
    run.keys.reserve(recent.size());
    for (const Recent& key : recent) {
        run.keys.push_back(RunKey{.space = key.space,
                                  .offset = static_cast<u32>(run.arena.size()),
                                  .size = static_cast<u32>(key.key.size()),
                                  .position = key.position});
        run.arena.insert(run.arena.end(), key.key.begin(), key.key.end());
    }
    // Offsets are 32-bit: a run holds at most one op's keys (bounded by the op size cap) or
    // run_keys_max keys.
    KB_ASSERT(run.arena.size() <= ~u32{0});
    runs_.push_back(std::move(run));
    tail_start_ = Position(newest_.value() + 1);
    tail_keys_ = 0;
    while (runs_.size() >= 2) {
        const usize older = runs_[runs_.size() - 2].keys.size();
        const usize newer = runs_.back().keys.size();
        if (older > 2 * newer || older + newer > options_.run_keys_max) break;
        Run merged = merge_runs(runs_[runs_.size() - 2], runs_.back());
        runs_.pop_back();
        runs_.back() = std::move(merged);
    }
}

ConflictWindow::Run ConflictWindow::merge_runs(const Run& older, const Run& newer) {
    Run merged{.last = newer.last};
    merged.keys.reserve(older.keys.size() + newer.keys.size());
    merged.arena.reserve(older.arena.size() + newer.arena.size());
    auto append = [&](const Run& from, const RunKey& key) {
        const ByteSpan bytes = from.key(key);
        merged.keys.push_back(RunKey{.space = key.space,
                                     .offset = static_cast<u32>(merged.arena.size()),
                                     .size = key.size,
                                     .position = key.position});
        merged.arena.insert(merged.arena.end(), bytes.begin(), bytes.end());
    };
    auto a = older.keys.begin();
    auto b = newer.keys.begin();
    while (a != older.keys.end() || b != newer.keys.end()) {
        int order = 0;  // <0: a first, >0: b first, 0: the same key (the newer run's wins)
        if (a == older.keys.end()) {
            order = 1;
        } else if (b == newer.keys.end()) {
            order = -1;
        } else if (a->space != b->space) {
            order = a->space < b->space ? -1 : 1;
        } else {
            order = bytes_compare(older.key(*a), newer.key(*b));
        }
        if (order < 0) {
            append(older, *a++);
        } else {
            append(newer, *b++);
            if (order == 0) ++a;
        }
    }
    KB_ASSERT(merged.arena.size() <= ~u32{0});
    return merged;
}

void ConflictWindow::evict_oldest() {
    KB_ASSERT(!entries_.empty());
    const Entry& entry = entries_.front();
    // Only the newest whole-space write is kept; a newer entry may own it already.
    for (ObjectId object : entry.writes.whole_objects) {
        auto found = whole_.find(Space{entry.tenant, object});
        if (found != whole_.end() && found->second == entry.position) whole_.erase(found);
    }
    if (entry.writes.catalog) {
        auto found = catalog_.find(entry.tenant);
        if (found != catalog_.end() && found->second == entry.position) catalog_.erase(found);
    }
    horizon_ = std::max(horizon_, entry.position);
    bytes_ -= entry.bytes;
    if (entry.position >= tail_start_) tail_keys_ -= entry.writes.keys.size();
    entries_.pop_front();
}

void ConflictWindow::evict_to_bounds() {
    if (newest_.value() > options_.positions_max) {
        horizon_ = std::max(horizon_, Position(newest_.value() - options_.positions_max));
    }
    while (!entries_.empty() &&
           (entries_.front().position <= horizon_ || bytes_ > options_.bytes_max)) {
        evict_oldest();
    }
    // A run whose newest write is at or before the horizon can overlap no check's reads (every
    // snapshot checked is at or after the horizon).
    while (!runs_.empty() && runs_.front().last <= horizon_) runs_.pop_front();
}

void ConflictWindow::truncate_after(Position position) {
    if (position >= newest_) return;
    // Rare (a view change): rebuild the index from the entries that stay.
    while (!entries_.empty() && entries_.back().position > position) {
        bytes_ -= entries_.back().bytes;
        entries_.pop_back();
    }
    runs_.clear();
    whole_.clear();
    catalog_.clear();
    tail_start_ = entries_.empty() ? Position(position.value() + 1) : entries_.front().position;
    tail_keys_ = 0;
    for (const Entry& entry : entries_) {
        index_whole(entry);
        tail_keys_ += entry.writes.keys.size();
    }
    // Every write after `position` is gone from the log, so a snapshot at or after it has
    // nothing to conflict with yet, even one older than the horizon was.
    newest_ = position;
    horizon_ = std::min(horizon_, position);
    if (tail_keys_ >= options_.run_keys) seal_run();
}

Position ConflictWindow::whole_write(const Space& space) const {
    auto found = whole_.find(space);
    return found == whole_.end() ? Position::none() : found->second;
}

std::vector<ConflictWindow::Recent> ConflictWindow::recent_keys(usize first) const {
    std::vector<Recent> recent;
    for (usize i = first; i < entries_.size(); ++i) {
        const Entry& entry = entries_[i];
        for (const KeyRef& ref : entry.writes.keys) {
            recent.push_back(Recent{Space{entry.tenant, ref.object}, ref.key, entry.position});
        }
    }
    // By key, newest first within a key; then only the newest of each key stays.
    std::sort(recent.begin(), recent.end(), [](const Recent& a, const Recent& b) {
        if (a.space != b.space) return a.space < b.space;
        const int order = bytes_compare(a.key, b.key);
        if (order != 0) return order < 0;
        return a.position > b.position;
    });
    auto same_key = [](const Recent& a, const Recent& b) {
        return a.space == b.space && bytes_compare(a.key, b.key) == 0;
    };
    recent.erase(std::unique(recent.begin(), recent.end(), same_key), recent.end());
    return recent;
}

ConflictCheck ConflictWindow::check(TenantId tenant, const ReadSet& reads,
                                    Position snapshot) const {
    ConflictCheck result;
    if (snapshot < horizon_) {
        result.verdict = ConflictVerdict::too_old;
        result.write_position = horizon_;
        return result;
    }
    // Every recorded write is at or before newest_: nothing after the snapshot to overlap.
    if (newest_ <= snapshot) return result;

    // Report the newest overlapping write: deterministic, and the most useful to a reader.
    auto overlap = [&](Position written, ObjectId object, std::string_view what) {
        if (written > snapshot && written > result.write_position) {
            result.verdict = ConflictVerdict::conflict;
            result.write_position = written;
            result.object = object;
            result.what = std::string(what);
        }
    };

    // The writes after the snapshot: few, so looked at alone, or else the index: the sealed
    // runs after the snapshot plus the unsealed tail looked at alone. Either gives the newest
    // write of a key when it is after the snapshot, which is all overlap uses.
    const usize first = entry_at_or_after(Position(snapshot.value() + 1));
    const u64 read_count = reads.keys.size() + reads.absent_keys.size() + reads.parent_keys.size() +
                           reads.ranges.size();
    const u64 per_read = options_.scan_keys_per_read;
    const u64 relative = read_count != 0 && per_read > (~u64{0} - 16) / read_count
                             ? ~u64{0}
                             : 16 + per_read * read_count;
    const u64 scan_max = std::min(options_.scan_keys_max, relative);
    u64 recent_count = 0;
    for (usize i = first; i < entries_.size() && recent_count <= scan_max; ++i) {
        recent_count += entries_[i].writes.keys.size();
    }
    const bool scan = recent_count <= scan_max;
    const std::vector<Recent> recent =
        recent_keys(scan ? first : std::max(first, entry_at_or_after(tail_start_)));
    const auto runs_begin =
        scan ? runs_.end() : std::partition_point(runs_.begin(), runs_.end(), [&](const Run& run) {
            return run.last <= snapshot;
        });
    auto recent_less = [](const Recent& a, const Recent& b) {
        if (a.space != b.space) return a.space < b.space;
        return bytes_compare(a.key, b.key) < 0;
    };
    // The first key of `run` at or after (space, key).
    auto run_lower_bound = [](const Run& run, const Space& space, ByteSpan key) {
        return std::partition_point(run.keys.begin(), run.keys.end(), [&](const RunKey& k) {
            if (k.space != space) return k.space < space;
            return bytes_compare(run.key(k), key) < 0;
        });
    };
    auto newest_write = [&](const Space& space, ByteSpan key) {
        Position newest = Position::none();
        const Recent probe{space, key, Position::none()};
        auto it = std::lower_bound(recent.begin(), recent.end(), probe, recent_less);
        if (it != recent.end() && it->space == space && bytes_compare(it->key, key) == 0) {
            newest = it->position;
        }
        for (auto run = runs_begin; run != runs_.end(); ++run) {
            auto found = run_lower_bound(*run, space, key);
            if (found != run->keys.end() && found->space == space &&
                bytes_compare(run->key(*found), key) == 0) {
                newest = std::max(newest, found->position);
            }
        }
        return newest;
    };
    auto point_reads = [&](const std::vector<KeyRef>& refs, std::string_view what) {
        for (const KeyRef& ref : refs) {
            const Space space{tenant, ref.object};
            overlap(newest_write(space, ref.key), ref.object, what);
            overlap(whole_write(space), ref.object, "key space");
        }
    };
    point_reads(reads.keys, "key");
    point_reads(reads.absent_keys, "absent key");
    point_reads(reads.parent_keys, "parent key");
    for (const KeyRange& range : reads.ranges) {
        const Space space{tenant, range.object};
        overlap(whole_write(space), range.object, "key space");
        if (!range.end.empty() && bytes_compare(range.start, range.end) >= 0) continue;  // empty
        auto before_end = [&](ByteSpan key) {
            return range.end.empty() || bytes_compare(key, range.end) < 0;
        };
        const Recent probe{space, range.start, Position::none()};
        for (auto it = std::lower_bound(recent.begin(), recent.end(), probe, recent_less);
             it != recent.end() && it->space == space && before_end(it->key); ++it) {
            overlap(it->position, range.object, "range");
        }
        for (auto run = runs_begin; run != runs_.end(); ++run) {
            for (auto it = run_lower_bound(*run, space, range.start);
                 it != run->keys.end() && it->space == space && before_end(run->key(*it)); ++it) {
                overlap(it->position, range.object, "range");
            }
        }
    }
    if (reads.catalog_version.has_value()) {
        auto found = catalog_.find(tenant);
        if (found != catalog_.end()) overlap(found->second, ObjectId(0), "catalog");
    }
    return result;
}

}  // namespace kb::kernel
