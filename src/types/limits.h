// Every limit in one place, with static_asserts on how the limits relate.
//
// A limit that users can meet (op size, key size, name length) is documented in docs/ and
// returns a clear error when exceeded; the ones here are compile-time maxima and defaults.
#pragma once

#include "base/ints.h"

namespace kb::limits {

inline constexpr u64 kKiB = 1024;
inline constexpr u64 kMiB = 1024 * kKiB;
inline constexpr u64 kGiB = 1024 * kMiB;

// --- the log -----------------------------------------------------------------------------
// One op is one client request; its sealed payload may be at most this big by default
// (configurable down or up to the hard maximum). COPY outside a transaction commits in
// chunks below it.
inline constexpr u64 kOpSizeBytesDefault = 64 * kMiB;
inline constexpr u64 kOpSizeBytesMax = 256 * kMiB;
// Positions per encryption segment: every (tenant, segment) pair has its own derived key.
inline constexpr u64 kSegmentPositions = u64{1} << 20;

// --- AES-256-GCM key use -------------------------------------------------------------------
// Random 96-bit nonces: after n seals under one key the chance of any repeated nonce is about
// n^2 / 2^97. NIST SP 800-38D caps it at 2^-32, i.e. n <= 2^32. We stop far below that.
inline constexpr u64 kSealsPerKeyMax = u64{1} << 30;
// Store pages are sealed under per-epoch page keys; no page key seals more than this.
inline constexpr u64 kPagesPerPageKeyMax = u64{1} << 28;

// --- the store -----------------------------------------------------------------------------
inline constexpr u64 kPageSizeBytes = 4 * kKiB;
inline constexpr u64 kKeySizeBytesMax = 1 * kKiB;   // primary and index keys
inline constexpr u64 kRowSizeBytesMax = 16 * kMiB;  // one row version, via overflow pages

// --- names -----------------------------------------------------------------------------------
inline constexpr u64 kNameBytesMax = 63;  // tenants, tables, columns, streams (as PostgreSQL)

// How the limits relate.
static_assert(kOpSizeBytesDefault <= kOpSizeBytesMax);
static_assert(kOpSizeBytesMax < u64{1} << 32, "payload length is a u32 in record headers");
static_assert(kRowSizeBytesMax < kOpSizeBytesDefault, "one row must fit in one op");
static_assert(kKeySizeBytesMax * 3 < kPageSizeBytes, "an inner page must hold >= 3 keys");
static_assert(kSegmentPositions < kSealsPerKeyMax,
              "a segment key must survive every position of its segment being sealed many times");
static_assert(kSealsPerKeyMax <= u64{1} << 32, "NIST random-nonce bound");
static_assert(kPagesPerPageKeyMax <= kSealsPerKeyMax);

}  // namespace kb::limits
