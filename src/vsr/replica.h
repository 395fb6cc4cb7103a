// Replica: one member of a Viewstamped Replication cluster (Oki & Liskov 1988; Liskov & Cowling,
// "Viewstamped Replication Revisited", 2012), over the hash-chained log (DESIGN.md §3).
//
// Normal operation. The primary of view v is replica v mod n. It turns each client request into
// a record (StateMachine::prepare: admission, sealing), appends it to its log and sends it to the
// backups in a prepare; a backup appends the exact bytes and answers prepare_ok once they are
// durable; the primary counts itself once its own append is durable. An op is committed when a
// quorum (a majority) holds it durably; ops commit and apply (StateMachine::commit) in order on
// every replica, and the primary replies. Group commit comes from the log: every append made in a
// loop turn shares one sync. Up to pipeline_max ops are in flight; further requests wait in a
// bounded queue.
//
// View change. A backup that hears nothing from its primary for a while promises the next view
// (durably, in the superblock) and says so (start_view_change). Once a quorum agrees, each sends
// the new primary its log head (do_view_change: log_view, op, commit, chain hash). The new
// primary takes the best head — highest log_view, then op, then chain hash as a deterministic
// tie-break — fetches any records it lacks from that replica, checks that its log now ends in
// exactly that chain hash (one comparison checks the whole log, since the chain hash commits to
// every record before it), makes log_view durable and announces start_view. A committed op is in
// the log of a quorum with the newest log_view, so the chosen log never loses it.
//
// Logs are only ever cut back to what this replica has applied, which is committed and so the
// same on every replica: a backup whose head differs from the new view's truncates to that
// point, durably, before it records the new log_view, then fetches the rest (request_prepare).
//
// Restart. The superblock gives view and log_view, the log gives the records. A one-replica
// cluster commits everything durable. Otherwise a former backup asks the primary of its view for
// the current head (request_start_view) and a former primary, which cannot know what its last
// pipeline reached, moves to the next view.
//
// Client sessions: see docs/ARCHITECTURE.md "Client sessions". A network client first
// registers (request number 0): the register is logged as a record of kind `registration`, and
// its commit opens the client's session, numbered by the register's position. Every later
// request carries (client, session, request number). The table keeps each session's newest
// committed request and its reply, built on every replica by commit (so replicated), and answers
// a retry of it from there; a request whose session the table does not hold (never registered,
// evicted, replaced) is answered with `eviction` and never applied — a request is never applied
// twice. The in-process client 0 has no session.
//
// Every message is decoded and checked (message.h) before it is looked at; a bad one is counted
// and dropped. Nothing a peer sends makes the replica allocate beyond the message itself and the
// bounded queues.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "crypto/ed25519.h"
#include "io/event_loop.h"
#include "io/network.h"
#include "storage/attestation.h"
#include "storage/log.h"
#include "vsr/message.h"
#include "vsr/state_machine.h"
#include "vsr/superblock.h"

namespace kb::vsr {

// Bugs put in on purpose, so the simulator can show that its checkers catch a broken replica
// (vopr --canary). Never set outside tests.
enum class Canary : u8 {
    none,
    commit_without_quorum,      // the primary commits once its own write is durable
    prepare_ok_before_durable,  // backups acknowledge a prepare as soon as it is appended
};

struct ReplicaOptions {
    // Ops prepared and not yet committed, at most.
    u64 pipeline_max = 32;
    // Requests waiting for room in the pipeline, at most, and their bodies' bytes at most
    // (more are dropped; clients retry): what clients can make a primary hold is bounded.
    u64 request_queue_max = 1024;
    u64 request_queue_bytes_max = 256ull << 20;
    // Client sessions kept (at least 1); when a register would make one more, the session whose
    // last commit is oldest is evicted.
    u64 client_sessions_max = 4096;
    // The primary sends a commit heartbeat this often when idle.
    u64 heartbeat_ns = 50'000'000;
    // A backup that hears nothing from its primary this long starts a view change; a view
    // change that has not finished this long moves on to the next view.
    u64 view_change_timeout_ns = 500'000'000;
    // The largest message body accepted (a record: header + payload).
    u64 body_size_max = (64ull << 20) + 4096;
    Canary canary = Canary::none;
    // This replica's node key (DESIGN.md §3 "Checkpoints"): as primary it logs an attestation
    // every attestation_every_ops committed ops and on attest(); as a backup it co-signs the
    // newest committed attestation once, and the primary logs the co-signature. Null: neither.
    const crypto::Ed25519SigningKey* signing_key = nullptr;
    u64 attestation_every_ops = 10'000;
};

enum class ReplicaStatus : u8 {
    normal,       // primary or backup of view()
    view_change,  // electing the primary of view()
    recovering,   // waiting for the primary's start_view (after a restart or a missed view)
};
std::string_view replica_status_name(ReplicaStatus status);

// What a client asked for and got back, delivered to in-process clients (the embedded
// database) instead of over the bus.
using LocalReply = io::UniqueFunction<void(Result<Bytes>)>;

struct ReplicaCounters {
    u64 messages_rejected = 0;  // failed decode_message
    u64 prepares_sent = 0;
    u64 commits = 0;  // ops applied
    u64 view_changes = 0;
    u64 requests_dropped = 0;  // queue full, not primary, in flight already, late copies
    u64 repeats_answered = 0;  // retries answered from the client table
    u64 evictions_sent = 0;    // requests whose session the client table does not hold
    u64 registrations = 0;     // sessions opened (registers committed)
    u64 sessions_evicted = 0;  // sessions evicted to make room
};

class Replica {
public:
    // Everything passed in must outlive the replica. The state machine must already be at
    // `state_machine.applied()` (recovered); the log and superblock opened.
    Replica(io::EventLoop& loop, io::MessageBus& bus, storage::Log& log, Superblock& superblock,
            StateMachine& state_machine, ReplicaOptions options);
    ~Replica();
    Replica(const Replica&) = delete;
    Replica& operator=(const Replica&) = delete;

    // Client tables on disk (vsr/client_table_file.h): sessions of ops the state machine will
    // not apply again (they precede its checkpoint) come back with the table saved for that
    // checkpoint. Recovery starts from a state-machine checkpoint and the table as of it.
    //
    // Loads the table saved for the state machine's checkpoint at `checkpoint` (the position
    // it recovered; before start()). Without one — a data directory from before tables were
    // saved per checkpoint (the version-1 file, or none at all: the empty table as of 0) — an
    // older table stands in only if the log between it and the checkpoint holds no client's
    // request (so no session differs); otherwise corruption, since sessions would be lost and a
    // retried request could be applied twice.
    Status load_client_table(io::Storage& storage, Position checkpoint);
    // Saves the table as it is now (covering every commit applied so far) as the one for the
    // state machine's checkpoint at `checkpoint` (at most what it has applied), and calls `done`
    // once that is durable. Must be done before that checkpoint can become durable
    // (store::Store::set_checkpoint_gate); the tables of earlier checkpoints stay until it is
    // (remove_client_tables_before).
    void save_client_table(io::Storage& storage, Position checkpoint,
                           io::UniqueFunction<void(Status)> done);

    // Starts timers and, after a restart, the recovery described above.
    void start();

    // Logs an attestation of the log as it stands (signed with the node key) and calls `done`
    // with its position once it is committed. busy when not the primary in normal status (or a
    // view change intervened), unsupported without a signing key.
    void attest(io::UniqueFunction<void(Result<Position>)> done);

    // Reads (DESIGN.md §3 "Reads"). confirm_primary: `done` gets ok once a quorum has
    // confirmed, after this call, that this replica is still the primary of its view and the
    // state machine has applied everything committed when the call was made — a read of the
    // state then is linearizable. busy when not the primary, on a view change, or when no
    // quorum answers within view_change_timeout_ns.
    void confirm_primary(io::UniqueFunction<void(Status)> done);
    // For snapshot reads at or after a session's last-seen position (any replica): `done` gets
    // ok once the state machine has applied `position`, busy after view_change_timeout_ns.
    void when_applied(Position position, io::UniqueFunction<void(Status)> done);

    // A request of the in-process client 0 (the embedded database; `client` must be 0: it has
    // no session and needs no register): handled as if it had arrived on the bus, the reply
    // given to `done` instead. unavailable when this replica is not the primary in normal status
    // or its queue is full.
    void submit_local(ClientId client, RequestNumber request, Bytes body, LocalReply done);

    u8 index() const { return superblock_.state().replica; }
    u8 replica_count() const { return superblock_.state().replica_count; }
    View view() const { return view_; }
    View log_view() const { return log_view_; }
    ReplicaStatus status() const { return status_; }
    bool is_primary() const {
        return status_ == ReplicaStatus::normal && primary_of(view_) == index();
    }
    Position op() const { return log_.last_position(); }
    Position commit_max() const { return commit_max_; }
    Position commit_min() const { return state_machine_.applied(); }
    const ReplicaCounters& counters() const { return counters_; }
    // ok until an operating error (log, superblock, state machine) stopped the replica.
    const Status& failure() const { return failure_; }

    u8 primary_of(View view) const { return static_cast<u8>(view.value() % replica_count()); }
    u8 quorum() const {
        if (options_.canary == Canary::commit_without_quorum) return 1;
        return static_cast<u8>(replica_count() / 2 + 1);
    }

    // A log head offered in a view change.
    struct Head {
        View log_view;
        Position op;
        Position commit;
        ComplianceHash hash;
        u8 replica = 0;
    };

private:
    // How much of the log one read brings back when records are read in runs (apply after a
    // restart, answering request_prepare): at least one record, then up to this many bytes.
    static constexpr u64 kReadRunBytes = 8ull << 20;

    struct PipelineEntry {
        Position op;
        ComplianceHash hash;
        std::set<u8> oks;  // replicas (self included once durable) holding it durably
        ClientId client;
        RequestNumber request;
    };
    // What a queued request makes: a client's op (through the state machine), or a record the
    // replica makes itself (a client's register included).
    enum class RecordMaker : u8 { client, registration, attestation, cosignature };
    struct QueuedRequest {
        Header header;
        Bytes body;                    // cosignature: its payload
        std::optional<io::Peer> from;  // nullopt: a local request
        RecordMaker maker = RecordMaker::client;
    };
    struct Session {
        SessionNumber session;  // the position of the register that opened it
        RequestNumber request;  // the newest committed (0: only the register)
        Position committed_at;
        Bytes reply;
    };

    // replica.cc: requests, prepares, commit, apply, replies
    void on_request(const Header& header, Bytes body, std::optional<io::Peer> from);
    void prepare_next();
    // Whether a queued request of a network client is still to be prepared, judged against
    // the client table as it is now; if not, it is answered as on_request would answer it.
    bool still_to_prepare(const QueuedRequest& request);
    void prepare_one(QueuedRequest request);
    void count_ok(Position op, const ComplianceHash& hash, u8 replica);
    void apply_committed();
    // Commit's part in the client table: a register opens (or reopens) the client's session,
    // evicting the oldest if the table is full; an op or refusal updates its client's session,
    // if it still has one.
    void open_session(ClientId client, Position position, const Bytes& reply_bytes);
    void record_session(ClientId client, RequestNumber request, Position position,
                        const Bytes& reply_bytes);
    // Tells a network client its request's session is not in the table (and counts it).
    void send_eviction(const Header& request, const io::Peer& to);
    // corruption unless no record in (after, through] would have recorded a session.
    Status check_no_sessions_between(Position after, Position through);
    // `session`: a register's reply carries the new session's number (its op), others none.
    void reply(ClientId client, RequestNumber request, Position op, const Bytes& body,
               SessionNumber session = SessionNumber());
    Header header_for(Command command) const;
    void send(u8 replica, const Header& header, ByteSpan body = {});
    void broadcast(const Header& header, ByteSpan body = {});
    void remember_hash(Position position, const ComplianceHash& hash);
    std::optional<ComplianceHash> chain_hash_at(Position position);
    void fail(Status status);

    // replica_reads.cc
    void on_ping(const Header& header);
    void on_pong(const Header& header);
    void finish_reads();
    void expire_reads(u64 now_ns);

    // replica_attestations.cc
    Result<Bytes> build_own_record(const QueuedRequest& request, Position position,
                                   Timestamp timestamp);
    void queue_attestation();
    void on_committed_attestation_record(const storage::RecordHeader& header, ByteSpan record);
    void cosign_newest();
    void on_cosignature(const Header& header, ByteSpan body);

    // replica_messages.cc: what backups receive, acknowledgements, repair
    void on_message(io::Peer from, io::Message message);
    bool behind_view(const Header& header);
    void on_prepare(const Header& header, ByteSpan record);
    bool append_record(const Header& header, ByteSpan record);
    void on_backup_durable(Position op, const ComplianceHash& hash);
    void on_sync_prepare(const Header& header, ByteSpan record);
    // Keeps a prepare that arrived early; true if kept.
    bool keep_early(const Header& header, ByteSpan record, Position next);
    void take_early();
    void send_prepare_ok(Position op, const ComplianceHash& hash);
    void on_commit(const Header& header);
    void request_missing(u8 from);
    void on_request_prepare(const Header& header);
    void send_repair_prepare(u8 replica, Position op, const Bytes& record);
    void send_start_view(u8 replica);

    // replica_view_change.cc
    void persist(View view, View log_view, std::optional<Position> head_limit,
                 io::UniqueFunction<void()> then);
    io::UniqueFunction<void(Status)> after_durable_step(io::UniqueFunction<void()> then);
    void adopt_view(View view, ReplicaStatus status, io::UniqueFunction<void()> then);
    // Promises `view` and asks for it (with `also_from`'s start_view_change already counted).
    void start_view_change(View view, std::optional<u8> also_from = std::nullopt);
    void on_start_view_change(const Header& header);
    void maybe_send_do_view_change();
    Head own_head();
    void send_do_view_change();
    void on_do_view_change(const Header& header);
    void try_start_view();
    void start_sync(const Head& target, u8 source);
    void truncate_then(Position position, io::UniqueFunction<void()> then);
    void check_sync_done();
    void become_primary();
    void on_start_view(const Header& header);
    void join_view(const Head& target);
    void arm_tick();
    void on_tick();

    io::EventLoop& loop_;
    io::MessageBus& bus_;
    storage::Log& log_;
    Superblock& superblock_;
    StateMachine& state_machine_;
    ReplicaOptions options_;
    MessageLimits limits_;

    ReplicaStatus status_ = ReplicaStatus::recovering;
    View view_;
    View log_view_;
    Position commit_max_;
    Timestamp last_timestamp_;
    Status failure_;
    ReplicaCounters counters_;

    // Chain hashes of the applied position and every position appended after it.
    std::map<Position, ComplianceHash> hashes_;
    // Records appended and not yet applied, kept so commit need not read them back.
    std::map<Position, Bytes> unapplied_;
    // Catching up: the highest op known to exist, and the end of the range asked for.
    Position want_op_;
    Position requested_until_;

    // Primary.
    std::deque<PipelineEntry> pipeline_;
    std::deque<QueuedRequest> queue_;
    u64 queued_bytes_ = 0;
    std::map<std::pair<ClientId, RequestNumber>, LocalReply> local_waiting_;
    std::map<ClientId, RequestNumber> in_flight_;  // requests queued or prepared
    Position inherited_until_;  // a new primary commits its log up to here before preparing

    // Every replica: the replicated client table, and its sessions by last commit (eviction).
    std::map<ClientId, Session> sessions_;
    std::map<Position, ClientId> sessions_by_age_;
    Position client_table_as_of_;  // a loaded table covers every commit up to here

    // View change.
    std::set<u8> start_view_change_from_;
    std::map<u8, Head> do_view_change_from_;
    bool do_view_change_sent_ = false;
    // Bringing the log in line with `target`'s (a new primary catching up with the best log
    // offered, or a backup joining a new view) from `source`: records up to `cursor` are known
    // to be the target's. Records are compared before anything is cut: a record this replica
    // acknowledged is removed only where the target's log differs, so never a committed one.
    struct Sync {
        Head target;
        u8 source = 0;
        Position cursor;
    };
    std::optional<Sync> sync_;
    // Prepares that arrived ahead of the next one needed (the network reorders), at most
    // kRequestPrepareOpsMax of them: taken in order once the gap fills.
    std::map<Position, std::pair<Header, Bytes>> early_;
    bool persisting_ = false;  // a superblock write or log truncation the next step waits for

    // Reads waiting: for a quorum round (by round), or for a position to be applied.
    struct ReadWaiter {
        u64 round = 0;
        Position applied;  // must be applied first
        u64 since_ns = 0;
        io::UniqueFunction<void(Status)> done;
    };
    std::deque<ReadWaiter> confirm_waiting_;
    std::deque<ReadWaiter> applied_waiting_;
    u64 read_round_ = 0;
    u64 confirmed_round_ = 0;
    std::set<u8> pongs_;  // backups that answered read_round_

    // Attestations.
    u64 ops_since_attestation_ = 0;
    bool attestation_queued_ = false;
    std::vector<io::UniqueFunction<void(Result<Position>)>> attest_waiting_;
    // The newest committed attestation (with a valid signature), who has co-signed it in the
    // log (its signer included), and whose co-signatures this primary has queued.
    std::optional<std::pair<Position, storage::AttestedStatement>> newest_attestation_;
    std::set<std::array<u8, 32>> cosigners_;
    std::set<std::array<u8, 32>> cosignatures_queued_;
    Position cosigned_by_me_;

    io::TimerId tick_timer_;
    u64 last_heard_primary_ns_ = 0;
    u64 view_change_started_ns_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kb::vsr
