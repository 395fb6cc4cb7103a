// Prometheus text for /metrics (metrics.h).
#include "server/metrics.h"

#include <charconv>

#include "base/assert.h"
#include "db/database_core.h"
#include "kimberlite/database.h"

namespace kb::server {

namespace {

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

}  // namespace

std::string format_metric_value(double value) {
    char text[64];
    // The shortest text that reads back as the same double, %g style: what Prometheus' own
    // clients write ("0.0001", "2.5", "10", "1e-05").
    const auto [end, error] =
        std::to_chars(text, text + sizeof text, value, std::chars_format::general);
    KB_ASSERT(error == std::errc());
    return std::string(text, end);
}

void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, u64 value) {
    append_header(out, name, type, help);
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

void append_seconds_histogram(std::string& out, std::string_view name, std::string_view help,
                              std::span<const u64> upper_bounds_ns,
                              const db::LatencyHistogram::Counts& counts) {
    KB_ASSERT(counts.buckets.size() == upper_bounds_ns.size() + 1);
    append_header(out, name, "histogram", help);
    u64 cumulative = 0;
    for (usize i = 0; i <= upper_bounds_ns.size(); ++i) {
        cumulative += counts.buckets[i];
        out += name;
        out += "_bucket{le=\"";
        out += i < upper_bounds_ns.size()
                   ? format_metric_value(static_cast<double>(upper_bounds_ns[i]) / 1e9)
                   : std::string("+Inf");
        out += "\"} ";
        out += std::to_string(cumulative);
        out += '\n';
    }
    out += name;
    out += "_sum ";
    out += format_metric_value(static_cast<double>(counts.sum_ns) / 1e9);
    out += '\n';
    out += name;
    out += "_count ";
    out += std::to_string(cumulative);  // == the +Inf bucket, as the format requires
    out += '\n';
}

std::string render_metrics(const MetricsSample& s) {
    std::string out;
    append_metric(out, "kimberlite_connections_open", "gauge", "Client connections now.",
                  s.connections_open);
    append_metric(out, "kimberlite_connections_total", "counter", "Client connections accepted.",
                  s.connections_total);
    append_metric(out, "kimberlite_connections_refused_total", "counter",
                  "Connections refused because max-connections were open.", s.connections_refused);
    append_metric(out, "kimberlite_log_position", "gauge", "Newest durable log position.",
                  s.log_position);
    append_metric(out, "kimberlite_applied_position", "gauge", "Newest applied log position.",
                  s.applied_position);
    append_metric(out, "kimberlite_log_bytes", "gauge",
                  "Bytes of the log's segment files in use (records and segment headers).",
                  s.log_bytes);
    append_metric(out, "kimberlite_log_segments", "gauge", "Segment files of the log.",
                  s.log_segments);
    append_metric(out, "kimberlite_ops_committed_total", "counter",
                  "Writes (transactions, statements, admin ops) logged durably and applied.",
                  s.ops_committed);
    append_metric(out, "kimberlite_ops_refused_total", "counter",
                  "Writes refused before logging (conflicts, constraints, privileges).",
                  s.ops_refused);
    append_seconds_histogram(
        out, "kimberlite_commit_latency_seconds",
        "Time from submitting a write to its durable, applied commit, as the SQL layer waits "
        "for it.",
        db::LatencyHistogram::kUpperBoundsNs, s.commit_latency);
    append_metric(out, "kimberlite_fsyncs_total", "counter",
                  "fdatasync and fsync calls made on the data directory (log and store).",
                  s.fsyncs);
    return out;
}

MetricsSample ServerMetrics::sample(const Database& db, u64 connections_open) const {
    const db::DatabaseCore& core = db.core();
    MetricsSample s;
    s.connections_open = connections_open;
    s.connections_total = connections_total.load();
    s.connections_refused = connections_refused.load();
    const db::DatabaseCore::LogStatistics log = core.log_statistics();
    s.log_position = log.durable.value();
    s.log_bytes = log.bytes;
    s.log_segments = log.segments;
    s.applied_position = db.applied_position().value();
    s.ops_committed = core.commit_metrics().ops_committed.load(std::memory_order_relaxed);
    s.ops_refused = core.commit_metrics().ops_refused.load(std::memory_order_relaxed);
    s.commit_latency = core.commit_metrics().commit_latency.read();
    s.fsyncs = core.storage_syncs();
    return s;
}

}  // namespace kb::server
