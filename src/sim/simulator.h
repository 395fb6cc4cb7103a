// Simulator: one seed, one thread, one whole cluster (DESIGN.md §7; docs/TESTING.md "The
// simulator"). It runs N real replicas (1, 3 or 5), each on its own SimDisk/SimStorage with its
// own log, superblock and state machine, over one SimNetwork and one SimEventLoop, with clients
// that retry. The state machine and workload are one of
//   echo     a bare vsr::Replica with EchoLogStateMachine and EchoAppendWorkload (workload.h);
//   kernel   each replica a real db::Engine (engine_node.h): stream appends with expected
//            offsets and idempotency ids, and serializable transactions on a bank table,
//            through admission, the kernel and the store, judged against sequential models
//            (kernel_workload.h, bank_workload.h);
// and the clients, checkers and faults are the same for both. It injects faults drawn from the
// seed:
//   network  latency (per-seed distribution), loss, duplication, reordering (independent
//            latencies), symmetric partitions (some clients on the cut-off side at times),
//            one-way blocks, clogging one node;
//   process  crash (SimStorage::crash: unsynced writes kept, lost or torn) and restart; a
//            primary is sometimes crashed the moment it applies an op (replies in flight).
// Most of the time at most f = (n-1)/2 replicas are down or cut off, so the cluster must make
// progress; now and then a short storm takes down more (all at once, or the primary and a
// backup together) and the cluster must come back from it without losing anything.
//
// After every loop task the Checker (checker.h) looks at every replica and at what clients
// were told; the first broken invariant ends the run with a message. At the end the faults
// stop, every replica restarts, and the cluster must converge (liveness) with the whole history
// intact (final_check).
//
// The trace hash folds every delivered message (time, sender, receiver, checksums), every
// reply and every fault decision: equal seeds must give equal hashes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/ints.h"
#include "vsr/replica.h"

namespace kb::sim {

enum class SimWorkload : u8 { echo, kernel };
// "echo" / "kernel"; nullopt when unknown.
std::optional<SimWorkload> sim_workload_from_name(std::string_view name);

struct SimulatorOptions {
    u64 seed = 1;
    SimWorkload workload = SimWorkload::echo;
    u8 replicas = 3;  // 1, 3 or 5
    // Steps of the fault scheduler; each lets `tick_ns` of simulated time pass.
    u64 ticks = 3000;
    u64 tick_ns = 10'000'000;
    // Stop (and converge) once this many ops were acknowledged; 0: run every tick.
    u64 ops_target = 0;
    // false: no faults at all (a plain workload, for timing).
    bool faults = true;
    vsr::Canary canary = vsr::Canary::none;
    // Count ops applied twice instead of failing (see Checker); off by default.
    bool tolerate_double_apply = false;
    // A client told its session was evicted gives up its unanswered request (applied or not:
    // the checkers accept either) and registers again, instead of failing the run. With 8
    // clients and 4096 sessions no eviction is expected; off by default.
    bool tolerate_eviction = false;
    // The replicas' client table size (ReplicaOptions::client_sessions_max); 0: the default.
    // Below the client count (with tolerate_eviction), sessions are evicted all the time.
    u64 client_sessions_max = 0;
    // Kernel workload: count the client-session bugs K1 (a refused request logged later) and
    // K2 (a retry after a restart applied again) of /tmp/vopr_bugs.md instead of failing;
    // implies tolerate_double_apply. Off by default.
    bool tolerate_session_bugs = false;
    // Kernel workload, a canary: transactions are sent without their read sets, so the primary
    // admits lost updates and write skews the bank model must catch. Off by default.
    bool canary_no_read_sets = false;
    // Print faults and every replica's status, view and log head as they change (debugging).
    bool verbose = false;
    // Simulated time the cluster gets to converge after the faults stop.
    u64 converge_ns = 120'000'000'000;
};

struct SimulatorResult {
    u64 seed = 0;
    u8 replicas = 0;
    u8 clients = 0;
    u64 ticks = 0;           // steps run
    u64 simulated_ns = 0;    // simulated time at the end
    u64 committed = 0;       // positions committed (cluster-wide)
    u64 acknowledged = 0;    // client requests answered with a position
    u64 highest_view = 0;    // views reached: view changes
    u64 crashes = 0;         // replica crashes (each followed by a restart)
    u64 storms = 0;          // faults beyond f (several replicas at once)
    u64 network_faults = 0;  // partitions, blocks and clogs
    u64 messages = 0;        // messages delivered
    u64 tasks = 0;           // loop tasks run
    u64 double_applies = 0;  // with tolerate_double_apply
    u64 evictions = 0;       // with tolerate_eviction
    u64 registrations = 0;   // registers committed (sessions opened)
    // The kernel workload's replies by kind: applied appends, offset conflicts, idempotent
    // repeats of appends and transactions (0 for echo).
    u64 appends = 0;
    u64 conflicts = 0;
    u64 repeats = 0;
    // The bank workload's transactions: applied, and refused (serialization conflicts,
    // snapshots too old, unique violations), of which too old.
    u64 transactions = 0;
    u64 transaction_refusals = 0;
    u64 transaction_too_old = 0;
    u64 session_bugs = 0;  // with tolerate_session_bugs
    u64 trace_hash = 0;
    // Set when an invariant broke: what, and when.
    std::optional<std::string> failure;
    u64 failure_tick = 0;
    u64 failure_ns = 0;
};

// Runs one seed. Deterministic: the same options give the same result, trace hash included.
SimulatorResult simulate(const SimulatorOptions& options);

// "commit_without_quorum" -> Canary; nullopt when unknown ("none" is Canary::none).
std::optional<vsr::Canary> canary_from_name(std::string_view name);
std::string_view canary_name(vsr::Canary canary);

// One line: seed, replicas, simulated time, ops, views, crashes, messages, trace hash.
std::string summary_line(const SimulatorResult& result);

}  // namespace kb::sim
