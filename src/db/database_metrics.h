// What the embedded database counts about its writes, for the server's /metrics: ops committed
// and a histogram of commit latency (submit to durable, applied commit as the caller sees it:
// admission, the log and its fsync, apply and the publish that makes the write visible).
//
// Lock-free: a write bumps a few relaxed atomics on the caller's thread, after its answer came
// back. A reader (the /metrics handler) takes a Counts copy; the bucket counts it reads are
// each exact, and `count` is their sum, so the +Inf bucket always equals the count even when
// writes land while it reads (the sum may then lag by those writes: harmless for a scrape).
#pragma once

#include <array>
#include <atomic>

#include "base/ints.h"

namespace kb::db {

// A latency histogram with fixed upper bounds from 100 µs to 10 s (Prometheus' convention of
// 1-2.5-5 steps per decade), and an overflow bucket above the last bound.
class LatencyHistogram {
public:
    static constexpr usize kBounds = 16;
    // Inclusive upper bounds, in nanoseconds (Prometheus' `le`).
    static constexpr std::array<u64, kBounds> kUpperBoundsNs = {
        100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
        10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
        1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};

    struct Counts {
        // Observations per bucket, not cumulative: [i] those in (bound[i-1], bound[i]], the
        // last those above every bound.
        std::array<u64, kBounds + 1> buckets{};
        u64 count = 0;   // the sum of `buckets`
        u64 sum_ns = 0;  // of every observation
    };

    void observe(u64 nanoseconds);
    Counts read() const;

private:
    std::array<std::atomic<u64>, kBounds + 1> buckets_{};
    std::atomic<u64> sum_ns_{0};
};

struct CommitMetrics {
    // Ops logged and applied (refusals, which log nothing, are not counted).
    std::atomic<u64> ops_committed{0};
    // Ops refused by admission (a conflict, a taken name, a missing privilege ...).
    std::atomic<u64> ops_refused{0};
    // Submit to answer, for committed ops.
    LatencyHistogram commit_latency;
};

}  // namespace kb::db
