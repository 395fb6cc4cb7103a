// Log segment files: naming, the segment header, and the durability marks.
//
// The log is a sequence of segment files log/segment-<number>.kbl, each preallocated to its
// capacity (overwriting preallocated space syncs faster than growing a file) and laid out as
//
//     [0, 512)      segment header: which segment, which position it starts at, the chain
//                   hash before that position, its capacity
//     [512, 1024)   durability mark slot A
//     [1024, 1536)  durability mark slot B
//     [1536, 4096)  zero
//     [4096, ...)   records, back to back; never-written space is zero
//
// A durability mark says "every record up to position P (ending at byte offset E of this
// segment, chain hash H) was durable before this mark was written". The writer writes a mark
// only after the sync that made those records durable completed, and acknowledges records
// only once a later sync has made the mark itself durable. Recovery uses the newest valid mark
// to tell an unsynced batch (beyond the mark: torn or missing records are cut) from damage to
// acknowledged data (at or below the mark: reported, never cut). Marks alternate between the
// two slots, so a torn mark write leaves the previous mark intact. See docs/FORMATS.md.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::storage {

inline constexpr u32 kSegmentMagic = 0x534c424b;  // "KBLS"
inline constexpr u32 kMarkMagic = 0x4d4c424b;     // "KBLM"
inline constexpr u16 kSegmentFormatVersion = 1;

inline constexpr u64 kSegmentHeaderSize = 512;
inline constexpr u64 kMarkSlotSize = 512;
inline constexpr u64 kMarkSlotOffset[2] = {512, 1024};
inline constexpr u64 kSegmentRecordsOffset = 4096;

inline constexpr std::string_view kLogDirectory = "log";

// "log/segment-0000000003.kbl"
std::string segment_path(u64 segment_number);
// "log/segment-0000000003.kbi" (the sparse index)
std::string segment_index_path(u64 segment_number);
// Parses a file name (not a path) of a segment; nullopt for other names.
std::optional<u64> parse_segment_file_name(std::string_view name);

struct SegmentHeader {
    u64 segment_number = 0;              // 1, 2, 3, ...
    Position first_position;             // the first record this segment holds
    ComplianceHash previous_chain_hash;  // chain_hash(first_position - 1)
    u64 capacity_bytes = 0;              // preallocated file size

    friend bool operator==(const SegmentHeader&, const SegmentHeader&) = default;
};

std::array<u8, kSegmentHeaderSize> encode_segment_header(const SegmentHeader& header);
// corruption (naming `path`) for bad magic or checksum; unsupported for an unknown version.
Result<SegmentHeader> decode_segment_header(ByteSpan bytes, std::string_view path);

struct DurabilityMark {
    u64 sequence = 0;           // increases by one with every mark the log writes
    Position position;          // the last durable record (none: empty log)
    u64 end_offset = 0;         // byte offset in this segment just after that record
    ComplianceHash chain_hash;  // chain_hash(position)

    friend bool operator==(const DurabilityMark&, const DurabilityMark&) = default;
};

std::array<u8, kMarkSlotSize> encode_mark(const DurabilityMark& mark);

enum class MarkSlotState : u8 {
    empty,    // never written (all zero)
    valid,    // a mark
    invalid,  // written but damaged or torn (or an unknown version)
};
struct MarkSlot {
    MarkSlotState state = MarkSlotState::empty;
    DurabilityMark mark;  // when valid
};
MarkSlot decode_mark(ByteSpan slot_bytes);

}  // namespace kb::storage
