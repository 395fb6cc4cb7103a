// Tail mirrors: reading and checking the second copy of a flush (segment_format.h, version 2).
//
// The writer puts a flush's records at their place in the segment and, in the same round of
// writes, a copy of them in a mirror slot at the head of the segment; one sync makes both
// durable, and the flush is acknowledged then. Recovery (log_recovery.cc) and the verifier
// (verifier.cc) read the mirror slots of the tail segments here, keep the mirrors that check
// out whole (slot header, copy checksum, every record's checksums and digest, positions and
// chain links inside the copy), and use one where the walk of the main copy reaches the
// mirror's first position at the mirror's offset, chained to what precedes it
// (TailMirror::continues): the flush was then completely durable in the mirror, so it may
// have been acknowledged, and its main copy is restored (recovery) or reported (verifier)
// from it instead of being cut as an unsynced write.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "io/storage.h"
#include "kimberlite/status.h"
#include "storage/record.h"
#include "storage/segment_format.h"

namespace kb::storage {

// One record of a mirror's copy, and where it lies in the segment.
struct MirroredRecord {
    Position position;
    u64 offset = 0;       // of its header in the segment (the copy holds it at offset - start)
    u64 next_offset = 0;  // just past it
    RecordHeader header;
    RecordHeaderBytes header_bytes{};
    ComplianceHash previous_chain_hash;  // its stored link
    ComplianceHash chain_hash;           // chain_hash(position)
};

// A mirror that checked out whole.
struct TailMirror {
    usize slot = 0;  // 0 = A, 1 = B
    MirrorHeader header;
    Bytes copy;  // header.length bytes: the flush's records, byte for byte
    std::vector<MirroredRecord> records;

    const ComplianceHash& previous_chain_hash() const {
        return records.front().previous_chain_hash;
    }
    const ComplianceHash& last_chain_hash() const { return records.back().chain_hash; }
    // True when a walk of the main copy that reached `position` at `offset`, after chain hash
    // `chain`, may continue with this mirror's records.
    bool continues(Position position, u64 offset, const ComplianceHash& chain) const {
        return header.first_position == position && header.offset == offset &&
               previous_chain_hash() == chain;
    }
    // The bytes of record `index` in the copy.
    ByteSpan record_bytes(usize index) const {
        const MirroredRecord& record = records[index];
        return ByteSpan(copy).subspan(record.offset - header.offset,
                                      record.next_offset - record.offset);
    }
};

// Checks one slot's bytes (its header block, then the copy: `copy` holds at least
// header.length bytes when the file has them) against the segment's header. nullopt, with
// *problem saying why when given, for an empty, torn or damaged slot.
std::optional<TailMirror> check_tail_mirror(const SegmentHeader& segment, usize slot,
                                            ByteSpan header_block, ByteSpan copy,
                                            std::string* problem = nullptr);

// A slot that may have held a mirror the log needs but does not check out: its header block
// is damaged or torn (its mark sequence is unknown), or it names a mark sequence at least the
// newest mark's and its copy fails. A crash during a mirror write leaves one; so can damage.
struct DamagedMirrorSlot {
    usize slot = 0;
    std::string problem;
};

// What the two mirror slots of a segment hold.
struct TailMirrors {
    // The mirrors that check out and whose mark_sequence is at least the minimum asked for
    // (older ones are covered by a newer mark).
    std::vector<TailMirror> valid;
    std::vector<DamagedMirrorSlot> damaged;
};

// Reads both mirror slots of a version 2 segment (`file`, `file_size` bytes, header `segment`)
// through read_sync. Nothing for a segment without mirror slots. io_error only for IO
// failures.
Result<TailMirrors> read_tail_mirrors(io::Storage& storage, io::FileHandle file, u64 file_size,
                                      const SegmentHeader& segment, u64 min_mark_sequence);

}  // namespace kb::storage
