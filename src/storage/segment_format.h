// Log segment files: naming, the segment header, the durability marks and the tail mirror.
//
// The log is a sequence of segment files log/segment-<number>.kbl, each preallocated to its
// capacity (overwriting preallocated space syncs faster than growing a file) and laid out as
//
//     [0, 512)      segment header: which segment, which position it starts at, the chain
//                   hash before that position, its capacity (version 2: the mirror slot size S)
//     [512, 1024)   durability mark slot A
//     [1024, 1536)  durability mark slot B
//     [1536, 4096)  zero
//     version 1:  [4096, ...)            records, back to back; never-written space is zero
//     version 2:  [4096, 4096 + S)       tail mirror slot A
//                 [4096 + S, 4096 + 2S)  tail mirror slot B
//                 [4096 + 2S, ...)       records, back to back; never-written space is zero
//
// A durability mark says "every record up to position P (ending at byte offset E of this
// segment, chain hash H) was durable before this mark was written". The writer writes a mark
// only after the sync that made those records durable completed. Recovery uses the newest
// valid mark to tell an unsynced batch (beyond the mark: torn or missing records are cut) from
// damage to acknowledged data (at or below the mark: reported, never cut). Marks alternate
// between the two slots, so a torn mark write leaves the previous mark intact.
//
// A tail mirror (version 2) is a second copy of one flush's records, written in the same round
// of writes as the records themselves, so that one sync makes the flush durable twice and it can
// be acknowledged without waiting for its mark: recovery restores a damaged flush beyond the
// mark from a valid mirror, and cuts only what no valid mirror holds. Mirrors alternate between
// the two slots; a slot is reused only once a mark covering the flush it holds is durable.
// Each mirror names the newest mark sequence at the time it was written: a mark with a higher
// sequence covers (or, after a truncation or recovery, supersedes) its flush, so only mirrors
// whose mark sequence is at least the newest mark's matter. See docs/FORMATS.md.
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
inline constexpr u32 kMirrorMagic = 0x544c424b;   // "KBLT"
// New segments are written as version 2 (tail mirror slots); version 1 segments (no mirror)
// are read as before.
inline constexpr u16 kSegmentFormatVersion = 2;
inline constexpr u16 kSegmentFormatVersionNoMirror = 1;
inline constexpr u16 kMarkFormatVersion = 1;
inline constexpr u16 kMirrorFormatVersion = 1;

inline constexpr u64 kSegmentHeaderSize = 512;
inline constexpr u64 kMarkSlotSize = 512;
inline constexpr u64 kMarkSlotOffset[2] = {512, 1024};
// Where a version 1 segment's records start, and a version 2 segment's mirror slots.
inline constexpr u64 kSegmentRecordsOffset = 4096;
// A mirror slot: a header block, then the copy of the flush's records.
inline constexpr u64 kMirrorHeaderSize = 512;
// Mirror slot sizes are multiples of this, and (when not zero) at least two of it.
inline constexpr u64 kMirrorSlotUnit = 512;
inline constexpr u64 kMirrorSlotBytesMax = u64{64} << 20;

inline constexpr std::string_view kLogDirectory = "log";

// "log/segment-0000000003.kbl"
std::string segment_path(u64 segment_number);
// "log/segment-0000000003.kbi" (the sparse index)
std::string segment_index_path(u64 segment_number);
// Parses a file name (not a path) of a segment; nullopt for other names.
std::optional<u64> parse_segment_file_name(std::string_view name);

struct SegmentHeader {
    u16 version = kSegmentFormatVersion;  // 1 or 2
    u64 segment_number = 0;               // 1, 2, 3, ...
    Position first_position;              // the first record this segment holds
    ComplianceHash previous_chain_hash;   // chain_hash(first_position - 1)
    u64 capacity_bytes = 0;               // preallocated file size
    // Version 2: the size of each of the two tail mirror slots (0: the segment has none, and
    // every flush into it takes the two-sync path). Version 1: always 0.
    u64 mirror_slot_bytes = 0;

    // Where the records start.
    u64 records_offset() const { return kSegmentRecordsOffset + 2 * mirror_slot_bytes; }
    // Where mirror slot `slot` (0 = A, 1 = B) starts.
    u64 mirror_slot_offset(usize slot) const {
        return kSegmentRecordsOffset + static_cast<u64>(slot) * mirror_slot_bytes;
    }

    friend bool operator==(const SegmentHeader&, const SegmentHeader&) = default;
};

// Encodes `header` as its version says (version 1 needs mirror_slot_bytes == 0).
std::array<u8, kSegmentHeaderSize> encode_segment_header(const SegmentHeader& header);
// corruption (naming `path`) for bad magic, checksum or impossible fields; unsupported for an
// unknown version.
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

// The header block of a tail mirror slot; the copy of the flush's records follows it.
struct MirrorHeader {
    u64 sequence = 0;  // >= 1: grows by one with every mirrored flush (slot = sequence % 2)
    // The newest durability mark sequence written at or before this flush (0: none yet). A
    // valid mark with a higher sequence covers or supersedes the flush.
    u64 mark_sequence = 0;
    u64 segment_number = 0;  // the segment holding both copies
    Position first_position;
    Position last_position;
    u64 offset = 0;         // where the flush's records start in the segment
    u64 length = 0;         // their bytes: the length of the copy
    u32 copy_checksum = 0;  // CRC32C of the copy

    friend bool operator==(const MirrorHeader&, const MirrorHeader&) = default;
};

std::array<u8, kMirrorHeaderSize> encode_mirror_header(const MirrorHeader& header);

// empty (all zero), valid (magic, version, checksum and field sanity; the copy is not
// checked here) or invalid.
struct MirrorSlotHeader {
    MarkSlotState state = MarkSlotState::empty;
    MirrorHeader header;  // when valid
};
MirrorSlotHeader decode_mirror_header(ByteSpan block);

}  // namespace kb::storage
