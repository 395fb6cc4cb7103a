// The conflict window (see conflict_window.h).
#include "kernel/conflict_window.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace kb::kernel {
namespace {

// Memory per written key beyond its bytes: map node, position, entry bookkeeping.
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

bool ConflictWindow::BytesLess::operator()(ByteSpan a, ByteSpan b) const {
    return bytes_compare(a, b) < 0;
}

ConflictWindow::ConflictWindow(ConflictWindowOptions options, Position start)
    : options_(options), horizon_(start), newest_(start) {
    KB_ASSERT(options_.positions_max >= 1);
}

void ConflictWindow::index(const Entry& entry) {
    // Write sets name their keys grouped by object (primary keys, then each index's): look the
    // key space up once per run of keys in it.
    std::map<Bytes, Position, BytesLess>* space = nullptr;
    ObjectId object{};
    for (const KeyRef& ref : entry.writes.keys) {
        if (space == nullptr || ref.object != object) {
            object = ref.object;
            space = &keys_[Space{entry.tenant, object}];
        }
        auto found = space->find(ByteSpan(ref.key));
        if (found != space->end()) {
            found->second = entry.position;
        } else {
            space->emplace(ref.key, entry.position);
        }
    }
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
        index(entry);
        bytes_ += entry.bytes;
        entries_.push_back(std::move(entry));
    }
    evict_to_bounds();
}

void ConflictWindow::evict_oldest() {
    KB_ASSERT(!entries_.empty());
    const Entry& entry = entries_.front();
    // Only the newest write of a key is indexed; a newer entry may own it already, and a
    // write set may name a key twice.
    for (const KeyRef& ref : entry.writes.keys) {
        auto space = keys_.find(Space{entry.tenant, ref.object});
        if (space == keys_.end()) continue;
        auto key = space->second.find(ByteSpan(ref.key));
        if (key != space->second.end() && key->second == entry.position) {
            space->second.erase(key);
            if (space->second.empty()) keys_.erase(space);
        }
    }
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
}

void ConflictWindow::truncate_after(Position position) {
    if (position >= newest_) return;
    // Rare (a view change): rebuild the index from the entries that stay.
    while (!entries_.empty() && entries_.back().position > position) {
        bytes_ -= entries_.back().bytes;
        entries_.pop_back();
    }
    keys_.clear();
    whole_.clear();
    catalog_.clear();
    for (const Entry& entry : entries_) index(entry);
    // Every write after `position` is gone from the log, so a snapshot at or after it has
    // nothing to conflict with yet, even one older than the horizon was.
    newest_ = position;
    horizon_ = std::min(horizon_, position);
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

    // The writes after the snapshot: few, so looked at alone, or else the whole index. Either
    // gives the newest write of a key when it is after the snapshot, which is all overlap uses.
    const usize first = static_cast<usize>(
        std::partition_point(entries_.begin(), entries_.end(),
                             [&](const Entry& entry) { return entry.position <= snapshot; }) -
        entries_.begin());
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
    std::vector<Recent> recent;
    if (scan) recent = recent_keys(first);
    auto recent_less = [](const Recent& a, const Recent& b) {
        if (a.space != b.space) return a.space < b.space;
        return bytes_compare(a.key, b.key) < 0;
    };
    auto newest_write = [&](const Space& space, ByteSpan key) {
        if (scan) {
            const Recent probe{space, key, Position::none()};
            auto it = std::lower_bound(recent.begin(), recent.end(), probe, recent_less);
            if (it == recent.end() || it->space != space || bytes_compare(it->key, key) != 0) {
                return Position::none();
            }
            return it->position;
        }
        auto found = keys_.find(space);
        if (found == keys_.end()) return Position::none();
        auto entry = found->second.find(key);
        return entry == found->second.end() ? Position::none() : entry->second;
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
        if (scan) {
            const Recent probe{space, range.start, Position::none()};
            auto it = std::lower_bound(recent.begin(), recent.end(), probe, recent_less);
            for (; it != recent.end() && it->space == space &&
                   (range.end.empty() || bytes_compare(it->key, range.end) < 0);
                 ++it) {
                overlap(it->position, range.object, "range");
            }
            continue;
        }
        auto found = keys_.find(space);
        if (found == keys_.end()) continue;
        const auto& written = found->second;
        auto it = written.lower_bound(ByteSpan(range.start));
        auto end = range.end.empty() ? written.end() : written.lower_bound(ByteSpan(range.end));
        for (; it != end; ++it) overlap(it->second, range.object, "range");
    }
    if (reads.catalog_version.has_value()) {
        auto found = catalog_.find(tenant);
        if (found != catalog_.end()) overlap(found->second, ObjectId(0), "catalog");
    }
    return result;
}

}  // namespace kb::kernel
