// PgFramer: cuts a PostgreSQL wire protocol byte stream into whole messages.
//
// Bytes arrive in arbitrary chunks (a message split over many reads, many messages in one);
// feed() appends them and next() returns each complete message in order. Two framings exist
// and the caller says which one the next message has: startup-phase packets
// ([int32 length][body], at most kPgStartupPacketMaxBytes) and typed messages
// ([type][int32 length][body]).
//
// The length word is checked before the body is buffered, so a hostile length never makes
// the framer allocate: a typed message whose body exceeds max_body_bytes, or any length
// below the minimum, is an 08P01 error and the stream is unusable afterwards (there is no
// way to find the next message boundary), so the error is sticky.
#pragma once

#include <optional>

#include "server/pg_wire.h"

namespace kb::server {

struct PgFrame {
    char type = 0;  // 0 for a startup-phase packet
    ByteSpan body;  // without type and length; valid until the next feed() or next()
};

enum class PgFraming : u8 { startup, typed };

class PgFramer {
public:
    explicit PgFramer(usize max_body_bytes) : max_body_bytes_(max_body_bytes) {}

    void feed(ByteSpan bytes);
    // The next whole message, nullopt when more bytes are needed, or the (sticky) framing
    // error.
    sql::SqlResult<std::optional<PgFrame>> next(PgFraming framing);

    // The largest typed message body accepted from now on (tightened while a client is not
    // yet authenticated).
    void set_max_body_bytes(usize max_body_bytes) { max_body_bytes_ = max_body_bytes; }
    usize max_body_bytes() const { return max_body_bytes_; }
    // Bytes received but not yet returned as messages.
    usize buffered_bytes() const { return buffer_.size() - start_; }

private:
    Bytes buffer_;
    usize start_ = 0;  // the first byte not yet returned
    usize max_body_bytes_;
    std::optional<sql::SqlError> error_;
};

}  // namespace kb::server
