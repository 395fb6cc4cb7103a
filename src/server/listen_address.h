// A HOST:PORT a server listens on (`--listen`, `--http-listen`): parsed once, with errors that
// say what was wrong, so every listener reads its setting the same way.
//
//     parse_listen_address("127.0.0.1:5432")  -> {host "127.0.0.1", port 5432}
//     parse_listen_address("[::1]:5432")      -> {host "::1", port 5432}
//     parse_listen_address("localhost:0")     -> port 0: the system picks a free port
#pragma once

#include <string>
#include <string_view>

#include "base/ints.h"
#include "kimberlite/status.h"

namespace kb::server {

struct ListenAddress {
    std::string host;
    u16 port = 0;

    // "host:port", bracketing an IPv6 host.
    std::string to_string() const;
    friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// `what` names the setting in errors ("--listen").
Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view what);

}  // namespace kb::server
