// Replica: view changes, the tick that drives heartbeats and timeouts, and the durable
// promises (view, log_view) they rest on (see replica.h).
#include <algorithm>

#include "base/assert.h"
#include "vsr/record_links.h"
#include "vsr/replica.h"

namespace kb::vsr {

namespace {

// The better of two logs offered in do_view_change: newer log_view, then longer, then the
// larger chain hash (any fixed rule will do: equal log_view and op already mean equal logs).
bool better_head(const Replica::Head& a, const Replica::Head& b) {
    if (a.log_view != b.log_view) return a.log_view > b.log_view;
    if (a.op != b.op) return a.op > b.op;
    return std::lexicographical_compare(b.hash.bytes().begin(), b.hash.bytes().end(),
                                        a.hash.bytes().begin(), a.hash.bytes().end());
}

}  // namespace

void Replica::persist(View view, View log_view, std::optional<Position> head_limit,
                      io::UniqueFunction<void()> then) {
    ReplicaState next = superblock_.state();
    next.view = view;
    next.log_view = log_view;
    next.head_limit = head_limit;
    persisting_ = true;
    superblock_.write(next, after_durable_step(std::move(then)));
}

// The callback of a durable step (a superblock write, a log truncation) the replica waits for:
// runs `then` once it is done, stops the replica if it failed.
io::UniqueFunction<void(Status)> Replica::after_durable_step(io::UniqueFunction<void()> then) {
    return [this, alive = alive_, then = std::move(then)](Status status) mutable {
        if (!*alive) return;
        persisting_ = false;
        if (!status.is_ok()) {
            fail(std::move(status));
            return;
        }
        then();
    };
}

void Replica::adopt_view(View view, ReplicaStatus status, io::UniqueFunction<void()> then) {
    KB_ASSERT(view >= view_);
    if (view > view_) ++counters_.view_changes;
    view_ = view;
    status_ = status;
    view_change_started_ns_ = loop_.clock().monotonic_ns();
    start_view_change_from_.clear();
    do_view_change_from_.clear();
    do_view_change_sent_ = false;
    sync_.reset();
    early_.clear();
    requested_until_ = Position();
    // Whatever this replica prepared as primary and did not commit is no longer its to commit;
    // requests waiting here are dropped (clients retry, the client table deduplicates).
    pipeline_.clear();
    queue_.clear();
    queued_bytes_ = 0;
    in_flight_.clear();
    state_machine_.discard_after(state_machine_.applied());
    for (auto& [key, done] : local_waiting_) {
        done(Status::busy("view change: the request may or may not have committed; retry it"));
    }
    local_waiting_.clear();
    attestation_queued_ = false;
    cosignatures_queued_.clear();
    expire_reads(loop_.clock().monotonic_ns());  // not primary now: its reads cannot be confirmed
    for (auto& done : attest_waiting_) {
        done(Status::busy("view change: the attestation may or may not have been logged"));
    }
    attest_waiting_.clear();
    persist(view_, log_view_, superblock_.state().head_limit, std::move(then));
}

void Replica::start_view_change(View view, std::optional<u8> also_from) {
    adopt_view(view, ReplicaStatus::view_change, [this, also_from] {
        start_view_change_from_.insert(index());
        if (also_from) start_view_change_from_.insert(*also_from);
        broadcast(header_for(Command::start_view_change));
        maybe_send_do_view_change();
    });
}

void Replica::on_start_view_change(const Header& header) {
    if (header.view < view_ || persisting_) return;
    if (header.view > view_) {
        start_view_change(header.view, header.replica);
        return;
    }
    if (status_ != ReplicaStatus::view_change) return;
    start_view_change_from_.insert(header.replica);
    maybe_send_do_view_change();
}

void Replica::maybe_send_do_view_change() {
    if (status_ != ReplicaStatus::view_change || do_view_change_sent_ || persisting_ ||
        start_view_change_from_.size() < quorum()) {
        return;
    }
    do_view_change_sent_ = true;
    send_do_view_change();
}

Replica::Head Replica::own_head() {
    Head head;
    head.log_view = log_view_;
    head.op = log_.durable_position();
    // Records past the limit belong to a newer view's log, not to log_view's.
    if (const auto limit = superblock_.state().head_limit) head.op = std::min(head.op, *limit);
    head.commit = std::min(commit_max_, head.op);
    head.hash = chain_hash_at(head.op).value_or(ComplianceHash{});
    head.replica = index();
    return head;
}

void Replica::send_do_view_change() {
    const Head head = own_head();
    if (primary_of(view_) == index()) {
        do_view_change_from_[index()] = head;
        try_start_view();
        return;
    }
    Header header = header_for(Command::do_view_change);
    header.log_view = head.log_view;
    header.op = head.op;
    header.commit = head.commit;
    header.hash = head.hash;
    send(primary_of(view_), header);
}

void Replica::on_do_view_change(const Header& header) {
    if (header.view < view_ || primary_of(header.view) != index() || persisting_) return;
    const Head head{header.log_view, header.op, header.commit, header.hash, header.replica};
    if (header.view > view_) {
        // A quorum moved on without this replica hearing its start_view_changes.
        adopt_view(header.view, ReplicaStatus::view_change, [this, head] {
            start_view_change_from_.insert(index());
            do_view_change_from_[head.replica] = head;
            broadcast(header_for(Command::start_view_change));
            do_view_change_sent_ = true;
            send_do_view_change();
        });
        return;
    }
    if (status_ != ReplicaStatus::view_change) return;
    do_view_change_from_[head.replica] = head;
    if (!do_view_change_sent_) {
        do_view_change_sent_ = true;
        send_do_view_change();
        return;
    }
    try_start_view();
}

void Replica::try_start_view() {
    if (status_ != ReplicaStatus::view_change || primary_of(view_) != index() || persisting_ ||
        sync_ || !do_view_change_from_.contains(index()) ||
        do_view_change_from_.size() < quorum()) {
        return;
    }
    Head best = do_view_change_from_.begin()->second;
    Position commit;
    for (const auto& [replica, head] : do_view_change_from_) {
        if (better_head(head, best)) best = head;
        commit = std::max(commit, head.commit);
    }
    commit_max_ = std::max(commit_max_, commit);
    if (best.op < state_machine_.applied()) {
        // Impossible unless a peer lies or is broken: what this replica applied is committed.
        // Let the view change time out and try the next view.
        return;
    }
    const Head own = own_head();
    if (own.op == best.op && own.hash == best.hash && log_.last_position() == best.op) {
        persist(view_, view_, std::nullopt, [this] { become_primary(); });
        return;
    }
    start_sync(best, best.replica);
}

void Replica::start_sync(const Head& target, u8 source) {
    sync_ = Sync{target, source, state_machine_.applied()};
    requested_until_ = Position();
    // From here on the log may take records of the target's view: durably mark where the
    // records of log_view end before the first one lands.
    const std::optional<Position> current = superblock_.state().head_limit;
    const Position limit =
        current ? std::min(*current, log_.last_position()) : log_.last_position();
    auto go = [this] {
        if (!sync_) return;
        check_sync_done();
        if (sync_) request_missing(sync_->source);
    };
    if (current == limit) {
        go();
    } else {
        persist(view_, log_view_, limit, std::move(go));
    }
}

// Cuts the log back to `position` (never below what this replica applied), durably, then runs
// `then`.
void Replica::truncate_then(Position position, io::UniqueFunction<void()> then) {
    KB_ASSERT(position >= state_machine_.applied());
    if (log_.last_position() <= position) {
        then();
        return;
    }
    unapplied_.erase(unapplied_.upper_bound(position), unapplied_.end());
    hashes_.erase(hashes_.upper_bound(position), hashes_.end());
    early_.clear();
    persisting_ = true;
    Status started = log_.truncate_after(position, after_durable_step(std::move(then)));
    if (!started.is_ok()) {
        persisting_ = false;
        fail(started);
    }
}

void Replica::check_sync_done() {
    if (!sync_ || persisting_ || sync_->cursor < sync_->target.op) return;
    const Head target = sync_->target;
    if (log_.last_position() > target.op) {
        // The rest of this replica's old log is not in the target's: drop it.
        truncate_then(target.op, [this] { check_sync_done(); });
        return;
    }
    if (log_.durable_position() < target.op) return;  // on_backup_durable checks again
    if (chain_hash_at(target.op) != target.hash) {
        // Synced to a different log than the one chosen (its source changed under us): give
        // up; the view change times out and the next one starts afresh.
        sync_.reset();
        return;
    }
    sync_.reset();
    const bool primary = primary_of(view_) == index();
    persist(view_, view_, std::nullopt, [this, primary, target] {
        if (primary) {
            become_primary();
        } else {
            join_view(target);
        }
    });
}

void Replica::become_primary() {
    status_ = ReplicaStatus::normal;
    log_view_ = view_;
    inherited_until_ = log_.last_position();
    // Ops past the commit point are re-proposed in this view: the backups' prepare_oks for
    // them (sent as they sync to start_view) commit them.
    for (Position op = commit_max_.next(); op <= log_.last_position(); op = op.next()) {
        PipelineEntry entry{op, *chain_hash_at(op), {index()}, ClientId(), RequestNumber()};
        pipeline_.push_back(std::move(entry));
    }
    // Requests of the inherited ops are in flight: a client's retry of one waits for its commit
    // instead of being queued again.
    for (Position op = state_machine_.applied().next(); op <= log_.last_position();
         op = op.next()) {
        auto kept = unapplied_.find(op);
        std::optional<storage::RecordHeader> header;
        if (kept != unapplied_.end()) {
            header = record_header_of(kept->second);
        } else if (auto read = log_.read(op, op, options_.body_size_max)) {
            header = record_header_of(read->front());
        }
        const bool answers_a_client = header && (header->kind == storage::RecordKind::op ||
                                                 header->kind == storage::RecordKind::refusal ||
                                                 header->kind == storage::RecordKind::registration);
        if (answers_a_client && header->client_id.value() != 0) {
            in_flight_[header->client_id] = header->request_number;
        }
    }
    Header start = header_for(Command::start_view);
    start.op = log_.last_position();
    start.commit = commit_max_;
    start.hash = log_.last_chain_hash();
    broadcast(start);
    apply_committed();
}

void Replica::on_start_view(const Header& header) {
    if (header.view < view_ || header.replica != primary_of(header.view) ||
        primary_of(header.view) == index() || persisting_) {
        return;
    }
    if (header.view == view_ && (status_ == ReplicaStatus::normal || sync_)) return;
    const Head target{header.view, header.op, header.commit, header.hash, header.replica};
    adopt_view(header.view, ReplicaStatus::recovering, [this, target] {
        const bool same_log = log_.last_position() == target.op &&
                              log_.durable_position() == target.op &&
                              chain_hash_at(target.op) == target.hash;
        if (same_log) {
            persist(view_, view_, std::nullopt, [this, target] { join_view(target); });
        } else {
            start_sync(target, target.replica);
        }
    });
}

void Replica::join_view(const Head& target) {
    log_view_ = view_;
    status_ = ReplicaStatus::normal;
    last_heard_primary_ns_ = loop_.clock().monotonic_ns();
    commit_max_ = std::max(commit_max_, target.commit);
    want_op_ = std::max(want_op_, target.op);
    requested_until_ = Position();
    // Acknowledge, in this view, what this replica holds past the commit point: one prepare_ok
    // for the head covers everything before it (Replica::count_ok).
    if (log_.durable_position() > target.commit) {
        if (auto hash = chain_hash_at(log_.durable_position())) {
            send_prepare_ok(log_.durable_position(), *hash);
        }
    }
    request_missing(primary_of(view_));
    apply_committed();
}

void Replica::arm_tick() {
    tick_timer_ = loop_.schedule_after(options_.heartbeat_ns, [this, alive = alive_] {
        if (!*alive) return;
        tick_timer_ = io::TimerId();
        on_tick();
        arm_tick();
    });
}

void Replica::on_tick() {
    if (!failure_.is_ok() || replica_count() == 1) return;
    const u64 now = loop_.clock().monotonic_ns();
    // Replicas time out at slightly different times, so they rarely start competing views.
    const u64 timeout = options_.view_change_timeout_ns + index() * options_.heartbeat_ns;
    requested_until_ = Position();  // a lost repair answer is asked for again
    expire_reads(now);
    if (persisting_) return;
    if (is_primary()) {
        Header commit = header_for(Command::commit);
        commit.op = log_.last_position();
        commit.commit = commit_max_;
        commit.hash = chain_hash_at(commit_max_).value_or(ComplianceHash{});
        broadcast(commit);
        return;
    }
    if (status_ == ReplicaStatus::normal) {
        if (now - last_heard_primary_ns_ > timeout) {
            start_view_change(View(view_.value() + 1));
        } else {
            request_missing(primary_of(view_));
            cosign_newest();
        }
        return;
    }
    if (now - view_change_started_ns_ > timeout) {
        start_view_change(View(view_.value() + 1));
        return;
    }
    // Messages of a view change may be lost: say them again.
    if (status_ == ReplicaStatus::view_change) {
        broadcast(header_for(Command::start_view_change));
        if (do_view_change_sent_) send_do_view_change();
        if (sync_) request_missing(sync_->source);
    } else if (sync_) {
        request_missing(sync_->source);
    } else {
        send(primary_of(view_), header_for(Command::request_start_view));
    }
}

}  // namespace kb::vsr
