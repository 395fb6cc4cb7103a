// The node key: this replica's own Ed25519 signing key, which signs its attestations and
// co-signatures (DESIGN.md §3 "Checkpoints", §5 `--key-dir`). It lives in the key directory
// beside master.key, outside the data directory, in `node.key` (0600), and is made on first
// start. Every replica has its own: unlike the master key it is never shared, so one node's
// signature cannot be made by another.
//
// node.key, version 1 (48 bytes, little-endian): magic "KBNODEKY" (8 bytes), u32 version = 1,
// 32-byte Ed25519 seed, u32 CRC32C of the bytes before it.
#pragma once

#include <string>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "kimberlite/status.h"

namespace kb::crypto {

inline constexpr char kNodeKeyFileName[] = "node.key";

// Loads `key_dir`/node.key, creating the directory (0700) and a new random key (0600, synced)
// if there is none. corruption for a damaged file, unsupported for an unknown version,
// permission_denied when the file or directory is open to group or others.
Result<Ed25519SigningKey> load_or_create_node_key(const std::string& key_dir, RandomSource& random);

}  // namespace kb::crypto
