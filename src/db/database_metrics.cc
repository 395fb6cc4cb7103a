// The commit metrics' histogram (database_metrics.h).
#include "db/database_metrics.h"

#include <algorithm>

namespace kb::db {

void LatencyHistogram::observe(u64 nanoseconds) {
    const auto* bound = std::lower_bound(kUpperBoundsNs.begin(), kUpperBoundsNs.end(), nanoseconds);
    const auto index = static_cast<usize>(bound - kUpperBoundsNs.begin());
    buckets_[index].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
}

LatencyHistogram::Counts LatencyHistogram::read() const {
    Counts out;
    for (usize i = 0; i < buckets_.size(); ++i) {
        out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
        out.count += out.buckets[i];
    }
    out.sum_ns = sum_ns_.load(std::memory_order_relaxed);
    return out;
}

}  // namespace kb::db
