// The superblock: the root of a durable store checkpoint, kept in several copies.
//
// File store/superblock.kbs holds kSuperblockCopies = 4 slots of kSuperblockSlotBytes (4 KiB)
// each; a copy is the first 512 bytes of its slot (the rest is zero). Each copy is
// checksummed (CRC32C), versioned, and hash-linked to its predecessor: it carries a sequence
// number (1, 2, ...) and the BLAKE3 hash of the previous superblock's 512 bytes. It holds the
// applied position, the root of the tree of trees, where the manifest is (free pages, page-key
// epochs, kernel meta: manifest.h), the page count and the generation counter, and fields
// reserved for replication (view, commit position). The layout is in docs/FORMATS.md.
//
// A checkpoint writes its superblock to two slots, syncs, then to the other two and syncs again,
// always starting with the slots that do not hold the newest durable copy: a torn or lost write
// can destroy at most the copies being written, never the last durable one. Open picks the
// valid copy with the highest sequence.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"
#include "store/types.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::store {

inline constexpr u32 kSuperblockMagic = 0x4253424b;  // "KBSB"
inline constexpr u16 kSuperblockFormatVersion = 1;
inline constexpr usize kSuperblockSize = 512;
inline constexpr usize kSuperblockCopies = 4;
inline constexpr u64 kSuperblockSlotBytes = 4096;
inline constexpr u64 kSuperblockFileBytes = kSuperblockCopies * kSuperblockSlotBytes;

struct Superblock {
    u64 sequence = 0;            // 1 for a new store, then +1 per checkpoint
    InternalHash previous_hash;  // superblock_hash of sequence - 1 (zero for sequence 1)
    Position applied;            // the last log position the checkpoint includes
    RootRef trees;               // the tree of trees (tenant 0): TreeId -> RootRef
    PageRef manifest;            // first page of the manifest run (empty: no manifest)
    u64 manifest_pages = 0;
    u64 manifest_bytes = 0;
    u64 page_count = 1;       // pages [0, page_count) of the page file are in use or free
    u64 next_generation = 1;  // the next page generation to assign
    View view;                // replication state: reserved, zero until VSR uses it
    Position commit;

    friend bool operator==(const Superblock&, const Superblock&) = default;
};

using SuperblockBytes = std::array<u8, kSuperblockSize>;

SuperblockBytes encode_superblock(const Superblock& superblock);
InternalHash superblock_hash(ByteSpan encoded);

enum class SlotState : u8 {
    empty,        // all zero: never written
    valid,        // a superblock of this version
    damaged,      // written, but the checksum or structure is wrong (torn, bit rot)
    unsupported,  // checksum ok, but a format version this build does not know
};

struct SuperblockSlot {
    SlotState state = SlotState::empty;
    Superblock superblock;  // when valid
    InternalHash hash;      // of the slot's 512 bytes, when valid
    std::string problem;    // when damaged or unsupported
};

// Decodes one copy (kSuperblockSize bytes).
SuperblockSlot decode_superblock(ByteSpan bytes);

// The newest valid copy of `slots` (all copies of the file), or nullopt if every slot is
// empty. Errors: unsupported if any copy has an unknown version; corruption if no copy is
// valid, if two copies of the newest sequence differ, or if the newest does not link to a
// valid copy of the sequence before it (`where` names the file).
Result<std::optional<Superblock>> choose_superblock(std::span<const SuperblockSlot> slots,
                                                    std::string_view where);

}  // namespace kb::store
