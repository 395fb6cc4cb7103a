// Superblock encoding, decoding and choosing the newest copy (see superblock.h).
#include "store/superblock.h"

#include "base/endian.h"
#include "crypto/blake3.h"
#include "crypto/crc32c.h"
#include "store/page_format.h"

namespace kb::store {
namespace {

constexpr usize kChecksumOffset = kSuperblockSize - 4;

}  // namespace

SuperblockBytes encode_superblock(const Superblock& superblock) {
    SuperblockBytes bytes{};
    LeWriter writer(bytes);
    writer.put<u32>(kSuperblockMagic);
    writer.put<u16>(kSuperblockFormatVersion);
    writer.put<u16>(0);
    writer.put<u64>(superblock.sequence);
    writer.put_bytes(superblock.previous_hash.bytes());
    writer.put<u64>(superblock.applied.value());
    writer.put<u64>(superblock.trees.page.address);
    writer.put<u64>(superblock.trees.page.generation);
    writer.put<u8>(superblock.trees.level);
    writer.put_zeros(7);
    writer.put<u64>(superblock.manifest.address);
    writer.put<u64>(superblock.manifest.generation);
    writer.put<u64>(superblock.manifest_pages);
    writer.put<u64>(superblock.manifest_bytes);
    writer.put<u64>(superblock.page_count);
    writer.put<u64>(superblock.next_generation);
    writer.put<u64>(superblock.view.value());
    writer.put<u64>(superblock.commit.value());
    writer.put_zeros(kChecksumOffset - writer.position());
    writer.put<u32>(crypto::crc32c(ByteSpan(bytes).first(kChecksumOffset)));
    return bytes;
}

InternalHash superblock_hash(ByteSpan encoded) {
    KB_ASSERT(encoded.size() == kSuperblockSize);
    return crypto::blake3(encoded);
}

SuperblockSlot decode_superblock(ByteSpan bytes) {
    KB_ASSERT(bytes.size() == kSuperblockSize);
    SuperblockSlot slot;
    bool all_zero = true;
    for (u8 byte : bytes) all_zero = all_zero && byte == 0;
    if (all_zero) return slot;
    LeReader reader(bytes);
    const u32 magic = reader.get<u32>();
    const u16 version = reader.get<u16>();
    const u16 reserved16 = reader.get<u16>();
    Superblock& sb = slot.superblock;
    sb.sequence = reader.get<u64>();
    sb.previous_hash = InternalHash::from_bytes(reader.get_bytes(InternalHash::kSize));
    sb.applied = Position(reader.get<u64>());
    sb.trees.page.address = reader.get<u64>();
    sb.trees.page.generation = reader.get<u64>();
    sb.trees.level = reader.get<u8>();
    ByteSpan reserved7 = reader.get_bytes(7);
    sb.manifest.address = reader.get<u64>();
    sb.manifest.generation = reader.get<u64>();
    sb.manifest_pages = reader.get<u64>();
    sb.manifest_bytes = reader.get<u64>();
    sb.page_count = reader.get<u64>();
    sb.next_generation = reader.get<u64>();
    sb.view = View(reader.get<u64>());
    sb.commit = Position(reader.get<u64>());
    ByteSpan reserved_tail = reader.get_bytes(kChecksumOffset - reader.position());
    const u32 checksum = reader.get<u32>();
    KB_ASSERT(reader.ok());
    auto damaged = [&](std::string problem) {
        slot.state = SlotState::damaged;
        slot.problem = std::move(problem);
        return slot;
    };
    if (checksum != crypto::crc32c(bytes.first(kChecksumOffset))) {
        return damaged("checksum mismatch (torn or damaged copy)");
    }
    if (magic != kSuperblockMagic) return damaged("bad magic");
    if (version != kSuperblockFormatVersion) {
        slot.state = SlotState::unsupported;
        slot.problem = "unknown superblock format version " + std::to_string(version) +
                       " (this build reads version " + std::to_string(kSuperblockFormatVersion) +
                       ")";
        return slot;
    }
    bool reserved_zero = reserved16 == 0;
    for (u8 byte : reserved7) reserved_zero = reserved_zero && byte == 0;
    for (u8 byte : reserved_tail) reserved_zero = reserved_zero && byte == 0;
    if (!reserved_zero) return damaged("reserved bytes are not zero");
    if (sb.sequence == 0) return damaged("sequence 0");
    if (sb.page_count == 0 || sb.trees.page.address >= sb.page_count ||
        (sb.manifest.address != 0 &&
         (sb.manifest_pages == 0 || sb.manifest.address + sb.manifest_pages > sb.page_count ||
          sb.manifest_pages > sb.page_count ||
          sb.manifest_bytes > sb.manifest_pages * kRunPageDataSize)) ||
        (sb.manifest.address == 0 && (sb.manifest_pages != 0 || sb.manifest_bytes != 0))) {
        return damaged("page references outside the page file");
    }
    if (sb.trees.page.address == 0 && sb.trees.level != 0) return damaged("empty tree of level");
    slot.state = SlotState::valid;
    slot.hash = superblock_hash(bytes);
    return slot;
}

Result<std::optional<Superblock>> choose_superblock(std::span<const SuperblockSlot> slots,
                                                    std::string_view where) {
    const SuperblockSlot* newest = nullptr;
    bool any_written = false;
    for (usize i = 0; i < slots.size(); ++i) {
        const SuperblockSlot& slot = slots[i];
        if (slot.state != SlotState::empty) any_written = true;
        if (slot.state == SlotState::unsupported) {
            return Status::unsupported(std::string(where) + " copy " + std::to_string(i) + ": " +
                                       slot.problem);
        }
        if (slot.state == SlotState::valid &&
            (newest == nullptr || slot.superblock.sequence > newest->superblock.sequence)) {
            newest = &slot;
        }
    }
    if (newest == nullptr) {
        if (!any_written) return std::optional<Superblock>();
        std::string problems;
        for (usize i = 0; i < slots.size(); ++i) {
            if (!problems.empty()) problems += "; ";
            problems += "copy " + std::to_string(i) + ": " +
                        (slots[i].state == SlotState::empty ? "never written" : slots[i].problem);
        }
        return Status::corruption(std::string(where) + ": no valid superblock (" + problems + ")");
    }
    const u64 sequence = newest->superblock.sequence;
    for (const SuperblockSlot& slot : slots) {
        if (slot.state != SlotState::valid) continue;
        if (slot.superblock.sequence == sequence && slot.hash != newest->hash) {
            return Status::corruption(std::string(where) + ": two different superblocks claim " +
                                      "sequence " + std::to_string(sequence));
        }
        if (slot.superblock.sequence + 1 == sequence &&
            newest->superblock.previous_hash != slot.hash) {
            return Status::corruption(std::string(where) + ": superblock " +
                                      std::to_string(sequence) + " does not follow superblock " +
                                      std::to_string(sequence - 1) + " (hash link broken)");
        }
    }
    return std::optional<Superblock>(newest->superblock);
}

}  // namespace kb::store
