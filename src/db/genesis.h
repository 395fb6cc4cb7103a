// The genesis record: position 1 of every log, stored in clear.
//
// Before a replica can open anything sealed it needs the system root key, and a replica
// joining a cluster must be able to tell which cluster a log belongs to. Both sit in the first
// record, which the primary makes once when the cluster is created (DESIGN.md §5, "An empty
// data dir ... is initialised"). The system root key travels wrapped by the master key, so the
// record is safe in clear: without the master key it is ciphertext. Layout in
// docs/FORMATS.md, "Genesis record".
#pragma once

#include <array>

#include "base/bytes.h"
#include "crypto/key_wrap.h"
#include "kimberlite/status.h"
#include "storage/log.h"

namespace kb::db {

inline constexpr u8 kGenesisFormatVersion = 1;

struct Genesis {
    std::array<u8, 16> cluster_id{};  // random, chosen at creation
    u8 replica_count = 1;             // the cluster's size at creation
    crypto::WrappedKey system_root{};

    friend bool operator==(const Genesis&, const Genesis&) = default;
};

Bytes encode_genesis(const Genesis& genesis);
// The cluster id as replication messages carry it (vsr/message.h): its first 8 bytes, LE.
u64 cluster_number(const Genesis& genesis);
// corruption for a malformed payload, unsupported for an unknown version.
Result<Genesis> decode_genesis(ByteSpan payload);

// A new cluster's genesis record (position 1, in clear): a random cluster id, the replica count
// and a new system root key wrapped by `master`. Made once per cluster (`kmb cluster init`, the
// simulator); every replica's log starts with these very bytes.
Result<Bytes> make_genesis_record(const crypto::MasterKeyProvider& master,
                                  crypto::RandomSource& random, u8 replica_count,
                                  Timestamp timestamp);

// The genesis record of a log (its position 1): corruption if position 1 holds another kind.
Result<Genesis> read_genesis(storage::Log& log);

}  // namespace kb::db
