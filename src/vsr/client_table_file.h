// The replica's client table on disk: so that a retried request whose session predates the
// state machine's checkpoint is still answered from the table after a restart (a replica
// re-applies only what follows the checkpoint, and with it rebuilds only those sessions).
//
// File `client_table` in the data directory, replaced atomically (written to a temporary file,
// synced, renamed, the directory synced). In the kernel's wire encoding (kernel/wire.h,
// little-endian): u32 magic "KBCT" | u16 version = 1 | u16 zero | u64 applied (the table is as
// of this position) | u32 sessions, then per session: u64 client | u64 request | u64
// committed_at | u32 reply length | reply bytes | u32 evicted, then per evicted client, oldest
// first: u64 client | u32 CRC32C of everything before it.
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.h"
#include "io/storage.h"
#include "io/unique_function.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::vsr {

struct ClientTableSnapshot {
    struct Session {
        ClientId client;
        RequestNumber request;
        Position committed_at;
        Bytes reply;

        friend bool operator==(const Session&, const Session&) = default;
    };
    Position applied;
    std::vector<Session> sessions;
    std::vector<ClientId> evicted;  // oldest first

    friend bool operator==(const ClientTableSnapshot&, const ClientTableSnapshot&) = default;
};

Bytes encode_client_table(const ClientTableSnapshot& snapshot);
// corruption for damaged or malformed bytes, unsupported for another version.
Result<ClientTableSnapshot> decode_client_table(ByteSpan bytes);

// nullopt when there is no file yet.
Result<std::optional<ClientTableSnapshot>> load_client_table(io::Storage& storage);
// Replaces the file with `encoded` and calls `done` once that is durable (fatal on a failed
// sync). The caller keeps nothing alive: the bytes are owned here until done.
void save_client_table(io::Storage& storage, Bytes encoded, io::UniqueFunction<void(Status)> done);

}  // namespace kb::vsr
