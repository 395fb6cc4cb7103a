// The bank workload and its sequential model of the accounts table (bank_workload.h).
#include "sim/bank_workload.h"

#include <algorithm>
#include <array>

#include "base/assert.h"
#include "db/engine_wire.h"
#include "kernel/row_codec.h"
#include "kernel/value.h"

namespace kb::sim {

namespace {

Status wrong(std::string what) { return Status::invalid_argument(std::move(what)); }

std::string at(Position position) { return "position " + std::to_string(position.value()); }

kernel::ColumnDef bigint_column(u32 id, std::string name) {
    kernel::ColumnDef column;
    column.id = kernel::ColumnId(id);
    column.name = std::move(name);
    column.type.type = kernel::SqlType::bigint;
    column.not_null = true;
    return column;
}

u64 row_versions_of(const std::vector<BankWorkload::Write>& writes) {
    u64 versions = 0;
    for (const auto& write : writes) {
        // An update ends the old version and creates one; an insert creates, a remove ends.
        versions += write.kind == kernel::RowEffectKind::update ? 2 : 1;
    }
    return versions;
}

// Up to `most` of `from` (a shuffled copy's first ones).
std::vector<i64> pick(std::vector<i64> from, usize most, Prng& prng) {
    prng.shuffle(std::span<i64>(from));
    from.resize(std::min(most, from.size()));
    return from;
}

// An amount between 0 and `available` (at most 500), 0 when nothing is available.
i64 amount_up_to(i64 available, Prng& prng) {
    if (available <= 0) return 0;
    return static_cast<i64>(prng.uniform(static_cast<u64>(std::min<i64>(available, 500)) + 1));
}

}  // namespace

std::string_view bank_kind_name(BankWorkload::Kind kind) {
    switch (kind) {
        case BankWorkload::Kind::transfer:
            return "transfer";
        case BankWorkload::Kind::skew:
            return "skew";
        case BankWorkload::Kind::touch:
            return "touch";
        case BankWorkload::Kind::read_only:
            return "read-only";
        case BankWorkload::Kind::open:
            return "open";
        case BankWorkload::Kind::close:
            return "close";
        case BankWorkload::Kind::repeat:
            return "repeat";
    }
    return "?";
}

std::string BankWorkload::name(const Key& key) {
    return "(client " + std::to_string(key.first.value()) + ", request " +
           std::to_string(key.second.value()) + ")";
}

std::string BankWorkload::describe(const Key& key, const Intent& intent) const {
    const Transaction& t = intent.transaction;
    std::string text = name(key) + " (" + std::string(bank_kind_name(t.kind)) +
                       " on the snapshot at " + at(t.snapshot) + ", reading [";
    for (usize i = 0; i < t.reads.size(); ++i) {
        text += (i > 0 ? " " : "") + std::to_string(t.reads[i]);
    }
    text += "]";
    if (!t.absent.empty()) {
        text += " inserting [";
        for (usize i = 0; i < t.absent.size(); ++i) {
            text += (i > 0 ? " " : "") + std::to_string(t.absent[i]);
        }
        text += "]";
    }
    if (t.repeat_of) text += ", repeating " + name(*t.repeat_of);
    return text + ")";
}

Bytes BankWorkload::key_of(i64 account) const {
    const std::array<kernel::Value, 2> values = {kernel::Value::int64(account),
                                                 kernel::Value::int64(0)};
    auto key = kernel::TableKeys(schema_, {}).primary_key(values);
    KB_ASSERT(key.has_value());
    return std::move(*key);
}

Bytes BankWorkload::row_of(i64 account, i64 balance) const {
    const std::array<kernel::Value, 2> values = {kernel::Value::int64(account),
                                                 kernel::Value::int64(balance)};
    return kernel::encode_row(schema_, values);
}

kernel::TransactionOp BankWorkload::setup_op(kernel::TableId table, usize accounts,
                                             Position snapshot) {
    KB_ASSERT(accounts >= 3);
    schema_ = kernel::TableSchema{};
    schema_.id = table;
    schema_.name = "accounts";
    schema_.columns = {bigint_column(1, "id"), bigint_column(2, "balance")};
    schema_.next_column_id = kernel::ColumnId(3);
    schema_.primary_key = {kernel::ColumnId(1)};
    first_accounts_ = static_cast<i64>(accounts);
    total_ = first_accounts_ * kInitialBalance;

    kernel::TransactionOp op;
    op.snapshot = snapshot;
    op.ddl.push_back(kernel::CreateTableChange{.schema = schema_, .sequences = {}});
    for (i64 id = 1; id <= first_accounts_; ++id) {
        op.effects.push_back(kernel::RowEffect{.kind = kernel::RowEffectKind::insert,
                                               .table = table,
                                               .key = key_of(id),
                                               .row = row_of(id, kInitialBalance)});
    }
    return op;
}

void BankWorkload::set_up(TenantId tenant, Position position) {
    KB_ASSERT(first_accounts_ > 0 && position.value() > 0);
    tenant_ = tenant;
    created_ = position;
    newest_ = std::max(newest_, position);
    for (i64 id = 1; id <= first_accounts_; ++id) {
        history_[id].push_back(Version{position, kInitialBalance, Key{}});
    }
}

const BankWorkload::Version* BankWorkload::version_at(i64 account, Position when) const {
    auto found = history_.find(account);
    if (found == history_.end()) return nullptr;
    const auto& versions = found->second;
    auto after = std::upper_bound(versions.begin(), versions.end(), when,
                                  [](Position p, const Version& v) { return p < v.at; });
    return after == versions.begin() ? nullptr : &*std::prev(after);
}

const BankWorkload::Version* BankWorkload::written_between(i64 account, Position after,
                                                           Position before) const {
    if (before.value() == 0) return nullptr;
    const Version* newest = version_at(account, before.prev());
    return newest != nullptr && newest->at > after ? newest : nullptr;
}

std::optional<i64> BankWorkload::balance(i64 account, Position as_of) const {
    const Version* version = version_at(account, as_of);
    return version == nullptr ? std::nullopt : version->balance;
}

std::map<i64, i64> BankWorkload::accounts(Position as_of) const {
    std::map<i64, i64> live;
    for (const auto& [id, versions] : history_) {
        if (auto money = balance(id, as_of)) live.emplace(id, *money);
    }
    return live;
}

BankWorkload::Transaction BankWorkload::draw(ClientId client, Prng& prng) const {
    KB_ASSERT(ready());
    if (auto candidates = repeatable_.find(client);
        candidates != repeatable_.end() && !candidates->second.empty() && prng.chance(1, 20)) {
        const Key original = candidates->second[prng.uniform(candidates->second.size())];
        Transaction repeat = intents_.at(original).transaction;
        repeat.kind = Kind::repeat;
        repeat.repeat_of = original;
        return repeat;
    }
    Transaction t;
    // Mostly the newest position the model knows; now and then an older one (a long-running
    // transaction), never before the table.
    t.snapshot = newest_;
    if (prng.chance(1, 5)) {
        const u64 back = prng.range_inclusive(1, 30);
        t.snapshot =
            Position(std::max(created_.value(), newest_.value() - std::min(back, newest_.value())));
    }
    std::vector<i64> live;
    for (const auto& [id, money] : accounts(t.snapshot)) live.push_back(id);
    const auto money = [&](i64 id) { return *balance(id, t.snapshot); };

    const u64 roll = prng.uniform(100);
    t.kind = roll < 40   ? Kind::transfer
             : roll < 55 ? Kind::skew
             : roll < 62 ? Kind::touch
             : roll < 67 ? Kind::read_only
             : roll < 85 ? Kind::open
                         : Kind::close;
    std::vector<i64> absent;
    for (i64 id = 1; id <= first_accounts_ + kExtraAccounts; ++id) {
        if (!balance(id, t.snapshot)) absent.push_back(id);
    }
    if (t.kind == Kind::open && absent.empty()) t.kind = Kind::transfer;
    if (t.kind == Kind::close && live.size() < 4) t.kind = Kind::open;
    if (t.kind == Kind::skew && live.size() < 3) t.kind = Kind::transfer;
    if (t.kind == Kind::transfer && live.size() < 2) t.kind = Kind::touch;

    using kernel::RowEffectKind;
    switch (t.kind) {
        case Kind::transfer: {
            const auto ab = pick(live, 2, prng);
            const i64 amount = amount_up_to(money(ab[0]), prng);
            t.reads = ab;
            t.writes = {{RowEffectKind::update, ab[0], money(ab[0]) - amount},
                        {RowEffectKind::update, ab[1], money(ab[1]) + amount}};
            break;
        }
        case Kind::skew: {
            // Moves from A to C as much as A and B together cover (A may go below zero): B is
            // read and relied on, never written.
            const auto abc = pick(live, 3, prng);
            const i64 amount = amount_up_to(money(abc[0]) + money(abc[1]), prng);
            t.reads = abc;
            t.writes = {{RowEffectKind::update, abc[0], money(abc[0]) - amount},
                        {RowEffectKind::update, abc[2], money(abc[2]) + amount}};
            break;
        }
        case Kind::touch: {
            const i64 a = pick(live, 1, prng)[0];
            t.reads = {a};
            t.writes = {{RowEffectKind::update, a, money(a)}};
            break;
        }
        case Kind::read_only:
            t.reads = pick(live, prng.range_inclusive(1, 3), prng);
            break;
        case Kind::open: {
            // One in ten inserts an id that is live as of the snapshot, as an edge that missed
            // it would: a unique violation, or a conflict if it changed since.
            const i64 id = prng.chance(1, 10) ? pick(live, 1, prng)[0] : pick(absent, 1, prng)[0];
            std::vector<i64> funders;
            for (i64 other : live) {
                if (other != id) funders.push_back(other);
            }
            if (funders.empty()) {  // one account left, and it is the id drawn
                t.kind = Kind::touch;
                t.reads = {id};
                t.writes = {{RowEffectKind::update, id, money(id)}};
                break;
            }
            const i64 from = pick(funders, 1, prng)[0];
            const i64 amount = amount_up_to(money(from), prng);
            t.reads = {from};
            t.absent = {id};
            t.writes = {{RowEffectKind::update, from, money(from) - amount},
                        {RowEffectKind::insert, id, amount}};
            break;
        }
        case Kind::close: {
            const auto ab = pick(live, 2, prng);
            t.reads = ab;
            t.writes = {{RowEffectKind::remove, ab[0], 0},
                        {RowEffectKind::update, ab[1], money(ab[1]) + money(ab[0])}};
            break;
        }
        case Kind::repeat:
            KB_ASSERT(false);
    }
    // Effects in key order, as an edge's sorted overlay makes them.
    std::sort(t.writes.begin(), t.writes.end(),
              [](const Write& a, const Write& b) { return a.account < b.account; });
    if (prng.chance(3, 10)) {
        std::array<u8, IdempotencyId::kSize> id{};
        prng.fill(id);
        id[1] |= 1;  // never all zeros ("none")
        t.idempotency = IdempotencyId::from_bytes(id);
    }
    return t;
}

Bytes BankWorkload::request(ClientId client, RequestNumber request, Transaction transaction) {
    KB_ASSERT(ready());
    const kernel::ObjectId object = kernel::object_of(schema_.id);
    kernel::TransactionOp op;
    op.snapshot = transaction.snapshot;
    op.idempotency = transaction.idempotency;
    // It relied on the table's schema, as a SQL transaction does.
    op.reads.catalog_version = 1;
    for (i64 id : transaction.reads) {
        op.reads.keys.push_back(kernel::KeyRef{.object = object, .key = key_of(id)});
    }
    for (i64 id : transaction.absent) {
        op.reads.absent_keys.push_back(kernel::KeyRef{.object = object, .key = key_of(id)});
    }
    if (drop_read_sets_) {
        op.reads.keys.clear();
        op.reads.absent_keys.clear();
    }
    for (const Write& write : transaction.writes) {
        op.effects.push_back(kernel::RowEffect{.kind = write.kind,
                                               .table = schema_.id,
                                               .key = key_of(write.account),
                                               .row = write.kind == kernel::RowEffectKind::remove
                                                          ? Bytes()
                                                          : row_of(write.account, write.balance)});
    }
    Intent intent;
    intent.row_versions = row_versions_of(transaction.writes);
    intent.transaction = std::move(transaction);
    intents_[Key{client, request}] = std::move(intent);
    auto encoded = db::encode_request(kernel::Op{tenant_, db::kAdminPrincipal, std::move(op)});
    KB_ASSERT_MSG(encoded.has_value(), "a transaction the workload made does not encode");
    return std::move(*encoded);
}

Status BankWorkload::on_committed(Position position, ClientId client, RequestNumber request,
                                  bool refusal) {
    newest_ = std::max(newest_, position);
    const Key key{client, request};
    auto found = intents_.find(key);
    if (client.value() == 0 || found == intents_.end()) return Status::ok();
    Intent& intent = found->second;
    if (intent.logged_at) {
        return wrong(describe(key, intent) + " was logged at " + at(*intent.logged_at) +
                     " and again at " + at(position) + (refusal ? " (as a refusal)" : ""));
    }
    if (refusal) {
        intent.refusal_at = position;
        return Status::ok();
    }
    if (intent.refusal_at || intent.answered_without_position) {
        return wrong(describe(key, intent) + " was refused" +
                     (intent.refusal_at ? " at " + at(*intent.refusal_at) : std::string()) +
                     " but is committed at " + at(position));
    }
    if (intent.transaction.repeat_of) {
        // Repeats are of acknowledged transactions only: admission answers them from the
        // idempotency record; logging one would apply it again.
        return wrong(describe(key, intent) + ", whose original was acknowledged, was logged at " +
                     at(position));
    }
    return applied_at(key, intent, position);
}

Status BankWorkload::applied_at(const Key& key, Intent& intent, Position position) {
    const Transaction& t = intent.transaction;
    if (t.snapshot >= position) {
        return wrong(describe(key, intent) + " was logged at " + at(position) +
                     ", not after its snapshot");
    }
    // Serializable at `position`: nothing it read changed after its snapshot.
    auto stale = [&](i64 id, const char* how) -> std::optional<std::string> {
        const Version* write = written_between(id, t.snapshot, position);
        if (write == nullptr) return std::nullopt;
        const bool writes_it = std::any_of(t.writes.begin(), t.writes.end(),
                                           [&](const Write& w) { return w.account == id; });
        const char* anomaly = writes_it           ? "a lost update"
                              : !t.writes.empty() ? "a write skew"
                                                  : "a stale read";
        return describe(key, intent) + " " + how + " account " + std::to_string(id) + ", which " +
               name(write->writer) + " wrote at " + at(write->at) + ", yet it was logged at " +
               at(position) + ": not serializable (" + anomaly + ")";
    };
    for (i64 id : t.reads) {
        if (auto broken = stale(id, "read")) return wrong(*broken);
    }
    for (i64 id : t.absent) {
        if (auto broken = stale(id, "found free")) return wrong(*broken);
    }
    // The effects fit the state before it (admission checks them against the pending rows).
    const Position before = position.prev();
    for (const Write& write : t.writes) {
        const bool live = balance(write.account, before).has_value();
        if (write.kind == kernel::RowEffectKind::insert && live) {
            return wrong(describe(key, intent) + " inserts account " +
                         std::to_string(write.account) + ", live at " + at(before) +
                         ", yet it was logged at " + at(position) + " (a duplicate key)");
        }
        if (write.kind != kernel::RowEffectKind::insert && !live) {
            return wrong(describe(key, intent) + " changes account " +
                         std::to_string(write.account) + ", not live at " + at(before) +
                         ", yet it was logged at " + at(position));
        }
    }
    i64 change = 0;
    for (const Write& write : t.writes) {
        change -= balance(write.account, before).value_or(0);
        std::optional<i64> after;
        if (write.kind != kernel::RowEffectKind::remove) after = write.balance;
        change += after.value_or(0);
        history_[write.account].push_back(Version{position, after, key});
    }
    if (change != 0) {
        return wrong(describe(key, intent) + ", logged at " + at(position) + ", changes the " +
                     "total of the balances by " + std::to_string(change) +
                     " (money made or lost)");
    }
    intent.logged_at = position;
    return Status::ok();
}

Status BankWorkload::judge_refusal(const Key& key, const Intent& intent, Position refused_at,
                                   const db::SubmitResult& reply) {
    const Transaction& t = intent.transaction;
    const std::string why =
        "'" + std::string(kernel::outcome_name(reply.outcome)) + ": " + reply.detail + "'";
    switch (reply.outcome) {
        case kernel::Outcome::serialization_conflict: {
            // Something it read was written after its snapshot, before the refusal's position
            // (the primary checks against every op before it, committed or not; the refusal's
            // log prefix is committed with it).
            std::vector<i64> read = t.reads;
            read.insert(read.end(), t.absent.begin(), t.absent.end());
            for (i64 id : read) {
                if (written_between(id, t.snapshot, refused_at) != nullptr) {
                    ++counts_.conflicts;
                    return Status::ok();
                }
            }
            return wrong(describe(key, intent) + " was refused at " + at(refused_at) + " with " +
                         why + ", but nothing it read was written after its snapshot");
        }
        case kernel::Outcome::snapshot_too_old:
            // The primary's window starts at the position it had applied when it began (its
            // start, a view change): below the refusal's position.
            if (t.snapshot.value() + 1 < refused_at.value()) {
                ++counts_.too_old;
                return Status::ok();
            }
            return wrong(describe(key, intent) + " was refused at " + at(refused_at) + " with " +
                         why + ", but its snapshot is the position just before");
        case kernel::Outcome::unique_violation:
            for (i64 id : t.absent) {
                if (balance(id, refused_at.prev()).has_value()) {
                    ++counts_.unique;
                    return Status::ok();
                }
            }
            return wrong(describe(key, intent) + " was refused at " + at(refused_at) + " with " +
                         why + ", but no account it inserts was live then");
        default:
            return wrong(describe(key, intent) + " was refused at " + at(refused_at) + " with " +
                         why + ", which it could not get");
    }
}

Status BankWorkload::check_reply(ClientId client, RequestNumber request, Position op,
                                 const db::SubmitResult& reply) {
    const Key key{client, request};
    auto found = intents_.find(key);
    if (found == intents_.end()) return wrong(name(key) + " was never made");
    Intent& intent = found->second;
    const Transaction& t = intent.transaction;

    if (t.repeat_of) {
        const Intent& original = intents_.at(*t.repeat_of);
        if (!original.logged_at) {
            return wrong(describe(key, intent) + ": the original was never seen committed");
        }
        if (!reply.applied.repeated || reply.applied.original != *original.logged_at ||
            reply.applied.outcome != kernel::Outcome::ok ||
            reply.applied.row_versions != original.row_versions) {
            return wrong(describe(key, intent) + " (the original at " + at(*original.logged_at) +
                         ", " + std::to_string(original.row_versions) +
                         " row versions) was answered " +
                         (reply.applied.repeated ? "as a repeat of " : "as no repeat, ") +
                         at(reply.applied.original) + " with " +
                         std::to_string(reply.applied.row_versions) + " row versions");
        }
        if (reply.position != op) intent.answered_without_position = true;
        ++counts_.repeats;
        return Status::ok();
    }
    if (op.value() == 0 || reply.position != op) {
        // (A retry of a committed request is answered from its client session, never judged
        // again: a refusal logged for it already failed on_committed.)
        if (intent.logged_at) {
            return wrong(describe(key, intent) + " was answered without its position ('" +
                         std::string(kernel::outcome_name(reply.outcome)) +
                         "') but it is committed at " + at(*intent.logged_at));
        }
        intent.answered_without_position = true;
        // A refusal of a client with a session is logged (at `op`).
        if (op.value() == 0 || !intent.refusal_at || *intent.refusal_at != op) {
            return wrong(describe(key, intent) + " was refused ('" +
                         std::string(kernel::outcome_name(reply.outcome)) + "') at " + at(op) +
                         " but the model saw no refusal logged there");
        }
        return judge_refusal(key, intent, op, reply);
    }
    if (!intent.logged_at || *intent.logged_at != op) {
        return wrong(describe(key, intent) + " was acknowledged at " + at(op) +
                     " but the model has it " +
                     (intent.logged_at ? "at " + at(*intent.logged_at) : std::string("nowhere")));
    }
    if (reply.outcome != kernel::Outcome::ok || reply.applied.outcome != kernel::Outcome::ok ||
        reply.applied.repeated || reply.applied.row_versions != intent.row_versions) {
        return wrong(describe(key, intent) + " at " + at(op) + " answered '" +
                     std::string(kernel::outcome_name(reply.applied.outcome)) + ": " +
                     reply.applied.detail + "' with " + std::to_string(reply.applied.row_versions) +
                     " row versions" + (reply.applied.repeated ? " (a repeat)" : "") +
                     " but the model expects ok, " + std::to_string(intent.row_versions));
    }
    if (!t.idempotency.is_none()) repeatable_[client].push_back(key);
    ++counts_.applied;
    return Status::ok();
}

}  // namespace kb::sim
