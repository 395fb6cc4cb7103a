// The LtHash16 state hash (see state_hash.h for the construction and why).
#include "kernel/state_hash.h"

#include "base/endian.h"
#include "crypto/blake3.h"

namespace kb::kernel {
namespace {

// derive_key contexts: hard-coded, globally unique, never change (they define the hash).
constexpr std::string_view kEntryContext = "kimberlite 2025 state hash lthash16 entry v1";
constexpr std::string_view kDigestContext = "kimberlite 2025 state hash lthash16 digest v1";

// The hasher with the context already absorbed, reused for every entry (cheaper than
// re-deriving the context key each time).
const crypto::Blake3& entry_hasher() {
    static const crypto::Blake3 hasher = crypto::Blake3::derive_key(kEntryContext);
    return hasher;
}

// finalize_with: entries up to 1 KiB are expanded without copying the hasher, and the 32
// output blocks run in the SIMD lanes.
void expand(ByteSpan entry, std::array<u8, StateHash::kEncodedSize>& out) {
    entry_hasher().finalize_with(entry, out);
}

void put_field(Bytes& out, ByteSpan field) {
    u8 length[4];
    store_le_u32(length, static_cast<u32>(field.size()));
    out.insert(out.end(), length, length + 4);
    out.insert(out.end(), field.begin(), field.end());
}

std::array<u8, 8> le64(u64 value) {
    std::array<u8, 8> bytes;
    store_le_u64(bytes.data(), value);
    return bytes;
}

}  // namespace

void StateHash::add(ByteSpan entry) {
    std::array<u8, kEncodedSize> expanded;
    expand(entry, expanded);
    // Lane-wise adds mod 2^16; the compiler vectorises this loop.
    for (usize i = 0; i < kLanes; ++i) {
        lanes_[i] = static_cast<u16>(lanes_[i] + load_le_u16(&expanded[2 * i]));
    }
}

void StateHash::remove(ByteSpan entry) {
    std::array<u8, kEncodedSize> expanded;
    expand(entry, expanded);
    for (usize i = 0; i < kLanes; ++i) {
        lanes_[i] = static_cast<u16>(lanes_[i] - load_le_u16(&expanded[2 * i]));
    }
}

void StateHash::add(const StateHash& other) {
    for (usize i = 0; i < kLanes; ++i) lanes_[i] = static_cast<u16>(lanes_[i] + other.lanes_[i]);
}

void StateHash::remove(const StateHash& other) {
    for (usize i = 0; i < kLanes; ++i) lanes_[i] = static_cast<u16>(lanes_[i] - other.lanes_[i]);
}

bool StateHash::is_empty() const {
    for (u16 lane : lanes_) {
        if (lane != 0) return false;
    }
    return true;
}

InternalHash StateHash::digest() const {
    crypto::Blake3 hasher = crypto::Blake3::derive_key(kDigestContext);
    const auto bytes = encode();
    hasher.update(bytes);
    InternalHash digest;
    hasher.finalize(digest.mutable_bytes());
    return digest;
}

std::array<u8, StateHash::kEncodedSize> StateHash::encode() const {
    std::array<u8, kEncodedSize> bytes;
    for (usize i = 0; i < kLanes; ++i) store_le_u16(&bytes[2 * i], lanes_[i]);
    return bytes;
}

Result<StateHash> StateHash::decode(ByteSpan bytes) {
    if (bytes.size() != kEncodedSize) {
        return Status::corruption("state hash: " + std::to_string(bytes.size()) +
                                  " bytes, expected " + std::to_string(kEncodedSize));
    }
    StateHash hash;
    for (usize i = 0; i < kLanes; ++i) hash.lanes_[i] = load_le_u16(&bytes[2 * i]);
    return hash;
}

Bytes row_version_entry(u64 tenant, u64 table, ByteSpan key, ByteSpan row, u64 created) {
    return state_entry(StateEntryKind::row_version,
                       {le64(tenant), le64(table), key, row, le64(created)});
}

Bytes row_end_entry(u64 tenant, u64 table, ByteSpan key, u64 created, u64 ended) {
    return state_entry(StateEntryKind::row_end,
                       {le64(tenant), le64(table), key, le64(created), le64(ended)});
}

Bytes state_entry(StateEntryKind kind, std::initializer_list<ByteSpan> fields) {
    Bytes out;
    out.push_back(static_cast<u8>(kind));
    for (ByteSpan field : fields) put_field(out, field);
    return out;
}

}  // namespace kb::kernel
