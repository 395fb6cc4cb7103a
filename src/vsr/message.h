// VSR messages: the fixed header every replica and client message starts with, its codec, and
// the checks that turn any bytes off the network into a message or a rejection (never an
// assertion). docs/FORMATS.md "Replication messages" has the layout byte by byte.
//
// A message is a 128-byte header followed by `size - 128` body bytes. The header names the
// command and carries the protocol's numbers (view, op, commit, ...); a prepare's body is the
// log record bytes exactly as the primary's log holds them, so every replica's log is
// byte-identical. Hashes in headers are log chain hashes: chain_hash(n) commits to every record
// up to n, so two replicas with equal chain hashes at n hold identical logs up to n, and
// comparing logs in a view change is comparing one hash.
//
// Which fields mean what, per command (fields not listed must be zero):
//   request            client, request, session, body = the request (state-machine bytes);
//                      replica = kClientReplica. view: the view the client believes current.
//                      request 0 is a register: session 0 and no body (docs/ARCHITECTURE.md
//                      "Client sessions"); any other request carries the session number its
//                      register's reply gave (nonzero).
//   reply              view, op (where the request was logged; 0 when refused), commit, client,
//                      request, body = the reply (state-machine bytes). The reply to a
//                      register (request 0) carries session = op, the new session's number;
//                      other replies carry session 0.
//   prepare            view, op, commit, hash = chain_hash(op), timestamp, client, request,
//                      body = the record
//   prepare_ok         view, op, hash = chain_hash(op)
//   commit             view, op (the primary's last), commit, hash = chain_hash(commit) (the
//                      primary's heartbeat: backups learn what to commit and what they lack)
//   start_view_change  view
//   do_view_change     view, log_view, op, commit, hash = chain_hash(op) (the sender's head)
//   start_view         view, op, commit, hash = chain_hash(op) (the new view's head)
//   request_start_view view (a restarted or lagging backup asks the primary for its head)
//   request_prepare    view, op (first wanted), op_last (last wanted)
//   eviction           view, client, request, session: the request carried a session the
//                      client table does not hold (evicted, or replaced by a newer register), so
//                      it was not applied; the client must register anew. A client ignores one
//                      for another session, or from a view older than its register's reply
//                      (a deposed primary that never learnt of the register).
//   cosignature        view, op = the attestation's position, body = the co-signature payload
//                      (storage/attestation.h): a backup's signature for the primary to log
//   ping               view, op = round (the primary asks whether it is still primary)
//   pong               view, op = round (a backup of that view says yes)
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::vsr {

inline constexpr usize kHeaderSize = 128;
inline constexpr u16 kProtocolVersion = 2;
// The `replica` field of messages a client sends.
inline constexpr u8 kClientReplica = 0xff;
// A cluster has at most this many replicas (quorums are computed for 1..kReplicasMax).
inline constexpr u8 kReplicasMax = 6;

// A client session's number: the log position of the register that opened it.
using SessionNumber = StrongInt<struct SessionNumberTag, u64>;

enum class Command : u8 {
    request = 1,
    reply = 2,
    prepare = 3,
    prepare_ok = 4,
    commit = 5,
    start_view_change = 6,
    do_view_change = 7,
    start_view = 8,
    request_start_view = 9,
    request_prepare = 10,
    eviction = 11,
    cosignature = 12,
    ping = 13,
    pong = 14,
};
std::string_view command_name(Command command);

struct Header {
    u64 cluster = 0;
    u32 size = kHeaderSize;  // header + body bytes
    Command command = Command::request;
    u8 replica = 0;  // the sender's index, or kClientReplica
    View view;
    View log_view;
    Position op;
    Position op_last;
    Position commit;
    Timestamp timestamp;
    ClientId client;
    RequestNumber request;
    ComplianceHash hash;
    SessionNumber session;

    usize body_size() const { return size - kHeaderSize; }
    friend bool operator==(const Header&, const Header&) = default;
};

// A header plus its body, encoded: what the bus carries.
Bytes encode_message(const Header& header, ByteSpan body);

struct DecodedMessage {
    Header header;
    ByteSpan body;  // a view into the bytes passed to decode_message
};

struct MessageLimits {
    u64 cluster = 0;
    u8 replica_count = 1;
    u64 body_size_max = 0;  // bytes; larger messages are rejected
};

// Checks and decodes one message: the size matches the bytes, the checksums match, the version
// is ours, the cluster is ours, the command is known, the sender index is in range (or a client
// for request), every field the command does not use is zero, and the command's own relations
// hold (a prepare's op > its commit; request_prepare's range is ordered and short; ...).
// invalid_argument naming what failed otherwise.
Result<DecodedMessage> decode_message(ByteSpan bytes, const MessageLimits& limits);

// "prepare view=3 op=17 commit=15 from replica 1": for logs and test failures.
std::string describe(const Header& header);

// request_prepare asks for at most this many ops at once (the answer is bounded by it).
inline constexpr u64 kRequestPrepareOpsMax = 64;

}  // namespace kb::vsr
