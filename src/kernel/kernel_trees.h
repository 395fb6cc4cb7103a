// Where the kernel keeps its state in the store: which tree holds what, and the layout of keys
// and values in each (docs/FORMATS.md, "Kernel state").
//
// System trees (tenant 0, sealed with the system page key):
//     tenants      tenant id u64 BE                 -> tenant record (catalog_codec.h)
//     timestamps   op timestamp ns u64 BE           -> position u64 LE: the newest position
//                                                      with that timestamp (AS OF TIMESTAMP)
//     roles        MVCC: principal id u64 BE        -> role record (access_control.h)
//     grants       MVCC: principal, tenant, table   -> grantor u64 LE (access_control.h: a
//                  u64 BE each, privilege u8           privilege held; table 0 = the tenant)
//     api keys     MVCC: key id u64 BE              -> API key record (api_keys.h); a revoked
//                                                      key's version is ended
// Per tenant T (sealed with T's page keys; tree numbers at and above 2^63, clear of object
// ids, which the catalog keeps below 2^62):
//     catalog      0x01                             -> tenant schema (catalog_codec.h)
//     streams      stream id u64 BE                 -> stream record (catalog_codec.h)
//     events       stream id u64 BE, first offset   -> one append: its position, event count,
//                  u64 BE                              bytes and events digest (the events
//                                                      themselves are in the log's record)
//     idempotency  see idempotency.h
//     table t      MVCC rows (store/mvcc.h): primary key -> row image (row_codec.h)
//     index i      MVCC entries: index key -> primary key (row_codec.h has the key forms)
// A table's or index's tree number is its object id, so ids (never reused) name trees for
// ever: a dropped table's rows stay readable as of positions before the drop.
#pragma once

#include <array>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "kernel/schema.h"
#include "kimberlite/status.h"
#include "store/types.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::kernel::trees {

inline constexpr store::TreeId kTenants{store::kSystemTenant, 1};
inline constexpr store::TreeId kTimestamps{store::kSystemTenant, 2};
inline constexpr store::TreeId kRoles{store::kSystemTenant, 3};
inline constexpr store::TreeId kGrants{store::kSystemTenant, 4};
inline constexpr store::TreeId kApiKeys{store::kSystemTenant, 5};
// The system trees the first apply creates (roles, grants and API keys too, so readers find
// them). A store from before a tree was added gets it at its next apply.
inline constexpr store::TreeId kSystemTrees[] = {kTenants, kTimestamps, kRoles, kGrants, kApiKeys};

inline constexpr u64 kFirstInternalNumber = u64{1} << 63;
static_assert(kObjectIdLimit <= kFirstInternalNumber);

inline store::TreeId catalog(TenantId tenant) { return {tenant, kFirstInternalNumber + 1}; }
inline store::TreeId streams(TenantId tenant) { return {tenant, kFirstInternalNumber + 2}; }
inline store::TreeId events(TenantId tenant) { return {tenant, kFirstInternalNumber + 3}; }
inline store::TreeId idempotency(TenantId tenant) { return {tenant, kFirstInternalNumber + 4}; }
inline store::TreeId object(TenantId tenant, ObjectId object) { return {tenant, object.value()}; }
inline store::TreeId table(TenantId tenant, TableId table) { return {tenant, table.value()}; }
inline store::TreeId index(TenantId tenant, IndexId index) { return {tenant, index.value()}; }

// The internal trees every tenant has from its creation.
inline constexpr u64 kTenantTreeNumbers[] = {kFirstInternalNumber + 1, kFirstInternalNumber + 2,
                                             kFirstInternalNumber + 3, kFirstInternalNumber + 4};

// The one key of a tenant's catalog tree.
inline constexpr u8 kCatalogKey[] = {0x01};

// Big-endian u64, so byte order is numeric order.
std::array<u8, 8> be64(u64 value);
u64 load_be64(const u8* bytes);

inline std::array<u8, 8> tenant_key(TenantId tenant) { return be64(tenant.value()); }
inline std::array<u8, 8> stream_key(StreamId stream) { return be64(stream.value()); }
inline std::array<u8, 8> timestamp_key(Timestamp timestamp) { return be64(timestamp.value()); }
inline std::array<u8, 8> role_key(PrincipalId principal) { return be64(principal.value()); }
// The events tree's key of the append that starts at offset `first` of `stream`.
std::array<u8, 16> append_key(StreamId stream, Offset first);

// One append op as the events tree holds it, under append_key(stream, its first offset).
// The events are not copied into the store: they are in the log's record at `position`, and
// readers take them from there through the log's verified read path (db/stream_reads.h),
// checked against `count` and `digest`. So the store costs one small entry per append, not a
// second copy of every event.
struct StoredAppend {
    Position position;    // of the op that appended the events
    u64 count = 0;        // events (at least 1: an empty append writes no entry)
    u64 bytes = 0;        // the events' total size
    InternalHash digest;  // events_digest of the events

    friend bool operator==(const StoredAppend&, const StoredAppend&) = default;
};
// position u64 LE | count u64 LE | bytes u64 LE | digest (32 bytes).
inline constexpr usize kAppendValueSize = 8 + 8 + 8 + InternalHash::kSize;
std::array<u8, kAppendValueSize> append_value(const StoredAppend& append);
// corruption (naming the stream and first offset) unless exactly kAppendValueSize bytes with a
// count of at least 1.
Result<StoredAppend> parse_append_value(ByteSpan value, StreamId stream, Offset first);
// BLAKE3 (derive_key mode, a context of its own) over every event as u32 LE length ‖ bytes:
// binds an append's entry, and the state hash, to the exact events its log record holds.
InternalHash events_digest(std::span<const Bytes> events);

// A timestamps-tree value.
Result<Position> parse_timestamp_value(ByteSpan value);

}  // namespace kb::kernel::trees
