// run_server: the whole life of `kmb server` — open (or initialise) the data directory, TLS,
// the pgwire listener and the HTTP endpoints; serve until SIGTERM or SIGINT; then stop
// gracefully (no new connections, in-flight statements finish, idle sessions are told 57P01),
// checkpoint the store and return.
//
// Logs go to stderr (server_log.h). The first info line, "ready", carries the bound addresses
// (useful with port 0).
#pragma once

#include "server/server_config.h"

namespace kb::server {

// Exit status: 0 after a clean stop, 2 when the server could not start (bad data dir, keys,
// TLS files, an address in use: the log says which), 1 when stopping failed (the checkpoint
// could not be written; the next start replays the log instead).
int run_server(const ServerConfig& config);

}  // namespace kb::server
