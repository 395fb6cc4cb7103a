// The sparse index of a sealed segment: where every 64th record starts, and the chain hash
// before it, so a read can find a record without scanning and verify what it reads against
// the chain from the nearest anchor.
//
// The index is derived data: written when a segment fills up (is sealed), checksummed, and
// rebuilt by scanning the segment whenever it is missing or fails its checks. The tail segment
// has no index file; its anchors live in memory and are rebuilt by recovery's scan.
// Layout in docs/FORMATS.md, "Segment index".
#pragma once

#include <vector>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::storage {

inline constexpr u32 kIndexMagic = 0x494c424b;  // "KBLI"
inline constexpr u16 kIndexFormatVersion = 1;
inline constexpr u64 kIndexStride = 64;  // one anchor per this many records

struct IndexAnchor {
    Position position;
    u64 offset = 0;                      // of the record's header in the segment file
    ComplianceHash previous_chain_hash;  // chain_hash(position - 1)

    friend bool operator==(const IndexAnchor&, const IndexAnchor&) = default;
};

// Everything known about the records of one segment.
struct SegmentSummary {
    u64 segment_number = 0;
    Position first_position;             // of the segment (even when it holds no record yet)
    Position last_position;              // none when empty
    u64 end_offset = 0;                  // just past the last record
    ComplianceHash previous_chain_hash;  // before first_position
    ComplianceHash last_chain_hash;      // chain_hash(last_position)
    std::vector<IndexAnchor> anchors;    // first record, then every kIndexStride-th

    bool empty() const { return last_position.value() < first_position.value(); }
    // Records a record appended at `offset`; `previous` is chain_hash(position - 1).
    void add(Position position, u64 offset, u64 next_offset, const ComplianceHash& previous,
             const ComplianceHash& chain_hash);
    // Forgets every record after `position` (>= first_position - 1), which ends at `end_offset`
    // with chain hash `chain_hash`.
    void truncate_after(Position position, u64 end_offset, const ComplianceHash& chain_hash);
    // The last anchor at or before `position` (which must be in this segment).
    const IndexAnchor& anchor_for(Position position) const;

    friend bool operator==(const SegmentSummary&, const SegmentSummary&) = default;
};

Bytes encode_segment_index(const SegmentSummary& summary);
// corruption (naming `path`) on any damage; unsupported for an unknown version.
Result<SegmentSummary> decode_segment_index(ByteSpan bytes, std::string_view path);

}  // namespace kb::storage
