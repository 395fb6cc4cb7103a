// B+tree node bodies: search, in-place edits, canonical encoding and untrusted decoding.
#include "store/node.h"

#include <algorithm>
#include <cstring>

#include "base/endian.h"

namespace kb::store {
namespace {

constexpr u8 kFlagOverflow = 1;

static_assert(Node::kCapacity == 4008);
static_assert(Node::kSlotSize + Node::kLeafEntryHeaderSize + kStoreKeyBytesMax +
                      Node::kOverflowRefSize <=
                  Node::kEntryFootprintMax,
              "a leaf entry with the longest key and an overflow value must fit");
static_assert(Node::kSlotSize + Node::kInnerEntryHeaderSize + kStoreKeyBytesMax <=
                  Node::kEntryFootprintMax,
              "an inner entry with the longest key must fit");
static_assert(kPageBodySize < 65536, "offsets are u16");
static_assert(kStoreValueBytesMax < (u64{1} << 32), "value lengths are u32");

}  // namespace

Node::Node(PageKind kind, u8 level) : PageObject(kind) {
    KB_ASSERT(kind == PageKind::leaf || kind == PageKind::inner);
    KB_ASSERT((kind == PageKind::leaf) == (level == 0));
    body_[0] = static_cast<u8>(kind);
    body_[1] = level;
    store16(2, 0);
    store16(4, static_cast<u16>(kPageBodySize));
}

usize Node::entry_size(PageKind kind, ByteSpan bytes) {
    if (kind == PageKind::leaf) {
        if (bytes.size() < kLeafEntryHeaderSize) return 0;
        const usize key_size = load_le_u16(bytes.data());
        const u8 flags = bytes[2];
        const usize value_size = load_le_u32(bytes.data() + 3);
        const usize payload = (flags & kFlagOverflow) ? kOverflowRefSize : value_size;
        const usize size = kLeafEntryHeaderSize + key_size + payload;
        return size <= bytes.size() ? size : 0;
    }
    if (bytes.size() < kInnerEntryHeaderSize) return 0;
    const usize size = kInnerEntryHeaderSize + load_le_u16(bytes.data());
    return size <= bytes.size() ? size : 0;
}

ByteSpan Node::entry_key(PageKind kind, ByteSpan entry) {
    const usize key_size = load_le_u16(entry.data());
    const usize header = kind == PageKind::leaf ? kLeafEntryHeaderSize : kInnerEntryHeaderSize;
    return entry.subspan(header, key_size);
}

usize Node::entry_size_at(usize offset) const {
    return entry_size(kind(), ByteSpan(body_).subspan(offset));
}

ByteSpan Node::raw_entry(u16 index) const {
    KB_ASSERT(index < count());
    const usize offset = slot(index);
    return ByteSpan(body_).subspan(offset, entry_size_at(offset));
}

LeafValue Node::value(u16 index) const {
    KB_ASSERT(is_leaf() && index < count());
    const usize offset = slot(index);
    const usize key_size = load16(offset);
    const u8* payload = body_.data() + offset + kLeafEntryHeaderSize + key_size;
    LeafValue value;
    value.overflow = (body_[offset + 2] & kFlagOverflow) != 0;
    value.length = load_le_u32(body_.data() + offset + 3);
    if (value.overflow) {
        value.run = {load_le_u64(payload), load_le_u64(payload + 8)};
    } else {
        value.bytes = ByteSpan(payload, value.length);
    }
    return value;
}

PageRef Node::child(u16 index) const {
    KB_ASSERT(!is_leaf() && index < count());
    const u8* entry = body_.data() + slot(index);
    return {load_le_u64(entry + 2), load_le_u64(entry + 10)};
}

usize Node::encode_leaf_entry(ByteSpan key, const LeafValue& value, MutableByteSpan out) {
    const usize size = leaf_entry_size(key.size(), value);
    KB_ASSERT(out.size() >= size && key.size() <= kStoreKeyBytesMax);
    KB_ASSERT(value.overflow || value.bytes.size() == value.length);
    u8* p = out.data();
    store_le_u16(p, static_cast<u16>(key.size()));
    p[2] = value.overflow ? kFlagOverflow : 0;
    store_le_u32(p + 3, value.length);
    if (!key.empty()) std::memcpy(p + kLeafEntryHeaderSize, key.data(), key.size());
    u8* payload = p + kLeafEntryHeaderSize + key.size();
    if (value.overflow) {
        store_le_u64(payload, value.run.address);
        store_le_u64(payload + 8, value.run.generation);
    } else if (value.length > 0) {
        std::memcpy(payload, value.bytes.data(), value.length);
    }
    return size;
}

usize Node::encode_inner_entry(ByteSpan key, PageRef child, MutableByteSpan out) {
    const usize size = kInnerEntryHeaderSize + key.size();
    KB_ASSERT(out.size() >= size && key.size() <= kStoreKeyBytesMax);
    u8* p = out.data();
    store_le_u16(p, static_cast<u16>(key.size()));
    store_le_u64(p + 2, child.address);
    store_le_u64(p + 10, child.generation);
    if (!key.empty()) std::memcpy(p + kInnerEntryHeaderSize, key.data(), key.size());
    return size;
}

bool Node::insert_raw(u16 index, ByteSpan entry) {
    KB_ASSERT(index <= count());
    KB_ASSERT(entry.size() + kSlotSize <= kEntryFootprintMax);
    KB_ASSERT(entry_size(kind(), entry) == entry.size());
    const usize need = entry.size() + kSlotSize;
    if (used_ + need > kCapacity) return false;
    const usize slots_end = kHeaderSize + kSlotSize * count();
    if (data_start() < slots_end + need) compact();
    const u16 offset = static_cast<u16>(data_start() - entry.size());
    std::memcpy(body_.data() + offset, entry.data(), entry.size());
    store16(4, offset);
    u8* slots = body_.data() + kHeaderSize;
    std::memmove(slots + kSlotSize * (index + 1u), slots + kSlotSize * index,
                 kSlotSize * (count() - index));
    store16(kHeaderSize + kSlotSize * index, offset);
    store16(2, static_cast<u16>(count() + 1));
    used_ += need;
    return true;
}

void Node::remove(u16 index) {
    KB_ASSERT(index < count());
    const usize offset = slot(index);
    const usize size = entry_size_at(offset);
    u8* slots = body_.data() + kHeaderSize;
    std::memmove(slots + kSlotSize * index, slots + kSlotSize * (index + 1u),
                 kSlotSize * (count() - index - 1u));
    store16(2, static_cast<u16>(count() - 1));
    if (offset == data_start()) store16(4, static_cast<u16>(offset + size));
    used_ -= size + kSlotSize;
}

void Node::set_child(u16 index, PageRef child) {
    KB_ASSERT(!is_leaf() && index < count());
    u8* entry = body_.data() + slot(index);
    store_le_u64(entry + 2, child.address);
    store_le_u64(entry + 10, child.generation);
}

void Node::encode(MutableByteSpan out) const {
    KB_ASSERT(out.size() == kPageBodySize);
    const u16 n = count();
    usize total = 0;
    for (u16 i = 0; i < n; ++i) total += entry_size_at(slot(i));
    KB_ASSERT(total + kSlotSize * n == used_);
    const usize start = kPageBodySize - total;
    out[0] = body_[0];
    out[1] = body_[1];
    store_le_u16(out.data() + 2, n);
    store_le_u16(out.data() + 4, static_cast<u16>(start));
    store_le_u16(out.data() + 6, 0);
    const usize slots_end = kHeaderSize + kSlotSize * n;
    std::memset(out.data() + slots_end, 0, start - slots_end);
    usize offset = start;
    for (u16 i = 0; i < n; ++i) {
        const usize from = slot(i);
        const usize size = entry_size_at(from);
        store_le_u16(out.data() + kHeaderSize + kSlotSize * i, static_cast<u16>(offset));
        std::memcpy(out.data() + offset, body_.data() + from, size);
        offset += size;
    }
}

void Node::compact() {
    std::array<u8, kPageBodySize> canonical;
    encode(canonical);
    body_ = canonical;
}

void Node::assign(std::span<const ByteSpan> entries) {
    // Entries may point into body_: build the new body aside.
    std::array<u8, kPageBodySize> fresh{};
    fresh[0] = body_[0];
    fresh[1] = body_[1];
    usize total = 0;
    for (ByteSpan entry : entries) total += entry.size();
    KB_ASSERT(total + kSlotSize * entries.size() <= kCapacity);
    const usize start = kPageBodySize - total;
    store_le_u16(fresh.data() + 2, static_cast<u16>(entries.size()));
    store_le_u16(fresh.data() + 4, static_cast<u16>(start));
    usize offset = start;
    for (usize i = 0; i < entries.size(); ++i) {
        KB_ASSERT(entry_size(kind(), entries[i]) == entries[i].size());
        store_le_u16(fresh.data() + kHeaderSize + kSlotSize * i, static_cast<u16>(offset));
        std::memcpy(fresh.data() + offset, entries[i].data(), entries[i].size());
        offset += entries[i].size();
    }
    body_ = fresh;
    used_ = total + kSlotSize * entries.size();
}

Result<std::shared_ptr<Node>> Node::decode(ByteSpan body) {
    KB_ASSERT(body.size() == kPageBodySize);
    const u8 kind_byte = body[0];
    if (kind_byte != static_cast<u8>(PageKind::leaf) &&
        kind_byte != static_cast<u8>(PageKind::inner)) {
        return Status::corruption("not a tree node (page kind " + std::to_string(kind_byte) + ")");
    }
    const PageKind kind = static_cast<PageKind>(kind_byte);
    const u8 level = body[1];
    if ((kind == PageKind::leaf) != (level == 0)) {
        return Status::corruption("node level " + std::to_string(level) + " does not suit a " +
                                  (kind == PageKind::leaf ? "leaf" : "inner node"));
    }
    const usize n = load_le_u16(body.data() + 2);
    const usize start = load_le_u16(body.data() + 4);
    if (load_le_u16(body.data() + 6) != 0) {
        return Status::corruption("reserved node header bytes are not zero");
    }
    const usize slots_end = kHeaderSize + kSlotSize * n;
    if (slots_end > start || start > kPageBodySize) {
        return Status::corruption("node of " + std::to_string(n) + " entries with data at " +
                                  std::to_string(start) + " does not fit its page");
    }
    if (kind == PageKind::inner && n == 0) return Status::corruption("inner node without children");
    for (usize i = slots_end; i < start; ++i) {
        if (body[i] != 0) return Status::corruption("free space of a node is not zero");
    }
    usize offset = start;
    ByteSpan previous_key;
    for (usize i = 0; i < n; ++i) {
        if (load_le_u16(body.data() + kHeaderSize + kSlotSize * i) != offset) {
            return Status::corruption("node entry " + std::to_string(i) + " is out of place");
        }
        ByteSpan rest = body.subspan(offset);
        const usize size = entry_size(kind, rest);
        if (size == 0) {
            return Status::corruption("node entry " + std::to_string(i) + " overruns its page");
        }
        if (size + kSlotSize > kEntryFootprintMax) {
            return Status::corruption("node entry " + std::to_string(i) + " is too large");
        }
        ByteSpan entry = rest.first(size);
        ByteSpan key = entry_key(kind, entry);
        if (key.size() > kStoreKeyBytesMax) {
            return Status::corruption("node entry " + std::to_string(i) + " has a key of " +
                                      std::to_string(key.size()) + " bytes");
        }
        if (kind == PageKind::leaf) {
            const u8 flags = entry[2];
            const u64 length = load_le_u32(entry.data() + 3);
            if ((flags & ~kFlagOverflow) != 0) {
                return Status::corruption("leaf entry " + std::to_string(i) + " has flags " +
                                          std::to_string(flags));
            }
            const bool overflow = (flags & kFlagOverflow) != 0;
            if (overflow != needs_overflow(key.size(), length) || length > kStoreValueBytesMax) {
                return Status::corruption("leaf entry " + std::to_string(i) +
                                          " stores a value of " + std::to_string(length) +
                                          " bytes the wrong way");
            }
            if (overflow && load_le_u64(entry.data() + size - kOverflowRefSize) == 0) {
                return Status::corruption("leaf entry " + std::to_string(i) + " refers to page 0");
            }
        } else {
            if (i == 0 && !key.empty()) {
                return Status::corruption("the first entry of an inner node has a key");
            }
            if (load_le_u64(entry.data() + 2) == 0) {
                return Status::corruption("inner entry " + std::to_string(i) + " refers to page 0");
            }
        }
        const bool check_order = i > 0;
        if (check_order && compare_keys(previous_key, key) >= 0) {
            return Status::corruption("node keys out of order at entry " + std::to_string(i));
        }
        previous_key = key;
        offset += size;
    }
    if (offset != kPageBodySize) {
        return Status::corruption("node entries end at " + std::to_string(offset) +
                                  ", not at the end of the page");
    }
    auto node = std::make_shared<Node>(kind, level);
    std::memcpy(node->body_.data(), body.data(), kPageBodySize);
    node->used_ = (kPageBodySize - start) + kSlotSize * n;
    return node;
}

}  // namespace kb::store
