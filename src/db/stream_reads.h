// Reading a stream's events. The store records where each append is (the events tree: one
// record per append with its log position, event count, bytes and the events' digest;
// kernel/kernel_trees.h); the events themselves exist once, in the log. read_stream_events finds
// the appends holding the requested offsets in a snapshot (kernel::reads::append_runs), reads
// their records through the log's verified read path (TransactionHost::logged_appends: CRC,
// hash chain, AEAD tag, and with trusted keys a verified attestation) and checks each against
// the store's record of it: an append of this tenant and stream, with as many events, whose
// digest matches. So nothing is served that the chain does not hold.
//
// Cost: one record read (and decode) per append per call, on the host's loop thread, 1024
// positions per host call (a loop round trip each, so writes go on between them).
#pragma once

#include <vector>

#include "db/transaction.h"
#include "kernel/kernel_reads.h"
#include "store/snapshot.h"

namespace kb::db {

// Events of `stream` of `tenant` from offset `from` on, as of `snapshot` (taken from `host`),
// in offset order: at most `max_count` events and at most `max_bytes` bytes of event data,
// except that the first event is returned even if it alone is larger. Empty when there are
// none at or after `from` (or no such tenant or stream). corruption naming stream, offset and
// position when the log's record of an append disagrees with the store's, or when the log
// refuses a record; errors of the host (unsupported: it cannot read its log; closed) pass
// through. Memory: the records of the appends read (the appends are chosen by the bytes the
// store records for them, so about max_bytes, or one append when that alone is larger).
Result<std::vector<kernel::reads::Event>> read_stream_events(TransactionHost& host,
                                                             const store::Snapshot& snapshot,
                                                             TenantId tenant, StreamId stream,
                                                             Offset from, u64 max_bytes,
                                                             u64 max_count);

}  // namespace kb::db
