// In-memory pages of the store: B+tree nodes (leaf and inner) and overflow runs.
//
// A Node keeps its body in exactly the layout it has on disk (a slotted page), so loading one is
// decrypt + validate, and writing one is compact + encrypt: no per-entry allocation either way.
//
//     [0]           kind (PageKind::leaf or ::inner)
//     [1]           level: 0 for leaves, parent = child + 1
//     [2, 4)        entry count n, u16
//     [4, 6)        data start: offset of the entry area, u16
//     [6, 8)        zero
//     [8, 8 + 2n)   slots: u16 offset of each entry, in key order
//     [.., data)    free space (zero on disk)
//     [data, 4016)  entries
//
//     leaf entry:   u16 key length, u8 flags (1: value in an overflow run), u32 value length,
//                   key, then the value bytes, or the run's first page u64 and generation u64
//     inner entry:  u16 key length, u64 child page, u64 child generation, key. Entry 0's key is
//                   empty: child i holds the keys k with key(i) <= k < key(i + 1).
//
// Keys compare as byte strings (shorter is smaller when one is a prefix of the other). On disk
// the entries are packed in slot order up to the end of the body ("canonical": decode accepts
// nothing else, so decode(encode(n)) == n and encode(decode(b)) == b). In memory the writer
// edits unpublished nodes in place: removals leave holes that compaction reclaims.
//
// Every entry takes at most kEntryFootprintMax = capacity / 3 bytes (slot included), so any
// overfull node splits into two halves that fit; a leaf value too big for that goes to an
// overflow run of consecutive pages instead.
//
// Threads: a node in the cache is shared with reader threads and must not change — except
// that the writer edits nodes of its unpublished version, which no reader can reach.
// `write_state` is the writer's bookkeeping (loop thread only; readers never look at it).
#pragma once

#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <span>

#include "base/assert.h"
#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"
#include "store/page_format.h"
#include "store/types.h"

namespace kb::store {

// Byte-string order: negative, zero or positive like memcmp.
inline int compare_keys(ByteSpan a, ByteSpan b) {
    const usize common = a.size() < b.size() ? a.size() : b.size();
    if (common >= 8) {
        // Most comparisons in a binary search are decided by the first 8 bytes: compare them as
        // big-endian integers inline instead of calling memcmp.
        u64 x;
        u64 y;
        std::memcpy(&x, a.data(), 8);
        std::memcpy(&y, b.data(), 8);
        if (x != y) {
            if constexpr (std::endian::native == std::endian::little) {
                x = __builtin_bswap64(x);
                y = __builtin_bswap64(y);
            }
            return x < y ? -1 : 1;
        }
    }
    if (common > 0) {
        const int order = std::memcmp(a.data(), b.data(), common);
        if (order != 0) return order;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// Where an in-memory page is on its way to disk (loop thread only).
enum class WriteState : u8 {
    dirty,    // not written yet: pinned in the cache
    writing,  // a checkpoint is writing it
    clean,    // on disk (durably, or as part of a checkpoint that is finishing)
};

// What the cache holds: a node or an overflow run, with its identity.
class PageObject {
public:
    virtual ~PageObject() = default;

    PageKind kind() const { return kind_; }
    u64 address() const { return address_; }
    u64 generation() const { return generation_; }
    PageRef ref() const { return {address_, generation_}; }
    TenantId tenant() const { return tenant_; }
    // The writer version that created it (store.h): the writer edits in place only pages of
    // its current, unpublished version.
    u64 born_version() const { return born_version_; }
    // Pages it occupies on disk.
    virtual u64 page_count() const = 0;
    // Bytes it costs in memory, for the cache budget.
    virtual usize charge_bytes() const = 0;

    // Set once by the owner before the page is shared.
    void set_identity(u64 address, u64 generation, TenantId tenant, u64 born_version) {
        address_ = address;
        generation_ = generation;
        tenant_ = tenant;
        born_version_ = born_version;
    }

    mutable WriteState write_state = WriteState::clean;

protected:
    explicit PageObject(PageKind kind) : kind_(kind) {}

private:
    PageKind kind_;
    u64 address_ = 0;
    u64 generation_ = 0;
    TenantId tenant_;
    u64 born_version_ = 0;
};

// A leaf entry's value: inline bytes, or a reference to an overflow run.
struct LeafValue {
    bool overflow = false;
    u32 length = 0;  // the value's length in bytes, inline or not
    ByteSpan bytes;  // inline values only
    PageRef run;     // overflow values only: the run's first page
};

class Node final : public PageObject {
public:
    static constexpr usize kHeaderSize = 8;
    static constexpr usize kCapacity = kPageBodySize - kHeaderSize;
    static constexpr usize kEntryFootprintMax = kCapacity / 3;
    static constexpr usize kSlotSize = 2;
    static constexpr usize kLeafEntryHeaderSize = 7;
    static constexpr usize kInnerEntryHeaderSize = 18;
    static constexpr usize kOverflowRefSize = 16;

    // An empty node. Leaves have level 0, inner nodes level >= 1.
    Node(PageKind kind, u8 level);

    // Validates an untrusted, decrypted body (kPageBodySize bytes): corruption saying what is
    // wrong (the caller adds where). Never reads out of bounds, whatever the bytes.
    static Result<std::shared_ptr<Node>> decode(ByteSpan body);
    // Writes the canonical body (kPageBodySize bytes).
    void encode(MutableByteSpan body) const;

    bool is_leaf() const { return kind() == PageKind::leaf; }
    u8 level() const { return body_[1]; }
    u16 count() const { return load16(2); }

    ByteSpan key(u16 index) const {
        KB_ASSERT(index < count());
        const usize offset = slot(index);
        const usize header = is_leaf() ? kLeafEntryHeaderSize : kInnerEntryHeaderSize;
        return ByteSpan(body_.data() + offset + header, load16(offset));
    }
    // Leaves only.
    LeafValue value(u16 index) const;
    // Starts fetching entry `index` (if there is one) into the CPU cache — its first two cache
    // lines, which hold a row of a typical table: a cursor asks for the entries ahead of the
    // one it returns, so walking a leaf does not wait on a memory miss per entry while the
    // caller works on the current one.
    void prefetch_entry(u16 index) const {
        if (index >= count()) return;
        const u8* entry = body_.data() + slot(index);
        prefetch(entry);
        prefetch(entry + 64);
    }
    // Inner nodes only.
    PageRef child(u16 index) const;

    // The first index whose key is >= `key` (count() if none); *found says whether equal.
    u16 lower_bound(ByteSpan key, bool* found) const {
        u16 low = 0;
        u16 high = count();
        while (low < high) {
            const u16 middle = static_cast<u16>(low + (high - low) / 2);
            prefetch_next_probes(low, middle, high);
            const int order = compare_keys(this->key(middle), key);
            if (order < 0) {
                low = static_cast<u16>(middle + 1);
            } else if (order == 0) {
                *found = true;
                return middle;
            } else {
                high = middle;
            }
        }
        *found = false;
        return low;
    }
    // Inner nodes: the child whose range holds `key`.
    u16 child_index(ByteSpan key) const {
        KB_ASSERT(!is_leaf() && count() > 0);
        // The last i with key(i) <= key; key(0) is minus infinity.
        u16 low = 1;
        u16 high = count();
        while (low < high) {
            const u16 middle = static_cast<u16>(low + (high - low) / 2);
            prefetch_next_probes(low, middle, high);
            if (compare_keys(this->key(middle), key) <= 0) {
                low = static_cast<u16>(middle + 1);
            } else {
                high = middle;
            }
        }
        return static_cast<u16>(low - 1);
    }

    // The encoded entry at `index` (what insert_raw takes).
    ByteSpan raw_entry(u16 index) const;
    // Bytes the entries and their slots occupy (holes not counted); at most kCapacity.
    usize used_bytes() const { return used_; }

    // --- Editing (only on nodes no reader can reach) ---

    // Inserts an encoded entry at `index`; false (and nothing changed) if it does not fit.
    bool insert_raw(u16 index, ByteSpan entry);
    void remove(u16 index);
    void set_child(u16 index, PageRef child);
    // Replaces every entry (which must fit; they may point into this node's own body).
    void assign(std::span<const ByteSpan> entries);

    u64 page_count() const override { return 1; }
    usize charge_bytes() const override { return sizeof(Node) + 64; }

    // --- Entry encoding ---

    // Bytes of a leaf entry (without its slot).
    static usize leaf_entry_size(usize key_size, const LeafValue& value) {
        return kLeafEntryHeaderSize + key_size + (value.overflow ? kOverflowRefSize : value.length);
    }
    // True if a value of `value_size` bytes with this key must go to an overflow run.
    static bool needs_overflow(usize key_size, usize value_size) {
        return kSlotSize + kLeafEntryHeaderSize + key_size + value_size > kEntryFootprintMax;
    }
    // Encodes into `out` (at least leaf_entry_size bytes); returns the bytes used.
    static usize encode_leaf_entry(ByteSpan key, const LeafValue& value, MutableByteSpan out);
    static usize encode_inner_entry(ByteSpan key, PageRef child, MutableByteSpan out);
    // The size of the encoded entry at the start of `bytes` of a node of `kind`, or 0 if it
    // does not fit in `bytes` (untrusted input).
    static usize entry_size(PageKind kind, ByteSpan bytes);
    // The key of an encoded entry (valid input).
    static ByteSpan entry_key(PageKind kind, ByteSpan entry);

private:
    u16 load16(usize offset) const {
        return static_cast<u16>(body_[offset] | (body_[offset + 1] << 8));
    }
    void store16(usize offset, u16 value) {
        body_[offset] = static_cast<u8>(value);
        body_[offset + 1] = static_cast<u8>(value >> 8);
    }
    u16 slot(u16 index) const { return load16(kHeaderSize + kSlotSize * index); }
    // A binary search step's memory misses dominate a lookup of a page not in the CPU cache:
    // fetch the entries of both possible next probes while the current one is compared.
    void prefetch_next_probes(u16 low, u16 middle, u16 high) const {
        const u16 left = static_cast<u16>(low + (middle - low) / 2);
        const u16 right = static_cast<u16>(middle + 1 + (high - middle - 1) / 2);
        if (left < middle) __builtin_prefetch(body_.data() + slot(left));
        if (right < high) __builtin_prefetch(body_.data() + slot(right));
    }
    // A hint to fetch `at`'s cache line. GCC 12 drops __builtin_prefetch of an address computed
    // from a slot load (it emits nothing for prefetch_next_probes' above; made real, they
    // measured slower for point reads, so they stay as they are), so on x86-64 the instruction
    // is written out. It cannot fault, whatever the address.
    static void prefetch(const u8* at) {
#if defined(__x86_64__)
        asm volatile("prefetcht0 %0" : : "m"(*at));
#else
        __builtin_prefetch(at);
#endif
    }
    u16 data_start() const { return load16(4); }
    usize entry_size_at(usize offset) const;
    void compact();

    std::array<u8, kPageBodySize> body_{};
    usize used_ = 0;  // entries + slots
};

// A large value, stored in a run of consecutive overflow pages. In memory only until written
// (the cache pins it while dirty); readers of written runs read the pages.
class OverflowRun final : public PageObject {
public:
    explicit OverflowRun(Bytes value) : PageObject(PageKind::overflow), value_(std::move(value)) {}

    ByteSpan value() const { return value_; }
    u64 page_count() const override { return run_pages_for(value_.size()); }
    usize charge_bytes() const override { return sizeof(OverflowRun) + value_.size(); }

private:
    Bytes value_;
};

}  // namespace kb::store
