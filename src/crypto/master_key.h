// The master key: the root of the key hierarchy (docs/SECURITY.md, "Key hierarchy").
//
// A master key never encrypts data. It only wraps each tenant's KEK and the system root key,
// so rotating it re-wraps a few dozen bytes per tenant instead of re-encrypting anything.
// Every replica holds the same master key; it lives outside the data directory, in the key
// directory (`--key-dir`, default ~/.config/kimberlite/keys/), or behind a KMS/HSM provider.
//
// MasterKeyProvider is the seam: FileMasterKeyProvider keeps keys in files (`master.key` for the
// current key, `master-<id>.key` for retained older ones), MemoryMasterKeyProvider keeps them in
// memory for tests and the simulator.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"
#include "types/strong_int.h"

namespace kb::crypto {

// Names one key among those of its kind: master keys are numbered 1, 2, 3... in rotation
// order; a tenant's KEKs likewise. Zero is never a valid key id. Ids appear in error
// messages and logs; key bytes never do.
using KeyId = StrongInt<struct KeyIdTag, u64>;

std::string to_string(KeyId id);  // "7"

// A borrowed view of the current master key. The reference stays valid until the provider
// is rotated or retires the key (i.e. do not keep it across those calls).
struct MasterKeyRef {
    KeyId id;
    const Key256& key;
};

class MasterKeyProvider {
public:
    virtual ~MasterKeyProvider() = default;

    // The key that new wraps use.
    virtual MasterKeyRef current() const = 0;

    // The key with this id: the current one or a retained older one. not_found (naming the id)
    // when the provider does not hold it, e.g. it was retired or belongs to another cluster.
    virtual Result<const Key256*> find(KeyId id) const = 0;

    // Makes a fresh random key current and retains the previous one, so that everything it
    // wrapped can still be unwrapped while it is being re-wrapped. Returns the new key's id
    // (the highest id so far plus one).
    virtual Result<KeyId> rotate(RandomSource& random) = 0;

    // Forgets a retained key once nothing wrapped by it remains (after the re-wrap ops of a
    // rotation are committed). invalid_argument for the current key, not_found for an unknown.
    virtual Status retire(KeyId id) = 0;
};

// Keys in memory only: for tests and the simulator.
class MemoryMasterKeyProvider final : public MasterKeyProvider {
public:
    // Starts with one random key, id 1.
    explicit MemoryMasterKeyProvider(RandomSource& random);
    // Starts with the given key as current (id > 0).
    MemoryMasterKeyProvider(KeyId id, Key256 key);

    MasterKeyRef current() const override;
    Result<const Key256*> find(KeyId id) const override;
    Result<KeyId> rotate(RandomSource& random) override;
    Status retire(KeyId id) override;

private:
    KeyId current_id_;
    std::map<KeyId, Key256> keys_;  // includes the current key
};

// Keys in files in a key directory, in the format of docs/SECURITY.md ("master key file"):
//   master.key           the current key
//   master-<id>.key      a retained older key (written by rotate, deleted by retire)
// Every file is created 0600 in a directory created 0700, written crash-safely (temp file,
// fsync, rename, fsync of the directory). A key file readable or writable by group or others
// is refused with permission_denied, as is a key directory writable by group or others; an
// unknown format version with unsupported; a file failing its checksum or structure with
// corruption. Plain POSIX calls: the key directory is outside the data directory and its
// Storage seam.
class FileMasterKeyProvider final : public MasterKeyProvider {
public:
    // Opens the key directory, creating it (0700) and a first random master key (id 1) if
    // there is no master.key yet. Loads retained keys too.
    static Result<std::unique_ptr<FileMasterKeyProvider>> open(const std::string& key_dir,
                                                               RandomSource& random);

    MasterKeyRef current() const override;
    Result<const Key256*> find(KeyId id) const override;
    // Crash-safe order: the current key is first written to master-<old>.key, then the new one
    // replaces master.key; a crash in between leaves the old key current and a duplicate
    // retained copy, which open() accepts.
    Result<KeyId> rotate(RandomSource& random) override;
    Status retire(KeyId id) override;

    const std::string& key_dir() const { return key_dir_; }
    std::string current_path() const;
    std::string retained_path(KeyId id) const;

private:
    explicit FileMasterKeyProvider(std::string key_dir) : key_dir_(std::move(key_dir)) {}

    std::string key_dir_;
    KeyId current_id_;
    std::map<KeyId, Key256> keys_;  // includes the current key
};

// The master key file format (docs/SECURITY.md). Exposed for tests and `kmb` tooling.
inline constexpr usize kMasterKeyFileSize = 56;
inline constexpr u32 kMasterKeyFileVersion = 1;
inline constexpr char kMasterKeyFileMagic[8] = {'K', 'B', 'M', 'A', 'S', 'T', 'E', 'R'};

// Encodes a key file image (the bytes written to disk) into `out`; the caller zeroizes `out`.
void encode_master_key_file(KeyId id, const Key256& key, std::span<u8, kMasterKeyFileSize> out);

struct DecodedMasterKey {
    KeyId id;
    Key256 key;
};
// Decodes a key file image; `path` only names the file in error messages.
Result<DecodedMasterKey> decode_master_key_file(ByteSpan image, const std::string& path);

}  // namespace kb::crypto
