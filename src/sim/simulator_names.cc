// The simulator's names and its one-line summary (simulator.h).
#include <cstdio>
#include <string>
#include <utility>

#include "sim/simulator.h"

namespace kb::sim {

namespace {

// Each canary and its name (the --canary values).
constexpr std::pair<vsr::Canary, std::string_view> kCanaries[] = {
    {vsr::Canary::none, "none"},
    {vsr::Canary::commit_without_quorum, "commit_without_quorum"},
    {vsr::Canary::prepare_ok_before_durable, "prepare_ok_before_durable"},
};

std::string seconds(u64 ns) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3fs", static_cast<double>(ns) / 1e9);
    return buffer;
}

}  // namespace

std::optional<SimWorkload> sim_workload_from_name(std::string_view name) {
    if (name == "echo") return SimWorkload::echo;
    if (name == "kernel") return SimWorkload::kernel;
    return std::nullopt;
}

std::optional<vsr::Canary> canary_from_name(std::string_view name) {
    for (const auto& [canary, canary_text] : kCanaries) {
        if (canary_text == name) return canary;
    }
    return std::nullopt;
}

std::string_view canary_name(vsr::Canary canary) {
    for (const auto& [known, text] : kCanaries) {
        if (known == canary) return text;
    }
    return "unknown";
}

std::string summary_line(const SimulatorResult& result) {
    char trace[17];
    std::snprintf(trace, sizeof trace, "%016llx",
                  static_cast<unsigned long long>(result.trace_hash));
    std::string line =
        "seed=" + std::to_string(result.seed) + " replicas=" + std::to_string(result.replicas) +
        " clients=" + std::to_string(result.clients) + " sim_time=" + seconds(result.simulated_ns) +
        " committed=" + std::to_string(result.committed) +
        " acked=" + std::to_string(result.acknowledged) +
        " views=" + std::to_string(result.highest_view) +
        " crashes=" + std::to_string(result.crashes) + " storms=" + std::to_string(result.storms) +
        " net_faults=" + std::to_string(result.network_faults) +
        " messages=" + std::to_string(result.messages) + " trace=" + trace;
    if (result.appends + result.conflicts + result.repeats > 0) {
        line += " appends=" + std::to_string(result.appends) +
                " conflicts=" + std::to_string(result.conflicts) +
                " repeats=" + std::to_string(result.repeats);
    }
    if (result.transactions + result.transaction_refusals > 0) {
        line += " txns=" + std::to_string(result.transactions) +
                " txn_refused=" + std::to_string(result.transaction_refusals);
        if (result.transaction_too_old > 0) {
            line += " (too_old=" + std::to_string(result.transaction_too_old) + ")";
        }
    }
    if (result.session_bugs > 0) line += " session_bugs=" + std::to_string(result.session_bugs);
    if (result.evictions > 0) {
        line += " evictions=" + std::to_string(result.evictions) +
                " registrations=" + std::to_string(result.registrations);
    }
    if (result.double_applies > 0) {
        line += " double_applies=" + std::to_string(result.double_applies);
    }
    line += result.failure ? " FAILED" : " ok";
    return line;
}

}  // namespace kb::sim
