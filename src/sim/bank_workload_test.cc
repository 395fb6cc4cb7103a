// The bank workload's model bites: histories a serializable database could not have produced (a
// stale read applied — a lost update or a write skew —, a duplicate key inserted, money made)
// and refusals it had no reason for fail; the honest versions of the same histories pass. And
// the transactions it draws against a live model are well formed.
#include "sim/bank_workload.h"

#include <gtest/gtest.h>

#include "db/engine_wire.h"

namespace kb::sim {
namespace {

using Kind = BankWorkload::Kind;
using Write = BankWorkload::Write;
using kernel::Outcome;
using kernel::RowEffectKind;

constexpr TenantId kTenant{3};
constexpr kernel::TableId kTable{9};
constexpr Position kCreated{6};  // the table and accounts 1..3 (1000 each) are made here

// A bank whose table was made at position 6 with accounts 1, 2, 3.
struct Bank {
    Bank() {
        const kernel::TransactionOp op = bank.setup_op(kTable, 3, Position(5));
        EXPECT_EQ(op.effects.size(), 3u);
        bank.set_up(kTenant, kCreated);
    }
    // Makes `transaction` the request of client `client` (request 1).
    void send(u64 client, BankWorkload::Transaction transaction) {
        const Bytes body = bank.request(ClientId(client), RequestNumber(1), std::move(transaction));
        auto op = db::decode_request(body);
        ASSERT_TRUE(op.has_value());
        EXPECT_TRUE(std::holds_alternative<kernel::TransactionOp>(op->body));
    }
    Status commit(Position position, u64 client, bool refusal = false) {
        return bank.on_committed(position, ClientId(client), RequestNumber(1), refusal);
    }
    Status reply(u64 client, Position op, const db::SubmitResult& result) {
        return bank.check_reply(ClientId(client), RequestNumber(1), op, result);
    }
    BankWorkload bank;
};

BankWorkload::Transaction txn(Kind kind, Position snapshot, std::vector<i64> reads,
                              std::vector<Write> writes, std::vector<i64> absent = {}) {
    BankWorkload::Transaction t;
    t.kind = kind;
    t.snapshot = snapshot;
    t.reads = std::move(reads);
    t.absent = std::move(absent);
    t.writes = std::move(writes);
    return t;
}

// Moves `amount` from a to b, on what the snapshot at 6 had (1000 each).
BankWorkload::Transaction transfer(Position snapshot, i64 a, i64 b, i64 amount,
                                   i64 a_had = BankWorkload::kInitialBalance,
                                   i64 b_had = BankWorkload::kInitialBalance) {
    return txn(
        Kind::transfer, snapshot, {a, b},
        {{RowEffectKind::update, a, a_had - amount}, {RowEffectKind::update, b, b_had + amount}});
}

db::SubmitResult refused(Outcome outcome) {
    db::SubmitResult result;
    result.outcome = outcome;
    result.detail = "test";
    return result;
}

db::SubmitResult applied(Position position, u64 row_versions) {
    db::SubmitResult result;
    result.position = position;
    result.applied.row_versions = row_versions;
    return result;
}

TEST(BankWorkload, ATransferOnAFreshSnapshotIsApplied) {
    Bank b;
    b.send(1, transfer(kCreated, 1, 2, 100));
    b.send(2, transfer(Position(7), 1, 3, 50, 900, 1000));
    ASSERT_TRUE(b.commit(Position(7), 1).is_ok());
    ASSERT_TRUE(b.commit(Position(8), 2).is_ok());
    EXPECT_TRUE(b.reply(1, Position(7), applied(Position(7), 4)).is_ok());
    EXPECT_TRUE(b.reply(2, Position(8), applied(Position(8), 4)).is_ok());
    EXPECT_EQ(b.bank.accounts(Position(8)), (std::map<i64, i64>{{1, 850}, {2, 1100}, {3, 1050}}));
    EXPECT_EQ(b.bank.accounts(Position(7)), (std::map<i64, i64>{{1, 900}, {2, 1100}, {3, 1000}}));
    EXPECT_EQ(b.bank.counts().applied, 2u);
}

TEST(BankWorkload, AStaleReadAppliedIsALostUpdate) {
    Bank b;
    // Both read account 1 on the snapshot at 6; the second is logged after the first wrote it.
    b.send(1, transfer(kCreated, 1, 2, 100));
    b.send(2, transfer(kCreated, 1, 3, 50));
    ASSERT_TRUE(b.commit(Position(7), 1).is_ok());
    const Status second = b.commit(Position(8), 2);
    ASSERT_FALSE(second.is_ok());
    EXPECT_NE(second.message().find("lost update"), std::string::npos) << second.message();
}

TEST(BankWorkload, AWriteOfAnAccountOnlyReadIsAWriteSkew) {
    Bank b;
    // Client 1 moves from 1 to 3 relying on 1 + 2; client 2 changes 2 in between.
    b.send(1, txn(Kind::skew, kCreated, {1, 2, 3},
                  {{RowEffectKind::update, 1, 500}, {RowEffectKind::update, 3, 1500}}));
    b.send(3, txn(Kind::touch, kCreated, {2}, {{RowEffectKind::update, 2, 1000}}));
    ASSERT_TRUE(b.commit(Position(7), 3).is_ok());
    const Status skew = b.commit(Position(8), 1);
    ASSERT_FALSE(skew.is_ok());
    EXPECT_NE(skew.message().find("write skew"), std::string::npos) << skew.message();
}

TEST(BankWorkload, ADuplicateKeyInsertAppliedIsCaught) {
    // Two opens of account 4 on the same snapshot: the second found it free when it was not.
    {
        Bank b;
        b.send(1, txn(Kind::open, kCreated, {1},
                      {{RowEffectKind::update, 1, 900}, {RowEffectKind::insert, 4, 100}}, {4}));
        b.send(2, txn(Kind::open, kCreated, {2},
                      {{RowEffectKind::update, 2, 950}, {RowEffectKind::insert, 4, 50}}, {4}));
        ASSERT_TRUE(b.commit(Position(7), 1).is_ok());
        const Status second = b.commit(Position(8), 2);
        ASSERT_FALSE(second.is_ok());
        EXPECT_NE(second.message().find("found free account 4"), std::string::npos)
            << second.message();
    }
    // The same insert on a snapshot where account 4 already exists: the read check passes, the
    // insert does not.
    {
        Bank b;
        b.send(1, txn(Kind::open, kCreated, {1},
                      {{RowEffectKind::update, 1, 900}, {RowEffectKind::insert, 4, 100}}, {4}));
        b.send(2, txn(Kind::open, Position(7), {2},
                      {{RowEffectKind::update, 2, 950}, {RowEffectKind::insert, 4, 50}}, {4}));
        ASSERT_TRUE(b.commit(Position(7), 1).is_ok());
        const Status second = b.commit(Position(8), 2);
        ASSERT_FALSE(second.is_ok());
        EXPECT_NE(second.message().find("duplicate key"), std::string::npos) << second.message();
    }
}

TEST(BankWorkload, MoneyMadeIsCaught) {
    Bank b;
    b.send(1, txn(Kind::transfer, kCreated, {1, 2},
                  {{RowEffectKind::update, 1, 900}, {RowEffectKind::update, 2, 1200}}));
    const Status made = b.commit(Position(7), 1);
    ASSERT_FALSE(made.is_ok());
    EXPECT_NE(made.message().find("money made or lost"), std::string::npos) << made.message();
}

TEST(BankWorkload, AConflictNeedsAWriteAfterTheSnapshot) {
    // Refused at 8 although nothing it read changed after 6 (position 7 wrote account 3).
    {
        Bank b;
        b.send(1, txn(Kind::touch, kCreated, {3}, {{RowEffectKind::update, 3, 1000}}));
        b.send(2, transfer(kCreated, 1, 2, 100));
        ASSERT_TRUE(b.commit(Position(7), 1).is_ok());
        ASSERT_TRUE(b.commit(Position(8), 2, /*refusal=*/true).is_ok());
        EXPECT_FALSE(b.reply(2, Position(8), refused(Outcome::serialization_conflict)).is_ok());
    }
    // Position 7 wrote accounts 2 and 3, and it read 2: a right refusal.
    {
        Bank b;
        b.send(1, transfer(kCreated, 3, 2, 10));
        b.send(2, transfer(kCreated, 1, 2, 100));
        ASSERT_TRUE(b.commit(Position(7), 1).is_ok());
        ASSERT_TRUE(b.commit(Position(8), 2, /*refusal=*/true).is_ok());
        EXPECT_TRUE(b.reply(2, Position(8), refused(Outcome::serialization_conflict)).is_ok());
        EXPECT_EQ(b.bank.counts().conflicts, 1u);
    }
}

TEST(BankWorkload, OtherRefusalsNeedTheirReasons) {
    Bank b;
    // Too old on the position just before it: no window starts above its snapshot.
    b.send(1, transfer(kCreated, 1, 2, 100));
    ASSERT_TRUE(b.commit(Position(7), 1, /*refusal=*/true).is_ok());
    EXPECT_FALSE(b.reply(1, Position(7), refused(Outcome::snapshot_too_old)).is_ok());
    // Two positions later it can be (a new primary's window starts at what it had applied).
    b.send(2, transfer(kCreated, 1, 2, 100));
    ASSERT_TRUE(b.commit(Position(9), 2, /*refusal=*/true).is_ok());
    EXPECT_TRUE(b.reply(2, Position(9), refused(Outcome::snapshot_too_old)).is_ok());
    // A unique violation for an insert of an account nobody has.
    b.send(3, txn(Kind::open, Position(9), {1},
                  {{RowEffectKind::update, 1, 900}, {RowEffectKind::insert, 5, 100}}, {5}));
    ASSERT_TRUE(b.commit(Position(10), 3, /*refusal=*/true).is_ok());
    EXPECT_FALSE(b.reply(3, Position(10), refused(Outcome::unique_violation)).is_ok());
    // And for one that is live: right.
    b.send(4, txn(Kind::open, Position(10), {1},
                  {{RowEffectKind::update, 1, 900}, {RowEffectKind::insert, 2, 100}}, {2}));
    ASSERT_TRUE(b.commit(Position(11), 4, /*refusal=*/true).is_ok());
    EXPECT_TRUE(b.reply(4, Position(11), refused(Outcome::unique_violation)).is_ok());
    // An invalid effect is never a right answer to these transactions.
    b.send(5, transfer(Position(11), 1, 2, 100));
    ASSERT_TRUE(b.commit(Position(12), 5, /*refusal=*/true).is_ok());
    EXPECT_FALSE(b.reply(5, Position(12), refused(Outcome::invalid_effect)).is_ok());
}

TEST(BankWorkload, ARefusalLaterLoggedAndAWrongReplyAreCaught) {
    Bank b;
    b.send(1, transfer(kCreated, 1, 2, 100));
    ASSERT_TRUE(b.commit(Position(7), 1, /*refusal=*/true).is_ok());
    EXPECT_FALSE(b.commit(Position(8), 1).is_ok());

    Bank c;
    c.send(1, transfer(kCreated, 1, 2, 100));
    ASSERT_TRUE(c.commit(Position(7), 1).is_ok());
    // Two updates: four row versions (two ended, two made).
    EXPECT_FALSE(c.reply(1, Position(7), applied(Position(7), 3)).is_ok());
    EXPECT_FALSE(c.reply(1, Position(7), applied(Position(8), 4)).is_ok());
    EXPECT_TRUE(c.reply(1, Position(7), applied(Position(7), 4)).is_ok());
}

TEST(BankWorkload, DrawnTransactionsFitTheModel) {
    Bank b;
    Prng prng(11);
    u64 counts[7] = {};
    for (u64 client = 1; client <= 400; ++client) {
        BankWorkload::Transaction t = b.bank.draw(ClientId(client), prng);
        ++counts[static_cast<usize>(t.kind)];
        ASSERT_GE(t.snapshot, kCreated);
        ASSERT_FALSE(t.reads.empty() && t.absent.empty());
        for (const Write& write : t.writes) {
            const bool read =
                std::find(t.reads.begin(), t.reads.end(), write.account) != t.reads.end() ||
                std::find(t.absent.begin(), t.absent.end(), write.account) != t.absent.end();
            EXPECT_TRUE(read) << "account " << write.account << " written unread";
        }
        // Each is applied at once on the newest snapshot's successor when it is fresh, so the
        // model moves on and later draws see the new accounts.
        b.bank.request(ClientId(client), RequestNumber(1), t);
        const Position next = b.bank.newest().next();
        if (t.snapshot == b.bank.newest()) {
            const bool inserts_live =
                !t.absent.empty() && b.bank.balance(t.absent[0], t.snapshot).has_value();
            const Status status = b.bank.on_committed(next, ClientId(client), RequestNumber(1),
                                                      /*refusal=*/inserts_live);
            ASSERT_TRUE(status.is_ok()) << status.message();
        }
    }
    for (Kind kind :
         {Kind::transfer, Kind::skew, Kind::touch, Kind::read_only, Kind::open, Kind::close}) {
        EXPECT_GT(counts[static_cast<usize>(kind)], 0u) << bank_kind_name(kind);
    }
    i64 total = 0;
    for (const auto& [id, money] : b.bank.accounts(b.bank.newest())) total += money;
    EXPECT_EQ(total, 3 * BankWorkload::kInitialBalance);
}

}  // namespace
}  // namespace kb::sim
