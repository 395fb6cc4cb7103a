// IntervalSet: a set of page addresses kept as disjoint, non-adjacent runs [start, end).
//
// The store's free space: whole runs can be added (adjacent and overlapping runs merge), single
// pages or runs of consecutive pages taken out (lowest address first, so the page file stays
// compact), and the runs listed in order for the checkpoint manifest.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "base/ints.h"

namespace kb::store {

struct PageRun {
    u64 start = 0;
    u64 count = 0;

    u64 end() const { return start + count; }
    friend bool operator==(const PageRun&, const PageRun&) = default;
};

class IntervalSet {
public:
    // Adds [start, start + count); overlapping what is already there is allowed.
    void add(u64 start, u64 count);
    void add(const IntervalSet& other);
    // Takes the lowest run of `count` consecutive addresses (first fit); nullopt if none.
    std::optional<u64> take(u64 count);
    // Removes [start, start + count), which must be wholly inside the set.
    void remove(u64 start, u64 count);
    // Removes whatever part of [start, start + count) is in the set.
    void subtract(u64 start, u64 count);
    bool contains(u64 address) const;
    // True if any address of [start, start + count) is in the set.
    bool intersects(u64 start, u64 count) const;

    u64 size() const { return size_; }  // addresses
    usize run_count() const { return runs_.size(); }
    bool empty() const { return runs_.empty(); }
    std::vector<PageRun> runs() const;
    // The end of the highest run (0 when empty).
    u64 end() const { return runs_.empty() ? 0 : runs_.rbegin()->second; }
    // Removes every address at or above `limit`.
    void truncate(u64 limit);

private:
    std::map<u64, u64> runs_;  // start -> end
    u64 size_ = 0;
};

}  // namespace kb::store
