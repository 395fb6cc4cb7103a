// ServerMetrics: the body of `GET /metrics`, in Prometheus' text exposition format (version
// 0.0.4: a `# HELP` and a `# TYPE` line before each metric's samples; counters end in _total;
// a histogram has cumulative `_bucket{le="..."}` samples ending with le="+Inf", then _sum and
// _count, in base units: seconds, bytes).
//
//     kimberlite_connections_open                gauge      client connections now
//     kimberlite_connections_total               counter    connections accepted
//     kimberlite_connections_refused_total       counter    refused for max-connections
//     kimberlite_log_position                    gauge      newest durable log position
//     kimberlite_applied_position                gauge      newest applied position
//     kimberlite_log_bytes                       gauge      bytes of the log's segments in use
//     kimberlite_log_segments                    gauge      segment files of the log
//     kimberlite_ops_committed_total             counter    writes logged and applied
//     kimberlite_ops_refused_total               counter    writes refused, nothing logged
//     kimberlite_commit_latency_seconds          histogram  submit to durable, applied commit
//     kimberlite_fsyncs_total                    counter    fdatasync/fsync calls on the data dir
//
// Collection is cheap: connection counters are atomics bumped by connection threads; the
// database's commit counters and histogram are atomics (db/database_metrics.h); the log's
// position and size take one round trip to the database's loop thread per scrape.
#pragma once

#include <atomic>
#include <span>
#include <string>
#include <string_view>

#include "base/ints.h"
#include "db/database_metrics.h"

namespace kb {
class Database;
}

namespace kb::server {

// Every value one scrape shows.
struct MetricsSample {
    u64 connections_open = 0;
    u64 connections_total = 0;
    u64 connections_refused = 0;
    u64 log_position = 0;
    u64 applied_position = 0;
    u64 log_bytes = 0;
    u64 log_segments = 0;
    u64 ops_committed = 0;
    u64 ops_refused = 0;
    db::LatencyHistogram::Counts commit_latency{};
    u64 fsyncs = 0;
};

// The exposition text of `sample`.
std::string render_metrics(const MetricsSample& sample);

// Exposition helpers (for render_metrics and its tests). A value is written as Prometheus reads
// a float: integers exactly, others with up to 17 significant digits ("0.00025", "1.5e-05").
std::string format_metric_value(double value);
void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, u64 value);
// A histogram in seconds from nanosecond counts: `upper_bounds_ns[i]` bounds counts.buckets[i]
// (not cumulative there; cumulative in the text), the last bucket is +Inf.
void append_seconds_histogram(std::string& out, std::string_view name, std::string_view help,
                              std::span<const u64> upper_bounds_ns,
                              const db::LatencyHistogram::Counts& counts);

struct ServerMetrics {
    std::atomic<u64> connections_total{0};
    std::atomic<u64> connections_refused{0};

    MetricsSample sample(const Database& db, u64 connections_open) const;
    std::string render(const Database& db, u64 connections_open) const {
        return render_metrics(sample(db, connections_open));
    }
};

}  // namespace kb::server
