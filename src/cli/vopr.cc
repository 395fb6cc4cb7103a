// vopr: the Viewstamped Operation Replicator simulator's command line (src/sim/simulator.h;
// docs/TESTING.md "The simulator").
//
//   vopr --seed N [--ticks T] [--replicas 1|3|5]   one seed, one summary line
//   vopr --seeds K [--seed S]                      K seeds drawn from S (or the time)
//   vopr ... --check-determinism                   each seed twice: equal trace hashes
//   vopr ... --canary NAME [--expect-failure]      a replica (or, no_read_sets, the kernel
//                                                  workload's edge) broken on purpose
//   vopr ... --workload echo|kernel                the echo state machine (default) or real
//                                                  engines with stream appends and SQL
//                                                  transactions
//
// Exit status: 0 every seed held every invariant (with --expect-failure: some seed broke
// one); 1 an invariant broke (or, with --expect-failure, none did); 2 a seed was not
// deterministic; 3 usage errors.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "base/prng.h"
#include "sim/simulator.h"

namespace {

constexpr int kExitBroken = 1;
constexpr int kExitNondeterministic = 2;
constexpr int kExitUsage = 3;

// The seed being run, for a replica assertion (abort) to name before the process dies.
char g_running[512] = "";

extern "C" void on_abort(int) {
    static const char kPrefix[] = "\nABORTED (an assertion) while running: ";
    (void)!write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
    (void)!write(STDERR_FILENO, g_running, std::strlen(g_running));
    (void)!write(STDERR_FILENO, "\n", 1);
}

void set_running(const std::string& command) {
    std::snprintf(g_running, sizeof g_running, "%s", command.c_str());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string reproduce(const kb::sim::SimulatorOptions& options, bool ticks_given, bool ops_given) {
    std::string command = "vopr --seed " + std::to_string(options.seed) + " --replicas " +
                          std::to_string(options.replicas);
    if (ticks_given) command += " --ticks " + std::to_string(options.ticks);
    if (ops_given) command += " --ops " + std::to_string(options.ops_target);
    if (options.workload == kb::sim::SimWorkload::kernel) command += " --workload kernel";
    if (!options.faults) command += " --no-faults";
    if (options.tolerate_double_apply) command += " --tolerate-double-apply";
    if (options.tolerate_eviction) command += " --tolerate-eviction";
    if (options.tolerate_session_bugs) command += " --tolerate-session-bugs";
    if (options.canary != kb::vsr::Canary::none) {
        command += " --canary " + std::string(kb::sim::canary_name(options.canary));
    }
    if (options.canary_no_read_sets) command += " --canary no_read_sets";
    return command;
}

void print_failure(const kb::sim::SimulatorResult& result, const std::string& command) {
    std::printf("FAILED seed=%llu replicas=%u tick=%llu time=%.6fs: %s\n",
                static_cast<unsigned long long>(result.seed), result.replicas,
                static_cast<unsigned long long>(result.failure_tick),
                static_cast<double>(result.failure_ns) / 1e9, result.failure->c_str());
    std::printf("reproduce: %s\n", command.c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "vopr - the Kimberlite cluster simulator.\n"
        "\n"
        "Runs real replicas (log, superblock, replica code) on simulated disks, a simulated\n"
        "network and a simulated clock, one thread, everything drawn from one seed: network\n"
        "latency, loss, duplication, reordering, partitions (symmetric and one-way), clogging,\n"
        "replica crashes (unsynced writes lost or torn) and restarts. After every event the\n"
        "checkers compare replicas and what clients were told; the first broken invariant ends\n"
        "the run with the seed and a command that reproduces it.",
        "vopr"};
    unsigned long long seed = 0;
    auto* seed_option = app.add_option("--seed", seed,
                                       "The seed (default 1; with --seeds: the seed the seeds "
                                       "are drawn from, default the clock)");
    app.footer(
        "Exit status: 0 every seed held (with --expect-failure: some seed broke an "
        "invariant);\n1 an invariant broke (or, with --expect-failure, none did); 2 a seed was "
        "not\ndeterministic; 3 usage errors.");
    unsigned long long ticks = 3000;
    auto* ticks_option = app.add_option(
        "--ticks", ticks, "Fault-scheduler steps of 10 ms simulated time each (default 3000)");
    unsigned replicas = 0;
    auto* replicas_option = app.add_option("--replicas", replicas,
                                           "Cluster size: 1, 3 or 5 (default 3; with "
                                           "--seeds, drawn per seed)")
                                ->check(CLI::IsMember({1u, 3u, 5u}));
    unsigned long long ops = 0;
    auto* ops_option = app.add_option("--ops", ops,
                                      "Stop once this many client ops were acknowledged (with "
                                      "no --ticks: however long that takes)");
    unsigned long long seeds = 0;
    app.add_option("--seeds", seeds, "Run this many seeds, with a progress line");
    bool check_determinism = false;
    app.add_flag("--check-determinism", check_determinism,
                 "Run each seed twice and compare the trace hashes");
    std::string canary = "none";
    app.add_option("--canary", canary,
                   "Break something on purpose (the checkers must catch it): the replica "
                   "(commit_without_quorum, prepare_ok_before_durable) or, with --workload "
                   "kernel, the edge (no_read_sets: transactions sent without their read sets)")
        ->check(CLI::IsMember(
            {"none", "commit_without_quorum", "prepare_ok_before_durable", "no_read_sets"}));
    std::string workload = "echo";
    app.add_option("--workload", workload,
                   "echo: replicas with the echo state machine (default); kernel: each replica a "
                   "real engine, clients appending to streams and running serializable "
                   "transactions on a bank table through the kernel")
        ->check(CLI::IsMember({"echo", "kernel"}));
    bool expect_failure = false;
    app.add_flag("--expect-failure", expect_failure,
                 "Succeed only if some seed breaks an invariant (for canaries)");
    bool no_faults = false;
    app.add_flag("--no-faults", no_faults, "No faults at all: the plain workload (timing)");
    unsigned long long converge_seconds = 120;
    app.add_option("--converge-seconds", converge_seconds,
                   "Simulated seconds the cluster gets to converge after the faults stop "
                   "(default 120)");
    bool verbose = false;
    app.add_flag("--verbose", verbose, "Print faults and replica state changes as they happen");
    bool tolerate_eviction = false;
    app.add_flag("--tolerate-eviction", tolerate_eviction,
                 "A client told its session was evicted starts a new one instead of failing the "
                 "run (see docs/TESTING.md)");
    bool tolerate_session_bugs = false;
    app.add_flag("--tolerate-session-bugs", tolerate_session_bugs,
                 "Kernel workload: count a refused request logged later and a retry applied "
                 "again after a restart instead of failing (known bugs; see docs/TESTING.md)");
    bool tolerate_double_apply = false;
    app.add_flag("--tolerate-double-apply", tolerate_double_apply,
                 "Count ops applied twice instead of failing (a known replica bug while it is "
                 "fixed; see docs/TESTING.md)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? 0 : kExitUsage;
    }

    std::signal(SIGABRT, on_abort);
    kb::sim::SimulatorOptions base;
    base.ticks = ticks;
    if (ops_option->count() > 0) {
        base.ops_target = ops;
        if (ticks_option->count() == 0) base.ticks = ~0ull;
    }
    base.faults = !no_faults;
    base.tolerate_double_apply = tolerate_double_apply;
    base.tolerate_eviction = tolerate_eviction;
    base.tolerate_session_bugs = tolerate_session_bugs;
    base.verbose = verbose;
    base.converge_ns = converge_seconds * 1'000'000'000ull;
    if (canary == "no_read_sets") {
        if (workload != "kernel") {
            std::fprintf(stderr, "--canary no_read_sets needs --workload kernel\n");
            return kExitUsage;
        }
        base.canary_no_read_sets = true;
    } else {
        base.canary = *kb::sim::canary_from_name(canary);
    }
    base.workload = *kb::sim::sim_workload_from_name(workload);
    const bool ticks_given = ticks_option->count() > 0;
    const bool ops_given = ops_option->count() > 0;

    // Runs one seed (twice when checking determinism); returns an exit status.
    auto run_one = [&](kb::sim::SimulatorOptions options, bool print_summary) -> int {
        set_running(reproduce(options, ticks_given, ops_given));
        const auto start = std::chrono::steady_clock::now();
        kb::sim::SimulatorResult result = kb::sim::simulate(options);
        const double real = seconds_since(start);
        if (print_summary) {
            const double simulated = static_cast<double>(result.simulated_ns) / 1e9;
            std::printf("%s real=%.3fs ratio=%.1f\n", kb::sim::summary_line(result).c_str(), real,
                        real > 0 ? simulated / real : 0.0);
        }
        if (result.failure) {
            if (!print_summary) std::printf("%s\n", kb::sim::summary_line(result).c_str());
            print_failure(result, reproduce(options, ticks_given, ops_given));
            return kExitBroken;
        }
        if (check_determinism) {
            kb::sim::SimulatorResult again = kb::sim::simulate(options);
            if (again.trace_hash != result.trace_hash ||
                kb::sim::summary_line(again) != kb::sim::summary_line(result)) {
                std::printf("NONDETERMINISTIC seed=%llu:\n  first:  %s\n  second: %s\n",
                            static_cast<unsigned long long>(options.seed),
                            kb::sim::summary_line(result).c_str(),
                            kb::sim::summary_line(again).c_str());
                return kExitNondeterministic;
            }
            if (print_summary) std::printf("deterministic: trace hashes equal\n");
        }
        return 0;
    };

    if (seeds == 0) {
        base.seed = seed_option->count() > 0 ? seed : 1;
        base.replicas = static_cast<kb::u8>(replicas_option->count() > 0 ? replicas : 3);
        const int status = run_one(base, /*print_summary=*/true);
        if (expect_failure) return status == kExitBroken ? 0 : kExitBroken;
        return status;
    }

    const unsigned long long master =
        seed_option->count() > 0 ? seed
                                 : static_cast<unsigned long long>(
                                       std::chrono::system_clock::now().time_since_epoch().count());
    std::printf("seeds=%llu drawn from seed %llu%s%s\n", seeds, master,
                canary != "none" ? " canary=" : "", canary != "none" ? canary.c_str() : "");
    std::fflush(stdout);
    kb::Prng draw(master);
    const auto start = std::chrono::steady_clock::now();
    double last_progress = -1;
    for (unsigned long long i = 0; i < seeds; ++i) {
        kb::sim::SimulatorOptions options = base;
        options.seed = draw.next_u64() >> 24;  // short enough to type
        static constexpr kb::u8 kSizes[] = {1, 3, 3, 5, 5};
        const kb::u8 drawn_size = kSizes[draw.uniform(std::size(kSizes))];
        options.replicas =
            replicas_option->count() > 0 ? static_cast<kb::u8>(replicas) : drawn_size;
        const int status = run_one(options, /*print_summary=*/false);
        const double elapsed = seconds_since(start);
        if (status != 0 || elapsed - last_progress >= 1.0 || i + 1 == seeds) {
            last_progress = elapsed;
            // A terminal gets one line rewritten in place; a log gets a line each time.
            const bool tty = isatty(STDERR_FILENO) != 0;
            std::fprintf(stderr, "%sseeds %llu/%llu  %.1f seeds/s  %.0fs%s", tty ? "\r" : "", i + 1,
                         seeds, static_cast<double>(i + 1) / elapsed, elapsed, tty ? "" : "\n");
            if (tty && (status != 0 || i + 1 == seeds)) std::fprintf(stderr, "\n");
            std::fflush(stderr);
        }
        if (status == kExitBroken && expect_failure) {
            std::printf("caught after %llu seed(s)\n", i + 1);
            return 0;
        }
        if (status != 0) return status;
    }
    if (expect_failure) {
        std::printf("NOT CAUGHT: %llu seeds passed, but a failure was expected\n", seeds);
        return kExitBroken;
    }
    std::printf("all %llu seeds passed\n", seeds);
    return 0;
}
