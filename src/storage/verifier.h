// The log verifier behind `kmb verify`: checks every byte of a log without changing it.
//
// verify_log() walks every segment in order (numbers contiguous from 1; each segment header's
// first position and previous chain hash continuing the previous segment) and every record in
// it: header and payload checksums, the payload digest, positions contiguous from 1, the
// chain (each previous_chain_hash equals the chain hash of the record before), every
// attestation and co-signature (the attested chain hash is the log's own at that position,
// the signature verifies, the signer is trusted when trust was given), every AEAD tag when a
// KeySource is given, and a digest when one is given (the log holds its position with exactly
// its chain hash, and its signatures verify).
//
// It runs read-only through Storage::read_sync, takes no lock and writes nothing, so it works
// beside a running server. Hence the durable tail rule, the same as recovery's (log.h):
// records beyond the newest valid durability mark were never acknowledged — an unsynced batch
// or a write in progress — unless a tail mirror holds them (tail_mirror.h): a flush whose
// valid mirror continues the chain is verified from the mirror, counts as durable, and a main
// copy that differs from it is a warning naming the position (recovery restores it). Otherwise
// a torn, zero, damaged or unlinked record there ends the verification successfully ("the tail
// beyond the durable mark ends at position N"). The same damage at or below the durable
// position is a failure. What a record says (AEAD tags, attestations)
// is checked wherever the record is intact, tail or not: a well-formed record that lies is
// never a crash artefact.
//
// Storage and the KeySource are used from the calling thread only; helper threads
// (VerifyOptions::threads) only checksum and hash bytes already read. The report does not
// depend on how many there are.
//
// The report names the FIRST bad place (file, position or, when no position is known, byte
// offset, and what failed) and stops there. Damaged durability-mark and tail-mirror slots are
// warnings, not failures: a torn mark or mirror write is a normal crash outcome and a reader
// beside a running server may see one half-written, so they cannot be told from damage
// (docs/FORMATS.md).
//
// Trust comes only from outside: VerifyOptions::trusted_keys and the digest's signers. Keys
// named inside the log are never trusted on their own; with neither given, signatures are
// checked for validity only and the report says that trust was not established.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/ints.h"
#include "io/storage.h"
#include "kimberlite/status.h"
#include "storage/attestation.h"
#include "storage/digest.h"
#include "storage/key_source.h"
#include "storage/trusted_keys.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::storage {

// Called now and then with bytes of segment files examined so far and the expected total
// (the total is an estimate: it may grow as the scan finds more).
using VerifyProgress = std::function<void(u64 bytes_done, u64 bytes_total)>;

struct VerifyOptions {
    // Keys whose attestations and co-signatures are trusted. Empty (and no digest): signatures
    // are checked for validity only.
    TrustedKeys trusted_keys;
    // A digest the log must extend; its signers are trusted too.
    std::optional<Digest> digest;
    // Keys to check every AEAD tag with; nullptr: tags are not checked (the chain still binds
    // every ciphertext byte).
    KeySource* keys = nullptr;
    VerifyProgress progress;
    // How many recent chain hashes to keep in memory (32 bytes each) for attestations; older
    // attested positions are re-read from disk via sparse checkpoints. Tests shrink it.
    u64 recent_chain_hashes = u64{1} << 16;
    // Threads that check payloads and compute chain hashes (the order-independent work; the
    // in-order pass that decides stays on the calling thread), the calling thread included:
    // 0 = one per CPU the process may run on, up to 8; 1 = only the calling thread. The report
    // does not depend on it.
    usize threads = 0;
    // Bytes of records per piece of that work. Tests shrink it to share tiny logs out.
    u64 work_unit_bytes = u64{32} << 10;
};

// The first bad place.
struct VerifyFailure {
    std::string file;                  // relative to the data directory ("log/segment-...kbl")
    std::optional<Position> position;  // the record concerned, when known
    std::optional<u64> offset;         // byte offset in `file`, when it helps
    std::string what;                  // what failed

    // "log/segment-0000000001.kbl position 7 (offset 5023): payload checksum mismatch"
    std::string to_string() const;
};

// The newest attestation at or below the durable mark, with every co-signature of it found
// in the log: what `kmb digest` exports.
struct AttestationFound {
    Position record_position;
    AttestedStatement statement;
    std::vector<DigestSignature> signatures;  // the attester's first, then co-signers (unique)
};

struct VerifyReport {
    // An operating problem (IO error, unsupported format version, no log) that stopped the
    // verification before it could decide; damage is `failure`, never this.
    Status error;
    std::optional<VerifyFailure> failure;

    bool intact() const { return error.is_ok() && !failure.has_value(); }

    u64 segments = 0;
    u64 records = 0;               // records that passed every check
    u64 bytes = 0;                 // their size (headers and payloads)
    u64 attestations_checked = 0;  // chain hash matched and signature verified
    u64 cosignatures_checked = 0;
    u64 tags_checked = 0;           // AEAD tags opened with a key
    u64 tags_without_key = 0;       // sealed records whose key the KeySource lacked
    std::string first_missing_key;  // the KeySource's message for the first of those
    bool keys_given = false;
    Position last_position;  // of the last record that passed
    ComplianceHash last_chain_hash;
    // What the newest valid durability mark covers, or, beyond it, the last record of a
    // mirrored flush that continues the chain (it may have been acknowledged).
    Position durable_position;
    bool mark_found = false;

    // Set when the scan stopped at damage beyond the durable mark (a write in progress or an
    // unsynced batch): the log's usable end is last_position.
    bool tail_cut = false;
    std::string tail_reason;

    // Trust.
    bool trust_established = false;  // trusted keys or a digest were given
    u64 trusted_key_count = 0;       // including the digest's signers

    // The digest, when given: checked == the log holds its position with its chain hash and
    // every signature verified.
    bool digest_checked = false;
    std::string digest_note;  // about its attestation record, for the summary

    std::vector<std::string> warnings;  // suspicious but not proof of damage
    std::optional<AttestationFound> newest_attestation;
};

// Verifies the log under `storage` (normally a read-only LinuxStorage on the data directory).
VerifyReport verify_log(io::Storage& storage, const VerifyOptions& options);

}  // namespace kb::storage
