// Parsing of HOST:PORT settings (listen_address.h).
#include "server/listen_address.h"

#include <charconv>

namespace kb::server {

std::string ListenAddress::to_string() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view what) {
    const auto bad = [&](std::string_view why) {
        return Status::invalid_argument(std::string(what) + " '" + std::string(text) +
                                        "': " + std::string(why) +
                                        " (expected HOST:PORT, e.g. 127.0.0.1:5432)");
    };
    const usize colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return bad("an IPv6 host must be in brackets");
    }
    if (host.empty()) return bad("no host");
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() ||
        port > 65535) {
        return bad("the port must be a number from 0 to 65535");
    }
    return ListenAddress{std::string(host), static_cast<u16>(port)};
}

}  // namespace kb::server
