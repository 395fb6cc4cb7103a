// What the replica reads from a record's bytes: its header (position, client, request,
// timestamp, view) and the chain hash it extends the log to.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "storage/record.h"
#include "types/hash.h"

namespace kb::vsr {

// nullopt when the bytes do not start with a valid record header.
std::optional<storage::RecordHeader> record_header_of(ByteSpan record);
// chain_hash(n) of record n (whose header must be valid) after chain_hash(n-1) = `previous`.
ComplianceHash chain_hash_of(const ComplianceHash& previous, ByteSpan record);

}  // namespace kb::vsr
