// The state hash: one digest of the logical state (catalog, streams, every row version) that is
// equal on every replica and on every replay, and cheap to keep current as ops apply.
//
// It is a multiset hash: the state is a multiset of entries (canonical byte strings, built by
// the *_entry functions below), and the hash supports add(entry) and remove(entry) in any order
// with the result depending only on the final multiset. A full recomputation over the same
// state gives the same digest as incremental maintenance (the tests check it).
//
// Row versions enter as two kinds of entry so that apply only ever adds: a version entry
// (tenant, table, key, row, created) when the version is written, and an end entry (tenant,
// table, key, created, ended) when a later op ends it. So an insert costs one add, a delete one
// add (the end), an update two (the old version's end, the new version); a full recomputation
// adds a version entry for every version and an end entry for every ended one. (Entries that
// carried both positions would need a remove and an add whenever a version ends.) Erasure
// removes entries.
//
// Construction: LtHash16 (Bellare-Micciancio's lattice-based multiset hash as parameterised
// by Lewi, Kim, Maykov and Weis, "Securing Update Propagation with Homomorphic Hashing",
// 2019). Each entry is expanded by BLAKE3 in derive_key mode into 1024 lanes of 16 bits; the
// state is the lane-wise sum mod 2^16 of its entries' expansions, and removal subtracts.
//
// Why not simply add 256-bit BLAKE3 digests mod 2^256 (AdHash)? Against accidental divergence
// (a bug, a bit flip) either is fine: a collision needs two different multisets whose sums
// agree, probability ~2^-256 per comparison. But entries contain client-chosen row bytes, and
// for additive hashes over a 256-bit group Wagner's generalized-birthday algorithm finds k
// entries summing to a chosen value in roughly 2^(256 / (1 + lg k)) work, which is practical
// for large k: a client could craft rows that make two different states (e.g. a tampered
// store and the true one) hash alike. LtHash's collisions are short-integer-solution
// problems in dimension 1024 mod 2^16, estimated beyond 2^200 work, with no Wagner shortcut.
// The price is a 2 KiB state and 2 KiB of BLAKE3 output per entry: about 0.25 us per add of
// a small entry here with AVX-512 (state_hash_bench.cc; a plain 64-byte BLAKE3 hash is 75
// ns), most of it the 32 output blocks, which crypto/blake3 computes side by side in SIMD
// lanes (about 2 us block by block).
//
// The digest (what replicas compare and superblocks record) is BLAKE3 of the lanes. The full
// lanes are what must persist to continue incrementally after a restart (encode / decode).
#pragma once

#include <array>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"
#include "types/hash.h"

namespace kb::kernel {

class StateHash {
public:
    static constexpr usize kLanes = 1024;
    static constexpr usize kEncodedSize = 2 * kLanes;

    StateHash() = default;  // the empty multiset

    void add(ByteSpan entry);
    void remove(ByteSpan entry);
    // Multiset union / difference with another hash (e.g. per-tenant hashes into a total).
    void add(const StateHash& other);
    void remove(const StateHash& other);

    bool is_empty() const;
    InternalHash digest() const;

    // The lanes, little-endian (2048 bytes), for the superblock.
    std::array<u8, kEncodedSize> encode() const;
    // corruption unless exactly kEncodedSize bytes.
    static Result<StateHash> decode(ByteSpan bytes);

    friend bool operator==(const StateHash&, const StateHash&) = default;

private:
    std::array<u16, kLanes> lanes_{};
};

// Canonical entries: a kind byte, then each field as u32 length + bytes (integers as 8-byte
// little-endian), so distinct field lists never produce equal bytes. The kinds keep a row
// from ever colliding with a catalog object of the same bytes.
enum class StateEntryKind : u8 {
    tenant = 1,
    stream = 2,
    table_version = 3,
    index_version = 4,
    sequence = 5,
    row_version = 6,
    row_end = 7,
    event = 8,          // retired (one entry per event, kernel meta v1): never reuse
    idempotency = 9,    // (tenant, id, record bytes)
    setting = 10,       // (setting number, value)
    append_bytes = 11,  // retired (each event's bytes in the entry, kernel meta v2): never reuse
    append = 12,        // (tenant, stream, first offset, position, count, bytes, events digest)
};

// A row version written at `created`: (tenant, table, primary key, row image, created).
Bytes row_version_entry(u64 tenant, u64 table, ByteSpan key, ByteSpan row, u64 created);
// The end of the version of `key` created at `created`, by the op at `ended`.
Bytes row_end_entry(u64 tenant, u64 table, ByteSpan key, u64 created, u64 ended);

// Any other entry: the kind and its fields, each already encoded (e.g. a schema encoding).
Bytes state_entry(StateEntryKind kind, std::initializer_list<ByteSpan> fields);

}  // namespace kb::kernel
