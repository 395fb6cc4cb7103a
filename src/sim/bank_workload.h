// The bank workload: serializable SQL transactions (kernel::TransactionOp) through the real
// admission (the primary's conflict window), apply and store, judged against a sequential
// model. The kernel workload (kernel_workload.h) mixes them with its stream appends.
//
// One table, accounts(id bigint primary key, balance bigint not null), made with its first
// accounts by one transaction at set-up (create_accounts in engine_node.h). Each request is one
// transaction as an edge would build it: it ran on a snapshot P the model knows (the newest
// committed position the model has seen, now and then an older one), read as of P what it read
// (from the model), and sends its read set and its effects (full row images):
//   transfer   read A and B, move up to A's balance (as of P) from A to B;
//   skew       read A, B and C, move from A to C as much as A + B covers: B is only read, so a
//              write of B after P makes it a write skew unless it is refused;
//   touch      read A, write A unchanged (a write that changes no value still conflicts);
//   read-only  read one to three accounts, write nothing (still logged, and checked);
//   open       insert a new account (its key in absent_keys) funded from A; now and then an id
//              that exists as of P (a duplicate key: a unique violation, or a conflict);
//   close      read A and B, remove A and move its balance to B;
//   repeat     an acknowledged transaction's op again under its idempotency id: answered with
//              the original's result, never applied again.
// Some carry a new idempotency id.
//
// The model replays the committed history in position order (on_committed). A transaction
// logged at Q must have read values still current at Q: no key it read (or found absent) was
// written in (P, Q) — otherwise it is a lost update or a write skew — and its effects must fit
// the state before Q (updates and removes of live accounts, inserts of absent ones); its effects
// then make the model's state at Q, whose balances must still sum to the set-up's total.
// A refusal must be one the transaction could get at the position R its refusal was logged at:
// serialization conflict only if a key it read was written in (P, R); snapshot too old only if
// P < R - 1 (a window starts at a position before R, and P is older); unique violation only if an
// account it inserts is live at R - 1. Any other refusal fails the run. At the end each
// replica's table must hold the model's accounts, at the end and as of earlier positions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/prng.h"
#include "db/engine.h"
#include "kernel/op.h"
#include "kernel/schema.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::sim {

class BankWorkload {
public:
    using Key = std::pair<ClientId, RequestNumber>;
    static constexpr i64 kInitialBalance = 1000;
    // Ids of accounts opened later: above the first accounts, at most this many more (few, so
    // clients race for them).
    static constexpr i64 kExtraAccounts = 6;

    enum class Kind : u8 { transfer, skew, touch, read_only, open, close, repeat };
    struct Write {
        kernel::RowEffectKind kind = kernel::RowEffectKind::update;
        i64 account = 0;
        i64 balance = 0;  // the new balance (not for remove)
    };
    // A transaction as the model sees it; request() makes its op.
    struct Transaction {
        Kind kind = Kind::transfer;
        Position snapshot;
        std::vector<i64> reads;   // accounts read by key (found or not)
        std::vector<i64> absent;  // accounts inserted, found free as of the snapshot
        std::vector<Write> writes;
        IdempotencyId idempotency;
        std::optional<Key> repeat_of;  // a repeat: the same op as that request's
    };
    struct Counts {
        u64 applied = 0;
        u64 conflicts = 0;  // serialization conflicts
        u64 too_old = 0;    // snapshots older than the primary's window
        u64 unique = 0;     // unique violations
        u64 repeats = 0;    // idempotent repeats answered with the original's result
    };

    // A canary: requests carry no read set (no keys read, none found absent), as an edge that
    // forgot to record its reads would send. The primary then cannot see their conflicts, and
    // the model must catch the lost updates and write skews that follow.
    void drop_read_sets() { drop_read_sets_ = true; }

    // Set-up: the op that creates the table (id `table`) with accounts 1..`accounts` holding
    // kInitialBalance each, for a transaction on the snapshot at `snapshot`.
    kernel::TransactionOp setup_op(kernel::TableId table, usize accounts, Position snapshot);
    // That op was applied at `position` in `tenant`: the model starts there.
    void set_up(TenantId tenant, Position position);
    bool ready() const { return created_.value() != 0; }

    // A transaction `client` could send now, drawn from `prng` (needs ready()).
    Transaction draw(ClientId client, Prng& prng) const;
    // The request body (the encoded op) of `transaction`, remembered as (client, request).
    Bytes request(ClientId client, RequestNumber request, Transaction transaction);
    bool owns(ClientId client, RequestNumber request) const {
        return intents_.contains(Key{client, request});
    }

    // Every committed position, in order (Workload::on_committed): the model replays the
    // transactions it made and keeps the newest position for snapshots.
    Status on_committed(Position position, ClientId client, RequestNumber request, bool refusal);
    // The reply to one of its requests, logged at `op` (Workload::check_reply).
    Status check_reply(ClientId client, RequestNumber request, Position op,
                       const db::SubmitResult& reply);

    // The model: an account's balance as of a position (nullopt: not live then), and every
    // live account then.
    std::optional<i64> balance(i64 account, Position as_of) const;
    std::map<i64, i64> accounts(Position as_of) const;
    Position created() const { return created_; }
    Position newest() const { return newest_; }
    TenantId tenant() const { return tenant_; }
    kernel::TableId table() const { return schema_.id; }
    const kernel::TableSchema& schema() const { return schema_; }
    const Counts& counts() const { return counts_; }

private:
    struct Version {
        Position at;
        std::optional<i64> balance;  // nullopt: removed
        Key writer;
    };
    struct Intent {
        Transaction transaction;
        u64 row_versions = 0;                    // what apply reports: 2 per update, 1 otherwise
        std::optional<Position> logged_at;       // committed as an op
        std::optional<Position> refusal_at;      // committed as a logged refusal
        bool answered_without_position = false;  // the reply said not applied here
    };

    static std::string name(const Key& key);
    std::string describe(const Key& key, const Intent& intent) const;
    Bytes key_of(i64 account) const;
    Bytes row_of(i64 account, i64 balance) const;
    // The newest write of `account` at or before `at` (nullptr: none).
    const Version* version_at(i64 account, Position at) const;
    // A write of `account` in (after, before), the newest (nullptr: none).
    const Version* written_between(i64 account, Position after, Position before) const;
    Status applied_at(const Key& key, Intent& intent, Position position);
    Status judge_refusal(const Key& key, const Intent& intent, Position at,
                         const db::SubmitResult& reply);

    TenantId tenant_;
    kernel::TableSchema schema_;
    i64 first_accounts_ = 0;
    i64 total_ = 0;  // the sum of balances the model must keep
    Position created_;
    Position newest_;
    std::map<i64, std::vector<Version>> history_;  // every account ever, its versions in order
    std::map<Key, Intent> intents_;
    // Per client: its acknowledged transactions with an idempotency id (repeat candidates).
    std::map<ClientId, std::vector<Key>> repeatable_;
    Counts counts_;
    bool drop_read_sets_ = false;
};

std::string_view bank_kind_name(BankWorkload::Kind kind);

}  // namespace kb::sim
