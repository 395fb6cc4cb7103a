// The kernel workload: stream appends and SQL transactions through the real engine (db::Engine
// as each replica's state machine), judged against sequential models of the streams and of a
// bank table (the transactions' part is bank_workload.h).
//
// Requests are encoded ops (db/engine_wire.h) of one tenant: a share of them (drawn per seed)
// are transactions of the bank workload, the rest appends of 1 to 3 events to one of a few
// streams. Some appends carry an expected offset (the model's committed next offset when the
// request is made, or one past it: concurrent appends make either conflict or not), some a new
// idempotency id, some reuse the idempotency id of one of the client's earlier acknowledged
// appends (a repeat: answered with the original's result, never applied again), and a few name
// a stream that does not exist (refused).
//
// The model replays the committed history in position order (on_committed): a logged append
// with an expected offset must find the stream exactly there, and takes the next offsets, so
// per stream the logged appends form one gap-free sequence in position order. Replies are
// checked against it: an applied append's first offset and event count are the model's; a
// refusal logs nothing (a refused request never shows up in the history later) and is one the
// request could get (offset mismatch only with an expected offset, no such stream only for the
// missing one); a repeat names the original's position and offsets.
//
// Not covered yet: stream creation and deletion while the clients run, DDL while they run,
// secondary indexes, reads outside transactions.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "sim/bank_workload.h"
#include "sim/workload.h"
#include "types/hash.h"

namespace kb::sim {

class KernelWorkload final : public Workload {
public:
    // tolerate_session_bugs: count instead of failing a refused request that is logged later
    // and a request logged twice (client-session bugs K1 and K2 of /tmp/vopr_bugs.md, while
    // they are fixed); the model follows what was logged either way. Appends only: the bank
    // model fails on either (both are fixed).
    explicit KernelWorkload(bool tolerate_session_bugs = false)
        : tolerate_session_bugs_(tolerate_session_bugs) {}

    // The tenant and streams the clients write to (made before they start), each stream at
    // offset 0.
    void set_streams(TenantId tenant, std::vector<StreamId> streams);

    Bytes make_request(ClientId client, RequestNumber request, Prng& prng) override;
    // false only for requests surely refused (appends to a missing stream).
    bool expects_op(ByteSpan request) const override;
    Status check_reply(ClientId client, RequestNumber number, ByteSpan request, Position op,
                       ByteSpan reply) override;
    Status on_committed(Position position, ClientId client, RequestNumber request,
                        bool refusal) override;

    // The bank table's transactions (set up separately: create_accounts in engine_node.h),
    // `percent` of the requests once it is ready.
    BankWorkload& bank() { return bank_; }
    const BankWorkload& bank() const { return bank_; }
    void set_transaction_percent(u64 percent) { transaction_percent_ = percent; }

    // The model's next offset of each stream, in set_streams order.
    std::vector<u64> next_offsets() const;
    // Replies checked by kind: applied appends, offset conflicts, repeats, missing streams.
    struct Counts {
        u64 appended = 0;
        u64 conflicts = 0;
        u64 repeats = 0;
        u64 missing = 0;
        u64 session_repeats = 0;  // retries a session forgot, answered by idempotency
        u64 session_bugs = 0;     // tolerated K1/K2 cases
    };
    const Counts& counts() const { return counts_; }

private:
    using Key = std::pair<ClientId, RequestNumber>;
    struct Intent {
        std::optional<usize> stream;  // index into streams_; nullopt: a missing stream
        std::optional<Offset> expected;
        IdempotencyId idempotency;
        std::optional<Key> repeat_of;  // reuses that request's idempotency id
        u64 events = 0;
    };
    struct Logged {
        Position position;
        u64 first_offset = 0;
        u64 events = 0;
        bool repeat = false;  // a repeat logged while its original was pending: no effect
    };

    static std::string name(const Key& key);
    // `what` broke the model: an error, or (tolerated) counted.
    Status session_bug(std::string what);
    const Logged* logged_at(const Key& key, Position position) const;

    TenantId tenant_;
    std::vector<StreamId> streams_;
    std::vector<u64> next_;  // model: next offset per stream
    std::map<Key, Intent> intents_;
    std::map<Key, std::vector<Logged>> logged_;  // more than one only with session bugs
    std::set<Key> refused_;
    // Per client: its acknowledged appends with an idempotency id (repeat candidates).
    std::map<ClientId, std::vector<Key>> repeatable_;
    Counts counts_;
    bool tolerate_session_bugs_ = false;
    BankWorkload bank_;
    u64 transaction_percent_ = 0;
};

}  // namespace kb::sim
