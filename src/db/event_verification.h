// Checking events the store serves against the log (docs/PROTOCOL.md, Read and Subscribe).
//
// The store holds every event with the position of the append that wrote it; the log holds that
// append's op in a record linked by hashes to the chain (and, with trusted keys, to a verified
// attestation). verify_events reads, for each distinct position of a chunk of events, the record
// through the log's verified read path (TransactionHost::logged_appends) and checks that it is
// an append of the same tenant and stream whose events, at the chunk's offsets, are the chunk's
// bytes. Cost: one record read (and decode) per distinct position per chunk, on the host's loop.
#pragma once

#include <span>

#include "db/transaction.h"
#include "kernel/kernel_reads.h"
#include "store/snapshot.h"

namespace kb::db {

// Checks `events` — consecutive offsets of `stream` of `tenant`, as kernel::reads::read_events
// returned them from `snapshot` — against the appends the log holds at their positions. ok when
// every event equals the event of the append logged at its position at index (offset - the
// append's first offset, found in `snapshot`); corruption naming stream, offset and position
// otherwise, or when the log refuses a record. Errors of the host (unsupported, closed) pass
// through. The records are read 1024 positions per host call (a loop round trip each, so writes
// go on between them); memory: those records, plus, when the chunk starts inside an append,
// that append's earlier events (read from the snapshot to find where it starts).
Status verify_events(TransactionHost& host, const store::Snapshot& snapshot, TenantId tenant,
                     StreamId stream, std::span<const kernel::reads::Event> events);

}  // namespace kb::db
