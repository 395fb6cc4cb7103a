// Prometheus text for /metrics (metrics.h).
#include "server/metrics.h"

#include "kimberlite/database.h"

namespace kb::server {

namespace {

void add(std::string& out, const char* name, const char* type, const char* help, u64 value) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

}  // namespace

std::string ServerMetrics::render(const Database& db, u64 connections_open) const {
    std::string out;
    add(out, "kimberlite_connections_open", "gauge", "Client connections now.", connections_open);
    add(out, "kimberlite_connections_total", "counter", "Client connections accepted.",
        connections_total.load());
    add(out, "kimberlite_connections_refused_total", "counter",
        "Connections refused because max-connections were open.", connections_refused.load());
    add(out, "kimberlite_log_position", "gauge", "Newest durable log position.",
        db.log_position().value());
    add(out, "kimberlite_applied_position", "gauge", "Newest applied log position.",
        db.applied_position().value());
    return out;
}

}  // namespace kb::server
