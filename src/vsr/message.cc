// VSR message header codec and validation (see message.h).
//
// Layout (little-endian):
//   [0, 4)     u32 header checksum: CRC32C of bytes [4, 128)
//   [4, 8)     u32 body checksum: CRC32C of the body
//   [8, 16)    u64 cluster
//   [16, 20)   u32 size (header + body)
//   [20, 22)   u16 protocol version
//   [22]       u8 command
//   [23]       u8 replica (sender index, 0xff for a client)
//   [24, 32)   u64 view
//   [32, 40)   u64 log_view
//   [40, 48)   u64 op
//   [48, 56)   u64 op_last
//   [56, 64)   u64 commit
//   [64, 72)   u64 timestamp
//   [72, 80)   u64 client
//   [80, 88)   u64 request
//   [88, 120)  32 bytes hash
//   [120, 128) u64 session (protocol version 2; reserved before)
#include "vsr/message.h"

#include <array>
#include <cstring>
#include <optional>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::vsr {

namespace {

constexpr usize kChecksummedFrom = 4;

Status reject(const Header& header, const std::string& what) {
    return Status::invalid_argument(
        "rejected " + std::string(command_name(header.command)) + " from " +
        (header.replica == kClientReplica ? std::string("a client")
                                          : "replica " + std::to_string(header.replica)) +
        ": " + what);
}

bool known_command(u8 value) {
    return value >= static_cast<u8>(Command::request) && value <= static_cast<u8>(Command::pong);
}

// Which optional fields each command uses; the others must be zero (a sender that fills them
// is broken or hostile, and zero fields keep the encoding canonical).
struct Uses {
    bool log_view = false, op = false, op_last = false, commit = false, timestamp = false,
         client = false, request = false, hash = false, body = false, session = false;
};

Uses uses_of(Command command) {
    switch (command) {
        case Command::request:
            return {.client = true, .request = true, .body = true, .session = true};
        case Command::reply:
            return {.op = true,
                    .commit = true,
                    .client = true,
                    .request = true,
                    .body = true,
                    .session = true};
        case Command::prepare:
            return {.op = true,
                    .commit = true,
                    .timestamp = true,
                    .client = true,
                    .request = true,
                    .hash = true,
                    .body = true};
        case Command::prepare_ok:
            return {.op = true, .hash = true};
        case Command::commit:
            return {.op = true, .commit = true, .hash = true};
        case Command::start_view_change:
        case Command::request_start_view:
            return {};
        case Command::do_view_change:
            return {.log_view = true, .op = true, .commit = true, .hash = true};
        case Command::start_view:
            return {.op = true, .commit = true, .hash = true};
        case Command::request_prepare:
            return {.op = true, .op_last = true};
        case Command::eviction:
            return {.client = true, .request = true, .session = true};
        case Command::cosignature:
            return {.op = true, .body = true};
        case Command::ping:
        case Command::pong:
            return {.op = true};
    }
    return {};
}

Status check_fields(const Header& header, const MessageLimits& limits) {
    const Uses uses = uses_of(header.command);
    auto unused_nonzero = [&](bool used, u64 value, const char* name) -> std::optional<Status> {
        if (used || value == 0) return std::nullopt;
        return reject(header, std::string(name) + " must be zero");
    };
    for (auto problem : {unused_nonzero(uses.log_view, header.log_view.value(), "log_view"),
                         unused_nonzero(uses.op, header.op.value(), "op"),
                         unused_nonzero(uses.op_last, header.op_last.value(), "op_last"),
                         unused_nonzero(uses.commit, header.commit.value(), "commit"),
                         unused_nonzero(uses.timestamp, header.timestamp.value(), "timestamp"),
                         unused_nonzero(uses.client, header.client.value(), "client"),
                         unused_nonzero(uses.request, header.request.value(), "request"),
                         unused_nonzero(uses.body, header.body_size(), "body size"),
                         unused_nonzero(uses.session, header.session.value(), "session")}) {
        if (problem) return *problem;
    }
    if (!uses.hash && header.hash != ComplianceHash{}) return reject(header, "hash must be zero");

    const bool from_client = header.command == Command::request;
    if (from_client != (header.replica == kClientReplica)) {
        return reject(
            header, from_client ? "a request must come from a client" : "sender is not a replica");
    }
    if (!from_client && header.replica >= limits.replica_count) {
        return reject(header, "replica index out of range for a cluster of " +
                                  std::to_string(limits.replica_count));
    }
    switch (header.command) {
        case Command::request:
            if (header.client.value() == 0) return reject(header, "client id zero");
            if (header.request.value() == 0) {
                // A register: it opens a session, so it cannot name one, and carries nothing.
                if (header.session.value() != 0) return reject(header, "register with a session");
                if (header.body_size() != 0) return reject(header, "register with a body");
            } else if (header.session.value() == 0) {
                return reject(header, "request without a session");
            }
            break;
        case Command::reply:
            if (header.client.value() == 0) return reject(header, "client id zero");
            if (header.request.value() == 0) {
                // The reply to a register: its session is the register's position.
                if (header.op.value() == 0 || header.session.value() != header.op.value()) {
                    return reject(header, "register reply whose session is not its op");
                }
            } else if (header.session.value() != 0) {
                return reject(header, "session must be zero");
            }
            break;
        case Command::eviction:
            if (header.client.value() == 0) return reject(header, "client id zero");
            if (header.request.value() == 0) return reject(header, "eviction of a register");
            if (header.session.value() == 0) return reject(header, "eviction without a session");
            break;
        case Command::prepare:
            if (header.op.value() == 0) return reject(header, "op zero");
            if (header.commit >= header.op) return reject(header, "commit not below op");
            if (header.body_size() == 0) return reject(header, "empty record");
            break;
        case Command::prepare_ok:
        case Command::cosignature:
            if (header.op.value() == 0) return reject(header, "op zero");
            break;
        case Command::do_view_change:
            if (header.log_view > header.view) return reject(header, "log_view beyond view");
            [[fallthrough]];
        case Command::start_view:
        case Command::commit:
            if (header.commit > header.op) return reject(header, "commit beyond op");
            break;
        case Command::request_prepare:
            if (header.op.value() == 0 || header.op_last < header.op) {
                return reject(header, "empty or reversed range");
            }
            if (header.op_last.value() - header.op.value() >= kRequestPrepareOpsMax) {
                return reject(header, "range longer than " + std::to_string(kRequestPrepareOpsMax));
            }
            break;
        default:
            break;
    }
    return Status::ok();
}

std::array<u8, kHeaderSize> encode_header(const Header& header, u32 body_checksum) {
    std::array<u8, kHeaderSize> out{};
    LeWriter writer(out);
    writer.put<u32>(0);  // header checksum, below
    writer.put<u32>(body_checksum);
    writer.put<u64>(header.cluster);
    writer.put<u32>(header.size);
    writer.put<u16>(kProtocolVersion);
    writer.put<u8>(static_cast<u8>(header.command));
    writer.put<u8>(header.replica);
    writer.put<u64>(header.view.value());
    writer.put<u64>(header.log_view.value());
    writer.put<u64>(header.op.value());
    writer.put<u64>(header.op_last.value());
    writer.put<u64>(header.commit.value());
    writer.put<u64>(header.timestamp.value());
    writer.put<u64>(header.client.value());
    writer.put<u64>(header.request.value());
    writer.put_bytes(header.hash.bytes());
    writer.put<u64>(header.session.value());
    KB_ASSERT(writer.remaining() == 0);
    store_le_u32(out.data(),
                 crypto::crc32c(ByteSpan(out.data() + kChecksummedFrom, kHeaderSize - 4)));
    return out;
}

}  // namespace

std::string_view command_name(Command command) {
    switch (command) {
        case Command::request:
            return "request";
        case Command::reply:
            return "reply";
        case Command::prepare:
            return "prepare";
        case Command::prepare_ok:
            return "prepare_ok";
        case Command::commit:
            return "commit";
        case Command::start_view_change:
            return "start_view_change";
        case Command::do_view_change:
            return "do_view_change";
        case Command::start_view:
            return "start_view";
        case Command::request_start_view:
            return "request_start_view";
        case Command::request_prepare:
            return "request_prepare";
        case Command::eviction:
            return "eviction";
        case Command::cosignature:
            return "cosignature";
        case Command::ping:
            return "ping";
        case Command::pong:
            return "pong";
    }
    return "unknown";
}

Bytes encode_message(const Header& header, ByteSpan body) {
    KB_ASSERT(header.size == kHeaderSize + body.size());
    const auto head = encode_header(header, crypto::crc32c(body));
    Bytes out(header.size);
    std::memcpy(out.data(), head.data(), kHeaderSize);
    if (!body.empty()) std::memcpy(out.data() + kHeaderSize, body.data(), body.size());
    return out;
}

Result<DecodedMessage> decode_message(ByteSpan bytes, const MessageLimits& limits) {
    if (bytes.size() < kHeaderSize) {
        return Status::invalid_argument("rejected message: " + std::to_string(bytes.size()) +
                                        " bytes, shorter than a header");
    }
    const u32 header_checksum = load_le_u32(bytes.data());
    if (crypto::crc32c(bytes.subspan(kChecksummedFrom, kHeaderSize - kChecksummedFrom)) !=
        header_checksum) {
        return Status::invalid_argument("rejected message: header checksum mismatch");
    }
    LeReader reader(bytes.first(kHeaderSize));
    (void)reader.get<u32>();
    const u32 body_checksum = reader.get<u32>();
    Header header;
    header.cluster = reader.get<u64>();
    header.size = reader.get<u32>();
    const u16 version = reader.get<u16>();
    const u8 command = reader.get<u8>();
    header.replica = reader.get<u8>();
    header.view = View(reader.get<u64>());
    header.log_view = View(reader.get<u64>());
    header.op = Position(reader.get<u64>());
    header.op_last = Position(reader.get<u64>());
    header.commit = Position(reader.get<u64>());
    header.timestamp = Timestamp(reader.get<u64>());
    header.client = ClientId(reader.get<u64>());
    header.request = RequestNumber(reader.get<u64>());
    header.hash = ComplianceHash::from_bytes(reader.get_bytes(ComplianceHash::kSize));
    header.session = SessionNumber(reader.get<u64>());
    KB_ASSERT(reader.ok());

    if (version != kProtocolVersion) {
        return Status::invalid_argument("rejected message: protocol version " +
                                        std::to_string(version) + ", this build speaks " +
                                        std::to_string(kProtocolVersion));
    }
    if (!known_command(command)) {
        return Status::invalid_argument("rejected message: unknown command " +
                                        std::to_string(command));
    }
    header.command = static_cast<Command>(command);
    if (header.size != bytes.size()) {
        return reject(header, "size field " + std::to_string(header.size) + " but " +
                                  std::to_string(bytes.size()) + " bytes arrived");
    }
    if (header.body_size() > limits.body_size_max) {
        return reject(header, "body of " + std::to_string(header.body_size()) +
                                  " bytes, over the limit of " +
                                  std::to_string(limits.body_size_max));
    }
    if (header.cluster != limits.cluster) {
        return reject(header, "cluster " + std::to_string(header.cluster) + ", this is cluster " +
                                  std::to_string(limits.cluster));
    }
    KB_TRY(check_fields(header, limits));
    const ByteSpan body = bytes.subspan(kHeaderSize);
    if (crypto::crc32c(body) != body_checksum) return reject(header, "body checksum mismatch");
    return DecodedMessage{header, body};
}

std::string describe(const Header& header) {
    std::string out(command_name(header.command));
    out += " view=" + std::to_string(header.view.value());
    const Uses uses = uses_of(header.command);
    if (uses.log_view) out += " log_view=" + std::to_string(header.log_view.value());
    if (uses.op) out += " op=" + std::to_string(header.op.value());
    if (uses.op_last) out += " op_last=" + std::to_string(header.op_last.value());
    if (uses.commit) out += " commit=" + std::to_string(header.commit.value());
    if (uses.client) out += " client=" + std::to_string(header.client.value());
    if (uses.request) out += " request=" + std::to_string(header.request.value());
    if (uses.session) out += " session=" + std::to_string(header.session.value());
    out += header.replica == kClientReplica ? " from a client"
                                            : " from replica " + std::to_string(header.replica);
    return out;
}

}  // namespace kb::vsr
