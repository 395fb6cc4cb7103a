// The simulator's invariant checkers, run after every loop task (cheap: each looks only at
// what changed since the last call).
//
// Per replica, within one incarnation (process lifetime): view, log_view, commit_max and the
// applied position never go back; applied <= commit_max; log_view <= view; the replica has
// not stopped on an operating error. Across restarts: the view a restarted replica acts in is
// at least the view it had durably promised, and its log still reaches every position it had
// applied (those were durable in its own log).
//
// Cluster-wide:
//   * the primary of view v (normal status) holds every op committed in a view <= v, with the
//     committed chain hash (VSR's safety property: a view change never loses a committed op),
//     checked as soon as the primary acts, before anyone applies something else in the lost
//     op's place. An op's commit view is taken as the view of the first replica seen applying
//     it (at or after the true one, so the check never fires wrongly; a deposed primary of an
//     older view that does not know it yet is not held to newer commits);
//   * one history: the first replica to apply position p fixes (chain hash, state hash,
//     client, request) at p; every later apply of p, by any replica in any incarnation, must
//     match it (committed prefixes byte-identical, state hashes equal at equal positions, and
//     no committed op lost: a committed position is committed with the same chain hash
//     forever);
//   * applied once: a (client, request) is committed at one position only (registers, request
//     0, excepted: a client registers again after an eviction; request numbers go on);
//   * acknowledged writes: a client's reply names a position some replica has applied, and
//     the op there is that very (client, request); a repeated reply names the same position;
//     the reply to a register names a register of that client;
//   * linearizability against an append-only log (each op takes the next position, atomically,
//     between its first send and its reply): if A's reply arrived before B was first sent, A's
//     position is below B's. (A request its client gave up on at an eviction may be applied or
//     not: a reply that comes anyway is checked against the history, not ordered.)
// At the end, after healing (final_check): every replica applied the same history, and every
// acknowledged op is in it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kimberlite/status.h"
#include "sim/sim_state_machine.h"
#include "sim/workload.h"
#include "storage/log.h"
#include "vsr/replica.h"

namespace kb::sim {

class Checker {
public:
    // tolerate_double_apply: count ops applied twice instead of failing (a known replica bug,
    // /tmp/vopr_bugs.md #1, while it is being fixed; off by default).
    // `workload` (if any, outliving the checker) hears of every newly committed position, in
    // order, to check it against its sequential model.
    explicit Checker(u8 replicas, bool tolerate_double_apply = false, Workload* workload = nullptr);

    // A replica (re)started with `replica`/`state` (the objects the checker reads from now on).
    // `promised` is the view its superblock held durably before the crash; `log_last` the last
    // position its reopened log holds.
    Status on_start(u8 index, const vsr::Replica& replica, const AppliedView& state,
                    storage::Log& log, View promised);
    // Positions 1..`last` were logged by the cluster's initialisation outside the replica's
    // commits (a one-replica engine writes its genesis record and default tenant while it
    // opens): the history starts after them. Call before the first check().
    void initialised(Position last);
    // The replica is going down; the checker forgets the objects (and keeps what it learnt).
    void on_stop(u8 index);
    // Everything, incrementally: call after every loop task.
    Status check();
    // A client got the reply to (client, request): logged at `op` (0: refused). first_sent_ns
    // is when the request was first sent, reply_ns now; both 0 for a reply to a request
    // already answered (it must name the same position) or given up on at an eviction.
    Status on_reply(ClientId client, RequestNumber request, Position op, u64 first_sent_ns,
                    u64 reply_ns);
    // A client got the reply to a register: its session is the register logged at `op`.
    Status on_register_reply(ClientId client, Position op) const;
    // After healing and converging: every running replica applied exactly the committed
    // history and every acknowledged op is in it.
    Status final_check() const;

    // Positions committed so far (the longest applied history).
    u64 committed() const { return history_.size(); }
    u64 acknowledged() const { return acks_in_order_.size(); }
    // Registers committed (sessions opened) so far.
    u64 registrations() const { return registrations_; }
    View highest_view() const { return highest_view_; }
    u64 double_applies() const { return double_applies_; }

private:
    struct Committed {
        ComplianceHash chain;
        u64 state_hash = 0;
        ClientId client;
        RequestNumber request;
        u8 first_replica = 0;
        View view;  // the view the first replica to apply it was in
        bool registration = false;
    };
    struct Watched {
        const vsr::Replica* replica = nullptr;
        const AppliedView* state = nullptr;
        storage::Log* log = nullptr;
        View primary_view;         // the view primary_checked belongs to
        Position primary_checked;  // log positions checked against the history as primary
        u64 incarnation = 0;
        usize cursor = 0;  // applied_ops() already checked
        View view;
        View log_view;
        Position commit_max;
        Position applied;
        Position applied_ever;  // across incarnations
    };
    struct Ack {
        Position op;
        u64 reply_ns = 0;
    };

    Status check_replica(u8 index, Watched& watched);
    Status take_applied(u8 index, const AppliedOp& op);
    Status check_primary_log(u8 index, Watched& watched);
    Status check_ack_against_history(ClientId client, RequestNumber request, Position op) const;
    static std::string name(u8 index, const Watched& watched);

    std::vector<Watched> watched_;
    std::vector<Committed> history_;  // position p at [p - 1]
    std::map<std::pair<ClientId, RequestNumber>, Position> committed_at_;
    std::map<std::pair<ClientId, RequestNumber>, Ack> acks_;
    // (reply time, position) of acknowledged logged ops in reply order, and the running maximum
    // of positions: the linearizability check binary-searches it.
    std::vector<std::pair<u64, Position>> acks_in_order_;
    std::vector<Position> acks_max_position_;
    View highest_view_;
    bool tolerate_double_apply_ = false;
    Workload* workload_ = nullptr;
    u64 double_applies_ = 0;
    u64 registrations_ = 0;
};

}  // namespace kb::sim
