// Replica: what reads wait for (DESIGN.md §3 "Reads").
//
// A linearizable read at the primary needs two things: that no newer view has a primary (a
// partitioned old primary would otherwise serve stale data), and that the state it reads
// includes every op committed before the read began. The primary asks its backups in a round
// (ping with a round number; a backup of the same view in normal status answers pong); once a
// quorum, itself included, answered a round started after the read arrived, no other view can
// have committed anything, and the read runs once the state machine has applied what was
// committed at its start. Rounds are shared: every read waiting when a round starts is
// answered by it. (A lease bounded by clock drift would save the round trip; the round is the
// choice that needs no clock assumptions.)
//
// A backup serves snapshot reads at or after a position the session has seen (when_applied):
// no round, possibly stale, never older than what the session saw.
#include "vsr/replica.h"

namespace kb::vsr {

void Replica::confirm_primary(io::UniqueFunction<void(Status)> done) {
    if (!is_primary() || !failure_.is_ok()) {
        done(failure_.is_ok()
                 ? Status::busy("replica " + std::to_string(index()) + " is not the primary")
                 : failure_);
        return;
    }
    ++read_round_;
    pongs_.clear();
    confirm_waiting_.push_back(
        ReadWaiter{read_round_, commit_max_, loop_.clock().monotonic_ns(), std::move(done)});
    if (replica_count() == 1) {
        confirmed_round_ = read_round_;  // a cluster of one has no other primary
    } else {
        Header ping = header_for(Command::ping);
        ping.op = Position(read_round_);
        broadcast(ping);
    }
    // Answer from a task, never inside the call.
    loop_.post([this, alive = alive_] {
        if (*alive) finish_reads();
    });
}

void Replica::when_applied(Position position, io::UniqueFunction<void(Status)> done) {
    applied_waiting_.push_back(
        ReadWaiter{0, position, loop_.clock().monotonic_ns(), std::move(done)});
    loop_.post([this, alive = alive_] {
        if (*alive) finish_reads();
    });
}

void Replica::on_ping(const Header& header) {
    if (header.view != view_ || status_ != ReplicaStatus::normal ||
        header.replica != primary_of(view_) || primary_of(view_) == index()) {
        return;
    }
    last_heard_primary_ns_ = loop_.clock().monotonic_ns();
    Header pong = header_for(Command::pong);
    pong.op = header.op;
    send(header.replica, pong);
}

void Replica::on_pong(const Header& header) {
    if (!is_primary() || header.view != view_ || header.op.value() != read_round_) return;
    pongs_.insert(header.replica);
    if (pongs_.size() + 1 >= quorum()) {
        confirmed_round_ = read_round_;
        finish_reads();
    }
}

// Answers every read whose condition now holds.
void Replica::finish_reads() {
    const Position applied = state_machine_.applied();
    while (!confirm_waiting_.empty() && confirm_waiting_.front().round <= confirmed_round_ &&
           confirm_waiting_.front().applied <= applied && is_primary()) {
        auto done = std::move(confirm_waiting_.front().done);
        confirm_waiting_.pop_front();
        done(Status::ok());
    }
    for (auto it = applied_waiting_.begin(); it != applied_waiting_.end();) {
        if (it->applied <= applied) {
            auto done = std::move(it->done);
            it = applied_waiting_.erase(it);
            done(Status::ok());
        } else {
            ++it;
        }
    }
}

// Reads that waited too long, and every primary read after this replica stopped being primary.
void Replica::expire_reads(u64 now_ns) {
    const bool primary = is_primary();
    auto expire = [&](std::deque<ReadWaiter>& waiting, bool all, const char* why) {
        for (auto it = waiting.begin(); it != waiting.end();) {
            if (all || now_ns - it->since_ns > options_.view_change_timeout_ns) {
                auto done = std::move(it->done);
                it = waiting.erase(it);
                done(Status::busy(why));
            } else {
                ++it;
            }
        }
    };
    expire(confirm_waiting_, !primary,
           "could not confirm this replica is still the primary; retry the read elsewhere");
    expire(applied_waiting_, false, "this replica has not caught up to the position yet");
}

}  // namespace kb::vsr
