// `kmb stream create|list|append|read|tail NAME`: event streams over the native protocol
// (docs/PROTOCOL.md, include/kimberlite/client.h).
//
//     kmb stream create NAME [--data-class CLASS]     a new stream (superusers)
//     kmb stream list                                 the tenant's streams
//     kmb stream append NAME [EVENT...]               events as arguments, or stdin lines
//                                                     (exit 0 only once they are durable)
//     kmb stream read NAME [--from OFFSET] [--max N]  events from OFFSET (default 0) to the end
//     kmb stream tail NAME [--from OFFSET]            the events there, then new ones as they
//                                                     arrive, until interrupted (Ctrl-C: exit 0)
//
// Every subcommand takes the client options of client_options.h (--server, --user, --tenant,
// --tls, --tls-ca; password from KMB_PASSWORD or the terminal) and --json (one JSON object per
// line). With an API key (--api-key, or env KMB_API_KEY; `kmb user api-key create`) the client
// logs in with the key instead (user and password unused; --tenant left at its default means
// the key's tenant). Exit statuses: 0 done, 1 the server refused (not found, exists, conflict, no
// privilege: the message says which), 2 usage or connection errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/client_options.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct StreamCommandOptions {
    ClientOptions client;
    bool json = false;
    std::string name;
    std::string data_class = "internal";
    std::string api_key;
    std::vector<std::string> events;
    std::optional<unsigned long long> expected_offset;
    unsigned long long from = 0;
    unsigned long long max = 0;
    unsigned long long batch = 1000;  // stdin lines per append
    CLI::App* create = nullptr;
    CLI::App* list = nullptr;
    CLI::App* append = nullptr;
    CLI::App* read = nullptr;
    CLI::App* tail = nullptr;
};

CLI::App* add_stream_command(CLI::App& app, StreamCommandOptions* options);

int run_stream_command(const StreamCommandOptions& options);

}  // namespace kb::cli
