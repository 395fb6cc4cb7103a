// ServerMetrics: the counters of `GET /metrics`, in Prometheus' text exposition format.
//
//     kimberlite_connections_open        gauge    client connections now
//     kimberlite_connections_total       counter  connections accepted
//     kimberlite_connections_refused_total counter  refused for max-connections
//     kimberlite_log_position            gauge    newest durable log position (ops logged)
//     kimberlite_applied_position        gauge    newest applied position
//
// Counters are atomics bumped by connection threads; render() reads the database's positions.
#pragma once

#include <atomic>
#include <string>

#include "base/ints.h"

namespace kb {
class Database;
}

namespace kb::server {

struct ServerMetrics {
    std::atomic<u64> connections_total{0};
    std::atomic<u64> connections_refused{0};

    std::string render(const Database& db, u64 connections_open) const;
};

}  // namespace kb::server
