// Idempotency records: how a retried request (same idempotency id) gets the original op's
// result instead of being applied twice (kernel.h, IdempotencyRecord).
//
// Each tenant's idempotency tree (kernel_trees.h) holds two key ranges (docs/FORMATS.md,
// "Kernel state"):
//
//     01 || id (16 bytes)                         -> record (below)
//     02 || position u64 BE || id (16 bytes)      -> empty: the expiry index, oldest first
//
//     record = format version u8 = 1 | position u64 | op kind u8 | outcome u16 |
//              detail string | tenant u64 | stream u64 | first offset u64 | event count u64 |
//              block first i64 | block increment i64 | block count u64 | row versions u64
//     (little-endian, strings as u32 length + bytes, as in kernel/wire.h)
//
// Retention. A record made at position p answers a repeat at position q while
// q <= p + retention (Settings::idempotency_retention_positions). Expired records are pruned
// at apply, deterministically: after each op of tenant T that came out ok, up to kPruneMax of
// T's oldest records that have expired at that op's position are removed (walking the expiry
// index). Pruning only reclaims space: lookups check the retention themselves, so a record
// still present after it expired is never answered. A record made by a repeat of an expired id
// replaces the old one.
//
// Records are state: each is in the state hash as an idempotency entry (tenant, id, record
// bytes), added when written and removed when pruned or replaced.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "kernel/kernel.h"
#include "kernel/state_hash.h"
#include "kimberlite/status.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::kernel::idempotency {

inline constexpr u8 kRecordFormatVersion = 1;
// Records pruned per op at most: ops make at most one record each, so pruning keeps up, and a
// retention lowered by a configure op drains its backlog over the following ops.
inline constexpr usize kPruneMax = 16;

inline constexpr u8 kRecordPrefix = 0x01;
inline constexpr u8 kExpiryPrefix = 0x02;

Bytes record_key(const IdempotencyId& id);
Bytes expiry_key(Position position, const IdempotencyId& id);

Bytes encode_record(const IdempotencyRecord& record);
// corruption (naming what is wrong) for bytes encode_record would not write; unsupported for
// another format version.
Result<IdempotencyRecord> decode_record(ByteSpan bytes);

// The state-hash entry of a stored record.
Bytes record_entry(TenantId tenant, const IdempotencyId& id, ByteSpan record_bytes);

// Whether a repeat at `at` still sees a record made at `recorded`.
inline bool within_retention(Position recorded, Position at, u64 retention) {
    return at.value() <= recorded.value() || at.value() - recorded.value() <= retention;
}

// The record of `id` in `tenant`'s tree of `view`, expired or not; nullopt when there is none
// (or the tenant has no idempotency tree).
Result<std::optional<IdempotencyRecord>> find(const store::Snapshot& view, TenantId tenant,
                                              const IdempotencyId& id);

// --- writes (apply, loop thread) -------------------------------------------------------------

// Stores `record` for `id`, replacing `replaced` (the expired record of the same id, if any),
// and keeps `hash` current.
Status put(store::Store& store, StateHash& hash, TenantId tenant, const IdempotencyId& id,
           const IdempotencyRecord& record, const std::optional<IdempotencyRecord>& replaced);

// The position of `tenant`'s oldest record (nullopt: none).
Result<std::optional<Position>> oldest(const store::Store& store, TenantId tenant);

// Removes up to `max` of `tenant`'s oldest records that a repeat at `at` no longer sees, and
// returns the position of the oldest record left (nullopt: none).
Result<std::optional<Position>> prune(store::Store& store, StateHash& hash, TenantId tenant,
                                      Position at, u64 retention, usize max);

}  // namespace kb::kernel::idempotency
