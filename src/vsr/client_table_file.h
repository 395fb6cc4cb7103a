// The replica's client table on disk: so that a retried request whose session predates the
// state machine's checkpoint is still answered from the table after a restart (a replica
// re-applies only what follows the checkpoint, and with it rebuilds only those sessions).
//
// One file per state-machine checkpoint, named by the checkpoint's position:
// `client_table.<position in decimal>` in the data directory. The table for checkpoint C is
// saved (written to `client_table.<C>.tmp`, synced, renamed, the directory synced) BEFORE the
// checkpoint at C can become durable (store::Store::set_checkpoint_gate), and the tables of
// earlier checkpoints are removed only once C's is durable. So whatever a crash leaves, the
// durable checkpoint has its table, and recovery starts from the two together
// (docs/ARCHITECTURE.md "Client sessions").
//
// In the kernel's wire encoding (kernel/wire.h, little-endian): u32 magic "KBCT" | u16 version
// = 3 | u16 zero | u64 checkpoint (the state-machine checkpoint the table goes with) | u64
// applied (the table covers every commit up to here; at or after the checkpoint) | u32
// sessions, then per session, oldest last commit first: u64 client | u64 session (the position
// of the register that opened it) | u64 request | u64 committed_at | u32 reply length | reply
// bytes | u32 CRC32C of everything before it.
//
// Versions 1 (one file `client_table`, saved after the checkpoint, from before tables went with
// checkpoints; no checkpoint field) and 2 (no session numbers; a list of evicted clients) come
// from before clients registered. They are still read, for their positions, but their sessions
// are dropped: no client can name a session that had no register, so every client registers
// anew (docs/ARCHITECTURE.md "Client sessions").
#pragma once

#include <optional>
#include <string>
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
        u64 session = 0;  // the position of its register (vsr::SessionNumber)
        RequestNumber request;
        Position committed_at;
        Bytes reply;

        friend bool operator==(const Session&, const Session&) = default;
    };
    Position checkpoint;  // none in a version-1 file
    Position applied;     // the table is as of this position
    std::vector<Session> sessions;

    friend bool operator==(const ClientTableSnapshot&, const ClientTableSnapshot&) = default;
};

// Version 3.
Bytes encode_client_table(const ClientTableSnapshot& snapshot);
// corruption for damaged or malformed bytes, unsupported for another version.
Result<ClientTableSnapshot> decode_client_table(ByteSpan bytes);

// The file name of the table that goes with the checkpoint at `checkpoint`.
std::string client_table_path(Position checkpoint);

// What load_client_table found.
struct LoadedClientTable {
    ClientTableSnapshot table;
    // False: not the table saved for the checkpoint asked for but an older stand-in (the
    // version-1 file), as of table.applied, whatever that is.
    bool for_checkpoint = false;
};
// The table saved for the checkpoint at `checkpoint`; without one, the version-1 file
// `client_table` if there is one; nullopt when neither exists. A table file named for
// `checkpoint` that says otherwise, or is as of an earlier position, is corruption.
Result<std::optional<LoadedClientTable>> load_client_table(io::Storage& storage,
                                                           Position checkpoint);
// Writes `snapshot` as the table for its checkpoint (replacing one already saved for it) and
// calls `done` once that is durable (fatal on a failed sync). The caller keeps nothing alive.
void save_client_table(io::Storage& storage, const ClientTableSnapshot& snapshot,
                       io::UniqueFunction<void(Status)> done);
// The checkpoint at `checkpoint` is durable: removes the tables of earlier checkpoints, the
// version-1 file and leftover temporary files of those (not synced: one that comes back after
// a crash is never chosen, and is removed next time).
Status remove_client_tables_before(io::Storage& storage, Position checkpoint);

}  // namespace kb::vsr
