// Tests of the conflict window.
//
// 1. Exactness: against a brute-force reference over the whole write history, check() must
//    report a conflict iff some write after the snapshot overlaps the read set, name the
//    newest such write, and say too_old iff the snapshot is older than the horizon (which
//    may only move as far as the bounds force it).
// 2. Serializability: concurrent transactions of four classic workloads (counters, write
//    skew, unique inserts, foreign keys) run on snapshots of a versioned store and commit
//    through a checker. With the window, every committed transaction must read at its
//    snapshot exactly what it would read at its commit position (so the history is serial in
//    commit order), and no invariant may break: no lost update, no write skew, no duplicate
//    key, no orphaned child. The same simulation with weaker checkers (none, or write-write
//    conflicts only as snapshot isolation has) must break invariants, so the test can fail.
#include "kernel/conflict_window.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <set>

#include "base/prng.h"

namespace kb::kernel {
namespace {

// --- 1. exactness against a reference ------------------------------------------------------

struct Recorded {
    Position position;
    TenantId tenant;
    WriteSet writes;
};

bool less_bytes(ByteSpan a, ByteSpan b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

bool overlaps(const ReadSet& reads, const WriteSet& writes) {
    auto object_read = [&](ObjectId object) {
        for (const auto* refs : {&reads.keys, &reads.absent_keys, &reads.parent_keys}) {
            for (const KeyRef& ref : *refs) {
                if (ref.object == object) return true;
            }
        }
        for (const KeyRange& range : reads.ranges) {
            if (range.object == object) return true;
        }
        return false;
    };
    for (ObjectId object : writes.whole_objects) {
        if (object_read(object)) return true;
    }
    if (reads.catalog_version.has_value() && writes.catalog) return true;
    for (const KeyRef& written : writes.keys) {
        for (const auto* refs : {&reads.keys, &reads.absent_keys, &reads.parent_keys}) {
            for (const KeyRef& ref : *refs) {
                if (ref == written) return true;
            }
        }
        for (const KeyRange& range : reads.ranges) {
            if (range.object == written.object && range.contains(written.key)) return true;
        }
    }
    return false;
}

Bytes small_key(Prng& prng) {
    Bytes key = {static_cast<u8>(prng.uniform(8))};
    if (prng.coin()) key.push_back(static_cast<u8>(prng.uniform(3)));
    return key;
}

WriteSet random_writes(Prng& prng) {
    WriteSet writes;
    for (u64 i = prng.uniform(4); i > 0; --i) {
        writes.keys.push_back({.object = ObjectId(1 + prng.uniform(3)), .key = small_key(prng)});
    }
    if (prng.chance(1, 10)) writes.whole_objects.push_back(ObjectId(1 + prng.uniform(3)));
    writes.catalog = prng.chance(1, 12);
    return writes;
}

ReadSet random_reads(Prng& prng) {
    ReadSet reads;
    auto refs = [&](std::vector<KeyRef>& out) {
        for (u64 i = prng.uniform(3); i > 0; --i) {
            out.push_back({.object = ObjectId(1 + prng.uniform(3)), .key = small_key(prng)});
        }
    };
    refs(reads.keys);
    refs(reads.absent_keys);
    refs(reads.parent_keys);
    for (u64 i = prng.uniform(2); i > 0; --i) {
        KeyRange range{.object = ObjectId(1 + prng.uniform(3)), .start = small_key(prng)};
        if (prng.chance(3, 4)) range.end = small_key(prng);  // sometimes empty or inverted
        reads.ranges.push_back(range);
    }
    if (prng.chance(1, 5)) reads.catalog_version = prng.uniform(10);
    return reads;
}

void check_exactness(u64 seed, ConflictWindowOptions options) {
    Prng prng(seed);
    const Position start(prng.uniform(5));
    ConflictWindow window(options, start);
    // A twin that answers each check the other way (index vs scan of the recent writes) must
    // give the very same answer, what and object included.
    ConflictWindowOptions twin_options = options;
    twin_options.scan_keys_max = options.scan_keys_max == 0 ? ~u64{0} : 0;
    twin_options.scan_keys_per_read = ~u64{0};
    ConflictWindow twin(twin_options, start);
    std::vector<Recorded> history;
    Position newest = start;
    usize conflicts = 0, too_old = 0, clean = 0;
    // How far the position bound forces the horizon (a truncation below it pulls it back).
    u64 forced = start.value();
    for (int step = 0; step < 1500; ++step) {
        const u64 action = prng.uniform(20);
        if (action < 9) {
            newest = Position(newest.value() + 1 + prng.uniform(2));
            if (newest.value() > options.positions_max) {
                forced = std::max(forced, newest.value() - options.positions_max);
            }
            Recorded entry{newest, TenantId(1 + prng.uniform(2)), random_writes(prng)};
            window.record(entry.position, entry.tenant, entry.writes);
            twin.record(entry.position, entry.tenant, entry.writes);
            history.push_back(entry);
        } else if (action == 9) {
            // A view change drops a suffix of recorded (not yet committed) ops.
            Position keep(newest.value() - std::min<u64>(newest.value(), prng.uniform(4)));
            window.truncate_after(keep);
            twin.truncate_after(keep);
            std::erase_if(history, [&](const Recorded& r) { return r.position > keep; });
            newest = keep;
            forced = std::min(forced, keep.value());
        } else {
            const TenantId tenant(1 + prng.uniform(2));
            const ReadSet reads = random_reads(prng);
            // Mostly inside the window, sometimes just outside it.
            const u64 lag = prng.uniform(std::min<u64>(40, options.positions_max + 3));
            const Position snapshot(newest.value() - std::min<u64>(newest.value(), lag));
            const ConflictCheck result = window.check(tenant, reads, snapshot);
            const ConflictCheck twin_result = twin.check(tenant, reads, snapshot);
            ASSERT_EQ(result.verdict, twin_result.verdict) << "seed " << seed << " step " << step;
            ASSERT_EQ(result.write_position, twin_result.write_position) << "seed " << seed;
            ASSERT_EQ(result.object, twin_result.object) << "seed " << seed;
            ASSERT_EQ(result.what, twin_result.what) << "seed " << seed;
            if (snapshot < window.horizon()) {
                ASSERT_EQ(result.verdict, ConflictVerdict::too_old) << "seed " << seed;
                ++too_old;
                continue;
            }
            Position expected;
            for (const Recorded& r : history) {
                if (r.tenant == tenant && r.position > snapshot && overlaps(reads, r.writes)) {
                    expected = std::max(expected, r.position);
                }
            }
            if (expected == Position::none()) {
                ASSERT_EQ(result.verdict, ConflictVerdict::ok)
                    << "seed " << seed << " step " << step;
                ++clean;
            } else {
                ASSERT_EQ(result.verdict, ConflictVerdict::conflict)
                    << "seed " << seed << " step " << step;
                ASSERT_EQ(result.write_position, expected) << "seed " << seed;
                ++conflicts;
            }
        }
        // The horizon moves only as far as the bounds force it.
        ASSERT_LE(window.horizon(), window.newest());
        ASSERT_LE(window.bytes(), options.bytes_max);
        if (options.bytes_max == ~u64{0}) {
            ASSERT_LE(window.horizon().value(), forced) << "seed " << seed;
        }
    }
    EXPECT_GT(conflicts, 20u) << "seed " << seed;
    EXPECT_GT(clean, 20u) << "seed " << seed;
    if (options.positions_max < 30) {
        EXPECT_GT(too_old, 10u) << "seed " << seed;
    }
}

TEST(ConflictWindow, ExactAgainstTheWholeHistory) {
    for (u64 seed = 1; seed <= 30; ++seed) {
        check_exactness(seed, {.positions_max = 3 + seed % 25, .bytes_max = ~u64{0}});
        check_exactness(seed, {.positions_max = 1'000'000, .bytes_max = ~u64{0}});
        // Always the index (the twin always scans), and a bound the recent writes cross.
        check_exactness(seed,
                        {.positions_max = 1'000'000, .bytes_max = ~u64{0}, .scan_keys_max = 0});
        check_exactness(seed, {.positions_max = 1'000'000,
                               .bytes_max = ~u64{0},
                               .scan_keys_max = 1 + seed % 12,
                               .scan_keys_per_read = ~u64{0}});
        check_exactness(seed, {.positions_max = 1'000'000,
                               .bytes_max = ~u64{0},
                               .scan_keys_max = 512,
                               .scan_keys_per_read = seed % 3});
        // Small sealed runs: old snapshots read runs that straddle them, runs are dropped as
        // the horizon passes, truncations rebuild them.
        check_exactness(seed, {.positions_max = 3 + seed % 25,
                               .bytes_max = ~u64{0},
                               .scan_keys_max = 0,
                               .run_keys = 1 + seed % 7,
                               .run_keys_max = 1 + seed % 40});
        check_exactness(seed, {.positions_max = 1'000'000,
                               .bytes_max = ~u64{0},
                               .scan_keys_max = 0,
                               .run_keys = 1 + seed % 13,
                               .run_keys_max = 4 + seed % 100});
        check_exactness(seed, {.positions_max = 1'000'000,
                               .bytes_max = ~u64{0},
                               .scan_keys_max = 1 + seed % 12,
                               .scan_keys_per_read = ~u64{0},
                               .run_keys = 2 + seed % 5});
    }
}

TEST(ConflictWindow, ExactUnderAByteBound) {
    for (u64 seed = 1; seed <= 30; ++seed) {
        check_exactness(seed, {.positions_max = 1'000'000, .bytes_max = 2000 + 100 * seed});
        check_exactness(
            seed, {.positions_max = 1'000'000, .bytes_max = 2000 + 100 * seed, .scan_keys_max = 0});
    }
}

TEST(ConflictWindow, Basics) {
    ConflictWindow window({.positions_max = 10}, Position(100));
    const TenantId tenant(1);
    ReadSet reads;
    reads.absent_keys.push_back({.object = ObjectId(5), .key = {1, 2}});
    // Nothing known before the start.
    EXPECT_EQ(window.check(tenant, reads, Position(99)).verdict, ConflictVerdict::too_old);
    EXPECT_EQ(window.check(tenant, reads, Position(100)).verdict, ConflictVerdict::ok);

    WriteSet insert;
    insert.keys.push_back({.object = ObjectId(5), .key = {1, 2}});
    window.record(Position(101), tenant, insert);
    ConflictCheck result = window.check(tenant, reads, Position(100));
    EXPECT_EQ(result.verdict, ConflictVerdict::conflict);
    EXPECT_EQ(result.what, "absent key");
    EXPECT_EQ(result.describe(), "conflict: absent key of object 5 written at position 101");
    EXPECT_EQ(window.check(tenant, reads, Position(101)).verdict, ConflictVerdict::ok);
    EXPECT_EQ(window.check(TenantId(2), reads, Position(100)).verdict, ConflictVerdict::ok)
        << "another tenant's writes never conflict";

    // A range read conflicts with a write inside it, not at its exclusive end.
    ReadSet scan;
    scan.ranges.push_back({.object = ObjectId(5), .start = {1}, .end = {1, 2}});
    EXPECT_EQ(window.check(tenant, scan, Position(100)).verdict, ConflictVerdict::ok);
    scan.ranges[0].end = {1, 2, 0};
    EXPECT_EQ(window.check(tenant, scan, Position(100)).verdict, ConflictVerdict::conflict);
    scan.ranges[0].end = {};
    EXPECT_EQ(window.check(tenant, scan, Position(100)).verdict, ConflictVerdict::conflict);

    // DDL conflicts with whoever relied on the schema.
    ReadSet schema_reader;
    schema_reader.catalog_version = 3;
    window.record(Position(105), tenant, {.catalog = true});
    EXPECT_EQ(window.check(tenant, schema_reader, Position(104)).what, "catalog");

    // Positions bound the window: at 112 everything up to 102 is forgotten.
    window.record(Position(112), tenant, {});
    EXPECT_EQ(window.horizon(), Position(102));
    EXPECT_EQ(window.entries(), 1u);
    EXPECT_EQ(window.check(tenant, reads, Position(101)).verdict, ConflictVerdict::too_old);
    EXPECT_EQ(window.check(tenant, schema_reader, Position(102)).verdict,
              ConflictVerdict::conflict);
}

TEST(ConflictWindow, TransactionWriteSet) {
    TransactionOp txn;
    txn.effects.push_back({.kind = RowEffectKind::insert, .table = TableId(3), .key = {9}});
    txn.effects.push_back({.kind = RowEffectKind::remove, .table = TableId(4), .key = {8}});
    WriteSet writes = transaction_write_set(txn);
    EXPECT_FALSE(writes.catalog);
    EXPECT_EQ(writes.keys.size(), 2u);
    txn.ddl.push_back(TruncateTableChange{.table = TableId(4)});
    txn.ddl.push_back(CreateIndexChange{});
    writes = transaction_write_set(txn);
    EXPECT_TRUE(writes.catalog);
    EXPECT_EQ(writes.whole_objects, std::vector<ObjectId>{ObjectId(4)});
}

// --- 2. serializability of concurrent transactions -------------------------------------------

constexpr ObjectId kCounters(1);  // lost update: read k, write k + 1
constexpr ObjectId kOnCall(2);    // write skew: keys 0 and 1, at least one must stay 1
constexpr ObjectId kUnique(3);    // unique keys: insert only if absent
constexpr ObjectId kParents(4);   // foreign keys: children need a live parent
constexpr ObjectId kChildren(5);  // child key = parent byte, child byte
constexpr TenantId kTenant(1);

using Value = std::optional<i64>;  // nullopt: absent

// A versioned key-value store: what every transaction reads at its snapshot.
class VersionedStore {
public:
    Value read(ObjectId object, const Bytes& key, Position at) const {
        auto found = versions_.find({object, key});
        if (found == versions_.end()) return std::nullopt;
        Value value;
        for (const auto& [position, v] : found->second) {
            if (position <= at) value = v;
        }
        return value;
    }
    std::vector<std::pair<Bytes, i64>> scan(ObjectId object, const Bytes& start, const Bytes& end,
                                            Position at) const {
        std::vector<std::pair<Bytes, i64>> rows;
        for (const auto& [space_key, history] : versions_) {
            if (space_key.first != object || less_bytes(space_key.second, start) ||
                (!end.empty() && !less_bytes(space_key.second, end))) {
                continue;
            }
            if (Value value = read(object, space_key.second, at)) {
                rows.emplace_back(space_key.second, *value);
            }
        }
        return rows;
    }
    void write(ObjectId object, const Bytes& key, Value value, Position at) {
        versions_[{object, key}].emplace_back(at, value);
    }

private:
    std::map<std::pair<ObjectId, Bytes>, std::vector<std::pair<Position, Value>>> versions_;
};

// One transaction: what it read (and saw), what it writes.
struct Transaction {
    Position snapshot{};
    ReadSet reads{};
    std::vector<std::pair<KeyRef, Value>> point_results{};  // every point read and its value
    std::vector<std::pair<KeyRange, std::vector<std::pair<Bytes, i64>>>> range_results{};
    std::vector<std::pair<KeyRef, Value>> writes{};
    bool inserts_unique = false;  // the kUnique write is an insert (must not exist)

    Value get(const VersionedStore& store, std::vector<KeyRef>& list, ObjectId object, Bytes key) {
        KeyRef ref{.object = object, .key = std::move(key)};
        Value value = store.read(object, ref.key, snapshot);
        list.push_back(ref);
        point_results.emplace_back(ref, value);
        return value;
    }
    void put(ObjectId object, Bytes key, Value value) {
        writes.push_back({{.object = object, .key = std::move(key)}, value});
    }
};

// Builds one random transaction of one of the workloads, executed at `snapshot`.
Transaction run_transaction(const VersionedStore& store, Position snapshot, Prng& prng) {
    Transaction txn{.snapshot = snapshot};
    const u8 pick = static_cast<u8>(prng.uniform(4));
    switch (prng.uniform(8)) {
        case 0:
        case 1: {  // increment a counter
            Value v = txn.get(store, txn.reads.keys, kCounters, {pick});
            txn.put(kCounters, {pick}, v.value_or(0) + 1);
            break;
        }
        case 2:
        case 3: {  // go off call if the other is on call
            Value a = txn.get(store, txn.reads.keys, kOnCall, {0});
            Value b = txn.get(store, txn.reads.keys, kOnCall, {1});
            u8 me = static_cast<u8>(prng.uniform(2));
            if (prng.chance(1, 4)) {
                txn.put(kOnCall, {me}, 1);
            } else if (a.value_or(1) + b.value_or(1) >= 2) {
                txn.put(kOnCall, {me}, 0);
            }
            break;
        }
        case 4: {  // insert a unique key, or delete one
            Value present = txn.get(store, prng.coin() ? txn.reads.absent_keys : txn.reads.keys,
                                    kUnique, {pick});
            if (!present.has_value()) {
                txn.put(kUnique, {pick}, 1);
                txn.inserts_unique = true;
            } else if (prng.coin()) {
                txn.put(kUnique, {pick}, std::nullopt);
            }
            break;
        }
        case 5:
        case 6: {  // insert a child of a live parent
            Value parent = txn.get(store, txn.reads.parent_keys, kParents, {pick});
            if (parent.has_value()) {
                txn.put(kChildren, {pick, static_cast<u8>(prng.uniform(4))}, 1);
            }
            break;
        }
        default: {  // delete a childless parent (RESTRICT), or create one
            Value parent = txn.get(store, txn.reads.keys, kParents, {pick});
            if (!parent.has_value()) {
                txn.put(kParents, {pick}, 1);
                break;
            }
            KeyRange children{
                .object = kChildren, .start = {pick}, .end = {static_cast<u8>(pick + 1)}};
            auto rows = store.scan(kChildren, children.start, children.end, snapshot);
            txn.reads.ranges.push_back(children);
            txn.range_results.emplace_back(children, rows);
            if (rows.empty()) {
                txn.put(kParents, {pick}, std::nullopt);
            } else if (prng.coin()) {  // or delete one child
                txn.put(kChildren, rows[prng.uniform(rows.size())].first, std::nullopt);
            }
            break;
        }
    }
    return txn;
}

struct Violations {
    usize stale_reads = 0;  // a committed transaction read something changed before commit
    usize lost_updates = 0;
    usize write_skew = 0;
    usize duplicate_keys = 0;
    usize orphans = 0;
    usize commits = 0;
    usize refusals = 0;

    usize total() const {
        return stale_reads + lost_updates + write_skew + duplicate_keys + orphans;
    }
};

// Decides whether `txn` may commit now; `history` holds every committed write set.
using Checker = std::function<bool(const Transaction& txn,
                                   const std::vector<std::pair<Position, WriteSet>>& history)>;

Violations simulate(u64 seed, const Checker& checker) {
    Prng prng(seed);
    VersionedStore store;
    store.write(kOnCall, {0}, 1, Position(1));
    store.write(kOnCall, {1}, 1, Position(1));
    Position now(1);
    std::vector<std::pair<Position, WriteSet>> history;
    std::map<u8, i64> increments;
    std::vector<Transaction> open;
    Violations found;
    for (int step = 0; step < 3000; ++step) {
        if (open.size() < 2 || (open.size() < 8 && prng.chance(1, 2))) {
            // Start on a recent snapshot; lag makes transactions overlap more.
            Position snapshot(now.value() - std::min<u64>(now.value() - 1, prng.uniform(3)));
            open.push_back(run_transaction(store, snapshot, prng));
            continue;
        }
        usize which = prng.uniform(open.size());
        Transaction txn = std::move(open[which]);
        open.erase(open.begin() + static_cast<long>(which));
        if (txn.writes.empty()) continue;  // read-only: logs nothing
        if (!checker(txn, history)) {
            ++found.refusals;
            continue;
        }
        // Committed at now + 1. Serial in commit order iff every read is unchanged at now.
        for (const auto& [ref, value] : txn.point_results) {
            if (store.read(ref.object, ref.key, now) != value) ++found.stale_reads;
        }
        for (const auto& [range, rows] : txn.range_results) {
            if (store.scan(range.object, range.start, range.end, now) != rows) {
                ++found.stale_reads;
            }
        }
        now = now.next();
        WriteSet writes;
        for (const auto& [ref, value] : txn.writes) {
            if (ref.object == kUnique && txn.inserts_unique &&
                store.read(ref.object, ref.key, now.prev()).has_value()) {
                ++found.duplicate_keys;
            }
            if (ref.object == kCounters) ++increments[ref.key[0]];
            store.write(ref.object, ref.key, value, now);
            writes.keys.push_back(ref);
        }
        history.emplace_back(now, writes);
        ++found.commits;

        for (const auto& [key, count] : increments) {
            if (store.read(kCounters, {key}, now).value_or(0) != count) ++found.lost_updates;
        }
        if (store.read(kOnCall, {0}, now).value_or(1) + store.read(kOnCall, {1}, now).value_or(1) <
            1) {
            ++found.write_skew;
        }
        for (const auto& [child, value] : store.scan(kChildren, {}, {}, now)) {
            if (!store.read(kParents, {child[0]}, now).has_value()) ++found.orphans;
        }
    }
    return found;
}

TEST(ConflictWindow, ConcurrentTransactionsAreSerializable) {
    for (u64 seed = 1; seed <= 25; ++seed) {
        // Odd seeds scan the recent writes when few, even ones always use the index.
        ConflictWindow window({.positions_max = 64,
                               .scan_keys_max = seed % 2 == 0 ? 0u : 8u,
                               .scan_keys_per_read = ~u64{0}},
                              Position(1));
        Position recorded(1);
        auto check = [&](const Transaction& txn,
                         const std::vector<std::pair<Position, WriteSet>>& history) {
            // Record what committed since the last check, as the primary does on accept.
            for (const auto& [position, writes] : history) {
                if (position > recorded) {
                    window.record(position, kTenant, writes);
                    recorded = position;
                }
            }
            return window.check(kTenant, txn.reads, txn.snapshot).verdict == ConflictVerdict::ok;
        };
        Violations found = simulate(seed, check);
        EXPECT_EQ(found.total(), 0u)
            << "seed " << seed << ": stale " << found.stale_reads << " lost " << found.lost_updates
            << " skew " << found.write_skew << " duplicate " << found.duplicate_keys << " orphan "
            << found.orphans;
        EXPECT_GT(found.commits, 300u);
        EXPECT_GT(found.refusals, 30u) << "the workload must actually contend";
    }
}

TEST(ConflictWindow, WeakerCheckersAreCaughtByTheSameSimulation) {
    auto no_check = [](const Transaction&, const std::vector<std::pair<Position, WriteSet>>&) {
        return true;
    };
    // Snapshot isolation: refuse only when a key this transaction writes was written since
    // its snapshot (first committer wins). It prevents lost updates but not write skew.
    auto write_write_only = [](const Transaction& txn,
                               const std::vector<std::pair<Position, WriteSet>>& history) {
        for (const auto& [position, writes] : history) {
            if (position <= txn.snapshot) continue;
            for (const KeyRef& written : writes.keys) {
                for (const auto& [ref, value] : txn.writes) {
                    if (ref == written) return false;
                }
            }
        }
        return true;
    };
    Violations none{}, snapshot_isolation{};
    for (u64 seed = 1; seed <= 10; ++seed) {
        Violations a = simulate(seed, no_check);
        none.lost_updates += a.lost_updates;
        none.stale_reads += a.stale_reads;
        Violations b = simulate(seed, write_write_only);
        snapshot_isolation.lost_updates += b.lost_updates;
        snapshot_isolation.write_skew += b.write_skew;
        snapshot_isolation.orphans += b.orphans;
        snapshot_isolation.stale_reads += b.stale_reads;
    }
    EXPECT_GT(none.lost_updates, 0u);
    EXPECT_GT(none.stale_reads, 0u);
    EXPECT_EQ(snapshot_isolation.lost_updates, 0u);
    EXPECT_GT(snapshot_isolation.write_skew, 0u);
    EXPECT_GT(snapshot_isolation.orphans, 0u);
    EXPECT_GT(snapshot_isolation.stale_reads, 0u);
}

}  // namespace
}  // namespace kb::kernel
