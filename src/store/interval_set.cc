// IntervalSet: free page runs (see interval_set.h).
#include "store/interval_set.h"

#include <algorithm>

#include "base/assert.h"

namespace kb::store {

void IntervalSet::add(u64 start, u64 count) {
    if (count == 0) return;
    u64 end = start + count;
    KB_ASSERT(end > start);
    // Merge with every run that overlaps or touches [start, end).
    auto it = runs_.upper_bound(start);
    if (it != runs_.begin()) {
        auto before = std::prev(it);
        if (before->second >= start) it = before;
    }
    while (it != runs_.end() && it->first <= end) {
        start = std::min(start, it->first);
        end = std::max(end, it->second);
        size_ -= it->second - it->first;
        it = runs_.erase(it);
    }
    runs_.emplace(start, end);
    size_ += end - start;
}

void IntervalSet::add(const IntervalSet& other) {
    for (const auto& [start, end] : other.runs_) add(start, end - start);
}

std::optional<u64> IntervalSet::take(u64 count) {
    KB_ASSERT(count > 0);
    for (auto it = runs_.begin(); it != runs_.end(); ++it) {
        const u64 start = it->first;
        const u64 end = it->second;
        if (end - start < count) continue;
        runs_.erase(it);
        if (end - start > count) runs_.emplace(start + count, end);
        size_ -= count;
        return start;
    }
    return std::nullopt;
}

void IntervalSet::remove(u64 start, u64 count) {
    if (count == 0) return;
    auto it = runs_.upper_bound(start);
    KB_ASSERT(it != runs_.begin());
    --it;
    const u64 run_start = it->first;
    const u64 run_end = it->second;
    KB_ASSERT(run_start <= start && start + count <= run_end);
    runs_.erase(it);
    if (run_start < start) runs_.emplace(run_start, start);
    if (start + count < run_end) runs_.emplace(start + count, run_end);
    size_ -= count;
}

void IntervalSet::subtract(u64 start, u64 count) {
    if (count == 0) return;
    const u64 end = start + count;
    auto it = runs_.upper_bound(start);
    if (it != runs_.begin() && std::prev(it)->second > start) --it;
    while (it != runs_.end() && it->first < end) {
        const u64 run_start = it->first;
        const u64 run_end = it->second;
        it = runs_.erase(it);
        size_ -= run_end - run_start;
        if (run_start < start) {
            runs_.emplace(run_start, start);
            size_ += start - run_start;
        }
        if (end < run_end) {
            it = runs_.emplace(end, run_end).first;
            size_ += run_end - end;
            ++it;
        }
    }
}

bool IntervalSet::contains(u64 address) const { return intersects(address, 1); }

bool IntervalSet::intersects(u64 start, u64 count) const {
    if (count == 0) return false;
    const u64 end = start + count;
    auto it = runs_.upper_bound(start);
    if (it != runs_.begin()) {
        auto before = std::prev(it);
        if (before->second > start) return true;
    }
    return it != runs_.end() && it->first < end;
}

std::vector<PageRun> IntervalSet::runs() const {
    std::vector<PageRun> out;
    out.reserve(runs_.size());
    for (const auto& [start, end] : runs_) out.push_back({start, end - start});
    return out;
}

void IntervalSet::truncate(u64 limit) {
    while (!runs_.empty()) {
        auto last = std::prev(runs_.end());
        if (last->second <= limit) break;
        const u64 start = last->first;
        const u64 end = last->second;
        runs_.erase(last);
        size_ -= end - start;
        if (start < limit) {
            runs_.emplace(start, limit);
            size_ += limit - start;
        }
    }
}

}  // namespace kb::store
