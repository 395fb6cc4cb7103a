// Segment header, durability-mark and tail-mirror header codecs (docs/FORMATS.md, "Log
// segment").
#include "storage/segment_format.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::storage {

namespace {

constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kSegmentSuffix = ".kbl";
constexpr usize kSegmentNumberDigits = 10;

bool all_zero(ByteSpan bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](u8 byte) { return byte == 0; });
}

// Both structures end their used bytes with a CRC32C of everything before it; the rest of
// the 512-byte block is zero and covered too, so stray bytes anywhere are caught.
void seal_block(std::span<u8> block, usize used) {
    KB_ASSERT(used + 4 <= block.size());
    // The checksum sits in the last 4 bytes of the block, over everything before it.
    store_le_u32(block.data() + block.size() - 4, crypto::crc32c(block.first(block.size() - 4)));
}

bool block_checksum_ok(ByteSpan block) {
    return load_le_u32(block.data() + block.size() - 4) ==
           crypto::crc32c(block.first(block.size() - 4));
}

// The checks a mark slot and a mirror header share: the block's size, all zero (empty), then
// magic, checksum and format version (invalid if any is wrong). When valid, `reader` stands
// after the reserved u16 that follows the version, at the block's first field.
MarkSlotState open_slot_block(ByteSpan block, usize size, u32 magic, u16 version,
                              LeReader& reader) {
    if (block.size() != size) return MarkSlotState::invalid;
    if (all_zero(block)) return MarkSlotState::empty;
    if (reader.get<u32>() != magic || !block_checksum_ok(block) || reader.get<u16>() != version) {
        return MarkSlotState::invalid;
    }
    (void)reader.get<u16>();
    return MarkSlotState::valid;
}

}  // namespace

std::string segment_path(u64 segment_number) {
    char name[64];
    std::snprintf(name, sizeof(name), "log/segment-%010llu.kbl",
                  static_cast<unsigned long long>(segment_number));
    return name;
}

std::string segment_index_path(u64 segment_number) {
    char name[64];
    std::snprintf(name, sizeof(name), "log/segment-%010llu.kbi",
                  static_cast<unsigned long long>(segment_number));
    return name;
}

std::optional<u64> parse_segment_file_name(std::string_view name) {
    if (name.size() != kSegmentPrefix.size() + kSegmentNumberDigits + kSegmentSuffix.size() ||
        !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
        return std::nullopt;
    }
    std::string_view digits = name.substr(kSegmentPrefix.size(), kSegmentNumberDigits);
    u64 number = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (error != std::errc() || end != digits.data() + digits.size() || number == 0) {
        return std::nullopt;
    }
    return number;
}

std::array<u8, kSegmentHeaderSize> encode_segment_header(const SegmentHeader& header) {
    KB_ASSERT(header.version == kSegmentFormatVersion ||
              (header.version == kSegmentFormatVersionNoMirror && header.mirror_slot_bytes == 0));
    std::array<u8, kSegmentHeaderSize> block{};
    LeWriter writer(block);
    writer.put(kSegmentMagic);
    writer.put(header.version);
    writer.put(u16{0});  // reserved
    writer.put(header.segment_number);
    writer.put(header.first_position.value());
    writer.put_bytes(header.previous_chain_hash.bytes());
    writer.put(header.capacity_bytes);
    if (header.version >= 2) writer.put(header.mirror_slot_bytes);
    seal_block(block, writer.position());
    return block;
}

Result<SegmentHeader> decode_segment_header(ByteSpan bytes, std::string_view path) {
    const std::string where(path);
    if (bytes.size() != kSegmentHeaderSize) {
        return Status::corruption(where + ": segment header truncated");
    }
    LeReader reader(bytes);
    if (reader.get<u32>() != kSegmentMagic) {
        return Status::corruption(where + ": not a log segment (bad magic)");
    }
    if (!block_checksum_ok(bytes)) {
        return Status::corruption(where + ": segment header checksum mismatch");
    }
    const u16 version = reader.get<u16>();
    if (version != kSegmentFormatVersion && version != kSegmentFormatVersionNoMirror) {
        return Status::unsupported(where + ": log segment format version " +
                                   std::to_string(version) +
                                   " is not supported (this build "
                                   "reads versions 1 and " +
                                   std::to_string(kSegmentFormatVersion) + ")");
    }
    (void)reader.get<u16>();
    SegmentHeader header;
    header.version = version;
    header.segment_number = reader.get<u64>();
    header.first_position = Position(reader.get<u64>());
    header.previous_chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
    header.capacity_bytes = reader.get<u64>();
    // Version 1 keeps zeros here (covered by the checksum): no mirror.
    header.mirror_slot_bytes = reader.get<u64>();
    KB_ASSERT(reader.ok());
    const u64 slot = header.mirror_slot_bytes;
    const bool slot_ok =
        version == kSegmentFormatVersionNoMirror
            ? slot == 0
            : slot == 0 || (slot % kMirrorSlotUnit == 0 && slot >= 2 * kMirrorSlotUnit &&
                            slot <= kMirrorSlotBytesMax);
    if (header.segment_number == 0 || header.first_position == Position::none() || !slot_ok ||
        header.capacity_bytes <= header.records_offset()) {
        return Status::corruption(where + ": segment header fields are impossible");
    }
    return header;
}

std::array<u8, kMarkSlotSize> encode_mark(const DurabilityMark& mark) {
    std::array<u8, kMarkSlotSize> block{};
    LeWriter writer(block);
    writer.put(kMarkMagic);
    writer.put(kMarkFormatVersion);
    writer.put(u16{0});
    writer.put(mark.sequence);
    writer.put(mark.position.value());
    writer.put(mark.end_offset);
    writer.put_bytes(mark.chain_hash.bytes());
    seal_block(block, writer.position());
    return block;
}

MarkSlot decode_mark(ByteSpan slot_bytes) {
    MarkSlot slot;
    LeReader reader(slot_bytes);
    slot.state = open_slot_block(slot_bytes, kMarkSlotSize, kMarkMagic, kMarkFormatVersion, reader);
    if (slot.state != MarkSlotState::valid) return slot;
    slot.mark.sequence = reader.get<u64>();
    slot.mark.position = Position(reader.get<u64>());
    slot.mark.end_offset = reader.get<u64>();
    slot.mark.chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
    KB_ASSERT(reader.ok());
    slot.state = slot.mark.sequence == 0 ? MarkSlotState::invalid : MarkSlotState::valid;
    return slot;
}

std::array<u8, kMirrorHeaderSize> encode_mirror_header(const MirrorHeader& header) {
    std::array<u8, kMirrorHeaderSize> block{};
    LeWriter writer(block);
    writer.put(kMirrorMagic);
    writer.put(kMirrorFormatVersion);
    writer.put(u16{0});
    writer.put(header.sequence);
    writer.put(header.mark_sequence);
    writer.put(header.segment_number);
    writer.put(header.first_position.value());
    writer.put(header.last_position.value());
    writer.put(header.offset);
    writer.put(header.length);
    writer.put(header.copy_checksum);
    seal_block(block, writer.position());
    return block;
}

MirrorSlotHeader decode_mirror_header(ByteSpan block) {
    MirrorSlotHeader slot;
    LeReader reader(block);
    slot.state =
        open_slot_block(block, kMirrorHeaderSize, kMirrorMagic, kMirrorFormatVersion, reader);
    if (slot.state != MarkSlotState::valid) return slot;
    MirrorHeader& header = slot.header;
    header.sequence = reader.get<u64>();
    header.mark_sequence = reader.get<u64>();
    header.segment_number = reader.get<u64>();
    header.first_position = Position(reader.get<u64>());
    header.last_position = Position(reader.get<u64>());
    header.offset = reader.get<u64>();
    header.length = reader.get<u64>();
    header.copy_checksum = reader.get<u32>();
    KB_ASSERT(reader.ok());
    const bool sane = header.sequence != 0 && header.segment_number != 0 &&
                      header.first_position != Position::none() &&
                      header.first_position <= header.last_position && header.length != 0 &&
                      header.length <= kMirrorSlotBytesMax &&
                      header.offset >= kSegmentRecordsOffset;
    slot.state = sane ? MarkSlotState::valid : MarkSlotState::invalid;
    return slot;
}

}  // namespace kb::storage
