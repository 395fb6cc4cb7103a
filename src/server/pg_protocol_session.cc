// The connection loop's view of a pgwire connection (pg_protocol_session.h).
#include "server/pg_protocol_session.h"

namespace kb::server {

PgProtocolSession::PgProtocolSession(PgHost& host, const std::string& peer_host,
                                     PgConnectionOptions options, bool over_limit)
    : host_(host, peer_host), connection_(host_, options), over_limit_(over_limit) {}

void PgProtocolSession::receive(ByteSpan bytes) {
    if (over_limit_) {
        // Whatever the client sent first (startup, SSL request), the answer is the same.
        connection_.terminate(sql::SqlError("53300", "sorry, too many clients already"));
        return;
    }
    connection_.receive(bytes);
}

Bytes PgProtocolSession::goodbye(const char* sqlstate, const char* message) {
    connection_.terminate(sql::SqlError(sqlstate, message));
    return connection_.take_output();
}

}  // namespace kb::server
