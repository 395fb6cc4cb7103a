// Replica: construction, start, normal operation, commit and apply (see replica.h).
#include "vsr/replica.h"

#include <algorithm>

#include "base/assert.h"
#include "storage/record.h"
#include "vsr/client_table_file.h"
#include "vsr/record_links.h"

namespace kb::vsr {

std::string_view replica_status_name(ReplicaStatus status) {
    switch (status) {
        case ReplicaStatus::normal:
            return "normal";
        case ReplicaStatus::view_change:
            return "view_change";
        case ReplicaStatus::recovering:
            return "recovering";
    }
    return "unknown";
}

std::optional<storage::RecordHeader> record_header_of(ByteSpan record) {
    if (record.size() < storage::kRecordHeaderSize) return std::nullopt;
    return storage::decode_record_header(std::span<const u8, storage::kRecordHeaderSize>(
                                             record.data(), storage::kRecordHeaderSize))
        .header;
}

ComplianceHash chain_hash_of(const ComplianceHash& previous, ByteSpan record) {
    KB_ASSERT(record.size() >= storage::kRecordHeaderSize);
    storage::RecordHeaderBytes header_bytes{};
    std::copy_n(record.begin(), storage::kRecordHeaderSize, header_bytes.begin());
    return storage::chain_hash_next(previous, header_bytes);
}

Replica::Replica(io::EventLoop& loop, io::MessageBus& bus, storage::Log& log,
                 Superblock& superblock, StateMachine& state_machine, ReplicaOptions options)
    : loop_(loop),
      bus_(bus),
      log_(log),
      superblock_(superblock),
      state_machine_(state_machine),
      options_(options),
      limits_{.cluster = superblock.state().cluster,
              .replica_count = superblock.state().replica_count,
              .body_size_max = options.body_size_max},
      view_(superblock.state().view),
      log_view_(superblock.state().log_view) {
    hashes_[log_.last_position()] = log_.last_chain_hash();
    bus_.set_receiver([this, alive = alive_](io::Peer from, io::Message message) {
        if (*alive) on_message(from, std::move(message));
    });
}

Replica::~Replica() {
    *alive_ = false;
    if (tick_timer_.value() != 0) loop_.cancel(tick_timer_);
    bus_.set_receiver([](io::Peer, io::Message) {});
}

void Replica::start() {
    // What the state machine applied before a restart (up to its checkpoint) was committed.
    commit_max_ = std::max(commit_max_, state_machine_.applied());
    if (log_.last_position().value() > 0) {
        auto last = log_.read(log_.last_position(), log_.last_position(), options_.body_size_max);
        if (!last) {
            fail(last.error());
            return;
        }
        if (auto header = record_header_of(last->front())) last_timestamp_ = header->timestamp;
    }
    arm_tick();
    if (replica_count() == 1) {
        // The only replica: everything durable is committed (a quorum of one).
        status_ = ReplicaStatus::normal;
        commit_max_ = log_.durable_position();
        apply_committed();
        return;
    }
    if (superblock_.created() && view_.value() == 0) {
        // A new replica of a new cluster (its log holds at most the cluster's genesis record):
        // view 0 needs no election.
        status_ = ReplicaStatus::normal;
        last_heard_primary_ns_ = loop_.clock().monotonic_ns();
        return;
    }
    if (view_ > log_view_) {
        // Restarted in a view change: take it up again.
        status_ = ReplicaStatus::view_change;
        view_change_started_ns_ = loop_.clock().monotonic_ns();
        broadcast(header_for(Command::start_view_change));
        start_view_change_from_.insert(index());
        return;
    }
    if (primary_of(view_) == index()) {
        // A primary cannot know how far its last pipeline got: let the others elect.
        start_view_change(View(view_.value() + 1));
        return;
    }
    status_ = ReplicaStatus::recovering;
    view_change_started_ns_ = loop_.clock().monotonic_ns();
    send(primary_of(view_), header_for(Command::request_start_view));
}

Status Replica::load_client_table(io::Storage& storage, Position checkpoint) {
    auto loaded = KB_TRY(vsr::load_client_table(storage, checkpoint));
    ClientTableSnapshot table;  // none: the empty table, as of position 0
    if (loaded) table = std::move(loaded->table);
    if (table.applied < checkpoint) {
        // Not the table of this checkpoint: it stands in only if no session changed between.
        KB_TRY(check_no_sessions_between(table.applied, checkpoint));
    }
    sessions_.clear();
    sessions_by_age_.clear();
    for (auto& session : table.sessions) {
        sessions_by_age_[session.committed_at] = session.client;
        sessions_[session.client] = Session{SessionNumber(session.session), session.request,
                                            session.committed_at, std::move(session.reply)};
    }
    client_table_as_of_ = table.applied;
    return Status::ok();
}

Status Replica::check_no_sessions_between(Position after, Position through) {
    // Read in runs; a record changes the table when it is a register, or an op or a logged
    // refusal of a client other than the in-process one (which updates its session).
    Position from = after.next();
    while (from <= through) {
        auto records = KB_TRY(log_.read(from, through, kReadRunBytes));
        if (records.empty()) {
            return Status::internal("reading the log from position " + to_string(from) +
                                    " for the client table returned nothing");
        }
        for (const Bytes& record : records) {
            const auto header = record_header_of(record);
            if (!header) {
                return Status::corruption("log position " + to_string(from) + ": no record header");
            }
            if ((header->kind == storage::RecordKind::op ||
                 header->kind == storage::RecordKind::refusal ||
                 header->kind == storage::RecordKind::registration) &&
                header->client_id.value() != 0) {
                return Status::corruption(
                    "no client table for the state machine's checkpoint at position " +
                    to_string(through) + " (" + client_table_path(through) +
                    "), and the older table standing in (as of position " + to_string(after) +
                    ") lacks the session of client " + std::to_string(header->client_id.value()) +
                    " committed at position " + to_string(from) +
                    ": retried requests could be applied twice");
            }
            from = from.next();
        }
    }
    return Status::ok();
}

void Replica::save_client_table(io::Storage& storage, Position checkpoint,
                                io::UniqueFunction<void(Status)> done) {
    ClientTableSnapshot snapshot;
    snapshot.checkpoint = checkpoint;
    // Every commit up to the state machine's applied position is in the table; one loaded at
    // open may cover more (ops re-applied since without recording their sessions again).
    snapshot.applied = std::max(state_machine_.applied(), client_table_as_of_);
    KB_ASSERT(checkpoint <= snapshot.applied);
    for (const auto& [position, client] : sessions_by_age_) {
        const Session& session = sessions_.at(client);
        snapshot.sessions.push_back({client, session.session.value(), session.request,
                                     session.committed_at, session.reply});
    }
    vsr::save_client_table(storage, snapshot, std::move(done));
}

void Replica::submit_local(ClientId client, RequestNumber request, Bytes body, LocalReply done) {
    KB_ASSERT(client.value() == 0);  // network clients register and come over the bus
    Header header = header_for(Command::request);
    header.replica = kClientReplica;
    header.client = client;
    header.request = request;
    header.size = static_cast<u32>(kHeaderSize + body.size());
    local_waiting_[{client, request}] = std::move(done);
    on_request(header, std::move(body), std::nullopt);
}

void Replica::on_request(const Header& header, Bytes body, std::optional<io::Peer> from) {
    auto refuse_local = [&](Status why) {
        ++counters_.requests_dropped;
        if (from) return;
        auto found = local_waiting_.find({header.client, header.request});
        if (found == local_waiting_.end()) return;
        auto done = std::move(found->second);
        local_waiting_.erase(found);
        done(std::move(why));
    };
    if (!failure_.is_ok()) {
        refuse_local(failure_);
        return;
    }
    if (!is_primary()) {
        refuse_local(Status::busy("replica " + std::to_string(index()) +
                                  " is not the primary (view " + std::to_string(view_.value()) +
                                  ", " + std::string(replica_status_name(status_)) + ")"));
        return;
    }
    // Client 0 is the in-process client (the embedded database): no session, any number of
    // requests in flight, each request number used once.
    const bool sessionless = header.client.value() == 0;
    if (!sessionless && state_machine_.applied() < inherited_until_) {
        // A new primary's client table is complete only once it applied what it inherited.
        refuse_local(Status::busy("the new primary is still applying its log"));
        return;
    }
    if (!sessionless) {
        auto session = sessions_.find(header.client);
        const bool in_flight = in_flight_.contains(header.client);
        if (header.request.value() == 0) {
            // A register. Once committed, a retry of it is answered from the table (with the
            // session's number) until the client's first request in that session commits;
            // after that, a register is a late copy (the client has moved on) and is dropped.
            // A client that forgot its session takes a new client id.
            if (session != sessions_.end()) {
                if (session->second.request.value() == 0) {
                    ++counters_.repeats_answered;
                    reply(header.client, header.request, session->second.committed_at,
                          session->second.reply, session->second.session);
                } else {
                    ++counters_.requests_dropped;
                }
                return;
            }
        } else if (session == sessions_.end() || session->second.session != header.session) {
            // No such session: never registered, evicted, or replaced by a newer register.
            // Whether this request (perhaps a retry) was applied can no longer be told, so it
            // is never applied; the client must register anew. Unless the client has a request
            // in flight (say, a register, or this very request queued before its session was
            // evicted): then its answer comes when that commits.
            if (in_flight) {
                ++counters_.requests_dropped;
                return;
            }
            if (from) send_eviction(header, *from);
            return;
        } else {
            if (header.request == session->second.request) {
                ++counters_.repeats_answered;
                reply(header.client, header.request, session->second.committed_at,
                      session->second.reply);
                return;
            }
            if (header.request < session->second.request) {
                ++counters_.requests_dropped;  // older than the session's newest: a late copy
                return;
            }
        }
        if (in_flight) {
            // Already queued or prepared: its reply comes when it commits.
            ++counters_.requests_dropped;
            return;
        }
    }
    if (queue_.size() >= options_.request_queue_max ||
        queued_bytes_ + body.size() > options_.request_queue_bytes_max) {
        refuse_local(Status::busy("the primary's request queue is full"));
        return;
    }
    if (!sessionless) in_flight_[header.client] = header.request;
    queued_bytes_ += body.size();
    const RecordMaker maker = !sessionless && header.request.value() == 0
                                  ? RecordMaker::registration
                                  : RecordMaker::client;
    queue_.push_back(QueuedRequest{header, std::move(body), from, maker});
    prepare_next();
}

void Replica::send_eviction(const Header& request, const io::Peer& to) {
    ++counters_.evictions_sent;
    Header eviction = header_for(Command::eviction);
    eviction.client = request.client;
    eviction.request = request.request;
    eviction.session = request.session;
    bus_.send(to, std::make_shared<const Bytes>(encode_message(eviction, {})));
}

void Replica::prepare_next() {
    // A new primary first commits what it inherited: admission then starts from applied state.
    while (is_primary() && state_machine_.applied() >= inherited_until_ && !queue_.empty() &&
           pipeline_.size() < options_.pipeline_max && failure_.is_ok()) {
        QueuedRequest request = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= std::min<u64>(queued_bytes_, request.body.size());
        // The table may have changed while the request waited (commits since it was queued):
        // a retry whose original committed meanwhile is answered from the table, and a request
        // whose session was evicted meanwhile gets `eviction` — neither is prepared.
        const ClientId client = request.header.client;
        if ((request.maker == RecordMaker::client || request.maker == RecordMaker::registration) &&
            client.value() != 0 && !still_to_prepare(request)) {
            if (auto found = in_flight_.find(client);
                found != in_flight_.end() && found->second == request.header.request) {
                in_flight_.erase(found);
            }
            continue;
        }
        prepare_one(std::move(request));
    }
}

bool Replica::still_to_prepare(const QueuedRequest& request) {
    const Header& header = request.header;
    auto session = sessions_.find(header.client);
    if (header.request.value() == 0) {
        if (session == sessions_.end()) return true;
        if (session->second.request.value() == 0) {
            ++counters_.repeats_answered;
            reply(header.client, header.request, session->second.committed_at,
                  session->second.reply, session->second.session);
        }
        return false;
    }
    if (session == sessions_.end() || session->second.session != header.session) {
        if (request.from) send_eviction(header, *request.from);
        return false;
    }
    if (header.request <= session->second.request) {
        if (header.request == session->second.request) {
            ++counters_.repeats_answered;
            reply(header.client, header.request, session->second.committed_at,
                  session->second.reply);
        }
        return false;
    }
    return true;
}

void Replica::prepare_one(QueuedRequest request) {
    const Position position = log_.last_position().next();
    const u64 now = loop_.clock().realtime().value();
    const Timestamp timestamp(std::max(now, last_timestamp_.value() + 1));
    Bytes record;
    if (request.maker == RecordMaker::client) {
        PrepareInput input{.client = request.header.client,
                           .request = request.header.request,
                           .body = request.body,
                           .position = position,
                           .view = view_,
                           .timestamp = timestamp,
                           .previous_chain_hash = log_.last_chain_hash()};
        auto prepared = state_machine_.prepare(input);
        if (!prepared) {
            fail(prepared.error());
            return;
        }
        if (!prepared->record) {
            in_flight_.erase(request.header.client);
            reply(request.header.client, request.header.request, Position(), prepared->refusal);
            return;
        }
        record = std::move(*prepared->record);
    } else {
        auto built = build_own_record(request, position, timestamp);
        if (!built) {
            fail(built.error());
            return;
        }
        record = std::move(*built);
    }
    const ComplianceHash hash = chain_hash_of(log_.last_chain_hash(), record);
    std::vector<Bytes> records;
    records.push_back(record);
    Status accepted = log_.append(
        std::move(records),
        [this, alive = alive_, position, hash, view = view_](Status durable) {
            if (!*alive) return;
            if (!durable.is_ok()) {
                // Truncated by a view change (the op is gone) or a failed sync (fatal).
                if (durable.code() == StatusCode::fatal) fail(durable);
                return;
            }
            if (view == view_ && is_primary()) count_ok(position, hash, index());
            // Backups may have made it committed first: applying waited for this write.
            apply_committed();
        },
        storage::RecordSource::built_here);
    if (!accepted.is_ok()) {
        state_machine_.discard_after(position.prev());
        fail(accepted);
        return;
    }
    last_timestamp_ = timestamp;
    remember_hash(position, hash);
    unapplied_[position] = std::move(record);
    pipeline_.push_back(
        PipelineEntry{position, hash, {}, request.header.client, request.header.request});
    if (replica_count() == 1) return;
    Header header = header_for(Command::prepare);
    header.op = position;
    header.commit = commit_max_;
    header.hash = hash;
    header.timestamp = timestamp;
    header.client = request.header.client;
    header.request = request.header.request;
    header.size = static_cast<u32>(kHeaderSize + unapplied_[position].size());
    broadcast(header, unapplied_[position]);
    counters_.prepares_sent += replica_count() - 1u;
}

// A prepare_ok for op n with chain_hash(n) says the replica durably holds this very log up to
// n (the chain hash commits to every record before it), so it counts for every entry <= n: one
// message acknowledges a whole run, which keeps a long inherited suffix cheap to re-commit.
void Replica::count_ok(Position op, const ComplianceHash& hash, u8 replica) {
    if (pipeline_.empty() || op < pipeline_.front().op || op > pipeline_.back().op) return;
    const usize last = static_cast<usize>(op.value() - pipeline_.front().op.value());
    KB_ASSERT(pipeline_[last].op == op);
    if (pipeline_[last].hash != hash) return;  // a prepare_ok for another record at this op
    for (usize i = 0; i <= last; ++i) pipeline_[i].oks.insert(replica);
    Position committed = commit_max_;
    while (!pipeline_.empty() && pipeline_.front().oks.size() >= quorum()) {
        committed = pipeline_.front().op;
        pipeline_.pop_front();
    }
    if (committed > commit_max_) {
        commit_max_ = committed;
        apply_committed();
        prepare_next();
    }
}

void Replica::apply_committed() {
    while (failure_.is_ok() && state_machine_.applied() < commit_max_) {
        const Position position = state_machine_.applied().next();
        if (position > log_.durable_position()) return;  // not held yet: repair fetches it
        Bytes record;
        if (auto kept = unapplied_.find(position); kept != unapplied_.end()) {
            record = std::move(kept->second);
            unapplied_.erase(kept);
        } else {
            // Not appended in this process (a restart): read the committed run at once; one
            // read per record would walk the segment index from its anchor each time.
            const Position last = std::min(commit_max_, log_.durable_position());
            auto read = log_.read(position, last, kReadRunBytes);
            if (!read) {
                fail(read.error());
                return;
            }
            record = std::move(read->front());
            for (usize i = 1; i < read->size(); ++i) {
                unapplied_[Position(position.value() + i)] = std::move((*read)[i]);
            }
        }
        auto reply_bytes = state_machine_.commit(position, record);
        if (!reply_bytes) {
            fail(reply_bytes.error());
            return;
        }
        ++counters_.commits;
        // Hashes below the applied position are never asked for again (logs are cut back to
        // it at most), except the applied one itself.
        hashes_.erase(hashes_.begin(), hashes_.lower_bound(position));
        const auto header = record_header_of(record);
        KB_ASSERT(header);  // the log checked it
        if (header->kind == storage::RecordKind::attestation ||
            header->kind == storage::RecordKind::cosignature) {
            on_committed_attestation_record(*header, record);
        }
        // Ops, logged refusals and registers answer a client; other records (attestations,
        // ...) do not.
        const bool registration = header->kind == storage::RecordKind::registration;
        if (header->kind != storage::RecordKind::op &&
            header->kind != storage::RecordKind::refusal && !registration) {
            continue;
        }
        if (header->kind == storage::RecordKind::op && is_primary() &&
            options_.signing_key != nullptr &&
            ++ops_since_attestation_ >= options_.attestation_every_ops) {
            queue_attestation();
        }
        const ClientId client = header->client_id;
        // Sessions past a loaded table's position are recorded; those before it are in it.
        if (client.value() != 0 && position > client_table_as_of_) {
            if (registration) {
                open_session(client, position, *reply_bytes);
            } else {
                record_session(client, header->request_number, position, *reply_bytes);
            }
        }
        if (is_primary()) {
            if (auto found = in_flight_.find(client);
                found != in_flight_.end() && found->second == header->request_number) {
                in_flight_.erase(found);
            }
            reply(client, header->request_number, position, *reply_bytes,
                  registration ? SessionNumber(position.value()) : SessionNumber());
        }
    }
    if (!confirm_waiting_.empty() || !applied_waiting_.empty()) finish_reads();
    prepare_next();
}

void Replica::open_session(ClientId client, Position position, const Bytes& reply_bytes) {
    ++counters_.registrations;
    // A client registering again (after an eviction) gets a new session: the old one's requests
    // are answered with `eviction` from now on.
    auto [session, inserted] = sessions_.try_emplace(client);
    if (!inserted) sessions_by_age_.erase(session->second.committed_at);
    session->second =
        Session{SessionNumber(position.value()), RequestNumber(0), position, reply_bytes};
    sessions_by_age_[position] = client;
    // Deterministic eviction: the session whose last commit is oldest (every replica commits
    // the same ops, so every replica evicts the same one). Never the new one, the newest.
    KB_ASSERT(options_.client_sessions_max >= 1);
    while (sessions_.size() > options_.client_sessions_max) {
        auto oldest = sessions_by_age_.begin();
        KB_ASSERT(oldest->second != client);
        sessions_.erase(oldest->second);
        sessions_by_age_.erase(oldest);
        ++counters_.sessions_evicted;
    }
}

void Replica::record_session(ClientId client, RequestNumber request, Position position,
                             const Bytes& reply_bytes) {
    // A client without a session (evicted while this request was being prepared, or one
    // that never registered, in a log from before registers) records nothing: its retries get
    // `eviction`, never a second apply.
    auto session = sessions_.find(client);
    if (session == sessions_.end()) return;
    sessions_by_age_.erase(session->second.committed_at);
    session->second.request = request;
    session->second.committed_at = position;
    session->second.reply = reply_bytes;
    sessions_by_age_[position] = client;
}

void Replica::reply(ClientId client, RequestNumber request, Position op, const Bytes& body,
                    SessionNumber session) {
    if (auto found = local_waiting_.find({client, request}); found != local_waiting_.end()) {
        auto done = std::move(found->second);
        local_waiting_.erase(found);
        done(body);
        return;
    }
    Header header = header_for(Command::reply);
    header.op = op;
    header.commit = commit_max_;
    header.client = client;
    header.request = request;
    header.session = session;
    header.size = static_cast<u32>(kHeaderSize + body.size());
    bus_.send(io::Peer::client(client),
              std::make_shared<const Bytes>(encode_message(header, body)));
}

Header Replica::header_for(Command command) const {
    Header header;
    header.cluster = limits_.cluster;
    header.command = command;
    header.replica = index();
    header.view = view_;
    return header;
}

void Replica::send(u8 replica, const Header& header, ByteSpan body) {
    KB_ASSERT(header.size == kHeaderSize + body.size());
    bus_.send(io::Peer::replica(replica),
              std::make_shared<const Bytes>(encode_message(header, body)));
}

void Replica::broadcast(const Header& header, ByteSpan body) {
    KB_ASSERT(header.size == kHeaderSize + body.size());
    auto message = std::make_shared<const Bytes>(encode_message(header, body));
    for (u8 replica = 0; replica < replica_count(); ++replica) {
        if (replica != index()) bus_.send(io::Peer::replica(replica), message);
    }
}

void Replica::remember_hash(Position position, const ComplianceHash& hash) {
    hashes_[position] = hash;
}

std::optional<ComplianceHash> Replica::chain_hash_at(Position position) {
    if (position == log_.last_position()) return log_.last_chain_hash();
    if (auto found = hashes_.find(position); found != hashes_.end()) return found->second;
    if (position.value() == 0 || position > log_.durable_position()) return std::nullopt;
    // Below what this process appended (after a restart): from the record itself.
    auto read = log_.read(position, position, options_.body_size_max);
    if (!read) return std::nullopt;
    const auto header = record_header_of(read->front());
    if (!header) return std::nullopt;
    return chain_hash_of(header->previous_chain_hash, read->front());
}

void Replica::fail(Status status) {
    if (failure_.is_ok()) failure_ = std::move(status);
    for (auto& [key, done] : local_waiting_) done(failure_);
    local_waiting_.clear();
}

}  // namespace kb::vsr
