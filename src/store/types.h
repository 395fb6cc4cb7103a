// Small value types shared by the store's files: tree ids, page references, scan direction,
// and the store's own size limits.
#pragma once

#include <compare>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "types/ids.h"
#include "types/limits.h"

namespace kb::store {

// Trees belong to one tenant (so a page never mixes tenants' data); tenant 0 is the system.
// `number` is chosen by the caller (the kernel's catalog), unique within the tenant.
struct TreeId {
    TenantId tenant;
    u64 number = 0;

    friend auto operator<=>(const TreeId&, const TreeId&) = default;
    friend bool operator==(const TreeId&, const TreeId&) = default;
};

// "tree 7 of tenant 3", for messages.
std::string to_string(TreeId tree);

inline constexpr TenantId kSystemTenant{0};

enum class Direction : u8 { forward, backward };

// Where a node lives: its page address and the generation it was written with. Address 0 is
// never a page (the first page of the file is unused), so a zero ref means "none".
struct PageRef {
    u64 address = 0;
    u64 generation = 0;

    bool empty() const { return address == 0; }
    friend bool operator==(const PageRef&, const PageRef&) = default;
};

// A tree's root: its node and that node's level (0: the root is a leaf). An empty tree has
// an empty ref.
struct RootRef {
    PageRef page;
    u8 level = 0;

    bool empty() const { return page.empty(); }
    friend bool operator==(const RootRef&, const RootRef&) = default;
};

// One key and value to put (Store::put_sorted).
struct KeyValue {
    ByteSpan key;
    ByteSpan value;
};

// The store's limits on what one entry may hold. They sit above the user-facing limits of
// types/limits.h (1 KiB keys, 16 MiB rows) by a margin for what layers on top add: the MVCC
// layer appends an 8-byte version suffix to keys and a header to values.
inline constexpr u64 kStoreKeyBytesMax = limits::kKeySizeBytesMax + 64;
inline constexpr u64 kStoreValueBytesMax = limits::kRowSizeBytesMax + 64;

}  // namespace kb::store
