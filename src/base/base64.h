// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding): the text form of salts,
// keys, nonces and proofs in SCRAM messages and stored SCRAM verifiers.
//
// Decoding is strict: only the standard alphabet, padding required, no whitespace and no
// non-zero bits in the unused tail of the last character. Every string that decodes is the
// canonical encoding of what it decodes to, so decode-then-encode gives back the same text
// (the fuzz targets rely on that).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace kb {

// The padded encoding: 4 * ceil(n / 3) characters.
std::string base64_encode(ByteSpan bytes);

// Decodes canonical padded base64 into *out (replacing its contents). False, with *out
// unspecified, on a length that is not a multiple of 4, a character outside the alphabet,
// misplaced padding or non-zero tail bits. The empty string decodes to no bytes.
bool base64_decode(std::string_view text, Bytes* out);

}  // namespace kb
