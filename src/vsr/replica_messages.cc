// Replica: receiving messages — dispatch, backups' prepares, acknowledgements, heartbeats and
// the repair requests that let a lagging replica catch up (see replica.h).
#include <algorithm>

#include "base/assert.h"
#include "storage/record.h"
#include "vsr/record_links.h"
#include "vsr/replica.h"

namespace kb::vsr {

void Replica::on_message(io::Peer from, io::Message message) {
    if (!failure_.is_ok()) return;
    auto decoded = decode_message(*message, limits_);
    if (!decoded) {
        ++counters_.messages_rejected;
        return;
    }
    const Header& header = decoded->header;
    // The bus vouches for the connection: a message must name the peer it came from.
    const bool matches = header.command == Command::request
                             ? from.is_client() && from.client_id() == header.client
                             : from.is_replica() && from.replica_index() == header.replica;
    if (!matches || (from.is_replica() && header.replica == index())) {
        ++counters_.messages_rejected;
        return;
    }
    switch (header.command) {
        case Command::request:
            on_request(header, Bytes(decoded->body.begin(), decoded->body.end()), from);
            return;
        case Command::prepare:
            on_prepare(header, decoded->body);
            return;
        case Command::prepare_ok:
            if (is_primary() && header.view == view_)
                count_ok(header.op, header.hash, header.replica);
            return;
        case Command::commit:
            on_commit(header);
            return;
        case Command::start_view_change:
            on_start_view_change(header);
            return;
        case Command::do_view_change:
            on_do_view_change(header);
            return;
        case Command::start_view:
            on_start_view(header);
            return;
        case Command::request_start_view:
            if (is_primary() && header.view == view_) send_start_view(header.replica);
            return;
        case Command::request_prepare:
            on_request_prepare(header);
            return;
        case Command::cosignature:
            on_cosignature(header, decoded->body);
            return;
        case Command::ping:
            on_ping(header);
            return;
        case Command::pong:
            on_pong(header);
            return;
        case Command::reply:
        case Command::eviction:
            ++counters_.messages_rejected;  // for clients, not replicas
            return;
    }
}

// A message from the primary of a newer view: this replica missed a view change.
bool Replica::behind_view(const Header& header) {
    if (header.view <= view_) return false;
    // Not from its primary, or mid-way through a durable step: ignore (it will come again).
    if (header.replica != primary_of(header.view) || persisting_) return true;
    adopt_view(header.view, ReplicaStatus::recovering,
               [this] { send(primary_of(view_), header_for(Command::request_start_view)); });
    return true;
}

void Replica::on_prepare(const Header& header, ByteSpan record) {
    if (header.view < view_ || behind_view(header)) return;
    if (sync_ && header.replica == sync_->source) {
        on_sync_prepare(header, record);
        return;
    }
    const bool backup = status_ == ReplicaStatus::normal && primary_of(view_) != index();
    if (!backup || header.replica != primary_of(view_)) return;
    last_heard_primary_ns_ = loop_.clock().monotonic_ns();
    if (header.commit > commit_max_) commit_max_ = header.commit;
    want_op_ = std::max(want_op_, header.op);
    if (header.op <= log_.last_position()) {
        // A copy of one we hold: acknowledge it again if it is the same record, durable.
        if (backup && header.op <= log_.durable_position() &&
            chain_hash_at(header.op) == header.hash) {
            send_prepare_ok(header.op, header.hash);
        }
    } else if (header.op == log_.last_position().next()) {
        if (append_record(header, record)) take_early();
    } else {
        keep_early(header, record, log_.last_position().next());
    }
    request_missing(header.replica);
    apply_committed();
}

bool Replica::keep_early(const Header& header, ByteSpan record, Position next) {
    if (header.op <= next || header.op.value() - next.value() >= kRequestPrepareOpsMax) {
        return false;
    }
    early_.try_emplace(header.op, header, Bytes(record.begin(), record.end()));
    return true;
}

// Feeds kept prepares back in while the next one needed is among them.
void Replica::take_early() {
    while (!early_.empty() && !persisting_) {
        const Position next = sync_ ? sync_->cursor.next() : log_.last_position().next();
        early_.erase(early_.begin(), early_.lower_bound(next));
        auto found = early_.find(next);
        if (found == early_.end()) return;
        auto [header, record] = std::move(found->second);
        early_.erase(found);
        const Position before = sync_ ? sync_->cursor : log_.last_position();
        if (sync_) {
            on_sync_prepare(header, record);
        } else if (append_record(header, record)) {
            continue;
        }
        if ((sync_ ? sync_->cursor : log_.last_position()) == before) return;  // no progress
    }
}

// A record of the log being synced to (see Replica::Sync): skipped where this replica already
// holds the same, appended where its log ends, and where its log differs, the log is cut back
// first — after the superblock durably says the records past the cut are not log_view's.
void Replica::on_sync_prepare(const Header& header, ByteSpan record) {
    if (header.op > sync_->target.op) return;
    if (persisting_ || header.op != sync_->cursor.next()) {
        keep_early(header, record, sync_->cursor.next());
        return;
    }
    // Progress: the view change that asked for this sync is not stuck.
    view_change_started_ns_ = loop_.clock().monotonic_ns();
    if (header.op <= log_.last_position()) {
        if (chain_hash_at(header.op) == header.hash) {
            sync_->cursor = header.op;
            check_sync_done();
            if (!sync_) return;
            take_early();
            if (sync_) request_missing(sync_->source);
            return;
        }
        const Position cut = header.op.prev();
        std::optional<Position> limit = superblock_.state().head_limit;
        limit = limit ? std::min(*limit, cut) : cut;
        persist(
            view_, log_view_, limit,
            [this, header, copy = Bytes(record.begin(), record.end()), cut]() mutable {
                truncate_then(cut, [this, header, copy = std::move(copy)] {
                    early_.clear();
                    if (sync_ && header.op == sync_->cursor.next() && append_record(header, copy)) {
                        sync_->cursor = header.op;
                    }
                    if (sync_) request_missing(sync_->source);
                });
            });
        return;
    }
    if (header.op == log_.last_position().next() && append_record(header, record)) {
        sync_->cursor = header.op;
        take_early();
    }
    if (sync_) request_missing(sync_->source);
}

// Checks that `record` is what `header` describes and the next record of this log, and appends
// it; false (counted as rejected) otherwise.
bool Replica::append_record(const Header& header, ByteSpan record) {
    const auto record_header = record_header_of(record);
    if (!record_header || record_header->position != header.op ||
        record_header->client_id != header.client ||
        record_header->request_number != header.request || record_header->view > header.view ||
        record_header->timestamp != header.timestamp ||
        chain_hash_of(log_.last_chain_hash(), record) != header.hash) {
        ++counters_.messages_rejected;  // not the record the header describes, or not our next
        return false;
    }
    std::vector<Bytes> records;
    records.emplace_back(record.begin(), record.end());
    const Position op = header.op;
    const ComplianceHash hash = header.hash;
    Status accepted = log_.append(
        std::move(records),
        [this, alive = alive_, op, hash](Status durable) {
            if (!*alive) return;
            if (!durable.is_ok()) {
                if (durable.code() == StatusCode::fatal) fail(durable);
                return;
            }
            on_backup_durable(op, hash);
        },
        storage::RecordSource::peer);
    if (!accepted.is_ok()) {
        if (accepted.code() == StatusCode::fatal || accepted.code() == StatusCode::no_space) {
            fail(accepted);
        } else {
            ++counters_.messages_rejected;  // the log found the record bad
        }
        return false;
    }
    last_timestamp_ = std::max(last_timestamp_, record_header->timestamp);
    remember_hash(op, hash);
    unapplied_[op] = Bytes(record.begin(), record.end());
    if (options_.canary == Canary::prepare_ok_before_durable && !sync_ &&
        status_ == ReplicaStatus::normal) {
        send_prepare_ok(op, hash);
    }
    return true;
}

void Replica::on_backup_durable(Position op, const ComplianceHash& hash) {
    if (sync_) {
        check_sync_done();
        if (sync_) request_missing(sync_->source);
        return;
    }
    if (status_ == ReplicaStatus::normal && primary_of(view_) != index()) {
        if (op > state_machine_.applied() && options_.canary != Canary::prepare_ok_before_durable) {
            send_prepare_ok(op, hash);
        }
        request_missing(primary_of(view_));
    }
    apply_committed();
}

void Replica::send_prepare_ok(Position op, const ComplianceHash& hash) {
    Header ok = header_for(Command::prepare_ok);
    ok.op = op;
    ok.hash = hash;
    send(primary_of(view_), ok);
}

void Replica::on_commit(const Header& header) {
    if (header.view < view_ || behind_view(header)) return;
    if (status_ != ReplicaStatus::normal || header.replica != primary_of(view_) ||
        primary_of(view_) == index()) {
        return;
    }
    last_heard_primary_ns_ = loop_.clock().monotonic_ns();
    if (header.commit > commit_max_) commit_max_ = header.commit;
    want_op_ = std::max(want_op_, header.op);
    // The primary still waits for what lies past its commit point: say again how far this
    // replica holds its log (a prepare_ok may have been lost; one covers all before it).
    const Position held = std::min(log_.durable_position(), header.op);
    if (held > header.commit) {
        if (auto hash = chain_hash_at(held)) send_prepare_ok(held, *hash);
    }
    request_missing(header.replica);
    apply_committed();
}

// Asks `from` for the next ops this replica lacks (up to want_op_), one bounded range at a time:
// the next range is asked for once this one has arrived, or on the next tick if it was lost.
void Replica::request_missing(u8 from) {
    const Position have = sync_ ? sync_->cursor : log_.last_position();
    const Position want = sync_ ? sync_->target.op : want_op_;
    if (want <= have || requested_until_ > have) return;
    Header request = header_for(Command::request_prepare);
    request.op = have.next();
    request.op_last = Position(std::min(want.value(), have.value() + kRequestPrepareOpsMax));
    requested_until_ = request.op_last;
    send(from, request);
}

void Replica::on_request_prepare(const Header& header) {
    if (header.view != view_ || header.op > log_.durable_position()) return;
    // Records still in memory are sent from there; from the first one that is not, the rest of
    // the range is read from the log in one go (one read walks the segment index once).
    const Position last = std::min(header.op_last, log_.durable_position());
    std::vector<Bytes> from_log;
    Position first_from_log;
    for (Position op = header.op; op <= last; op = op.next()) {
        const Bytes* record = nullptr;
        if (first_from_log.value() == 0) {
            if (auto kept = unapplied_.find(op); kept != unapplied_.end()) {
                record = &kept->second;
            } else {
                auto read = log_.read(op, last, kReadRunBytes);
                if (!read) {
                    if (read.error().code() == StatusCode::corruption) return;  // next: repair
                    fail(read.error());
                    return;
                }
                from_log = std::move(*read);
                first_from_log = op;
            }
        }
        if (record == nullptr) {
            const u64 index = op.value() - first_from_log.value();
            if (index >= from_log.size()) return;  // the read stopped at its byte bound
            record = &from_log[index];
        }
        send_repair_prepare(header.replica, op, *record);
    }
}

void Replica::send_repair_prepare(u8 replica, Position op, const Bytes& record) {
    const auto record_header = record_header_of(record);
    KB_ASSERT(record_header);  // the log checked it
    Header prepare = header_for(Command::prepare);
    prepare.op = op;
    // A repaired op may be long committed; a prepare's commit is below its op by format.
    prepare.commit = std::min(commit_max_, op.prev());
    prepare.hash = chain_hash_of(record_header->previous_chain_hash, record);
    prepare.timestamp = record_header->timestamp;
    prepare.client = record_header->client_id;
    prepare.request = record_header->request_number;
    prepare.size = static_cast<u32>(kHeaderSize + record.size());
    send(replica, prepare, record);
}

void Replica::send_start_view(u8 replica) {
    Header start = header_for(Command::start_view);
    start.op = log_.durable_position();
    start.commit = std::min(commit_max_, start.op);
    start.hash = *chain_hash_at(start.op);
    send(replica, start);
}

}  // namespace kb::vsr
