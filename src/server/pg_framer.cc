// Framing of the wire protocol byte stream (pg_framer.h).
#include "server/pg_framer.h"

#include <string>

namespace kb::server {

void PgFramer::feed(ByteSpan bytes) {
    // Drop what was returned already before growing, so the buffer holds at most one partial
    // message plus the new chunk (the previous frame's view dies here, as documented).
    if (start_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

sql::SqlResult<std::optional<PgFrame>> PgFramer::next(PgFraming framing) {
    if (error_) return *error_;
    const usize available = buffer_.size() - start_;
    const u8* at = buffer_.data() + start_;
    const usize header = framing == PgFraming::startup ? 4 : 5;
    if (available < header) return std::optional<PgFrame>();
    const char type = framing == PgFraming::startup ? 0 : static_cast<char>(at[0]);
    const u32 length = load_be_u32(at + header - 4);
    if (framing == PgFraming::startup) {
        // The length counts itself; the smallest packet carries a 4-byte code.
        if (length < 8 || length > kPgStartupPacketMaxBytes) {
            error_ =
                protocol_violation("invalid length of startup packet: " + std::to_string(length));
            return *error_;
        }
    } else if (length < 4 || length - 4 > max_body_bytes_) {
        error_ = protocol_violation("invalid message length " + std::to_string(length) +
                                    " for message type " + std::to_string(static_cast<u8>(type)) +
                                    (length < 4 ? std::string()
                                                : " (at most " + std::to_string(max_body_bytes_) +
                                                      " bytes of body allowed)"));
        return *error_;
    }
    const usize total = header - 4 + usize{length};
    // No reserve() for the rest: a client that announces a large message and sends it slowly
    // must not make the server hold memory it has not sent yet.
    if (available < total) return std::optional<PgFrame>();
    PgFrame frame{type, ByteSpan(at + header, total - header)};
    start_ += total;
    return std::optional<PgFrame>(frame);
}

}  // namespace kb::server
