// /metrics' exposition text (metrics.h): the header lines, counters' _total names, and a
// histogram's cumulative buckets, +Inf, _sum and _count, checked line by line as a scraper
// would read them.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <vector>

namespace kb::server {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

TEST(Metrics, ValuesAreWrittenAsPrometheusReadsFloats) {
    EXPECT_EQ(format_metric_value(0.0001), "0.0001");
    EXPECT_EQ(format_metric_value(0.00025), "0.00025");
    EXPECT_EQ(format_metric_value(2.5), "2.5");
    EXPECT_EQ(format_metric_value(10), "10");
    EXPECT_EQ(format_metric_value(0), "0");
    EXPECT_EQ(format_metric_value(1.5e-05), "1.5e-05");
}

TEST(Metrics, AHistogramHasCumulativeBucketsEndingInInfThenSumAndCount) {
    db::LatencyHistogram histogram;
    histogram.observe(50'000);   // 50 µs: every bucket
    histogram.observe(300'000);  // 300 µs: from le=0.0005 on
    histogram.observe(300'000);
    histogram.observe(20'000'000'000);  // 20 s: only +Inf
    std::string out;
    append_seconds_histogram(out, "x_seconds", "Help text.", db::LatencyHistogram::kUpperBoundsNs,
                             histogram.read());
    const std::vector<std::string> lines = lines_of(out);
    ASSERT_EQ(lines.size(), 2 + db::LatencyHistogram::kBounds + 1 + 2);
    EXPECT_EQ(lines[0], "# HELP x_seconds Help text.");
    EXPECT_EQ(lines[1], "# TYPE x_seconds histogram");
    EXPECT_EQ(lines[2], "x_seconds_bucket{le=\"0.0001\"} 1");
    EXPECT_EQ(lines[3], "x_seconds_bucket{le=\"0.00025\"} 1");
    EXPECT_EQ(lines[4], "x_seconds_bucket{le=\"0.0005\"} 3");
    EXPECT_EQ(lines[5], "x_seconds_bucket{le=\"0.001\"} 3");
    EXPECT_EQ(lines[2 + db::LatencyHistogram::kBounds - 1], "x_seconds_bucket{le=\"10\"} 3");
    EXPECT_EQ(lines[2 + db::LatencyHistogram::kBounds], "x_seconds_bucket{le=\"+Inf\"} 4");
    EXPECT_EQ(lines[lines.size() - 2], "x_seconds_sum 20.00065");
    EXPECT_EQ(lines.back(), "x_seconds_count 4");
    // Never decreasing from one bucket to the next.
    u64 previous = 0;
    for (usize i = 2; i < 2 + db::LatencyHistogram::kBounds + 1; ++i) {
        const u64 value = std::stoull(lines[i].substr(lines[i].rfind(' ') + 1));
        EXPECT_GE(value, previous) << lines[i];
        previous = value;
    }
}

TEST(Metrics, EveryMetricHasHelpAndTypeAndCountersEndInTotal) {
    MetricsSample sample;
    sample.connections_open = 2;
    sample.connections_total = 9;
    sample.connections_refused = 1;
    sample.log_position = 120;
    sample.applied_position = 119;
    sample.log_bytes = 65536;
    sample.log_segments = 1;
    sample.ops_committed = 100;
    sample.ops_refused = 3;
    sample.fsyncs = 57;
    sample.commit_latency.buckets[4] = 100;
    sample.commit_latency.count = 100;
    sample.commit_latency.sum_ns = 150'000'000;
    const std::string text = render_metrics(sample);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');

    std::map<std::string, std::string> types;   // metric family -> type
    std::map<std::string, std::string> values;  // sample name (with labels) -> value
    std::string help_for;
    for (const std::string& line : lines_of(text)) {
        if (line.starts_with("# HELP ")) {
            help_for = line.substr(7, line.find(' ', 7) - 7);
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            const std::string rest = line.substr(7);
            const std::string name = rest.substr(0, rest.find(' '));
            EXPECT_EQ(name, help_for) << "TYPE without HELP right before it: " << line;
            EXPECT_FALSE(types.contains(name)) << "declared twice: " << name;
            types[name] = rest.substr(rest.find(' ') + 1);
            continue;
        }
        const std::string name = line.substr(0, line.find_first_of(" {"));
        std::string family = name;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            if (!types.contains(family) && family.ends_with(suffix)) {
                family = family.substr(0, family.size() - std::string_view(suffix).size());
            }
        }
        ASSERT_TRUE(types.contains(family)) << "sample before its TYPE: " << line;
        values[line.substr(0, line.rfind(' '))] = line.substr(line.rfind(' ') + 1);
    }
    for (const auto& [name, type] : types) {
        EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << name;
        EXPECT_EQ(type == "counter", name.ends_with("_total")) << name << " " << type;
    }
    EXPECT_EQ(types["kimberlite_commit_latency_seconds"], "histogram");
    EXPECT_EQ(values["kimberlite_connections_open"], "2");
    EXPECT_EQ(values["kimberlite_connections_total"], "9");
    EXPECT_EQ(values["kimberlite_connections_refused_total"], "1");
    EXPECT_EQ(values["kimberlite_log_position"], "120");
    EXPECT_EQ(values["kimberlite_applied_position"], "119");
    EXPECT_EQ(values["kimberlite_log_bytes"], "65536");
    EXPECT_EQ(values["kimberlite_ops_committed_total"], "100");
    EXPECT_EQ(values["kimberlite_ops_refused_total"], "3");
    EXPECT_EQ(values["kimberlite_fsyncs_total"], "57");
    EXPECT_EQ(values["kimberlite_commit_latency_seconds_bucket{le=\"0.001\"}"], "0");
    EXPECT_EQ(values["kimberlite_commit_latency_seconds_bucket{le=\"0.0025\"}"], "100");
    EXPECT_EQ(values["kimberlite_commit_latency_seconds_bucket{le=\"+Inf\"}"], "100");
    EXPECT_EQ(values["kimberlite_commit_latency_seconds_sum"], "0.15");
    EXPECT_EQ(values["kimberlite_commit_latency_seconds_count"], "100");
}

}  // namespace
}  // namespace kb::server
