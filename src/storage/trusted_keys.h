// Trusted keys: the Ed25519 public keys whose attestations a verifier accepts.
//
// `kmb verify` trusts only keys given from outside the directory it checks (DESIGN.md §3):
// a trusted-keys file (--trusted-keys) and the signers of a digest the user supplies. Keys
// found inside the log (an attestation names its signer) are never trusted on their own.
//
// File format (docs/FORMATS.md, "Trusted keys file"): UTF-8/ASCII text, one public key per
// line as 64 hex digits (either case); leading and trailing spaces/tabs and a trailing '\r'
// are ignored; '#' starts a comment that runs to the end of the line; blank lines are
// allowed. Anything else is an error naming the line. A file with no key at all is an error
// too: a user who asked for trust and named nobody would otherwise get "untrusted" for every
// attestation without being told why.
//
// Parsing works on text the caller has read (storage/ never touches files directly).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "kimberlite/status.h"

namespace kb::storage {

class TrustedKeys {
public:
    TrustedKeys() = default;

    // Parses a trusted-keys file. invalid_argument naming `source` and the 1-based line for a
    // line that is not a key, and for a file without keys.
    static Result<TrustedKeys> parse(std::string_view text, std::string_view source);

    void add(const crypto::Ed25519PublicKey& key) { keys_.insert(key.bytes); }
    bool contains(const crypto::Ed25519PublicKey& key) const { return keys_.count(key.bytes) != 0; }
    bool empty() const { return keys_.empty(); }
    usize size() const { return keys_.size(); }
    // Every key, in byte order.
    std::vector<crypto::Ed25519PublicKey> keys() const;

private:
    std::set<std::array<u8, crypto::kEd25519PublicKeySize>> keys_;
};

}  // namespace kb::storage
