// The simulator's invariant checkers (checker.h).
#include "sim/checker.h"

#include <algorithm>

#include "vsr/record_links.h"

namespace kb::sim {

namespace {

Status broken(std::string what) { return Status::internal(std::move(what)); }

std::string at(Position position) { return "position " + std::to_string(position.value()); }

std::string op_name(ClientId client, RequestNumber request) {
    return "(client " + std::to_string(client.value()) + ", request " +
           std::to_string(request.value()) + ")";
}

}  // namespace

Checker::Checker(u8 replicas, bool tolerate_double_apply, Workload* workload)
    : watched_(replicas), tolerate_double_apply_(tolerate_double_apply), workload_(workload) {}

std::string Checker::name(u8 index, const Watched& watched) {
    return "replica " + std::to_string(index) + " (incarnation " +
           std::to_string(watched.incarnation) + ")";
}

Status Checker::on_start(u8 index, const vsr::Replica& replica, const AppliedView& state,
                         storage::Log& log, View promised) {
    const Position log_last = log.last_position();
    Watched& watched = watched_[index];
    const Position applied_ever = watched.applied_ever;
    const u64 incarnation = watched.incarnation + 1;
    watched = Watched{};
    watched.replica = &replica;
    watched.state = &state;
    watched.log = &log;
    watched.incarnation = incarnation;
    watched.applied_ever = applied_ever;
    watched.view = replica.view();
    watched.log_view = replica.log_view();
    watched.commit_max = replica.commit_max();
    // Ops recorded while the replica opened come after first_position (the kernel mode).
    watched.applied = state.first_position().prev();
    if (replica.view() < promised) {
        return broken(name(index, watched) + " restarted in view " +
                      std::to_string(replica.view().value()) + " but had durably promised view " +
                      std::to_string(promised.value()));
    }
    if (log_last < applied_ever) {
        return broken(name(index, watched) + " restarted with its log ending at " + at(log_last) +
                      " but had applied (so held durably) up to " + at(applied_ever));
    }
    return Status::ok();
}

void Checker::initialised(Position last) {
    KB_ASSERT(history_.empty());
    // Placeholders: no client, never compared (no replica applies them through a commit).
    history_.resize(static_cast<usize>(last.value()));
}

void Checker::on_stop(u8 index) {
    watched_[index].replica = nullptr;
    watched_[index].state = nullptr;
    watched_[index].log = nullptr;
}

Status Checker::check() {
    for (u8 index = 0; index < watched_.size(); ++index) {
        if (watched_[index].replica == nullptr) continue;
        KB_TRY(check_replica(index, watched_[index]));
    }
    return Status::ok();
}

Status Checker::check_replica(u8 index, Watched& watched) {
    const vsr::Replica& replica = *watched.replica;
    if (!replica.failure().is_ok()) {
        return broken(name(index, watched) +
                      " stopped on an operating error: " + replica.failure().to_string());
    }
    auto regress = [&](const char* what, u64 before, u64 now) {
        return broken(name(index, watched) + ": " + what + " went back from " +
                      std::to_string(before) + " to " + std::to_string(now));
    };
    if (replica.view() < watched.view) {
        return regress("view", watched.view.value(), replica.view().value());
    }
    if (replica.log_view() < watched.log_view) {
        return regress("log_view", watched.log_view.value(), replica.log_view().value());
    }
    if (replica.commit_max() < watched.commit_max) {
        return regress("commit_max", watched.commit_max.value(), replica.commit_max().value());
    }
    if (replica.log_view() > replica.view()) {
        return broken(name(index, watched) + ": log_view " +
                      std::to_string(replica.log_view().value()) + " is past view " +
                      std::to_string(replica.view().value()));
    }
    watched.view = replica.view();
    watched.log_view = replica.log_view();
    watched.commit_max = replica.commit_max();
    highest_view_ = std::max(highest_view_, watched.view);

    const AppliedView& state = *watched.state;
    const auto& ops = state.applied_ops();
    for (; watched.cursor < ops.size(); ++watched.cursor) {
        const AppliedOp& op = ops[watched.cursor];
        if (op.position != watched.applied.next()) {
            return broken(name(index, watched) + " applied " + at(op.position) + " after " +
                          at(watched.applied));
        }
        watched.applied = op.position;
        watched.applied_ever = std::max(watched.applied_ever, op.position);
        KB_TRY(take_applied(index, op));
    }
    if (state.applied() != watched.applied) {
        return broken(name(index, watched) + ": the state machine is at " + at(state.applied()) +
                      " but recorded applies up to " + at(watched.applied));
    }
    if (replica.is_primary()) KB_TRY(check_primary_log(index, watched));
    if (watched.applied > replica.commit_max()) {
        return broken(name(index, watched) + " applied up to " + at(watched.applied) +
                      " but knows only up to " + at(replica.commit_max()) + " committed");
    }
    return Status::ok();
}

Status Checker::check_primary_log(u8 index, Watched& watched) {
    const vsr::Replica& replica = *watched.replica;
    const View view = replica.view();
    if (watched.primary_view != view) {
        watched.primary_view = view;
        watched.primary_checked = Position();
    }
    // Positions this replica applied were checked as it applied them.
    watched.primary_checked = std::max(watched.primary_checked, watched.applied);
    storage::Log& log = *watched.log;
    // Records are read in runs (one walk of the log for many), kept until checked.
    std::vector<Bytes> run;
    usize next_in_run = 0;
    while (watched.primary_checked.value() < history_.size()) {
        const Position position = watched.primary_checked.next();
        const Committed& committed = history_[static_cast<usize>(position.value() - 1)];
        if (committed.view > view) break;  // committed in a newer view than this primary's
        if (position > replica.op()) {
            return broken("committed op lost: " + name(index, watched) + " is primary of view " +
                          std::to_string(view.value()) + " with its log ending at " +
                          at(replica.op()) + ", but " + at(position) + " was committed by view " +
                          std::to_string(committed.view.value()) + " (replica " +
                          std::to_string(committed.first_replica) + " applied it)");
        }
        if (position > log.durable_position()) break;  // readable once durable
        if (next_in_run == run.size()) {
            const Position last = std::min(log.durable_position(), Position(history_.size()));
            auto records = log.read(position, last, u64{1} << 20);
            if (!records || records->empty()) {
                return broken(name(index, watched) + " (primary) cannot read its log at " +
                              at(position) + ": " +
                              (records ? std::string("nothing") : records.status().to_string()));
            }
            run = std::move(*records);
            next_in_run = 0;
        }
        const Bytes& record = run[next_in_run++];
        const auto header = vsr::record_header_of(record);
        const ComplianceHash chain =
            header ? vsr::chain_hash_of(header->previous_chain_hash, record) : ComplianceHash{};
        if (!header || chain != committed.chain) {
            return broken("committed op lost: " + name(index, watched) + " is primary of view " +
                          std::to_string(view.value()) + " with another op at " + at(position) +
                          " than the one replica " + std::to_string(committed.first_replica) +
                          " applied there " + op_name(committed.client, committed.request) +
                          " in view " + std::to_string(committed.view.value()));
        }
        watched.primary_checked = position;
    }
    return Status::ok();
}

Status Checker::take_applied(u8 index, const AppliedOp& op) {
    const u64 slot = op.position.value() - 1;
    if (slot < history_.size()) {
        const Committed& committed = history_[static_cast<usize>(slot)];
        if (committed.chain != op.chain) {
            return broken("replica " + std::to_string(index) + " applied " + at(op.position) +
                          " with chain hash " + to_hex(op.chain.bytes()).substr(0, 16) +
                          " but replica " + std::to_string(committed.first_replica) +
                          " applied it with " + to_hex(committed.chain.bytes()).substr(0, 16) +
                          ": committed histories differ (a committed op was lost or replaced)");
        }
        if (committed.state_hash != op.state_hash) {
            return broken("replica " + std::to_string(index) + " has state hash " +
                          std::to_string(op.state_hash) + " after " + at(op.position) +
                          " but replica " + std::to_string(committed.first_replica) + " had " +
                          std::to_string(committed.state_hash));
        }
        return Status::ok();
    }
    if (slot != history_.size()) {
        return broken("replica " + std::to_string(index) + " applied " + at(op.position) +
                      " before any replica applied " + at(Position(history_.size() + 1)));
    }
    history_.push_back(Committed{op.chain, op.state_hash, op.client, op.request, index,
                                 watched_[index].view, op.registration});
    if (workload_ != nullptr) {
        if (auto ok = workload_->on_committed(op.position, op.client, op.request, op.refusal);
            !ok.is_ok()) {
            return broken("sequential model: " + ok.message());
        }
    }
    if (op.client.value() == 0) return Status::ok();
    if (op.registration != (op.request.value() == 0)) {
        return broken(op_name(op.client, op.request) + " was committed at " + at(op.position) +
                      (op.registration ? " as a register" : " as an op, not a register"));
    }
    if (op.registration) {
        ++registrations_;
        return Status::ok();  // a client registers again after an eviction: not a repeat
    }
    const auto key = std::make_pair(op.client, op.request);
    auto [found, inserted] = committed_at_.emplace(key, op.position);
    if (!inserted && tolerate_double_apply_) {
        ++double_applies_;
        return Status::ok();
    }
    if (!inserted) {
        return broken(op_name(op.client, op.request) + " was applied twice: at " +
                      at(found->second) + " and at " + at(op.position) + " (replica " +
                      std::to_string(index) + ")");
    }
    if (auto ack = acks_.find(key);
        ack != acks_.end() && ack->second.op.value() != 0 && ack->second.op != op.position) {
        return broken(op_name(op.client, op.request) + " was acknowledged at " +
                      at(ack->second.op) + " but committed at " + at(op.position));
    }
    return Status::ok();
}

Status Checker::check_ack_against_history(ClientId client, RequestNumber request,
                                          Position op) const {
    if (op.value() > history_.size()) {
        return broken("the reply to " + op_name(client, request) + " names " + at(op) +
                      " but no replica has applied it (the cluster has applied up to " +
                      at(Position(history_.size())) + ")");
    }
    const Committed& committed = history_[static_cast<usize>(op.value() - 1)];
    if (committed.client != client || committed.request != request) {
        return broken("acknowledged write lost: " + op_name(client, request) +
                      " was acknowledged at " + at(op) + " but the op committed there is " +
                      op_name(committed.client, committed.request));
    }
    return Status::ok();
}

Status Checker::on_reply(ClientId client, RequestNumber request, Position op, u64 first_sent_ns,
                         u64 reply_ns) {
    const auto key = std::make_pair(client, request);
    if (auto found = acks_.find(key); found != acks_.end()) {
        if (found->second.op != op && !tolerate_double_apply_) {
            return broken(op_name(client, request) + " was answered at " + at(found->second.op) +
                          " and again at " + at(op));
        }
        return Status::ok();
    }
    acks_.emplace(key, Ack{op, reply_ns});
    if (op.value() == 0) return Status::ok();
    KB_TRY(check_ack_against_history(client, request, op));
    // The first reply to a request its client gave up on (evicted): applied, so it must be in
    // the history (checked), but it was never waited for, so it orders nothing.
    if (first_sent_ns == 0) return Status::ok();
    // Every op whose reply came before this one was first sent is ordered before it.
    auto before = std::lower_bound(
        acks_in_order_.begin(), acks_in_order_.end(), first_sent_ns,
        [](const std::pair<u64, Position>& entry, u64 time) { return entry.first < time; });
    if (before != acks_in_order_.begin()) {
        const usize last = static_cast<usize>(before - acks_in_order_.begin()) - 1;
        if (acks_max_position_[last] >= op) {
            return broken("not linearizable: " + op_name(client, request) + ", first sent at " +
                          std::to_string(first_sent_ns) + " ns, was logged at " + at(op) +
                          " but an op acknowledged before then was logged at " +
                          at(acks_max_position_[last]));
        }
    }
    acks_in_order_.emplace_back(reply_ns, op);
    acks_max_position_.push_back(
        acks_max_position_.empty() ? op : std::max(acks_max_position_.back(), op));
    return Status::ok();
}

Status Checker::on_register_reply(ClientId client, Position op) const {
    if (op.value() == 0 || op.value() > history_.size()) {
        return broken("the reply to a register of client " + std::to_string(client.value()) +
                      " names " + at(op) + " but the cluster has applied up to " +
                      at(Position(history_.size())));
    }
    const Committed& committed = history_[static_cast<usize>(op.value() - 1)];
    if (!committed.registration || committed.client != client) {
        return broken("the reply to a register of client " + std::to_string(client.value()) +
                      " names " + at(op) + ", where " +
                      op_name(committed.client, committed.request) + " is committed" +
                      (committed.registration ? " (a register)" : ""));
    }
    return Status::ok();
}

Status Checker::final_check() const {
    for (u8 index = 0; index < watched_.size(); ++index) {
        const Watched& watched = watched_[index];
        if (watched.replica == nullptr) continue;
        if (watched.applied.value() != history_.size()) {
            return broken(name(index, watched) + " converged at " + at(watched.applied) +
                          " but the cluster committed up to " + at(Position(history_.size())));
        }
    }
    for (const auto& [key, ack] : acks_) {
        if (ack.op.value() == 0) continue;
        KB_TRY(check_ack_against_history(key.first, key.second, ack.op));
    }
    return Status::ok();
}

}  // namespace kb::sim
