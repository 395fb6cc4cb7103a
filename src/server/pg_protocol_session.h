// PgProtocolSession: a PgConnection as the server's connection loop sees it (ProtocolSession),
// plus what the loop adds: the max-connections refusal and the server's own goodbyes.
#pragma once

#include <memory>

#include "server/pg_connection.h"
#include "server/pg_host.h"
#include "server/protocol_session.h"

namespace kb::server {

class PgProtocolSession final : public ProtocolSession {
public:
    // `over_limit`: the connection is one too many; it is answered (after its startup
    // packet, as PostgreSQL does) with FATAL 53300 and closed.
    PgProtocolSession(PgHost& host, const std::string& peer_host, PgConnectionOptions options,
                      bool over_limit);

    void receive(ByteSpan bytes) override;
    Bytes take_output() override { return connection_.take_output(); }
    bool wants_tls() const override { return connection_.wants_tls(); }
    void tls_started() override { connection_.tls_started(); }
    bool closed() const override { return connection_.closed(); }
    bool in_transaction() const override { return connection_.in_transaction(); }
    bool logged_in() const override { return connection_.login() != nullptr; }
    Bytes goodbye(const char* sqlstate, const char* message) override;

private:
    PgPeerHost host_;  // before connection_, which holds a reference to it
    PgConnection connection_;
    bool over_limit_;
};

}  // namespace kb::server
